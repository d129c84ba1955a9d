/**
 * The options of the synthetic catalogue (`synthetic.ts`): every knob
 * declared once with its meaning, default and bounds
 * ({@link SYNTHETIC_OPTIONS}), the sizes of the `quick` and `full` presets,
 * and the check that resolves options over them.
 *
 * @module
 */

import {
  choice,
  integer,
  number,
  optionsDocument,
  type OptionTable,
  type Resolved,
  resolveOptions,
} from "./options.ts";
import { MAX_HISTORY } from "./schema.ts";
import { CATEGORIES } from "./synthetic_vocab.ts";
import {
  DEFAULT_PROFILE,
  type Profile,
  PROFILE_NAMES,
  profileDefault,
  profilesTable,
} from "./profile.ts";
import { DEFAULT_SEED } from "./rng.ts";

/** How queries are split into train / valid / test. */
export const SYNTHETIC_SPLITS = ["query", "intent"] as const;

/** How queries are split into train / valid / test. */
export type SyntheticSplitBy = (typeof SYNTHETIC_SPLITS)[number];

/** The options a profile sets: the sizes of the catalogue and its splits. */
export interface SyntheticSizes {
  /** Products. */
  numItems: number;
  /** Queries over all splits. */
  numQueries: number;
  /** Users. */
  numUsers: number;
  /** Share of queries in the valid split. */
  validShare: number;
  /** Share of queries in the test split. */
  testShare: number;
}

/**
 * The sizes of each profile. `quick` (tests, CI; well under a second):
 * 1,500 items, 2,500 queries (≈ 3k training pairs, 300 test queries), 300
 * users. `full` (experiments; a few seconds): 20,000 items, 40,000 queries
 * (≥ 50k training pairs, 4,000 test queries), 5,000 users. A training pair
 * is a pair with relevance 3 in the train split.
 */
export const SYNTHETIC_SIZES: Readonly<
  Record<Profile, Readonly<SyntheticSizes>>
> = Object.freeze({
  quick: Object.freeze({
    numItems: 1500,
    numQueries: 2500,
    numUsers: 300,
    validShare: 0.12,
    testShare: 0.12,
  }),
  full: Object.freeze({
    numItems: 20000,
    numQueries: 40000,
    numUsers: 5000,
    validShare: 0.1,
    testShare: 0.1,
  }),
});

function share(value: number, doc: string) {
  return number({ default: value, min: 0, max: 1, doc });
}

// Every sub-category gets at least one item.
const SUB_CATEGORY_COUNT = CATEGORIES.reduce(
  (n, c) => n + c.subCategories.length,
  0,
);

/**
 * The knobs of {@link generateSynthetic}, each declared once (type,
 * default, bounds, meaning; docs/synthetic_options.md is generated from
 * them). Unset sizes come from the profile ({@link SYNTHETIC_SIZES}).
 */
export const SYNTHETIC_OPTIONS = {
  profile: choice({
    choices: PROFILE_NAMES,
    default: DEFAULT_PROFILE,
    doc: "preset the sizes come from (SYNTHETIC_SIZES)",
  }),
  seed: integer({
    default: DEFAULT_SEED,
    min: -(2 ** 31),
    max: 2 ** 32 - 1,
    doc: "seed of every random draw",
  }),
  numItems: integer({
    default: profileDefault(SYNTHETIC_SIZES, "numItems"),
    min: SUB_CATEGORY_COUNT,
    max: 500_000,
    doc: "number of products",
    hint: "at least one per sub-category",
  }),
  numQueries: integer({
    default: profileDefault(SYNTHETIC_SIZES, "numQueries"),
    min: 10,
    max: 5_000_000,
    doc: "number of queries over all splits",
  }),
  numUsers: integer({
    default: profileDefault(SYNTHETIC_SIZES, "numUsers"),
    min: 0,
    max: 1_000_000,
    doc:
      "number of users; 0 gives a dataset without a users table and with every query's `userId` = −1",
  }),
  validShare: number({
    default: profileDefault(SYNTHETIC_SIZES, "validShare"),
    min: 0,
    max: 1,
    doc: "share of queries in the valid split",
  }),
  testShare: number({
    default: profileDefault(SYNTHETIC_SIZES, "testShare"),
    min: 0,
    max: 1,
    doc: "share of queries in the test split; validShare + testShare < 1",
    check: (v, all) =>
      (v as number) + (all.validShare as number) < 1
        ? null
        : `must leave the train split queries: validShare + testShare must be < 1, got ${all.validShare} + ${v}`,
  }),
  splitBy: choice({
    choices: SYNTHETIC_SPLITS,
    default: "query",
    doc:
      '"query": each query instance is assigned to a split on its own, so valid/test queries are distinct instances that may share an intent (target product or attribute set) with training queries, as in real logs; "intent": all queries of one intent go to the same split, so valid/test intents are unseen in training (split sizes then match the shares only approximately)',
  }),
  nearDuplicateShare: share(
    0.3,
    "share of products that belong to a near-duplicate family, i.e. have at least one other product of the same sub-category and brand whose attributes differ in exactly one key: the hard negatives",
  ),
  sellerCopyShare: share(
    0,
    "share of products sold by a second seller: each gets a seller copy, an extra item with the same title, category, brand, attributes and popularity, interchangeable for every query (the other kind of near-duplicate than nearDuplicateShare's, which a query must tell apart). In the train split each label of a copied product goes to one of the two offers at random (a click log knows the offer that was clicked, so the other is an unlabelled positive and an in-batch false negative); in valid and test both offers carry the label (judged relevance). Copies come after the numItems products; with 0 no random number is drawn, so the data is the same as without the option",
  ),
  maxFamilySize: integer({
    default: 4,
    min: 2,
    max: 20,
    doc: "largest near-duplicate family",
  }),
  queryNoise: share(
    0.3,
    'mean per-query noise rate ν. For a query with rate ν: with probability 0.3ν the query is partial (noun plus at most one attribute); each remaining brand/attribute phrase is dropped with probability 0.35ν and each noun modifier ("office" of "office chair") with 0.2ν; the phrases are reordered with probability 0.5ν; each word with an entry in the synonym table is replaced with probability 0.5ν; each word of ≥ 3 characters gets a typo (adjacent swap, drop or insert) with probability 0.2ν. With 0 the query is the clean intent text, all of whose words occur in every exact product\'s title',
  ),
  hardnessHeterogeneity: share(
    0.5,
    "how much hardness varies across queries: each query draws its own noise rate ν_q from a Beta distribution with mean queryNoise and variance hardnessHeterogeneity · m(1 − m) (m the mean), and its own near-duplicate competitor share π_q the same way around hardNegativeShare. 0: every query has ν = queryNoise and π = hardNegativeShare; 1: each query is either clean or fully noisy (and has either only or no near-duplicate substitutes). Per-pair adaptive hyper-parameters are expected to help most when this is high; the per-query values are in SyntheticTruth",
  ),
  hardNegativeShare: share(
    0.5,
    "mean share π of a query's labelled substitutes that are near-duplicate competitors. A competitor is the unused same-sub-category product closest to the intent (fewest differing named attributes: one, i.e. a near-duplicate, when the target has one); the other substitutes are uniform draws from the sub-category",
  ),
  popularitySkew: number({
    default: 0.8,
    min: 0,
    max: 4,
    doc:
      "Zipf exponent s of item popularity (0: uniform); query targets and history items are drawn by it",
  }),
  productIntentShare: share(
    0.6,
    "share of queries whose intent is one product; the rest name a sub-category and an attribute subset",
  ),
  maxExactPerQuery: integer({
    default: 8,
    min: 1,
    max: 1000,
    doc:
      "most products an attribute intent may match; all of them are labelled exact",
  }),
  substitutesPerQuery: integer({
    default: 3,
    min: 0,
    max: 100,
    doc: "labelled substitutes per query, when available",
  }),
  complementsPerQuery: integer({
    default: 1,
    min: 0,
    max: 100,
    doc: "labelled complements per query",
  }),
  irrelevantPerQuery: integer({
    default: 2,
    min: 0,
    max: 100,
    doc: "labelled irrelevant products per query",
  }),
  hardIrrelevantShare: share(
    0.5,
    "share of the irrelevant labels that are hard: drawn from an unrelated sub-category of the same category or with the same head noun, preferring products with the target's colour or brand",
  ),
  interestsPerUser: integer({
    default: 3,
    min: 1,
    max: 20,
    doc: "each user has 1 to this many interest sub-categories",
  }),
  minHistory: integer({
    default: 5,
    min: 0,
    max: MAX_HISTORY,
    doc: "shortest behaviour sequence",
  }),
  maxHistory: integer({
    default: MAX_HISTORY,
    min: 0,
    max: MAX_HISTORY,
    doc: "longest behaviour sequence (MAX_HISTORY, the schema's maximum)",
    check: (v, all) =>
      (v as number) >= (all.minHistory as number)
        ? null
        : `must be ≥ minHistory (${all.minHistory}), got ${v}`,
  }),
  interestConsistency: share(
    0.9,
    "share of history events drawn from the user's interest sub-categories; the rest are drawn from the whole catalogue by popularity",
  ),
  brandLoyalty: share(
    0.5,
    "probability that an in-interest event is drawn from the user's preferred brand of that sub-category, when the user has one (users have a preferred brand in 70% of their interests)",
  ),
  userQueryConsistency: share(
    0.9,
    "probability that a query's user is one interested in the query's sub-category; otherwise any user",
  ),
} as const satisfies OptionTable;

/** Every option of {@link SYNTHETIC_OPTIONS}, resolved. */
export type ResolvedSyntheticOptions = Resolved<typeof SYNTHETIC_OPTIONS>;

/** Knobs of {@link generateSynthetic} ({@link SYNTHETIC_OPTIONS}); unset ones take their defaults. */
export type SyntheticOptions = Partial<ResolvedSyntheticOptions>;

/**
 * Merges options over their defaults and checks every value. Throws a
 * `RangeError` naming the option, e.g. `nearDuplicateShare must be a
 * finite number ≥ 0 and ≤ 1, got 2`, for unknown names and bad values.
 */
export function resolveSyntheticOptions(
  options: SyntheticOptions = {},
): ResolvedSyntheticOptions {
  return resolveOptions(SYNTHETIC_OPTIONS, options, {
    strict: {},
    fail: (name, problem) => {
      throw new RangeError(`${name} ${problem}`);
    },
  });
}

/** Every option of each profile, resolved: what an empty options object gives. */
export const SYNTHETIC_PROFILES: Readonly<
  Record<Profile, Readonly<ResolvedSyntheticOptions>>
> = Object.freeze({
  quick: Object.freeze(resolveSyntheticOptions({ profile: "quick" })),
  full: Object.freeze(resolveSyntheticOptions({ profile: "full" })),
});

/** The Markdown of docs/synthetic_options.md, generated from {@link SYNTHETIC_OPTIONS}. */
export function syntheticOptionsMarkdown(): string {
  return optionsDocument({
    title: "Synthetic catalogue options",
    source:
      "syntheticOptionsMarkdown() from SYNTHETIC_SIZES and SYNTHETIC_OPTIONS (lib/data/synthetic_options.ts)",
    test: "lib/data/synthetic_test.ts",
    intro:
      "The knobs of the synthetic ESCI-like catalogue (`generateSynthetic`, `deno task data`): any of the options below; an option left out takes its default, the sizes their profile's. The generator is deterministic in them; the dataset's `meta.json` records the resolved options.",
    sections: [
      {
        name: "profiles",
        table: profilesTable(
          SYNTHETIC_SIZES,
          Object.keys(SYNTHETIC_SIZES.quick) as (keyof SyntheticSizes)[],
        ),
      },
      { name: "options", table: SYNTHETIC_OPTIONS },
    ],
  });
}
