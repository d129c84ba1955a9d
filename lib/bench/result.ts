/**
 * What `deno task bench` measures and returns: its options, the losses it
 * times, and the result object (also written as JSON with `--json`).
 *
 * @module
 */

import type { BackendInfo, BackendRequest } from "../backend/mod.ts";
import type { Profile } from "../data/mod.ts";
import type { MemorySample } from "./memory.ts";
import type { ReferenceStep } from "./reference.ts";

/** Version of the JSON written by `--json`. */
export const BENCH_FORMAT = 3;

/** The four losses timed, in report order. */
export const BENCH_LOSSES = [
  "softmax",
  "margin",
  "adaptiveSoftmax",
  "adaptiveMargin",
] as const;

/** Name of a timed loss. */
export type BenchLoss = typeof BENCH_LOSSES[number];

export type { TablesMode } from "../train/mod.ts";

/** nprobe values searched (those above nlist are skipped). */
export const BENCH_NPROBES: readonly number[] = [1, 4, 16, 64];

/** Options of {@link runBench}; every field has a default. */
export interface BenchOptions {
  /** tfjs backend request (default: `initBackend`'s, i.e. env var or auto). */
  backend?: BackendRequest;
  /** Synthetic profile (default "full"). */
  profile?: Profile;
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
  /**
   * Cores the reference steps may use: 2 (default) times every path, 1
   * only the one-thread ones (`--threads 1`).
   */
  threads?: 1 | 2;
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

/** The parameters of timed training steps, as a result file records them. */
export interface StepParams {
  /** Size of the synthetic catalogue. */
  profile: Profile;
  /** Timed steps. */
  steps: number;
  /** Untimed steps before them. */
  warmup: number;
  /** Batch size. */
  batchSize: number;
  /** Seed of data and weights. */
  seed: number;
  /** Adam's learning rate. */
  lr: number;
  /** The softmax losses' temperature. */
  softmaxTemperature: number;
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
  params: StepParams & {
    encodeBatch: number;
    nlist: number;
    m: number;
    nbits: number;
    nprobes: number[];
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
  /**
   * The process's memory after the training passes and after the table
   * passes (format 2 on).
   */
  memory: { training: MemorySample; tables: MemorySample };
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
  /**
   * The training loop's own DSSM and MGDSPR steps on today's default path
   * and the faster ones (`reference.ts`; format 3 on).
   */
  reference: ReferenceStep[];
  /** Encode throughput. */
  encode: { items: EncodeBench; queries: EncodeBench };
  /** IVF-PQ per embedding set. */
  ivfPq: IndexBench[];
}
