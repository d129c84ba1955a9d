/**
 * Training batches with in-batch negatives.
 *
 * A batch holds B (query, positive item) pairs; for query b the positive is
 * item b (the diagonal) and the other B − 1 items of the batch are its
 * negatives, except accidental hits, which {@link accidentalHitMask} marks:
 *
 *   mask[b·B + j] = 1  iff  j ≠ b and (itemId[j] = itemId[b], or item j is
 *                           labelled relevant to query b)
 *
 * "Labelled relevant" means a pairs-table row (queryId[b], itemId[j]) with
 * relevance ≥ `maskMinRelevance` whose split is one of `labelSplits`
 * (default: only the split the batches are drawn from, so training batches
 * never read validation or test labels). The diagonal is 0 in the mask:
 * losses treat it as the positive, not as a negative to drop.
 *
 * Sampling correction (logQ): under in-batch sampling an item shows up as a
 * negative about as often as it shows up as a positive, so its sampling
 * probability is q(i) = (times i is a positive in the training pairs) /
 * (number of training pairs). A loss corrects logit (b, j) by subtracting
 * log q(itemId[j]); {@link batchLogQ} gives those values per batch column.
 * (Using B·q instead only adds a constant per row, which a softmax ignores.)
 *
 * Pairs carry both ids and row indices into the items and queries tables:
 * ids to report and to look up labels, rows to index feature matrices
 * encoded in table order.
 *
 * @module
 */

import { DataError } from "./io.ts";
import { Rng } from "./rng.ts";
import type { Dataset, Split } from "./schema.ts";
import { RELEVANCE, SPLITS } from "./schema.ts";

/** The positive pairs of one split, with what batching needs. */
export interface TrainingPairs {
  /** Split the pairs were taken from. */
  split: Split;
  /** Relevance a pair needs to count as a positive. */
  minRelevance: number;
  /** Query id of each pair. */
  queryId: Int32Array;
  /** Item id of each pair. */
  itemId: Int32Array;
  /** Row of each pair's query in `ds.queries`. */
  queryRow: Int32Array;
  /** Row of each pair's item in `ds.items`. */
  itemRow: Int32Array;
  /** Query id → row in `ds.queries`. */
  queryRowOf: Map<number, number>;
  /** Item id → row in `ds.items`. */
  itemRowOf: Map<number, number>;
  /**
   * Query id → item ids labelled relevant to it (relevance ≥
   * `maskMinRelevance`, split in `labelSplits`); used by the mask.
   */
  relevant: Map<number, Set<number>>;
  /**
   * Sampling probability of each item, indexed by item row: positive count /
   * number of pairs (0 for items that are never a positive).
   */
  itemProbability: Float64Array;
}

/** Options of {@link trainingPairs}. */
export interface TrainingPairsOptions {
  /** Split to draw positives from (default `train`). */
  split?: Split;
  /** Minimum relevance of a positive (default 3, exact). */
  minRelevance?: number;
  /** Minimum relevance of a label that masks a negative (default `minRelevance`). */
  maskMinRelevance?: number;
  /** Splits whose labels the mask may read (default `[split]`). */
  labelSplits?: readonly Split[];
}

/**
 * Maps each id to its index; throws `DataError` on a duplicate id.
 * `table` and `column` name the source in the error.
 */
export function rowIndex(
  ids: Int32Array,
  options: { table?: string; column?: string } = {},
): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    if (m.has(ids[i])) {
      throw new DataError(
        options.table ?? "<memory>",
        `duplicate id ${ids[i]} at rows ${m.get(ids[i])} and ${i}`,
        options.column,
      );
    }
    m.set(ids[i], i);
  }
  return m;
}

function checkRelevance(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 3) {
    throw new RangeError(`${name} must be an integer in [0, 3], got ${v}`);
  }
  return v;
}

function checkSplit(name: string, s: string): Split {
  if (!SPLITS.includes(s as Split)) {
    throw new RangeError(
      `${name} must be one of ${SPLITS.join(", ")}, got '${s}'`,
    );
  }
  return s as Split;
}

/** Whether `ds` has behaviour sequences: a users table with a user in it. */
export function hasUsers(
  ds: { users?: Pick<NonNullable<Dataset["users"]>, "userId"> },
): boolean {
  return ds.users !== undefined && ds.users.userId.length > 0;
}

/** Whether no query of `ds` has text (MovieLens: the user is the query). */
export function lacksQueryText(
  ds: { queries: Pick<Dataset["queries"], "text"> },
): boolean {
  return ds.queries.text.every((t) => t.trim() === "");
}

/** The rows of the queries table in `split`, in table order. */
export function splitRows(
  queries: Pick<Dataset["queries"], "split">,
  split: Split,
): Int32Array {
  const rows: number[] = [];
  queries.split.forEach((s, i) => {
    if (s === split) rows.push(i);
  });
  return Int32Array.from(rows);
}

/**
 * The positive pairs of a split: every pairs-table row of that split with
 * relevance ≥ `minRelevance`, in table order (one pair per row). Also
 * builds the id → row maps, the relevance labels for the mask and the item
 * sampling probabilities. Throws `DataError` if a pair names a query or
 * item that is not in its table.
 */
export function trainingPairs(
  ds: Dataset,
  options: TrainingPairsOptions = {},
): TrainingPairs {
  const split = checkSplit("split", options.split ?? "train");
  const minRelevance = checkRelevance(
    "minRelevance",
    options.minRelevance ?? RELEVANCE.exact,
  );
  const maskMin = checkRelevance(
    "maskMinRelevance",
    options.maskMinRelevance ?? minRelevance,
  );
  const labelSplits = new Set(
    (options.labelSplits ?? [split]).map((s) => checkSplit("labelSplits", s)),
  );
  const queryRowOf = rowIndex(ds.queries.queryId, {
    table: "queries",
    column: "query_id",
  });
  const itemRowOf = rowIndex(ds.items.itemId, {
    table: "items",
    column: "item_id",
  });
  const p = ds.pairs;
  const qs: number[] = [];
  const is: number[] = [];
  const qr: number[] = [];
  const ir: number[] = [];
  const relevant = new Map<number, Set<number>>();
  for (let k = 0; k < p.queryId.length; k++) {
    const q = p.queryId[k];
    const i = p.itemId[k];
    const rel = p.relevance[k];
    const isPositive = p.split[k] === split && rel >= minRelevance;
    const isLabel = labelSplits.has(p.split[k]) && rel >= maskMin;
    if (!isPositive && !isLabel) continue;
    const row = queryRowOf.get(q);
    const irow = itemRowOf.get(i);
    if (row === undefined) {
      throw new DataError(
        "pairs",
        `row ${k}: unknown query id ${q}`,
        "query_id",
      );
    }
    if (irow === undefined) {
      throw new DataError("pairs", `row ${k}: unknown item id ${i}`, "item_id");
    }
    if (isLabel) {
      let set = relevant.get(q);
      if (!set) relevant.set(q, set = new Set());
      set.add(i);
    }
    if (isPositive) {
      qs.push(q);
      is.push(i);
      qr.push(row);
      ir.push(irow);
    }
  }
  const itemProbability = new Float64Array(ds.items.itemId.length);
  for (const r of ir) itemProbability[r] += 1;
  if (ir.length > 0) {
    for (let r = 0; r < itemProbability.length; r++) {
      itemProbability[r] /= ir.length;
    }
  }
  return {
    split,
    minRelevance,
    queryId: Int32Array.from(qs),
    itemId: Int32Array.from(is),
    queryRow: Int32Array.from(qr),
    itemRow: Int32Array.from(ir),
    queryRowOf,
    itemRowOf,
    relevant,
    itemProbability,
  };
}

/** One batch: B pairs, as ids and as table rows. */
export interface Batch {
  /** Epoch the batch belongs to. */
  epoch: number;
  /** Position of the batch in its epoch (0-based). */
  index: number;
  /** Indices into the {@link TrainingPairs} arrays. */
  pairIndex: Int32Array;
  /** Query id of each row b. */
  queryId: Int32Array;
  /** Positive item id of each row b (the diagonal). */
  itemId: Int32Array;
  /** Query table row of each row b. */
  queryRow: Int32Array;
  /** Item table row of each row b. */
  itemRow: Int32Array;
}

/**
 * The paper's batch size, 350 pairs: what training batches and the batches
 * of batch recall@k default to (the metric depends on it: a query ranks its
 * batch's items).
 */
export const DEFAULT_BATCH_SIZE = 350;

/** Options of {@link makeBatches}. */
export interface BatchOptions {
  /** Pairs per batch (default {@link DEFAULT_BATCH_SIZE}, 350). */
  batchSize?: number;
  /** Shuffle seed (default 0). */
  seed?: number;
  /** Epoch; each epoch has its own order (default 0). */
  epoch?: number;
  /** Drop the last, smaller batch (default false: every pair is used). */
  dropLast?: boolean;
}

function checkNonNegInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  return v;
}

/**
 * Splits the pairs into batches after a shuffle that depends only on
 * (seed, epoch): the same pair appears exactly once per epoch (unless
 * `dropLast` drops the smaller last batch).
 */
export function makeBatches(
  pairs: TrainingPairs,
  options: BatchOptions = {},
): Batch[] {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `batchSize must be a positive integer, got ${batchSize}`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${seed}`);
  }
  const epoch = checkNonNegInt("epoch", options.epoch ?? 0);
  const n = pairs.queryId.length;
  // fork(epoch) gives every epoch its own stream from one seed.
  const order = new Rng(seed).fork(epoch).permutation(n);
  const count = options.dropLast
    ? Math.floor(n / batchSize)
    : Math.ceil(n / batchSize);
  const out: Batch[] = [];
  for (let k = 0; k < count; k++) {
    const pairIndex = order.slice(k * batchSize, (k + 1) * batchSize);
    const pick = (a: Int32Array) => pairIndex.map((p) => a[p]);
    out.push({
      epoch,
      index: k,
      pairIndex,
      queryId: pick(pairs.queryId),
      itemId: pick(pairs.itemId),
      queryRow: pick(pairs.queryRow),
      itemRow: pick(pairs.itemRow),
    });
  }
  return out;
}

/**
 * The rule of the accidental-hit mask, `[B, B]` row-major: entry (b, j),
 * j ≠ b, is 1 when item j is b's positive again (equal ids) or is in
 * `relevant[b]` (the items labelled relevant to query b), so j must not be
 * a negative of query b; the diagonal is 0 (the positive is handled apart).
 */
export function hitMask<T>(
  itemIds: ArrayLike<T>,
  relevant?: ArrayLike<ReadonlySet<T> | undefined>,
): Float32Array {
  const B = itemIds.length;
  const mask = new Float32Array(B * B);
  for (let b = 0; b < B; b++) {
    const own = itemIds[b];
    const rel = relevant?.[b];
    for (let j = 0; j < B; j++) {
      if (j === b) continue;
      const item = itemIds[j];
      if (item === own || (rel !== undefined && rel.has(item))) {
        mask[b * B + j] = 1;
      }
    }
  }
  return mask;
}

/**
 * The `[B, B]` accidental-hit mask of a batch ({@link hitMask}), with the
 * relevant items of each query from all its labels in `pairs` (see the
 * module documentation).
 */
export function accidentalHitMask(
  pairs: TrainingPairs,
  batch: Batch,
): Float32Array {
  const relevant = Array.from(batch.queryId, (q) => pairs.relevant.get(q));
  return hitMask(batch.itemId, relevant);
}

/** log q of each batch column's item: the logQ correction of logit (b, j). */
export function batchLogQ(pairs: TrainingPairs, batch: Batch): Float32Array {
  return Float32Array.from(
    batch.itemRow,
    (r) => Math.log(pairs.itemProbability[r]),
  );
}

/** A batch with its accidental-hit mask and logQ values. */
export interface MaskedBatch extends Batch {
  /** `[B, B]` accidental-hit mask, see {@link accidentalHitMask}. */
  mask: Float32Array;
  /** `[B]` log sampling probabilities, see {@link batchLogQ}. */
  logQ: Float32Array;
}

/** `batch` of `pairs` with its accidental-hit mask and logQ. */
export function maskedBatch(pairs: TrainingPairs, batch: Batch): MaskedBatch {
  return {
    ...batch,
    mask: accidentalHitMask(pairs, batch),
    logQ: batchLogQ(pairs, batch),
  };
}

/**
 * The batches of one epoch with masks and logQ, built one at a time so that
 * only one `[B, B]` mask is alive (350² floats ≈ 0.5 MB each).
 */
export function* iterateBatches(
  pairs: TrainingPairs,
  options: BatchOptions = {},
): Generator<MaskedBatch> {
  for (const batch of makeBatches(pairs, options)) {
    yield maskedBatch(pairs, batch);
  }
}
