/**
 * Hashing units into buckets and encoding batches of texts or behaviour
 * sequences into padded, row-major id matrices with masks.
 *
 * A unit `u` of family `f` gets the id
 * `1 + murmur3_x86_32(utf8(u), FAMILY_SEEDS[f]) mod (buckets_f − 1)`, so ids
 * lie in `[1, buckets_f)` and 0 is left for padding. The seed differs per
 * family so that the word `ab` and the character bigram `ab` do not share a
 * bucket by construction.
 *
 * @module
 */

import { murmur3String } from "./murmur3.ts";
import { tokenize } from "./normalize.ts";
import { checkFamily, type FeatureFamily, visitUnits } from "./units.ts";
import {
  BUCKET_OPTIONS,
  DEFAULT_FEATURE_CONFIG,
  type FeatureConfig,
  MAX_BUCKETS,
  MAX_LEN_OPTIONS,
  maxLenFor,
  type TextField,
} from "./config.ts";
import { optionProblem } from "../data/mod.ts";

/** MurmurHash3 seed of each family (fixed forever: changing one changes every id). */
export const FAMILY_SEEDS: Readonly<Record<FeatureFamily, number>> = Object
  .freeze({
    charTrigram: 0x0d55_0003,
    word: 0x0d55_0001,
    wordBigram: 0x0d55_0002,
    charUnigram: 0x0d55_0011,
    charBigram: 0x0d55_0012,
  });

/** A padded `[n, maxLen]` id matrix with its mask. */
export interface PaddedIds {
  /** Ids, row-major `[n, maxLen]`; 0 in padded positions. */
  ids: Int32Array;
  /** 1 where `ids` holds a real unit, 0 for padding; same shape. */
  mask: Float32Array;
  /** Real units per row (the sum of each mask row). */
  lengths: Int32Array;
  /** Number of rows. */
  n: number;
  /** Row length. */
  maxLen: number;
}

// A bucket count or length given directly, checked against the bounds the
// config's tables declare for it.
function checkBuckets(
  buckets: number,
  ref: { family: FeatureFamily; what: string },
): number {
  const problem = optionProblem(BUCKET_OPTIONS[ref.family], buckets);
  if (problem !== null) throw new RangeError(`${ref.what} ${problem}`);
  return buckets;
}

// Every maximum length shares one bound (features/config.ts, maxLength).
function checkMaxLen(maxLen: number): number {
  const problem = optionProblem(MAX_LEN_OPTIONS.query, maxLen);
  if (problem !== null) throw new RangeError(`maxLen ${problem}`);
  return maxLen;
}

/** The id in `[1, buckets)` of a unit hashed with `seed` (0: padding). */
function bucketId(unit: string, seed: number, buckets: number): number {
  return 1 + murmur3String(unit, seed) % (buckets - 1);
}

/** Options of {@link hashUnit}. */
export interface HashOptions {
  /** Configuration whose bucket count is used (default configuration). */
  config?: FeatureConfig;
  /** Bucket count; overrides the configuration's. */
  buckets?: number;
}

/** The bucket id in `[1, buckets)` of one (already normalised) unit. */
export function hashUnit(
  unit: string,
  family: FeatureFamily,
  options: HashOptions = {},
): number {
  checkFamily(family);
  const buckets = checkBuckets(
    options.buckets ??
      (options.config ?? DEFAULT_FEATURE_CONFIG).buckets[family],
    { family, what: "buckets" },
  );
  return bucketId(unit, FAMILY_SEEDS[family], buckets);
}

/** Options of {@link encodeTexts} and {@link encodeFamilies}. */
export interface EncodeTextOptions extends HashOptions {
  /** Which field the texts are; picks the maximum length (default `query`). */
  field?: TextField;
  /** Maximum units per text; overrides the field's length. */
  maxLen?: number;
}

function encodeWords(
  tokens: string[][],
  family: FeatureFamily,
  options: EncodeTextOptions,
): PaddedIds {
  checkFamily(family);
  const config = options.config ?? DEFAULT_FEATURE_CONFIG;
  const maxLen = checkMaxLen(
    options.maxLen ?? maxLenFor(options.field ?? "query", family, { config }),
  );
  const buckets = checkBuckets(
    options.buckets ?? config.buckets[family],
    { family, what: `buckets of ${family}` },
  );
  const seed = FAMILY_SEEDS[family];
  const n = tokens.length;
  const ids = new Int32Array(n * maxLen);
  const mask = new Float32Array(n * maxLen);
  const lengths = new Int32Array(n);
  let base = 0;
  let pos = 0;
  // Truncation keeps the first units: the walk stops once the row is full.
  const emit = (unit: string): boolean => {
    ids[base + pos] = bucketId(unit, seed, buckets);
    mask[base + pos] = 1;
    pos++;
    return pos < maxLen;
  };
  for (let i = 0; i < n; i++) {
    base = i * maxLen;
    pos = 0;
    visitUnits(tokens[i], family, emit);
    lengths[i] = pos;
  }
  return { ids, mask, lengths, n, maxLen };
}

/**
 * Encodes texts (normalised here) as one family's padded ids. Truncation
 * keeps the first units; an empty text gives an all-zero row and mask.
 */
export function encodeTexts(
  texts: readonly string[],
  family: FeatureFamily,
  options: EncodeTextOptions = {},
): PaddedIds {
  return encodeWords(texts.map(tokenize), family, options);
}

/**
 * Encodes texts as several families at once, normalising each text only
 * once. `options.buckets`, if given, applies to every family.
 */
export function encodeFamilies(
  texts: readonly string[],
  families: readonly FeatureFamily[],
  options: EncodeTextOptions = {},
): Partial<Record<FeatureFamily, PaddedIds>> {
  const tokens = texts.map(tokenize);
  const out: Partial<Record<FeatureFamily, PaddedIds>> = {};
  for (const f of families) out[f] = encodeWords(tokens, f, options);
  return out;
}

/** Options of {@link encodeSequences}. */
export interface EncodeSequenceOptions {
  /** Configuration whose `maxLen.history` is used (default configuration). */
  config?: FeatureConfig;
  /** Maximum items kept; overrides the configuration. */
  maxLen?: number;
  /**
   * Maps an item id to its row in the items table. Without it the id itself
   * is the row (it must then be a non-negative integer).
   */
  rowOf?: ReadonlyMap<number, number>;
}

/**
 * Encodes behaviour sequences (item ids, oldest first) as padded ids. Each
 * id becomes `row + 1` (0 is padding, so an item embedding table needs
 * `items + 1` rows). Only the most recent `maxLen` items are kept, still
 * oldest first, left-aligned: row `[a, b, c]` with maxLen 5 is
 * `[a+1, b+1, c+1, 0, 0]`.
 */
export function encodeSequences(
  sequences: readonly ArrayLike<number>[],
  options: EncodeSequenceOptions = {},
): PaddedIds {
  const maxLen = checkMaxLen(
    options.maxLen ?? (options.config ?? DEFAULT_FEATURE_CONFIG).maxLen.history,
  );
  const rowOf = options.rowOf;
  const n = sequences.length;
  const ids = new Int32Array(n * maxLen);
  const mask = new Float32Array(n * maxLen);
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const seq = sequences[i];
    const start = Math.max(0, seq.length - maxLen);
    const len = seq.length - start;
    for (let k = 0; k < len; k++) {
      const id = seq[start + k];
      const row = rowOf ? rowOf.get(id) : id;
      if (
        row === undefined || !Number.isInteger(row) || row < 0 ||
        row >= MAX_BUCKETS
      ) {
        throw new RangeError(
          `sequence ${i}, position ${start + k}: item id ${id} ${
            rowOf ? "is not in rowOf" : "is not a non-negative integer"
          }`,
        );
      }
      ids[i * maxLen + k] = row + 1;
      mask[i * maxLen + k] = 1;
    }
    lengths[i] = len;
  }
  return { ids, mask, lengths, n, maxLen };
}
