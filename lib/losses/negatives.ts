/**
 * Negative samplers: where the baselines' extra negatives come from. The
 * losses take them as `extraNegatives` (after the sampled rows are
 * encoded); every sampler is deterministic given its generator, so a
 * resumed run draws the same negatives.
 *
 * - {@link sampleUnclicked}: DSSM's unclicked items, per query;
 * - {@link sampleRandomItems}: DPSR's random items, shared by the batch;
 * - {@link mgdsprMixedNegatives}: MGDSPR's mixed hard negatives, per query,
 *   from embeddings.
 *
 * They sit in `lib/losses`, not in the towers: which candidates enter a
 * loss does not depend on how queries and items are encoded, and the
 * training objectives of every tower use them.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Rng, TrainingPairs } from "../data/mod.ts";
import { gatherRows, l2Normalize, matMul } from "../towers/mod.ts";

/** Draws `k` catalogue rows for each anchor: not its positive, not labelled relevant. */
export function sampleUnclicked(
  rng: Rng,
  batch: { queryId: Int32Array; itemRow: Int32Array },
  options: {
    k: number;
    numItems: number;
    relevantRows: Map<number, Set<number>>;
  },
): Int32Array {
  const { k, numItems, relevantRows } = options;
  const B = batch.itemRow.length;
  const out = new Int32Array(B * k);
  for (let b = 0; b < B; b++) {
    const rel = relevantRows.get(batch.queryId[b]);
    const taken = new Set<number>();
    for (let j = 0; j < k; j++) {
      let r: number;
      let tries = 0;
      do {
        r = rng.int(numItems);
        if (++tries > 10_000) {
          throw new Error(
            `sampleUnclicked: could not draw ${k} unclicked items for query ${
              batch.queryId[b]
            }`,
          );
        }
      } while (r === batch.itemRow[b] || rel?.has(r) || taken.has(r));
      taken.add(r);
      out[b * k + j] = r;
    }
  }
  return out;
}

/** Relevant items per query id as item rows (for {@link sampleUnclicked}). */
export function relevantItemRows(
  pairs: TrainingPairs,
): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const [q, ids] of pairs.relevant) {
    const rows = new Set<number>();
    for (const id of ids) {
      const r = pairs.itemRowOf.get(id);
      if (r !== undefined) rows.add(r);
    }
    out.set(q, rows);
  }
  return out;
}

/** Options of {@link sampleRandomItems}. */
export interface SampleItemsOptions {
  /** Number of items in the catalogue (rows 0 … nItems − 1). */
  nItems: number;
  /** Distinct items to draw, k ≤ nItems − |exclude|. */
  k: number;
  /** Rows that must not be drawn (e.g. the batch's positives). */
  exclude?: ReadonlySet<number>;
}

/**
 * DPSR's random negatives, shared by the whole batch: `k` distinct item
 * rows drawn uniformly without replacement (in draw order), skipping
 * `exclude`. Deterministic given the generator's state.
 */
export function sampleRandomItems(
  rng: Rng,
  options: SampleItemsOptions,
): Int32Array {
  const { nItems, k } = options;
  const exclude = options.exclude ?? new Set<number>();
  if (!Number.isInteger(nItems) || nItems < 0) {
    throw new RangeError(
      `sampleRandomItems: nItems must be a non-negative integer, got ${nItems}`,
    );
  }
  let excluded = 0;
  for (const e of exclude) {
    if (Number.isInteger(e) && e >= 0 && e < nItems) excluded++;
  }
  if (!Number.isInteger(k) || k < 0 || k > nItems - excluded) {
    throw new RangeError(
      `sampleRandomItems: k must be an integer in [0, ${
        nItems - excluded
      }] (items not excluded), got ${k}`,
    );
  }
  // Partial Fisher–Yates over a virtual array [0, nItems): O(k) memory.
  const swapped = new Map<number, number>();
  const out = new Int32Array(k);
  let n = 0;
  for (let i = 0; n < k; i++) {
    const j = i + rng.int(nItems - i);
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    swapped.set(j, vi);
    if (!exclude.has(vj)) out[n++] = vj;
  }
  return out;
}

/**
 * MGDSPR's range of the positive's mixing weight, a ~ U(0.4, 0.6): the
 * default of {@link mgdsprMixedNegatives} and of the `mgdspr` loss config.
 */
export const MGDSPR_MIX: readonly [number, number] = [0.4, 0.6];

/** Options of {@link mgdsprMixedNegatives}. */
export interface MixedNegativeOptions {
  /** Candidate items `[N, d]` (e.g. the batch's items or a cached bank). */
  bank: tf.Tensor2D;
  /** Hard negatives per query, N_hard ≤ N (MGDSPR: 684). */
  topN: number;
  /**
   * Mixing weight: a range `[lo, hi]` to draw a ~ U(lo, hi) per query from
   * `rng` (default {@link MGDSPR_MIX}), or fixed values, one per query.
   */
  a?: readonly [number, number] | Float32Array;
  /** Draws a when `a` is a range. */
  rng?: Rng;
  /**
   * `[B, N]`, 1 where bank item n must not be a hard negative of query b
   * (its own positive, accidental hits). Excluded items get score −∞.
   */
  exclude?: tf.Tensor2D;
  /** L2-normalise the mixed negatives (default true; see below). */
  normalize?: boolean;
}

/** Result of {@link mgdsprMixedNegatives}. */
export interface MixedNegatives {
  /** I_mix `[B, topN, d]`. */
  mixed: tf.Tensor3D;
  /** Bank rows of I_hard, `[B·topN]` row-major, best first. */
  hard: Int32Array;
  /** The a used for each query. */
  a: Float32Array;
}

/**
 * MGDSPR's mixed hard negatives: I_hard = the `topN` bank items with the
 * highest q·item, then I_mix = a·i⁺ + (1 − a)·I_hard with one a per query.
 *
 * The paper scores with raw inner products. Here every tower outputs unit
 * vectors, and a mix of two unit vectors is shorter than 1, so by default
 * I_mix is L2-normalised back onto the sphere: the negative then lies
 * between i⁺ and I_hard in angle, and its score is a cosine like the
 * others. `normalize: false` gives the raw mix. Gradients flow into `v`
 * and `bank` (the top-N selection itself is not differentiable); wrap
 * them in `stopGradient` to treat the negatives as constants.
 */
export function mgdsprMixedNegatives(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: MixedNegativeOptions,
): MixedNegatives {
  const { bank, topN } = options;
  const [B, d] = q.shape;
  const N = bank.shape[0];
  if (v.shape[0] !== B || v.shape[1] !== d || bank.shape[1] !== d) {
    throw new RangeError(
      `mgdsprMixedNegatives: q [${q.shape}], v [${v.shape}] and bank [${bank.shape}] must be [B, d], [B, d], [N, d]`,
    );
  }
  if (!Number.isInteger(topN) || topN < 1 || topN > N) {
    throw new RangeError(
      `mgdsprMixedNegatives: topN must be an integer in [1, ${N}] (bank size), got ${topN}`,
    );
  }
  const a = mixWeights(B, options);
  const hard = tf.tidy(() => {
    let s = matMul(q, bank, { transposeB: true });
    if (options.exclude) {
      if (options.exclude.shape[0] !== B || options.exclude.shape[1] !== N) {
        throw new RangeError(
          `mgdsprMixedNegatives: exclude is [${options.exclude.shape}], expected [${B}, ${N}]`,
        );
      }
      s = tf.where(
        tf.greater(options.exclude, 0),
        tf.fill([B, N], -Infinity),
        s,
      );
    }
    return tf.topk(s, topN).indices;
  });
  const hardIdx = hard.dataSync() as Int32Array;
  hard.dispose();
  const mixed = tf.tidy(() => {
    const iHard = tf.reshape(gatherRows(bank, hardIdx), [B, topN, d]);
    const aT = tf.tensor3d(a, [B, 1, 1]);
    const pos = tf.expandDims(v, 1);
    const mix = tf.add(tf.mul(aT, pos), tf.mul(tf.sub(1, aT), iHard));
    return (options.normalize ?? true ? l2Normalize(mix) : mix) as tf.Tensor3D;
  });
  return { mixed, hard: Int32Array.from(hardIdx), a };
}

function mixWeights(B: number, options: MixedNegativeOptions): Float32Array {
  const a = options.a ?? MGDSPR_MIX;
  if (a instanceof Float32Array) {
    if (a.length !== B) {
      throw new RangeError(
        `mgdsprMixedNegatives: a has ${a.length} values, expected one per query (${B})`,
      );
    }
    return Float32Array.from(a);
  }
  const [lo, hi] = a;
  if (!(lo >= 0 && lo <= hi && hi <= 1)) {
    throw new RangeError(
      `mgdsprMixedNegatives: a range [${lo}, ${hi}] must satisfy 0 ≤ lo ≤ hi ≤ 1`,
    );
  }
  const rng = options.rng;
  if (!rng) {
    throw new RangeError(
      "mgdsprMixedNegatives: option rng is required when a is a range",
    );
  }
  return Float32Array.from({ length: B }, () => rng.uniform(lo, hi));
}

/** Scores of each query against its own mixed negatives: `[B, topN]` = q_b · I_mix[b, k]. */
export function mixedNegativeScores(
  q: tf.Tensor2D,
  mixed: tf.Tensor3D,
): tf.Tensor2D {
  return tf.tidy(() =>
    tf.squeeze(matMul(mixed, tf.expandDims(q, 2)), [2]) as tf.Tensor2D
  );
}
