/**
 * Softmax losses: fixed temperature, eq. (2), and the paper's adaptive,
 * symmetric softmax loss, eq. (6), (7), (10) (docs/reconstruction.md#eq-2,
 * docs/reconstruction.md#eq-6, docs/reconstruction.md#eq-10),
 * with an optional logQ (sampling-bias) correction. Conventions (inputs,
 * mask, normalisation) are in batch.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  adaptiveTemperature,
  type AdaptiveTemperatureOptions,
} from "./adaptive.ts";
import {
  type BatchScores,
  batchScores,
  CANDIDATE_KEYS,
  type CandidateOptions,
  candidates,
  checkEmbeddings,
} from "./batch.ts";
import { softmaxRankingLoss } from "./ranking.ts";
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
  paramTensor,
  readStats,
  termStatsTensor,
} from "./types.ts";

/** The logQ options of the softmax losses. */
export interface LogQOptions {
  /**
   * [B]: log of the probability with which item b (row b of `v`) enters a
   * batch. Subtracted from every in-batch logit of column b, the positive's
   * included (the sampled-softmax correction of Yi et al. 2019): popular
   * items, which show up as negatives more often, are penalised less.
   */
  logQ?: tf.Tensor;
  /**
   * [K] or [B, K]: the same for the extra negatives. Required when both
   * `logQ` and `extraNegatives` are given.
   */
  extraLogQ?: tf.Tensor;
}

/** Options of {@link softmaxLoss}. */
export interface SoftmaxLossOptions extends CandidateOptions, LogQOptions {
  /** Fixed temperature τ (default 1/30); DSSM's smoothing factor γ is 1/τ. */
  temperature?: number;
}

/** Options of {@link adaptiveSoftmaxLoss}. */
export interface AdaptiveSoftmaxLossOptions
  extends
    AdaptiveTemperatureOptions,
    SymmetricOptions,
    CandidateOptions,
    LogQOptions {
  /**
   * Temperature of the positive logit. Only "tau0" (the default): every
   * form of {@link adaptiveTemperature} equals τ0 at s(v, v) = 1, so τ0 is
   * what the formula gives the positive; no other choice is derived from
   * the paper.
   */
  positiveTemperature?: "tau0";
}

interface LogQ {
  /** [B, N] or [1, N] offsets subtracted from the candidate logits. */
  columns: tf.Tensor | null;
  /** [B] offsets subtracted from the positive logit (q-anchored term). */
  positive: tf.Tensor | null;
}

function checkLogQ(fn: string, options: LogQOptions, B: number): void {
  const { logQ, extraLogQ, extraNegatives } = options as
    & LogQOptions
    & CandidateOptions;
  if (logQ !== undefined) {
    if (
      !(logQ instanceof tf.Tensor) || logQ.rank !== 1 || logQ.shape[0] !== B
    ) {
      throw new LossError(
        `${fn}: option "logQ" must be a tensor of shape [${B}]`,
      );
    }
    if (extraNegatives !== undefined && extraLogQ === undefined) {
      throw new LossError(
        `${fn}: option "extraLogQ" is required when "logQ" and "extraNegatives" are both given`,
      );
    }
  }
  if (extraLogQ !== undefined) {
    if (extraNegatives === undefined) {
      throw new LossError(
        `${fn}: option "extraLogQ" was given without "extraNegatives"`,
      );
    }
    const K = extraNegatives.shape[extraNegatives.rank - 2];
    const ok = extraLogQ instanceof tf.Tensor &&
      ((extraLogQ.rank === 1 && extraLogQ.shape[0] === K) ||
        (extraLogQ.rank === 2 && extraLogQ.shape[0] === B &&
          extraLogQ.shape[1] === K));
    if (!ok) {
      throw new LossError(
        `${fn}: option "extraLogQ" must have shape [${K}] or [${B}, ${K}]`,
      );
    }
  }
}

// The correction offsets, laid out like the candidate columns of `s`.
function logQOffsets(s: BatchScores, options: LogQOptions): LogQ {
  const B = s.positive.shape[0];
  const parts: tf.Tensor[] = [];
  if (s.inBatch > 0) {
    parts.push(
      options.logQ ? tf.reshape(options.logQ, [1, B]) : tf.zeros([1, B]),
    );
  }
  if (s.extra > 0) {
    const e = options.extraLogQ;
    parts.push(
      e === undefined
        ? tf.zeros([1, s.extra])
        : e.rank === 1
        ? tf.reshape(e, [1, s.extra])
        : e,
    );
  }
  const any = options.logQ !== undefined || options.extraLogQ !== undefined;
  const rows = Math.max(...parts.map((p) => p.shape[0]));
  return {
    columns: any
      ? tf.concat(
        parts.map((p) => tf.broadcastTo(p, [rows, p.shape[1] as number])),
        1,
      )
      : null,
    positive: options.logQ ?? null,
  };
}

function minusOffset(x: tf.Tensor, offset: tf.Tensor | null): tf.Tensor {
  return offset === null ? x : tf.sub(x, offset);
}

/**
 * Fixed-temperature softmax loss, eq. (2): mean over anchors b of
 * −log(e^{s(q_b,v_b)/τ} / (e^{s(q_b,v_b)/τ} + Σ_{j negative} e^{s(q_b,c_j)/τ})),
 * τ = 1/30, with the optional logQ correction on the logits.
 */
export function softmaxLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: SoftmaxLossOptions = {},
): LossResult {
  const fn = "softmaxLoss";
  checkKeys(fn, options, [
    "temperature",
    "logQ",
    "extraLogQ",
    ...CANDIDATE_KEYS,
  ]);
  const tau = options.temperature ?? 1 / 30;
  if (typeof tau !== "number" || !Number.isFinite(tau) || tau <= 0) {
    throw new LossError(
      `${fn}: option "temperature" must be a finite number > 0, got ${tau}`,
    );
  }
  checkLogQ(fn, options, checkEmbeddings(fn, q, v)[0]);
  let rows: tf.Tensor1D[] = [];
  const loss = tf.tidy(() => {
    const s = batchScores(q, v, candidates(fn, options, false));
    const off = logQOffsets(s, options);
    const perAnchor = softmaxRankingLoss(
      minusOffset(tf.div(s.positive, tau), off.positive) as tf.Tensor1D,
      minusOffset(tf.div(s.query, tau), off.columns) as tf.Tensor2D,
      { negatives: s.negatives },
    );
    const l = tf.mean(perAnchor) as tf.Scalar;
    if (options.stats) {
      rows = [
        tf.keep(termStatsTensor(l, tf.scalar(tau), s.negatives, {
          positiveTemperature: tf.scalar(tau),
        })),
      ];
    }
    return l;
  });
  return {
    loss,
    stats: options.stats ? readStats(loss, rows, "temperature") : null,
  };
}

/**
 * The paper's adaptive softmax loss (reconstruction,
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
 * α = 0 and `symmetric: false` it is {@link softmaxLoss} with τ = τ0.
 */
export function adaptiveSoftmaxLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: AdaptiveSoftmaxLossOptions = {},
): LossResult {
  const fn = "adaptiveSoftmaxLoss";
  checkKeys(fn, options, [
    "tau0",
    "positiveTemperature",
    "logQ",
    "extraLogQ",
    ...ADAPTIVE_LOSS_KEYS,
    ...CANDIDATE_KEYS,
  ]);
  checkSymmetric(fn, options);
  if ((options.positiveTemperature ?? "tau0") !== "tau0") {
    throw new LossError(
      `${fn}: option "positiveTemperature" must be "tau0", got ${
        JSON.stringify(options.positiveTemperature)
      }`,
    );
  }
  const symmetric = options.symmetric ?? true;
  const tauOptions: AdaptiveTemperatureOptions = {
    alpha: options.alpha,
    tau0: options.tau0,
    form: options.form,
    stopGradient: options.stopGradient,
    trainable: options.trainable,
  };
  checkLogQ(fn, options, checkEmbeddings(fn, q, v)[0]);
  let rows: tf.Tensor1D[] = [];
  const loss = tf.tidy(() => {
    const s = batchScores(q, v, candidates(fn, options, true));
    const item = s.item as tf.Tensor2D;
    const off = logQOffsets(s, options);
    const tauQ = adaptiveTemperature(item, tauOptions);
    const tau0 = paramTensor(
      options.tau0 ?? 1 / 30,
      options.trainable ?? false,
    );
    const positive = tf.div(s.positive, tau0) as tf.Tensor1D;
    const lq = tf.mean(softmaxRankingLoss(
      minusOffset(positive, off.positive) as tf.Tensor1D,
      minusOffset(tf.div(s.query, tauQ), off.columns) as tf.Tensor2D,
      { negatives: s.negatives },
    )) as tf.Scalar;
    if (options.stats) {
      rows.push(tf.keep(termStatsTensor(lq, tauQ, s.negatives, {
        positiveTemperature: tau0,
      })));
    }
    if (!symmetric) return lq;
    const tauV = (options.symmetricFrom ?? "query") === "query"
      ? adaptiveTemperature(s.query, tauOptions)
      : tauQ;
    const lv = tf.mean(softmaxRankingLoss(
      positive,
      minusOffset(tf.div(item, tauV), off.columns) as tf.Tensor2D,
      { negatives: s.negatives },
    )) as tf.Scalar;
    if (options.stats) {
      rows.push(tf.keep(termStatsTensor(lv, tauV, s.negatives, {
        positiveTemperature: tau0,
      })));
    }
    return totalLoss(lq, lv, { w: options.w, combine: options.combine });
  });
  if (!options.stats) return { loss, stats: null };
  const stats = readStats(loss, rows, "temperature");
  rows = [];
  return { loss, stats };
}
