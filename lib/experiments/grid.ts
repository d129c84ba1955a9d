/**
 * The grid runner of the adaptive-method (notebook 03) and main
 * experiments (notebook 06): a config ({@link ExperimentsConfig}) is a
 * named tower and loss; {@link runExperimentGrid} trains every config ×
 * dataset × seed once and returns what the notebooks read from each run
 * ({@link ExperimentsRun}).
 *
 * Runs. Every run is a `lib/train` run folder under
 * `<runsDir>/<dataset>/<tower>-<loss>-s<seed>-<key>`, where `key` hashes
 * the resolved training config, the dataset's contents and
 * {@link EXPERIMENTS_VERSION}; through the run cache (`run_cache.ts`) a
 * folder whose `eval.json` carries that key is reused without training;
 * identical configs in different grids (the sensitivity grid's δ = 0.1 and
 * the main table's fixed margin) therefore train once. Runs go to up to
 * `experimentsWorkers()` Web Workers in parallel (`workers.ts`); results do
 * not depend on the number.
 *
 * A run's metrics carry percentile-bootstrap 95% intervals over test
 * queries (`evaluateModel`); `aggregate.ts` turns runs into rows, tables
 * and comparisons.
 *
 * @module
 */

import {
  absolutePath,
  type Dataset,
  DEFAULT_PROFILE,
  fileSlug,
  firstRepeat,
  hasUsers,
  joinPath,
  lacksQueryText,
  pathExists,
  type Profile,
  readJson,
  readJsonIfPresent,
  valueLabel,
} from "../data/mod.ts";
import { initBackend } from "../backend/mod.ts";
import { MARGIN_LOSS_OPTIONS, SOFTMAX_LOSS_OPTIONS } from "../losses/mod.ts";
import type {
  TowerConfigInput,
  TowerInputs,
  TwoTowerModel,
} from "../towers/mod.ts";
import {
  batchRecallOfModel,
  checkConfigAgainstData,
  type EarlyStoppingConfig,
  type EarlyStoppingSummary,
  loadRun,
  type LossKind,
  type OptionValue,
  readSteps,
  readValid,
  resolveConfig,
  RUN_FILES,
  type StepRow,
  train,
  type TrainConfig,
  type TrainConfigInput,
  type ValidRow,
} from "../train/mod.ts";
import type { Interval } from "../eval/mod.ts";
import {
  checkProfile,
  type ExperimentsDatasetSpec,
  experimentsLoadDataset,
  experimentsSettings,
} from "./benchmark.ts";
import { evaluateModelPerQuery } from "./evaluate.ts";
import {
  experimentsPairKind,
  type ExperimentsPairValues,
  experimentsPairValues,
  readPairValues,
  writePairValues,
} from "./pair_values.ts";
import { cachedRun, runKey } from "./run_cache.ts";
import { runInWorkers } from "./workers.ts";

/**
 * Version of the run layout and metrics; part of every run key. 2: the
 * evaluation keeps the per-query full-corpus recall@10 and NDCG@10 of the
 * test queries (`testCorpus`), for paired full-corpus comparisons.
 */
export const EXPERIMENTS_VERSION = 2;

/** The plain two-tower model with its defaults: the method's own tower. */
export const EXPERIMENTS_PLAIN: TowerConfigInput = { kind: "plain" };

/** The paper's fixed margin δ: the fixed margin loss's default (0.1). */
export const PAPER_DELTA: number = MARGIN_LOSS_OPTIONS.margin.default;

/** The paper's fixed temperature τ: the fixed softmax's default (1/30). */
export const PAPER_TAU: number = SOFTMAX_LOSS_OPTIONS.temperature.default;

/** The run name of the fixed margin loss at `delta`: `fixed δ=0.1`. */
export function fixedMarginName(delta: number): string {
  return `fixed δ=${valueLabel(delta)}`;
}

/** The run name of the fixed softmax at `tau`: `fixed τ=1/30`. */
export function fixedSoftmaxName(tau: number): string {
  return `fixed τ=${valueLabel(tau)}`;
}

/**
 * The fixed margin loss at each of `deltas` and the fixed softmax at each
 * of `taus` (plain tower, names {@link fixedMarginName} /
 * {@link fixedSoftmaxName}, `group` default "sensitivity"): the one place a
 * fixed point's config is written, so every grid that runs one shares its
 * run key.
 */
export function experimentsFixedConfigs(
  values: { deltas: readonly number[]; taus: readonly number[] },
  options: { group?: string } = {},
): ExperimentsConfig[] {
  const group = options.group ?? "sensitivity";
  return [
    ...values.deltas.map((delta): ExperimentsConfig => ({
      name: fixedMarginName(delta),
      group,
      family: "margin",
      value: delta,
      tower: EXPERIMENTS_PLAIN,
      loss: { kind: "margin", margin: delta },
    })),
    ...values.taus.map((tau): ExperimentsConfig => ({
      name: fixedSoftmaxName(tau),
      group,
      family: "softmax",
      value: tau,
      tower: EXPERIMENTS_PLAIN,
      loss: { kind: "softmax", temperature: tau },
    })),
  ];
}

/**
 * A sensitivity family: "margin" (fixed δ, or the adaptive margin) or
 * "softmax" (fixed τ, or the adaptive temperature).
 */
export type ExperimentsFamily = "margin" | "softmax";

/** One method/config of a grid; the runner adds data, seed and steps. */
export interface ExperimentsConfig {
  /** Label in tables and figures; unique within a grid. */
  name: string;
  /** Grid it belongs to ("sensitivity", "main", "ablation", "method"). */
  group: string;
  /** Sensitivity family: "margin" (x = δ) or "softmax" (x = τ). */
  family?: ExperimentsFamily;
  /** The fixed δ or τ (sensitivity points); absent for adaptive configs. */
  value?: number;
  /** Tower. */
  tower: TowerConfigInput;
  /** Loss kind and options. */
  loss: { kind: LossKind; [option: string]: OptionValue };
  /** Training steps (default: the profile's); 0 = untrained model (no early stopping); with early stopping the cap. */
  steps?: number;
  /** Valid evaluation interval in steps (default: the profile's). */
  evalEvery?: number;
  /** Early stopping on the valid split (`lib/train`'s option; default the profile's: full on, quick off). */
  earlyStopping?: Partial<EarlyStoppingConfig>;
  /** Datasets it runs on (default: every dataset of the grid run). */
  datasets?: string[];
}

/**
 * The config builder of one grid: each config gets `group` and
 * `defaults`, then its own `extra` over them.
 */
export function gridConfigs(
  group: string,
  defaults: Partial<ExperimentsConfig> = {},
): (
  name: string,
  tower: TowerConfigInput,
  loss: ExperimentsConfig["loss"],
  extra?: Partial<ExperimentsConfig>,
) => ExperimentsConfig {
  return (name, tower, loss, extra = {}) => ({
    name,
    group,
    tower,
    loss,
    ...defaults,
    ...extra,
  });
}

/**
 * Adapts a config to a dataset: on data whose queries have no text
 * (MovieLens: a query is a user) the plain tower reads the user's history
 * (`userHistory: true`) and MGDSPR its behaviour attention; DSSM and DPSR
 * have no history input, so they are skipped with the reason.
 */
export function experimentsResolveFor(
  config: ExperimentsConfig,
  ds: Dataset,
): { tower: TowerConfigInput } | { skip: string } {
  if (!lacksQueryText(ds)) return { tower: config.tower };
  if (!hasUsers(ds)) {
    return { skip: "the queries have no text and there are no users" };
  }
  switch (config.tower.kind) {
    case "plain":
      return { tower: { ...config.tower, userHistory: true } };
    case "mgdspr":
      return { tower: config.tower };
    default:
      return {
        skip:
          `the queries have no text and the ${config.tower.kind} tower has no user-history input`,
      };
  }
}

/** One finished (or skipped) run with what the notebooks read from it. */
export interface ExperimentsRun {
  /** Config name. */
  name: string;
  /** Config group. */
  group: string;
  /** Sensitivity family, if any. */
  family: ExperimentsFamily | null;
  /** Fixed δ/τ, if any. */
  value: number | null;
  /** Dataset name. */
  dataset: string;
  /** Training seed. */
  seed: number;
  /** Run key (config, data and version hash); "" when skipped. */
  key: string;
  /** Run folder; null when skipped. */
  dir: string | null;
  /** Why the run was not made (config not applicable to the data). */
  skipped: string | null;
  /** Whether the result was read from an earlier run. */
  cached: boolean;
  /** Steps trained. */
  steps: number;
  /** Training wall time over all sessions (s). */
  seconds: number;
  /** Test batch recall@k by k, with bootstrap intervals over queries. */
  batch: {
    recall: Record<string, number>;
    ci: Record<string, Interval | null>;
    queries: number;
  };
  /** Valid-split batch recall@k at the end (null without a valid split). */
  valid: Record<string, number> | null;
  /** Full-corpus metrics (exact search over every item). */
  corpus: {
    recall: Record<string, number>;
    ndcg: Record<string, number>;
    mrr: number;
    ci: Record<string, Interval | null>;
    queries: number;
  };
  /** Embedding health of the test split (alignment, uniformity, …). */
  health: Record<string, number | string | null>;
  /** Rank of every test pair's positive in its evaluation batch (fixed order). */
  testRanks: number[];
  /**
   * Full-corpus recall@10 and NDCG@10 of every evaluated test query (@k at
   * the smallest cut-off the catalogue allows), for paired comparisons;
   * null for a skipped run or one evaluated before {@link EXPERIMENTS_VERSION} 2.
   */
  testCorpus?: { recall10: number[]; ndcg10: number[] } | null;
  /** Per-step training log (with `logs: true`). */
  log: StepRow[] | null;
  /** Valid batch recall during training (with `logs: true`). */
  validLog: ValidRow[] | null;
  /** With early stopping: where the run stopped, why, and its best step. */
  earlyStopping?: EarlyStoppingSummary | null;
  /** Per-pair values at the snapshots (with `snapshots`, adaptive losses). */
  pairValues: ExperimentsPairValues[] | null;
  /** Warnings of the config/data pairing. */
  warnings: string[];
}

/**
 * The `k` option of every reader of runs (rows, comparisons, verdicts):
 * which batch recall@k it reads.
 */
export interface ExperimentsKOption {
  /** Batch recall cut-off (default 10, the paper's headline recall@10). */
  k?: number;
}

/** The cut-off an {@link ExperimentsKOption} names: `k`, or 10. */
export function experimentsK(options: ExperimentsKOption): number {
  return options.k ?? 10;
}

/** A unit of work for {@link experimentsRunTask} (serialisable: sent to workers). */
export interface ExperimentsTask {
  /** Config. */
  config: ExperimentsConfig;
  /** Dataset spec. */
  dataset: ExperimentsDatasetSpec;
  /** Seed. */
  seed: number;
  /** Profile (steps, evaluation interval). */
  profile: Profile;
  /** Root of the run folders. */
  runsDir: string;
  /** Steps at which to record per-pair values (adaptive losses only). */
  snapshots: number[];
  /** Read the training logs back. */
  logs: boolean;
  /** Bootstrap resamples. */
  bootstrapSamples: number;
}

/** The training config of a task (before the data check), or why it is skipped. */
export function experimentsTrainConfig(
  task: Pick<ExperimentsTask, "config" | "dataset" | "seed" | "profile">,
  ds: Dataset,
): { config: TrainConfig } | { skip: string } {
  const settings = experimentsSettings(task.profile);
  const resolved = experimentsResolveFor(task.config, ds);
  if ("skip" in resolved) return resolved;
  const steps = task.config.steps ?? settings.steps;
  const earlyStopping = steps > 0
    ? task.config.earlyStopping ?? settings.earlyStopping
    : null;
  const input: TrainConfigInput = {
    profile: "quick",
    data: `experiments:${task.dataset.name}`,
    tower: resolved.tower,
    loss: task.config.loss,
    seed: task.seed,
    steps,
    evalEvery: steps > 0 ? task.config.evalEvery ?? settings.evalEvery : 0,
    checkpointEvery: 0,
    // Absent when off: the configs without it keep their run keys.
    ...(earlyStopping ? { earlyStopping } : {}),
  };
  return { config: resolveConfig(input) };
}

/** The run key: hash of version, resolved config, data hash and bootstrap size. */
export function experimentsRunKey(
  config: TrainConfig,
  dataHash: string,
  bootstrapSamples: number,
): string {
  return runKey({
    version: EXPERIMENTS_VERSION,
    config,
    data: dataHash,
    bootstrapSamples,
  });
}

function runDir(task: ExperimentsTask, config: TrainConfig, key: string) {
  const towerKind = (config.tower as { kind: string }).kind;
  return joinPath(
    task.runsDir,
    fileSlug(task.dataset.name),
    `${towerKind}-${config.loss.kind}-s${task.seed}-${key}`,
  );
}

/** Options of the per-run evaluation. */
interface EvalOptions {
  key: string;
  minRelevance: number;
  bootstrapSamples: number;
}

function evaluateForExperiments(
  run: { model: TwoTowerModel; inputs: TowerInputs; ds: Dataset },
  options: EvalOptions,
): Record<string, unknown> {
  const { metrics, perQuery } = evaluateModelPerQuery(run, {
    minRelevance: options.minRelevance,
    bootstrapSamples: options.bootstrapSamples,
  });
  const test = batchRecallOfModel(run.model, run, {
    split: "test",
    minRelevance: options.minRelevance,
  });
  let valid: Record<number, number> | null = null;
  try {
    valid = batchRecallOfModel(run.model, run, {
      split: "valid",
      minRelevance: options.minRelevance,
    }).recall;
  } catch {
    valid = null; // no valid split (e.g. a dataset without one)
  }
  return {
    experiments: EXPERIMENTS_VERSION,
    experimentsKey: options.key,
    ...metrics,
    validBatchRecall: valid,
    testRanks: Array.from(test.ranks),
    testCorpus: {
      recall10: Array.from(perQuery.recall10),
      ndcg10: Array.from(perQuery.ndcg10),
    },
  };
}

/** A JSON field read as a number: NaN when it is not one. */
export function numberOrNaN(x: unknown): number {
  return typeof x === "number" ? x : NaN;
}

function runFromEval(
  task: ExperimentsTask,
  base: { key: string; dir: string; cached: boolean; warnings: string[] },
  ev: Record<string, unknown>,
  info: Record<string, unknown>,
): ExperimentsRun {
  const b = ev.batchRecall as {
    recall: Record<string, number>;
    ci: Record<string, Interval | null>;
    queries: number;
  };
  const fc = ev.fullCorpus as ExperimentsRun["corpus"];
  const sessions = (info.sessions ?? []) as { durationMs: number }[];
  return {
    ...runIdentity(task),
    key: base.key,
    dir: base.dir,
    skipped: null,
    cached: base.cached,
    steps: numberOrNaN(ev.step),
    seconds: sessions.reduce((a, s) => a + s.durationMs, 0) / 1000,
    batch: { recall: b.recall, ci: b.ci, queries: b.queries },
    valid: (ev.validBatchRecall ?? null) as Record<string, number> | null,
    corpus: {
      recall: fc.recall,
      ndcg: fc.ndcg,
      mrr: fc.mrr,
      ci: fc.ci,
      queries: fc.queries,
    },
    health: (ev.health ?? {}) as Record<string, number | null>,
    testRanks: ev.testRanks as number[],
    testCorpus: (ev.testCorpus ?? null) as ExperimentsRun["testCorpus"],
    earlyStopping: (ev.earlyStopping ?? null) as EarlyStoppingSummary | null,
    log: null,
    validLog: null,
    pairValues: null,
    warnings: base.warnings,
  };
}

// The fields that name a run: its config, dataset and seed.
function runIdentity(task: ExperimentsTask) {
  return {
    name: task.config.name,
    group: task.config.group,
    family: task.config.family ?? null,
    value: task.config.value ?? null,
    dataset: task.dataset.name,
    seed: task.seed,
  };
}

/** A skipped run (config not applicable to the data). */
function skippedRun(task: ExperimentsTask, reason: string): ExperimentsRun {
  return {
    ...runIdentity(task),
    key: "",
    dir: null,
    skipped: reason,
    cached: false,
    steps: 0,
    seconds: 0,
    batch: { recall: {}, ci: {}, queries: 0 },
    valid: null,
    corpus: { recall: {}, ndcg: {}, mrr: NaN, ci: {}, queries: 0 },
    health: {},
    testRanks: [],
    testCorpus: null,
    log: null,
    validLog: null,
    pairValues: null,
    warnings: [],
  };
}

/**
 * Runs one task in this thread: reuses the run folder when its `eval.json`
 * carries the task's key (and, when snapshots are asked for, its pair
 * values exist), else trains from scratch. With snapshots, training stops
 * at each snapshot step (a checkpoint), the per-pair values of the model
 * at that step are recorded, and training resumes; `lib/train` resumes
 * bit-exactly, so the run equals an uninterrupted one.
 */
export async function experimentsRunTask(
  task: ExperimentsTask,
): Promise<ExperimentsRun> {
  await initBackend({ quiet: true });
  const data = await experimentsLoadDataset(task.dataset);
  const made = experimentsTrainConfig(task, data.ds);
  if ("skip" in made) return skippedRun(task, made.skip);
  const config = made.config;
  const { warnings } = checkConfigAgainstData(config, data.ds);
  const key = experimentsRunKey(config, data.hash, task.bootstrapSamples);
  const dir = runDir(task, config, key);
  const pairKind = experimentsPairKind(config.loss.kind);
  const T = config.steps ?? 0;
  const snapshots = pairKind === null
    ? []
    : [...new Set(task.snapshots.filter((s) => s >= 0 && s <= T))].sort((
      a,
      b,
    ) => a - b);
  const evalPath = joinPath(dir, RUN_FILES.eval);
  // Cached: eval.json carries the key and the asked-for snapshots exist.
  const read = async (d: string) => {
    const ev = await readJsonIfPresent<Record<string, unknown>>(
      joinPath(d, RUN_FILES.eval),
    );
    if (ev?.experimentsKey !== key) return null;
    const pv = snapshots.length > 0 ? await readPairValues(d) : null;
    return snapshots.every((s) => pv?.some((p) => p.step === s)) ? ev : null;
  };
  const { result: ev, cached } = await cachedRun(async () => {
    const pairOptions = {
      loss: config.loss,
      minRelevance: config.minRelevance,
    };
    const collected: ExperimentsPairValues[] = [];
    for (const s of snapshots.filter((s) => s < T)) {
      const stop = new AbortController();
      if (s === 0) stop.abort();
      await train(config, {
        outDir: dir,
        dataset: data.ds,
        quiet: true,
        resume: true,
        signal: stop.signal,
        onStep: (row) => {
          if (row.step >= s) stop.abort();
        },
      });
      const loaded = await loadRun(dir, { data: data.ds });
      try {
        collected.push(experimentsPairValues(loaded.model, {
          ds: data.ds,
          inputs: loaded.inputs,
          truth: data.truth,
        }, { ...pairOptions, step: loaded.step }));
      } finally {
        loaded.model.dispose();
      }
    }
    // With early stopping the run's result is its best-valid model: its
    // pair values are recorded too (step set once the best step is known).
    const atBest = config.earlyStopping !== undefined && snapshots.length > 0;
    const result = await train(config, {
      outDir: dir,
      dataset: data.ds,
      quiet: true,
      resume: true,
      evaluate: (ctx) => {
        if (snapshots.includes(T) || atBest) {
          collected.push(experimentsPairValues(ctx.model, {
            ds: ctx.ds,
            inputs: ctx.inputs,
            truth: data.truth,
          }, { ...pairOptions, step: T }));
        }
        return evaluateForExperiments(ctx, {
          key,
          minRelevance: config.minRelevance,
          bootstrapSamples: task.bootstrapSamples,
        });
      },
    });
    const best = result.earlyStopping?.bestStep ?? null;
    if (atBest && best !== null && best !== T) {
      const last = collected.pop()!;
      if (!collected.some((p) => p.step === best)) {
        collected.push({ ...last, step: best });
      }
    }
    if (collected.length > 0) await writePairValues(dir, collected);
    return await readJson<Record<string, unknown>>(evalPath);
  }, { dir, read });
  const info = await readJson<Record<string, unknown>>(
    joinPath(dir, RUN_FILES.run),
  ).catch(() => ({}));
  const run = runFromEval(task, { key, dir, cached, warnings }, ev, info);
  if (task.logs) {
    const stepsPath = joinPath(dir, RUN_FILES.steps);
    run.log = await pathExists(stepsPath) ? await readSteps(stepsPath) : [];
    const validPath = joinPath(dir, RUN_FILES.valid);
    run.validLog = await pathExists(validPath)
      ? await readValid(validPath)
      : [];
  }
  if (snapshots.length > 0) {
    const pv = await readPairValues(dir);
    const best = run.earlyStopping?.bestStep;
    run.pairValues = pv?.filter((p) =>
      snapshots.includes(p.step) || p.step === best
    ) ?? null;
  }
  return run;
}

/** Options of {@link runExperimentGrid}. */
export interface RunGridOptions {
  /** Root of the run folders (in a notebook `runsDir("experiments")`). */
  runsDir: string;
  /** Datasets to run every config on (subject to `config.datasets`). */
  datasets: ExperimentsDatasetSpec[];
  /** Training seeds. */
  seeds: number[];
  /** Profile (default "quick"). */
  profile?: Profile;
  /** Steps at which to record per-pair values of adaptive runs (default none). */
  snapshots?: number[];
  /** Read the training logs into the results (default false). */
  logs?: boolean;
  /** Bootstrap resamples (default the profile's). */
  bootstrapSamples?: number;
  /** Parallel workers (default `experimentsWorkers()`; 1: this thread). */
  workers?: number;
  /** Called after every finished task. */
  onProgress?: (done: number, total: number, run: ExperimentsRun) => void;
}

/**
 * Trains (or reuses) every config × dataset × seed and returns one
 * {@link ExperimentsRun} per combination, in that order (configs outer,
 * seeds inner); configs not applicable to a dataset come back with
 * `skipped` set. Tasks with the same run key run once.
 */
export async function runExperimentGrid(
  configs: readonly ExperimentsConfig[],
  options: RunGridOptions,
): Promise<ExperimentsRun[]> {
  const profile = options.profile ?? DEFAULT_PROFILE;
  checkProfile(profile);
  const twice = firstRepeat(configs.map((c) => c.name));
  if (twice !== undefined) {
    throw new RangeError(
      `runExperimentGrid: config name "${twice}" occurs twice`,
    );
  }
  if (options.seeds.length === 0) {
    throw new RangeError("runExperimentGrid: seeds is empty");
  }
  const settings = experimentsSettings(profile);
  const tasks: ExperimentsTask[] = [];
  for (const config of configs) {
    for (const dataset of options.datasets) {
      if (config.datasets && !config.datasets.includes(dataset.name)) continue;
      const spec = "path" in dataset
        ? { ...dataset, path: absolutePath(dataset.path) }
        : dataset;
      for (const seed of options.seeds) {
        tasks.push({
          config,
          dataset: spec,
          seed,
          profile,
          runsDir: absolutePath(options.runsDir),
          snapshots: options.snapshots ?? [],
          logs: options.logs ?? false,
          bootstrapSamples: options.bootstrapSamples ??
            settings.bootstrapSamples,
        });
      }
    }
  }
  // Tasks whose training config and data coincide share one run; the
  // representative asks for every snapshot any of them wants.
  const keyOf = async (t: ExperimentsTask): Promise<string> => {
    const data = await experimentsLoadDataset(t.dataset);
    const made = experimentsTrainConfig(t, data.ds);
    return "skip" in made
      ? `skip:${t.config.name}:${t.dataset.name}:${t.seed}`
      : experimentsRunKey(made.config, data.hash, t.bootstrapSamples);
  };
  const keys = await Promise.all(tasks.map(keyOf));
  const unique: ExperimentsTask[] = [];
  const uniqueIndex = new Map<string, number>();
  keys.forEach((k, i) => {
    if (!uniqueIndex.has(k)) {
      uniqueIndex.set(k, unique.length);
      unique.push(tasks[i]);
    }
  });
  const results: ExperimentsRun[] = new Array(unique.length);
  let count = 0;
  const done = (index: number, run: ExperimentsRun) => {
    results[index] = run;
    count++;
    options.onProgress?.(count, unique.length, run);
  };
  await runInWorkers(unique, {
    script: new URL("./worker.ts", import.meta.url),
    workers: options.workers,
    runHere: experimentsRunTask,
    describe: (t) => `"${t.config.name}" on ${t.dataset.name}, seed ${t.seed}`,
    done,
  });
  return tasks.map((t, i) => ({
    ...results[uniqueIndex.get(keys[i])!],
    ...runIdentity(t),
  }));
}
