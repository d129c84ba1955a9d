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
 * - Every loss is a function of the score bundle {@link BatchScores}
 *   (`…FromScores`); its (q, v) form builds the bundle with
 *   {@link batchScores} and calls it. Multi-head towers build the bundle
 *   with their own score (option `score`), so each equation exists once.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { matMulT } from "../backend/mod.ts";
import { lossOptions, type ResolvedArguments } from "./options.ts";
import { hitMask, type OptionTable } from "../data/mod.ts";
import { LossError, type LossResult } from "./types.ts";

/**
 * A tower's query–item score f(q_b, c_n) for every query row against every
 * candidate row: `[B, N]`. Towers whose queries are not single vectors
 * (DPSR's m heads and attention score) pass theirs; the default is q·cᵀ.
 */
export type ScoreFunction = (q: tf.Tensor2D, items: tf.Tensor2D) => tf.Tensor2D;

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
  /**
   * The tower's score (default the dot product); with it, `q` may be wider
   * than `v` (DPSR: [B, m·d]). Item–item similarities stay v·c.
   */
  score?: ScoreFunction;
  /** Name of the calling loss, for error messages. */
  caller?: string;
}

/**
 * The score bundle every loss is a function of; N = (B if in-batch) + K.
 * Built by {@link batchScores}; free it with {@link disposeScores}.
 */
export interface BatchScores {
  /** [B]: s(q_b, v_b). */
  positive: tf.Tensor1D;
  /** [B, N]: s(q_b, c_j) for the candidates c_j. */
  query: tf.Tensor2D;
  /** [B, N]: s(v_b, c_j), or null when not requested. */
  item: tf.Tensor2D | null;
  /** [B, N]: 1 where c_j is a negative of anchor b, else 0. */
  negatives: tf.Tensor2D;
  /** [B]: logQ of the positives (subtracted from L^q's positive logit), or null. */
  logQPositive: tf.Tensor1D | null;
  /** [B or 1, N]: logQ of the candidates (subtracted from their logits), or null. */
  logQColumns: tf.Tensor2D | null;
  /** Number of in-batch candidate columns (B, or 0). */
  inBatch: number;
  /** Number of extra candidate columns (K). */
  extra: number;
}

function shapeText(t: tf.Tensor): string {
  return `[${t.shape.join(", ")}]`;
}

/**
 * Checks `q` and `v` and returns [B, d] (d: the width of `v`). With
 * `sameWidth` false (a tower's own score), `q` may be wider.
 */
export function checkEmbeddings(
  fn: string,
  q: unknown,
  v: unknown,
  sameWidth = true,
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
  if (
    qt.shape[0] !== vt.shape[0] || (sameWidth && qt.shape[1] !== vt.shape[1])
  ) {
    throw new LossError(
      `${fn}: q ${shapeText(qt)} and v ${
        shapeText(vt)
      } must have the same shape [B, d]`,
    );
  }
  if (qt.shape[0] < 1) throw new LossError(`${fn}: the batch is empty`);
  return [qt.shape[0] as number, vt.shape[1] as number];
}

function checkCandidates(
  fn: string,
  options: BatchScoresOptions,
  [B, d]: [number, number],
): void {
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
  if (options.inBatchNegatives === false && extras === undefined) {
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
  const { logQ, extraLogQ } = options;
  if (logQ !== undefined) {
    if (
      !(logQ instanceof tf.Tensor) || logQ.rank !== 1 || logQ.shape[0] !== B
    ) {
      throw new LossError(
        `${fn}: option "logQ" must be a tensor of shape [${B}]`,
      );
    }
    if (extras !== undefined && extraLogQ === undefined) {
      throw new LossError(
        `${fn}: option "extraLogQ" is required when "logQ" and "extraNegatives" are both given`,
      );
    }
  }
  if (extraLogQ !== undefined) {
    if (extras === undefined) {
      throw new LossError(
        `${fn}: option "extraLogQ" was given without "extraNegatives"`,
      );
    }
    const K = extras.shape[extras.rank - 2];
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

// The logQ offsets laid out like the candidate columns: in-batch, extras.
function logQColumns(
  options: BatchScoresOptions,
  B: number,
  inBatch: boolean,
  K: number,
): tf.Tensor2D {
  const parts: tf.Tensor[] = [];
  if (inBatch) {
    parts.push(
      options.logQ ? tf.reshape(options.logQ, [1, B]) : tf.zeros([1, B]),
    );
  }
  if (K > 0) {
    const e = options.extraLogQ;
    parts.push(
      e === undefined
        ? tf.zeros([1, K])
        : e.rank === 1
        ? tf.reshape(e, [1, K])
        : e,
    );
  }
  const rows = Math.max(...parts.map((p) => p.shape[0] as number));
  return tf.concat(
    parts.map((p) => tf.broadcastTo(p, [rows, p.shape[1] as number])),
    1,
  ) as tf.Tensor2D;
}

/**
 * Builds the {@link BatchScores} of `q`, `v` ([B, d]): the (q, v) side of
 * every loss. With `score`, query–candidate scores come from the tower's
 * score function (multi-head towers); without, s = q·c. Throws a
 * {@link LossError} naming the option on bad shapes. The bundle owns its
 * tensors (intermediates are freed): {@link disposeScores} frees them.
 */
export function batchScores(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: BatchScoresOptions = {},
): BatchScores {
  const fn = options.caller ?? "batchScores";
  const score = options.score;
  const [B, d] = checkEmbeddings(fn, q, v, score === undefined);
  checkCandidates(fn, options, [B, d]);
  const inBatch = options.inBatchNegatives ?? true;
  const extras = options.extraNegatives;
  const K = extras === undefined ? 0 : extras.shape[extras.rank - 2] as number;
  const withLogQ = options.logQ !== undefined ||
    options.extraLogQ !== undefined;
  const t = tf.tidy(() => {
    const queryParts: tf.Tensor2D[] = [];
    const itemParts: tf.Tensor2D[] = [];
    const negParts: tf.Tensor2D[] = [];
    let positive: tf.Tensor1D;
    // In-batch and shared candidates: one [B, N] product each.
    const scores = (c: tf.Tensor2D) =>
      score ? score(q, c) : matMulT(q, c, false, true) as tf.Tensor2D;
    if (score) {
      const full = score(q, v);
      positive = tf.sum(tf.mul(full, tf.eye(B)), 1) as tf.Tensor1D;
      if (inBatch) queryParts.push(full);
    } else {
      positive = tf.sum(tf.mul(q, v), 1) as tf.Tensor1D;
      if (inBatch) queryParts.push(scores(v));
    }
    if (inBatch) {
      if (options.itemScores) {
        itemParts.push(matMulT(v, v, false, true) as tf.Tensor2D);
      }
      let neg: tf.Tensor2D = tf.sub(1, tf.eye(B));
      if (options.mask !== undefined) {
        const hit = tf.cast(tf.notEqual(options.mask, 0), "float32");
        neg = tf.mul(neg, tf.sub(1, hit));
      }
      negParts.push(neg);
    }
    if (extras !== undefined) {
      if (extras.rank === 2) {
        queryParts.push(scores(extras as tf.Tensor2D));
        if (options.itemScores) {
          itemParts.push(matMulT(v, extras, false, true) as tf.Tensor2D);
        }
      } else {
        const e = extras as tf.Tensor3D;
        const perAnchor = (x: tf.Tensor2D) =>
          tf.reshape(tf.matMul(e, tf.expandDims(x, 2)), [B, K]) as tf.Tensor2D;
        queryParts.push(score ? perAnchorScores(score, q, e) : perAnchor(q));
        if (options.itemScores) itemParts.push(perAnchor(v));
      }
      negParts.push(tf.ones([B, K]));
    }
    const join = (parts: tf.Tensor2D[]) =>
      parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    const out: Record<string, tf.Tensor> = {
      positive,
      query: join(queryParts),
      negatives: join(negParts),
    };
    if (options.itemScores) out.item = join(itemParts);
    if (withLogQ) {
      out.logQColumns = logQColumns(options, B, inBatch, K);
      // A copy, so that disposeScores leaves the caller's tensor alone.
      if (options.logQ) out.logQPositive = tf.clone(options.logQ);
    }
    return out;
  });
  return {
    positive: t.positive as tf.Tensor1D,
    query: t.query as tf.Tensor2D,
    item: (t.item ?? null) as tf.Tensor2D | null,
    negatives: t.negatives as tf.Tensor2D,
    logQPositive: (t.logQPositive ?? null) as tf.Tensor1D | null,
    logQColumns: (t.logQColumns ?? null) as tf.Tensor2D | null,
    inBatch: inBatch ? B : 0,
    extra: K,
  };
}

/**
 * f(q_b, E_bk) for per-anchor candidates E [B, K, d] with a tower's score:
 * every query against all B·K candidates, then the b-th block of row b.
 */
function perAnchorScores(
  score: ScoreFunction,
  q: tf.Tensor2D,
  e: tf.Tensor3D,
): tf.Tensor2D {
  const [B, K, d] = e.shape;
  const all = tf.reshape(score(q, tf.reshape(e, [B * K, d])), [B, B, K]);
  return tf.sum(tf.mul(all, tf.reshape(tf.eye(B), [B, B, 1])), 1);
}

/** s.item, which the adaptive values and L^v need. */
export function itemScoresOf(fn: string, s: BatchScores): tf.Tensor2D {
  if (s.item === null) {
    throw new LossError(
      `${fn}: the scores lack item–item similarities (build them with batchScores' option "itemScores")`,
    );
  }
  return s.item;
}

/** Frees the tensors of a {@link BatchScores}. */
export function disposeScores(s: BatchScores): void {
  tf.dispose([
    s.positive,
    s.query,
    s.negatives,
    ...[s.item, s.logQPositive, s.logQColumns].filter((t) => t !== null),
  ]);
}

/**
 * Runs `loss` on the bundle of `q`, `v` and frees the bundle: how every
 * (q, v) loss is a thin wrapper of its score-bundle form.
 */
export function withBatchScores<R>(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  options: BatchScoresOptions,
  loss: (s: BatchScores) => R,
): R {
  const s = batchScores(q, v, options);
  try {
    return loss(s);
  } finally {
    disposeScores(s);
  }
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
 * The [B, B] accidental-hit mask of a batch as a tensor, for losses called
 * on (q, v) with `itemIds`: `hitMask`'s rule (lib/data), entry (b, j) is 1
 * when item j is b's positive again or is relevant to query b.
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
  return tf.tensor2d(hitMask(itemIds, rel), [B, B]);
}

/** Candidate options shared by all (q, v) losses (see batch.ts). */
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

/** The stats option alone, for the score-bundle forms of the losses. */
export type StatsOption = Pick<CandidateOptions, "stats">;

/** Option names of {@link CandidateOptions}. */
export const CANDIDATE_KEYS: readonly string[] = [
  "mask",
  "extraNegatives",
  "inBatchNegatives",
  "stats",
];

/** The logQ options of the softmax losses (see {@link BatchScoresOptions}). */
export type LogQOptions = Pick<BatchScoresOptions, "logQ" | "extraLogQ">;

/** Option names of {@link LogQOptions}. */
export const LOGQ_KEYS: readonly string[] = ["logQ", "extraLogQ"];

/** The bundle options of a (q, v) loss's `options`, for batchScores. */
export function candidates(
  fn: string,
  options: CandidateOptions & LogQOptions,
  itemScores: boolean,
): BatchScoresOptions {
  return {
    mask: options.mask,
    extraNegatives: options.extraNegatives,
    inBatchNegatives: options.inBatchNegatives,
    logQ: options.logQ,
    extraLogQ: options.extraLogQ,
    itemScores,
    caller: fn,
  };
}

/** What {@link lossOfPairs} needs of a loss on a score bundle. */
export interface PairLossSpec<T extends OptionTable> {
  /** The (q, v) function's name, for errors. */
  fn: string;
  /** The loss's option table. */
  table: T;
  /** The other option names the (q, v) form accepts (the bundle's). */
  keys: readonly string[];
  /** Whether the loss needs the bundle's item scores. */
  itemScores: boolean;
  /** The (q, v) form's options. */
  options: CandidateOptions & LogQOptions;
  /** The loss on the bundle, given the resolved options. */
  fromScores: (
    s: BatchScores,
    options: ResolvedArguments<T> & { stats?: boolean },
  ) => LossResult;
}

/**
 * The (q, v) form ([B, d] each) of a loss on a score bundle: checks the
 * options, builds the bundle, runs `fromScores` on it and disposes it.
 */
export function lossOfPairs<T extends OptionTable>(
  q: tf.Tensor2D,
  v: tf.Tensor2D,
  spec: PairLossSpec<T>,
): LossResult {
  const { fn, options } = spec;
  const o = lossOptions(fn, spec.table, options, spec.keys);
  return withBatchScores(
    q,
    v,
    candidates(fn, options, spec.itemScores),
    (s) => spec.fromScores(s, { ...o, stats: options.stats }),
  );
}
