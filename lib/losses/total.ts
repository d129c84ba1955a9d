/**
 * The total loss of the symmetric method, eq. (9)
 * (docs/reconstruction.md#eq-9), and the options of the symmetric term the
 * adaptive losses share.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  choice,
  flag,
  lossOptions,
  type Options,
  param,
  showValue,
} from "./options.ts";

/** How {@link totalLoss} weighs the two terms. */
export type Combine = "add" | "convex";

/** Accepted values of the `combine` option. */
export const COMBINE_MODES: readonly Combine[] = ["add", "convex"];

/** Accepted values of the `symmetricFrom` option. */
export const SYMMETRIC_FROM: readonly ("query" | "item")[] = ["query", "item"];

/**
 * The symmetric term's options, shared by both adaptive losses (open
 * choices A4, A5: docs/reconstruction.md#a4).
 */
export const SYMMETRIC_OPTIONS = {
  symmetric: flag({
    default: true,
    doc: "add the item-anchored term L^v, eq. (8)",
  }),
  w: param({
    default: 0.05,
    min: 0,
    doc: "weight w of L^v (the paper's 0.05), eq. (9)",
    check: (w: unknown, o) =>
      o.combine === "convex" && typeof w === "number" && w > 1
        ? `must be ≤ 1 with combine "convex" ((1 − w)·L^q + w·L^v), got ${
          showValue(w)
        }`
        : null,
  }),
  combine: choice({
    choices: COMBINE_MODES,
    default: "add",
    doc: '"add": L^q + w·L^v; "convex": (1 − w)·L^q + w·L^v',
  }),
  symmetricFrom: choice({
    choices: SYMMETRIC_FROM,
    default: "query",
    doc:
      'similarity behind L^v\'s δ/τ: "query" s(q, v_j), eq. (8); "item": reuse L^q\'s',
  }),
};

/** The options of {@link totalLoss}: `w` and `combine`. */
export const TOTAL_LOSS_OPTIONS = {
  w: SYMMETRIC_OPTIONS.w,
  combine: SYMMETRIC_OPTIONS.combine,
};

/** Options of {@link totalLoss}; see {@link TOTAL_LOSS_OPTIONS}. */
export type TotalLossOptions = Options<typeof TOTAL_LOSS_OPTIONS>;

/** Options of the symmetric term; see {@link SYMMETRIC_OPTIONS}. */
export type SymmetricOptions = Options<typeof SYMMETRIC_OPTIONS>;

/**
 * Total loss, eq. (9): L = L^q + w·L^v ("add", default w = 0.05), or the
 * convex combination (1 − w)·L^q + w·L^v (the paper's form is unknown).
 */
export function totalLoss(
  queryLoss: tf.Scalar,
  itemLoss: tf.Scalar,
  options: TotalLossOptions = {},
): tf.Scalar {
  const { w, combine } = lossOptions("totalLoss", TOTAL_LOSS_OPTIONS, options);
  return tf.tidy(() => {
    const weighted = tf.mul(itemLoss, w);
    const first = combine === "add"
      ? queryLoss
      : tf.mul(queryLoss, tf.sub(1, w));
    return tf.add(first, weighted) as tf.Scalar;
  });
}
