/**
 * Lloyd's k-means under squared L2 distance, seeded, for the IVF coarse
 * quantiser and the product-quantisation codebooks.
 *
 * It trains on exactly the vectors it is given; callers subsample (the
 * IVF-PQ builder trains on at most `trainSize` vectors, as Faiss does).
 *
 * @module
 */

import { Rng } from "../data/mod.ts";
import {
  checkInt,
  innerProducts,
  type KernelChoice,
  nearestRows,
  rowsOf,
} from "./kernels.ts";

/** Options for {@link kmeans}. */
export interface KMeansOptions {
  /** Dimension. */
  d: number;
  /** Number of centroids (<= number of vectors). */
  k: number;
  /** Seed of the initialisation. */
  seed: number;
  /** Lloyd iterations after initialisation; default 20. */
  iters?: number;
  /** "kmeans++" (default; Arthur & Vassilvitskii 2007) or "random" rows. */
  init?: "kmeans++" | "random";
}

/** Result of {@link kmeans}. */
export interface KMeansResult {
  /** Centroids `[k, d]`. */
  centroids: Float32Array;
  /** Nearest centroid of every input vector under the final centroids. */
  assignments: Int32Array;
  /**
   * Sum of squared distances to the assigned centroid (float64), after
   * the initial assignment and after each iteration: `iters + 1` values,
   * non-increasing up to float32 rounding of the centroids.
   */
  objective: Float64Array;
}

/**
 * k-means. Each iteration moves every centroid to the mean of its vectors,
 * then reassigns. An emptied centroid is moved onto the vector farthest
 * from its own centroid (taken from a cluster with more than one member),
 * which cannot raise the objective. Ties go to the lower centroid index.
 */
export function kmeans(
  vectors: Float32Array,
  options: KMeansOptions,
): KMeansResult {
  const { d, seed, init = "kmeans++" } = options;
  const n = rowsOf(vectors, { d, name: "vectors" });
  const k = checkInt(options.k, { name: "k", lo: 1, hi: n });
  const iters = checkInt(options.iters ?? 20, { name: "iters", lo: 0 });
  if (init !== "kmeans++" && init !== "random") {
    throw new RangeError(`init must be "kmeans++" or "random", got ${init}`);
  }
  const rng = new Rng(seed);
  const centroids = init === "random"
    ? randomInit(vectors, d, k, rng)
    : plusPlusInit(vectors, d, k, rng);
  const objective = new Float64Array(iters + 1);
  let { assignments, distances } = assignNearest(vectors, centroids, { d });
  objective[0] = sum(distances);
  const means = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let it = 1; it <= iters; it++) {
    means.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i];
      counts[c]++;
      const o = c * d, r = i * d;
      for (let t = 0; t < d; t++) means[o + t] += vectors[r + t];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let t = 0; t < d; t++) {
        centroids[c * d + t] = means[c * d + t] / counts[c];
      }
    }
    reseedEmpty(vectors, centroids, { d, counts, assignments, distances });
    ({ assignments, distances } = assignNearest(vectors, centroids, { d }));
    objective[it] = sum(distances);
  }
  return { centroids, assignments, objective };
}

function randomInit(x: Float32Array, d: number, k: number, rng: Rng) {
  const perm = rng.permutation(x.length / d);
  const c = new Float32Array(k * d);
  for (let j = 0; j < k; j++) {
    c.set(x.subarray(perm[j] * d, perm[j] * d + d), j * d);
  }
  return c;
}

// k-means++: each next centroid is a vector drawn with probability
// proportional to its squared distance to the nearest centroid so far.
// Distances to the newest centroid are screened with the float32 kernel
// (‖x‖² + ‖c‖² − 2x·c) and recomputed in float64 wherever they may lower a
// point's best, so `best` is exact (0 for copies of a centroid).
function plusPlusInit(x: Float32Array, d: number, k: number, rng: Rng) {
  const n = x.length / d;
  const c = new Float32Array(k * d);
  const best = new Float64Array(n).fill(Infinity);
  const cum = new Float64Array(n);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = i * d; t < i * d + d; t++) s += x[t] * x[t];
    norms[i] = s;
  }
  // Short rows: the exact loop is as cheap as the kernel call.
  const screen = d > 16;
  const dots = new Float32Array(screen ? n : 0);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    const cj = x.subarray(pick * d, pick * d + d);
    c.set(cj, j * d);
    if (j === k - 1) break;
    if (screen) innerProducts(x, cj, { d, out: dots });
    const cn = norms[pick];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const skip = screen &&
        norms[i] + cn - 2 * dots[i] > best[i] + 1e-5 * (norms[i] + cn);
      if (!skip) {
        let s = 0;
        for (let t = 0, o = i * d; t < d; t++) {
          const diff = x[o + t] - cj[t];
          s += diff * diff;
        }
        if (s < best[i]) best[i] = s;
      }
      total += best[i];
      cum[i] = total;
    }
    // Fewer distinct vectors than k: every distance is 0, pick uniformly.
    pick = total > 0 ? rng.weighted(cum) : rng.int(n);
  }
  return c;
}

function reseedEmpty(
  x: Float32Array,
  centroids: Float32Array,
  state: {
    d: number;
    counts: Int32Array;
    assignments: Int32Array;
    distances: Float64Array;
  },
): void {
  const { d, counts, assignments, distances } = state;
  const empty: number[] = [];
  for (let c = 0; c < counts.length; c++) if (counts[c] === 0) empty.push(c);
  if (empty.length === 0) return;
  const order = Array.from({ length: assignments.length }, (_, i) => i)
    .sort((i, j) => distances[j] - distances[i] || i - j);
  let next = 0;
  for (const c of empty) {
    while (next < order.length && counts[assignments[order[next]]] <= 1) {
      next++;
    }
    if (next === order.length) return;
    const i = order[next++];
    counts[assignments[i]]--;
    counts[c] = 1;
    assignments[i] = c;
    distances[i] = 0;
    centroids.set(x.subarray(i * d, i * d + d), c * d);
  }
}

function sum(xs: Float64Array): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

/** Nearest centroids and the squared distances to them. */
export interface Assignment {
  /** Index of the nearest centroid per vector. */
  assignments: Int32Array;
  /** Squared L2 distance to it, computed exactly in float64. */
  distances: Float64Array;
}

/**
 * The nearest centroid (squared L2) of every vector. Candidates are ranked
 * by ‖c‖² − 2x·c in float32 (fused SIMD kernel); the reported distance of
 * the winner is recomputed exactly in float64. Ties: lower index.
 */
export function assignNearest(
  vectors: Float32Array,
  centroids: Float32Array,
  options: { d: number; kernel?: KernelChoice },
): Assignment {
  const { d, kernel } = options;
  const n = vectors.length / d;
  const assignments = nearestRows(vectors, centroids, { d, kernel });
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let dist = 0;
    for (let t = 0, o = i * d, c = assignments[i] * d; t < d; t++) {
      const diff = vectors[o + t] - centroids[c + t];
      dist += diff * diff;
    }
    distances[i] = dist;
  }
  return { assignments, distances };
}
