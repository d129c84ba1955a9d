/**
 * `deno task eval --run DIR [--data DIR [--allow-other-data]] [--split test] [--ann]`
 *
 * Evaluates the last checkpoint of a training run (`deno task train`) and
 * writes the result next to it: `eval.json` for the run's own data and the
 * test split, `eval-<split>.json` for another split, and
 * `eval-<split>-<dataset>-<hash>.json` for other data (name and the first
 * 8 digits of its hash, so that two datasets never share a file).
 *
 * The data is checked against the hash `run.json` records: other data (a
 * `--data` folder that is not a copy of the run's, or the run's own folder
 * changed since training) is refused unless `--allow-other-data`, and a
 * result on other data says so (`otherData`, `runData`). A checkpoint
 * before the configured last step (a stopped run) is evaluated with a
 * warning, printed and recorded in `warnings`. Every result records the
 * config hash, data hash and code version. Relative `--run`/`--data` paths
 * are the user's (`INIT_CWD`, see `lib/data/user_path.ts`).
 *
 * What is measured ({@link evaluateRun}):
 * - batch recall@{1,5,10,50}: the split's (query, positive) pairs in the
 *   fixed shuffled order of `lib/train/evaluate.ts`, batches of 350, each
 *   query ranking its batch's items (accidental hits masked), with 95%
 *   bootstrap intervals over queries;
 * - full-corpus recall@{10,50,100}, NDCG@{10,50,100} and MRR: every query
 *   of the split that has a label ≥ `minRelevance` searches the whole
 *   catalogue exactly (inner product; DPSR: its multi-head score through
 *   the model), graded labels from the pairs table, with intervals;
 * - with `--ann`: the same through an IVF-PQ index (nlist ≈ √n, m = d/8
 *   sub-quantisers of 8 bits, nprobe = nlist/8), plus its overlap with the
 *   exact top-100 (single-vector towers only);
 * - embedding health: alignment of the positive pairs, uniformity of
 *   queries and of all items, mean item–item cosine, effective rank of the
 *   item embeddings.
 *
 * Exit status: 0 done, 1 failed, 2 bad command line.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { joinPath, stableJson, writeTextAtomic } from "../data/io.ts";
import type { Dataset, Split } from "../data/schema.ts";
import { SPLITS } from "../data/schema.ts";
import {
  BACKEND_REQUESTS,
  type BackendRequest,
  initBackend,
} from "../backend/mod.ts";
import {
  batchRecallOfModel,
  codeVersion,
  describeDataset,
  encodeAll,
  evaluationBatches,
  loadRun,
  readRunConfig,
} from "../train/mod.ts";
import { shownPath, userPath } from "../data/user_path.ts";
import type { TowerInputs, TwoTowerModel } from "../towers/mod.ts";
import { accidentalHitMask } from "../data/batches.ts";
import {
  alignment,
  batchRecall,
  bootstrapCI,
  effectiveRank,
  exactSearch,
  type Interval,
  IvfPqIndex,
  labelsFromPairs,
  meanCosine,
  rankingMetrics,
  type SearchResult,
  TopK,
  uniformity,
} from "../eval/mod.ts";

/** Cut-offs of batch recall. */
export const EVAL_BATCH_KS: readonly number[] = [1, 5, 10, 50];

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

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}

function ci(values: ArrayLike<number>, samples: number): Interval | null {
  if (values.length === 0) return null;
  const r = bootstrapCI(values, { seed: 0, samples });
  return { mean: round(r.mean), lo: round(r.lo), hi: round(r.hi) };
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
  const result: SearchResult = {
    nq,
    k,
    ids: new Int32Array(nq * k),
    scores: new Float32Array(nq * k),
  };
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

/**
 * The metrics of the module documentation for a model in memory: batch
 * recall, full corpus, optional IVF-PQ, embedding health. Usable as
 * `train`'s `evaluate` hook:
 * `train(config, { evaluate: (ctx) => evaluateModel(ctx, { minRelevance: ctx.config.minRelevance }) })`.
 */
export function evaluateModel(
  run: { model: TwoTowerModel; inputs: TowerInputs; ds: Dataset },
  options: EvaluateModelOptions = {},
): Record<string, unknown> {
  const { model, inputs, ds } = run;
  const split = options.split ?? "test";
  const samples = options.bootstrapSamples ?? 1000;
  const minRelevance = options.minRelevance ?? 3;
  const d = model.dim;
  const heads = model.heads;
  // Batch recall.
  const { pairs, batches } = evaluationBatches(ds, { split, minRelevance });
  let hits: Record<number, Float64Array>;
  let recall: Record<number, number>;
  if (heads === 1) {
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
      ks: EVAL_BATCH_KS,
      batchSize: 350,
      mask: (s) => masks.get(s),
    });
    hits = r.hits;
    recall = r.recall;
  } else {
    const r = batchRecallOfModel(model, { ds, inputs }, {
      split,
      minRelevance,
      ks: EVAL_BATCH_KS,
    });
    recall = r.recall;
    hits = {};
    for (const k of EVAL_BATCH_KS) {
      hits[k] = Float64Array.from(r.ranks, (x) => (x <= k ? 1 : 0));
    }
  }
  const batchRecallOut = {
    ks: EVAL_BATCH_KS,
    recall: Object.fromEntries(
      EVAL_BATCH_KS.map((k) => [k, round(recall[k])]),
    ),
    ci: Object.fromEntries(
      EVAL_BATCH_KS.map((k) => [k, ci(hits[k], samples)]),
    ),
    queries: pairs.queryId.length,
    batches: batches.length,
    batchSize: 350,
  };

  // Full corpus.
  const splitQueries: number[] = [];
  for (let r = 0; r < ds.queries.queryId.length; r++) {
    if (ds.queries.split[r] === split) splitQueries.push(r);
  }
  const queryRows = Int32Array.from(splitQueries);
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
  const corpus = (ranked: SearchResult) => {
    const m = rankingMetrics(ranked, labels, { ks, minRelevance });
    return {
      ks,
      recall: Object.fromEntries(ks.map((k) => [k, round(m.recall[k])])),
      ndcg: Object.fromEntries(ks.map((k) => [k, round(m.ndcg[k])])),
      mrr: round(m.mrr),
      ci: {
        ...Object.fromEntries(
          ks.map((k) => [`recall@${k}`, ci(m.perQuery.recall[k], samples)]),
        ),
        [`ndcg@${ks[0]}`]: ci(m.perQuery.ndcg[ks[0]], samples),
        mrr: ci(m.perQuery.mrr, samples),
      },
      queries: m.evaluated,
      skipped: m.skipped,
    };
  };
  const fullCorpus = {
    search: heads === 1
      ? "exact inner product"
      : "exact, model score (multi-head)",
    items: n,
    searchMs: Math.round(searchMs),
    ...corpus(exact),
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
      let overlap = 0;
      for (let q = 0; q < exact.nq; q++) {
        const truth = new Set(exact.ids.subarray(q * K, (q + 1) * K));
        for (const id of approx.ids.subarray(q * K, (q + 1) * K)) {
          if (truth.has(id)) overlap++;
        }
      }
      ann = {
        nlist,
        m: d / 8,
        nbits: 8,
        nprobe,
        buildMs: Math.round(buildMs),
        searchMs: Math.round(annMs),
        overlapWithExact: round(overlap / (exact.nq * K)),
        ...corpus(approx),
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
    alignment: round(alignment(posQ, posV, { d })),
    uniformityQueries: queryRows.length >= 2
      ? round(uniformity(singleVectors(Q, heads, d), { d, seed: 0 }))
      : null,
    uniformityItems: round(uniformity(V, { d, seed: 0 })),
    meanCosine: round(meanCosine(V, { d })),
    effectiveRank: round(effectiveRank(V, { d })),
  };

  return {
    split,
    minRelevance,
    batchRecall: batchRecallOut,
    fullCorpus,
    ann,
    health,
  };
}

/**
 * Evaluates the last checkpoint of the run in `dir` with
 * {@link evaluateModel} and returns the `eval.json` object (with the
 * config hash, step, backend, dataset hashes and code version). Refuses
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

const USAGE =
  `usage: deno task eval --run DIR [--data DIR] [--allow-other-data] [--split test|valid|train] [--ann] [--backend B]

  --run DIR      run folder written by deno task train
  --data DIR     evaluate on this dataset folder instead of the run's
                 (e.g. a copy of it elsewhere)
  --allow-other-data
                 accept data whose hash differs from the run's (another
                 dataset on purpose, e.g. transfer); the result says so
  --split S      split to evaluate (default test)
  --ann          also search through an IVF-PQ index
  --backend B    ${BACKEND_REQUESTS.join(" | ")} (default: the run's)
  -h, --help     this text`;

/** Parsed flags of the eval command. */
export interface EvalArgs {
  /** Run folder. */
  run?: string;
  /** Dataset override. */
  data?: string;
  /** Accept data other than the run's. */
  allowOtherData: boolean;
  /** Split. */
  split: Split;
  /** IVF-PQ too. */
  ann: boolean;
  /** Backend override. */
  backend?: BackendRequest;
  /** Print usage. */
  help: boolean;
}

/** Parses the command line; throws an Error with the reason on bad flags. */
export function parseEvalArgs(args: readonly string[]): EvalArgs {
  const { values } = parseArgs({
    args: [...args],
    options: {
      run: { type: "string" },
      data: { type: "string" },
      "allow-other-data": { type: "boolean", default: false },
      split: { type: "string", default: "test" },
      ann: { type: "boolean", default: false },
      backend: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    return { split: "test", ann: false, allowOtherData: false, help: true };
  }
  if (!values.run) throw new Error("--run DIR is required");
  if (!SPLITS.includes(values.split as Split)) {
    throw new Error(
      `--split must be one of ${SPLITS.join(", ")}, got '${values.split}'`,
    );
  }
  if (
    values.backend !== undefined &&
    !BACKEND_REQUESTS.includes(values.backend as BackendRequest)
  ) {
    throw new Error(
      `--backend must be one of ${
        BACKEND_REQUESTS.join(", ")
      }, got '${values.backend}'`,
    );
  }
  return {
    run: values.run,
    data: values.data,
    allowOtherData: values["allow-other-data"] ?? false,
    split: values.split as Split,
    ann: values.ann ?? false,
    backend: values.backend as BackendRequest | undefined,
    help: false,
  };
}

/**
 * The file an evaluation is written to inside the run folder: `eval.json`
 * or `eval-<split>.json` for the run's own data (`data` null), else
 * `eval-<split>-<name>-<first 8 digits of the data hash>.json`: the name
 * alone (meta.json's) is shared by e.g. two seeds of one generator.
 */
export function evalFileName(
  split: Split,
  data: { name: string; hash: string } | null,
): string {
  if (data === null) {
    return split === "test" ? "eval.json" : `eval-${split}.json`;
  }
  const safe = data.name.replace(/[^A-Za-z0-9._-]+/g, "_");
  return `eval-${split}-${safe}-${data.hash.slice(0, 8)}.json`;
}

/** Runs the eval command; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  let parsed: EvalArgs;
  try {
    parsed = parseEvalArgs(args);
  } catch (err) {
    console.error(`deno task eval: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    // Relative to where the user typed them, not to the repository root.
    const dir = userPath(parsed.run as string);
    const result = await evaluateRun(dir, {
      data: parsed.data === undefined ? undefined : userPath(parsed.data),
      split: parsed.split,
      ann: parsed.ann,
      backend: parsed.backend,
      allowOtherData: parsed.allowOtherData,
    });
    for (const w of result.warnings as string[]) {
      console.error(`warning: ${w}`);
    }
    // Other data never writes the run's own eval.json / eval-<split>.json.
    const data = result.dataset as { name: string; hash: string };
    const file = joinPath(
      dir,
      evalFileName(parsed.split, result.otherData ? data : null),
    );
    await writeTextAtomic(file, stableJson(result) + "\n");
    const br = result.batchRecall as { recall: Record<string, number> };
    const fc = result.fullCorpus as {
      recall: Record<string, number>;
      ndcg: Record<string, number>;
      mrr: number;
    };
    console.log(
      `${shownPath(file)}: ${parsed.split} split, step ${result.step}`,
    );
    console.log(
      `batch recall ${
        Object.entries(br.recall).map(([k, v]) => `@${k} ${v.toFixed(4)}`).join(
          ", ",
        )
      }`,
    );
    console.log(
      `full corpus recall ${
        Object.entries(fc.recall).map(([k, v]) => `@${k} ${v.toFixed(4)}`).join(
          ", ",
        )
      }; NDCG@10 ${(fc.ndcg[10] ?? NaN).toFixed(4)}; MRR ${fc.mrr.toFixed(4)}`,
    );
    return 0;
  } catch (err) {
    console.error(`deno task eval: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
