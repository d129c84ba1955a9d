/**
 * Real datasets (WANDS, SciFact, MovieLens latest-small, WordNet) converted
 * into the package's tables, and the download/verification of their source
 * files (WordNet's come from a system package instead).
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
export * from "./wands.ts";
export * from "./scifact.ts";
export * from "./movielens.ts";
export * from "./wordnet.ts";
export * from "./wordnet_format.ts";
export * from "./load.ts";
