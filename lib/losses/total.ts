/**
 * The total loss of the symmetric method, eq. (9)
 * (docs/reconstruction.md#eq-9), and the options of the symmetric term the
 * adaptive losses share.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  lossOptions,
  type Options,
  param,
  type ResolvedArguments,
} from "./options.ts";
import { choice, flag, showValue } from "../data/mod.ts";
import { type BatchScores, itemScoresOf } from "./batch.ts";
import { type LossResult, runLoss, termStatsTensor } from "./types.ts";

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

/** One term (L^q or L^v) of a symmetric loss. */
export interface SymmetricTerm {
  /** The term's value: the mean over anchors. */
  loss: tf.Scalar;
  /** Its stats row's extras ({@link termStatsTensor}); called for stats only. */
  statsExtra: () => { active?: tf.Tensor2D; positiveTemperature?: tf.Tensor };
}

/** What {@link symmetricLoss} needs of an adaptive loss. */
export interface SymmetricLossSpec<T extends typeof SYMMETRIC_OPTIONS> {
  /** The loss's name, for errors. */
  fn: string;
  /** Its option table (with {@link SYMMETRIC_OPTIONS}). */
  table: T;
  /** The options as given. */
  options: Options<T> & { stats?: boolean };
  /** What the per-pair values are, for the stats. */
  parameter: "margin" | "temperature";
  /** The per-pair value (δ or τ) from a similarity matrix, eq. (3)/(5). */
  value: (similarity: tf.Tensor2D, o: ResolvedArguments<T>) => tf.Tensor;
  /**
   * Called once inside the loss's tidy: the function that computes a term
   * from its anchor side ("query": L^q, "item": L^v), the anchors' scores
   * with the candidates and the per-pair values.
   */
  terms: (
    o: ResolvedArguments<T>,
  ) => (
    side: "query" | "item",
    scores: tf.Tensor2D,
    values: tf.Tensor,
  ) => SymmetricTerm;
}

/**
 * The symmetric adaptive loss on a score bundle, eq. (9): L^q with values
 * from s(v_b, c_j); with `symmetric`, L^v with values from s(q_b, c_j)
 * ("query") or L^q's ("item"), combined by {@link totalLoss}. Needs the
 * bundle's item scores.
 */
export function symmetricLoss<T extends typeof SYMMETRIC_OPTIONS>(
  s: BatchScores,
  spec: SymmetricLossSpec<T>,
): LossResult {
  const { fn, value } = spec;
  const o = lossOptions(fn, spec.table, spec.options, ["stats"]);
  const stats = spec.options.stats ?? false;
  const item = itemScoresOf(fn, s);
  return runLoss(() => {
    const rows: tf.Tensor1D[] = [];
    const valuesQ = value(item, o);
    const term = spec.terms(o);
    const run = (
      side: "query" | "item",
      scores: tf.Tensor2D,
      values: tf.Tensor,
    ) => {
      const t = term(side, scores, values);
      if (stats) {
        rows.push(termStatsTensor(t.loss, values, s.negatives, t.statsExtra()));
      }
      return t.loss;
    };
    const lq = run("query", s.query, valuesQ);
    if (!o.symmetric) return { loss: lq, rows };
    const valuesV = o.symmetricFrom === "query" ? value(s.query, o) : valuesQ;
    const lv = run("item", item, valuesV);
    return { loss: totalLoss(lq, lv, { w: o.w, combine: o.combine }), rows };
  }, { parameter: spec.parameter, stats });
}
