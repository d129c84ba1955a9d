/**
 * Evaluation over plain `Float32Array` embeddings (row-major `[n, d]`),
 * independent of any tensor backend: batch recall@k, exact search,
 * full-corpus recall / NDCG / MRR with bootstrap intervals, embedding-health
 * diagnostics, k-means and an IVF-PQ index.
 *
 * @module
 */

export {
  batchRanks,
  type BatchRanksOptions,
  batchRecall,
  type BatchRecallOptions,
  type BatchRecallResult,
  bootstrapCI,
  type BootstrapOptions,
  DEFAULT_BATCH_SIZE,
  DEFAULT_KS,
  exactSearch,
  type ExactSearchOptions,
  type Gain,
  type Interval,
  type LabelledPairs,
  labelsFromPairs,
  mean,
  median,
  type QueryLabels,
  type RankedLists,
  rankingMetrics,
  type RankingOptions,
  type RankingResult,
} from "./metrics.ts";
export {
  alignment,
  type AlignmentOptions,
  effectiveRank,
  type EffectiveRankOptions,
  type EigenResult,
  embeddingHealth,
  type HealthOptions,
  type HealthReport,
  jacobiEigen,
  type JacobiOptions,
  meanCosine,
  uniformity,
  type UniformityOptions,
} from "./health.ts";
export {
  type Assignment,
  assignNearest,
  kmeans,
  type KMeansOptions,
  type KMeansResult,
} from "./kmeans.ts";
export {
  type IvfPqBuildOptions,
  IvfPqIndex,
  type IvfPqSearchOptions,
  type IvfPqStats,
} from "./ivf_pq.ts";
export {
  type InnerProductOptions,
  innerProducts,
  type KernelChoice,
  type NearestOptions,
  nearestRows,
  type SearchResult,
  TopK,
} from "./kernels.ts";
export { simdAvailable } from "./simd.ts";
