/**
 * The full evaluation of a trained two-tower model: what `deno task eval`
 * writes to `eval.json` and what every experiment reports.
 *
 * What is measured ({@link evaluateModel}):
 * - batch recall@{1,5,10,50} (`lib/eval`'s `DEFAULT_KS`): the split's
 *   (query, positive) pairs in the fixed shuffled order of
 *   `lib/train/evaluate.ts`, batches of 350, each query ranking its batch's
 *   items (accidental hits masked), with 95% bootstrap intervals over
 *   queries;
 * - full-corpus recall@{10,50,100}, NDCG@{10,50,100} and MRR
 *   ({@link EVAL_CORPUS_KS}): every query of the split that has a label ≥
 *   `minRelevance` searches the whole catalogue exactly (inner product;
 *   DPSR: its multi-head score through the model), graded labels from the
 *   pairs table, with intervals;
 * - with `ann`: the same through an IVF-PQ index (nlist ≈ √n, m = d/8
 *   sub-quantisers of 8 bits, nprobe = nlist/8), plus its overlap with the
 *   exact top-100 (single-vector towers only);
 * - embedding health: alignment of the positive pairs, uniformity of
 *   queries and of all items, mean item–item cosine, effective rank of the
 *   item embeddings.
 *
 * {@link evaluateModelPerQuery} returns the same metrics together with the
 * per-query values behind them (for paired comparisons), from one pass;
 * {@link evaluateRun} evaluates a run folder's weights: the last
 * checkpoint's, or the best-valid step's once early stopping has ended the
 * run (as the run's own `eval.json`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  accidentalHitMask,
  type Dataset,
  DEFAULT_BATCH_SIZE,
  RELEVANCE,
  type Split,
  splitRows,
} from "../data/mod.ts";
import { type BackendRequest, initBackend } from "../backend/mod.ts";
import {
  batchRecallOfModel,
  codeVersion,
  describeDataset,
  encodeAll,
  evaluationBatches,
  loadRun,
  readRunConfig,
} from "../train/mod.ts";
import type { TowerInputs, TwoTowerModel } from "../towers/mod.ts";
import {
  alignment,
  batchRecall,
  bootstrapCI,
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_KS,
  effectiveRank,
  exactSearch,
  hitsAt,
  type Interval,
  IvfPqIndex,
  labelsFromPairs,
  meanCosine,
  overlapAtK,
  rankingMetrics,
  type SearchResult,
  searchResult,
  TopK,
  uniformity,
} from "../eval/mod.ts";

/** Cut-offs of the full-corpus metrics. */
export const EVAL_CORPUS_KS: readonly number[] = [10, 50, 100];

/** Options of {@link evaluateRun}. */
export interface EvaluateRunOptions {
  /** Dataset folder or in-memory dataset replacing the run's (default: the run's). */
  data?: string | Dataset;
  /** Split to evaluate (default "test"). */
  split?: Split;
  /** Also search through an IVF-PQ index (default false). */
  ann?: boolean;
  /** Bootstrap resamples (default 1000). */
  bootstrapSamples?: number;
  /** Backend request (default: the run's config). */
  backend?: BackendRequest;
  /**
   * Evaluate on data whose hash differs from the run's (default false:
   * refused with a `DataMismatchError`); the result then says so.
   */
  allowOtherData?: boolean;
}

/** A metric as run files store it: six decimals (NaN and ±∞ unchanged). */
export function roundMetric(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

function ci(values: ArrayLike<number>, samples: number): Interval | null {
  if (values.length === 0) return null;
  const r = bootstrapCI(values, { seed: 0, samples });
  return {
    mean: roundMetric(r.mean),
    lo: roundMetric(r.lo),
    hi: roundMetric(r.hi),
  };
}

/**
 * Exact top-k of every query against all items with the model's own score
 * (for multi-head DPSR, whose score is not an inner product).
 */
export function searchWithModel(
  model: TwoTowerModel,
  embeddings: { queries: Float32Array; items: Float32Array },
  options: { k: number },
): SearchResult {
  const width = model.heads * model.dim;
  const nq = embeddings.queries.length / width;
  const n = embeddings.items.length / model.dim;
  const k = options.k;
  const result = searchResult(nq, k);
  const items = tf.tensor2d(embeddings.items, [n, model.dim]);
  const heap = new TopK(k);
  const block = 64;
  try {
    for (let q0 = 0; q0 < nq; q0 += block) {
      const q1 = Math.min(nq, q0 + block);
      const s = tf.tidy(() =>
        model.scores(
          tf.tensor2d(embeddings.queries.subarray(q0 * width, q1 * width), [
            q1 - q0,
            width,
          ]),
          items,
        )
      );
      const values = s.dataSync() as Float32Array;
      s.dispose();
      for (let q = 0; q < q1 - q0; q++) {
        for (let j = 0; j < n; j++) heap.push(values[q * n + j], j);
        heap.drainInto(result, (q0 + q) * k);
      }
    }
  } finally {
    items.dispose();
  }
  return result;
}

/** For multi-head queries, the normalised mean of the heads (for health metrics). */
function singleVectors(
  x: Float32Array,
  heads: number,
  d: number,
): Float32Array {
  if (heads === 1) return x;
  const n = x.length / (heads * d);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let h = 0; h < heads; h++) s += x[(i * heads + h) * d + c];
      out[i * d + c] = s / heads;
      norm += (s / heads) ** 2;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let c = 0; c < d; c++) out[i * d + c] *= inv;
  }
  return out;
}

function rowsAt(
  x: Float32Array,
  rows: ArrayLike<number>,
  width: number,
): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    out.set(x.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  }
  return out;
}

/** Options of {@link evaluateModel}. */
export interface EvaluateModelOptions {
  /** Split to evaluate (default "test"). */
  split?: Split;
  /** Relevance of a positive (default 3). */
  minRelevance?: number;
  /** Also search through an IVF-PQ index (default false). */
  ann?: boolean;
  /** Bootstrap resamples (default 1000). */
  bootstrapSamples?: number;
}

/** A model in memory with its prepared inputs and data. */
export interface ModelOnData {
  /** The model. */
  model: TwoTowerModel;
  /** Its inputs for `ds` (`model.prepare(ds)`). */
  inputs: TowerInputs;
  /** The data. */
  ds: Dataset;
}

/**
 * Per-query values behind {@link evaluateModel}'s means (unrounded), for
 * paired comparisons of two models on the same queries.
 */
export interface PerQueryValues {
  /** Rank of every evaluation pair's positive in its batch, in the fixed batch order. */
  batchRanks: Int32Array;
  /** Full-corpus recall@10 of every evaluated query (@k at the smallest cut-off the catalogue allows). */
  recall10: Float64Array;
  /** Full-corpus NDCG@10 of every evaluated query (same cut-off). */
  ndcg10: Float64Array;
  /** Reciprocal rank of every evaluated query. */
  mrr: Float64Array;
}

/** Batch ranks of the split's evaluation pairs, with hits and recall per k. */
function batchPart(run: ModelOnData, split: Split, minRelevance: number) {
  const { model, inputs, ds } = run;
  const d = model.dim;
  const { pairs, batches } = evaluationBatches(ds, { split, minRelevance });
  if (model.heads === 1) {
    const order = Int32Array.from(
      batches.flatMap((b) => Array.from(b.pairIndex)),
    );
    const qRows = order.map((p) => pairs.queryRow[p]);
    const iRows = order.map((p) => pairs.itemRow[p]);
    const q = encodeAll(model, inputs, { side: "queries", rows: qRows });
    const v = encodeAll(model, inputs, { side: "items", rows: iRows });
    const masks = new Map<number, Uint8Array>();
    let start = 0;
    for (const b of batches) {
      masks.set(start, Uint8Array.from(accidentalHitMask(pairs, b)));
      start += b.pairIndex.length;
    }
    const r = batchRecall(q, v, {
      d,
      ks: DEFAULT_KS,
      batchSize: DEFAULT_BATCH_SIZE,
      mask: (s) => masks.get(s),
    });
    return { pairs, batches, ranks: r.ranks, hits: r.hits, recall: r.recall };
  }
  const r = batchRecallOfModel(model, { ds, inputs }, {
    split,
    minRelevance,
    ks: DEFAULT_KS,
  });
  const hits: Record<number, Float64Array> = {};
  for (const k of DEFAULT_KS) hits[k] = hitsAt(r.ranks, k);
  return { pairs, batches, ranks: r.ranks, hits, recall: r.recall };
}

/**
 * {@link evaluateModel}'s metrics and the per-query values behind them
 * ({@link PerQueryValues}), from one evaluation pass.
 */
export function evaluateModelPerQuery(
  run: ModelOnData,
  options: EvaluateModelOptions = {},
): { metrics: Record<string, unknown>; perQuery: PerQueryValues } {
  const { model, inputs, ds } = run;
  const split = options.split ?? "test";
  const samples = options.bootstrapSamples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const minRelevance = options.minRelevance ?? RELEVANCE.exact;
  const d = model.dim;
  const heads = model.heads;
  // Batch recall.
  const { pairs, batches, ranks, hits, recall } = batchPart(
    run,
    split,
    minRelevance,
  );
  const batchRecallOut = {
    ks: DEFAULT_KS,
    recall: Object.fromEntries(
      DEFAULT_KS.map((k) => [k, roundMetric(recall[k])]),
    ),
    ci: Object.fromEntries(
      DEFAULT_KS.map((k) => [k, ci(hits[k], samples)]),
    ),
    queries: pairs.queryId.length,
    batches: batches.length,
    batchSize: DEFAULT_BATCH_SIZE,
  };

  // Full corpus.
  const queryRows = splitRows(ds.queries, split);
  const queryIds = Int32Array.from(queryRows, (r) => ds.queries.queryId[r]);
  const labels = labelsFromPairs(ds.pairs, {
    queryIds,
    itemRow: pairs.itemRowOf,
  });
  const Q = encodeAll(model, inputs, { side: "queries", rows: queryRows });
  const V = encodeAll(model, inputs, { side: "items" });
  const n = V.length / d;
  const K = Math.min(Math.max(...EVAL_CORPUS_KS), n);
  const ks = EVAL_CORPUS_KS.filter((k) => k <= K);
  const t0 = performance.now();
  const exact = heads === 1
    ? exactSearch(Q, V, { k: K, d })
    : searchWithModel(model, { queries: Q, items: V }, { k: K });
  const searchMs = performance.now() - t0;
  const corpus = (m: ReturnType<typeof rankingMetrics>) => ({
    ks,
    recall: Object.fromEntries(ks.map((k) => [k, roundMetric(m.recall[k])])),
    ndcg: Object.fromEntries(ks.map((k) => [k, roundMetric(m.ndcg[k])])),
    mrr: roundMetric(m.mrr),
    ci: {
      ...Object.fromEntries(
        ks.map((k) => [`recall@${k}`, ci(m.perQuery.recall[k], samples)]),
      ),
      [`ndcg@${ks[0]}`]: ci(m.perQuery.ndcg[ks[0]], samples),
      mrr: ci(m.perQuery.mrr, samples),
    },
    queries: m.evaluated,
    skipped: m.skipped,
  });
  const exactMetrics = rankingMetrics(exact, labels, { ks, minRelevance });
  const fullCorpus = {
    search: heads === 1
      ? "exact inner product"
      : "exact, model score (multi-head)",
    items: n,
    searchMs: Math.round(searchMs),
    ...corpus(exactMetrics),
  };

  let ann: Record<string, unknown> | null = null;
  if (options.ann) {
    if (heads !== 1) {
      ann = { skipped: "IVF-PQ needs single-vector queries (inner product)" };
    } else if (n < 256 || d % 8 !== 0) {
      ann = {
        skipped:
          `IVF-PQ needs ≥ 256 items and d divisible by 8 (n = ${n}, d = ${d})`,
      };
    } else {
      const nlist = Math.max(1, Math.round(Math.sqrt(n)));
      const nprobe = Math.max(1, Math.round(nlist / 8));
      const b0 = performance.now();
      const index = IvfPqIndex.build(V, {
        d,
        nlist,
        m: d / 8,
        nbits: 8,
        seed: 0,
      });
      const buildMs = performance.now() - b0;
      const s0 = performance.now();
      const approx = index.search(Q, { k: K, nprobe });
      const annMs = performance.now() - s0;
      ann = {
        nlist,
        m: d / 8,
        nbits: 8,
        nprobe,
        buildMs: Math.round(buildMs),
        searchMs: Math.round(annMs),
        overlapWithExact: roundMetric(overlapAtK(approx, exact, K)),
        ...corpus(rankingMetrics(approx, labels, { ks, minRelevance })),
      };
    }
  }

  // Embedding health.
  const posQ = singleVectors(
    encodeAll(model, inputs, { side: "queries", rows: pairs.queryRow }),
    heads,
    d,
  );
  const posV = rowsAt(V, pairs.itemRow, d);
  const health = {
    queryVectors: heads === 1
      ? "query embedding"
      : "normalised mean of the query heads",
    alignment: roundMetric(alignment(posQ, posV, { d })),
    uniformityQueries: queryRows.length >= 2
      ? roundMetric(uniformity(singleVectors(Q, heads, d), { d, seed: 0 }))
      : null,
    uniformityItems: roundMetric(uniformity(V, { d, seed: 0 })),
    meanCosine: roundMetric(meanCosine(V, { d })),
    effectiveRank: roundMetric(effectiveRank(V, { d })),
  };

  return {
    metrics: {
      split,
      minRelevance,
      batchRecall: batchRecallOut,
      fullCorpus,
      ann,
      health,
    },
    perQuery: {
      batchRanks: ranks,
      recall10: exactMetrics.perQuery.recall[ks[0]],
      ndcg10: exactMetrics.perQuery.ndcg[ks[0]],
      mrr: exactMetrics.perQuery.mrr,
    },
  };
}

/**
 * The metrics of the module documentation for a model in memory: batch
 * recall, full corpus, optional IVF-PQ, embedding health. Usable as
 * `train`'s `evaluate` hook:
 * `train(config, { evaluate: (ctx) => evaluateModel(ctx, { minRelevance: ctx.config.minRelevance }) })`.
 */
export function evaluateModel(
  run: ModelOnData,
  options: EvaluateModelOptions = {},
): Record<string, unknown> {
  return evaluateModelPerQuery(run, options).metrics;
}

/**
 * Evaluates the run in `dir` with {@link evaluateModel} — the weights
 * `loadRun` picks: the last checkpoint's, or the best-valid step's once
 * early stopping has ended the run — and returns the `eval.json` object
 * (with the config hash, step, the step whose weights were evaluated,
 * early stopping's summary, backend, dataset hashes and code version). Refuses
 * data other than the run's unless `allowOtherData` (see `loadRun`); a
 * checkpoint before the run's last step adds a warning to `warnings`.
 */
export async function evaluateRun(
  dir: string,
  options: EvaluateRunOptions = {},
): Promise<Record<string, unknown>> {
  const started = performance.now();
  const config = await readRunConfig(dir);
  const backend = await initBackend({
    backend: options.backend ?? config.backend,
    quiet: true,
  });
  const run = await loadRun(dir, {
    data: options.data,
    allowOtherData: options.allowOtherData,
  });
  try {
    const warnings: string[] = [];
    if (run.step < run.totalSteps) {
      warnings.push(
        `the checkpoint is at step ${run.step} of ${run.totalSteps}: the run did not finish, so these are a half-trained model's numbers (finish it with deno task train --resume --out ${dir})`,
      );
    }
    const otherData = run.sameData !== true;
    if (otherData) {
      warnings.push(
        `evaluated on ${
          describeDataset(run.data)
        }, not the data the run trained on (${
          describeDataset(run.runData)
        }), as asked (--allow-other-data)`,
      );
    }
    const metrics = evaluateModel(run, {
      split: options.split,
      minRelevance: run.config.minRelevance,
      ann: options.ann,
      bootstrapSamples: options.bootstrapSamples,
    });
    const { name, dir: folder, hash, hashOf } = run.data;
    return {
      source: "eval",
      configHash: run.configHash,
      code: await codeVersion(),
      step: run.step,
      totalSteps: run.totalSteps,
      weightsStep: run.weightsStep,
      ...(run.earlyStopping ? { earlyStopping: run.earlyStopping } : {}),
      backend: {
        name: backend.name,
        simd: backend.simd,
        threads: backend.threads,
      },
      dataset: { name, dir: folder, hash, hashOf },
      otherData,
      ...(otherData
        ? {
          runData: {
            name: run.runData.name,
            dir: run.runData.dir,
            hash: run.runData.hash,
            hashOf: run.runData.hashOf,
          },
        }
        : {}),
      warnings,
      ...metrics,
      evalMs: Math.round(performance.now() - started),
    };
  } finally {
    run.model.dispose();
  }
}
