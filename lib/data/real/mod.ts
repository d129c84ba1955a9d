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
export {
  loadWordnet,
  resolveWordnetSource,
  WORDNET_FOLDER,
  WORDNET_SYSTEM_DIR,
  wordnetHint,
  type WordnetOptions,
  wordnetRequiredFiles,
  type WordnetStatus,
  wordnetStatus,
} from "./wordnet.ts";
export {
  glossDefinition,
  lemmaText,
  LEXNAMES,
  namesLemma,
  parentPointer,
  parseDataFile,
  parseSynsetLine,
  synsetId,
  type SynsetType,
  WORDNET_DATA_FILES,
  WORDNET_POS,
  type WordnetPointer,
  type WordnetPos,
  type WordnetSynset,
} from "./wordnet_format.ts";
export {
  isDownloadable,
  loadRealDataset,
  REAL_NAMES,
  type RealDatasetOptions,
  type RealName,
  realSourceHint,
  realSourceStatus,
  type RealStatus,
} from "./load.ts";
