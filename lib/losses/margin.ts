/**
 * Margin losses: fixed margin, eq. (1), and the paper's adaptive, symmetric
 * margin loss, eq. (4), (7), (8), (9) (docs/reconstruction.md#eq-1,
 * docs/reconstruction.md#eq-4, docs/reconstruction.md#eq-8,
 * docs/reconstruction.md#eq-9). Each is a function of a score bundle
 * (`…FromScores`) plus its (q, v) wrapper; conventions (inputs, mask,
 * normalisation) are in batch.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ADAPTIVE_MARGIN_OPTIONS, adaptiveMargin } from "./adaptive.ts";
import {
  type BatchScores,
  CANDIDATE_KEYS,
  type CandidateOptions,
  lossOfPairs,
  type StatsOption,
} from "./batch.ts";
import { lossOptions, type Options } from "./options.ts";
import { number } from "../data/mod.ts";
import { hingeRankingLoss } from "./ranking.ts";
import {
  SYMMETRIC_OPTIONS,
  symmetricLoss,
  type SymmetricTerm,
} from "./total.ts";
import { type LossResult, runLoss, termStatsTensor } from "./types.ts";

/** The options of {@link marginLoss}, declared once. */
export const MARGIN_LOSS_OPTIONS = {
  margin: number({
    default: 0.1,
    min: 0,
    doc: "fixed margin δ (the paper's 0.1), eq. (1)",
  }),
};

/**
 * The options of {@link adaptiveMarginLoss}, declared once: eq. (3)'s
 * (α, δ0, form, stop-gradient, trainable) and the symmetric term's.
 */
export const ADAPTIVE_MARGIN_LOSS_OPTIONS = {
  ...ADAPTIVE_MARGIN_OPTIONS,
  ...SYMMETRIC_OPTIONS,
};

/** Options of {@link marginLossFromScores}. */
export type MarginScoreOptions =
  & Options<typeof MARGIN_LOSS_OPTIONS>
  & StatsOption;

/** Options of {@link marginLoss}. */
export type MarginLossOptions = MarginScoreOptions & CandidateOptions;

/** Options of {@link adaptiveMarginLossFromScores}. */
export type AdaptiveMarginScoreOptions =
  & Options<typeof ADAPTIVE_MARGIN_LOSS_OPTIONS>
  & StatsOption;

/** Options of {@link adaptiveMarginLoss}. */
export type AdaptiveMarginLossOptions =
  & AdaptiveMarginScoreOptions
  & CandidateOptions;

function active(argument: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.greater(argument, 0), "float32");
}

// One hinge term: the mean over anchors b of Σ_j max(0, δ_bj − s(b, b) +
// scores[b, j]) over the bundle's negatives.
function hingeTerm(
  s: BatchScores,
  scores: tf.Tensor2D,
  margin: number | tf.Tensor,
): SymmetricTerm {
  const h = hingeRankingLoss(s.positive, scores, {
    margin,
    negatives: s.negatives,
  });
  return {
    loss: tf.mean(h.perAnchor) as tf.Scalar,
    statsExtra: () => ({ active: active(h.argument) }),
  };
}

/**
 * Fixed-margin loss, eq. (1), on a score bundle: mean over anchors b of
 * Σ_{j negative of b} max(0, δ − s(q_b, v_b) + s(q_b, c_j)), δ = 0.1.
 */
export function marginLossFromScores(
  s: BatchScores,
  options: MarginScoreOptions = {},
): LossResult {
  const { margin } = lossOptions(
    "marginLoss",
    MARGIN_LOSS_OPTIONS,
    options,
    ["stats"],
  );
  const stats = options.stats ?? false;
  return runLoss(() => {
    const { loss, statsExtra } = hingeTerm(s, s.query, margin);
    const rows = stats
      ? [termStatsTensor(loss, tf.scalar(margin), s.negatives, statsExtra())]
      : [];
    return { loss, rows };
  }, { parameter: "margin", stats });
}

/** {@link marginLossFromScores} of the (q, v) bundle ([B, d] each). */
export function marginLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: MarginLossOptions = {},
): LossResult {
  return lossOfPairs(q, v, {
    fn: "marginLoss",
    table: MARGIN_LOSS_OPTIONS,
    keys: CANDIDATE_KEYS,
    itemScores: false,
    options,
    fromScores: marginLossFromScores,
  });
}

/**
 * The paper's adaptive margin loss on a score bundle (reconstruction,
 * docs/reconstruction.md#eq-4, docs/reconstruction.md#eq-8):
 * - L^q, eq. (4): hinge with δ_bj = adaptiveMargin(s(v_b, c_j)), eq. (3)/(7);
 * - L^v, eq. (8) (when `symmetric`): anchor v_b, positive q_b, the same
 *   negatives c_j, hinge max(0, δ^v_bj − s(v_b, q_b) + s(v_b, c_j)) with
 *   δ^v_bj = adaptiveMargin(s(q_b, c_j)) ("query") or δ_bj ("item");
 * - total, eq. (9): {@link totalLoss}.
 * Defaults: α = 0.5, δ0 = 0.01, linear form, stop-gradient on, symmetric,
 * w = 0.05 added. With α = 0 and `symmetric: false` it is
 * {@link marginLoss} with margin δ0. Needs the bundle's item scores.
 */
export function adaptiveMarginLossFromScores(
  s: BatchScores,
  options: AdaptiveMarginScoreOptions = {},
): LossResult {
  return symmetricLoss(s, {
    fn: "adaptiveMarginLoss",
    table: ADAPTIVE_MARGIN_LOSS_OPTIONS,
    options,
    parameter: "margin",
    value: adaptiveMargin,
    terms: () => (_side, scores, delta) => hingeTerm(s, scores, delta),
  });
}

/** {@link adaptiveMarginLossFromScores} of the (q, v) bundle ([B, d] each). */
export function adaptiveMarginLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: AdaptiveMarginLossOptions = {},
): LossResult {
  return lossOfPairs(q, v, {
    fn: "adaptiveMarginLoss",
    table: ADAPTIVE_MARGIN_LOSS_OPTIONS,
    keys: CANDIDATE_KEYS,
    itemScores: true,
    options,
    fromScores: adaptiveMarginLossFromScores,
  });
}
