/**
 * The two ranking losses every loss here is an instance of, on similarity
 * (or logit) matrices: the hinge of eq. (1)/(4)/(8) and the softmax
 * cross-entropy of eq. (2)/(6)/(10) (docs/reconstruction.md#method).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { MASK_LOGIT } from "../towers/mod.ts";

/** Options of {@link hingeRankingLoss}. */
export interface HingeRankingOptions {
  /** δ: a number, or a tensor broadcastable to [B, N] (per-pair margins). */
  margin: number | tf.Tensor;
  /** [B, N]: 1 where the candidate is a negative of the anchor. */
  negatives: tf.Tensor2D;
}

/** Result of {@link hingeRankingLoss}. */
export interface HingeRanking {
  /** [B]: Σ_j negatives_bj · max(0, δ_bj − positive_b + scores_bj). */
  perAnchor: tf.Tensor1D;
  /** [B, N]: the hinge argument δ_bj − positive_b + scores_bj. */
  argument: tf.Tensor2D;
}

/**
 * Margin (hinge) ranking loss, eq. (1): for anchor b with positive score
 * `positive_b` and candidate scores `scores_bj`, the sum over its negatives
 * of max(0, δ_bj − positive_b + scores_bj). Summed over negatives (not
 * averaged), so its scale grows with the number of negatives.
 */
export function hingeRankingLoss(
  positive: tf.Tensor1D,
  scores: tf.Tensor2D,
  options: HingeRankingOptions,
): HingeRanking {
  const argument = tf.add(
    tf.sub(scores, tf.expandDims(positive, 1)),
    options.margin,
  ) as tf.Tensor2D;
  const perAnchor = tf.sum(
    tf.mul(tf.relu(argument), options.negatives),
    1,
  ) as tf.Tensor1D;
  return { perAnchor, argument };
}

/** Options of {@link softmaxRankingLoss}. */
export interface SoftmaxRankingOptions {
  /** [B, N]: 1 where the candidate is a negative of the anchor. */
  negatives: tf.Tensor2D;
  /**
   * Include the positive in the denominator (default true: the standard
   * softmax cross-entropy). False gives Adap-τ's code form, −log(e^{pos} /
   * Σ_neg e^{neg}); anchors without any negative then contribute 0.
   */
  positiveInDenominator?: boolean;
}

/**
 * Softmax cross-entropy of the positive among its negatives, eq. (2), on
 * logits (similarities already divided by their temperatures):
 * −positiveLogit_b + log(e^{positiveLogit_b} + Σ_j negatives_bj e^{logits_bj}),
 * computed with logSumExp. Returns [B].
 */
export function softmaxRankingLoss(
  positiveLogit: tf.Tensor1D,
  logits: tf.Tensor2D,
  options: SoftmaxRankingOptions,
): tf.Tensor1D {
  const withPositive = options.positiveInDenominator ?? true;
  const isNeg = tf.greater(options.negatives, 0);
  const masked = tf.where(isNeg, logits, tf.fill(logits.shape, MASK_LOGIT));
  const all = withPositive
    ? tf.concat([tf.expandDims(positiveLogit, 1), masked], 1)
    : masked;
  const loss = tf.sub(tf.logSumExp(all, 1), positiveLogit) as tf.Tensor1D;
  if (withPositive) return loss;
  const hasNegatives = tf.cast(tf.any(isNeg, 1), "float32");
  return tf.mul(loss, hasNegatives) as tf.Tensor1D;
}
