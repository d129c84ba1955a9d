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
 *   title order; noise (see {@link SyntheticOptions.queryNoise}) then drops,
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
 * - Users prefer a few sub-categories (and a brand in some of them); their
 *   histories sample those by popularity. A query gets, with probability
 *   `userQueryConsistency`, a user interested in its sub-category.
 *
 * @module
 */

import { unknownKey } from "./options.ts";
import { cumulative, Rng } from "./rng.ts";
import {
  type Dataset,
  MAX_HISTORY,
  RELEVANCE,
  type Split,
  SPLITS,
} from "./schema.ts";
import {
  CATEGORIES,
  COLORS,
  COMPLEMENTS,
  SYNONYMS,
} from "./synthetic_vocab.ts";

/** Names of the option presets in {@link SYNTHETIC_PROFILES}. */
export type SyntheticProfile = "quick" | "full";

/** How queries are split into train / valid / test. */
export type SyntheticSplitBy = "query" | "intent";

/** Knobs of {@link generateSynthetic}; unset ones come from the profile. */
export interface SyntheticOptions {
  /** Preset the other options start from (default `"quick"`). */
  profile?: SyntheticProfile;
  /** Seed of every random draw (default 1). Any integer. */
  seed?: number;
  /**
   * Number of products (quick 1,500; full 20,000). At least one per
   * sub-category (69), at most 500,000.
   */
  numItems?: number;
  /** Number of queries over all splits (quick 2,500; full 40,000). */
  numQueries?: number;
  /**
   * Number of users (quick 300; full 5,000). 0 gives a dataset without a
   * users table and with every query's `userId` = −1.
   */
  numUsers?: number;
  /** Share of queries in the valid split (quick 0.12; full 0.1). */
  validShare?: number;
  /** Share of queries in the test split (quick 0.12; full 0.1). */
  testShare?: number;
  /**
   * `"query"` (default): each query instance is assigned to a split on its
   * own, so valid/test queries are distinct instances that may share an
   * intent (target product or attribute set) with training queries, as in
   * real logs. `"intent"`: all queries of one intent go to the same split,
   * so valid/test intents are unseen in training (split sizes then match
   * the shares only approximately).
   */
  splitBy?: SyntheticSplitBy;
  /**
   * Share of products that belong to a near-duplicate family, i.e. have at
   * least one other product of the same sub-category and brand whose
   * attributes differ in exactly one key (default 0.3). These are the hard
   * negatives. In [0, 1].
   */
  nearDuplicateShare?: number;
  /** Largest near-duplicate family (default 4). Integer in [2, 20]. */
  maxFamilySize?: number;
  /**
   * Mean per-query noise rate ν (default 0.3), in [0, 1]. For a query with
   * rate ν: with probability 0.3ν the query is partial (noun plus at most
   * one attribute); each remaining brand/attribute phrase is dropped with
   * probability 0.35ν and each noun modifier ("office" of "office chair")
   * with 0.2ν; the phrases are reordered with probability 0.5ν; each word
   * with an entry in the synonym table is replaced with probability 0.5ν;
   * each word of ≥ 3 characters gets a typo (adjacent swap, drop or insert)
   * with probability 0.2ν. With 0 the query is the clean intent text, all of
   * whose words occur in every exact product's title.
   */
  queryNoise?: number;
  /**
   * How much hardness varies across queries (default 0.5), in [0, 1]. Each
   * query draws its own noise rate ν_q from a Beta distribution with mean
   * `queryNoise` and variance `hardnessHeterogeneity · m(1 − m)` (m the
   * mean), and its own near-duplicate competitor share π_q the same way
   * around `hardNegativeShare`. 0: every query has ν = `queryNoise` and
   * π = `hardNegativeShare`; 1: each query is either clean or fully noisy
   * (and has either only or no near-duplicate substitutes). Per-pair
   * adaptive hyper-parameters are expected to help most when this is high.
   * The per-query values are in {@link SyntheticTruth}.
   */
  hardnessHeterogeneity?: number;
  /**
   * Mean share π of a query's labelled substitutes that are near-duplicate
   * competitors (default 0.5), in [0, 1]. A competitor is the unused
   * same-sub-category product closest to the intent (fewest differing named
   * attributes: one, i.e. a near-duplicate, when the target has one); the
   * other substitutes are uniform draws from the sub-category.
   */
  hardNegativeShare?: number;
  /**
   * Zipf exponent s of item popularity (default 0.8), in [0, 4]. 0 gives
   * uniform popularity. Query targets and history items are drawn by it.
   */
  popularitySkew?: number;
  /**
   * Share of queries whose intent is one product (default 0.6), in [0, 1];
   * the rest name a sub-category and an attribute subset.
   */
  productIntentShare?: number;
  /**
   * Most products an attribute intent may match (default 8), integer ≥ 1.
   * All of them are labelled exact.
   */
  maxExactPerQuery?: number;
  /** Labelled substitutes per query, when available (default 3). */
  substitutesPerQuery?: number;
  /** Labelled complements per query (default 1). */
  complementsPerQuery?: number;
  /** Labelled irrelevant products per query (default 2). */
  irrelevantPerQuery?: number;
  /**
   * Share of the irrelevant labels that are hard (default 0.5), in [0, 1]:
   * drawn from an unrelated sub-category of the same category or with the
   * same head noun, preferring products with the target's colour or brand.
   */
  hardIrrelevantShare?: number;
  /** Each user has 1 to this many interest sub-categories (default 3). */
  interestsPerUser?: number;
  /** Shortest behaviour sequence (default 5). */
  minHistory?: number;
  /** Longest behaviour sequence (default 100 = MAX_HISTORY, the maximum). */
  maxHistory?: number;
  /**
   * Share of history events drawn from the user's interest sub-categories
   * (default 0.9); the rest are drawn from the whole catalogue by popularity.
   */
  interestConsistency?: number;
  /**
   * Probability that an in-interest event is drawn from the user's
   * preferred brand of that sub-category, when the user has one (default
   * 0.5). Users have a preferred brand in 70% of their interests.
   */
  brandLoyalty?: number;
  /**
   * Probability that a query's user is one interested in the query's
   * sub-category (default 0.9); otherwise any user.
   */
  userQueryConsistency?: number;
}

/** Every option of {@link SyntheticOptions}, resolved. */
export type ResolvedSyntheticOptions = Required<SyntheticOptions>;

const COMMON_DEFAULTS = {
  seed: 1,
  splitBy: "query" as SyntheticSplitBy,
  nearDuplicateShare: 0.3,
  maxFamilySize: 4,
  queryNoise: 0.3,
  hardnessHeterogeneity: 0.5,
  hardNegativeShare: 0.5,
  popularitySkew: 0.8,
  productIntentShare: 0.6,
  maxExactPerQuery: 8,
  substitutesPerQuery: 3,
  complementsPerQuery: 1,
  irrelevantPerQuery: 2,
  hardIrrelevantShare: 0.5,
  interestsPerUser: 3,
  minHistory: 5,
  maxHistory: MAX_HISTORY,
  interestConsistency: 0.9,
  brandLoyalty: 0.5,
  userQueryConsistency: 0.9,
};

/**
 * Option presets. `quick` (tests, CI; well under a second): 1,500 items,
 * 2,500 queries (≈ 3k training pairs, 300 test queries), 300 users. `full`
 * (experiments; a few seconds): 20,000 items, 40,000 queries (≥ 50k training
 * pairs, 4,000 test queries), 5,000 users. A training pair is a pair with
 * relevance 3 in the train split.
 */
export const SYNTHETIC_PROFILES: Readonly<
  Record<SyntheticProfile, Readonly<ResolvedSyntheticOptions>>
> = {
  quick: Object.freeze({
    ...COMMON_DEFAULTS,
    profile: "quick",
    numItems: 1500,
    numQueries: 2500,
    numUsers: 300,
    validShare: 0.12,
    testShare: 0.12,
  }),
  full: Object.freeze({
    ...COMMON_DEFAULTS,
    profile: "full",
    numItems: 20000,
    numQueries: 40000,
    numUsers: 5000,
    validShare: 0.1,
    testShare: 0.1,
  }),
};

/** Attribute keys, in the order they appear in the `attributes` column. */
export const ATTRIBUTE_KEYS = ["color", "material", "size", "feature"] as const;

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
  /** Near-duplicate family of each item (−1: none), indexed by item id. */
  itemFamily: Int32Array;
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

// ---------------------------------------------------------------- options

type NumericKey = Exclude<
  keyof ResolvedSyntheticOptions,
  "profile" | "splitBy"
>;

interface NumberSpec {
  int: boolean;
  min: number;
  max: number;
  /** Upper bound excluded. */
  openMax?: boolean;
}

const SHARE: NumberSpec = { int: false, min: 0, max: 1 };

const NUMBER_SPECS: Record<NumericKey, NumberSpec> = {
  seed: { int: true, min: -(2 ** 31), max: 2 ** 32 - 1 },
  numItems: { int: true, min: 1, max: 500_000 },
  numQueries: { int: true, min: 10, max: 5_000_000 },
  numUsers: { int: true, min: 0, max: 1_000_000 },
  validShare: { int: false, min: 0, max: 1, openMax: true },
  testShare: { int: false, min: 0, max: 1, openMax: true },
  nearDuplicateShare: SHARE,
  maxFamilySize: { int: true, min: 2, max: 20 },
  queryNoise: SHARE,
  hardnessHeterogeneity: SHARE,
  hardNegativeShare: SHARE,
  popularitySkew: { int: false, min: 0, max: 4 },
  productIntentShare: SHARE,
  maxExactPerQuery: { int: true, min: 1, max: 1000 },
  substitutesPerQuery: { int: true, min: 0, max: 100 },
  complementsPerQuery: { int: true, min: 0, max: 100 },
  irrelevantPerQuery: { int: true, min: 0, max: 100 },
  hardIrrelevantShare: SHARE,
  interestsPerUser: { int: true, min: 1, max: 20 },
  minHistory: { int: true, min: 0, max: MAX_HISTORY },
  maxHistory: { int: true, min: 0, max: MAX_HISTORY },
  interestConsistency: SHARE,
  brandLoyalty: SHARE,
  userQueryConsistency: SHARE,
};

/**
 * Merges options over their profile and checks every value. Throws a
 * `RangeError` naming the option, e.g. `nearDuplicateShare must be in
 * [0, 1], got 2`, for unknown names and bad values.
 */
export function resolveSyntheticOptions(
  options: SyntheticOptions = {},
): ResolvedSyntheticOptions {
  const profile = options.profile ?? "quick";
  if (!Object.hasOwn(SYNTHETIC_PROFILES, profile)) {
    throw new RangeError(
      `profile must be one of ${
        Object.keys(SYNTHETIC_PROFILES).join(", ")
      }, got ${JSON.stringify(profile)}`,
    );
  }
  const base = SYNTHETIC_PROFILES[profile];
  const unknown = unknownKey(options, Object.keys(base));
  if (unknown !== null) {
    throw new RangeError(
      `unknown synthetic option ${JSON.stringify(unknown)}; known: ${
        Object.keys(base).sort().join(", ")
      }`,
    );
  }
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  );
  const o: ResolvedSyntheticOptions = { ...base, ...defined, profile };
  for (const [key, spec] of Object.entries(NUMBER_SPECS)) {
    const v = o[key as NumericKey];
    const hi = spec.openMax ? ")" : "]";
    if (
      typeof v !== "number" || !Number.isFinite(v) ||
      (spec.int && !Number.isInteger(v)) || v < spec.min ||
      (spec.openMax ? v >= spec.max : v > spec.max)
    ) {
      const what = spec.int ? "an integer in" : "in";
      throw new RangeError(
        `${key} must be ${what} [${spec.min}, ${spec.max}${hi}, got ${
          typeof v === "number" ? v : JSON.stringify(v)
        }`,
      );
    }
  }
  if (o.splitBy !== "query" && o.splitBy !== "intent") {
    throw new RangeError(
      `splitBy must be "query" or "intent", got ${JSON.stringify(o.splitBy)}`,
    );
  }
  if (o.validShare + o.testShare >= 1) {
    throw new RangeError(
      `validShare + testShare must be < 1, got ${o.validShare} + ${o.testShare}`,
    );
  }
  if (o.minHistory > o.maxHistory) {
    throw new RangeError(
      `minHistory must be <= maxHistory, got ${o.minHistory} > ${o.maxHistory}`,
    );
  }
  if (o.numItems < SUBS.length) {
    throw new RangeError(
      `numItems must be at least the number of sub-categories (${SUBS.length}), got ${o.numItems}`,
    );
  }
  return o;
}

// ------------------------------------------------------------- vocabulary

/** Title slots, in title order; the noun goes between slot 2 and slot 3. */
const BRAND = 0, SIZE = 1, MATERIAL = 2, FEATURE = 3, COLOR = 4;
const SLOTS = 5;
const ATTR_SLOTS = [SIZE, MATERIAL, FEATURE, COLOR];
/** Which attribute a near-duplicate variant changes, with weights. */
const VARIANT_SLOTS = [COLOR, MATERIAL, SIZE, FEATURE];
const VARIANT_WEIGHTS = cumulative([0.4, 0.25, 0.2, 0.15]);

interface Sub {
  cat: number;
  path: string;
  noun: string;
  nounWords: string[];
  /** Vocabulary of each slot. */
  values: (readonly string[])[];
  complements: number[];
  /** Unrelated sub-categories that look related (hard irrelevant). */
  lookalikes: number[];
}

function buildSubs(): Sub[] {
  const subs: Sub[] = [];
  for (let c = 0; c < CATEGORIES.length; c++) {
    const cat = CATEGORIES[c];
    for (const s of cat.subCategories) {
      subs.push({
        cat: c,
        path: `${cat.name} > ${s.name}`,
        noun: s.noun,
        nounWords: s.noun.split(" "),
        values: [cat.brands, cat.sizes, cat.materials, s.features, COLORS],
        complements: [],
        lookalikes: [],
      });
    }
  }
  const byNoun = new Map(subs.map((s, i) => [s.noun, i]));
  for (const [a, b] of COMPLEMENTS) {
    const i = byNoun.get(a), j = byNoun.get(b);
    if (i === undefined || j === undefined) {
      throw new Error(`synthetic_vocab: complement ${a} ↔ ${b} names no noun`);
    }
    if (!subs[i].complements.includes(j)) subs[i].complements.push(j);
    if (!subs[j].complements.includes(i)) subs[j].complements.push(i);
  }
  for (let i = 0; i < subs.length; i++) {
    const head = subs[i].nounWords[subs[i].nounWords.length - 1];
    for (let j = 0; j < subs.length; j++) {
      if (j === i || subs[i].complements.includes(j)) continue;
      if (subs[j].cat === subs[i].cat || subs[j].nounWords.includes(head)) {
        subs[i].lookalikes.push(j);
      }
    }
  }
  return subs;
}

const SUBS: Sub[] = buildSubs();

/** Radix of each slot in the packed signature; the top value is "masked". */
const RADIX = Array.from(
  { length: SLOTS },
  (_, k) => Math.max(...SUBS.map((s) => s.values[k].length)) + 1,
);

// ------------------------------------------------------------ catalogue

interface Catalogue {
  n: number;
  sub: Int32Array;
  slot: Int32Array[];
  family: Int32Array;
  families: number;
  title: string[];
  category: string[];
  brand: string[];
  attributes: string[];
  popularity: Float32Array;
  weight: Float64Array;
  subItems: Int32Array[];
  subCum: Float64Array[];
  subMass: Float64Array;
  brandItems: Map<number, { ids: Int32Array; cum: Float64Array }>;
  globalCum: Float64Array;
}

function pack(s: number, v: ArrayLike<number>, masked = -1): number {
  let code = s;
  for (let k = 0; k < SLOTS; k++) {
    code = code * RADIX[k] + (k === masked ? RADIX[k] - 1 : v[k]);
  }
  return code;
}

/** Splits `total` over weights, every part ≥ 1, by largest remainder. */
function allocate(total: number, weights: number[]): number[] {
  const n = weights.length;
  const sum = weights.reduce((a, b) => a + b, 0);
  const free = total - n;
  const exact = weights.map((w) => (w / sum) * free);
  const parts = exact.map((x) => 1 + Math.floor(x));
  const order = exact
    .map((x, i) => [x - Math.floor(x), i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = total - parts.reduce((a, b) => a + b, 0);
  for (let r = 0; left > 0; r++, left--) parts[order[r % n][1]]++;
  return parts;
}

/** Family sizes summing to about `share · n`, each in [2, maxSize]. */
function familySizes(
  rng: Rng,
  n: number,
  share: number,
  maxSize: number,
): number[] {
  let dup = Math.round(share * n);
  if (dup === 1) dup = share >= 0.5 || n === 2 ? 2 : 0;
  if (maxSize === 2 && dup % 2 === 1) dup = dup + 1 <= n ? dup + 1 : dup - 1;
  const sizes: number[] = [];
  let rem = dup;
  while (rem > 0) {
    let k: number;
    if (rem <= maxSize) k = rem;
    else {
      k = 2 + rng.int(maxSize - 1);
      if (rem - k === 1) k = k > 2 ? k - 1 : k + 1;
    }
    sizes.push(k);
    rem -= k;
  }
  return sizes;
}

function buildCatalogue(
  o: ResolvedSyntheticOptions,
  rng: Rng,
  popRng: Rng,
): Catalogue {
  const subWeights = SUBS.map(() => rng.uniform(0.5, 1.5));
  const perSub = allocate(o.numItems, subWeights);
  const N = o.numItems;
  // Generation order: sub-category by sub-category; rows are shuffled later.
  const gSub = new Int32Array(N);
  const gSlot = Array.from({ length: SLOTS }, () => new Int32Array(N));
  const gFamily = new Int32Array(N).fill(-1);
  const exact = new Set<number>();
  const buckets = new Map<number, number[]>();
  let count = 0;
  let families = 0;
  const v = new Int32Array(SLOTS);

  const add = (s: number, fam: number) => {
    const i = count++;
    gSub[i] = s;
    for (let k = 0; k < SLOTS; k++) gSlot[k][i] = v[k];
    gFamily[i] = fam;
    exact.add(pack(s, v));
    for (const k of ATTR_SLOTS) {
      const key = pack(s, v, k);
      const b = buckets.get(key);
      if (b) b.push(i);
      else buckets.set(key, [i]);
    }
  };
  // True when v has no same-brand item at attribute distance <= 1 outside
  // family `fam` (fam = -1: no such item at all).
  const isolated = (s: number, fam: number) => {
    for (const k of ATTR_SLOTS) {
      const b = buckets.get(pack(s, v, k));
      if (!b) continue;
      for (const j of b) if (fam < 0 || gFamily[j] !== fam) return false;
    }
    return true;
  };

  for (let s = 0; s < SUBS.length; s++) {
    const vals = SUBS[s].values;
    const brandCum = cumulative(
      vals[BRAND].map(() => rng.uniform(0.1, 1) ** 2),
    );
    const fresh = () => {
      v[BRAND] = rng.weighted(brandCum);
      for (const k of ATTR_SLOTS) v[k] = rng.int(vals[k].length);
    };
    // Draws until `ok` holds (strict), then settles for any unused signature.
    const draw = (make: () => void, ok: () => boolean) => {
      for (let attempt = 0; attempt < 2000; attempt++) {
        make();
        if (exact.has(pack(s, v))) continue;
        if (attempt >= 60 || ok()) return;
      }
      throw new RangeError(
        `numItems ${o.numItems} is too large for the vocabulary of ${
          SUBS[s].path
        }`,
      );
    };
    const sizes = familySizes(
      rng,
      perSub[s],
      o.nearDuplicateShare,
      o.maxFamilySize,
    );
    for (const size of sizes) {
      const fam = families++;
      draw(fresh, () => isolated(s, -1));
      const base = Int32Array.from(v);
      add(s, fam);
      const variant = () => {
        v.set(base);
        const k = VARIANT_SLOTS[rng.weighted(VARIANT_WEIGHTS)];
        v[k] = (base[k] + 1 + rng.int(vals[k].length - 1)) % vals[k].length;
      };
      for (let j = 1; j < size; j++) {
        draw(variant, () => isolated(s, fam));
        add(s, fam);
      }
    }
    const singles = perSub[s] - sizes.reduce((a, b) => a + b, 0);
    for (let j = 0; j < singles; j++) {
      draw(fresh, () => isolated(s, -1));
      add(s, -1);
    }
  }

  // Shuffle rows so that families and sub-categories are not contiguous.
  const order = rng.permutation(N);
  const sub = new Int32Array(N);
  const slot = Array.from({ length: SLOTS }, () => new Int32Array(N));
  const family = new Int32Array(N);
  const title = new Array<string>(N);
  const category = new Array<string>(N);
  const brand = new Array<string>(N);
  const attributes = new Array<string>(N);
  for (let id = 0; id < N; id++) {
    const g = order[id];
    const s = gSub[g];
    sub[id] = s;
    family[id] = gFamily[g];
    for (let k = 0; k < SLOTS; k++) slot[k][id] = gSlot[k][g];
    const w = (k: number) => SUBS[s].values[k][slot[k][id]];
    title[id] = [
      w(BRAND),
      w(SIZE),
      w(MATERIAL),
      SUBS[s].noun,
      w(FEATURE),
      w(COLOR),
    ].join(" ");
    category[id] = SUBS[s].path;
    brand[id] = w(BRAND);
    attributes[id] = `color=${w(COLOR)};material=${w(MATERIAL)};size=${
      w(SIZE)
    };feature=${w(FEATURE)}`;
  }

  // Zipf popularity over a random ranking of the items.
  const rank = popRng.permutation(N);
  const weight = new Float64Array(N);
  let total = 0;
  for (let i = 0; i < N; i++) {
    weight[i] = (rank[i] + 1) ** -o.popularitySkew;
    total += weight[i];
  }
  const popularity = new Float32Array(N);
  for (let i = 0; i < N; i++) popularity[i] = 20 * N * weight[i] / total;

  const lists: number[][] = SUBS.map(() => []);
  const brandLists = new Map<number, number[]>();
  for (let id = 0; id < N; id++) {
    lists[sub[id]].push(id);
    const key = sub[id] * RADIX[BRAND] + slot[BRAND][id];
    const l = brandLists.get(key);
    if (l) l.push(id);
    else brandLists.set(key, [id]);
  }
  const subItems = lists.map((l) => Int32Array.from(l));
  const weightsOf = (ids: Int32Array) =>
    cumulative(Array.from(ids, (i) => weight[i]));
  const subCum = subItems.map(weightsOf);
  const subMass = Float64Array.from(subCum, (c) => c[c.length - 1]);
  const brandItems = new Map<number, { ids: Int32Array; cum: Float64Array }>();
  for (const [key, l] of brandLists) {
    const ids = Int32Array.from(l);
    brandItems.set(key, { ids, cum: weightsOf(ids) });
  }
  return {
    n: N,
    sub,
    slot,
    family,
    families,
    title,
    category,
    brand,
    attributes,
    popularity,
    weight,
    subItems,
    subCum,
    subMass,
    brandItems,
    globalCum: cumulative(weight),
  };
}

// ----------------------------------------------------------------- users

interface Users {
  interests: Int32Array[];
  history: Int32Array[];
}

function buildUsers(
  o: ResolvedSyntheticOptions,
  cat: Catalogue,
  rng: Rng,
): Users {
  const subCum = cumulative(cat.subMass);
  const interests: Int32Array[] = [];
  const history: Int32Array[] = [];
  for (let u = 0; u < o.numUsers; u++) {
    const want = Math.min(1 + rng.int(o.interestsPerUser), SUBS.length);
    const mine: number[] = [];
    for (let tries = 0; mine.length < want && tries < 50 * want; tries++) {
      const s = rng.weighted(subCum);
      if (!mine.includes(s)) mine.push(s);
    }
    // A preferred brand: the brand of a popular product of the sub-category.
    const brandOf = mine.map((s) =>
      rng.bernoulli(0.7)
        ? cat.slot[BRAND][cat.subItems[s][rng.weighted(cat.subCum[s])]]
        : -1
    );
    const len = o.minHistory + rng.int(o.maxHistory - o.minHistory + 1);
    const h = new Int32Array(len);
    for (let e = 0; e < len; e++) {
      if (rng.bernoulli(o.interestConsistency)) {
        const j = rng.int(mine.length);
        const s = mine[j];
        const b = brandOf[j];
        if (b >= 0 && rng.bernoulli(o.brandLoyalty)) {
          const l = cat.brandItems.get(s * RADIX[BRAND] + b)!;
          h[e] = l.ids[rng.weighted(l.cum)];
        } else {
          h[e] = cat.subItems[s][rng.weighted(cat.subCum[s])];
        }
      } else {
        h[e] = rng.weighted(cat.globalCum);
      }
    }
    interests.push(Int32Array.from(mine));
    history.push(h);
  }
  return { interests, history };
}

// --------------------------------------------------------------- queries

function gamma(rng: Rng, shape: number): number {
  // Marsaglia–Tsang; shapes below 1 through the U^(1/a) boost.
  if (shape < 1) return gamma(rng, shape + 1) * rng.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta draw with the given mean and variance `spread · mean(1 − mean)`. */
function betaAround(rng: Rng, mean: number, spread: number): number {
  if (spread <= 0 || mean <= 0 || mean >= 1) return mean;
  if (spread >= 1) return rng.bernoulli(mean) ? 1 : 0;
  const kappa = 1 / spread - 1;
  const x = gamma(rng, mean * kappa);
  const y = gamma(rng, (1 - mean) * kappa);
  if (!(x + y > 0)) return rng.bernoulli(mean) ? 1 : 0;
  return x / (x + y);
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function typo(rng: Rng, w: string): string {
  const op = rng.int(3);
  if (op === 0) {
    const i = rng.int(w.length - 1);
    return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
  }
  if (op === 1) {
    const i = rng.int(w.length);
    return w.slice(0, i) + w.slice(i + 1);
  }
  const i = rng.int(w.length + 1);
  return w.slice(0, i) + LETTERS[rng.int(26)] + w.slice(i);
}

/** Writes the text of an intent with noise rate `nu`. */
function queryText(
  rng: Rng,
  sub: Sub,
  values: string[],
  mention: boolean[],
  nu: number,
): string {
  // Phrases in title order; null marks where the noun goes.
  let phrases: (string | null)[] = [];
  for (let k = 0; k < SLOTS; k++) {
    if (k === FEATURE) phrases.push(null);
    if (mention[k]) phrases.push(values[k]);
  }
  if (rng.bernoulli(0.3 * nu)) {
    const attrs = phrases.filter((p) => p !== null);
    const keep = attrs.length > 0 && rng.bernoulli(0.5) ? rng.pick(attrs) : "";
    phrases = phrases.filter((p) => p === null || p === keep);
  }
  phrases = phrases.filter((p) => p === null || !rng.bernoulli(0.35 * nu));
  if (rng.bernoulli(0.5 * nu)) rng.shuffle(phrases);
  const noun = sub.nounWords.filter((_w, i, a) =>
    i === a.length - 1 || !rng.bernoulli(0.2 * nu)
  );
  const words: string[] = [];
  for (const p of phrases) {
    for (const w of p === null ? noun : p.split(" ")) {
      const syn = SYNONYMS[w];
      if (syn && rng.bernoulli(0.5 * nu)) {
        words.push(...rng.pick(syn).split(" "));
      } else words.push(w);
    }
  }
  for (let i = 0; i < words.length; i++) {
    if (words[i].length >= 3 && rng.bernoulli(0.2 * nu)) {
      words[i] = typo(rng, words[i]);
    }
  }
  return words.join(" ");
}

interface Queries {
  text: string[];
  kind: ("product" | "attribute")[];
  target: Int32Array;
  sub: Int32Array;
  noise: Float64Array;
  hardShare: Float64Array;
  intent: string[];
  pairQuery: number[];
  pairItem: number[];
  pairRel: number[];
}

/** Removes and returns a random element (order of the rest is not kept). */
function takeRandom(rng: Rng, xs: number[]): number {
  const i = rng.int(xs.length);
  const x = xs[i];
  xs[i] = xs[xs.length - 1];
  xs.pop();
  return x;
}

function buildQueries(
  o: ResolvedSyntheticOptions,
  cat: Catalogue,
  rng: Rng,
): Queries {
  const Q = o.numQueries;
  const out: Queries = {
    text: new Array<string>(Q),
    kind: new Array<"product" | "attribute">(Q),
    target: new Int32Array(Q),
    sub: new Int32Array(Q),
    noise: new Float64Array(Q),
    hardShare: new Float64Array(Q),
    intent: new Array<string>(Q),
    pairQuery: [],
    pairItem: [],
    pairRel: [],
  };
  const { slot } = cat;
  const mention = new Array<boolean>(SLOTS);
  const mism = new Int8Array(cat.n);
  for (let q = 0; q < Q; q++) {
    const nu = betaAround(rng, o.queryNoise, o.hardnessHeterogeneity);
    const pi = betaAround(rng, o.hardNegativeShare, o.hardnessHeterogeneity);
    const product = rng.bernoulli(o.productIntentShare);
    const t = rng.weighted(cat.globalCum);
    const s = cat.sub[t];
    const items = cat.subItems[s];
    mention.fill(product);
    const scan = () => {
      let matches = 0;
      for (const i of items) {
        let m = 0;
        for (let k = 0; k < SLOTS; k++) {
          if (mention[k] && slot[k][i] !== slot[k][t]) m++;
        }
        mism[i] = m;
        if (m === 0) matches++;
      }
      return matches;
    };
    if (!product) {
      const order = rng.permutation(SLOTS);
      const first = 1 + rng.int(2);
      for (let j = 0; j < first; j++) mention[order[j]] = true;
      for (let j = first; scan() > o.maxExactPerQuery; j++) {
        mention[order[j]] = true;
      }
    } else {
      scan();
    }
    const values = Array.from(
      { length: SLOTS },
      (_, k) => SUBS[s].values[k][slot[k][t]],
    );
    out.text[q] = queryText(rng, SUBS[s], values, mention, nu);
    out.kind[q] = product ? "product" : "attribute";
    out.target[q] = t;
    out.sub[q] = s;
    out.noise[q] = nu;
    out.hardShare[q] = pi;
    out.intent[q] = product
      ? `p${t}`
      : `a${s}:${values.map((x, k) => (mention[k] ? x : "*")).join("|")}`;

    // Non-exact products of the sub-category by how many named attributes
    // they miss: levels[0] holds the exact ones.
    const levels: number[][] = Array.from({ length: SLOTS + 1 }, () => []);
    for (const i of items) levels[mism[i]].push(i);
    const chosen = new Set<number>();
    const label = (item: number, rel: number) => {
      chosen.add(item);
      out.pairQuery.push(q);
      out.pairItem.push(item);
      out.pairRel.push(rel);
    };
    for (const i of levels[0]) label(i, RELEVANCE.exact);
    let left = items.length - levels[0].length;
    for (let j = 0; j < o.substitutesPerQuery && left > 0; j++, left--) {
      let level = 1;
      if (rng.bernoulli(pi)) {
        // A near-duplicate competitor: the closest product still unused.
        while (levels[level].length === 0) level++;
      } else {
        // Any product of the sub-category, uniformly.
        let r = rng.int(left);
        while (r >= levels[level].length) r -= levels[level++].length;
      }
      label(takeRandom(rng, levels[level]), RELEVANCE.substitute);
    }
    const comps = SUBS[s].complements;
    for (let j = 0; j < o.complementsPerQuery && comps.length > 0; j++) {
      for (let tries = 0; tries < 10; tries++) {
        const c = rng.pick(comps);
        const i = cat.subItems[c][rng.weighted(cat.subCum[c])];
        if (!chosen.has(i)) {
          label(i, RELEVANCE.complement);
          break;
        }
      }
    }
    const looks = SUBS[s].lookalikes;
    for (let j = 0; j < o.irrelevantPerQuery; j++) {
      let pickItem = -1;
      if (looks.length > 0 && rng.bernoulli(o.hardIrrelevantShare)) {
        const c = rng.pick(looks);
        for (let tries = 0; tries < 8; tries++) {
          const i = cat.subItems[c][rng.weighted(cat.subCum[c])];
          if (chosen.has(i)) continue;
          pickItem = i;
          if (
            slot[COLOR][i] === slot[COLOR][t] || cat.brand[i] === cat.brand[t]
          ) break;
        }
      } else {
        for (let tries = 0; tries < 20; tries++) {
          const i = rng.int(cat.n);
          const c = cat.sub[i];
          if (c === s || comps.includes(c) || chosen.has(i)) continue;
          pickItem = i;
          break;
        }
      }
      if (pickItem >= 0) label(pickItem, RELEVANCE.irrelevant);
    }
  }
  return out;
}

function assignSplits(
  o: ResolvedSyntheticOptions,
  intents: string[],
  rng: Rng,
): Split[] {
  const Q = intents.length;
  const nTest = Math.round(o.testShare * Q);
  const nValid = Math.round(o.validShare * Q);
  const split = new Array<Split>(Q).fill("train");
  if (o.splitBy === "query") {
    const perm = rng.permutation(Q);
    for (let r = 0; r < nTest + nValid; r++) {
      split[perm[r]] = r < nTest ? "test" : "valid";
    }
    return split;
  }
  const groups = new Map<string, number[]>();
  for (let q = 0; q < Q; q++) {
    const g = groups.get(intents[q]);
    if (g) g.push(q);
    else groups.set(intents[q], [q]);
  }
  const list = rng.shuffle([...groups.values()]);
  let test = 0, valid = 0;
  for (const g of list) {
    let to: Split = "train";
    if (test < nTest) {
      to = "test";
      test += g.length;
    } else if (valid < nValid) {
      to = "valid";
      valid += g.length;
    }
    for (const q of g) split[q] = to;
  }
  return split;
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

  const dataset: Dataset = {
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
  dataset.meta = {
    name: `synthetic-${o.profile}`,
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
    itemSubCategory: cat.sub,
    itemFamily: cat.family,
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
  const bySplit = (xs: Split[]) =>
    Object.fromEntries(
      SPLITS.map((s) => [s, xs.reduce((n, x) => n + (x === s ? 1 : 0), 0)]),
    );
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
  return {
    items: cat.n,
    categories: CATEGORIES.length,
    subCategories: SUBS.length,
    nearDuplicateItems: nearDup,
    families: cat.families,
    queries: { total: ds.queries.queryId.length, ...bySplit(ds.queries.split) },
    pairs: { total: ds.pairs.queryId.length, ...bySplit(ds.pairs.split) },
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
