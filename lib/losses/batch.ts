/**
 * Similarities of a batch of (query, positive item) pairs with their
 * candidate negatives, and the accidental-hit mask.
 *
 * Conventions shared by every loss in this folder:
 * - `q`, `v`: [B, d]; row b of `v` is the positive of row b of `q`; the
 *   other rows of `v` are its in-batch negatives.
 * - s(x, y) = x·y. The losses do NOT normalise: callers pass L2-normalised
 *   embeddings (then s is the cosine), and gradients are with respect to the
 *   embeddings exactly as passed.
 * - `mask`: optional [B, B], nonzero = accidental hit (item j is not a
 *   negative of query b, e.g. the same item or another relevant one). The
 *   diagonal is the positive and never a negative, whatever the mask says.
 * - `extraNegatives`: optional [K, d] (shared by all anchors) or [B, K, d]
 *   (per anchor), appended after the in-batch candidates; never masked.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { matMulT } from "../backend/mod.ts";
import { LossError } from "./types.ts";

/** Options of {@link batchScores}. */
export interface BatchScoresOptions {
  /** [B, B] accidental hits, nonzero = not a negative. */
  mask?: tf.Tensor;
  /** [K, d] shared or [B, K, d] per-anchor extra negatives. */
  extraNegatives?: tf.Tensor;
  /** Use the other rows of `v` as negatives (default true). */
  inBatchNegatives?: boolean;
  /** Also compute s(v_b, c_j), needed by adaptive values and L^v. */
  itemScores?: boolean;
  /** Name of the calling loss, for error messages. */
  caller?: string;
}

/** The similarities every loss is built from; N = (B if in-batch) + K. */
export interface BatchScores {
  /** [B]: s(q_b, v_b). */
  positive: tf.Tensor1D;
  /** [B, N]: s(q_b, c_j) for the candidates c_j. */
  query: tf.Tensor2D;
  /** [B, N]: s(v_b, c_j), or null when not requested. */
  item: tf.Tensor2D | null;
  /** [B, N]: 1 where c_j is a negative of anchor b, else 0. */
  negatives: tf.Tensor2D;
  /** Number of in-batch candidate columns (B, or 0). */
  inBatch: number;
  /** Number of extra candidate columns (K). */
  extra: number;
}

function shapeText(t: tf.Tensor): string {
  return `[${t.shape.join(", ")}]`;
}

/** Checks `q` and `v` and returns [B, d]. */
export function checkEmbeddings(
  fn: string,
  q: unknown,
  v: unknown,
): [number, number] {
  for (const [name, t] of [["q", q], ["v", v]] as const) {
    if (!(t instanceof tf.Tensor) || t.rank !== 2 || t.dtype !== "float32") {
      throw new LossError(
        `${fn}: ${name} must be a float32 tensor of shape [B, d]`,
      );
    }
  }
  const qt = q as tf.Tensor;
  const vt = v as tf.Tensor;
  if (qt.shape[0] !== vt.shape[0] || qt.shape[1] !== vt.shape[1]) {
    throw new LossError(
      `${fn}: q ${shapeText(qt)} and v ${
        shapeText(vt)
      } must have the same shape [B, d]`,
    );
  }
  if (qt.shape[0] < 1) throw new LossError(`${fn}: the batch is empty`);
  return [qt.shape[0] as number, qt.shape[1] as number];
}

/**
 * Computes {@link BatchScores} for `q`, `v` ([B, d]). Call inside `tf.tidy`.
 * Throws a {@link LossError} naming the option on bad shapes.
 */
export function batchScores(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: BatchScoresOptions = {},
): BatchScores {
  const fn = options.caller ?? "batchScores";
  const [B, d] = checkEmbeddings(fn, q, v);
  const inBatch = options.inBatchNegatives ?? true;
  const extras = options.extraNegatives;
  if (extras !== undefined) {
    const ok = extras instanceof tf.Tensor && extras.dtype === "float32" &&
      ((extras.rank === 2 && extras.shape[1] === d) ||
        (extras.rank === 3 && extras.shape[0] === B && extras.shape[2] === d));
    if (!ok) {
      throw new LossError(
        `${fn}: option "extraNegatives" must be a float32 tensor of shape [K, ${d}] or [${B}, K, ${d}], got ${
          extras instanceof tf.Tensor ? shapeText(extras) : typeof extras
        }`,
      );
    }
  }
  if (!inBatch && extras === undefined) {
    throw new LossError(
      `${fn}: option "inBatchNegatives" is false but no "extraNegatives" were given: there would be no negatives`,
    );
  }
  const mask = options.mask;
  if (mask !== undefined) {
    if (
      !(mask instanceof tf.Tensor) || mask.rank !== 2 ||
      mask.shape[0] !== B || mask.shape[1] !== B
    ) {
      throw new LossError(
        `${fn}: option "mask" must be a tensor of shape [${B}, ${B}], got ${
          mask instanceof tf.Tensor ? shapeText(mask) : typeof mask
        }`,
      );
    }
  }

  const positive = tf.sum(tf.mul(q, v), 1) as tf.Tensor1D;
  const queryParts: tf.Tensor2D[] = [];
  const itemParts: tf.Tensor2D[] = [];
  const negParts: tf.Tensor2D[] = [];
  if (inBatch) {
    queryParts.push(matMulT(q, v, false, true) as tf.Tensor2D);
    if (options.itemScores) {
      itemParts.push(matMulT(v, v, false, true) as tf.Tensor2D);
    }
    let neg: tf.Tensor2D = tf.sub(1, tf.eye(B));
    if (mask !== undefined) {
      const hit = tf.cast(tf.notEqual(mask, 0), "float32");
      neg = tf.mul(neg, tf.sub(1, hit));
    }
    negParts.push(neg);
  }
  let K = 0;
  if (extras !== undefined) {
    if (extras.rank === 2) {
      K = extras.shape[0];
      queryParts.push(matMulT(q, extras, false, true) as tf.Tensor2D);
      if (options.itemScores) {
        itemParts.push(matMulT(v, extras, false, true) as tf.Tensor2D);
      }
    } else {
      K = extras.shape[1] as number;
      const perAnchor = (x: tf.Tensor2D) =>
        tf.reshape(
          tf.matMul(extras as tf.Tensor3D, tf.expandDims(x, 2)),
          [B, K],
        ) as tf.Tensor2D;
      queryParts.push(perAnchor(q));
      if (options.itemScores) itemParts.push(perAnchor(v));
    }
    negParts.push(tf.ones([B, K]));
  }
  const join = (parts: tf.Tensor2D[]) =>
    parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  return {
    positive,
    query: join(queryParts),
    item: options.itemScores ? join(itemParts) : null,
    negatives: join(negParts),
    inBatch: inBatch ? B : 0,
    extra: K,
  };
}

/** Options of {@link accidentalHitMask}. */
export interface AccidentalHitOptions {
  /**
   * relevant[b]: ids of all items relevant to query b (graded relevance,
   * other clicks); item j is masked for query b when its id is in the set.
   */
  relevant?: ReadonlyArray<ReadonlySet<number | string> | undefined>;
}

/**
 * The [B, B] accidental-hit mask of a batch: entry (b, j), j ≠ b, is 1 when
 * item j is the same item as b's positive (equal ids) or is relevant to
 * query b (`relevant`), so it must not be used as b's negative. The
 * diagonal is 0 (the positive is handled separately).
 */
export function accidentalHitMask(
  itemIds: ArrayLike<number | string>,
  options: AccidentalHitOptions = {},
): tf.Tensor2D {
  const B = itemIds.length;
  const rel = options.relevant;
  if (rel !== undefined && rel.length !== B) {
    throw new LossError(
      `accidentalHitMask: option "relevant" has ${rel.length} entries for ${B} items`,
    );
  }
  const values = new Float32Array(B * B);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < B; j++) {
      if (j === b) continue;
      const same = itemIds[j] === itemIds[b];
      const relevant = rel?.[b]?.has(itemIds[j]) ?? false;
      if (same || relevant) values[b * B + j] = 1;
    }
  }
  return tf.tensor2d(values, [B, B]);
}

/** Candidate options shared by all losses (see batch.ts). */
export interface CandidateOptions {
  /** [B, B] accidental hits, nonzero = not a negative. */
  mask?: tf.Tensor;
  /**
   * Extra negatives, [K, d] shared or [B, K, d] per anchor (e.g. DPSR's
   * random negatives, MGDSPR's mixed hard negatives, DSSM's sampled ones).
   */
  extraNegatives?: tf.Tensor;
  /** Use the other in-batch items as negatives (default true). */
  inBatchNegatives?: boolean;
  /** Return {@link LossResult.stats} (one device sync; default false). */
  stats?: boolean;
}

/** Option names of {@link CandidateOptions}. */
export const CANDIDATE_KEYS: readonly string[] = [
  "mask",
  "extraNegatives",
  "inBatchNegatives",
  "stats",
];

/** The candidate options of `options`, for batchScores. */
export function candidates(
  fn: string,
  options: CandidateOptions,
  itemScores: boolean,
): BatchScoresOptions {
  return {
    mask: options.mask,
    extraNegatives: options.extraNegatives,
    inBatchNegatives: options.inBatchNegatives,
    itemScores,
    caller: fn,
  };
}
