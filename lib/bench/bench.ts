/**
 * `deno task bench`: speed of the reference model and of its retrieval
 * index on the running tfjs backend.
 *
 * ```sh
 * deno task bench [--quick] [--backend auto|node|wasm|cpu] [--steps N]
 *   [--warmup N] [--items N] [--queries N] [--nlist N] [--batch N]
 *   [--encode-batch N] [--tower JSON] [--seed N] [--json FILE]
 * ```
 *
 * Reference model: the DSSM tower with its defaults (300-300-128, d = 128),
 * batch 350, Adam (lr 1e-3), on the synthetic `full` catalogue (`quick`
 * with `--quick`). Reported, in this order:
 * 1. training steps/s for fixed softmax (τ = 1/30), fixed margin (δ = 0.1),
 *    adaptive softmax and adaptive margin (their defaults), each with the
 *    accidental-hit masks of real batches; a step is tower forward + loss +
 *    backward (`tf.variableGrads`) + Adam. Median, min and max over the
 *    timed steps after warm-up, and the adaptive/fixed ratio per family.
 *    One model serves all four, reset to the same initial weights before
 *    each pass; the losses run in order with half the steps, then in
 *    reverse order with the other half (each pass warmed up), so load
 *    that drifts during the run does not favour one loss.
 *    Then the adaptive-margin step again with dense and with lazy Adam on
 *    the embedding tables (`optimizer.tables`), ABBA-ordered, and the
 *    dense/lazy step-time ratio.
 * 2. the loss alone: forward + backward (`tf.grads`) on fixed random
 *    L2-normalised [B, d] embeddings with a real batch's mask, so the
 *    loss's own cost is visible apart from the tower's.
 * 3. encode throughput (forward only, `tf.tidy` + `dataSync`) of all
 *    catalogue items and of the test queries, in batches of 1,000.
 * 4. IVF-PQ over two sets of the same size: the UNTRAINED DSSM's item
 *    embeddings with the encoded test queries, and a seeded clustered
 *    random set — plus, with `--run DIR`, a trained run's item and
 *    test-query embeddings (its own catalogue); build time, then per
 *    nprobe ∈ {1, 4, 16, 64} queries/s and recall@10 against exact search,
 *    and exact search's own queries/s. With isotropic noise inside a
 *    cluster the clustered set is PQ's hardest case: once nprobe covers a
 *    query's cluster, recall stops at what 16 one-byte codes resolve.
 *
 * Timings depend on the machine and its load; nothing here asserts speed.
 * Exit status: 0 done, 1 failed, 2 bad command line.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import {
  BACKEND_REQUESTS,
  type BackendInfo,
  type BackendRequest,
  formatBackendInfo,
  initBackend,
} from "../backend/mod.ts";
import {
  generateSynthetic,
  iterateBatches,
  Rng,
  stableJson,
  type SyntheticProfile,
  trainingPairs,
  writeTextAtomic,
} from "../data/mod.ts";
import {
  createTower,
  type TowerConfigInput,
  type TowerInputs,
  type TwoTowerModel,
  type Weights,
} from "../towers/mod.ts";
import {
  adaptiveMarginLoss,
  adaptiveSoftmaxLoss,
  type LossResult,
  marginLoss,
  softmaxLoss,
} from "../losses/mod.ts";
import { LazyTableAdam, variableGradsWithTables } from "../train/lazy_adam.ts";
import { loadRun } from "../train/run_files.ts";
import { exactSearch, IvfPqIndex, type SearchResult } from "../eval/mod.ts";

/** Version of the JSON written by `--json`. */
export const BENCH_FORMAT = 1;

/** The four losses timed, in report order. */
export const BENCH_LOSSES = [
  "softmax",
  "margin",
  "adaptiveSoftmax",
  "adaptiveMargin",
] as const;

/** Name of a timed loss. */
export type BenchLoss = typeof BENCH_LOSSES[number];

/** How Adam updates the embedding tables (`optimizer.tables` of lib/train). */
export type TablesMode = "dense" | "lazy";

/** nprobe values searched (those above nlist are skipped). */
export const BENCH_NPROBES: readonly number[] = [1, 4, 16, 64];

/** Options of {@link runBench}; every field has a default. */
export interface BenchOptions {
  /** tfjs backend request (default: `initBackend`'s, i.e. env var or auto). */
  backend?: BackendRequest;
  /** Synthetic profile (default "full"). */
  profile?: SyntheticProfile;
  /** Timed training steps per loss (default 20; quick 3). */
  steps?: number;
  /** Untimed warm-up steps before them (default 2; quick 1). */
  warmup?: number;
  /** Catalogue size (default: the profile's, full 20,000). */
  items?: number;
  /** Test queries encoded and searched, at most (default: all of the split). */
  queries?: number;
  /** Training batch size (default 350). */
  batchSize?: number;
  /** Encoding batch size (default 1,000). */
  encodeBatch?: number;
  /** IVF lists (default: largest power of two ≤ 2√n, at most 256). */
  nlist?: number;
  /** DSSM settings over its defaults (default none: the reference model). */
  tower?: Record<string, unknown>;
  /** Seed of data, weights, random embeddings and index (default 1). */
  seed?: number;
  /**
   * A trained run folder (`deno task train`): IVF-PQ is also measured on
   * its item and test-query embeddings (default: none).
   */
  run?: string;
  /** Dataset folder of `run` (default: the run's `config.data`). */
  runData?: string;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

/** Summary of repeated timings, in milliseconds. */
export interface Timing {
  /** Median. */
  medianMs: number;
  /** Fastest. */
  minMs: number;
  /** Slowest. */
  maxMs: number;
}

/** Training-step timing of one loss. */
export interface StepBench extends Timing {
  /** 1000 / median step ms. */
  stepsPerSec: number;
  /** stepsPerSec × batch size. */
  examplesPerSec: number;
  /** Median ms of forward + loss + backward. */
  fwdBwdMs: number;
  /** Median ms of the Adam update. */
  adamMs: number;
  /** Loss at the first and the last timed step of the first pass. */
  loss: [number, number];
}

/** Throughput of encoding `count` rows. */
export interface EncodeBench {
  /** Rows encoded. */
  count: number;
  /** Total ms (after one untimed warm-up batch). */
  ms: number;
  /** Rows per second. */
  perSec: number;
}

/** Search at one nprobe. */
export interface ProbeBench {
  /** Lists probed. */
  nprobe: number;
  /** Total search ms for all queries. */
  ms: number;
  /** Queries per second. */
  qps: number;
  /** Mean |IVF-PQ top-10 ∩ exact top-10| / 10. */
  recallAt10: number;
}

/** IVF-PQ over one embedding set. */
export interface IndexBench {
  /** Which vectors: "dssm-untrained" or "clustered-random". */
  set: string;
  /** How they were made. */
  description: string;
  /** Vectors indexed. */
  n: number;
  /** Queries searched. */
  nq: number;
  /** Dimension. */
  d: number;
  /** Inverted lists. */
  nlist: number;
  /** Sub-quantisers. */
  m: number;
  /** Bits per code. */
  nbits: number;
  /** Build ms (k-means training + encoding). */
  buildMs: number;
  /** Index size in bytes. */
  memoryBytes: number;
  /** Exact top-10 search of all queries. */
  exact: { ms: number; qps: number };
  /** One entry per nprobe ≤ nlist. */
  probes: ProbeBench[];
}

/** Everything {@link runBench} measured, as written by `--json`. */
export interface BenchResult {
  /** {@link BENCH_FORMAT}. */
  format: number;
  /** ISO time the run started. */
  startedAt: string;
  /** Backend in use. */
  backend: BackendInfo;
  /** Resolved parameters. */
  params: {
    profile: SyntheticProfile;
    steps: number;
    warmup: number;
    batchSize: number;
    encodeBatch: number;
    seed: number;
    lr: number;
    nlist: number;
    m: number;
    nbits: number;
    nprobes: number[];
    softmaxTemperature: number;
    margin: number;
  };
  /** Data used. */
  dataset: {
    name: string;
    items: number;
    queries: number;
    trainingPairs: number;
    testQueries: number;
  };
  /** The tower timed. */
  model: {
    kind: string;
    hidden: number[];
    dim: number;
    weights: number;
  };
  /** Full training steps per loss. */
  training: Record<BenchLoss, StepBench>;
  /** Forward + backward of the loss alone per loss. */
  lossOnly: Record<BenchLoss, Timing>;
  /**
   * The adaptive-margin step with dense and with lazy Adam on the
   * embedding tables, and dense / lazy median ms.
   */
  tables: { dense: StepBench; lazy: StepBench; speedup: number };
  /** Adaptive / fixed median ms, per family. */
  ratios: {
    training: { softmax: number; margin: number };
    lossOnly: { softmax: number; margin: number };
    /**
     * 1 + (adaptive − fixed loss-alone median) / fixed step median: the
     * step ratio the loss's own overhead predicts. Less noisy than
     * `training` on a loaded machine, whose step medians vary ±15%.
     */
    fromLossOnly: { softmax: number; margin: number };
  };
  /** Encode throughput. */
  encode: { items: EncodeBench; queries: EncodeBench };
  /** IVF-PQ per embedding set. */
  ivfPq: IndexBench[];
}

const SOFTMAX_TAU = 1 / 30;
const MARGIN = 0.1;
const LR = 1e-3;
const PQ_M = 16;
const PQ_NBITS = 8;
const TOP_K = 10;

type LossFn = (q: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor) => LossResult;

const LOSS_FNS: Record<BenchLoss, LossFn> = {
  softmax: (q, v, mask) =>
    softmaxLoss(q, v, { temperature: SOFTMAX_TAU, mask }),
  margin: (q, v, mask) => marginLoss(q, v, { margin: MARGIN, mask }),
  adaptiveSoftmax: (q, v, mask) => adaptiveSoftmaxLoss(q, v, { mask }),
  adaptiveMargin: (q, v, mask) => adaptiveMarginLoss(q, v, { mask }),
};

const LOSS_LABELS: Record<BenchLoss, string> = {
  softmax: "softmax τ=1/30",
  margin: "margin δ=0.1",
  adaptiveSoftmax: "adaptive softmax",
  adaptiveMargin: "adaptive margin",
};

function summarise(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  const h = s.length >> 1;
  return {
    medianMs: s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2,
    minMs: s[0],
    maxMs: s[s.length - 1],
  };
}

function median(ms: number[]): number {
  return summarise(ms).medianMs;
}

function positiveInt(name: string, v: number, lo = 1): number {
  if (!Number.isInteger(v) || v < lo) {
    throw new RangeError(
      `bench: option "${name}" must be an integer ≥ ${lo}, got ${v}`,
    );
  }
  return v;
}

/** Largest power of two ≤ 2√n, at most 256 (n = 20,000 gives 256). */
function defaultNlist(n: number): number {
  let p = 1;
  while (p * 2 <= Math.min(256, 2 * Math.sqrt(n))) p *= 2;
  return p;
}

// ---------------------------------------------------------------------------
// Training steps

interface StepContext {
  model: TwoTowerModel;
  /** Weights every loss starts from. */
  initial: Weights;
  inputs: TowerInputs;
  batches: { queryRow: Int32Array; itemRow: Int32Array; mask: tf.Tensor }[];
  warmup: number;
}

/** Raw per-step timings of one pass. */
interface StepTimes {
  step: number[];
  fwd: number[];
  adam: number[];
  losses: number[];
}

function timeTraining(
  ctx: StepContext,
  loss: BenchLoss,
  options: { steps: number; tables?: TablesMode },
): StepTimes {
  const { steps, tables = "dense" } = options;
  // One model for all losses, reset to the same initial weights: creating
  // a model per loss would cost an 18M-weight initialisation each time.
  const model = ctx.model;
  model.setWeights(ctx.initial);
  const opt = tf.train.adam(LR);
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
      { lr: LR, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
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
        { lazy },
      );
      const lossValue = value.dataSync()[0];
      const t1 = performance.now();
      const denseGrads = denseVars.map((v) => ({
        name: v.name,
        tensor: grads[v.name] ?? tf.zerosLike(v),
      }));
      opt.applyGradients(denseGrads);
      lazy?.apply(rows);
      // Reading a weight waits for the update on asynchronous backends.
      model.variables()[0].dataSync();
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
function abba<T>(
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

function stepBench(passes: StepTimes[], batchSize: number): StepBench {
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

function randomUnitRows(rng: Rng, rows: number, d: number): Float32Array {
  const x = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const z = rng.normal();
      x[r * d + j] = z;
      norm += z * z;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < d; j++) x[r * d + j] *= inv;
  }
  return x;
}

function timeLossOnly(
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

// ---------------------------------------------------------------------------
// Encoding

function encodeRows(
  model: TwoTowerModel,
  inputs: TowerInputs,
  options: { side: "query" | "item"; rows: Int32Array; batch: number },
): { vectors: Float32Array; bench: EncodeBench } {
  const { side, rows, batch } = options;
  const d = model.dim;
  const run = (r: Int32Array) =>
    tf.tidy(() =>
      side === "item"
        ? model.encodeItems(inputs, r)
        : model.encodeQueries(inputs, r)
    );
  // One untimed batch: first calls compile kernels and allocate.
  tf.dispose(run(rows.subarray(0, Math.min(batch, rows.length))));
  const vectors = new Float32Array(rows.length * d);
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    const t = run(rows.subarray(i, Math.min(rows.length, i + batch)));
    vectors.set(t.dataSync() as Float32Array, i * d);
    t.dispose();
  }
  const ms = performance.now() - t0;
  return {
    vectors,
    bench: { count: rows.length, ms, perSec: rows.length / (ms / 1000) },
  };
}

// ---------------------------------------------------------------------------
// IVF-PQ

/**
 * A seeded mixture of `clusters` Gaussian blobs on the unit sphere: centre
 * c ~ N(0, I)/‖·‖, point = normalise(c + 0.5·z/√d), z ~ N(0, I), so points
 * of one cluster have cosine ≈ 0.8 with each other. Items and queries are
 * drawn from the same mixture.
 */
function clusteredSet(
  rng: Rng,
  options: { n: number; nq: number; d: number; clusters: number },
): { items: Float32Array; queries: Float32Array } {
  const { d, clusters } = options;
  const centres = randomUnitRows(rng, clusters, d);
  const draw = (rows: number) => {
    const x = randomUnitRows(rng, rows, d);
    const scale = 0.5;
    for (let r = 0; r < rows; r++) {
      const c = rng.int(clusters);
      let norm = 0;
      for (let j = 0; j < d; j++) {
        const y = centres[c * d + j] + scale * x[r * d + j];
        x[r * d + j] = y;
        norm += y * y;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let j = 0; j < d; j++) x[r * d + j] *= inv;
    }
    return x;
  };
  return { items: draw(options.n), queries: draw(options.nq) };
}

function recallAt(approx: SearchResult, exact: SearchResult, k: number) {
  let hits = 0;
  for (let q = 0; q < exact.nq; q++) {
    const truth = new Set(exact.ids.subarray(q * exact.k, q * exact.k + k));
    for (let j = 0; j < k; j++) {
      if (truth.has(approx.ids[q * approx.k + j])) hits++;
    }
  }
  return hits / (exact.nq * k);
}

function benchIndex(
  set: { name: string; description: string },
  data: { items: Float32Array; queries: Float32Array; d: number },
  options: { nlist: number; seed: number; progress: (s: string) => void },
): IndexBench {
  const { items, queries, d } = data;
  const n = items.length / d;
  const nq = queries.length / d;
  const warm = queries.subarray(0, Math.min(nq, 16) * d);
  exactSearch(warm, items, { k: TOP_K, d });
  let t0 = performance.now();
  const exact = exactSearch(queries, items, { k: TOP_K, d });
  const exactMs = performance.now() - t0;
  options.progress(`  ${set.name}: building IVF-PQ over ${n} vectors`);
  t0 = performance.now();
  const index = IvfPqIndex.build(items, {
    d,
    nlist: options.nlist,
    m: PQ_M,
    nbits: PQ_NBITS,
    seed: options.seed,
  });
  const buildMs = performance.now() - t0;
  index.search(warm, { k: TOP_K, nprobe: 1 });
  const probes: ProbeBench[] = [];
  for (const nprobe of BENCH_NPROBES) {
    if (nprobe > options.nlist) continue;
    t0 = performance.now();
    const res = index.search(queries, { k: TOP_K, nprobe });
    const ms = performance.now() - t0;
    probes.push({
      nprobe,
      ms,
      qps: nq / (ms / 1000),
      recallAt10: recallAt(res, exact, TOP_K),
    });
  }
  return {
    set: set.name,
    description: set.description,
    n,
    nq,
    d,
    nlist: options.nlist,
    m: PQ_M,
    nbits: PQ_NBITS,
    buildMs,
    memoryBytes: index.stats().memoryBytes.total,
    exact: { ms: exactMs, qps: nq / (exactMs / 1000) },
    probes,
  };
}

/**
 * IVF-PQ on a trained run's embeddings: every item of its dataset and its
 * test queries, encoded with the run's last checkpoint.
 */
async function benchRun(
  dir: string,
  options: {
    data: string | undefined;
    seed: number;
    progress: (s: string) => void;
  },
): Promise<IndexBench> {
  options.progress(`loading the trained run ${dir}`);
  const run = await loadRun(dir, { data: options.data });
  try {
    if (run.model.heads !== 1) {
      throw new RangeError(
        `bench: --run ${dir} is a ${run.model.heads}-head tower; IVF-PQ here indexes one vector per query`,
      );
    }
    const inputs = run.model.prepare(run.ds);
    const itemRows = Int32Array.from(run.ds.items.itemId, (_, i) => i);
    const testRows: number[] = [];
    run.ds.queries.split.forEach((s, i) => {
      if (s === "test") testRows.push(i);
    });
    if (testRows.length === 0) {
      throw new RangeError(
        `bench: the dataset of --run ${dir} has no test queries`,
      );
    }
    const enc = (side: "item" | "query", rows: Int32Array) =>
      encodeRows(run.model, inputs, { side, rows, batch: 1000 }).vectors;
    const items = enc("item", itemRows);
    const queries = enc("query", Int32Array.from(testRows));
    const n = itemRows.length;
    return benchIndex(
      {
        name: `run:${dir.replace(/\/+$/, "").split("/").pop()}`,
        description:
          `item and test-query embeddings of the trained run ${dir} (${run.model.kind}, step ${run.step}, ${run.ds.meta.name})`,
      },
      { items, queries, d: run.model.dim },
      {
        nlist: defaultNlist(n),
        seed: options.seed,
        progress: options.progress,
      },
    );
  } finally {
    run.model.dispose();
  }
}

// ---------------------------------------------------------------------------
// The run

/**
 * Runs the whole benchmark (see the module documentation) and returns the
 * numbers; prints nothing but `progress` lines. Throws a RangeError naming
 * the option on bad options.
 */
export async function runBench(
  options: BenchOptions = {},
): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const profile = options.profile ?? "full";
  const quick = profile === "quick";
  const steps = positiveInt("steps", options.steps ?? (quick ? 3 : 20));
  const warmup = positiveInt("warmup", options.warmup ?? (quick ? 1 : 2), 0);
  const batchSize = positiveInt("batch", options.batchSize ?? 350, 2);
  const encodeBatch = positiveInt("encode-batch", options.encodeBatch ?? 1000);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) {
    throw new RangeError(
      `bench: option "seed" must be an integer, got ${seed}`,
    );
  }
  if (options.items !== undefined) positiveInt("items", options.items);
  if (options.queries !== undefined) positiveInt("queries", options.queries);
  const progress = options.progress ?? (() => {});
  const backend = await initBackend({ backend: options.backend, quiet: true });

  progress(`generating synthetic ${profile} data`);
  const ds = generateSynthetic({ profile, seed, numItems: options.items });
  const nItems = ds.items.itemId.length;
  const nlist = options.nlist ?? defaultNlist(nItems);
  positiveInt("nlist", nlist);
  if (nlist > nItems) {
    throw new RangeError(
      `bench: option "nlist" = ${nlist} exceeds the ${nItems} items`,
    );
  }
  const pairs = trainingPairs(ds);
  const towerConfig = { ...options.tower, kind: "dssm" } as TowerConfigInput;
  const net = createTower(towerConfig, { seed, dataset: ds });
  const d = net.dim;
  const model = {
    kind: net.kind,
    hidden: [...(net.config as { hidden: number[] }).hidden],
    dim: d,
    weights: net.variables().reduce((s, v) => s + v.size, 0),
  };
  progress(
    `featurising ${nItems} items and ${ds.queries.queryId.length} queries`,
  );
  const inputs = net.prepare(ds);

  // Real batches with their accidental-hit masks; as many as the run uses.
  const batches: StepContext["batches"] = [];
  for (const b of iterateBatches(pairs, { batchSize, seed, dropLast: true })) {
    batches.push({
      queryRow: b.queryRow,
      itemRow: b.itemRow,
      mask: tf.tensor2d(b.mask, [batchSize, batchSize]),
    });
    if (batches.length >= warmup + steps) break;
  }
  if (batches.length === 0) {
    throw new RangeError(
      `bench: ${pairs.queryId.length} training pairs give no full batch of ${batchSize}`,
    );
  }

  const training = {} as Record<BenchLoss, StepBench>;
  let tables: BenchResult["tables"];
  const lossOnly = {} as Record<BenchLoss, Timing>;
  const rng = new Rng(seed);
  const q = tf.tensor2d(randomUnitRows(rng, batchSize, d), [batchSize, d]);
  const v = tf.tensor2d(randomUnitRows(rng, batchSize, d), [batchSize, d]);
  let encoded: {
    items: ReturnType<typeof encodeRows>;
    queries: ReturnType<typeof encodeRows>;
  };
  try {
    // Encoding first, while the weights are the untrained initial ones.
    progress("encoding items and test queries (untrained DSSM)");
    const itemRows = Int32Array.from({ length: nItems }, (_, i) => i);
    const testRows: number[] = [];
    ds.queries.split.forEach((s, i) => {
      if (s === "test") testRows.push(i);
    });
    const queryRows = Int32Array.from(
      testRows.slice(0, options.queries ?? testRows.length),
    );
    if (queryRows.length === 0) {
      throw new RangeError("bench: the dataset has no test queries");
    }
    encoded = {
      items: encodeRows(net, inputs, {
        side: "item",
        rows: itemRows,
        batch: encodeBatch,
      }),
      queries: encodeRows(net, inputs, {
        side: "query",
        rows: queryRows,
        batch: encodeBatch,
      }),
    };

    const ctx: StepContext = {
      model: net,
      initial: net.getWeights(),
      inputs,
      batches,
      warmup,
    };
    const stepPasses = abba(steps, (loss, n) => {
      progress(`training steps: ${LOSS_LABELS[loss]} (${n})`);
      return timeTraining(ctx, loss, { steps: n });
    });
    // Dense vs lazy table updates, ABBA again (the dense passes are new
    // ones, timed next to the lazy ones).
    const tablePasses: Record<TablesMode, StepTimes[]> = {
      dense: [],
      lazy: [],
    };
    const first = Math.ceil(steps / 2);
    for (
      const [mode, n] of [
        ["dense", first],
        ["lazy", first],
        ["lazy", steps - first],
        ["dense", steps - first],
      ] as [TablesMode, number][]
    ) {
      if (n === 0) continue;
      progress(`training steps: adaptive margin, ${mode} table updates (${n})`);
      tablePasses[mode].push(
        timeTraining(ctx, "adaptiveMargin", { steps: n, tables: mode }),
      );
    }
    tables = {
      dense: stepBench(tablePasses.dense, batchSize),
      lazy: stepBench(tablePasses.lazy, batchSize),
      speedup: 0,
    };
    tables.speedup = tables.dense.medianMs / tables.lazy.medianMs;
    progress("loss alone");
    const lossPasses = abba(
      steps,
      (loss, n) =>
        timeLossOnly(loss, { q, v, mask: batches[0].mask }, {
          steps: n,
          warmup,
        }),
    );
    for (const loss of BENCH_LOSSES) {
      training[loss] = stepBench(stepPasses[loss], batchSize);
      lossOnly[loss] = summarise(lossPasses[loss].flat());
    }
  } finally {
    tf.dispose([q, v, ...batches.map((b) => b.mask)]);
    net.dispose();
  }

  const nq = encoded.queries.bench.count;
  const ivfOptions = { nlist, seed, progress };
  const ivfPq: IndexBench[] = [];
  if (options.run) {
    ivfPq.push(
      await benchRun(options.run, { data: options.runData, seed, progress }),
    );
  }
  ivfPq.push(
    benchIndex({
      name: "dssm-untrained",
      description:
        `item and test-query embeddings of the untrained DSSM (seed ${seed})`,
    }, {
      items: encoded.items.vectors,
      queries: encoded.queries.vectors,
      d,
    }, ivfOptions),
  );
  const clusters = Math.max(1, Math.round(nItems / 100));
  const random = clusteredSet(new Rng(seed).fork(1), {
    n: nItems,
    nq,
    d,
    clusters,
  });
  ivfPq.push(benchIndex(
    {
      name: "clustered-random",
      description:
        `${clusters} seeded Gaussian clusters on the unit sphere (within-cluster cosine ≈ 0.8), items and queries from the same mixture`,
    },
    { ...random, d },
    ivfOptions,
  ));

  const ratio = (a: number, b: number) => a / b;
  return {
    format: BENCH_FORMAT,
    startedAt,
    backend,
    params: {
      profile,
      steps,
      warmup,
      batchSize,
      encodeBatch,
      seed,
      lr: LR,
      nlist,
      m: PQ_M,
      nbits: PQ_NBITS,
      nprobes: BENCH_NPROBES.filter((p) => p <= nlist),
      softmaxTemperature: SOFTMAX_TAU,
      margin: MARGIN,
    },
    dataset: {
      name: ds.meta.name,
      items: nItems,
      queries: ds.queries.queryId.length,
      trainingPairs: pairs.queryId.length,
      testQueries: nq,
    },
    model,
    training,
    lossOnly,
    tables: tables!,
    ratios: {
      training: {
        softmax: ratio(
          training.adaptiveSoftmax.medianMs,
          training.softmax.medianMs,
        ),
        margin: ratio(
          training.adaptiveMargin.medianMs,
          training.margin.medianMs,
        ),
      },
      lossOnly: {
        softmax: ratio(
          lossOnly.adaptiveSoftmax.medianMs,
          lossOnly.softmax.medianMs,
        ),
        margin: ratio(
          lossOnly.adaptiveMargin.medianMs,
          lossOnly.margin.medianMs,
        ),
      },
      fromLossOnly: {
        softmax: 1 +
          (lossOnly.adaptiveSoftmax.medianMs - lossOnly.softmax.medianMs) /
            training.softmax.medianMs,
        margin: 1 +
          (lossOnly.adaptiveMargin.medianMs - lossOnly.margin.medianMs) /
            training.margin.medianMs,
      },
    },
    encode: { items: encoded.items.bench, queries: encoded.queries.bench },
    ivfPq,
  };
}

// ---------------------------------------------------------------------------
// Output

function table(header: string[], rows: string[][]): string[] {
  const width = header.map((h, c) =>
    Math.max(h.length, ...rows.map((r) => r[c].length))
  );
  const line = (cells: string[]) =>
    cells.map((s, c) => c === 0 ? s.padEnd(width[c]) : s.padStart(width[c]))
      .join("  ");
  return [
    line(header),
    width.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ];
}

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

// Median, min, max, fwd+bwd, adam ms and steps/s of a step timing.
function stepCells(t: StepBench): string[] {
  return [
    f1(t.medianMs),
    f1(t.minMs),
    f1(t.maxMs),
    f1(t.fwdBwdMs),
    f1(t.adamMs),
    f2(t.stepsPerSec),
  ];
}

/** Options of {@link formatBench}. */
export interface FormatBenchOptions {
  /** Start with the backend line (default true). */
  backendLine?: boolean;
}

/** The human-readable report of a {@link BenchResult}. */
export function formatBench(
  r: BenchResult,
  options: FormatBenchOptions = {},
): string {
  const p = r.params;
  const out: string[] = [];
  if (options.backendLine ?? true) out.push(formatBackendInfo(r.backend));
  out.push(
    `data: ${r.dataset.name}, ${r.dataset.items} items, ${r.dataset.queries} queries, ${r.dataset.trainingPairs} training pairs; model: ${r.model.kind} ${
      [...r.model.hidden, r.model.dim].join("-")
    } (${
      f2(r.model.weights / 1e6)
    }M weights); batch ${p.batchSize}, Adam lr ${p.lr}; ${p.steps} timed steps per loss in two passes (in order, then reversed), ${p.warmup} warm-up per pass`,
  );
  out.push("");
  out.push(
    "Training step (tower forward + loss + backward + Adam), accidental-hit masks of real batches",
  );
  out.push(...table(
    [
      "loss",
      "median ms",
      "min",
      "max",
      "fwd+bwd",
      "adam",
      "steps/s",
      "examples/s",
      "loss first→last",
    ],
    BENCH_LOSSES.map((l) => {
      const t = r.training[l];
      return [
        LOSS_LABELS[l],
        ...stepCells(t),
        f0(t.examplesPerSec),
        `${f3(t.loss[0])}→${f3(t.loss[1])}`,
      ];
    }),
  ));
  out.push(
    `adaptive/fixed step time: softmax ${
      f2(r.ratios.training.softmax)
    }×, margin ${f2(r.ratios.training.margin)}×`,
  );
  out.push("");
  out.push(
    "Embedding-table updates (adaptive margin): dense Adam over whole tables vs lazy Adam on the rows a batch used (optimizer.tables)",
  );
  out.push(...table(
    ["tables", "median ms", "min", "max", "fwd+bwd", "adam", "steps/s"],
    (["dense", "lazy"] as const).map((m) => {
      return [m, ...stepCells(r.tables[m])];
    }),
  ));
  out.push(`dense/lazy step time: ${f2(r.tables.speedup)}×`);
  out.push("");
  out.push(
    `Loss alone (forward + backward on fixed random unit [${p.batchSize}, ${r.model.dim}] embeddings, real mask)`,
  );
  out.push(...table(
    ["loss", "median ms", "min", "max"],
    BENCH_LOSSES.map((l) => {
      const t = r.lossOnly[l];
      return [LOSS_LABELS[l], f2(t.medianMs), f2(t.minMs), f2(t.maxMs)];
    }),
  ));
  out.push(
    `adaptive/fixed loss time: softmax ${
      f2(r.ratios.lossOnly.softmax)
    }×, margin ${
      f2(r.ratios.lossOnly.margin)
    }×; step ratio this overhead predicts: softmax ${
      f2(r.ratios.fromLossOnly.softmax)
    }×, margin ${f2(r.ratios.fromLossOnly.margin)}×`,
  );
  out.push("");
  out.push(
    `Encoding (forward only, batches of ${p.encodeBatch}, untrained ${r.model.kind})`,
  );
  out.push(...table(
    ["side", "rows", "ms", "rows/s"],
    (["items", "queries"] as const).map((s) => {
      const e = r.encode[s];
      return [s, String(e.count), f0(e.ms), f0(e.perSec)];
    }),
  ));
  for (const ix of r.ivfPq) {
    out.push("");
    out.push(
      `IVF-PQ on ${ix.set}: ${ix.n} × ${ix.d}, nlist ${ix.nlist}, m ${ix.m}, nbits ${ix.nbits}; build ${
        f0(ix.buildMs)
      } ms, ${f2(ix.memoryBytes / 2 ** 20)} MiB; ${ix.nq} queries`,
    );
    out.push(`  (${ix.description})`);
    out.push(...table(
      ["search", "ms", "queries/s", "recall@10"],
      [
        ...ix.probes.map((pr) => [
          `nprobe ${pr.nprobe}`,
          f0(pr.ms),
          f0(pr.qps),
          f3(pr.recallAt10),
        ]),
        ["exact", f0(ix.exact.ms), f0(ix.exact.qps), "1.000"],
      ],
    ));
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------
// Command line

/** The command line's parsed options plus where to write JSON. */
export interface BenchArgs {
  /** Options for {@link runBench}. */
  options: BenchOptions;
  /** `--json FILE`, or null. */
  json: string | null;
  /** `--help` was given. */
  help: boolean;
}

const USAGE =
  `usage: deno task bench [--quick] [--backend auto|node|wasm|cpu] [--steps N] [--warmup N]
       [--items N] [--queries N] [--nlist N] [--batch N] [--encode-batch N]
       [--tower JSON] [--seed N] [--run DIR [--run-data DIR]] [--json FILE]

  --run DIR        also measure IVF-PQ on a trained run's item and test-query embeddings
  --run-data DIR   that run's dataset folder (default: its config's data)`;

function intArg(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!/^-?\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) {
    throw new RangeError(`--${name} must be an integer, got '${s}'`);
  }
  return v;
}

/**
 * Parses the command line (without the program name). Throws a RangeError
 * naming the flag on bad input.
 */
export function parseBenchArgs(args: string[]): BenchArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: "string" },
        steps: { type: "string" },
        warmup: { type: "string" },
        items: { type: "string" },
        queries: { type: "string" },
        nlist: { type: "string" },
        batch: { type: "string" },
        "encode-batch": { type: "string" },
        tower: { type: "string" },
        seed: { type: "string" },
        run: { type: "string" },
        "run-data": { type: "string" },
        json: { type: "string" },
        quick: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new RangeError((err as Error).message);
  }
  const v = parsed.values;
  if (
    v.backend !== undefined &&
    !BACKEND_REQUESTS.includes(v.backend as BackendRequest)
  ) {
    throw new RangeError(
      `--backend must be one of ${
        BACKEND_REQUESTS.join(", ")
      }, got '${v.backend}'`,
    );
  }
  let tower: Record<string, unknown> | undefined;
  if (v.tower !== undefined) {
    try {
      tower = JSON.parse(v.tower);
    } catch (err) {
      throw new RangeError(`--tower is not JSON: ${(err as Error).message}`);
    }
    if (!tower || typeof tower !== "object" || Array.isArray(tower)) {
      throw new RangeError("--tower must be a JSON object of DSSM settings");
    }
  }
  return {
    options: {
      backend: v.backend as BackendRequest | undefined,
      profile: v.quick ? "quick" : "full",
      steps: intArg("steps", v.steps),
      warmup: intArg("warmup", v.warmup),
      items: intArg("items", v.items),
      queries: intArg("queries", v.queries),
      nlist: intArg("nlist", v.nlist),
      batchSize: intArg("batch", v.batch),
      encodeBatch: intArg("encode-batch", v["encode-batch"]),
      tower,
      seed: intArg("seed", v.seed),
      run: v.run,
      runData: v["run-data"],
    },
    json: v.json ?? null,
    help: v.help ?? false,
  };
}

/** Where {@link main} writes. */
export interface MainIo {
  /** The report (default console.log). */
  out?: (line: string) => void;
  /** Progress and errors (default console.error). */
  err?: (line: string) => void;
}

/**
 * The command: parses `args`, runs the bench, prints the report, writes
 * `--json` atomically. Returns the exit status (0 done, 1 failed, 2 bad
 * command line).
 */
export async function main(args: string[], io: MainIo = {}): Promise<number> {
  const out = io.out ?? ((s: string) => console.log(s));
  const err = io.err ?? ((s: string) => console.error(s));
  let parsed: BenchArgs;
  try {
    parsed = parseBenchArgs(args);
  } catch (e) {
    err(`deno task bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    out(USAGE);
    return 0;
  }
  try {
    const info = await initBackend({
      backend: parsed.options.backend,
      quiet: true,
    });
    out(formatBackendInfo(info));
    const result = await runBench({
      ...parsed.options,
      progress: (s) => err(`[bench] ${s}`),
    });
    out(formatBench(result, { backendLine: false }));
    if (parsed.json !== null) {
      await writeTextAtomic(parsed.json, stableJson(result) + "\n");
      err(`[bench] wrote ${parsed.json}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof RangeError) {
      err(`deno task bench: ${e.message}`);
      return 2;
    }
    err(`deno task bench failed: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
