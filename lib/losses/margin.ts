/**
 * Margin losses: fixed margin, eq. (1), and the paper's adaptive, symmetric
 * margin loss, eq. (4), (7), (8), (9) (docs/reconstruction.md#eq-1,
 * docs/reconstruction.md#eq-4, docs/reconstruction.md#eq-8,
 * docs/reconstruction.md#eq-9). Conventions (inputs, mask, normalisation)
 * are in batch.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { adaptiveMargin, type AdaptiveMarginOptions } from "./adaptive.ts";
import {
  batchScores,
  CANDIDATE_KEYS,
  type CandidateOptions,
  candidates,
} from "./batch.ts";
import { hingeRankingLoss } from "./ranking.ts";
import {
  ADAPTIVE_LOSS_KEYS,
  checkSymmetric,
  type SymmetricOptions,
  totalLoss,
} from "./total.ts";
import {
  checkKeys,
  LossError,
  type LossResult,
  readStats,
  termStatsTensor,
} from "./types.ts";

/** Options of {@link marginLoss}. */
export interface MarginLossOptions extends CandidateOptions {
  /** Fixed margin δ (default 0.1). */
  margin?: number;
}

/** Options of {@link adaptiveMarginLoss}. */
export interface AdaptiveMarginLossOptions
  extends AdaptiveMarginOptions, SymmetricOptions, CandidateOptions {}

function active(argument: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.greater(argument, 0), "float32");
}

/**
 * Fixed-margin loss, eq. (1): mean over anchors b of
 * Σ_{j negative of b} max(0, δ − s(q_b, v_b) + s(q_b, c_j)), δ = 0.1.
 */
export function marginLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: MarginLossOptions = {},
): LossResult {
  const fn = "marginLoss";
  checkKeys(fn, options, ["margin", ...CANDIDATE_KEYS]);
  const margin = options.margin ?? 0.1;
  if (typeof margin !== "number" || !Number.isFinite(margin)) {
    throw new LossError(
      `${fn}: option "margin" must be a finite number, got ${margin}`,
    );
  }
  let rows: tf.Tensor1D[] = [];
  const loss = tf.tidy(() => {
    const s = batchScores(q, v, candidates(fn, options, false));
    const h = hingeRankingLoss(s.positive, s.query, {
      margin,
      negatives: s.negatives,
    });
    const l = tf.mean(h.perAnchor) as tf.Scalar;
    if (options.stats) {
      rows = [
        tf.keep(termStatsTensor(l, tf.scalar(margin), s.negatives, {
          active: active(h.argument),
        })),
      ];
    }
    return l;
  });
  return {
    loss,
    stats: options.stats ? readStats(loss, rows, "margin") : null,
  };
}

/**
 * The paper's adaptive margin loss (reconstruction,
 * docs/reconstruction.md#eq-4, docs/reconstruction.md#eq-8):
 * - L^q, eq. (4): hinge with δ_bj = adaptiveMargin(s(v_b, c_j)), eq. (3)/(7);
 * - L^v, eq. (8) (when `symmetric`): anchor v_b, positive q_b, the same
 *   negatives c_j, hinge max(0, δ^v_bj − s(v_b, q_b) + s(v_b, c_j)) with
 *   δ^v_bj = adaptiveMargin(s(q_b, c_j)) ("query") or δ_bj ("item");
 * - total, eq. (9): {@link totalLoss}.
 * Defaults: α = 0.5, δ0 = 0.01, linear form, stop-gradient on, symmetric,
 * w = 0.05 added. With α = 0 and `symmetric: false` it is
 * {@link marginLoss} with margin δ0.
 */
export function adaptiveMarginLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: AdaptiveMarginLossOptions = {},
): LossResult {
  const fn = "adaptiveMarginLoss";
  checkKeys(fn, options, [
    "delta0",
    ...ADAPTIVE_LOSS_KEYS,
    ...CANDIDATE_KEYS,
  ]);
  checkSymmetric(fn, options);
  const symmetric = options.symmetric ?? true;
  const marginOptions: AdaptiveMarginOptions = {
    alpha: options.alpha,
    delta0: options.delta0,
    form: options.form,
    stopGradient: options.stopGradient,
    trainable: options.trainable,
  };
  let rows: tf.Tensor1D[] = [];
  const loss = tf.tidy(() => {
    const s = batchScores(q, v, candidates(fn, options, true));
    const item = s.item as tf.Tensor2D;
    const deltaQ = adaptiveMargin(item, marginOptions);
    const hq = hingeRankingLoss(s.positive, s.query, {
      margin: deltaQ,
      negatives: s.negatives,
    });
    const lq = tf.mean(hq.perAnchor) as tf.Scalar;
    if (options.stats) {
      rows.push(tf.keep(termStatsTensor(lq, deltaQ, s.negatives, {
        active: active(hq.argument),
      })));
    }
    if (!symmetric) return lq;
    const deltaV = (options.symmetricFrom ?? "query") === "query"
      ? adaptiveMargin(s.query, marginOptions)
      : deltaQ;
    const hv = hingeRankingLoss(s.positive, item, {
      margin: deltaV,
      negatives: s.negatives,
    });
    const lv = tf.mean(hv.perAnchor) as tf.Scalar;
    if (options.stats) {
      rows.push(tf.keep(termStatsTensor(lv, deltaV, s.negatives, {
        active: active(hv.argument),
      })));
    }
    return totalLoss(lq, lv, { w: options.w, combine: options.combine });
  });
  if (!options.stats) return { loss, stats: null };
  const stats = readStats(loss, rows, "margin");
  rows = [];
  return { loss, stats };
}
