/**
 * Driver behind the baseline notebooks (`04_baseline_dssm`,
 * `05_baseline_mgdspr`, `05b_baseline_dpsr`, `05c_baseline_adap_tau`): for
 * each baseline (DSSM, MGDSPR-style, DPSR-style, Adap-τ) a grid of runs on the
 * same tower, trained with the baseline's own objective, with the paper's
 * adaptive losses, and with the fixed-hyper-parameter losses; every run
 * evaluated with {@link evaluateModel} and cached on disk.
 *
 * ```ts
 * const specs = baselineGrid("dssm", { data: "../data/synthetic-quick" });
 * const rows = await runBaselineGrid(specs, { runsDir: runsDir("04_baseline_dssm") });
 * console.log(baselineVerdicts(rows).join("\n")); // baseline_report.ts
 * ```
 *
 * The grid ({@link baselineGrid}), per baseline:
 *
 * | baseline | tower    | own objective (`loss.kind`)                                   |
 * | -------- | -------- | ------------------------------------------------------------- |
 * | dssm     | `dssm`   | `dssm-softmax`: softmax, γ = 10, clicked item + 4 random ones |
 * | mgdspr   | `mgdspr` | `mgdspr`: in-batch softmax, τ = 2, plus mixed hard negatives  |
 * | dpsr     | `dpsr`   | `dpsr-hinge`: hinge δ = 0.1 over in-batch + 32 random items   |
 * | adap-tau | `plain`  | `adap-tau`: per-query 1/τ_q from last epoch's loss            |
 *
 * and on the same tower `adaptive-margin` and `adaptive-softmax` (the
 * paper's defaults), `margin` (δ = 0.1) and `softmax` (τ = 1/30); Adap-τ
 * also gets `global-only` (`perId: false`: its data-statistics scale
 * without the per-query part). Lengths: the `quick` profile's 40 steps;
 * `full`: the experiments' full profile (`experimentsSettings("full")`:
 * early stopping on valid batch recall@10, evaluated every 25 steps, cap
 * 800 steps; test metrics from the best-valid weights), so that a
 * baseline notebook's full run is judged at convergence like notebook 06's.
 * Both profiles use the quick hash buckets ({@link BASELINE_BUCKETS}).
 * Adap-τ's warm-up is shortened to {@link ADAP_TAU_BASELINE_WARMUP} epoch
 * (official code: 10), so that its data-statistics scale acts within runs
 * of a few epochs.
 *
 * Caching ({@link runBaselineGrid}, through the run cache of
 * `run_cache.ts`): run `name` trains in `<runsDir>/<name>-<config hash>/`
 * (the `lib/train` run folder) and its evaluation is `eval.json` plus
 * `perquery.json` (per-query values for paired comparisons). A folder
 * whose run finished, on the same dataset contents (run.json's hash), with
 * this module's evaluation version and bootstrap size, is read back
 * instead of retrained; any other folder of that name is deleted and the
 * run trained afresh. Tables, charts and verdicts of the rows are
 * `baseline_report.ts`'s.
 *
 * Per-query values come from the same evaluation pass as the metrics
 * (`evaluateModelPerQuery`), so their means are its point estimates.
 *
 * @module
 */

import {
  type Dataset,
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  joinPath,
  type Profile,
  readDataset,
  readJson,
  stableJson,
  writeTextAtomic,
} from "../data/mod.ts";
import type { BackendRequest } from "../backend/mod.ts";
import {
  ConfigError,
  configHash,
  datasetContentHash,
  type EarlyStoppingSummary,
  QUICK_BUCKETS,
  readRunInfo,
  readSteps,
  resolveConfig,
  RUN_FILES,
  type StepRow,
  train,
  type TrainConfig,
  type TrainConfigInput,
} from "../train/mod.ts";
import {
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_KS,
  type Interval,
} from "../eval/mod.ts";
import { experimentsSettings } from "./benchmark.ts";
import {
  evaluateModelPerQuery,
  type PerQueryValues,
  roundMetric,
} from "./evaluate.ts";
import { cachedRun } from "./run_cache.ts";

/** All baselines, in notebook order. */
export const BASELINE_NAMES = ["dssm", "mgdspr", "dpsr", "adap-tau"] as const;

/** The baselines this driver knows. */
export type BaselineName = typeof BASELINE_NAMES[number];

/**
 * A run of a baseline's grid: its own objective, the paper's adaptive
 * losses, the fixed losses, and (Adap-τ) its global scale alone.
 */
export type BaselineVariant =
  | "own"
  | "adaptive-margin"
  | "adaptive-softmax"
  | "margin"
  | "softmax"
  | "global-only";

/** What a variant is in the comparison. */
export type BaselineRole = "own" | "adaptive" | "fixed" | "ablation";

/** The variants of each baseline's grid, in table order. */
export const BASELINE_VARIANTS: Readonly<
  Record<BaselineName, readonly BaselineVariant[]>
> = Object.freeze({
  dssm: ["own", "adaptive-margin", "adaptive-softmax", "margin", "softmax"],
  mgdspr: ["own", "adaptive-margin", "adaptive-softmax", "margin", "softmax"],
  dpsr: ["own", "adaptive-margin", "adaptive-softmax", "margin", "softmax"],
  "adap-tau": [
    "own",
    "global-only",
    "adaptive-softmax",
    "adaptive-margin",
    "softmax",
  ],
});

/**
 * Hash buckets of the towers in both profiles (the quick profile's
 * `QUICK_BUCKETS`, 4,096 per family): with the towers' own 30k–50k buckets
 * Adam's dense update over the embedding tables doubles a step on the full
 * catalogue, and the full notebooks would not fit their ~15 minutes.
 */
export const BASELINE_BUCKETS: Readonly<Record<string, number>> = QUICK_BUCKETS;

/**
 * Adap-τ's warm-up epochs in this grid and in notebook 06's main table
 * (official code `cnt_lr`: 10).
 */
export const ADAP_TAU_BASELINE_WARMUP = 1;

/**
 * Adap-τ's own loss as every grid here trains it (the baseline notebooks,
 * notebook 06's main table and learning curves): the official 10 warm-up
 * epochs, one global scale for every query, would outlast the 800-step cap
 * on MovieLens, so the warm-up is {@link ADAP_TAU_BASELINE_WARMUP} epoch.
 */
export const ADAP_TAU_LOSS: Readonly<
  { kind: "adap-tau"; warmupEpochs: number }
> = Object.freeze({ kind: "adap-tau", warmupEpochs: ADAP_TAU_BASELINE_WARMUP });

/** Version of the evaluation files this driver writes (part of the cache check). */
export const BASELINE_EVAL_VERSION = 1;

/** The file of per-query values in a run folder. */
export const BASELINE_PER_QUERY_FILE = "perquery.json";

/** What the grid needs of each baseline: its tower and its own loss. */
interface BaselineSpec {
  /** The tower kind it trains. */
  tower: string;
  /** The tower, as long labels name it. */
  towerLabel: string;
  /** Its own loss config. */
  ownLoss: Record<string, string | number | boolean>;
  /** Its own loss in short labels. */
  ownShort: string;
  /** Its own objective in words (long labels). */
  ownLong: string;
}

const BASELINES: Record<BaselineName, BaselineSpec> = {
  dssm: {
    tower: "dssm",
    towerLabel: "DSSM",
    ownLoss: { kind: "dssm-softmax" },
    ownShort: "own γ-softmax",
    ownLong: "own loss: softmax γ = 10 over the clicked item + 4 random ones",
  },
  mgdspr: {
    tower: "mgdspr",
    towerLabel: "MGDSPR",
    ownLoss: { kind: "mgdspr" },
    ownShort: "own τ=2+mixed",
    ownLong: "own loss: in-batch softmax τ = 2 + mixed hard negatives",
  },
  dpsr: {
    tower: "dpsr",
    towerLabel: "DPSR",
    ownLoss: { kind: "dpsr-hinge" },
    ownShort: "own hinge+rand",
    ownLong: "own loss: hinge δ = 0.1 over in-batch + 32 random negatives",
  },
  "adap-tau": {
    tower: "plain",
    towerLabel: "plain tower",
    ownLoss: { ...ADAP_TAU_LOSS },
    ownShort: "own Adap-τ",
    ownLong: "Adap-τ (own loss: per-query τ from last epoch's loss)",
  },
};

const ROLE: Record<BaselineVariant, BaselineRole> = {
  own: "own",
  "adaptive-margin": "adaptive",
  "adaptive-softmax": "adaptive",
  margin: "fixed",
  softmax: "fixed",
  "global-only": "ablation",
};

/** The other variants' losses in short and long labels. */
const VARIANT_LABELS: Record<
  Exclude<BaselineVariant, "own">,
  { short: string; long: string }
> = {
  "adaptive-margin": {
    short: "adaptive δ_j",
    long: "adaptive margin δ_j (the paper's)",
  },
  "adaptive-softmax": {
    short: "adaptive τ_j",
    long: "adaptive temperature τ_j (the paper's)",
  },
  margin: { short: "fixed δ=0.1", long: "fixed margin δ = 0.1" },
  softmax: { short: "fixed τ=1/30", long: "fixed softmax τ = 1/30" },
  "global-only": {
    short: "Adap-τ global",
    long: "Adap-τ with its global scale only (perId: false)",
  },
};

function lossOf(
  baseline: BaselineName,
  variant: BaselineVariant,
): Record<string, string | number | boolean> {
  switch (variant) {
    case "own":
      return { ...BASELINES[baseline].ownLoss };
    case "global-only":
      return {
        kind: "adap-tau",
        perId: false,
        warmupEpochs: ADAP_TAU_BASELINE_WARMUP,
      };
    default:
      return { kind: variant };
  }
}

/** `tower` with {@link BASELINE_BUCKETS} under any buckets it sets itself. */
function withBuckets(tower: Record<string, unknown>): Record<string, unknown> {
  const features = (tower.features ?? {}) as Record<string, unknown>;
  const buckets = (features.buckets ?? {}) as Record<string, number>;
  return {
    ...tower,
    features: { ...features, buckets: { ...BASELINE_BUCKETS, ...buckets } },
  };
}

/** One run of a grid: names, role and resolved training config. */
export interface BaselineRunSpec {
  /** Unique, file-safe name, `<baseline>-<variant>` (the run folder's prefix). */
  name: string;
  /** Which baseline's grid. */
  baseline: BaselineName;
  /** Which run of it. */
  variant: BaselineVariant;
  /** Its role in the comparison. */
  role: BaselineRole;
  /** Short label for charts and tables, e.g. `"adaptive δ_j"`. */
  short: string;
  /** Long label, e.g. `"DSSM + adaptive margin δ_j (the paper's)"`. */
  method: string;
  /** The resolved training config. */
  config: TrainConfig;
}

// The full profile's length: the experiments' early stopping, from its one
// declaration (benchmark.ts).
function atConvergence(): Partial<TrainConfigInput> {
  const full = experimentsSettings("full");
  return {
    steps: full.steps,
    epochs: null,
    evalEvery: full.evalEvery,
    ...(full.earlyStopping ? { earlyStopping: full.earlyStopping } : {}),
  };
}

/** Options of {@link baselineGrid}. */
export interface BaselineGridOptions {
  /** Dataset folder, recorded in every config (and read when no dataset is given to the runner). */
  data: string;
  /** Size profile (default `"quick"`): quick 40 steps, full early stopping (see the module documentation). */
  profile?: Profile;
  /** Seed of every run (default 1). */
  seed?: number;
  /** Runs to include, in this order (default {@link BASELINE_VARIANTS} of the baseline). */
  variants?: readonly BaselineVariant[];
  /** Steps per run, replacing the profile's length. */
  steps?: number;
  /** Epochs per run, replacing the profile's length. */
  epochs?: number;
  /** Pairs per batch (default 350). */
  batchSize?: number;
  /** Tower settings merged over the baseline's tower (e.g. smaller sizes in tests). */
  tower?: Record<string, unknown>;
  /** Backend request (default `"auto"`). */
  backend?: BackendRequest;
  /** Checkpoint interval (default: the profile's). */
  checkpointEvery?: number;
}

/**
 * The runs of one baseline's comparison (see the module documentation),
 * as resolved training configs; throws a `RangeError` naming the option
 * for an unknown baseline or variant, and `ConfigError`s from
 * `resolveConfig` for bad settings.
 */
export function baselineGrid(
  baseline: BaselineName,
  options: BaselineGridOptions,
): BaselineRunSpec[] {
  if (!BASELINE_NAMES.includes(baseline)) {
    throw new RangeError(
      `baselineGrid: baseline must be one of ${
        BASELINE_NAMES.join(", ")
      }, got ${JSON.stringify(baseline)}`,
    );
  }
  const profile = options.profile ?? DEFAULT_PROFILE;
  const allowed = [...BASELINE_VARIANTS[baseline]];
  const variants = options.variants ?? allowed;
  if (variants.length === 0) {
    throw new RangeError("baselineGrid: option variants must not be empty");
  }
  const seen = new Set<string>();
  for (const v of variants) {
    if (!allowed.includes(v)) {
      throw new RangeError(
        `baselineGrid: variants has ${
          JSON.stringify(v)
        }; the ${baseline} grid has ${allowed.join(", ")}`,
      );
    }
    if (seen.has(v)) {
      throw new RangeError(`baselineGrid: variants lists "${v}" twice`);
    }
    seen.add(v);
  }
  if (options.steps !== undefined && options.epochs !== undefined) {
    throw new RangeError("baselineGrid: give steps or epochs, not both");
  }
  const length = options.steps !== undefined
    ? { steps: options.steps, epochs: null }
    : options.epochs !== undefined
    ? { steps: null, epochs: options.epochs }
    : profile === "full"
    ? atConvergence()
    : {};
  const spec = BASELINES[baseline];
  return variants.map((variant) => {
    const input: TrainConfigInput = {
      profile,
      data: options.data,
      tower: withBuckets({
        ...(options.tower ?? {}),
        kind: spec.tower,
      }) as TrainConfigInput["tower"],
      loss: lossOf(baseline, variant) as TrainConfigInput["loss"],
      seed: options.seed ?? DEFAULT_SEED,
      ...length,
      ...(options.batchSize !== undefined
        ? { batchSize: options.batchSize }
        : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.checkpointEvery !== undefined
        ? { checkpointEvery: options.checkpointEvery }
        : {}),
    };
    const labels = variant === "own"
      ? { short: spec.ownShort, long: spec.ownLong }
      : VARIANT_LABELS[variant];
    return {
      name: `${baseline}-${variant}`,
      baseline,
      variant,
      role: ROLE[variant],
      short: labels.short,
      method: `${spec.towerLabel} + ${labels.long}`,
      config: resolveConfig(input),
    };
  });
}

/**
 * The grid as table rows: run name, tower, loss kind and every loss
 * option, length and config hash (what exactly each run trains).
 */
export function baselineGridTable(
  specs: readonly BaselineRunSpec[],
): Record<string, unknown>[] {
  return specs.map((s) => {
    const { kind, ...opts } = s.config.loss;
    return {
      run: s.name,
      role: s.role,
      tower: (s.config.tower as { kind: string }).kind,
      loss: kind,
      options: Object.entries(opts).map(([k, v]) =>
        `${k}=${typeof v === "number" ? Number(v.toPrecision(4)) : v}`
      ).join(", "),
      length: s.config.steps !== null
        ? `${s.config.steps} steps`
        : `${s.config.epochs} epochs`,
      batch: s.config.batchSize,
      lr: s.config.optimizer.lr,
      config: configHash(s.config),
    };
  });
}

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
 * Trains and evaluates every run of `specs` (or reads it back from its
 * folder, see the module documentation) and returns one row per run, in
 * order. A run whose training fails (e.g. its loss becomes NaN) gives a
 * row with status `"failed"`, the error message and NaN metrics; a
 * `ConfigError` (settings that do not fit the data) throws.
 */
export async function runBaselineGrid(
  specs: readonly BaselineRunSpec[],
  options: RunBaselineGridOptions,
): Promise<BaselineRow[]> {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) {
      throw new RangeError(
        `runBaselineGrid: run name "${s.name}" occurs twice; names must be unique (they name the run folders)`,
      );
    }
    names.add(s.name);
  }
  const samples = options.bootstrapSamples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const log = options.log ?? (() => {});
  const loaded = new Map<string, { ds: Dataset; hash: string }>();
  const dataFor = async (path: string) => {
    if (options.dataset) {
      const key = "(memory)";
      if (!loaded.has(key)) {
        loaded.set(key, {
          ds: options.dataset,
          hash: datasetContentHash(options.dataset),
        });
      }
      return loaded.get(key)!;
    }
    if (!loaded.has(path)) {
      const ds = await readDataset(path);
      loaded.set(path, { ds, hash: datasetContentHash(ds) });
    }
    return loaded.get(path)!;
  };
  await Deno.mkdir(options.runsDir, { recursive: true });
  const rows: BaselineRow[] = [];
  for (const spec of specs) {
    const hash = configHash(spec.config);
    const dir = joinPath(options.runsDir, `${spec.name}-${hash}`);
    const { ds, hash: dataHash } = await dataFor(spec.config.data);
    const base = {
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
          log: c.log.map((r) => ({ step: r.step, loss: r.loss })),
        },
        c.ev,
        c.per,
      );
    };
    try {
      const run = await cachedRun(async () => {
        const held: { per?: PerQueryValues } = {};
        const t0 = performance.now();
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
        log(
          `${spec.name}: trained ${result.steps} steps in ${
            ((performance.now() - t0) / 1000).toFixed(1)
          } s (${dir})`,
        );
        return rowFromEval(
          {
            ...base,
            cached: false,
            status: "finished",
            steps: result.steps,
            trainSeconds: trainMs / 1000,
            log: result.log.map((r) => ({ step: r.step, loss: r.loss })),
          },
          result.eval as EvalJson,
          held.per as PerQueryValues,
        );
      }, { dir, read });
      if (run.cached) log(`${spec.name}: cached (${dir})`);
      rows.push(run.result);
    } catch (err) {
      // Bad settings are the caller's to fix; a run that breaks while
      // training (NaN loss, a loss that rejects its statistics) is a result.
      if (err instanceof ConfigError || !(err instanceof Error)) throw err;
      log(`${spec.name}: failed: ${err.message}`);
      let steps: { step: number; loss: number }[] = [];
      try {
        steps = (await readSteps(joinPath(dir, RUN_FILES.steps))).map((r) => ({
          step: r.step,
          loss: r.loss,
        }));
      } catch {
        // No log written: the row keeps an empty curve.
      }
      rows.push({
        ...base,
        cached: false,
        status: "failed",
        error: err.message,
        steps: steps.length,
        earlyStopping: null,
        trainSeconds: null,
        backend: "?",
        batchRecall: Object.fromEntries(
          DEFAULT_KS.map((k) => [k, NAN_INTERVAL]),
        ),
        corpusRecall: {},
        ndcg10: NAN_INTERVAL,
        mrr: NAN_INTERVAL,
        health: {},
        perQuery: null,
        log: steps.filter((r) => Number.isFinite(r.loss)),
      });
    }
  }
  return rows;
}
