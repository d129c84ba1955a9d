/**
 * A synthetic, ESCI-like e-commerce search dataset generated from a seed:
 * a catalogue (category → sub-category → product) with near-duplicate
 * products, queries written from user intents with noise, Zipf popularity,
 * graded labels (exact / substitute / complement / irrelevant) and users
 * with behaviour sequences.
 *
 * The generator is deterministic: the same options (seed included) give the
 * same {@link Dataset}, and `writeDataset` writes it to identical bytes. Each
 * stage draws from its own forked {@link Rng}, so e.g. changing the number of
 * users leaves the catalogue and the queries unchanged.
 *
 * How the pieces are made:
 *
 * - Items. Each sub-category gets a share of `numItems`. A fraction
 *   `nearDuplicateShare` of its items is grouped into near-duplicate families
 *   (2–`maxFamilySize` items with the same brand and attributes except one:
 *   colour, material, size or feature); the rest are "singletons", kept at
 *   attribute distance ≥ 2 from every same-brand item of their sub-category.
 *   Title: `brand size material noun feature color`.
 * - Popularity. Items get a random Zipf rank r; `popularity` is the expected
 *   click count `20 · numItems · r^−s / Σ r^−s` with s = `popularitySkew`.
 * - Queries. Each query comes from an intent: a target product (probability
 *   `productIntentShare`; the query names all of its attributes) or a
 *   sub-category plus an attribute subset taken from a seed product (the
 *   subset grows until at most `maxExactPerQuery` products match). Targets
 *   and seeds are drawn by popularity. The clean text names the intent in
 *   title order; noise (see `queryNoise` in {@link SYNTHETIC_OPTIONS}) then drops,
 *   reorders, replaces and misspells words.
 * - Labels follow the intent, not the noisy text: every product matching all
 *   intent attributes is exact (3); substitutes (2) come from the same
 *   sub-category, each one with probability π_q a near-duplicate competitor
 *   (the unused product closest to the intent: fewest differing named
 *   attributes, so a near-duplicate of the target when there is one) and
 *   otherwise a uniform draw; complements (1) from related sub-categories;
 *   irrelevant (0) from
 *   elsewhere, some of them hard (a same-category or same-head-noun
 *   sub-category, sharing colour or brand where possible).
 * - Seller copies (`sellerCopyShare`, default none): a share of the
 *   products gets a second, interchangeable offer with the same text; its
 *   train labels are split between the two offers at random, its valid and
 *   test labels given to both (see `synthetic_copies.ts`).
 * - Users prefer a few sub-categories (and a brand in some of them); their
 *   histories sample those by popularity. A query gets, with probability
 *   `userQueryConsistency`, a user interested in its sub-category.
 *
 * This file assembles the dataset; the options and presets are in
 * `synthetic_options.ts`, items and users in `synthetic_catalogue.ts`,
 * queries, labels and splits in `synthetic_queries.ts`, and the words in
 * `synthetic_vocab.ts`.
 *
 * @module
 */

import { Rng } from "./rng.ts";
import type { Profile } from "./profile.ts";
import { type Dataset, RELEVANCE, type Split } from "./schema.ts";
import {
  buildCatalogue,
  buildUsers,
  type Catalogue,
  SUBS,
} from "./synthetic_catalogue.ts";
import { countBySplit } from "./real/split.ts";
import {
  resolveSyntheticOptions,
  type SyntheticOptions,
} from "./synthetic_options.ts";
import { addSellerCopies } from "./synthetic_copies.ts";
import { assignSplits, buildQueries } from "./synthetic_queries.ts";
import { CATEGORIES } from "./synthetic_vocab.ts";

export {
  type ResolvedSyntheticOptions,
  resolveSyntheticOptions,
  SYNTHETIC_OPTIONS,
  SYNTHETIC_PROFILES,
  SYNTHETIC_SIZES,
  SYNTHETIC_SPLITS,
  type SyntheticOptions,
  syntheticOptionsMarkdown,
  type SyntheticSizes,
  type SyntheticSplitBy,
} from "./synthetic_options.ts";
export { ATTRIBUTE_KEYS } from "./synthetic_catalogue.ts";

/** The name of a synthetic catalogue of `profile`, and its folder's. */
export function syntheticDatasetName(profile: Profile): string {
  return `synthetic-${profile}`;
}

/** Version of the generator, stored in `meta.version`. */
export const SYNTHETIC_VERSION = 1;

/** Ground truth behind a generated dataset, for tests and analyses. */
export interface SyntheticTruth {
  /** Sub-category paths (`"Cat > Sub"`), indexed by sub-category number. */
  subCategories: string[];
  /** Complement sub-category numbers of each sub-category. */
  complements: number[][];
  /** Sub-category number of each item, indexed by item id. */
  itemSubCategory: Int32Array;
  /**
   * Near-duplicate family of each item (−1: none), indexed by item id; a
   * seller copy is in its original's family.
   */
  itemFamily: Int32Array;
  /** The product each seller copy copies (−1: not a copy), by item id. */
  itemCopyOf: Int32Array;
  /** Interest sub-category numbers of each user, indexed by user id. */
  userInterests: Int32Array[];
  /** Intent kind of each query, indexed by query id. */
  queryKind: ("product" | "attribute")[];
  /** Target product (product intent) or seed product (attribute intent). */
  queryTarget: Int32Array;
  /** Sub-category number of each query's intent. */
  querySubCategory: Int32Array;
  /** Per-query noise rate ν_q. */
  queryNoise: Float64Array;
  /** Per-query near-duplicate substitute share π_q. */
  queryHardShare: Float64Array;
  /** Intent key; equal keys mean the same intent. */
  queryIntent: string[];
}

/** A generated dataset together with its {@link SyntheticTruth}. */
export interface SyntheticResult {
  /** The dataset. */
  dataset: Dataset;
  /** What the generator knew when it made it. */
  truth: SyntheticTruth;
}
// -------------------------------------------------------------- assembly

/**
 * Generates a synthetic dataset and the ground truth behind it. Throws a
 * `RangeError` naming the option for bad options.
 */
export function generateSyntheticWithTruth(
  options: SyntheticOptions = {},
): SyntheticResult {
  const o = resolveSyntheticOptions(options);
  const root = new Rng(o.seed);
  const itemRng = root.fork(1);
  const popRng = root.fork(2);
  const userRng = root.fork(3);
  const queryRng = root.fork(4);
  const splitRng = root.fork(5);
  const askerRng = root.fork(6);
  const copyRng = root.fork(7);

  const cat = buildCatalogue(o, itemRng, popRng);
  const users = buildUsers(o, cat, userRng);
  const qs = buildQueries(o, cat, queryRng);
  const split = assignSplits(o, qs.intent, splitRng);

  const Q = o.numQueries;
  const userId = new Int32Array(Q).fill(-1);
  if (o.numUsers > 0) {
    const bySub: number[][] = SUBS.map(() => []);
    users.interests.forEach((mine, u) => {
      for (const s of mine) bySub[s].push(u);
    });
    for (let q = 0; q < Q; q++) {
      const fans = bySub[qs.sub[q]];
      userId[q] = fans.length > 0 && askerRng.bernoulli(o.userQueryConsistency)
        ? askerRng.pick(fans)
        : askerRng.int(o.numUsers);
    }
  }

  const P = qs.pairQuery.length;
  const pairSplit = new Array<Split>(P);
  for (let p = 0; p < P; p++) pairSplit[p] = split[qs.pairQuery[p]];

  let dataset: Dataset = {
    items: {
      itemId: Int32Array.from({ length: cat.n }, (_, i) => i),
      sourceId: new Array<string>(cat.n).fill(""),
      title: cat.title,
      category: cat.category,
      brand: cat.brand,
      attributes: cat.attributes,
      popularity: cat.popularity,
    },
    queries: {
      queryId: Int32Array.from({ length: Q }, (_, i) => i),
      text: qs.text,
      userId,
      split,
    },
    pairs: {
      queryId: Int32Array.from(qs.pairQuery),
      itemId: Int32Array.from(qs.pairItem),
      relevance: Int8Array.from(qs.pairRel),
      split: pairSplit,
    },
    meta: { name: "" },
  };
  if (o.numUsers > 0) {
    dataset.users = {
      userId: Int32Array.from({ length: o.numUsers }, (_, i) => i),
      history: users.history,
    };
  }
  let copyOf: Int32Array = new Int32Array(cat.n).fill(-1);
  if (o.sellerCopyShare > 0) {
    ({ dataset, copyOf } = addSellerCopies(
      dataset,
      o.sellerCopyShare,
      copyRng,
    ));
  }
  // A copy belongs where its original does.
  const extend = (a: Int32Array) =>
    Int32Array.from(copyOf, (c, i) => a[c >= 0 ? c : i]);
  dataset.meta = {
    name: syntheticDatasetName(o.profile),
    generator: "synthetic",
    version: SYNTHETIC_VERSION,
    seed: o.seed,
    profile: o.profile,
    options: { ...o },
    counts: countsOf(dataset, cat),
  };
  const truth: SyntheticTruth = {
    subCategories: SUBS.map((s) => s.path),
    complements: SUBS.map((s) => [...s.complements]),
    itemSubCategory: extend(cat.sub),
    itemFamily: extend(cat.family),
    itemCopyOf: copyOf,
    userInterests: users.interests,
    queryKind: qs.kind,
    queryTarget: qs.target,
    querySubCategory: qs.sub,
    queryNoise: qs.noise,
    queryHardShare: qs.hardShare,
    queryIntent: qs.intent,
  };
  return { dataset, truth };
}

/**
 * Generates a synthetic ESCI-like dataset (items, queries, pairs, users,
 * meta), deterministic in the options. See {@link SyntheticOptions} for the
 * knobs and {@link SYNTHETIC_PROFILES} for the presets.
 */
export function generateSynthetic(options: SyntheticOptions = {}): Dataset {
  return generateSyntheticWithTruth(options).dataset;
}

function countsOf(ds: Dataset, cat: Catalogue): Record<string, unknown> {
  const rel = [0, 0, 0, 0];
  let training = 0;
  for (let p = 0; p < ds.pairs.relevance.length; p++) {
    rel[ds.pairs.relevance[p]]++;
    if (
      ds.pairs.relevance[p] === RELEVANCE.exact && ds.pairs.split[p] === "train"
    ) {
      training++;
    }
  }
  let nearDup = 0;
  for (const f of cat.family) if (f >= 0) nearDup++;
  const copies = ds.items.itemId.length - cat.n;
  return {
    items: ds.items.itemId.length,
    ...(copies > 0 ? { sellerCopies: copies } : {}),
    categories: CATEGORIES.length,
    subCategories: SUBS.length,
    nearDuplicateItems: nearDup,
    families: cat.families,
    queries: {
      total: ds.queries.queryId.length,
      ...countBySplit(ds.queries.split),
    },
    pairs: { total: ds.pairs.queryId.length, ...countBySplit(ds.pairs.split) },
    relevance: {
      exact: rel[RELEVANCE.exact],
      substitute: rel[RELEVANCE.substitute],
      complement: rel[RELEVANCE.complement],
      irrelevant: rel[RELEVANCE.irrelevant],
    },
    trainingPairs: training,
    users: ds.users?.userId.length ?? 0,
    historyEvents: ds.users?.history.reduce((n, h) => n + h.length, 0) ?? 0,
  };
}
