/**
 * The retrieval part of `deno task bench`: encode throughput, and IVF-PQ
 * (build time, queries/s and recall@10 per nprobe against exact search)
 * on a set of embeddings: an untrained tower's, a seeded clustered set's,
 * or a trained run's.
 *
 * @module
 */

import { basename } from "node:path";
import { type Rng, splitRows } from "../data/mod.ts";
import type { TowerInputs, TowerSide, TwoTowerModel } from "../towers/mod.ts";
import { encodeAll, loadRun } from "../train/mod.ts";
import { exactSearch, IvfPqIndex, overlapAtK } from "../eval/mod.ts";
import {
  BENCH_NPROBES,
  type EncodeBench,
  type IndexBench,
  type ProbeBench,
} from "./result.ts";

/** Sub-quantisers of the IVF-PQ index. */
export const PQ_M = 16;
/** Bits per sub-quantiser code. */
export const PQ_NBITS = 8;
/** The k of the searches (recall@k against exact search). */
export const TOP_K = 10;

/** Largest power of two ≤ 2√n, at most 256 (n = 20,000 gives 256). */
export function defaultNlist(n: number): number {
  let p = 1;
  while (p * 2 <= Math.min(256, 2 * Math.sqrt(n))) p *= 2;
  return p;
}

/** `rows` seeded random unit vectors of dimension `d`, row-major. */
export function randomUnitRows(
  rng: Rng,
  options: { rows: number; d: number },
): Float32Array {
  const { rows, d } = options;
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

// ---------------------------------------------------------------------------
// Encoding

/** Encodes `rows` of one side in batches, timed (one untimed batch first). */
export function encodeRows(
  model: TwoTowerModel,
  inputs: TowerInputs,
  options: { side: TowerSide; rows: Int32Array; batch: number },
): { vectors: Float32Array; bench: EncodeBench } {
  const { rows, batch } = options;
  const side = options.side === "item" ? "items" : "queries";
  // One untimed batch: first calls compile kernels and allocate.
  encodeAll(model, inputs, {
    side,
    rows: rows.subarray(0, Math.min(batch, rows.length)),
    batchSize: batch,
  });
  const t0 = performance.now();
  const vectors = encodeAll(model, inputs, { side, rows, batchSize: batch });
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
export function clusteredSet(
  rng: Rng,
  options: { n: number; nq: number; d: number; clusters: number },
): { items: Float32Array; queries: Float32Array } {
  const { d, clusters } = options;
  const centres = randomUnitRows(rng, { rows: clusters, d });
  const draw = (rows: number) => {
    const x = randomUnitRows(rng, { rows, d });
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

/** Exact search, then IVF-PQ build and search per nprobe with recall@10 against exact search, on one set of vectors. */
export function benchIndex(
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
      recallAt10: overlapAtK(res, exact, TOP_K),
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
export async function benchRun(
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
    const testRows = splitRows(run.ds.queries, "test");
    if (testRows.length === 0) {
      throw new RangeError(
        `bench: the dataset of --run ${dir} has no test queries`,
      );
    }
    const enc = (side: "item" | "query", rows: Int32Array) =>
      encodeRows(run.model, inputs, { side, rows, batch: 1000 }).vectors;
    const items = enc("item", itemRows);
    const queries = enc("query", testRows);
    const n = itemRows.length;
    return benchIndex(
      {
        name: `run:${basename(dir)}`,
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
