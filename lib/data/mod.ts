/**
 * The data layer: Arrow schemas and their validating reader/writer, the
 * seeded random generator, the synthetic ESCI-like catalogue, the real
 * datasets (WANDS, SciFact, MovieLens, WordNet) and in-batch-negative
 * batching.
 *
 * ```ts
 * import { generateSynthetic, writeDataset, readDataset } from "./mod.ts";
 * await writeDataset("data/synthetic-quick", generateSynthetic({ seed: 1 }));
 * const ds = await readDataset("data/synthetic-quick");
 * ```
 *
 * @module
 */

export {
  arrowSchema,
  COLUMNS,
  type ColumnSpec,
  type Dataset,
  type DatasetMeta,
  type ItemsTable,
  MAX_HISTORY,
  type PairsTable,
  type QueriesTable,
  RELEVANCE,
  type Split,
  SPLITS,
  type TableName,
  type UsersTable,
} from "./schema.ts";
export {
  DataError,
  itemsToArrow,
  joinPath,
  pairsToArrow,
  pathExists,
  queriesToArrow,
  readArrowTable,
  readDataset,
  readItems,
  readJson,
  readJsonIfPresent,
  readPairs,
  readQueries,
  readUsers,
  sha256Hex,
  stableJson,
  usersToArrow,
  validateDataset,
  writeChunksAtomic,
  writeDataset,
  writeFileAtomic,
  type WriteOptions,
  writeTextAtomic,
} from "./io.ts";
export { cumulative, Rng } from "./rng.ts";
export {
  accidentalHitMask,
  type Batch,
  batchLogQ,
  type BatchOptions,
  iterateBatches,
  makeBatches,
  type MaskedBatch,
  rowIndex,
  type TrainingPairs,
  trainingPairs,
  type TrainingPairsOptions,
} from "./batches.ts";
export {
  ATTRIBUTE_KEYS,
  generateSynthetic,
  generateSyntheticWithTruth,
  type ResolvedSyntheticOptions,
  resolveSyntheticOptions,
  SYNTHETIC_PROFILES,
  SYNTHETIC_VERSION,
  type SyntheticOptions,
  type SyntheticProfile,
  type SyntheticResult,
  type SyntheticSplitBy,
  type SyntheticTruth,
} from "./synthetic.ts";
export {
  DATASETS_ENV,
  datasetsRoot,
  documentText,
  downloadDenied,
  type FetchOptions,
  fetchSource,
  type FileReport,
  loadMovielens,
  loadRealDataset,
  loadScifact,
  loadWands,
  loadWordnet,
  matchKey,
  MIN_POSITIVES_FOR_HOLDOUT,
  type MovielensOptions,
  parseStringList,
  REAL_NAMES,
  type RealDatasetOptions,
  type RealName,
  realSourceHint,
  realSourceStatus,
  requiredSourceFiles,
  resolveSource,
  SCIFACT_MEMBERS,
  type ScifactOptions,
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
  WANDS_LABELS,
  WANDS_SUBSET_FILES,
  type WandsOptions,
  WORDNET_SYSTEM_DIR,
  type WordnetOptions,
} from "./real/mod.ts";
export {
  type AvailableResult,
  buildDataset,
  buildIfAvailable,
  type BuildOptions,
  type BuildResult,
  DATASET_NAMES,
  type DatasetName,
  defaultDatasetDir,
  isDatasetName,
  loadNamedDataset,
  missingDatasetNote,
  ON_DEMAND_DATASET_NAMES,
} from "./build.ts";
export { shownPath, userPath, type UserPathOptions } from "./user_path.ts";
export { unknownKey } from "./options.ts";
export {
  choiceFlag,
  commandLine,
  type CommandLineSpec,
  type FlagOptions,
  type FlagsSpec,
  intFlag,
  parseFlags,
  UsageError,
} from "./cli_args.ts";
