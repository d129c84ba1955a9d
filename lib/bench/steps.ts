/**
 * The training-step part of `deno task bench`: a training step (tower
 * forward + loss + backward + Adam) timed per loss, the losses taken in an
 * ABBA order, and the loss alone on fixed embeddings.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  adaptiveMarginLoss,
  adaptiveSoftmaxLoss,
  type LossResult,
  MARGIN_LOSS_OPTIONS,
  marginLoss,
  SOFTMAX_LOSS_OPTIONS,
  softmaxLoss,
} from "../losses/mod.ts";
import type { TowerInputs, TwoTowerModel, Weights } from "../towers/mod.ts";
import {
  DEFAULT_OPTIMIZER,
  LazyTableAdam,
  variableGradsWithTables,
} from "../train/mod.ts";
import { median } from "../eval/mod.ts";
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_SEED,
  iterateBatches,
  type Profile,
  type TrainingPairs,
  valueLabel,
} from "../data/mod.ts";
import {
  BENCH_LOSSES,
  type BenchLoss,
  type BenchOptions,
  type StepBench,
  type StepParams,
  type TablesMode,
  type Timing,
} from "./result.ts";

/** Temperature of the fixed softmax loss timed: the loss's default, 1/30. */
export const SOFTMAX_TAU: number = SOFTMAX_LOSS_OPTIONS.temperature.default;
/** Margin of the fixed margin loss timed: the loss's default, 0.1. */
export const MARGIN: number = MARGIN_LOSS_OPTIONS.margin.default;

// The lazy tables' Adam: the training defaults without the clipping.
const { clipNorm: _clipNorm, ...ADAM } = DEFAULT_OPTIMIZER;

/**
 * The {@link StepParams} a result records: the run's own settings and the
 * learning rate and softmax temperature every timed step uses.
 */
export function stepParams(run: StepRun): StepParams {
  return { ...run, lr: DEFAULT_OPTIMIZER.lr, softmaxTemperature: SOFTMAX_TAU };
}

/** A run's own settings of its timed steps (see {@link resolveStepRun}). */
export type StepRun = Omit<StepParams, "lr" | "softmaxTemperature">;

/**
 * The step settings of {@link BenchOptions}; the kernel profile's options
 * have them too, with other defaults for steps and warm-up.
 */
export type StepRunOptions = Pick<
  BenchOptions,
  "profile" | "steps" | "warmup" | "batchSize" | "items" | "seed"
>;

/** `v` when it is an integer ≥ `lo`; else a RangeError naming option `name`. */
export function checkedInt(name: string, v: number, lo = 1): number {
  if (!Number.isInteger(v) || v < lo) {
    throw new RangeError(
      `bench: option "${name}" must be an integer ≥ ${lo}, got ${v}`,
    );
  }
  return v;
}

/**
 * The step settings of `options` with their defaults (steps and warm-up per
 * profile from `defaults`), checked: a RangeError names the first bad option.
 */
export function resolveStepRun(
  options: StepRunOptions,
  defaults: Record<Profile, { steps: number; warmup: number }>,
): StepRun {
  const profile = options.profile ?? "full";
  const steps = checkedInt("steps", options.steps ?? defaults[profile].steps);
  const warmup = checkedInt(
    "warmup",
    options.warmup ?? defaults[profile].warmup,
    0,
  );
  const batchSize = checkedInt(
    "batch",
    options.batchSize ?? DEFAULT_BATCH_SIZE,
    2,
  );
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) {
    throw new RangeError(
      `bench: option "seed" must be an integer, got ${seed}`,
    );
  }
  if (options.items !== undefined) checkedInt("items", options.items);
  return { profile, steps, warmup, batchSize, seed };
}

type LossFn = (q: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor) => LossResult;

const LOSS_FNS: Record<BenchLoss, LossFn> = {
  softmax: (q, v, mask) =>
    softmaxLoss(q, v, { temperature: SOFTMAX_TAU, mask }),
  margin: (q, v, mask) => marginLoss(q, v, { margin: MARGIN, mask }),
  adaptiveSoftmax: (q, v, mask) => adaptiveSoftmaxLoss(q, v, { mask }),
  adaptiveMargin: (q, v, mask) => adaptiveMarginLoss(q, v, { mask }),
};

/** Each timed loss as the report names it. */
export const LOSS_LABELS: Record<BenchLoss, string> = {
  softmax: `softmax τ=${valueLabel(SOFTMAX_TAU)}`,
  margin: `margin δ=${valueLabel(MARGIN)}`,
  adaptiveSoftmax: "adaptive softmax",
  adaptiveMargin: "adaptive margin",
};

/** Median, min and max of timings in ms. */
export function summarise(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  return { medianMs: median(s), minMs: s[0], maxMs: s[s.length - 1] };
}

// ---------------------------------------------------------------------------
// Training steps

/** What the timed training steps share: the model, its initial weights, inputs and batches. */
export interface StepContext {
  model: TwoTowerModel;
  /** Weights every loss starts from. */
  initial: Weights;
  inputs: TowerInputs;
  batches: { queryRow: Int32Array; itemRow: Int32Array; mask: tf.Tensor }[];
  warmup: number;
}

/**
 * The first `count` full batches of `pairs` (seeded), each with its
 * accidental-hit mask as a tensor (the caller disposes them); `caller`
 * names the refusal when the pairs give no full batch.
 */
export function tensorBatches(
  pairs: TrainingPairs,
  options: { batchSize: number; seed: number; count: number; caller: string },
): StepContext["batches"] {
  const { batchSize, seed, count, caller } = options;
  const batches: StepContext["batches"] = [];
  for (const b of iterateBatches(pairs, { batchSize, seed, dropLast: true })) {
    batches.push({
      queryRow: b.queryRow,
      itemRow: b.itemRow,
      mask: tf.tensor2d(b.mask, [batchSize, batchSize]),
    });
    if (batches.length >= count) break;
  }
  if (batches.length === 0) {
    throw new RangeError(
      `${caller}: ${pairs.queryId.length} training pairs give no full batch of ${batchSize}`,
    );
  }
  return batches;
}

/** Raw per-step timings of one pass. */
export interface StepTimes {
  step: number[];
  fwd: number[];
  adam: number[];
  losses: number[];
}

/** Times `steps` training steps (after `warmup` untimed ones) of `loss` with dense or lazy Adam on the tables. */
export function timeTraining(
  ctx: StepContext,
  loss: BenchLoss,
  options: { steps: number; tables?: TablesMode },
): StepTimes {
  const { steps, tables = "dense" } = options;
  // One model for all losses, reset to the same initial weights: creating
  // a model per loss would cost an 18M-weight initialisation each time.
  const model = ctx.model;
  model.setWeights(ctx.initial);
  const opt = tf.train.adam(DEFAULT_OPTIMIZER.lr);
  const fn = LOSS_FNS[loss];
  // Lazy: the row-sparse tables leave tfjs' Adam (as lib/train does).
  const names = Object.keys(ctx.initial);
  const all = model.variables();
  const sparse = new Set(tables === "lazy" ? model.rowSparse() : []);
  const denseVars = all.filter((_, i) => !sparse.has(names[i]));
  const lazy = tables === "lazy"
    ? new LazyTableAdam(
      Object.fromEntries(
        all.flatMap((v, i) => sparse.has(names[i]) ? [[names[i], v]] : []),
      ),
      ADAM,
    )
    : null;
  const step: number[] = [];
  const fwd: number[] = [];
  const adam: number[] = [];
  const losses: number[] = [];
  try {
    for (let s = 0; s < ctx.warmup + steps; s++) {
      const b = ctx.batches[s % ctx.batches.length];
      const t0 = performance.now();
      const lossFn = () =>
        tf.tidy(() => {
          const q = model.encodeQueries(ctx.inputs, b.queryRow, {
            training: true,
          });
          const v = model.encodeItems(ctx.inputs, b.itemRow, {
            training: true,
          });
          return fn(q, v, b.mask).loss;
        });
      const { value, grads, rows } = variableGradsWithTables(
        lossFn,
        denseVars,
        { tables: lazy?.tables() ?? null },
      );
      const lossValue = value.dataSync()[0];
      const t1 = performance.now();
      const denseGrads = denseVars.map((v) => ({
        name: v.name,
        tensor: grads[v.name] ?? tf.zerosLike(v),
      }));
      opt.applyGradients(denseGrads);
      lazy?.apply(rows);
      // Reading a weight waits for the update on asynchronous backends: the
      // last one, updated last and small (the first is a 36 MB table whose
      // read-back cost 123 ms, docs/performance.md#profile).
      model.variables().at(-1)!.dataSync();
      const t2 = performance.now();
      tf.dispose(grads);
      tf.dispose(denseGrads.map((g) => g.tensor));
      value.dispose();
      if (!Number.isFinite(lossValue)) {
        throw new Error(`bench: ${loss} loss is ${lossValue} at step ${s}`);
      }
      if (s >= ctx.warmup) {
        step.push(t2 - t0);
        fwd.push(t1 - t0);
        adam.push(t2 - t1);
        losses.push(lossValue);
      }
    }
  } finally {
    opt.dispose();
  }
  return { step, fwd, adam, losses };
}

/**
 * Runs `run(loss, n)` for every loss in order with the first ⌈steps/2⌉
 * steps, then in reverse order with the rest (an ABBA design): a machine
 * whose load drifts during the run then biases no loss against another.
 */
export function abba<T>(
  steps: number,
  run: (loss: BenchLoss, n: number) => T,
): Record<BenchLoss, T[]> {
  const out = {} as Record<BenchLoss, T[]>;
  for (const loss of BENCH_LOSSES) out[loss] = [];
  const first = Math.ceil(steps / 2);
  for (const loss of BENCH_LOSSES) out[loss].push(run(loss, first));
  if (steps > first) {
    for (const loss of [...BENCH_LOSSES].reverse()) {
      out[loss].push(run(loss, steps - first));
    }
  }
  return out;
}

/** The step timing of a loss from its passes: median, min, max, throughput, loss before and after. */
export function stepBench(passes: StepTimes[], batchSize: number): StepBench {
  const all = (k: keyof StepTimes) => passes.flatMap((p) => p[k]);
  const t = summarise(all("step"));
  const stepsPerSec = 1000 / t.medianMs;
  const losses = passes[0].losses;
  return {
    ...t,
    stepsPerSec,
    examplesPerSec: stepsPerSec * batchSize,
    fwdBwdMs: median(all("fwd")),
    adamMs: median(all("adam")),
    loss: [losses[0], losses[losses.length - 1]],
  };
}

/** Times forward + backward of a loss alone on fixed embeddings (ms per step). */
export function timeLossOnly(
  loss: BenchLoss,
  ctx: { q: tf.Tensor2D; v: tf.Tensor2D; mask: tf.Tensor },
  reps: { steps: number; warmup: number },
): number[] {
  const fn = LOSS_FNS[loss];
  const grad = tf.grads((q: tf.Tensor, v: tf.Tensor) =>
    fn(q as tf.Tensor2D, v as tf.Tensor2D, ctx.mask).loss
  );
  const ms: number[] = [];
  for (let s = 0; s < reps.warmup + reps.steps; s++) {
    const t0 = performance.now();
    const g = grad([ctx.q, ctx.v]);
    for (const t of g) t.dataSync();
    const t1 = performance.now();
    tf.dispose(g);
    if (s >= reps.warmup) ms.push(t1 - t0);
  }
  return ms;
}
