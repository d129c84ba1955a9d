/**
 * Bucket counts and maximum lengths of the hashed features, as one
 * JSON-serialisable object so that a trained model can record exactly how
 * its inputs were made. Each is declared once, in {@link BUCKET_OPTIONS}
 * and {@link MAX_LEN_OPTIONS} (default, bounds, meaning; the tables of
 * docs/tower_options.md are generated from them). Bucket 0 is reserved for
 * padding in every family, so a family with `b` buckets uses ids `1 .. b-1`.
 *
 * @module
 */

import {
  integer,
  isRecord,
  optionDefaults,
  type OptionTable,
  refuseUnknownKeys,
  type Resolved,
  resolveOptions,
} from "../data/mod.ts";
import type { FeatureFamily } from "./units.ts";

/** Largest bucket count: ids must fit an Int32. */
export const MAX_BUCKETS = 2 ** 31 - 1;

function buckets(value: number, doc: string) {
  return integer({ default: value, min: 2, max: MAX_BUCKETS, doc });
}

function maxLength(value: number, doc: string) {
  return integer({ default: value, min: 1, max: 1_000_000, doc });
}

/**
 * The bucket counts, one per family, each declared once (default, bounds,
 * documentation): hash buckets = embedding rows, the padding row included.
 */
export const BUCKET_OPTIONS = {
  charTrigram: buckets(
    30_000,
    "DSSM's letter trigrams (its vocabulary is about 30k)",
  ),
  word: buckets(50_000, "words"),
  wordBigram: buckets(50_000, "word bigrams"),
  charUnigram: buckets(10_000, "characters"),
  charBigram: buckets(30_000, "character bigrams"),
} as const satisfies Record<FeatureFamily, OptionTable[string]>;

/** The maximum numbers of units kept per text or sequence, each declared once. */
export const MAX_LEN_OPTIONS = {
  query: maxLength(
    30,
    "units per family of a query (the paper's maximum query length)",
  ),
  titleWords: maxLength(
    64,
    "word-level units (words, word bigrams) of a title",
  ),
  titleChars: maxLength(
    128,
    "character-level units (trigrams, character unigrams and bigrams) of a title",
  ),
  history: maxLength(
    100,
    "items of a behaviour sequence, the most recent kept (the paper's maximum sequence)",
  ),
} as const satisfies OptionTable;

/** Maximum number of units kept per text or sequence ({@link MAX_LEN_OPTIONS}). */
export type MaxLengths = Resolved<typeof MAX_LEN_OPTIONS>;

/** Everything that decides how texts become ids. */
export interface FeatureConfig {
  /** Number of hash buckets per family ({@link BUCKET_OPTIONS}). */
  buckets: Record<FeatureFamily, number>;
  /** Maximum lengths ({@link MAX_LEN_OPTIONS}). */
  maxLen: MaxLengths;
}

/** Partial overrides of a {@link FeatureConfig}. */
export interface FeatureConfigOverrides {
  /** Bucket counts to change. */
  buckets?: Partial<Record<FeatureFamily, number>>;
  /** Maximum lengths to change. */
  maxLen?: Partial<MaxLengths>;
}

/** Which text a feature is made from; decides the maximum length. */
export type TextField = "query" | "title";

const SECTIONS = { buckets: BUCKET_OPTIONS, maxLen: MAX_LEN_OPTIONS };

function fail(path: string): (name: string, problem: string) => never {
  return (name, problem) => {
    throw new RangeError(`FeatureConfig${path}.${name} ${problem}`);
  };
}

function checkKeys(path: string, obj: unknown, allowed: readonly string[]) {
  if (!isRecord(obj)) {
    throw new RangeError(`FeatureConfig${path} must be an object`);
  }
  refuseUnknownKeys(obj, allowed, fail(path));
}

// Each section resolved from its table: `required` for a complete config.
function resolveSections(
  config: unknown,
  options: { required: boolean },
): FeatureConfig {
  checkKeys("", config, Object.keys(SECTIONS));
  const c = config as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, table] of Object.entries(SECTIONS)) {
    const section = c[name] ?? (options.required ? undefined : {});
    checkKeys(`.${name}`, section, Object.keys(table));
    out[name] = resolveOptions(table, section as Record<string, unknown>, {
      fail: fail(`.${name}`),
      required: options.required,
    });
  }
  return out as unknown as FeatureConfig;
}

/** The default configuration (see the module documentation and the tables). */
export const DEFAULT_FEATURE_CONFIG: Readonly<FeatureConfig> = Object.freeze({
  buckets: Object.freeze(optionDefaults(BUCKET_OPTIONS)),
  maxLen: Object.freeze(optionDefaults(MAX_LEN_OPTIONS)),
});

/**
 * Checks a complete configuration (for instance one read back from JSON) and
 * returns a fresh copy. Throws `RangeError` naming the bad option: bucket
 * counts must be integers in [2, 2^31 − 1], lengths integers ≥ 1; unknown
 * and missing keys are errors.
 */
export function validateFeatureConfig(config: unknown): FeatureConfig {
  return resolveSections(config, { required: true });
}

/** The default configuration with `overrides` applied, validated. */
export function featureConfig(
  overrides: FeatureConfigOverrides = {},
): FeatureConfig {
  return resolveSections(overrides, { required: false });
}

/** Options of {@link maxLenFor}. */
export interface MaxLenForOptions {
  /** Configuration to read; the default one if omitted. */
  config?: FeatureConfig;
}

/**
 * The maximum length for a family of a field: `query` → `maxLen.query` for
 * every family; `title` → `maxLen.titleWords` for `word` and `wordBigram`,
 * `maxLen.titleChars` for the character families.
 */
export function maxLenFor(
  field: TextField,
  family: FeatureFamily,
  options: MaxLenForOptions = {},
): number {
  const m = (options.config ?? DEFAULT_FEATURE_CONFIG).maxLen;
  if (field === "query") return m.query;
  if (field === "title") {
    return family === "word" || family === "wordBigram"
      ? m.titleWords
      : m.titleChars;
  }
  throw new RangeError(`field must be 'query' or 'title', got '${field}'`);
}
