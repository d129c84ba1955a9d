/**
 * The options of the synthetic catalogue (`synthetic.ts`): every knob with
 * its meaning, the `quick` and `full` presets, and the check that resolves
 * options over their preset.
 *
 * @module
 */

import { unknownKey } from "./options.ts";
import { MAX_HISTORY } from "./schema.ts";
import { CATEGORIES } from "./synthetic_vocab.ts";
import { DEFAULT_PROFILE, type Profile } from "./profile.ts";
import { DEFAULT_SEED } from "./rng.ts";

/** How queries are split into train / valid / test. */
export type SyntheticSplitBy = "query" | "intent";

/** Knobs of {@link generateSynthetic}; unset ones come from the profile. */
export interface SyntheticOptions {
  /** Preset the other options start from (default `"quick"`). */
  profile?: Profile;
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
  /**
   * Share of products sold by a second seller (default 0), in [0, 1]: each
   * such product gets a seller copy, an extra item with the same title,
   * category, brand, attributes and popularity. The copy is interchangeable
   * for every query (the other kind of near-duplicate than
   * `nearDuplicateShare`'s, which a query must tell apart). The labels say
   * so the way logs and judges would: in the train split each label of a
   * copied product goes to one of the two offers at random (a click log
   * knows the offer that was clicked, so the other one is an unlabelled
   * positive and an in-batch false negative), while in valid and test both
   * offers carry the label (judged relevance). Copies are appended after
   * the `numItems` products; with 0 no random number is drawn, so the data
   * is the same as without the option.
   */
  sellerCopyShare?: number;
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
  seed: DEFAULT_SEED,
  splitBy: "query" as SyntheticSplitBy,
  nearDuplicateShare: 0.3,
  sellerCopyShare: 0,
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
  Record<Profile, Readonly<ResolvedSyntheticOptions>>
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

// ------------------------------------------------------------------ check

// Every sub-category gets at least one item.
const SUB_CATEGORY_COUNT = CATEGORIES.reduce(
  (n, c) => n + c.subCategories.length,
  0,
);

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
  sellerCopyShare: SHARE,
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
  const profile = options.profile ?? DEFAULT_PROFILE;
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
  if (o.numItems < SUB_CATEGORY_COUNT) {
    throw new RangeError(
      `numItems must be at least the number of sub-categories (${SUB_CATEGORY_COUNT}), got ${o.numItems}`,
    );
  }
  return o;
}
