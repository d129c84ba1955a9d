/**
 * The runs of the baseline grids (notebooks 04–05c): {@link runBaselineGrid}
 * trains and evaluates every run of a grid (`baselines.ts`'s
 * {@link baselineGrid}) in the experiments' worker pool, or reads it back
 * from its folder through the run cache, and returns one
 * {@link BaselineRow} per run. See `baselines.ts` for the grid, the folder
 * layout and what makes a folder reusable.
 *
 * @module
 */

import {
  absolutePath,
  type Dataset,
  firstRepeat,
  joinPath,
  readDataset,
  readJson,
  stableJson,
  writeTextAtomic,
} from "../data/mod.ts";
import {
  checkConfigAgainstData,
  ConfigError,
  configHash,
  datasetContentHash,
  type EarlyStoppingSummary,
  readRunInfo,
  readSteps,
  RUN_FILES,
  type StepRow,
  train,
} from "../train/mod.ts";
import {
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_KS,
  type Interval,
} from "../eval/mod.ts";
import {
  evaluateModelPerQuery,
  type PerQueryValues,
  roundMetric,
} from "./evaluate.ts";
import { cachedRun } from "./run_cache.ts";
import { runInWorkers } from "./workers.ts";
import {
  BASELINE_EVAL_VERSION,
  BASELINE_PER_QUERY_FILE,
  type BaselineRunSpec,
} from "./baselines.ts";

/** One evaluated run of a grid: its spec's names and labels, and results. */
export interface BaselineRow extends Omit<BaselineRunSpec, "config"> {
  /** Tower kind. */
  tower: string;
  /** Loss kind. */
  loss: string;
  /** Dataset name (`meta.name`). */
  dataset: string;
  /** Config hash. */
  configHash: string;
  /** Run folder. */
  dir: string;
  /** Read back from the folder instead of trained. */
  cached: boolean;
  /** `"finished"`, or `"failed"` (training stopped with an error). */
  status: "finished" | "failed";
  /** Why it failed. */
  error?: string;
  /** Steps trained. */
  steps: number;
  /** With early stopping (full profile): where it stopped, why, its best step. */
  earlyStopping?: EarlyStoppingSummary | null;
  /** Training time of the run's sessions (s), null when unknown. */
  trainSeconds: number | null;
  /** Backend, e.g. `"wasm (simd)"`. */
  backend: string;
  /** Test batch recall@{1,5,10,50} (batch 350) with 95% bootstrap intervals. */
  batchRecall: Record<number, Interval>;
  /** Full-corpus recall@k with intervals (k ≤ catalogue size of 10, 50, 100). */
  corpusRecall: Record<number, Interval>;
  /** Full-corpus NDCG@10 with interval. */
  ndcg10: Interval;
  /** Full-corpus MRR with interval. */
  mrr: Interval;
  /** Embedding health of the trained model (from `evaluateModel`). */
  health: Record<string, number | string | null>;
  /** Per-query values (null for failed runs). */
  perQuery: PerQueryValues | null;
  /** Training loss per step. */
  log: { step: number; loss: number }[];
}

/** Options of {@link runBaselineGrid}. */
export interface RunBaselineGridOptions {
  /** Folder of the run folders, e.g. `runsDir("04_baseline_dssm")` in a notebook. */
  runsDir: string;
  /** The data, in memory (default: read each config's `data` folder once). */
  dataset?: Dataset;
  /** Bootstrap resamples of the intervals (default 1000). */
  bootstrapSamples?: number;
  /** Progress lines (default none). */
  log?: (line: string) => void;
  /** Parallel workers (default `experimentsWorkers()`; 1: this thread). */
  workers?: number;
}

/** The interval of a metric a run does not have (a failed run). */
export const NAN_INTERVAL: Interval = { mean: NaN, lo: NaN, hi: NaN };

interface PerQueryFile {
  version: number;
  batchRanks: number[];
  recall10: number[];
  ndcg10: number[];
  mrr: number[];
}

function perQueryToJson(p: PerQueryValues): PerQueryFile {
  const r = (a: Float64Array) => Array.from(a, roundMetric);
  return {
    version: BASELINE_EVAL_VERSION,
    batchRanks: Array.from(p.batchRanks),
    recall10: r(p.recall10),
    ndcg10: r(p.ndcg10),
    mrr: r(p.mrr),
  };
}

function perQueryFromJson(j: PerQueryFile): PerQueryValues {
  return {
    batchRanks: Int32Array.from(j.batchRanks),
    recall10: Float64Array.from(j.recall10),
    ndcg10: Float64Array.from(j.ndcg10),
    mrr: Float64Array.from(j.mrr),
  };
}

function intervalOf(x: unknown): Interval {
  if (x && typeof x === "object" && "mean" in x) {
    const i = x as Interval;
    return { mean: i.mean, lo: i.lo, hi: i.hi };
  }
  return NAN_INTERVAL;
}

type EvalJson = {
  baselineEval?: number;
  bootstrapSamples?: number;
  backend?: { name: string; simd?: boolean };
  batchRecall?: { ci: Record<string, unknown> };
  fullCorpus?: { ks: number[]; ci: Record<string, unknown> };
  health?: Record<string, number | string | null>;
  earlyStopping?: EarlyStoppingSummary;
};

/**
 * A finished, evaluated run folder usable for a run on data `dataHash`
 * (its run.json, eval.json, perquery.json and step log readable), or null.
 */
async function readCached(
  dir: string,
  dataHash: string,
  samples: number,
): Promise<
  | {
    ev: EvalJson;
    per: PerQueryValues;
    steps: number;
    ms: number | null;
    log: StepRow[];
  }
  | null
> {
  try {
    const info = await readRunInfo(dir);
    if (info.status !== "finished" || info.dataset.hash !== dataHash) {
      return null;
    }
    const ev = await readJson<EvalJson>(joinPath(dir, RUN_FILES.eval));
    if (
      ev.baselineEval !== BASELINE_EVAL_VERSION ||
      ev.bootstrapSamples !== samples
    ) return null;
    const pq = await readJson<PerQueryFile>(
      joinPath(dir, BASELINE_PER_QUERY_FILE),
    );
    if (pq.version !== BASELINE_EVAL_VERSION) return null;
    const ms = info.sessions.reduce((a, s) => a + s.trainMs, 0);
    const log = await readSteps(joinPath(dir, RUN_FILES.steps));
    return { ev, per: perQueryFromJson(pq), steps: info.steps, ms, log };
  } catch {
    return null;
  }
}

function backendName(ev: EvalJson): string {
  const b = ev.backend;
  if (!b) return "?";
  return b.simd ? `${b.name} (simd)` : b.name;
}

function rowFromEval(
  base: Omit<
    BaselineRow,
    | "batchRecall"
    | "corpusRecall"
    | "ndcg10"
    | "mrr"
    | "health"
    | "perQuery"
    | "backend"
    | "earlyStopping"
  >,
  ev: EvalJson,
  per: PerQueryValues,
): BaselineRow {
  const batchCi = ev.batchRecall?.ci ?? {};
  const corpusCi = ev.fullCorpus?.ci ?? {};
  const ks = ev.fullCorpus?.ks ?? [];
  return {
    ...base,
    backend: backendName(ev),
    batchRecall: Object.fromEntries(
      DEFAULT_KS.map((k) => [k, intervalOf(batchCi[k])]),
    ),
    corpusRecall: Object.fromEntries(
      ks.map((k) => [k, intervalOf(corpusCi[`recall@${k}`])]),
    ),
    ndcg10: intervalOf(corpusCi[`ndcg@${ks[0]}`]),
    mrr: intervalOf(corpusCi.mrr),
    health: ev.health ?? {},
    perQuery: per,
    earlyStopping: ev.earlyStopping ?? null,
  };
}

/**
 * One run of a baseline grid, as a worker receives it (serialisable): the
 * spec, where its folder goes, the data (with its content hash) and the
 * bootstrap size.
 */
export interface BaselineTask {
  /** The run. */
  spec: BaselineRunSpec;
  /** Folder of the run folders. */
  runsDir: string;
  /** The data it trains and is evaluated on. */
  ds: Dataset;
  /** `datasetContentHash(ds)`, computed once by the caller. */
  dataHash: string;
  /** Bootstrap resamples of the intervals. */
  bootstrapSamples: number;
}

function failedRow(
  base: BaselineRowBase,
  error: string,
  log: { step: number; loss: number }[],
): BaselineRow {
  return {
    ...base,
    cached: false,
    status: "failed",
    error,
    steps: log.length,
    earlyStopping: null,
    trainSeconds: null,
    backend: "?",
    batchRecall: Object.fromEntries(DEFAULT_KS.map((k) => [k, NAN_INTERVAL])),
    corpusRecall: {},
    ndcg10: NAN_INTERVAL,
    mrr: NAN_INTERVAL,
    health: {},
    perQuery: null,
    log: log.filter((r) => Number.isFinite(r.loss)),
  };
}

// The fields of a row that name it (from its spec, the data and the folder).
type BaselineRowBase = Pick<
  BaselineRow,
  | "name"
  | "baseline"
  | "variant"
  | "role"
  | "short"
  | "method"
  | "tower"
  | "loss"
  | "dataset"
  | "configHash"
  | "dir"
>;

const lossCurve = (rows: readonly StepRow[]) =>
  rows.map((r) => ({ step: r.step, loss: r.loss }));

/**
 * Trains and evaluates one run of a grid in this thread, or reads it back
 * from its folder (see the module documentation). A run whose training
 * fails (e.g. its loss becomes NaN) gives a row with status `"failed"`,
 * the error message and NaN metrics; a `ConfigError` throws.
 */
export async function baselineRunTask(
  task: BaselineTask,
): Promise<BaselineRow> {
  const { spec, ds, dataHash, bootstrapSamples: samples } = task;
  const hash = configHash(spec.config);
  const dir = joinPath(task.runsDir, `${spec.name}-${hash}`);
  const base: BaselineRowBase = {
    name: spec.name,
    baseline: spec.baseline,
    variant: spec.variant,
    role: spec.role,
    short: spec.short,
    method: spec.method,
    tower: (spec.config.tower as { kind: string }).kind,
    loss: spec.config.loss.kind,
    dataset: ds.meta.name,
    configHash: hash,
    dir,
  };
  // Cached: the run finished on this data, with this evaluation version
  // and bootstrap size (run.json, eval.json, perquery.json).
  const read = async (d: string) => {
    const c = await readCached(d, dataHash, samples);
    return c && rowFromEval(
      {
        ...base,
        cached: true,
        status: "finished",
        steps: c.steps,
        trainSeconds: c.ms === null ? null : c.ms / 1000,
        log: lossCurve(c.log),
      },
      c.ev,
      c.per,
    );
  };
  try {
    const run = await cachedRun(async () => {
      const held: { per?: PerQueryValues } = {};
      const result = await train(spec.config, {
        outDir: dir,
        dataset: ds,
        quiet: true,
        evaluate: async (ctx) => {
          const { metrics, perQuery } = evaluateModelPerQuery(ctx, {
            minRelevance: ctx.config.minRelevance,
            bootstrapSamples: samples,
          });
          held.per = perQuery;
          await writeTextAtomic(
            joinPath(ctx.dir, BASELINE_PER_QUERY_FILE),
            stableJson(perQueryToJson(held.per)) + "\n",
          );
          return {
            ...metrics,
            baselineEval: BASELINE_EVAL_VERSION,
            bootstrapSamples: samples,
          };
        },
      });
      const trainMs = result.log.reduce((a, r) => a + r.ms, 0);
      return rowFromEval(
        {
          ...base,
          cached: false,
          status: "finished",
          steps: result.steps,
          trainSeconds: trainMs / 1000,
          log: lossCurve(result.log),
        },
        result.eval as EvalJson,
        held.per as PerQueryValues,
      );
    }, { dir, read });
    return run.result;
  } catch (err) {
    // Bad settings are the caller's to fix; a run that breaks while
    // training (NaN loss, a loss that rejects its statistics) is a result.
    if (err instanceof ConfigError || !(err instanceof Error)) throw err;
    let log: { step: number; loss: number }[] = [];
    try {
      log = lossCurve(await readSteps(joinPath(dir, RUN_FILES.steps)));
    } catch {
      // No log written: the row keeps an empty curve.
    }
    return failedRow(base, err.message, log);
  }
}

/**
 * Trains and evaluates every run of `specs` (or reads it back from its
 * folder, see the module documentation) and returns one row per run, in
 * order. The runs go to the experiments' worker pool (`workers.ts`; up to
 * `workers` at once), each through {@link baselineRunTask}; results do not
 * depend on the number. A run whose training fails (e.g. its loss becomes
 * NaN) gives a row with status `"failed"`, the error message and NaN
 * metrics; settings that do not fit the data throw a `ConfigError` before
 * any run trains.
 */
export async function runBaselineGrid(
  specs: readonly BaselineRunSpec[],
  options: RunBaselineGridOptions,
): Promise<BaselineRow[]> {
  const twice = firstRepeat(specs.map((s) => s.name));
  if (twice !== undefined) {
    throw new RangeError(
      `runBaselineGrid: run name "${twice}" occurs twice; names must be unique (they name the run folders)`,
    );
  }
  const samples = options.bootstrapSamples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const log = options.log ?? (() => {});
  const loaded = new Map<string, { ds: Dataset; hash: string }>();
  const dataFor = async (path: string) => {
    const key = options.dataset ? "(memory)" : path;
    if (!loaded.has(key)) {
      const ds = options.dataset ?? await readDataset(path);
      loaded.set(key, { ds, hash: datasetContentHash(ds) });
    }
    return loaded.get(key)!;
  };
  const runsDir = absolutePath(options.runsDir);
  await Deno.mkdir(runsDir, { recursive: true });
  const tasks: BaselineTask[] = [];
  for (const spec of specs) {
    const { ds, hash } = await dataFor(spec.config.data);
    // Settings that do not fit the data fail here, before any training.
    checkConfigAgainstData(spec.config, ds);
    tasks.push({
      spec,
      runsDir,
      ds,
      dataHash: hash,
      bootstrapSamples: samples,
    });
  }
  const rows: BaselineRow[] = new Array(tasks.length);
  const done = (index: number, row: BaselineRow) => {
    rows[index] = row;
    log(
      row.status === "failed"
        ? `${row.name}: failed: ${row.error}`
        : row.cached
        ? `${row.name}: cached (${row.dir})`
        : `${row.name}: trained ${row.steps} steps in ${
          row.trainSeconds?.toFixed(1)
        } s (${row.dir})`,
    );
  };
  await runInWorkers(tasks, {
    script: new URL("./baseline_worker.ts", import.meta.url),
    workers: options.workers,
    runHere: baselineRunTask,
    describe: (t) => `baseline run "${t.spec.name}"`,
    done,
  });
  return rows;
}
