/**
 * Shared types, option checking and diagnostics of the losses.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { stopGradient } from "../backend/mod.ts";

/** A hyper-parameter: a fixed number, or a scalar tensor / `tf.Variable`. */
export type Param = number | tf.Scalar;

/** Bad input to a loss: the message names the function and the option. */
export class LossError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LossError";
  }
}

/** Diagnostics of one anchored term (plain numbers, read in one sync). */
export interface TermStats {
  /** The term's value (mean over anchors). */
  loss: number;
  /** Which per-pair value the term uses. */
  parameter: "margin" | "temperature";
  /** Mean of δ or τ over the unmasked negatives (NaN when there are none). */
  mean: number;
  /** Minimum of δ or τ over the unmasked negatives (NaN when none). */
  min: number;
  /** Maximum of δ or τ over the unmasked negatives (NaN when none). */
  max: number;
  /** Margin terms: share of unmasked negatives whose hinge is active. */
  activeShare: number | null;
  /** Softmax terms: the temperature of the positive logit (mean over anchors). */
  positiveTemperature: number | null;
  /** Number of unmasked (anchor, negative) pairs in the batch. */
  negatives: number;
}

/** Diagnostics of a loss call; see {@link LossResult}. */
export interface LossStats {
  /** The total loss. */
  loss: number;
  /** Query-anchored term L^q. */
  query: TermStats;
  /** Item-anchored symmetric term L^v, when the loss has one. */
  item: TermStats | null;
}

/**
 * What every loss returns. `stats` is null unless the call passed
 * `stats: true`: reading numbers back from the backend costs a device sync,
 * so a training loop asks for them only on the steps it logs, e.g.
 * `stats: step % 50 === 0`. All numbers of one call are read in one sync.
 */
export interface LossResult {
  /** Scalar loss, differentiable with respect to the embeddings. */
  loss: tf.Scalar;
  /** Diagnostics, or null when not requested. */
  stats: LossStats | null;
}

/**
 * A {@link Param} as a tensor: numbers become constants; tensors pass their
 * gradient through only when `trainable` (otherwise they are stop-gradiented).
 */
export function paramTensor(p: Param, trainable: boolean): tf.Tensor {
  if (typeof p === "number") return tf.scalar(p);
  return trainable ? p : stopGradient(p);
}

/** A loss's tensors before its diagnostics are read (see {@link runLoss}). */
export interface LossTerms {
  /** Scalar loss. */
  loss: tf.Scalar;
  /** Stats rows built by {@link termStatsTensor} (empty unless asked). */
  rows: tf.Tensor1D[];
}

/**
 * The end of every loss function: runs `compute` in a tidy that keeps the
 * loss and its stats rows, then reads the rows (one device sync) into
 * {@link LossStats} when `stats`, as a {@link LossResult}.
 */
export function runLoss(
  compute: () => LossTerms,
  options: { parameter: TermStats["parameter"]; stats: boolean },
): LossResult {
  let rows: tf.Tensor1D[] = [];
  const loss = tf.tidy(() => {
    const out = compute();
    rows = out.rows.map((r) => tf.keep(r));
    return out.loss;
  });
  if (!options.stats) {
    tf.dispose(rows);
    return { loss, stats: null };
  }
  return { loss, stats: readStats(loss, rows, options.parameter) };
}

// Layout of one term's row in the stats tensor.
const FIELDS = 8;

/**
 * Builds one term's diagnostics as a [8] tensor (no sync): loss, mean, min,
 * max of `values` over unmasked negatives, active share, positive
 * temperature, count, and flags for which optional fields apply.
 */
export function termStatsTensor(
  loss: tf.Scalar,
  values: tf.Tensor,
  negatives: tf.Tensor2D,
  extra: { active?: tf.Tensor2D; positiveTemperature?: tf.Tensor } = {},
): tf.Tensor1D {
  return tf.tidy(() => {
    const v = tf.broadcastTo(values, negatives.shape);
    const isNeg = tf.greater(negatives, 0);
    const count = tf.sum(negatives);
    const safe = tf.maximum(count, 1);
    const mean = tf.div(tf.sum(tf.mul(v, negatives)), safe);
    const min = tf.min(tf.where(isNeg, v, tf.fill(v.shape, Infinity)));
    const max = tf.max(tf.where(isNeg, v, tf.fill(v.shape, -Infinity)));
    const active = extra.active
      ? tf.div(tf.sum(tf.mul(extra.active, negatives)), safe)
      : tf.scalar(NaN);
    const posTau = extra.positiveTemperature
      ? tf.mean(extra.positiveTemperature)
      : tf.scalar(NaN);
    return tf.stack([
      loss,
      mean,
      min,
      max,
      active,
      posTau,
      count,
      tf.scalar(extra.active ? 1 : 0),
    ]) as tf.Tensor1D;
  });
}

/**
 * Reads the stats rows built by {@link termStatsTensor} (one sync) and
 * disposes them. Row 0 is the query term, row 1 (if any) the item term.
 */
export function readStats(
  total: tf.Scalar,
  rows: tf.Tensor1D[],
  parameter: TermStats["parameter"],
): LossStats {
  const head = tf.reshape(total, [1]);
  const packed = tf.concat([head, ...rows]);
  const data = packed.dataSync();
  tf.dispose([head, packed, ...rows]);
  const term = (r: number): TermStats => {
    const o = 1 + r * FIELDS;
    const count = data[o + 6];
    const none = count === 0;
    return {
      loss: data[o],
      parameter,
      mean: none ? NaN : data[o + 1],
      min: none ? NaN : data[o + 2],
      max: none ? NaN : data[o + 3],
      activeShare: data[o + 7] === 1 ? (none ? NaN : data[o + 4]) : null,
      positiveTemperature: Number.isNaN(data[o + 5]) ? null : data[o + 5],
      negatives: count,
    };
  };
  return {
    loss: data[0],
    query: term(0),
    item: rows.length > 1 ? term(1) : null,
  };
}
