/**
 * Adap-τ (Chen et al., WWW 2023) as its official code defines it
 * (github.com/junkangwu/Adap_tau; docs/reconstruction.md#adap-tau): a global
 * scale 1/τ0 from
 * data statistics, and a per-id scale 1/τ_u from each id's loss in the
 * previous epoch. The "ids" are the anchors' ids (users in the original;
 * users or queries here). It needs them: it cannot score an id it has not
 * seen in training, which is the limitation the JD paper addresses.
 *
 * Training loop:
 * ```ts
 * const adapTau = new AdapTau(numIds);
 * for (let epoch = 0; epoch < epochs; epoch++) {
 *   adapTau.startEpoch(epoch, adapTauStatistics(pairs, { numItems, ... }));
 *   for (const batch of batches) {
 *     const { loss } = adapTauLoss(q, v, { ids: batch.ids, adapTau });
 *   }
 * }
 * adapTau.dispose();
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  type BatchScores,
  CANDIDATE_KEYS,
  type CandidateOptions,
  candidates,
  withBatchScores,
} from "./batch.ts";
import { LAMBERT_W_MIN, lambertW } from "./lambert_w.ts";
import { lossOptions, type Options } from "./options.ts";
import { flag, integer, number } from "../data/mod.ts";
import { softmaxRankingLoss } from "./ranking.ts";
import {
  LossError,
  type LossResult,
  runLoss,
  termStatsTensor,
} from "./types.ts";

/** The gap p̄ − ā used during warm-up epochs (official code: b = −0.7). */
export const ADAP_TAU_WARMUP_GAP = 0.7;

/** The options of {@link AdapTau} (the schedule of the scales), declared once. */
export const ADAP_TAU_OPTIONS = {
  t: number({
    default: 1,
    min: 0,
    strict: true,
    doc:
      "t (the code's temperature_2), dividing the loss deviation in the per-id scale",
  }),
  warmupEpochs: integer({
    default: 10,
    min: 0,
    doc: "epochs whose global scale uses the gap 0.7 (the code's cnt_lr)",
  }),
  perId: flag({
    default: true,
    doc:
      "per-id scales 1/τ_u from last epoch's losses; false: 1/τ0 for every id",
  }),
};

/** The options of {@link adapTauLoss} proper, declared once. */
export const ADAP_TAU_LOSS_OPTIONS = {
  positiveInDenominator: flag({
    default: false,
    doc: "the positive in the denominator too (the code: only the negatives)",
  }),
};

/** Data statistics behind the global scale (docs/reconstruction.md#adap-tau). */
export interface AdapTauDataStats {
  /** |U'|: ids with more interactions than the 20% quantile. */
  anchors: number;
  /** |I|: number of items. */
  items: number;
  /** |D'|: interactions of those ids. */
  interactions: number;
  /** p̄: mean cosine of the positive pairs in D' (not needed in warm-up). */
  meanPositive?: number;
  /**
   * ā: mean over U' of the normalised anchor embedding · the mean of the
   * normalised item embeddings (a dot product with the un-renormalised mean,
   * as in the code; not needed in warm-up).
   */
  meanToItemCentroid?: number;
}

/** Options of {@link adapTauGlobalScale}. */
export interface AdapTauGlobalScaleOptions {
  /** Use the warm-up gap 0.7 instead of p̄ − ā (default false). */
  warmup?: boolean;
}

/**
 * Global scale 1/τ0 = (log 0.5 + log(|U'|·|I|) − log|D'|) / (p̄ − ā), with
 * p̄ − ā replaced by 0.7 in warm-up. (The code writes the warm-up value as a
 * root of a quadratic with a = 1e-10, which equals this to ~1e-6.) Throws a
 * {@link LossError} if the result is not positive.
 */
export function adapTauGlobalScale(
  stats: AdapTauDataStats,
  options: AdapTauGlobalScaleOptions = {},
): number {
  const fn = "adapTauGlobalScale";
  for (const key of ["anchors", "items", "interactions"] as const) {
    if (!(stats[key] > 0)) {
      throw new LossError(`${fn}: stats.${key} must be > 0, got ${stats[key]}`);
    }
  }
  let gap = ADAP_TAU_WARMUP_GAP;
  if (!options.warmup) {
    const { meanPositive, meanToItemCentroid } = stats;
    if (meanPositive === undefined || meanToItemCentroid === undefined) {
      throw new LossError(
        `${fn}: stats.meanPositive and stats.meanToItemCentroid are needed after warm-up (compute them with adapTauStatistics and embeddings)`,
      );
    }
    gap = meanPositive - meanToItemCentroid;
  }
  const numerator = Math.log(0.5) + Math.log(stats.anchors * stats.items) -
    Math.log(stats.interactions);
  const scale = numerator / gap;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new LossError(
      `${fn}: the global scale ${numerator}/${gap} = ${scale} is not positive (p̄ − ā must be > 0 and |D'| < |U'|·|I|/2)`,
    );
  }
  return scale;
}

/** Options of {@link adapTauStatistics}. */
export interface AdapTauStatisticsOptions {
  /** |I|; defaults to the rows of `itemEmbeddings`. */
  numItems?: number;
  /** [numIds, d] anchor embeddings (rows indexed by id); needed for p̄, ā. */
  anchorEmbeddings?: tf.Tensor2D;
  /** [numItems, d] item embeddings (rows indexed by item id). */
  itemEmbeddings?: tf.Tensor2D;
  /** Quantile of interaction counts that U' must exceed (default 0.2). */
  quantile?: number;
}

/** Quantile with linear interpolation (as torch.quantile). */
function quantileOf(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Computes {@link AdapTauDataStats} from the training interactions (one
 * (anchor id, item id) pair per entry) and, when given, the current
 * embeddings (normalised here). Counts are over ids that occur in `pairs`.
 */
export function adapTauStatistics(
  pairs: { anchorIds: ArrayLike<number>; itemIds: ArrayLike<number> },
  options: AdapTauStatisticsOptions = {},
): AdapTauDataStats {
  const fn = "adapTauStatistics";
  const n = pairs.anchorIds.length;
  if (n === 0 || pairs.itemIds.length !== n) {
    throw new LossError(
      `${fn}: pairs.anchorIds and pairs.itemIds must be non-empty and of equal length`,
    );
  }
  const numItems = options.numItems ?? options.itemEmbeddings?.shape[0];
  if (numItems === undefined || !(numItems > 0)) {
    throw new LossError(
      `${fn}: option "numItems" (or "itemEmbeddings") is required`,
    );
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const id = pairs.anchorIds[i];
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const threshold = quantileOf(
    [...counts.values()].sort((a, b) => a - b),
    options.quantile ?? 0.2,
  );
  const active = [...counts.keys()].filter((id) => counts.get(id)! > threshold)
    .sort((a, b) => a - b);
  const activeSet = new Set(active);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    if (activeSet.has(pairs.anchorIds[i])) rows.push(i);
  }
  const stats: AdapTauDataStats = {
    anchors: active.length,
    items: numItems,
    interactions: rows.length,
  };
  const { anchorEmbeddings: A, itemEmbeddings: I } = options;
  if (A === undefined || I === undefined || active.length === 0) return stats;
  const [meanPositive, meanToItemCentroid] = tf.tidy(() => {
    const normalise = (x: tf.Tensor2D) =>
      tf.div(x, tf.maximum(tf.norm(x, "euclidean", 1, true), 1e-12));
    const a = normalise(A);
    const it = normalise(I);
    const u = tf.gather(
      a,
      tf.tensor1d(rows.map((r) => pairs.anchorIds[r]), "int32"),
    );
    const p = tf.gather(
      it,
      tf.tensor1d(rows.map((r) => pairs.itemIds[r]), "int32"),
    );
    const pBar = tf.mean(tf.sum(tf.mul(u, p), 1));
    const centroid = tf.mean(it, 0, true);
    const aBar = tf.mean(
      tf.matMul(
        tf.gather(a, tf.tensor1d(active, "int32")),
        centroid,
        false,
        true,
      ),
    );
    return Array.from(tf.stack([pBar, aBar]).dataSync());
  });
  return { ...stats, meanPositive, meanToItemCentroid };
}

/** Options of {@link adapTauScales}. */
export interface AdapTauScalesOptions {
  /** 1/τ0 from {@link adapTauGlobalScale}. */
  globalScale: number;
  /** t (the code's temperature_2), dividing the loss deviation (default 1). */
  t?: number;
}

/**
 * Per-id scales 1/τ_u = (1/τ0)·exp(−W(clip((L_u − L̄)/t, −1/e, 1000))), W the
 * Lambert W function, L_u the id's mean loss in the previous epoch and L̄
 * their mean ("weight_mean" mode). Ids without a loss (NaN) get 1/τ0.
 * Ids that did worse than average get a smaller scale (softer softmax).
 */
export function adapTauScales(
  idLosses: ArrayLike<number>,
  options: AdapTauScalesOptions,
): Float32Array {
  const { t } = lossOptions("adapTauScales", { t: ADAP_TAU_OPTIONS.t }, {
    t: options.t,
  });
  let sum = 0;
  let seen = 0;
  for (let i = 0; i < idLosses.length; i++) {
    if (Number.isFinite(idLosses[i])) {
      sum += idLosses[i];
      seen++;
    }
  }
  const mean = seen > 0 ? sum / seen : 0;
  const out = new Float32Array(idLosses.length);
  for (let i = 0; i < idLosses.length; i++) {
    const l = idLosses[i];
    if (!Number.isFinite(l)) {
      out[i] = options.globalScale;
      continue;
    }
    const z = Math.min(1000, Math.max(LAMBERT_W_MIN, (l - mean) / t));
    out[i] = options.globalScale * Math.exp(-lambertW(z));
  }
  return out;
}

/** Options of {@link AdapTau}; see {@link ADAP_TAU_OPTIONS}. */
export type AdapTauOptions = Options<typeof ADAP_TAU_OPTIONS>;

/** The state of {@link AdapTau} as plain numbers (JSON), for checkpoints. */
export interface AdapTauState {
  /** 1/τ0 of the current epoch (NaN before the first epoch). */
  globalScale: number;
  /** The per-id scales 1/τ_u. */
  scales: number[];
  /** Per id: the sum of the losses recorded in the current epoch. */
  sums: number[];
  /** Per id: how many losses were recorded in the current epoch. */
  counts: number[];
}

/**
 * Adap-τ state: the global scale, the per-id scales, and the per-id losses
 * recorded during the current epoch (tensors from {@link record} are kept
 * and read once per epoch; values from {@link recordValues} are summed at
 * once).
 */
export class AdapTau {
  /** Number of ids; valid ids are 0 … numIds − 1. */
  readonly numIds: number;
  /** t of {@link adapTauScales}. */
  readonly t: number;
  /** Number of warm-up epochs. */
  readonly warmupEpochs: number;
  /** Whether per-id scales are used. */
  readonly perId: boolean;
  #globalScale: number | null = null;
  // Doubles, like the 1/τ0 they start from; the loss reads them as float32.
  #scales: Float64Array;
  #sums: Float64Array;
  #counts: Uint32Array;
  #pending: { ids: Int32Array; losses: tf.Tensor }[] = [];

  /** Creates the state for `numIds` ids; call {@link startEpoch} next. */
  constructor(numIds: number, options: AdapTauOptions = {}) {
    if (!Number.isInteger(numIds) || numIds < 1) {
      throw new LossError(
        `AdapTau: numIds must be a positive integer, got ${numIds}`,
      );
    }
    const o = lossOptions("AdapTau", ADAP_TAU_OPTIONS, options);
    this.numIds = numIds;
    this.t = o.t;
    this.warmupEpochs = o.warmupEpochs;
    this.perId = o.perId;
    this.#scales = new Float64Array(numIds);
    this.#sums = new Float64Array(numIds);
    this.#counts = new Uint32Array(numIds);
  }

  /** 1/τ0 of the current epoch; throws before the first {@link startEpoch}. */
  get globalScale(): number {
    if (this.#globalScale === null) {
      throw new LossError("AdapTau: call startEpoch() before using the loss");
    }
    return this.#globalScale;
  }

  /** A copy of the per-id scales 1/τ_u. */
  get scales(): Float32Array {
    return Float32Array.from(this.#scales);
  }

  /**
   * Starts an epoch: recomputes 1/τ0 from `stats` (warm-up gap while
   * `epoch < warmupEpochs`), then the per-id scales from the losses recorded
   * in the previous epoch (all equal to 1/τ0 before any were recorded).
   * Reads the recorded loss tensors from the backend (one sync per batch).
   */
  startEpoch(epoch: number, stats: AdapTauDataStats): void {
    const global = adapTauGlobalScale(stats, {
      warmup: epoch < this.warmupEpochs,
    });
    this.#globalScale = global;
    this.#readPending();
    const sums = this.#sums, counts = this.#counts;
    if (!this.perId || !counts.some((c) => c > 0)) {
      this.#scales.fill(global);
    } else {
      const means = Array.from(
        sums,
        (s, i) => (counts[i] > 0 ? s / counts[i] : NaN),
      );
      this.#scales = Float64Array.from(
        adapTauScales(means, { globalScale: global, t: this.t }),
      );
    }
    sums.fill(0);
    counts.fill(0);
  }

  #readPending(): void {
    for (const { ids, losses } of this.#pending) {
      this.recordValues(ids, losses.dataSync());
      losses.dispose();
    }
    this.#pending = [];
  }

  /** [B] scales 1/τ_u of the given ids. */
  scalesFor(ids: ArrayLike<number>): tf.Tensor1D {
    return tf.tensor1d(Array.from(ids, (id) => this.#scales[id]));
  }

  /** Records per-example losses (taking ownership of the tensor). */
  record(ids: ArrayLike<number>, losses: tf.Tensor1D): void {
    this.#pending.push({ ids: Int32Array.from(ids), losses });
  }

  /** Records per-example losses already read from the backend. */
  recordValues(ids: ArrayLike<number>, losses: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      this.#sums[ids[i]] += losses[i];
      this.#counts[ids[i]]++;
    }
  }

  /** The state as plain numbers (reads pending loss tensors: a sync). */
  getState(): AdapTauState {
    this.#readPending();
    return {
      globalScale: this.#globalScale ?? NaN,
      scales: Array.from(this.#scales),
      sums: Array.from(this.#sums),
      counts: Array.from(this.#counts),
    };
  }

  /** Restores {@link getState}; throws when it is for another number of ids. */
  setState(state: AdapTauState): void {
    const n = this.numIds;
    if (
      state.sums?.length !== n || state.counts?.length !== n ||
      state.scales?.length !== n
    ) {
      throw new LossError(`AdapTau: the state is not one of ${n} ids`);
    }
    this.dispose();
    this.#globalScale = Number.isFinite(state.globalScale)
      ? state.globalScale
      : null;
    this.#scales = Float64Array.from(state.scales);
    this.#sums = Float64Array.from(state.sums);
    this.#counts = Uint32Array.from(state.counts);
  }

  /** Disposes recorded, not yet read losses. */
  dispose(): void {
    for (const p of this.#pending) p.losses.dispose();
    this.#pending = [];
  }
}

/** Options of {@link adapTauLossFromScores}. */
export type AdapTauScoreOptions = Options<typeof ADAP_TAU_LOSS_OPTIONS> & {
  /** Required: the global scale 1/τ0 (the positive logit's). */
  globalScale: number;
  /** Required: [B] the anchors' scales 1/τ_u (the negative logits'). */
  scales: ArrayLike<number>;
  /** Also return the per-anchor loss at scale 1 (default false). */
  unscaled?: boolean;
  /** Return {@link LossResult.stats} (one device sync; default false). */
  stats?: boolean;
};

/** Result of {@link adapTauLossFromScores}. */
export interface AdapTauResult extends LossResult {
  /** [B] the per-anchor loss at scale 1 when asked (the caller owns it). */
  unscaled: tf.Tensor1D | null;
}

/**
 * Adap-τ loss (official code form) on a score bundle: mean over anchors b
 * of −log(e^{s(q_b,v_b)·(1/τ0)} / Σ_{j negative} e^{s(q_b,c_j)·(1/τ_u(b))}):
 * the positive logit on the global scale, the negatives on the anchor's
 * scale, and (by default) only negatives in the denominator. Scales carry
 * no gradient. `unscaled` also returns the per-anchor loss at scale 1 (the
 * code's detached "loss_" with the same denominator), from which the next
 * epoch's per-id scales are computed.
 */
export function adapTauLossFromScores(
  s: BatchScores,
  options: AdapTauScoreOptions,
): AdapTauResult {
  const { positiveInDenominator } = lossOptions(
    "adapTauLoss",
    ADAP_TAU_LOSS_OPTIONS,
    { positiveInDenominator: options.positiveInDenominator },
  );
  const global = options.globalScale;
  const stats = options.stats ?? false;
  let unscaled: tf.Tensor1D | null = null;
  const result = runLoss(() => {
    const scale = tf.tensor1d(Array.from(options.scales));
    const perAnchor = softmaxRankingLoss(
      tf.mul(s.positive, global) as tf.Tensor1D,
      tf.mul(s.query, tf.expandDims(scale, 1)) as tf.Tensor2D,
      { negatives: s.negatives, positiveInDenominator },
    );
    const loss = tf.mean(perAnchor) as tf.Scalar;
    if (options.unscaled) {
      unscaled = tf.keep(softmaxRankingLoss(s.positive, s.query, {
        negatives: s.negatives,
        positiveInDenominator,
      }));
    }
    const rows = stats
      ? [termStatsTensor(
        loss,
        tf.expandDims(tf.div(1, scale), 1),
        s.negatives,
        { positiveTemperature: tf.scalar(1 / global) },
      )]
      : [];
    return { loss, rows };
  }, { parameter: "temperature", stats });
  return { ...result, unscaled };
}

/** Options of {@link adapTauLoss}. */
export type AdapTauLossOptions =
  & Options<typeof ADAP_TAU_LOSS_OPTIONS>
  & CandidateOptions
  & {
    /** Required: the anchors' ids ([B] integers in 0 … numIds − 1). */
    ids: ArrayLike<number>;
    /** Required: the {@link AdapTau} state. */
    adapTau: AdapTau;
    /** Record this batch's per-id losses for the next epoch (default true). */
    record?: boolean;
  };

/**
 * {@link adapTauLossFromScores} of the (q, v) bundle with the scales of
 * {@link AdapTau} for the anchors' `ids`; with `record` (default) it stores
 * the per-anchor losses at scale 1 in `adapTau` for the next epoch. Needs
 * `ids`: throws without them.
 */
export function adapTauLoss(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: AdapTauLossOptions,
): LossResult {
  const fn = "adapTauLoss";
  if (options === undefined || options.ids === undefined) {
    throw new LossError(
      `${fn}: option "ids" is required: Adap-τ's temperature is per anchor id (user or query)`,
    );
  }
  const o = lossOptions(fn, ADAP_TAU_LOSS_OPTIONS, options, [
    "ids",
    "adapTau",
    "record",
    ...CANDIDATE_KEYS,
  ]);
  const { ids, adapTau } = options;
  if (!(adapTau instanceof AdapTau)) {
    throw new LossError(
      `${fn}: option "adapTau" (an AdapTau instance) is required`,
    );
  }
  const B = q.shape[0];
  if (ids.length !== B) {
    throw new LossError(
      `${fn}: option "ids" has ${ids.length} entries for a batch of ${B}`,
    );
  }
  for (let i = 0; i < B; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= adapTau.numIds) {
      throw new LossError(
        `${fn}: ids[${i}] = ${id} is not an id in 0 … ${adapTau.numIds - 1}`,
      );
    }
  }
  const record = options.record ?? true;
  const scales = adapTau.scales;
  const bundle = candidates(fn, options, false);
  const { loss, stats, unscaled } = withBatchScores(
    q,
    v,
    bundle,
    (s) =>
      adapTauLossFromScores(s, {
        globalScale: adapTau.globalScale,
        scales: Array.from(ids, (id) => scales[id]),
        positiveInDenominator: o.positiveInDenominator,
        unscaled: record,
        stats: options.stats,
      }),
  );
  if (unscaled !== null) adapTau.record(ids, unscaled);
  return { loss, stats };
}
