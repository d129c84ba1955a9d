/**
 * The sanity check of the training loop: on the synthetic quick data,
 * quick-profile training of every tower with a fixed and an adaptive loss
 * (and with its own baseline loss) must beat the same model untrained
 * (same seed, step 0) on test batch recall@10. Sizes are cut down (d = 32,
 * 2,048 buckets, batch 128, 30 steps) so the whole file takes well under a
 * minute; the comparison is real: an update that does not learn leaves the
 * recall at the untrained level (≈ 10/128 at best) and fails.
 *
 * @module
 */

import { assertTrue } from "../testing.ts";
import { generateSynthetic } from "../data/mod.ts";
import { train } from "./train.ts";
import type { TrainConfigInput } from "./config.ts";

const ds = generateSynthetic({ seed: 1, profile: "quick" });

const buckets = {
  charTrigram: 2048,
  word: 2048,
  wordBigram: 2048,
  charUnigram: 512,
  charBigram: 2048,
};

const CASES: [string, string[]][] = [
  ["dssm", ["margin", "adaptive-margin", "dssm-softmax"]],
  ["mgdspr", ["softmax", "adaptive-softmax", "mgdspr"]],
  ["dpsr", ["margin", "adaptive-margin", "dpsr-hinge"]],
  ["plain", ["softmax", "adaptive-softmax", "adap-tau"]],
];

function recallAt10(evalJson: unknown): number {
  return (evalJson as { batchRecall: { recall: Record<number, number> } })
    .batchRecall.recall[10];
}

async function run(
  tower: string,
  loss: string,
  steps: number,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "quality_test_" });
  try {
    const cfg: TrainConfigInput = {
      profile: "quick",
      data: "synthetic-quick (memory)",
      tower: {
        kind: tower,
        dim: 32,
        features: { buckets },
      } as TrainConfigInput["tower"],
      loss: { kind: loss } as TrainConfigInput["loss"],
      batchSize: 128,
      steps,
      checkpointEvery: 0,
      statsEvery: 10,
      backend: "wasm",
      seed: 7,
    };
    const r = await train(cfg, { dataset: ds, outDir: dir, quiet: true });
    return recallAt10(r.eval);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [tower, losses] of CASES) {
  Deno.test(`quick training beats the untrained ${tower} on test batch recall@10`, async () => {
    const untrained = await run(tower, losses[0], 0);
    const lines = [`${tower}: untrained ${untrained.toFixed(3)}`];
    let failed = false;
    for (const loss of losses) {
      const trained = await run(tower, loss, 30);
      lines.push(`${loss} ${trained.toFixed(3)}`);
      // Clearly better, not a lucky batch: +0.05 absolute and ×1.5.
      if (!(trained >= untrained + 0.05 && trained >= 1.5 * untrained)) {
        failed = true;
      }
    }
    console.log(lines.join(", "));
    assertTrue(!failed, lines.join(", "));
  });
}
