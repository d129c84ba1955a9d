/**
 * The reference steps of `deno task bench`: the training loop's own steps
 * (`train()`, as `deno task train` runs them) for the DSSM and MGDSPR
 * reference models, on today's default path — one thread, dense Adam on
 * the embedding tables — and on the faster paths: two workers
 * (`--threads 2`: one tower each, the same numbers, or for towers that
 * share weights such as MGDSPR's half of each batch each, the same
 * numbers up to float rounding) and lazy table updates
 * (`optimizer.tables: "lazy"`, another optimiser: only the rows a batch
 * used move). Each variant is a short run into a temporary folder, with
 * no evaluation or checkpoint inside the timed steps; its step times are
 * the loop's own `ms` column, and its memory the largest resident size
 * seen after a step (the workers are threads of this process, so their
 * memory counts).
 *
 * @module
 */

import {
  type Dataset,
  DEFAULT_BATCH_SIZE,
  DEFAULT_SEED,
  type Profile,
} from "../data/mod.ts";
import type { TowerKind } from "../towers/mod.ts";
import {
  type ParallelSplit,
  type TablesMode,
  train,
  type TrainConfigInput,
} from "../train/mod.ts";
import { summarise } from "./steps.ts";
import type { Timing } from "./result.ts";

/** One way to run the steps. */
export interface StepVariant {
  /** Embedding-table updates. */
  tables: TablesMode;
  /** Cores (2: one worker per tower). */
  threads: 1 | 2;
}

/** Today's default path, which the others are compared with. */
export const DEFAULT_PATH: StepVariant = { tables: "dense", threads: 1 };

/** The variants timed, the default path first. */
export const STEP_VARIANTS: readonly StepVariant[] = [
  DEFAULT_PATH,
  { tables: "dense", threads: 2 },
  { tables: "lazy", threads: 1 },
  { tables: "lazy", threads: 2 },
];

/** The reference step's timing on one path. */
export interface ReferenceStep extends Timing {
  /** Tower kind. */
  kind: TowerKind;
  /** The path asked for. */
  variant: StepVariant;
  /** Cores the loop actually used (1 where the backend cannot start workers). */
  threadsUsed: number;
  /** With two: one tower per worker, or halves of each batch. */
  split: ParallelSplit | null;
  /** Steps per second at the median. */
  stepsPerSec: number;
  /** Median step time of the default path divided by this one's. */
  speedup: number;
  /** Largest resident size after a step, MB. */
  maxRssMb: number;
  /** Loss at the first and the last timed step. */
  loss: [number, number];
}

/** Options of {@link benchReferenceSteps}. */
export interface ReferenceOptions {
  /** Tower kinds (default dssm and mgdspr). */
  kinds?: readonly TowerKind[];
  /** Paths (default {@link STEP_VARIANTS}; `threads: 1` forces one thread). */
  variants?: readonly StepVariant[];
  /** Timed steps per path after the warm-up. */
  steps: number;
  /** Untimed steps first (at least 1: the first step builds the backend's caches). */
  warmup: number;
  /** Batch size (default 350). */
  batchSize?: number;
  /** Seed of the runs. */
  seed?: number;
  /** Settings over each kind's reference ones (tests use small towers). */
  tower?: Record<string, unknown>;
  /** The config profile whose tower settings are used (default "full"). */
  profile?: Profile;
  /** Progress lines. */
  progress?: (line: string) => void;
}

/**
 * Times the training loop's steps on `ds` for each tower kind and path
 * (see the module documentation). The towers are the kinds' reference
 * settings (their defaults at the `full` profile).
 */
export async function benchReferenceSteps(
  ds: Dataset,
  options: ReferenceOptions,
): Promise<ReferenceStep[]> {
  const kinds = options.kinds ?? ["dssm", "mgdspr"];
  const variants = options.variants ?? STEP_VARIANTS;
  const out: ReferenceStep[] = [];
  const dir = await Deno.makeTempDir({ prefix: "bench_reference_" });
  try {
    for (const kind of kinds) {
      let base: number | null = null;
      for (const variant of variants) {
        options.progress?.(
          `reference step: ${kind}, ${variant.tables} tables, ${variant.threads} thread(s)`,
        );
        const ms: number[] = [];
        const losses: number[] = [];
        let maxRss = 0;
        const config = {
          data: "memory",
          profile: options.profile ?? "full",
          seed: options.seed ?? DEFAULT_SEED,
          tower: { ...options.tower, kind },
          loss: { kind: "adaptive-margin" },
          batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
          steps: Math.max(1, options.warmup) + options.steps,
          evalEvery: 0,
          checkpointEvery: 0,
          optimizer: { tables: variant.tables },
        } as TrainConfigInput;
        const outDir = `${dir}/${kind}-${variant.tables}-${variant.threads}`;
        const r = await train(config, {
          dataset: ds,
          outDir,
          quiet: true,
          threads: variant.threads,
          // The test split's evaluation is not timed; skip its cost.
          evaluate: () => ({}),
          onStep: (row) => {
            if (row.step > Math.max(1, options.warmup)) {
              ms.push(row.ms);
              losses.push(row.loss);
            }
            maxRss = Math.max(maxRss, Deno.memoryUsage().rss);
          },
        });
        await Deno.remove(outDir, { recursive: true });
        const t = summarise(ms);
        base ??= t.medianMs;
        out.push({
          kind,
          variant,
          threadsUsed: r.threads,
          split: r.split ?? null,
          ...t,
          stepsPerSec: 1000 / t.medianMs,
          speedup: base / t.medianMs,
          maxRssMb: maxRss / 2 ** 20,
          loss: [losses[0], losses[losses.length - 1]],
        });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return out;
}

/** The reference steps as a text table. */
export function formatReferenceSteps(rows: readonly ReferenceStep[]): string {
  const lines = [
    "reference steps (the training loop's own, adaptive margin, batch 350; speed-up against 1 thread with dense tables, today's default):",
    "  tower   tables threads (split)  median ms   min ms   max ms  steps/s  speed-up  max RSS MB",
  ];
  for (const r of rows) {
    const threads = r.threadsUsed === r.variant.threads
      ? `${r.threadsUsed}`
      : `${r.threadsUsed}*`;
    const split = r.split ? ` (${r.split})` : "";
    lines.push(
      `  ${r.kind.padEnd(7)} ${r.variant.tables.padEnd(6)} ${
        (threads + split).padStart(15)
      } ${r.medianMs.toFixed(0).padStart(10)} ${
        r.minMs.toFixed(0).padStart(8)
      } ${r.maxMs.toFixed(0).padStart(8)} ${
        r.stepsPerSec.toFixed(2).padStart(8)
      } ${(r.speedup.toFixed(2) + "×").padStart(9)} ${
        r.maxRssMb.toFixed(0).padStart(11)
      }`,
    );
  }
  if (rows.some((r) => r.split === "halves")) {
    lines.push(
      "  halves: the towers share weights (MGDSPR's item-id and word tables), so each worker ran both towers on half of each batch; same numbers up to float rounding",
    );
  }
  if (rows.some((r) => r.threadsUsed !== r.variant.threads)) {
    lines.push(
      "  * the backend cannot start workers (tfjs-node threads its own kernels): ran on one thread",
    );
  }
  return lines.join("\n");
}
