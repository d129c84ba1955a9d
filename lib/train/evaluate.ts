/**
 * What the training layer needs to look at a model: encoding every query
 * or item in blocks ({@link encodeAll}), and batch recall@k with the
 * tower's own score ({@link batchRecallOfModel}), used for the validation
 * log during training, the `eval.json` a run ends with, and the
 * trained-vs-untrained sanity test. The full evaluation (full-corpus
 * recall, NDCG, MRR, embedding health, IVF-PQ) is `lib/experiments`'
 * `evaluateModel`, built on these helpers and `lib/eval`'s metrics.
 *
 * Batch recall@k follows `lib/eval`'s definition (cut-offs by default its
 * `DEFAULT_KS`, 1, 5, 10 and 50): the evaluation pairs of a
 * split are shuffled once (fixed seed) and cut into consecutive batches of
 * `batchSize` (the last one may be smaller); each query ranks the batch's
 * items by score; its rank is 1 + the number of other unmasked items
 * scoring ≥ its positive (ties count against it); recall@k = share of
 * queries with rank ≤ k. Masked: items equal to the query's positive or
 * labelled relevant to it in the same split (the training mask).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  accidentalHitMask,
  type Batch,
  type Dataset,
  DEFAULT_BATCH_SIZE,
  makeBatches,
  RELEVANCE,
  type Split,
  type TrainingPairs,
  trainingPairs,
} from "../data/mod.ts";
import type { TowerInputs, TwoTowerModel } from "../towers/mod.ts";
import { DEFAULT_KS, hitsAt, mean, positiveRanks } from "../eval/mod.ts";

/** Options of {@link encodeAll}. */
export interface EncodeAllOptions {
  /** Which tower. */
  side: "queries" | "items";
  /** Table rows to encode (default all rows, in table order). */
  rows?: Int32Array;
  /** Rows per forward pass (default 512). */
  batchSize?: number;
}

/**
 * Encodes `rows` of one side in blocks and returns the embeddings
 * row-major: `[n, heads·dim]` for queries, `[n, dim]` for items.
 */
export function encodeAll(
  model: TwoTowerModel,
  inputs: TowerInputs,
  options: EncodeAllOptions,
): Float32Array {
  const { side } = options;
  const total = side === "queries" ? inputs.numQueries : inputs.numItems;
  const rows = options.rows ??
    Int32Array.from({ length: total }, (_, i) => i);
  const size = options.batchSize ?? 512;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `encodeAll: batchSize must be a positive integer, got ${size}`,
    );
  }
  const width = side === "queries" ? model.heads * model.dim : model.dim;
  const out = new Float32Array(rows.length * width);
  for (let start = 0; start < rows.length; start += size) {
    const part = rows.subarray(start, Math.min(rows.length, start + size));
    const t = side === "queries"
      ? model.encodeQueries(inputs, part)
      : model.encodeItems(inputs, part);
    out.set(t.dataSync() as Float32Array, start * width);
    t.dispose();
  }
  return out;
}

/** Seed of the fixed shuffle of evaluation pairs. */
export const EVAL_ORDER_SEED = 0;

/** Options of {@link evaluationBatches} and {@link batchRecallOfModel}. */
export interface EvalBatchOptions {
  /** Split to evaluate (default "test"). */
  split?: Split;
  /** Relevance of a positive (default 3). */
  minRelevance?: number;
  /** Pairs per evaluation batch (default 350). */
  batchSize?: number;
}

/** The evaluation pairs of a split and their fixed batching. */
export interface EvaluationBatches {
  /** The split's positive pairs (and its relevance labels for the mask). */
  pairs: TrainingPairs;
  /** Consecutive batches of the fixed shuffle. */
  batches: Batch[];
}

/**
 * The evaluation pairs of a split cut into batches in a fixed shuffled
 * order (seed {@link EVAL_ORDER_SEED}); `lib/eval` uses the same order.
 * Throws if the split has no positive pair.
 */
export function evaluationBatches(
  ds: Dataset,
  options: EvalBatchOptions = {},
): EvaluationBatches {
  const split = options.split ?? "test";
  const pairs = trainingPairs(ds, {
    split,
    minRelevance: options.minRelevance ?? RELEVANCE.exact,
  });
  if (pairs.queryId.length === 0) {
    throw new RangeError(
      `dataset '${ds.meta.name}' has no pairs with relevance ≥ ${
        options.minRelevance ?? RELEVANCE.exact
      } in the ${split} split`,
    );
  }
  const batches = makeBatches(pairs, {
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    seed: EVAL_ORDER_SEED,
    epoch: 0,
  });
  return { pairs, batches };
}

/** Result of {@link batchRecallOfModel}. */
export interface ModelBatchRecall {
  /** Split evaluated. */
  split: Split;
  /** Cut-offs. */
  ks: number[];
  /** recall@k by k. */
  recall: Record<number, number>;
  /** Rank of every evaluated pair's positive (batch order). */
  ranks: Int32Array;
  /** Pairs evaluated. */
  queries: number;
  /** Batches evaluated. */
  batches: number;
  /** Pairs per batch. */
  batchSize: number;
}

/**
 * Batch recall@k of a model on a split, scored with `model.scores` (so
 * DPSR's multi-head score is used); see the module documentation.
 */
export function batchRecallOfModel(
  model: TwoTowerModel,
  data: { ds: Dataset; inputs: TowerInputs },
  options: EvalBatchOptions & { ks?: readonly number[] } = {},
): ModelBatchRecall {
  const ks = [...(options.ks ?? DEFAULT_KS)];
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const { pairs, batches } = evaluationBatches(data.ds, options);
  const ranks = new Int32Array(pairs.queryId.length);
  let offset = 0;
  for (const batch of batches) {
    const B = batch.itemRow.length;
    const scores = tf.tidy(() =>
      model.scores(
        model.encodeQueries(data.inputs, batch.queryRow),
        model.encodeItems(data.inputs, batch.itemRow),
      )
    );
    const s = scores.dataSync() as Float32Array;
    scores.dispose();
    const mask = accidentalHitMask(pairs, batch);
    ranks.set(positiveRanks(s, { size: B, mask }), offset);
    offset += B;
  }
  const recall: Record<number, number> = {};
  for (const k of ks) recall[k] = mean(hitsAt(ranks, k));
  return {
    split: options.split ?? "test",
    ks,
    recall,
    ranks,
    queries: ranks.length,
    batches: batches.length,
    batchSize,
  };
}
