/**
 * A tiny hand-built dataset and small feature settings for the towers'
 * tests: 5 items, 4 queries, 2 users (one with an empty history) and one
 * query whose user is unknown.
 *
 * @module
 */

import type { Dataset } from "../data/mod.ts";
import type { FeatureConfigOverrides } from "../features/mod.ts";

/** Small bucket counts so that test models build in milliseconds. */
export const TINY_FEATURES: FeatureConfigOverrides = {
  buckets: {
    charTrigram: 512,
    word: 256,
    wordBigram: 64,
    charUnigram: 64,
    charBigram: 256,
  },
  maxLen: { query: 8, titleWords: 8, titleChars: 24, history: 4 },
};

/**
 * The tiny dataset. Query b's exact item is item row b (b = 0 … 3); item
 * row 4 is never a positive. User 100 has history [item 11, item 12], user
 * 101 an empty one; query 2 has no user.
 */
export function tinyDataset(): Dataset {
  return {
    items: {
      itemId: Int32Array.from([10, 11, 12, 13, 14]),
      sourceId: ["", "", "", "", ""],
      title: [
        "red chair",
        "blue velvet sofa",
        "oak table",
        "red lamp",
        "green rug",
      ],
      category: [
        "Furniture > Chairs",
        "Furniture > Sofas",
        "Furniture > Tables",
        "Lighting",
        "Rugs",
      ],
      brand: ["Acme", "", "Oakly", "Acme", ""],
      attributes: ["", "", "", "", ""],
      popularity: Float32Array.from([5, 3, 2, 1, 1]),
    },
    queries: {
      queryId: Int32Array.from([0, 1, 2, 3]),
      text: ["red chair", "sofa blue", "oak table", "lamp"],
      userId: Int32Array.from([100, 101, -1, 100]),
      split: ["train", "train", "train", "train"],
    },
    pairs: {
      queryId: Int32Array.from([0, 1, 2, 3, 0]),
      itemId: Int32Array.from([10, 11, 12, 13, 14]),
      relevance: Int8Array.from([3, 3, 3, 3, 0]),
      split: ["train", "train", "train", "train", "train"],
    },
    users: {
      userId: Int32Array.from([100, 101]),
      history: [Int32Array.from([11, 12]), new Int32Array(0)],
    },
    meta: { name: "tiny-towers" },
  };
}
