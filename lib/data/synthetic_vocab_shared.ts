/**
 * What every category of the synthetic vocabulary shares: the shape of a
 * category's record, the colours and the generic sizes. The categories
 * themselves are in `synthetic_vocab_home.ts` and `synthetic_vocab_goods.ts`;
 * `synthetic_vocab.ts` puts them in order.
 *
 * @module
 */

/** One sub-category: what its products are called and how they vary. */
export interface SubCategoryVocab {
  /** Display name, the second level of the `category` column. */
  readonly name: string;
  /** Product noun used in titles and queries (unique across the vocabulary). */
  readonly noun: string;
  /** Values of the `feature` attribute (phrases appended after the noun). */
  readonly features: readonly string[];
}

/** One top-level category with the vocabularies its products draw from. */
export interface CategoryVocab {
  /** Display name, the first level of the `category` column. */
  readonly name: string;
  /** Invented brand names (single words). */
  readonly brands: readonly string[];
  /** Values of the `material` attribute. */
  readonly materials: readonly string[];
  /** Values of the `size` attribute. */
  readonly sizes: readonly string[];
  /** The sub-categories. */
  readonly subCategories: readonly SubCategoryVocab[];
}

/** Values of the `color` attribute, shared by all categories. */
export const COLORS: readonly string[] = [
  "black",
  "white",
  "grey",
  "silver",
  "red",
  "blue",
  "navy",
  "green",
  "olive",
  "yellow",
  "orange",
  "pink",
  "purple",
  "brown",
  "beige",
  "teal",
];

/** Sizes of the categories without sizes of their own. */
export const GENERIC_SIZES: readonly string[] = [
  "small",
  "medium",
  "large",
  "xl",
];
