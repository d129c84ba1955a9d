/**
 * Retrieval metrics over plain `Float32Array` embeddings (row-major
 * `[n, d]`): the paper's batch recall@k, exact top-k search, full-corpus
 * recall@k / NDCG@k / MRR from ranked lists and graded labels, and a
 * percentile bootstrap for confidence intervals over per-query values.
 *
 * Every metric returns its per-query values too, so intervals and paired
 * comparisons can be computed from the same numbers that were averaged.
 *
 * @module
 */

import { DEFAULT_BATCH_SIZE, RELEVANCE, Rng } from "../data/mod.ts";
import {
  checkInt,
  innerProducts,
  rowsOf,
  type SearchResult,
  searchResult,
  TopK,
} from "./kernels.ts";

/** The k values reported by default. */
export const DEFAULT_KS: readonly number[] = [1, 5, 10, 50];

function checkKs(ks: readonly number[]): number[] {
  if (ks.length === 0) throw new RangeError("ks must not be empty");
  for (const k of ks) checkInt(k, { name: "ks", lo: 1 });
  return [...ks];
}

// ---------------------------------------------------------------------------
// Exact search

/** Options for {@link exactSearch}. */
export interface ExactSearchOptions {
  /** Results per query. */
  k: number;
  /** Dimension. */
  d: number;
  /** Number of items; checked against `items.length / d` when given. */
  n?: number;
}

// Block sizes: 2048 items × d = 128 is 1 MB of float32 (fits L2); 64 queries
// give a 512 KB score block.
const QUERY_BLOCK = 64;
const ITEM_BLOCK = 2048;

/**
 * Exact top-k by inner product: for each query the `k` items with the
 * highest `q · x`, best first, equal scores ordered by lower item index.
 * Scores are computed in blocks and selected with a k-sized heap per query
 * (no full sort). When `k` exceeds the number of items, ids are padded with
 * −1 and scores with −Infinity.
 */
export function exactSearch(
  queries: Float32Array,
  items: Float32Array,
  options: ExactSearchOptions,
): SearchResult {
  const { d } = options;
  const k = checkInt(options.k, { name: "k", lo: 1 });
  const nq = rowsOf(queries, { d, name: "queries" });
  const n = rowsOf(items, { d, name: "items", n: options.n });
  const result = searchResult(nq, k);
  const heaps = Array.from(
    { length: Math.min(QUERY_BLOCK, nq) },
    () => new TopK(k),
  );
  const block = new Float32Array(QUERY_BLOCK * ITEM_BLOCK);
  for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
    const q1 = Math.min(nq, q0 + QUERY_BLOCK);
    const qs = queries.subarray(q0 * d, q1 * d);
    for (let i0 = 0; i0 < n; i0 += ITEM_BLOCK) {
      const i1 = Math.min(n, i0 + ITEM_BLOCK);
      const width = i1 - i0;
      innerProducts(qs, items.subarray(i0 * d, i1 * d), { d, out: block });
      for (let q = 0; q < q1 - q0; q++) {
        const heap = heaps[q];
        let threshold = heap.threshold;
        const row = q * width;
        for (let j = 0; j < width; j++) {
          // Items arrive in increasing index, so an equal score never wins.
          const s = block[row + j];
          if (s > threshold) {
            heap.push(s, i0 + j);
            threshold = heap.threshold;
          }
        }
      }
    }
    for (let q = 0; q < q1 - q0; q++) heaps[q].drainInto(result, (q0 + q) * k);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Batch recall@k

/** Options for {@link batchRanks}. */
export interface BatchRanksOptions {
  /** Dimension. */
  d: number;
  /**
   * Accidental-hit mask `[B, B]`: `mask[b·B + j] = 1` removes item j from
   * query b's candidates (the diagonal is ignored: the positive always
   * competes).
   */
  mask?: Uint8Array;
}

/**
 * Ranks of each query's positive within one evaluation batch. Query b
 * (row b of `queries`) scores the B rows of `items`; row b of `items` is
 * its positive. Rank = 1 + the number of unmasked other items whose score
 * is ≥ the positive's: ties count against the positive (pessimistic), so a
 * collapsed model whose embeddings are all equal gets rank B, not 1.
 */
export function batchRanks(
  queries: Float32Array,
  items: Float32Array,
  options: BatchRanksOptions,
): Int32Array {
  const { d, mask } = options;
  const size = rowsOf(queries, { d, name: "queries" });
  rowsOf(items, { d, name: "items", n: size });
  if (mask !== undefined && mask.length !== size * size) {
    throw new RangeError(
      `mask: expected ${size} × ${size} = ${
        size * size
      } entries, got ${mask.length}`,
    );
  }
  return positiveRanks(innerProducts(queries, items, { d }), { size, mask });
}

/**
 * The rank of each anchor's positive among its in-batch candidates, from a
 * row-major `[B, B]` score matrix whose diagonal holds the positives: 1 +
 * the candidates j ≠ b that are not masked (`mask[b·B + j]` ≠ 0) and score
 * at least as high (ties count against the positive).
 */
export function positiveRanks(
  scores: ArrayLike<number>,
  options: { size: number; mask?: ArrayLike<number> },
): Int32Array {
  const { size, mask } = options;
  const ranks = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const row = b * size;
    const pos = scores[row + b];
    let rank = 1;
    for (let j = 0; j < size; j++) {
      if (j === b || (mask !== undefined && mask[row + j] !== 0)) continue;
      if (scores[row + j] >= pos) rank++;
    }
    ranks[b] = rank;
  }
  return ranks;
}

/** Per query, 1 when its positive's rank is at most `k`, else 0. */
export function hitsAt(ranks: ArrayLike<number>, k: number): Float64Array {
  return Float64Array.from(ranks, (r) => (r <= k ? 1 : 0));
}

/** Options for {@link batchRecall}. */
export interface BatchRecallOptions {
  /** Dimension. */
  d: number;
  /** Cut-offs; default {@link DEFAULT_KS}. */
  ks?: readonly number[];
  /** Rows per evaluation batch; default {@link DEFAULT_BATCH_SIZE} (350). */
  batchSize?: number;
  /**
   * What to do with a final batch shorter than `batchSize`: "keep"
   * (default) evaluates it as a smaller batch — easier, since fewer items
   * compete; "drop" leaves its queries out so every query faces the same
   * number of candidates (and k ≥ its size cannot be a free hit).
   */
  lastBatch?: "keep" | "drop";
  /**
   * Accidental hits by key: within a batch, item j is ignored for query b
   * when `itemKeys[j] === itemKeys[b]` (e.g. the item id, so a product that
   * is the positive of two queries in one batch does not count as a
   * negative of either). Indexed by global row.
   */
  itemKeys?: ArrayLike<number>;
  /**
   * Accidental-hit mask per batch (`[size, size]`, as in
   * {@link BatchRanksOptions.mask}) for batch rows `start .. start+size-1`;
   * combined (OR) with `itemKeys`.
   */
  mask?: (start: number, size: number) => Uint8Array | undefined;
}

/** Result of {@link batchRecall}. */
export interface BatchRecallResult {
  /** The cut-offs, as given. */
  ks: number[];
  /** Mean hit rate per k (`recall[10]` is recall@10). */
  recall: Record<number, number>;
  /** Per evaluated query, 1 if the positive was in the top k else 0. */
  hits: Record<number, Float64Array>;
  /** Per evaluated query, the positive's rank (1 = best). */
  ranks: Int32Array;
  /** Queries evaluated. */
  evaluated: number;
  /** Queries left out by `lastBatch: "drop"`. */
  dropped: number;
  /** Batches evaluated. */
  batches: number;
}

/**
 * Batch recall@k (our reading of the paper's metric): rows are split into
 * consecutive batches of `batchSize`; within a batch every query ranks all
 * the batch's items (see {@link batchRanks}); recall@k is the fraction of
 * queries whose positive has rank ≤ k. For k ≥ batch size every query hits.
 * Order matters: shuffle rows beforehand for a random batching.
 */
export function batchRecall(
  queries: Float32Array,
  items: Float32Array,
  options: BatchRecallOptions,
): BatchRecallResult {
  const { d, itemKeys, lastBatch = "keep" } = options;
  const ks = checkKs(options.ks ?? DEFAULT_KS);
  const batchSize = checkInt(options.batchSize ?? DEFAULT_BATCH_SIZE, {
    name: "batchSize",
    lo: 1,
  });
  if (lastBatch !== "keep" && lastBatch !== "drop") {
    throw new RangeError(
      `lastBatch must be "keep" or "drop", got ${lastBatch}`,
    );
  }
  const n = rowsOf(queries, { d, name: "queries" });
  rowsOf(items, { d, name: "items", n });
  if (itemKeys !== undefined && itemKeys.length !== n) {
    throw new RangeError(
      `itemKeys: expected ${n} entries, got ${itemKeys.length}`,
    );
  }
  const evaluated = lastBatch === "drop"
    ? Math.floor(n / batchSize) * batchSize
    : n;
  const ranks = new Int32Array(evaluated);
  let batches = 0;
  for (let start = 0; start < evaluated; start += batchSize) {
    const size = Math.min(batchSize, evaluated - start);
    let mask = options.mask?.(start, size);
    if (mask !== undefined && mask.length !== size * size) {
      throw new RangeError(
        `mask(${start}, ${size}): expected ${
          size * size
        } entries, got ${mask.length}`,
      );
    }
    if (itemKeys !== undefined) {
      mask = mask === undefined ? new Uint8Array(size * size) : mask.slice();
      for (let b = 0; b < size; b++) {
        for (let j = 0; j < size; j++) {
          if (itemKeys[start + j] === itemKeys[start + b]) {
            mask[b * size + j] = 1;
          }
        }
      }
    }
    ranks.set(
      batchRanks(
        queries.subarray(start * d, (start + size) * d),
        items.subarray(start * d, (start + size) * d),
        { d, mask },
      ),
      start,
    );
    batches++;
  }
  const recall: Record<number, number> = {};
  const hits: Record<number, Float64Array> = {};
  for (const k of ks) {
    hits[k] = hitsAt(ranks, k);
    recall[k] = mean(hits[k]);
  }
  return {
    ks,
    recall,
    hits,
    ranks,
    evaluated,
    dropped: n - evaluated,
    batches,
  };
}

// ---------------------------------------------------------------------------
// Full-corpus ranking metrics

/** The labelled items of one query. */
export interface QueryLabels {
  /** Item ids, in the same id space as the ranked lists. */
  ids: ArrayLike<number>;
  /** Graded relevance per id (0–3 in our data), same length as `ids`. */
  relevance: ArrayLike<number>;
}

/** Ranked lists: `k` ids per query, row-major (a {@link SearchResult} fits). */
export interface RankedLists {
  /** Ids `[nq, k]`, best first; −1 marks an empty slot. */
  ids: Int32Array;
  /** Width of every list. */
  k: number;
}

/** How a relevance grade becomes an NDCG gain. */
export type Gain = "exponential" | "linear";

/** Options for {@link rankingMetrics}. */
export interface RankingOptions {
  /** Cut-offs for recall@k and NDCG@k; default {@link DEFAULT_KS}. */
  ks?: readonly number[];
  /**
   * Relevance at or above which an item counts as relevant for recall and
   * MRR; default 3 (ESCI "exact").
   */
  minRelevance?: number;
  /**
   * NDCG gain: "exponential" (default, `2^rel − 1`, Burges et al. 2005:
   * an exact match is worth 7 complements) or "linear" (`rel`).
   */
  gain?: Gain;
  /** Only the first `mrrCutoff` positions count for MRR; default all k. */
  mrrCutoff?: number;
}

/** Result of {@link rankingMetrics}. */
export interface RankingResult {
  /** The cut-offs, as given. */
  ks: number[];
  /** Mean recall@k over evaluated queries. */
  recall: Record<number, number>;
  /** Mean NDCG@k over evaluated queries. */
  ndcg: Record<number, number>;
  /** Mean reciprocal rank of the first relevant item. */
  mrr: number;
  /** Per evaluated query values (aligned with `queryIndex`). */
  perQuery: {
    recall: Record<number, Float64Array>;
    ndcg: Record<number, Float64Array>;
    mrr: Float64Array;
  };
  /** Row of each evaluated query in the input. */
  queryIndex: Int32Array;
  /** Queries evaluated. */
  evaluated: number;
  /** Queries skipped because none of their labels reached `minRelevance`. */
  skipped: number;
}

/**
 * Recall@k, NDCG@k and MRR of ranked lists against graded labels.
 *
 * - recall@k = |relevant ∩ top-k| / |relevant|, relevant = relevance ≥
 *   `minRelevance` (so it is below 1 when a query has more than k relevant
 *   items).
 * - NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{r ≤ k} gain(rel_r) / log2(r + 1);
 *   unlabelled items have gain 0; IDCG@k uses all labelled items of the
 *   query sorted by relevance.
 * - MRR = 1 / rank of the first relevant item within `mrrCutoff`, else 0.
 *
 * Queries without a relevant item are skipped for all three (one
 * population) and counted in `skipped`. An id repeated in one list counts
 * only at its first position. Duplicate labels keep the highest grade.
 */
export function rankingMetrics(
  ranked: RankedLists,
  labels: readonly QueryLabels[],
  options: RankingOptions = {},
): RankingResult {
  const ks = checkKs(options.ks ?? DEFAULT_KS);
  const { minRelevance = RELEVANCE.exact, gain = "exponential" } = options;
  const width = checkInt(ranked.k, { name: "ranked.k", lo: 1 });
  if (ranked.ids.length % width !== 0) {
    throw new RangeError(
      `ranked.ids: length ${ranked.ids.length} is not a multiple of k = ${width}`,
    );
  }
  const nq = ranked.ids.length / width;
  if (labels.length !== nq) {
    throw new RangeError(
      `labels: expected one entry per ranked query (${nq}), got ${labels.length}`,
    );
  }
  for (const k of ks) {
    if (k > width) {
      throw new RangeError(
        `ks: k = ${k} exceeds the ranked-list length ${width}`,
      );
    }
  }
  const mrrCutoff = checkInt(options.mrrCutoff ?? width, {
    name: "mrrCutoff",
    lo: 1,
    hi: width,
  });
  if (gain !== "exponential" && gain !== "linear") {
    throw new RangeError(
      `gain must be "exponential" or "linear", got ${gain}`,
    );
  }
  if (!Number.isFinite(minRelevance)) {
    throw new RangeError(`minRelevance must be finite, got ${minRelevance}`);
  }
  const gainOf = gain === "exponential"
    ? (r: number) => 2 ** r - 1
    : (r: number) => r;
  const maxK = Math.max(...ks);
  const discount = Float64Array.from(
    { length: width },
    (_, r) => 1 / Math.log2(r + 2),
  );

  const order = ks.map((k, i) => [k, i]).sort((x, y) => x[0] - y[0]);
  const rows: number[] = [];
  const rec: number[][] = ks.map(() => []);
  const nd: number[][] = ks.map(() => []);
  const rr: number[] = [];
  for (let q = 0; q < nq; q++) {
    const rel = labelMap(labels[q], q);
    let nRelevant = 0;
    for (const r of rel.values()) if (r >= minRelevance) nRelevant++;
    if (nRelevant === 0) continue;
    rows.push(q);
    const ideal = [...rel.values()].map(gainOf).sort((x, y) => y - x);
    const seen = new Set<number>();
    let hits = 0, dcg = 0, idcg = 0, first = 0;
    let ki = 0;
    for (let r = 0; r < maxK || r < mrrCutoff; r++) {
      if (r < width) {
        const id = ranked.ids[q * width + r];
        const g = id >= 0 && !seen.has(id) ? rel.get(id) : undefined;
        if (id >= 0) seen.add(id);
        if (g !== undefined) {
          dcg += gainOf(g) * discount[r];
          if (g >= minRelevance) {
            hits++;
            if (first === 0 && r < mrrCutoff) first = r + 1;
          }
        }
        if (r < ideal.length) idcg += ideal[r] * discount[r];
      }
      while (ki < order.length && order[ki][0] === r + 1) {
        const i = order[ki][1];
        rec[i].push(hits / nRelevant);
        nd[i].push(idcg > 0 ? dcg / idcg : 0);
        ki++;
      }
    }
    rr.push(first > 0 ? 1 / first : 0);
  }
  const evaluated = rows.length;
  const recall: Record<number, number> = {};
  const ndcg: Record<number, number> = {};
  const perRecall: Record<number, Float64Array> = {};
  const perNdcg: Record<number, Float64Array> = {};
  ks.forEach((k, i) => {
    perRecall[k] = Float64Array.from(rec[i]);
    perNdcg[k] = Float64Array.from(nd[i]);
    recall[k] = mean(perRecall[k]);
    ndcg[k] = mean(perNdcg[k]);
  });
  const perMrr = Float64Array.from(rr);
  return {
    ks,
    recall,
    ndcg,
    mrr: mean(perMrr),
    perQuery: { recall: perRecall, ndcg: perNdcg, mrr: perMrr },
    queryIndex: Int32Array.from(rows),
    evaluated,
    skipped: nq - evaluated,
  };
}

function labelMap(labels: QueryLabels, q: number): Map<number, number> {
  if (labels.ids.length !== labels.relevance.length) {
    throw new RangeError(
      `labels[${q}]: ${labels.ids.length} ids but ${labels.relevance.length} relevance values`,
    );
  }
  const m = new Map<number, number>();
  for (let i = 0; i < labels.ids.length; i++) {
    const r = labels.relevance[i];
    if (!Number.isFinite(r) || r < 0) {
      throw new RangeError(
        `labels[${q}].relevance: expected a finite value >= 0, got ${r}`,
      );
    }
    const prev = m.get(labels.ids[i]);
    if (prev === undefined || r > prev) m.set(labels.ids[i], r);
  }
  return m;
}

/** The arithmetic mean of `xs`; NaN for none. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/**
 * The sample standard deviation of `xs` (n − 1 in the denominator) about
 * `center` (default: their {@link mean}); NaN for fewer than two values.
 */
export function sampleSd(
  xs: ArrayLike<number>,
  center: number = mean(xs),
): number {
  if (xs.length < 2) return NaN;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - center) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * The median of `values` (the mean of the two middle values for an even
 * count); NaN for none.
 */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const s = Array.from(values).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Labelled pairs, as in the data layer's pairs table. */
export interface LabelledPairs {
  /** Query id per pair. */
  queryId: ArrayLike<number>;
  /** Item id per pair. */
  itemId: ArrayLike<number>;
  /** Graded relevance per pair. */
  relevance: ArrayLike<number>;
}

/**
 * Groups labelled pairs into one {@link QueryLabels} per query of
 * `queryIds` (in that order; queries without pairs get empty labels).
 * With `itemRow` (item id → row in the searched matrix), labels are
 * translated to rows so they match search results; pairs whose item is not
 * in `itemRow` are dropped.
 */
export function labelsFromPairs(
  pairs: LabelledPairs,
  options: { queryIds: ArrayLike<number>; itemRow?: Map<number, number> },
): QueryLabels[] {
  const { queryIds, itemRow } = options;
  const slot = new Map<number, number>();
  for (let i = 0; i < queryIds.length; i++) slot.set(queryIds[i], i);
  const ids: number[][] = Array.from({ length: queryIds.length }, () => []);
  const rel: number[][] = Array.from({ length: queryIds.length }, () => []);
  for (let p = 0; p < pairs.queryId.length; p++) {
    const s = slot.get(pairs.queryId[p]);
    if (s === undefined) continue;
    const id = itemRow === undefined
      ? pairs.itemId[p]
      : itemRow.get(pairs.itemId[p]);
    if (id === undefined) continue;
    ids[s].push(id);
    rel[s].push(pairs.relevance[p]);
  }
  return ids.map((x, i) => ({ ids: x, relevance: rel[i] }));
}

// ---------------------------------------------------------------------------
// Bootstrap

/**
 * Bootstrap resamples of an interval when its caller names none: 1000, the
 * usual choice for a percentile interval's 2.5% and 97.5% quantiles.
 */
export const DEFAULT_BOOTSTRAP_SAMPLES = 1000;

/** Options for {@link bootstrapCI}. */
export interface BootstrapOptions {
  /** Seed of the resampling. */
  seed: number;
  /** Bootstrap resamples; default {@link DEFAULT_BOOTSTRAP_SAMPLES}. */
  samples?: number;
  /** Coverage of the interval; default 0.95. */
  level?: number;
}

/** A mean with a confidence interval. */
export interface Interval {
  /** Mean of the values. */
  mean: number;
  /** Lower end. */
  lo: number;
  /** Upper end. */
  hi: number;
}

/**
 * Percentile bootstrap interval of the mean of per-query values: resample
 * the values with replacement `samples` times, take the `(1 − level)/2`
 * and `(1 + level)/2` quantiles (linear interpolation) of the resampled
 * means. For a paired comparison of two systems pass the per-query
 * differences.
 */
export function bootstrapCI(
  values: ArrayLike<number>,
  options: BootstrapOptions,
): Interval {
  const { seed, level = 0.95 } = options;
  const samples = checkInt(options.samples ?? DEFAULT_BOOTSTRAP_SAMPLES, {
    name: "samples",
    lo: 1,
  });
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`level must be in (0, 1), got ${level}`);
  }
  const n = values.length;
  if (n === 0) throw new RangeError("values must not be empty");
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`values: non-finite value ${values[i]} at ${i}`);
    }
  }
  const rng = new Rng(seed);
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[rng.int(n)];
    means[s] = sum / n;
  }
  means.sort();
  return {
    mean: mean(values),
    lo: quantile(means, (1 - level) / 2),
    hi: quantile(means, (1 + level) / 2),
  };
}

/** Quantile of sorted values with linear interpolation (R type 7). */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
