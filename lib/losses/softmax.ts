/**
 * Softmax losses: fixed temperature, eq. (2), and the paper's adaptive,
 * symmetric softmax loss, eq. (6), (7), (10) (docs/reconstruction.md#eq-2,
 * docs/reconstruction.md#eq-6, docs/reconstruction.md#eq-10), with the
 * bundle's optional logQ (sampling-bias) correction. Each is a function of
 * a score bundle (`…FromScores`) plus its (q, v) wrapper; conventions
 * (inputs, mask, normalisation, logQ) are in batch.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  ADAPTIVE_TEMPERATURE_OPTIONS,
  adaptiveTemperature,
} from "./adaptive.ts";
import {
  type BatchScores,
  CANDIDATE_KEYS,
  type CandidateOptions,
  LOGQ_KEYS,
  type LogQOptions,
  lossOfPairs,
  type StatsOption,
} from "./batch.ts";
import { lossOptions, type Options } from "./options.ts";
import { choice, number } from "../data/mod.ts";
import { softmaxRankingLoss } from "./ranking.ts";
import { SYMMETRIC_OPTIONS, symmetricLoss } from "./total.ts";
import {
  type LossResult,
  paramTensor,
  runLoss,
  termStatsTensor,
} from "./types.ts";

/** The options of {@link softmaxLoss}, declared once. */
export const SOFTMAX_LOSS_OPTIONS = {
  temperature: number({
    default: 1 / 30,
    min: 0,
    strict: true,
    doc: "fixed temperature τ (the paper's 1/30), eq. (2)",
  }),
};

/**
 * The options of {@link adaptiveSoftmaxLoss}, declared once: eq. (5)'s (α,
 * τ0, form, stop-gradient, trainable), the symmetric term's, and the
 * positive logit's temperature.
 */
export const ADAPTIVE_SOFTMAX_LOSS_OPTIONS = {
  ...ADAPTIVE_TEMPERATURE_OPTIONS,
  ...SYMMETRIC_OPTIONS,
  /**
   * Only "tau0": every form of {@link adaptiveTemperature} equals τ0 at
   * s(v, v) = 1, so τ0 is what the formula gives the positive; no other
   * choice is derived from the paper (open choice A7).
   */
  positiveTemperature: choice({
    choices: ["tau0"],
    default: "tau0",
    doc: "temperature of the positive logit (open choice A7)",
  }),
};

/** Options of {@link softmaxLossFromScores}. */
export type SoftmaxScoreOptions =
  & Options<typeof SOFTMAX_LOSS_OPTIONS>
  & StatsOption;

/** Options of {@link softmaxLoss}. */
export type SoftmaxLossOptions =
  & SoftmaxScoreOptions
  & CandidateOptions
  & LogQOptions;

/** Options of {@link adaptiveSoftmaxLossFromScores}. */
export type AdaptiveSoftmaxScoreOptions =
  & Options<typeof ADAPTIVE_SOFTMAX_LOSS_OPTIONS>
  & StatsOption;

/** Options of {@link adaptiveSoftmaxLoss}. */
export type AdaptiveSoftmaxLossOptions =
  & AdaptiveSoftmaxScoreOptions
  & CandidateOptions
  & LogQOptions;

function minusOffset(x: tf.Tensor, offset: tf.Tensor | null): tf.Tensor {
  return offset === null ? x : tf.sub(x, offset);
}

/**
 * Fixed-temperature softmax loss, eq. (2), on a score bundle: mean over
 * anchors b of −log(e^{s(q_b,v_b)/τ} / (e^{s(q_b,v_b)/τ} +
 * Σ_{j negative} e^{s(q_b,c_j)/τ})), τ = 1/30, with the bundle's logQ
 * correction on the logits. DSSM's smoothing factor γ is 1/τ.
 */
export function softmaxLossFromScores(
  s: BatchScores,
  options: SoftmaxScoreOptions = {},
): LossResult {
  const { temperature: tau } = lossOptions(
    "softmaxLoss",
    SOFTMAX_LOSS_OPTIONS,
    options,
    ["stats"],
  );
  const stats = options.stats ?? false;
  return runLoss(() => {
    const perAnchor = softmaxRankingLoss(
      minusOffset(tf.div(s.positive, tau), s.logQPositive) as tf.Tensor1D,
      minusOffset(tf.div(s.query, tau), s.logQColumns) as tf.Tensor2D,
      { negatives: s.negatives },
    );
    const loss = tf.mean(perAnchor) as tf.Scalar;
    const rows = stats
      ? [termStatsTensor(loss, tf.scalar(tau), s.negatives, {
        positiveTemperature: tf.scalar(tau),
      })]
      : [];
    return { loss, rows };
  }, { parameter: "temperature", stats });
}

/** {@link softmaxLossFromScores} of the (q, v) bundle ([B, d] each). */
export function softmaxLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: SoftmaxLossOptions = {},
): LossResult {
  return lossOfPairs(q, v, {
    fn: "softmaxLoss",
    table: SOFTMAX_LOSS_OPTIONS,
    keys: [...LOGQ_KEYS, ...CANDIDATE_KEYS],
    itemScores: false,
    options,
    fromScores: softmaxLossFromScores,
  });
}

/**
 * The paper's adaptive softmax loss on a score bundle (reconstruction,
 * docs/reconstruction.md#eq-6, docs/reconstruction.md#eq-10):
 * - L^q, eq. (6): positive logit s(q_b, v_b)/τ0, negative logits
 *   s(q_b, c_j)/τ_bj with τ_bj = adaptiveTemperature(s(v_b, c_j));
 * - L^v (when `symmetric`): anchor v_b, positive logit s(v_b, q_b)/τ0,
 *   negative logits s(v_b, c_j)/τ^v_bj, τ^v_bj = adaptiveTemperature(
 *   s(q_b, c_j)) ("query") or τ_bj ("item");
 * - total, eq. (9)/(10): {@link totalLoss}.
 * logQ: subtracted from all logits of L^q, and from the negative logits of
 * L^v (its positive, the query, is not a sampled item). Defaults: α = 0.5,
 * τ0 = 1/30, linear form, stop-gradient on, symmetric, w = 0.05 added. With
 * α = 0 and `symmetric: false` it is {@link softmaxLoss} with τ = τ0. Needs
 * the bundle's item scores.
 */
export function adaptiveSoftmaxLossFromScores(
  s: BatchScores,
  options: AdaptiveSoftmaxScoreOptions = {},
): LossResult {
  return symmetricLoss(s, {
    fn: "adaptiveSoftmaxLoss",
    table: ADAPTIVE_SOFTMAX_LOSS_OPTIONS,
    options,
    parameter: "temperature",
    value: adaptiveTemperature,
    terms: (o) => {
      const tau0 = paramTensor(o.tau0, o.trainable);
      const positive = tf.div(s.positive, tau0) as tf.Tensor1D;
      // logQ comes off every L^q logit, but not off L^v's positive (the
      // query, not a sampled item).
      return (side, scores, tau) => ({
        loss: tf.mean(softmaxRankingLoss(
          side === "query"
            ? minusOffset(positive, s.logQPositive) as tf.Tensor1D
            : positive,
          minusOffset(tf.div(scores, tau), s.logQColumns) as tf.Tensor2D,
          { negatives: s.negatives },
        )) as tf.Scalar,
        statsExtra: () => ({ positiveTemperature: tau0 }),
      });
    },
  });
}

/** {@link adaptiveSoftmaxLossFromScores} of the (q, v) bundle ([B, d] each). */
export function adaptiveSoftmaxLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: AdaptiveSoftmaxLossOptions = {},
): LossResult {
  return lossOfPairs(q, v, {
    fn: "adaptiveSoftmaxLoss",
    table: ADAPTIVE_SOFTMAX_LOSS_OPTIONS,
    keys: [...LOGQ_KEYS, ...CANDIDATE_KEYS],
    itemScores: true,
    options,
    fromScores: adaptiveSoftmaxLossFromScores,
  });
}
