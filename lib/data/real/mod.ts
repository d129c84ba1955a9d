/**
 * Real datasets (WANDS, SciFact, MovieLens latest-small) converted into the
 * package's tables, and the download/verification of their source files.
 *
 * ```ts
 * import { loadScifact } from "./mod.ts";
 * const ds = await loadScifact(); // reads <repo>/../shared/datasets/scifact
 * ```
 *
 * @module
 */

export {
  DATASETS_ENV,
  datasetsRoot,
  downloadDenied,
  type FetchOptions,
  fetchSource,
  type FileReport,
  requiredSourceFiles,
  resolveSource,
  SOURCE_NAMES,
  type SourceFile,
  sourceHint,
  type SourceName,
  type SourceOptions,
  SOURCES,
  type SourceSpec,
  type SourceStatus,
  sourceStatus,
  verifySource,
} from "./source.ts";
export {
  loadWands,
  matchKey,
  WANDS_LABELS,
  WANDS_SUBSET_FILES,
  type WandsOptions,
} from "./wands.ts";
export {
  documentText,
  loadScifact,
  parseStringList,
  SCIFACT_MEMBERS,
  type ScifactOptions,
} from "./scifact.ts";
export {
  loadMovielens,
  MIN_POSITIVES_FOR_HOLDOUT,
  type MovielensOptions,
} from "./movielens.ts";
export { loadRealDataset, type RealDatasetOptions } from "./load.ts";
