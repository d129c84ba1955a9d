/**
 * Small helpers shared by the real-data converters: deterministic carve-outs
 * of query groups into splits, query ids that encode their split, and counts
 * for `meta`.
 *
 * @module
 */

import { sha256Hex } from "../io.ts";
import {
  integer,
  number,
  type NumberSpec,
  type OptionTable,
  type Resolved,
  resolveOptions,
} from "../options.ts";
import { Rng } from "../rng.ts";
import { type PairsTable, type Split, SPLITS } from "../schema.ts";

/**
 * The query id of a source query (`base`, non-negative) in a split:
 * `3 * base + index(split)` with train 0, valid 1, test 2. A source query
 * that has pairs in two splits thus becomes two queries whose ids still say
 * where they came from (`Math.floor(id / 3)`).
 */
export function splitQueryId(base: number, split: Split): number {
  return 3 * base + SPLITS.indexOf(split);
}

/**
 * The share of the training queries (or claims, or synsets) a real loader
 * moves to the valid split when its options name none.
 */
export const DEFAULT_VALID_FRACTION = 0.1;

/** Declares a share of queries moved to a split: a number in [0, 1). */
export function fraction(
  value: number,
  doc: string,
): NumberSpec<false, number> {
  return number({ default: value, min: 0, max: 1, strictMax: true, doc });
}

/** The valid share every real loader takes ({@link DEFAULT_VALID_FRACTION}). */
export const VALID_FRACTION = fraction(
  DEFAULT_VALID_FRACTION,
  "share of the training queries moved to the valid split",
);

/** The seed of a real loader's split carve-outs. */
export const SPLIT_SEED = integer({
  default: 0,
  min: -(2 ** 31),
  doc: "seed of the split carve-outs",
});

/**
 * A real loader's options with their defaults, checked against its table;
 * a bad value throws a `RangeError` naming the option (`option
 * validFraction must be …`). Keys of other loaders are ignored: the
 * options of `loadRealDataset` are all the loaders' together.
 */
export function loaderOptions<T extends OptionTable>(
  table: T,
  options: object,
): Resolved<T> {
  return resolveOptions(table, options as Record<string, unknown>, {
    fail: (name, problem) => {
      throw new RangeError(`option ${name} ${problem}`);
    },
  });
}

/**
 * Picks `round(fraction · n)` of the given keys at random but
 * deterministically: the keys are sorted, shuffled with `Rng(seed)` and the
 * first ones taken. The caller's key order does not matter.
 */
export function pickFraction(
  keys: Iterable<number>,
  fraction: number,
  seed: number,
): Set<number> {
  const order = shuffledKeys(keys, seed);
  return new Set(order.subarray(0, Math.round(fraction * order.length)));
}

/**
 * The distinct keys in a seeded random order that does not depend on the
 * order they were given in (they are sorted before the shuffle).
 */
export function shuffledKeys(keys: Iterable<number>, seed: number): Int32Array {
  const sorted = Int32Array.from(new Set(keys)).sort();
  return new Rng(seed).shuffle(sorted);
}

/** Number of queries or pairs per split, for `meta`. */
export function countBySplit(splits: readonly Split[]): Record<Split, number> {
  const out: Record<Split, number> = { train: 0, valid: 0, test: 0 };
  for (const s of splits) out[s]++;
  return out;
}

/** Number of pairs per split and relevance grade, for `meta`. */
export function relevanceBySplit(
  pairs: PairsTable,
): Record<Split, Record<string, number>> {
  const out: Record<Split, Record<string, number>> = {
    train: {},
    valid: {},
    test: {},
  };
  for (let i = 0; i < pairs.relevance.length; i++) {
    const m = out[pairs.split[i]];
    const r = String(pairs.relevance[i]);
    m[r] = (m[r] ?? 0) + 1;
  }
  return out;
}

/** Sorts pair rows by (query id, item id) so output order is canonical. */
export function sortedPairs(
  rows: { q: number; i: number; r: number; s: Split }[],
): PairsTable {
  rows.sort((a, b) => a.q - b.q || a.i - b.i);
  return {
    queryId: Int32Array.from(rows, (p) => p.q),
    itemId: Int32Array.from(rows, (p) => p.i),
    relevance: Int8Array.from(rows, (p) => p.r),
    split: rows.map((p) => p.s),
  };
}

/**
 * The split of one key by a seeded hash: the first 32 bits of
 * sha256(`<seed>:<key>`) as a fraction u in [0, 1); u < `test` → test,
 * u < `test + valid` → valid, else train. Unlike {@link pickFraction} a
 * key's split depends on nothing but the key and the seed, so it stays put
 * when other keys come or go.
 */
export function hashedSplit(
  key: string,
  options: { seed: number; valid: number; test: number },
): Split {
  const u = parseInt(sha256Hex(`${options.seed}:${key}`).slice(0, 8), 16) /
    2 ** 32;
  return u < options.test
    ? "test"
    : u < options.test + options.valid
    ? "valid"
    : "train";
}
