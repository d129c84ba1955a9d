import * as tf from "@tensorflow/tfjs-core";
import { tableFromIPC } from "apache-arrow";
import { assertEquals, assertRejects, assertTrue } from "../testing.ts";
import {
  DPSR_TOWER,
  PLAIN_MEMORY_RUN,
  PLAIN_TOWER,
  smallSynthetic,
} from "../fixtures.ts";
import { readManifest } from "./checkpoint.ts";
import { readSteps, STEP_COLUMNS } from "./logs.ts";
import { readRunInfo, RUN_FILES } from "./run_files.ts";
import { train, TrainError } from "./train.ts";
import { noMs, trainUntil } from "./fixtures.ts";
import type { TrainConfigInput } from "./config.ts";

const ds = smallSynthetic(5);

function config(over: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    ...PLAIN_MEMORY_RUN,
    loss: { kind: "adaptive-softmax" },
    steps: 10,
    checkpointEvery: 0,
    ...over,
  } as TrainConfigInput;
}

async function tmp(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "train_test_" });
}

/** Resumes the run of `cfg` on `ds` in `dir`, quietly. */
const resumeIn = (cfg: TrainConfigInput, dir: string) =>
  train(cfg, { dataset: ds, outDir: dir, quiet: true, resume: true });

Deno.test("train: same config, same backend → identical losses and weights", async () => {
  const [a, b] = [await tmp(), await tmp()];
  try {
    const ra = await train(config(), { dataset: ds, outDir: a, quiet: true });
    const rb = await train(config(), { dataset: ds, outDir: b, quiet: true });
    assertEquals(ra.log.length, 10);
    assertEquals(noMs(ra.log), noMs(rb.log));
    // Training moved the loss (a broken update would leave it flat).
    assertTrue(
      ra.log[9].loss < ra.log[0].loss,
      `${ra.log[0].loss} → ${ra.log[9].loss}`,
    );
    const [ma, mb] = [await readManifest(a), await readManifest(b)];
    assertEquals(ma.weights.sha256, mb.weights.sha256);
    assertEquals(ma.optimizer?.sha256, mb.optimizer?.sha256);
    assertEquals(ra.eval, rb.eval);
    // A different seed gives different numbers.
    const c = await tmp();
    const rc = await train(config({ seed: 2 }), {
      dataset: ds,
      outDir: c,
      quiet: true,
    });
    assertTrue(rc.log[0].loss !== ra.log[0].loss);
    await Deno.remove(c, { recursive: true });
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

async function resumeMatches(
  over: Partial<TrainConfigInput>,
  killAfter: number,
) {
  const [a, b] = [await tmp(), await tmp()];
  try {
    const cfg = config(over);
    const straight = await train(cfg, { dataset: ds, outDir: a, quiet: true });
    // "Kill" after step killAfter: stop without a final checkpoint, so the
    // resume starts from the last periodic one and redoes the lost steps.
    const first = await trainUntil(cfg, {
      dataset: ds,
      outDir: b,
      quiet: true,
      checkpointOnAbort: false,
      stopAfter: killAfter,
    });
    assertEquals(first.completed, false);
    const every = cfg.checkpointEvery as number;
    assertEquals(
      (await readManifest(b)).step,
      Math.floor(killAfter / every) * every,
    );
    await assertRejects(
      () => train(cfg, { dataset: ds, outDir: b, quiet: true }),
      TrainError,
      "resume",
    );
    const resumed = await resumeIn(cfg, b);
    assertEquals(resumed.completed, true);
    assertEquals(resumed.steps, straight.steps);
    // Equal file hashes: bit-identical weights and Adam moments.
    const [ma, mb] = [await readManifest(a), await readManifest(b)];
    assertEquals(mb.weights.sha256, ma.weights.sha256);
    assertEquals(mb.optimizer?.sha256, ma.optimizer?.sha256);
    assertEquals(mb.optimizer?.iterations, ma.optimizer?.iterations);
    assertEquals(mb.optimizer?.accBeta1, ma.optimizer?.accBeta1);
    assertEquals(mb.objective, ma.objective);
    assertEquals(noMs(resumed.log), noMs(straight.log));
    assertEquals(
      noMs(await readSteps(`${b}/${RUN_FILES.steps}`)),
      noMs(straight.log),
    );
    assertEquals(resumed.eval, straight.eval);
    const info = await readRunInfo(b);
    assertEquals(info.sessions.map((s) => [s.fromStep, s.status]), [
      [0, "aborted"],
      [Math.floor(killAfter / every) * every, "finished"],
    ]);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
}

Deno.test("train: 10 steps straight = killed after 7 (checkpoint at 6) + resume", async () => {
  await resumeMatches({ steps: 10, checkpointEvery: 3 }, 7);
});

Deno.test("train: resume is exact across epochs with stateful Adap-τ and trainable α", async () => {
  // ≈ 7 batches of 64 per epoch: 20 steps cross two epoch boundaries, and
  // Adap-τ's per-query scales (after its one warm-up epoch) come from
  // losses recorded before and after the kill.
  await resumeMatches({
    steps: 20,
    checkpointEvery: 4,
    loss: { kind: "adap-tau", warmupEpochs: 1 },
  }, 14);
  await resumeMatches({
    steps: 12,
    checkpointEvery: 5,
    loss: { kind: "adaptive-margin", trainable: true },
  }, 11);
});

Deno.test("train: resume is exact with lazy Adam on the embedding tables", async () => {
  // Lazy Adam's moments live in JavaScript and go into the same
  // optimizer file; an item-id table exercises the merged lookups.
  await resumeMatches({
    tower: { ...PLAIN_TOWER, hidden: [32], itemIdEmbedding: true },
    loss: { kind: "adaptive-margin" },
    optimizer: { tables: "lazy" },
    steps: 9,
    checkpointEvery: 4,
  }, 6);
});

Deno.test("train: resume is exact with sampled negatives on the multi-head DPSR tower", async () => {
  await resumeMatches({
    tower: DPSR_TOWER,
    loss: { kind: "dpsr-hinge", randomNegatives: 8 },
    steps: 8,
    checkpointEvery: 3,
  }, 5);
});

Deno.test("train: run folder, Arrow step log and run.json", async () => {
  const dir = await tmp();
  try {
    const live: number[] = [];
    const r = await train(
      config({ steps: 6, checkpointEvery: 2, evalEvery: 3 }),
      {
        dataset: ds,
        outDir: dir,
        quiet: true,
        onStep: () => live.push(tf.memory().numTensors),
      },
    );
    // No tensor leaks from steps, checkpoints (after 2, 4) or evaluation (3).
    assertEquals(live[4], live[1], `live tensors by step: ${live}`);
    const files = [];
    for await (const e of Deno.readDir(dir)) files.push(e.name);
    files.sort();
    assertEquals(files, [
      "checkpoint.json",
      "config.json",
      "eval.json",
      "optimizer-0000006.bin",
      "run.json",
      "steps.arrow",
      "valid.arrow",
      "weights-0000006.bin",
    ]);
    const bytes = await Deno.readFile(`${dir}/steps.arrow`);
    assertEquals(new TextDecoder().decode(bytes.subarray(0, 6)), "ARROW1");
    const table = tableFromIPC(bytes);
    assertEquals(table.numRows, 6);
    assertEquals(
      table.schema.fields.map((f) => f.name),
      Object.values(STEP_COLUMNS),
    );
    assertEquals(String(table.schema.fields[0].type), "Int32");
    assertEquals(String(table.getChild("loss")!.type), "Float64");
    assertEquals(Array.from(table.getChild("step")!.toArray()), [
      1,
      2,
      3,
      4,
      5,
      6,
    ]);
    const loss = table.getChild("loss")!.toArray() as Float64Array;
    assertEquals(Array.from(loss), r.log.map((x) => x.loss));
    // Adaptive softmax logs its τ statistics: τ0 ≤ min ≤ mean ≤ max.
    const row = r.log[0];
    assertTrue(
      row.paramMin >= 1 / 30 - 1e-6 && row.paramMin <= row.paramMean,
      JSON.stringify(row),
    );
    assertTrue(row.paramMean <= row.paramMax, JSON.stringify(row));
    assertTrue(Math.abs(row.positiveTemperature - 1 / 30) < 1e-6);
    assertTrue(Number.isFinite(row.lossItem) && row.gradNorm > 0);
    const valid = tableFromIPC(await Deno.readFile(`${dir}/valid.arrow`));
    assertEquals(Array.from(valid.getChild("step")!.toArray()), [3, 6]);
    const info = await readRunInfo(dir);
    assertEquals(info.status, "finished");
    assertEquals(info.dataset.name, ds.meta.name);
    assertEquals(info.dataset.hashOf, "contents");
    assertEquals(info.sessions[0].backend.name, "wasm");
    assertTrue(typeof info.sessions[0].startedAt === "string");
    // Wall-clock times only in run.json.
    for (const f of ["config.json", "eval.json", "checkpoint.json"]) {
      const text = await Deno.readTextFile(`${dir}/${f}`);
      assertTrue(!/\d{4}-\d\d-\d\dT\d\d:/.test(text), `${f} has a timestamp`);
    }
    const ev = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
    assertEquals(ev.configHash, r.configHash);
    assertEquals(ev.backend.name, "wasm");
    assertEquals(ev.batchRecall.split, "test");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: resuming with another config is refused", async () => {
  const dir = await tmp();
  try {
    await train(config({ steps: 2 }), {
      dataset: ds,
      outDir: dir,
      quiet: true,
    });
    await assertRejects(
      () => resumeIn(config({ steps: 3 }), dir),
      TrainError,
      "config",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: steps 0 records the untrained model", async () => {
  const dir = await tmp();
  try {
    const r = await train(config({ steps: 0 }), {
      dataset: ds,
      outDir: dir,
      quiet: true,
    });
    assertEquals(r.log.length, 0);
    assertEquals((await readManifest(dir)).optimizer, null);
    assertTrue((r.eval as { batchRecall: unknown }).batchRecall !== null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
