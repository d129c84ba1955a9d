/**
 * Fixtures that tests in several layers share: small seeded synthetic
 * catalogues, small tower settings and a reordering of a dataset, written
 * once for the tests of `towers`, `losses`, `train` and `experiments`.
 * Only for `*_test.ts` files (like `testing.ts`, not a layer); a layer's
 * own fixtures stay in its folder (e.g. `towers/fixtures.ts`).
 *
 * @module
 */

import {
  type Dataset,
  generateSynthetic,
  type SyntheticOptions,
} from "./data/mod.ts";

/** The small catalogue most training tests use: 300 items, 600 queries, 40 users. */
export const SMALL_SIZES = {
  numItems: 300,
  numQueries: 600,
  numUsers: 40,
} as const;

/** A smaller one: 250 items, 500 queries, 30 users. */
export const SMALLER_SIZES = {
  numItems: 250,
  numQueries: 500,
  numUsers: 30,
} as const;

/**
 * The synthetic catalogue of `seed` at {@link SMALL_SIZES}, with `options`
 * (e.g. {@link SMALLER_SIZES}) over them. The same arguments give the same
 * dataset, as `generateSynthetic` does.
 */
export function smallSynthetic(
  seed: number,
  options: Partial<SyntheticOptions> = {},
): Dataset {
  return generateSynthetic({ seed, ...SMALL_SIZES, ...options });
}

/**
 * The synthetic catalogue of `seed` at `sizes` without users (no users
 * table, every userId -1).
 */
export function userlessSynthetic(
  seed: number,
  sizes: { numItems: number; numQueries: number },
): Dataset {
  return generateSynthetic({ seed, ...sizes, numUsers: 0 });
}

/** Feature settings to spread into a tower config: 512 word and 512 letter-trigram buckets. */
export const FEW_BUCKETS = {
  features: { buckets: { word: 512, charTrigram: 512 } },
};

/**
 * Feature settings to spread into a tower of any kind: every family
 * hashed into 256 buckets (64 character unigrams).
 */
export const ALL_FAMILIES_256 = {
  features: {
    buckets: {
      word: 256,
      charTrigram: 256,
      wordBigram: 256,
      charUnigram: 64,
      charBigram: 256,
    },
  },
};

/**
 * One tower of each kind of width 8 on {@link ALL_FAMILIES_256}: the
 * smallest that still has every table and layer its kind has.
 */
export const SMALL_TOWERS = {
  dssm: { kind: "dssm" as const, hidden: [16], dim: 8, ...ALL_FAMILIES_256 },
  plain: {
    kind: "plain" as const,
    dim: 8,
    embedDim: 8,
    hidden: [16],
    ...ALL_FAMILIES_256,
  },
  mgdspr: { kind: "mgdspr" as const, dim: 8, heads: 2, ...ALL_FAMILIES_256 },
  dpsr: {
    kind: "dpsr" as const,
    dim: 8,
    embedDim: 8,
    hidden: 16,
    heads: 2,
    ...ALL_FAMILIES_256,
  },
};

/** A plain tower of width 16 on {@link FEW_BUCKETS}: a few training steps take well under a second. */
export const PLAIN_TOWER = {
  kind: "plain" as const,
  dim: 16,
  embedDim: 16,
  hidden: [32],
  ...FEW_BUCKETS,
};

/**
 * Where a test's training run on an in-memory dataset starts from: the
 * {@link PLAIN_TOWER} in batches of 64 on the wasm backend.
 */
export const PLAIN_MEMORY_RUN = {
  data: "memory" as const,
  tower: PLAIN_TOWER,
  batchSize: 64,
  backend: "wasm" as const,
};

/** A DPSR tower (two query heads) of width 16 on {@link FEW_BUCKETS}. */
export const DPSR_TOWER = {
  kind: "dpsr" as const,
  dim: 16,
  embedDim: 16,
  hidden: 32,
  heads: 2,
  ...FEW_BUCKETS,
};

/**
 * `ds` with its items table in reverse row order: the same items under the
 * same ids, for tests that what is keyed by item_id does not hang on rows.
 */
export function reversedItems(ds: Dataset): Dataset {
  const it = ds.items;
  const rev = <T>(a: ArrayLike<T>) => Array.from(a).reverse();
  return {
    ...ds,
    items: {
      itemId: Int32Array.from(rev(it.itemId)),
      sourceId: rev(it.sourceId),
      title: rev(it.title),
      category: rev(it.category),
      brand: rev(it.brand),
      attributes: rev(it.attributes),
      popularity: Float32Array.from(rev(it.popularity)),
    },
  };
}

/**
 * The bookkeeping fields of a finished toy baseline row (`BaselineRow` of
 * `experiments`): the verdict tests build rows from these plus their own
 * names, metrics and per-query values.
 */
export const TOY_BASELINE_ROW = {
  baseline: "dssm",
  tower: "dssm",
  loss: "dssm-softmax",
  dataset: "toy",
  configHash: "x",
  dir: "x",
  cached: false,
  status: "finished",
  steps: 2,
  trainSeconds: 1,
  backend: "wasm",
  health: {},
} as const;
