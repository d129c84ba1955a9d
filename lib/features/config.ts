/**
 * Bucket counts and maximum lengths of the hashed features, as one
 * JSON-serialisable object so that a trained model can record exactly how
 * its inputs were made.
 *
 * Defaults: 30,000 trigram buckets (DSSM's letter-trigram vocabulary is about
 * 30k), 50,000 word and word-bigram buckets, 10,000 character-unigram and
 * 30,000 character-bigram buckets. Queries keep 30 units per family (the
 * paper's maximum query length), titles 64 word-level units (words, word
 * bigrams) and 128 character-level units (trigrams, character unigrams and
 * bigrams), behaviour sequences 100 items (the paper's maximum sequence).
 * Bucket 0 is reserved for padding in every family, so a family with `b`
 * buckets uses ids `1 .. b-1`.
 *
 * @module
 */

import { unknownKey } from "../data/mod.ts";
import { FEATURE_FAMILIES, type FeatureFamily } from "./units.ts";

/** Maximum number of units kept per text or sequence. */
export interface MaxLengths {
  /** Units per family of a query. */
  query: number;
  /** Word-level units (words, word bigrams) of a title. */
  titleWords: number;
  /** Character-level units (trigrams, char unigrams/bigrams) of a title. */
  titleChars: number;
  /** Items of a behaviour sequence (the most recent are kept). */
  history: number;
}

/** Everything that decides how texts become ids. */
export interface FeatureConfig {
  /** Number of hash buckets (embedding rows, padding row included). */
  buckets: Record<FeatureFamily, number>;
  /** Maximum lengths. */
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

/** The default configuration (see the module documentation). */
export const DEFAULT_FEATURE_CONFIG: Readonly<FeatureConfig> = Object.freeze({
  buckets: Object.freeze({
    charTrigram: 30_000,
    word: 50_000,
    wordBigram: 50_000,
    charUnigram: 10_000,
    charBigram: 30_000,
  }),
  maxLen: Object.freeze({
    query: 30,
    titleWords: 64,
    titleChars: 128,
    history: 100,
  }),
});

const MAX_LEN_KEYS: readonly (keyof MaxLengths)[] = [
  "query",
  "titleWords",
  "titleChars",
  "history",
];

/** Largest bucket count: ids must fit an Int32. */
export const MAX_BUCKETS = 2 ** 31 - 1;

function checkInt(path: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(
      `FeatureConfig.${path} must be an integer in [${lo}, ${hi}], got ${
        JSON.stringify(v)
      }`,
    );
  }
  return v;
}

function checkKeys(path: string, obj: unknown, allowed: readonly string[]) {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new RangeError(`FeatureConfig${path} must be an object`);
  }
  const k = unknownKey(obj, allowed);
  if (k !== null) {
    throw new RangeError(
      `FeatureConfig${path}.${k} is not an option; expected one of ${
        allowed.join(", ")
      }`,
    );
  }
}

/**
 * Checks a complete configuration (for instance one read back from JSON) and
 * returns a fresh copy. Throws `RangeError` naming the bad option: bucket
 * counts must be integers in [2, 2^31 − 1], lengths integers ≥ 1; unknown
 * and missing keys are errors.
 */
export function validateFeatureConfig(config: unknown): FeatureConfig {
  checkKeys("", config, ["buckets", "maxLen"]);
  const c = config as Record<string, unknown>;
  checkKeys(".buckets", c.buckets, FEATURE_FAMILIES);
  checkKeys(".maxLen", c.maxLen, MAX_LEN_KEYS);
  const b = c.buckets as Record<string, unknown>;
  const m = c.maxLen as Record<string, unknown>;
  const buckets = {} as Record<FeatureFamily, number>;
  for (const f of FEATURE_FAMILIES) {
    buckets[f] = checkInt(`buckets.${f}`, b[f], 2, MAX_BUCKETS);
  }
  const maxLen = {} as MaxLengths;
  for (const k of MAX_LEN_KEYS) {
    maxLen[k] = checkInt(`maxLen.${k}`, m[k], 1, 1_000_000);
  }
  return { buckets, maxLen };
}

/** The default configuration with `overrides` applied, validated. */
export function featureConfig(
  overrides: FeatureConfigOverrides = {},
): FeatureConfig {
  checkKeys("", overrides, ["buckets", "maxLen"]);
  return validateFeatureConfig({
    buckets: { ...DEFAULT_FEATURE_CONFIG.buckets, ...overrides.buckets },
    maxLen: { ...DEFAULT_FEATURE_CONFIG.maxLen, ...overrides.maxLen },
  });
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
