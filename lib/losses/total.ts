/**
 * The total loss of the symmetric method, eq. (9)
 * (docs/reconstruction.md#eq-9).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { checkChoice, checkParam, type Param } from "./types.ts";

/** How {@link totalLoss} weighs the two terms. */
export type Combine = "add" | "convex";

/** Accepted values of {@link TotalLossOptions.combine}. */
export const COMBINE_MODES: readonly Combine[] = ["add", "convex"];

/** Options of {@link totalLoss}. */
export interface TotalLossOptions {
  /** Weight w of the item-anchored term (default 0.05). */
  w?: Param;
  /** "add": L^q + w·L^v (default); "convex": (1 − w)·L^q + w·L^v. */
  combine?: Combine;
}

/**
 * Total loss, eq. (9): L = L^q + w·L^v ("add", default w = 0.05), or the
 * convex combination (1 − w)·L^q + w·L^v (the paper's form is unknown).
 */
export function totalLoss(
  queryLoss: tf.Scalar,
  itemLoss: tf.Scalar,
  options: TotalLossOptions = {},
): tf.Scalar {
  const combine = checkChoice(
    "totalLoss",
    "combine",
    options.combine ?? "add",
    COMBINE_MODES,
  );
  const w = options.w ?? 0.05;
  checkParam("totalLoss", "w", w, {
    min: 0,
    max: combine === "convex" ? 1 : Infinity,
  });
  return tf.tidy(() => {
    const weighted = tf.mul(itemLoss, w);
    const first = combine === "add"
      ? queryLoss
      : tf.mul(queryLoss, tf.sub(1, w));
    return tf.add(first, weighted) as tf.Scalar;
  });
}

/** Options of the symmetric term, shared by the adaptive losses. */
export interface SymmetricOptions {
  /** Add the item-anchored term L^v, eq. (8) (default true). */
  symmetric?: boolean;
  /** Weight w of L^v (default 0.05). */
  w?: Param;
  /** "add": L^q + w·L^v (default); "convex": (1 − w)·L^q + w·L^v. */
  combine?: Combine;
  /**
   * Similarity behind L^v's adaptive values: "query" (default), s(q, v_j),
   * eq. (8); "item": reuse L^q's values, from s(v, v_j).
   */
  symmetricFrom?: "query" | "item";
}

/** Accepted values of {@link SymmetricOptions.symmetricFrom}. */
export const SYMMETRIC_FROM: readonly ("query" | "item")[] = ["query", "item"];

/**
 * Options both adaptive losses accept besides their own (δ0 or τ0 and the
 * softmax's logQ options) and the candidate options.
 */
export const ADAPTIVE_LOSS_KEYS: readonly string[] = [
  "alpha",
  "form",
  "stopGradient",
  "trainable",
  "symmetric",
  "w",
  "combine",
  "symmetricFrom",
];

/** Checks the symmetric options (before any tensor is made). */
export function checkSymmetric(fn: string, options: SymmetricOptions): void {
  const combine = checkChoice(
    fn,
    "combine",
    options.combine ?? "add",
    COMBINE_MODES,
  );
  checkParam(fn, "w", options.w ?? 0.05, {
    min: 0,
    max: combine === "convex" ? 1 : Infinity,
  });
  checkChoice(
    fn,
    "symmetricFrom",
    options.symmetricFrom ?? "query",
    SYMMETRIC_FROM,
  );
}
