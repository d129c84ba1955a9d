/**
 * Evaluation over plain `Float32Array` embeddings (row-major `[n, d]`),
 * independent of any tensor backend: batch recall@k, exact search,
 * full-corpus recall / NDCG / MRR with bootstrap intervals, embedding-health
 * diagnostics, k-means and an IVF-PQ index.
 *
 * @module
 */

export * from "./metrics.ts";
export * from "./health.ts";
export * from "./kmeans.ts";
export * from "./ivf_pq.ts";
export {
  type InnerProductOptions,
  innerProducts,
  type KernelChoice,
  type NearestOptions,
  nearestRows,
  type SearchResult,
  searchResult,
  TopK,
} from "./kernels.ts";
export { simdAvailable } from "./simd.ts";
