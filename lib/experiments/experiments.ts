/**
 * Experiment driver behind `notebooks/03_adaptive_method.ipynb` and
 * `notebooks/06_experiments.ipynb`: the benchmark catalogue, the config
 * grids (sensitivity, main table, ablation), a cached runner that trains
 * every (config, dataset, seed) once, aggregation into plot and table rows
 * with confidence intervals, the per-pair δ_j / τ_j a trained model gets,
 * and verdict sentences written from the numbers.
 *
 * Runs. Every run is a `lib/train` run folder under
 * `<runsDir>/<dataset>/<tower>-<loss>-s<seed>-<key>`, where `key` hashes
 * the resolved training config, the dataset's contents and
 * {@link EXPERIMENTS_VERSION}. A folder whose `eval.json` carries that key
 * is reused without training; identical configs in different grids (the
 * sensitivity grid's δ = 0.1 and the main table's fixed margin) therefore
 * train once. Runs go to up to {@link experimentsWorkers} Web Workers in
 * parallel (one wasm thread each); results do not depend on the number.
 *
 * Intervals. A run's metrics carry percentile-bootstrap 95% intervals over
 * test queries (`evaluateModel`). Over several seeds,
 * {@link experimentsAggregate} reports either a Student-t interval over
 * the per-seed values ("seeds", default from 3 seeds on) or a bootstrap
 * over test queries of the seed-averaged per-query hits ("queries").
 * Comparisons ({@link experimentsCompare}) are paired: the per-query
 * difference of two methods on the same test queries, bootstrapped.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import {
  joinPath,
  pathExists,
  readDataset,
  stableJson,
  writeFileAtomic,
  writeTextAtomic,
} from "../data/io.ts";
import type { Dataset, Split } from "../data/schema.ts";
import { accidentalHitMask } from "../data/batches.ts";
import { missingDatasetNote } from "../data/build.ts";
import {
  generateSyntheticWithTruth,
  SYNTHETIC_PROFILES,
  SYNTHETIC_VERSION,
  type SyntheticOptions,
  type SyntheticTruth,
} from "../data/synthetic.ts";
import { initBackend } from "../backend/mod.ts";
import { adaptiveMargin, adaptiveTemperature } from "../losses/mod.ts";
import type { TowerConfigInput, TowerInputs } from "../towers/mod.ts";
import type { TwoTowerModel } from "../towers/mod.ts";
import {
  batchRecallOfModel,
  checkConfigAgainstData,
  datasetContentHash,
  evaluationBatches,
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
import { evaluateModel } from "./evaluate.ts";
import { bootstrapCI, type Interval } from "../eval/mod.ts";

/** Version of the run layout and metrics; part of every run key. */
export const EXPERIMENTS_VERSION = 1;

/** Size presets of the experiments (the notebook's `profile()`). */
export type ExperimentsProfile = "quick" | "full";

// ------------------------------------------------------------ settings

/** What a profile fixes for every experiment run. */
export interface ExperimentsSettings {
  /** The profile. */
  profile: ExperimentsProfile;
  /** Training steps of every run (batch 350). */
  steps: number;
  /** Valid-split batch recall every this many steps (training curves). */
  evalEvery: number;
  /** Seeds per config in the grids of notebook 06. */
  seeds: number;
  /** Bootstrap resamples of every interval. */
  bootstrapSamples: number;
  /** Steps at which notebook 03 records the per-pair values. */
  snapshots: number[];
}

/**
 * Settings per profile. Both profiles train with `lib/train`'s quick hash
 * buckets (4,096 per family, so a plain-tower step costs ~0.1–0.2 s on one
 * wasm thread), batches of 350 and 40 steps (≈3.6 epochs of the benchmark);
 * they differ in coverage, not in training length: `quick` runs 1 seed and
 * the smaller grids, `full` 3 seeds and every grid point, baseline and
 * dataset. Every quick run is therefore also a full run (same key), and the
 * full profile reuses them. Longer training (150 steps on a 3× larger
 * catalogue) was measured to saturate the benchmark (fixed δ = 0.1: test
 * batch recall@10 0.95, DSSM 0.99) and to cost ~3× the time budget.
 */
export function experimentsSettings(
  profile: ExperimentsProfile,
): ExperimentsSettings {
  checkProfile(profile);
  return profile === "quick"
    ? {
      profile,
      steps: 40,
      evalEvery: 10,
      seeds: 1,
      bootstrapSamples: 1000,
      snapshots: [0, 10, 40],
    }
    : {
      profile,
      steps: 40,
      evalEvery: 10,
      seeds: 3,
      bootstrapSamples: 1000,
      snapshots: [0, 10, 20, 40],
    };
}

/** The seeds of a profile's runs: `base`, `base + 1`, …. */
export function experimentsSeeds(
  profile: ExperimentsProfile,
  base: number,
): number[] {
  const n = experimentsSettings(profile).seeds;
  return Array.from({ length: n }, (_, i) => base + i);
}

function checkProfile(profile: unknown): asserts profile is ExperimentsProfile {
  if (profile !== "quick" && profile !== "full") {
    throw new RangeError(
      `experiments: profile must be "quick" or "full", got ${
        JSON.stringify(profile)
      }`,
    );
  }
}

// ------------------------------------------------------------ catalogue

/**
 * The knobs of the benchmark catalogue that differ from the synthetic
 * generator's defaults, with the reason for each. The generator's own quick
 * data is too easy to compare losses on (every loss reaches test batch
 * recall@10 ≈ 0.92–0.95 in 40 steps): differences vanish at the ceiling.
 */
export const EXPERIMENTS_CATALOGUE_KNOBS: readonly {
  knob: keyof SyntheticOptions;
  value: number | string;
  why: string;
}[] = [
  {
    knob: "nearDuplicateShare",
    value: 0.8,
    why:
      "most products have near-duplicates (same brand, one attribute differs): the hard negatives adaptive values are for",
  },
  {
    knob: "maxFamilySize",
    value: 6,
    why: "larger near-duplicate families, so they meet in one batch more often",
  },
  {
    knob: "queryNoise",
    value: 0.5,
    why: "noisier queries (typos, dropped and swapped words, synonyms)",
  },
  {
    knob: "hardnessHeterogeneity",
    value: 0.9,
    why:
      "query hardness varies strongly (clean vs fully noisy queries): one global δ or τ cannot suit all pairs",
  },
  {
    knob: "splitBy",
    value: "intent",
    why:
      "test intents are unseen in training, so recall measures generalisation, not memorised queries",
  },
  {
    knob: "testShare",
    value: 0.2,
    why:
      "more test queries, hence narrower intervals (quick: ≈1,600 test pairs)",
  },
  {
    knob: "validShare",
    value: 0.1,
    why: "valid split for training curves and for choosing the best fixed δ/τ",
  },
];

/**
 * Options of the benchmark catalogue: the synthetic generator with
 * {@link EXPERIMENTS_CATALOGUE_KNOBS} (harder than its defaults), 1,500
 * items, 4,000 queries and 300 users, at both profiles (see
 * {@link experimentsSettings} for why `full` does not grow it). Used by
 * notebooks 03 and 06.
 */
export function experimentsCatalogue(
  profile: ExperimentsProfile,
  seed: number,
): SyntheticOptions {
  checkProfile(profile);
  const knobs = Object.fromEntries(
    EXPERIMENTS_CATALOGUE_KNOBS.map((k) => [k.knob, k.value]),
  );
  return {
    profile: "quick",
    seed,
    numItems: 1500,
    numQueries: 4000,
    numUsers: 300,
    ...knobs,
  } as SyntheticOptions;
}

/**
 * The catalogue's settings as table rows: knob, benchmark value, generator
 * default, reason.
 */
export function experimentsCatalogueRows(
  profile: ExperimentsProfile,
  seed: number,
): { knob: string; benchmark: string; default: string; why: string }[] {
  const options = experimentsCatalogue(profile, seed) as Record<
    string,
    unknown
  >;
  const defaults = SYNTHETIC_PROFILES.quick as unknown as Record<
    string,
    unknown
  >;
  const why = new Map<string, string>(
    EXPERIMENTS_CATALOGUE_KNOBS.map((k) => [k.knob, k.why]),
  );
  return Object.keys(options).filter((k) => k !== "profile").map((k) => ({
    knob: k,
    benchmark: String(options[k]),
    default: k === "seed" ? "1" : String(defaults[k]),
    why: why.get(k) ?? (k === "seed" ? "the notebook's seed()" : "size"),
  }));
}

// ------------------------------------------------------------ datasets

/** A dataset an experiment runs on: generated, or read from a folder. */
export type ExperimentsDatasetSpec =
  | { name: string; synthetic: SyntheticOptions }
  | { name: string; path: string };

/** A loaded dataset. */
export interface ExperimentsData {
  /** Its name in tables. */
  name: string;
  /** The tables. */
  ds: Dataset;
  /** Generator truth (synthetic data only). */
  truth: SyntheticTruth | null;
  /** Hash of its contents (part of every run key). */
  hash: string;
}

/** The benchmark catalogue as a dataset spec (name `"benchmark"`). */
export function experimentsBenchmark(
  profile: ExperimentsProfile,
  seed: number,
): ExperimentsDatasetSpec {
  return { name: "benchmark", synthetic: experimentsCatalogue(profile, seed) };
}

/** The real datasets `deno task data` builds, as specs (`<dataDir>/<name>`). */
export function experimentsRealDatasets(
  dataDir = "../data",
): ExperimentsDatasetSpec[] {
  return ["wands", "scifact", "movielens"].map((name) => ({
    name,
    path: joinPath(dataDir, name),
  }));
}

/** The real datasets a notebook has, from {@link experimentsAvailableRealDatasets}. */
export interface ExperimentsRealData {
  /** Specs of the built ones, in the order of {@link experimentsRealDatasets}. */
  datasets: ExperimentsDatasetSpec[];
  /** The others, each with what is missing and the command that brings it. */
  missing: { name: string; reason: string }[];
  /** A Markdown paragraph saying which ones the notebook runs on. */
  note: string;
}

/**
 * The real datasets that `deno task data` (or `deno task reproduce`) has
 * built under `dataDir`, and why the others are missing: the real datasets
 * live outside the repository, so a fresh clone runs without them, and a
 * notebook must say so instead of failing or implying they were included.
 */
export async function experimentsAvailableRealDatasets(
  dataDir = "../data",
): Promise<ExperimentsRealData> {
  const datasets: ExperimentsDatasetSpec[] = [];
  const missing: { name: string; reason: string }[] = [];
  for (const spec of experimentsRealDatasets(dataDir)) {
    const note = "path" in spec ? await missingDatasetNote(spec.path) : null;
    if (note === null) datasets.push(spec);
    else missing.push({ name: spec.name, reason: note });
  }
  const names = (xs: readonly { name: string }[]) =>
    xs.map((x) => `**${x.name}**`).join(", ");
  const note = [
    `Real datasets: ${datasets.length > 0 ? names(datasets) : "none"}.`,
    ...(missing.length > 0
      ? [
        `Not available, so left out of every table, chart and verdict ` +
        `below: ${names(missing)}.`,
        ...missing.map((m) => `${m.name}: ${m.reason}.`),
      ]
      : []),
  ].join(" ");
  return { datasets, missing, note };
}

/**
 * "on a, b; not on c, which is not available": which datasets a set of
 * results covers, for headings above tables and verdicts.
 */
export function experimentsDatasetsLabel(
  specs: readonly { name: string }[],
  missing: readonly { name: string }[] = [],
): string {
  const on = specs.map((s) => s.name).join(", ");
  return missing.length === 0
    ? `on ${on}`
    : `on ${on}; not on ${missing.map((m) => m.name).join(", ")}, which ${
      missing.length === 1 ? "is" : "are"
    } not available`;
}

const dataCache = new Map<string, Promise<ExperimentsData>>();

function absolute(path: string): string {
  return path.startsWith("/") ? path : joinPath(Deno.cwd(), path);
}

/**
 * Loads (and caches in this process) a dataset spec; a folder is read and
 * validated with `readDataset`, a synthetic spec generated with its truth.
 */
export function experimentsLoadDataset(
  spec: ExperimentsDatasetSpec,
): Promise<ExperimentsData> {
  const key = stableJson(
    "path" in spec ? { ...spec, path: absolute(spec.path) } : spec,
  );
  let pending = dataCache.get(key);
  if (!pending) {
    pending = (async () => {
      if ("synthetic" in spec) {
        const { dataset, truth } = generateSyntheticWithTruth(spec.synthetic);
        return {
          name: spec.name,
          ds: dataset,
          truth,
          hash: `${SYNTHETIC_VERSION}-${datasetContentHash(dataset)}`,
        };
      }
      if (!("path" in spec) || typeof spec.path !== "string") {
        throw new TypeError(
          `experiments: dataset spec ${
            JSON.stringify(spec)
          } needs "synthetic" options or a "path"`,
        );
      }
      const ds = await readDataset(absolute(spec.path));
      return { name: spec.name, ds, truth: null, hash: datasetContentHash(ds) };
    })();
    pending.catch(() => dataCache.delete(key));
    dataCache.set(key, pending);
  }
  return pending;
}

// ------------------------------------------------------------ configs

/** One method/config of a grid; the runner adds data, seed and steps. */
export interface ExperimentsConfig {
  /** Label in tables and figures; unique within a grid. */
  name: string;
  /** Grid it belongs to ("sensitivity", "main", "ablation", "method"). */
  group: string;
  /** Sensitivity family: "margin" (x = δ) or "softmax" (x = τ). */
  family?: "margin" | "softmax";
  /** The fixed δ or τ (sensitivity points); absent for adaptive configs. */
  value?: number;
  /** Tower. */
  tower: TowerConfigInput;
  /** Loss kind and options. */
  loss: { kind: LossKind; [option: string]: OptionValue };
  /** Training steps (default: the profile's); 0 = untrained model. */
  steps?: number;
  /** Datasets it runs on (default: every dataset of the grid run). */
  datasets?: string[];
}

const PLAIN: TowerConfigInput = { kind: "plain" };

/** The four runs of notebook 03: adaptive vs fixed margin and softmax. */
export function experimentsMethodGrid(): ExperimentsConfig[] {
  return [
    {
      name: "adaptive margin",
      group: "method",
      family: "margin",
      tower: PLAIN,
      loss: { kind: "adaptive-margin" },
    },
    {
      name: "fixed δ=0.1",
      group: "method",
      family: "margin",
      value: 0.1,
      tower: PLAIN,
      loss: { kind: "margin", margin: 0.1 },
    },
    {
      name: "adaptive softmax",
      group: "method",
      family: "softmax",
      tower: PLAIN,
      loss: { kind: "adaptive-softmax" },
    },
    {
      name: "fixed τ=1/30",
      group: "method",
      family: "softmax",
      value: 1 / 30,
      tower: PLAIN,
      loss: { kind: "softmax", temperature: 1 / 30 },
    },
  ];
}

/** δ values of the sensitivity sweep (full; quick takes every other one but 0.5). */
export const EXPERIMENTS_DELTAS: readonly number[] = [
  0.01,
  0.05,
  0.1,
  0.2,
  0.3,
  0.5,
];

/** τ values of the sensitivity sweep (full; quick: 0.01, 1/30, 0.1, 0.5). */
export const EXPERIMENTS_TAUS: readonly number[] = [
  0.01,
  1 / 30,
  0.05,
  0.1,
  0.2,
  0.5,
];

const QUICK_DELTAS = [0.01, 0.1, 0.3, 0.5];
const QUICK_TAUS = [0.01, 1 / 30, 0.1, 0.5];

function tauLabel(t: number): string {
  return Math.abs(t - 1 / 30) < 1e-12 ? "1/30" : String(t);
}

/**
 * The sensitivity sweep: the fixed margin loss over δ and the fixed softmax
 * over τ (full: {@link EXPERIMENTS_DELTAS}, {@link EXPERIMENTS_TAUS}; quick:
 * δ ∈ {0.01, 0.1, 0.3, 0.5}, τ ∈ {0.01, 1/30, 0.1, 0.5}) plus the adaptive
 * margin and softmax as references; plain tower.
 */
export function experimentsSensitivityGrid(
  profile: ExperimentsProfile,
): ExperimentsConfig[] {
  checkProfile(profile);
  const deltas = profile === "quick" ? QUICK_DELTAS : EXPERIMENTS_DELTAS;
  const taus = profile === "quick" ? QUICK_TAUS : EXPERIMENTS_TAUS;
  return [
    ...deltas.map((delta): ExperimentsConfig => ({
      name: `fixed δ=${delta}`,
      group: "sensitivity",
      family: "margin",
      value: delta,
      tower: PLAIN,
      loss: { kind: "margin", margin: delta },
    })),
    ...taus.map((tau): ExperimentsConfig => ({
      name: `fixed τ=${tauLabel(tau)}`,
      group: "sensitivity",
      family: "softmax",
      value: tau,
      tower: PLAIN,
      loss: { kind: "softmax", temperature: tau },
    })),
    ...experimentsMethodGrid().filter((c) => c.value === undefined).map((
      c,
    ) => ({ ...c, group: "sensitivity" })),
  ];
}

/**
 * The main table's methods. Ours and the fixed losses use the plain tower
 * (on data without query text, with the user history; see
 * {@link experimentsResolveFor}); the baselines use their own towers and
 * losses as `lib/train` defines them, and MGDSPR is also run with the
 * adaptive margin in place of its own loss (the paper applies its method to
 * MGDSPR). "untrained" (0 steps) is the floor. `quick` runs the tower
 * baselines (DSSM, DPSR; a step costs 2–4× a plain one), Adap-τ and the
 * adaptive softmax on the benchmark only and leaves MGDSPR out; `full` runs
 * everything on every dataset (DSSM and DPSR are skipped on MovieLens,
 * whose queries have no text).
 */
export function experimentsMainTableGrid(
  profile: ExperimentsProfile,
): ExperimentsConfig[] {
  checkProfile(profile);
  const quickBench = profile === "quick" ? ["benchmark"] : undefined;
  const m = (
    name: string,
    tower: TowerConfigInput,
    loss: ExperimentsConfig["loss"],
    extra: Partial<ExperimentsConfig> = {},
  ): ExperimentsConfig => ({
    name,
    group: "main",
    tower,
    loss,
    ...extra,
  });
  const mgdspr = [
    m("MGDSPR", { kind: "mgdspr" }, { kind: "mgdspr" }),
    m("MGDSPR + adaptive margin", { kind: "mgdspr" }, {
      kind: "adaptive-margin",
    }),
  ];
  return [
    m("untrained", PLAIN, { kind: "softmax" }, { steps: 0 }),
    m("DSSM", { kind: "dssm" }, { kind: "dssm-softmax" }, {
      datasets: quickBench,
    }),
    m("DPSR", { kind: "dpsr" }, { kind: "dpsr-hinge" }, {
      datasets: quickBench,
    }),
    ...(profile === "full" ? mgdspr : []),
    m("Adap-τ", PLAIN, { kind: "adap-tau" }, { datasets: quickBench }),
    m("fixed δ=0.1", PLAIN, { kind: "margin", margin: 0.1 }),
    m("fixed τ=1/30", PLAIN, { kind: "softmax", temperature: 1 / 30 }),
    m("adaptive margin", PLAIN, { kind: "adaptive-margin" }),
    m("adaptive softmax", PLAIN, { kind: "adaptive-softmax" }, {
      datasets: quickBench,
    }),
  ];
}

/**
 * The ablation: the adaptive margin and softmax losses with one piece
 * changed at a time (stop-gradient off, symmetric term off, symmetric
 * values from s(v, v_j) instead of s(q, v_j), convex combination, other
 * functional forms); plain tower. `quick` runs the margin variants of the
 * stop-gradient and the symmetric term, and the multiplicative softmax form;
 * `full` all of them.
 */
export function experimentsAblationGrid(
  profile: ExperimentsProfile,
): ExperimentsConfig[] {
  checkProfile(profile);
  const a = (
    name: string,
    family: "margin" | "softmax",
    options: Record<string, OptionValue>,
  ): ExperimentsConfig => ({
    name,
    group: "ablation",
    family,
    tower: PLAIN,
    loss: {
      kind: family === "margin" ? "adaptive-margin" : "adaptive-softmax",
      ...options,
    },
  });
  const margin = [
    a("adaptive margin", "margin", {}),
    a("margin − stop-gradient", "margin", { stopGradient: false }),
    a("margin − symmetric term", "margin", { symmetric: false }),
    a("margin, symmetric δ from item", "margin", { symmetricFrom: "item" }),
    a("margin, convex combination", "margin", { combine: "convex" }),
    a("margin, form half", "margin", { form: "half" }),
    a("margin, form clipped", "margin", { form: "clipped" }),
  ];
  const softmax = [
    a("adaptive softmax", "softmax", {}),
    a("softmax, form multiplicative", "softmax", { form: "multiplicative" }),
    a("softmax − symmetric term", "softmax", { symmetric: false }),
  ];
  const softmaxFull = [
    a("softmax − stop-gradient", "softmax", { stopGradient: false }),
    a("softmax, form half", "softmax", { form: "half" }),
  ];
  if (profile === "full") return [...margin, ...softmax, ...softmaxFull];
  const quick = new Set([
    "adaptive margin",
    "margin − stop-gradient",
    "margin − symmetric term",
    "margin, symmetric δ from item",
    "margin, convex combination",
    "adaptive softmax",
    "softmax, form multiplicative",
  ]);
  return [...margin, ...softmax].filter((c) => quick.has(c.name));
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
  const noText = ds.queries.text.every((t) => t.trim() === "");
  const hasUsers = ds.users !== undefined && ds.users.userId.length > 0;
  if (!noText) return { tower: config.tower };
  if (!hasUsers) {
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

// ------------------------------------------------------------ runs

/** Per-pair values the adaptive loss assigns on one batch (see {@link experimentsPairValues}). */
export interface ExperimentsPairValues {
  /** "δ_j" (adaptive margin) or "τ_j" (adaptive softmax). */
  kind: string;
  /** Training step of the model. */
  step: number;
  /** s(v_b, v_j) of every unmasked (positive b, negative j) pair. */
  similarity: Float32Array;
  /** δ_j or τ_j of the pair, from `adaptiveMargin` / `adaptiveTemperature`. */
  value: Float32Array;
  /** s(q_b, v_j): the negative's score for the query. */
  queryScore: Float32Array;
  /** Index into {@link EXPERIMENTS_RELATIONS}: how item j relates to item b. */
  relation: Uint8Array;
  /** Relevance label of (query b, item j) in the split; −1 unlabelled. */
  label: Int8Array;
}

/** One finished (or skipped) run with what the notebooks read from it. */
export interface ExperimentsRun {
  /** Config name. */
  name: string;
  /** Config group. */
  group: string;
  /** Sensitivity family, if any. */
  family: "margin" | "softmax" | null;
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
  /** Per-step training log (with `logs: true`). */
  log: StepRow[] | null;
  /** Valid batch recall during training (with `logs: true`). */
  validLog: ValidRow[] | null;
  /** Per-pair values at the snapshots (with `snapshots`, adaptive losses). */
  pairValues: ExperimentsPairValues[] | null;
  /** Warnings of the config/data pairing. */
  warnings: string[];
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
  profile: ExperimentsProfile;
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
  const input: TrainConfigInput = {
    profile: "quick",
    data: `experiments:${task.dataset.name}`,
    tower: resolved.tower,
    loss: task.config.loss,
    seed: task.seed,
    steps,
    evalEvery: steps > 0 ? settings.evalEvery : 0,
    checkpointEvery: 0,
  };
  return { config: resolveConfig(input) };
}

/** The run key: hash of version, resolved config, data hash and bootstrap size. */
export function experimentsRunKey(
  config: TrainConfig,
  dataHash: string,
  bootstrapSamples: number,
): string {
  return createHash("sha256").update(stableJson({
    version: EXPERIMENTS_VERSION,
    config,
    data: dataHash,
    bootstrapSamples,
  })).digest("hex").slice(0, 12);
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}

function runDir(task: ExperimentsTask, config: TrainConfig, key: string) {
  const towerKind = (config.tower as { kind: string }).kind;
  return joinPath(
    task.runsDir,
    slug(task.dataset.name),
    `${towerKind}-${config.loss.kind}-s${task.seed}-${key}`,
  );
}

const PAIR_FILE = "pair-values.arrow";
const PAIR_META = "pair-values.json";

/** Pair-value kind of a loss: "δ_j", "τ_j", or null (no per-pair value). */
export function experimentsPairKind(kind: LossKind): string | null {
  return kind === "adaptive-margin"
    ? "δ_j"
    : kind === "adaptive-softmax"
    ? "τ_j"
    : null;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function writePairValues(
  dir: string,
  list: ExperimentsPairValues[],
): Promise<void> {
  const total = list.reduce((a, p) => a + p.value.length, 0);
  const step = new Int32Array(total);
  const cols = {
    similarity: new Float32Array(total),
    value: new Float32Array(total),
    query_score: new Float32Array(total),
    relation: new Int8Array(total),
    label: new Int8Array(total),
  };
  let o = 0;
  for (const p of list) {
    step.fill(p.step, o, o + p.value.length);
    cols.similarity.set(p.similarity, o);
    cols.value.set(p.value, o);
    cols.query_score.set(p.queryScore, o);
    cols.relation.set(p.relation, o);
    cols.label.set(p.label, o);
    o += p.value.length;
  }
  const table = tableFromArrays({ step, ...cols });
  await writeFileAtomic(joinPath(dir, PAIR_FILE), tableToIPC(table, "file"));
  await writeTextAtomic(
    joinPath(dir, PAIR_META),
    stableJson({
      kind: list[0]?.kind ?? null,
      steps: list.map((p) => p.step),
      relations: EXPERIMENTS_RELATIONS,
    }) + "\n",
  );
}

async function readPairValues(
  dir: string,
): Promise<ExperimentsPairValues[] | null> {
  const metaPath = joinPath(dir, PAIR_META);
  if (!(await pathExists(metaPath))) return null;
  const meta = await readJson(metaPath) as { kind: string; steps: number[] };
  const table = tableFromIPC(await Deno.readFile(joinPath(dir, PAIR_FILE)));
  const col = <T>(name: string) => table.getChild(name)!.toArray() as T;
  const step = col<Int32Array>("step");
  const sim = col<Float32Array>("similarity");
  const value = col<Float32Array>("value");
  const qs = col<Float32Array>("query_score");
  const rel = col<Int8Array>("relation");
  const label = col<Int8Array>("label");
  return meta.steps.map((s) => {
    const idx: number[] = [];
    for (let i = 0; i < step.length; i++) if (step[i] === s) idx.push(i);
    const pick = <A extends Float32Array | Int8Array | Uint8Array>(
      a: ArrayLike<number>,
      make: (n: number) => A,
    ) => {
      const out = make(idx.length);
      idx.forEach((i, k) => (out[k] = a[i]));
      return out;
    };
    return {
      kind: meta.kind,
      step: s,
      similarity: pick(sim, (n) => new Float32Array(n)),
      value: pick(value, (n) => new Float32Array(n)),
      queryScore: pick(qs, (n) => new Float32Array(n)),
      relation: pick(rel, (n) => new Uint8Array(n)),
      label: pick(label, (n) => new Int8Array(n)),
    };
  });
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
  const metrics = evaluateModel(run, {
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
  };
}

function num(x: unknown): number {
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
    steps: num(ev.step),
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
  let cached = false;
  if (await pathExists(evalPath)) {
    const ev: Record<string, unknown> = await readJson(evalPath).catch(
      () => ({}),
    );
    const pv = snapshots.length > 0 ? await readPairValues(dir) : null;
    const haveSnapshots = snapshots.every((s) => pv?.some((p) => p.step === s));
    cached = ev.experimentsKey === key && haveSnapshots;
  }
  if (!cached) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
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
    await train(config, {
      outDir: dir,
      dataset: data.ds,
      quiet: true,
      resume: true,
      evaluate: (ctx) => {
        if (snapshots.includes(T)) {
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
    if (collected.length > 0) await writePairValues(dir, collected);
  }
  const ev = await readJson(evalPath);
  const info = await readJson(joinPath(dir, RUN_FILES.run)).catch(() => ({}));
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
    run.pairValues = pv?.filter((p) => snapshots.includes(p.step)) ?? null;
  }
  return run;
}

/** Environment variable that sets the default number of workers. */
export const EXPERIMENTS_WORKERS_ENV = "ADAPTIVE_RETRIEVAL_WORKERS";

/**
 * Default number of parallel training workers: `ADAPTIVE_RETRIEVAL_WORKERS`
 * when set, else min(2, CPU count); 1 runs everything in this thread.
 */
export function experimentsWorkers(): number {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get(EXPERIMENTS_WORKERS_ENV);
  } catch {
    fromEnv = undefined;
  }
  const n = Number(fromEnv);
  if (fromEnv && Number.isInteger(n) && n >= 1) return n;
  return Math.max(1, Math.min(2, navigator.hardwareConcurrency ?? 1));
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
  profile?: ExperimentsProfile;
  /** Steps at which to record per-pair values of adaptive runs (default none). */
  snapshots?: number[];
  /** Read the training logs into the results (default false). */
  logs?: boolean;
  /** Bootstrap resamples (default the profile's). */
  bootstrapSamples?: number;
  /** Parallel workers (default {@link experimentsWorkers}). */
  workers?: number;
  /** Called after every finished task. */
  onProgress?: (done: number, total: number, run: ExperimentsRun) => void;
}

interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

function describe(task: ExperimentsTask): string {
  return `"${task.config.name}" on ${task.dataset.name}, seed ${task.seed}`;
}

async function runInWorkers(
  tasks: ExperimentsTask[],
  workers: number,
  done: (index: number, run: ExperimentsRun) => void,
): Promise<void> {
  const pool: WorkerLike[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      pool.push(
        new Worker(new URL("./worker.ts", import.meta.url), {
          type: "module",
        }) as unknown as WorkerLike,
      );
    }
  } catch {
    pool.forEach((w) => w.terminate());
    for (let i = 0; i < tasks.length; i++) {
      done(i, await experimentsRunTask(tasks[i]));
    }
    return;
  }
  let next = 0;
  try {
    await Promise.all(pool.map((w) =>
      new Promise<void>((resolve, reject) => {
        let current = -1;
        const go = () => {
          if (next >= tasks.length) return resolve();
          current = next++;
          w.postMessage({ index: current, task: tasks[current] });
        };
        w.onmessage = (e: MessageEvent) => {
          const msg = e.data as {
            index: number;
            run?: ExperimentsRun;
            error?: string;
          };
          if (msg.error !== undefined) {
            next = tasks.length; // stop handing out work
            reject(
              new Error(
                `experiments: ${describe(tasks[msg.index])}: ${msg.error}`,
              ),
            );
            return;
          }
          done(msg.index, msg.run as ExperimentsRun);
          go();
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          next = tasks.length;
          reject(
            new Error(
              `experiments: worker failed on ${
                current >= 0 ? describe(tasks[current]) : "start"
              }: ${e.message}`,
            ),
          );
        };
        go();
      })
    ));
  } finally {
    pool.forEach((w) => w.terminate());
  }
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
  const profile = options.profile ?? "quick";
  checkProfile(profile);
  const names = new Set<string>();
  for (const c of configs) {
    if (names.has(c.name)) {
      throw new RangeError(
        `runExperimentGrid: config name "${c.name}" occurs twice`,
      );
    }
    names.add(c.name);
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
        ? { ...dataset, path: absolute(dataset.path) }
        : dataset;
      for (const seed of options.seeds) {
        tasks.push({
          config,
          dataset: spec,
          seed,
          profile,
          runsDir: absolute(options.runsDir),
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
  const workers = Math.min(
    options.workers ?? experimentsWorkers(),
    unique.length,
  );
  if (workers <= 1) {
    for (let i = 0; i < unique.length; i++) {
      done(i, await experimentsRunTask(unique[i]));
    }
  } else {
    await runInWorkers(unique, workers, done);
  }
  return tasks.map((t, i) => {
    const r = results[uniqueIndex.get(keys[i])!];
    return {
      ...r,
      name: t.config.name,
      group: t.config.group,
      family: t.config.family ?? null,
      value: t.config.value ?? null,
      dataset: t.dataset.name,
      seed: t.seed,
    };
  });
}

// ------------------------------------------------------------ pair values

/**
 * How a negative item j relates to the positive item b, from the hardest
 * to the easiest: the same near-duplicate family (synthetic truth), the
 * same category path, the same top-level category, anything else.
 */
export const EXPERIMENTS_RELATIONS: readonly string[] = [
  "near-duplicate",
  "same sub-category",
  "same category",
  "other category",
];

/** Options of {@link experimentsPairValues}. */
export interface PairValueExtractOptions {
  /** The adaptive loss config (kind, alpha, delta0/tau0, form). */
  loss: { kind: LossKind; [option: string]: OptionValue };
  /** Split whose evaluation batches are used (default "train"). */
  split?: Split;
  /** Number of batches (default 1: 350 pairs, ≈122k negative pairs). */
  batches?: number;
  /** Pairs per batch (default 350). */
  batchSize?: number;
  /** Relevance of a positive (default 3). */
  minRelevance?: number;
  /** Step recorded in the result (default 0). */
  step?: number;
}

function relationOf(
  ds: Dataset,
  truth: SyntheticTruth | null,
  rowB: number,
  rowJ: number,
): number {
  if (truth) {
    const fb = truth.itemFamily[ds.items.itemId[rowB]];
    if (fb >= 0 && fb === truth.itemFamily[ds.items.itemId[rowJ]]) return 0;
  }
  const cb = ds.items.category[rowB];
  const cj = ds.items.category[rowJ];
  if (cb !== "" && cb === cj) return 1;
  const top = (c: string) => c.split(" > ")[0];
  if (cb !== "" && top(cb) === top(cj)) return 2;
  return 3;
}

/**
 * The per-pair δ_j (adaptive margin) or τ_j (adaptive softmax) that the
 * loss would use for a model: the items of the first `batches` evaluation
 * batches of a split are encoded, s(v_b, v_j) = v_b·v_j is passed to
 * `adaptiveMargin` / `adaptiveTemperature` (the functions the loss calls,
 * with the loss config's α, δ0/τ0 and form), and every pair the training
 * mask keeps (j ≠ b, not the same item, not labelled relevant to query b)
 * is returned with its similarity, its query score s(q_b, v_j), its
 * relation to the positive ({@link EXPERIMENTS_RELATIONS}) and its label.
 */
export function experimentsPairValues(
  model: TwoTowerModel,
  data: { ds: Dataset; inputs?: TowerInputs; truth?: SyntheticTruth | null },
  options: PairValueExtractOptions,
): ExperimentsPairValues {
  const kind = experimentsPairKind(options.loss.kind);
  if (kind === null) {
    throw new RangeError(
      `experimentsPairValues: loss "${options.loss.kind}" has no per-pair value (use adaptive-margin or adaptive-softmax)`,
    );
  }
  const ds = data.ds;
  const truth = data.truth ?? null;
  const inputs = data.inputs ?? model.prepare(ds);
  const split = options.split ?? "train";
  const { pairs, batches } = evaluationBatches(ds, {
    split,
    minRelevance: options.minRelevance ?? 3,
    batchSize: options.batchSize ?? 350,
  });
  const nb = options.batches ?? 1;
  if (!Number.isInteger(nb) || nb < 1) {
    throw new RangeError(
      `experimentsPairValues: option "batches" must be a positive integer, got ${nb}`,
    );
  }
  const labels = new Map<number, Map<number, number>>();
  for (let i = 0; i < ds.pairs.queryId.length; i++) {
    if (ds.pairs.split[i] !== split) continue;
    const q = ds.pairs.queryId[i];
    let m = labels.get(q);
    if (!m) labels.set(q, m = new Map());
    m.set(ds.pairs.itemId[i], ds.pairs.relevance[i]);
  }
  const loss = options.loss;
  const out = {
    similarity: [] as number[],
    value: [] as number[],
    queryScore: [] as number[],
    relation: [] as number[],
    label: [] as number[],
  };
  for (const batch of batches.slice(0, nb)) {
    const B = batch.itemRow.length;
    const [sim, val, qs] = tf.tidy(() => {
      const v = model.encodeItems(inputs, batch.itemRow);
      const q = model.encodeQueries(inputs, batch.queryRow);
      const s = tf.matMul(v, v, false, true);
      const values = kind === "δ_j"
        ? adaptiveMargin(s, {
          alpha: loss.alpha as number | undefined,
          delta0: loss.delta0 as number | undefined,
          form: loss.form as "linear" | undefined,
        })
        : adaptiveTemperature(s, {
          alpha: loss.alpha as number | undefined,
          tau0: loss.tau0 as number | undefined,
          form: loss.form as "linear" | undefined,
        });
      return [s, values, model.scores(q, v)];
    });
    const s = sim.dataSync() as Float32Array;
    const d = val.dataSync() as Float32Array;
    const qv = qs.dataSync() as Float32Array;
    tf.dispose([sim, val, qs]);
    const mask = accidentalHitMask(pairs, batch);
    for (let b = 0; b < B; b++) {
      const lab = labels.get(batch.queryId[b]);
      for (let j = 0; j < B; j++) {
        if (j === b || mask[b * B + j] !== 0) continue;
        out.similarity.push(s[b * B + j]);
        out.value.push(d[b * B + j]);
        out.queryScore.push(qv[b * B + j]);
        out.relation.push(
          relationOf(ds, truth, batch.itemRow[b], batch.itemRow[j]),
        );
        out.label.push(lab?.get(batch.itemId[j]) ?? -1);
      }
    }
  }
  return {
    kind,
    step: options.step ?? 0,
    similarity: Float32Array.from(out.similarity),
    value: Float32Array.from(out.value),
    queryScore: Float32Array.from(out.queryScore),
    relation: Uint8Array.from(out.relation),
    label: Int8Array.from(out.label),
  };
}

/** One row of {@link experimentsPairSummary}. */
export interface ExperimentsPairSummaryRow {
  /** Snapshot step. */
  step: number;
  /** Relation (or label) group. */
  group: string;
  /** Negative pairs in the group. */
  pairs: number;
  /** Their share of all pairs of the snapshot. */
  share: number;
  /** Mean δ_j / τ_j. */
  meanValue: number;
  /** Median δ_j / τ_j. */
  medianValue: number;
  /** Mean s(v_b, v_j). */
  meanSimilarity: number;
  /** Mean s(q_b, v_j). */
  meanQueryScore: number;
}

const LABEL_NAMES: Record<number, string> = {
  [-1]: "unlabelled",
  0: "labelled irrelevant",
  1: "labelled complement",
  2: "labelled substitute",
  3: "labelled exact",
};

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Per snapshot, the mean and median value, similarity and query score of
 * the negative pairs grouped by relation to the positive (`by:
 * "relation"`, hardest first) or by their label for the query (`by:
 * "label"`); empty groups are left out.
 */
export function experimentsPairSummary(
  snapshots: readonly ExperimentsPairValues[],
  options: { by?: "relation" | "label" } = {},
): ExperimentsPairSummaryRow[] {
  const by = options.by ?? "relation";
  const rows: ExperimentsPairSummaryRow[] = [];
  for (const p of snapshots) {
    const groups = new Map<number, number[]>();
    const codes = by === "relation" ? p.relation : p.label;
    for (let i = 0; i < p.value.length; i++) {
      let g = groups.get(codes[i]);
      if (!g) groups.set(codes[i], g = []);
      g.push(i);
    }
    const order = [...groups.keys()].sort((a, b) =>
      by === "relation" ? a - b : b - a
    );
    for (const code of order) {
      const idx = groups.get(code)!;
      const mean = (a: Float32Array) =>
        idx.reduce((s, i) => s + a[i], 0) / idx.length;
      rows.push({
        step: p.step,
        group: by === "relation"
          ? EXPERIMENTS_RELATIONS[code] ?? `relation ${code}`
          : LABEL_NAMES[code] ?? `label ${code}`,
        pairs: idx.length,
        share: idx.length / p.value.length,
        meanValue: mean(p.value),
        medianValue: median(idx.map((i) => p.value[i])),
        meanSimilarity: mean(p.similarity),
        meanQueryScore: mean(p.queryScore),
      });
    }
  }
  return rows;
}

/**
 * Rows for lib/plot's `pairValueDistribution`: `{ value, step, kind }`.
 * `panels: "kind"` (default) puts every snapshot in one panel per value
 * kind; `"relation"` makes one panel per relation (at the given steps).
 * `maxPerGroup` thins each (panel, step) group by a fixed stride (default
 * 20,000) to keep the chart input small.
 */
export function experimentsPairPlotRows(
  snapshots: readonly ExperimentsPairValues[],
  options: {
    panels?: "kind" | "relation";
    steps?: number[];
    maxPerGroup?: number;
  } = {},
): { value: number; step: number; kind: string }[] {
  const panels = options.panels ?? "kind";
  const max = options.maxPerGroup ?? 20000;
  const rows: { value: number; step: number; kind: string }[] = [];
  for (const p of snapshots) {
    if (options.steps && !options.steps.includes(p.step)) continue;
    const groups = new Map<string, number[]>();
    for (let i = 0; i < p.value.length; i++) {
      const k = panels === "kind"
        ? p.kind
        : `${p.kind}: ${EXPERIMENTS_RELATIONS[p.relation[i]]}`;
      let g = groups.get(k);
      if (!g) groups.set(k, g = []);
      g.push(i);
    }
    const keys = panels === "kind" ? [...groups.keys()] : EXPERIMENTS_RELATIONS
      .map((r) => `${p.kind}: ${r}`).filter((k) => groups.has(k));
    for (const k of keys) {
      const idx = groups.get(k)!;
      const stride = Math.max(1, Math.ceil(idx.length / max));
      for (let i = 0; i < idx.length; i += stride) {
        rows.push({ value: p.value[idx[i]], step: p.step, kind: k });
      }
    }
  }
  return rows;
}

/**
 * A sentence on whether harder negatives got smaller values at a snapshot
 * (default the last): the mean value per relation, hardest first, and
 * whether it rises from near-duplicates to other categories (groups with
 * fewer than `minPairs` pairs, default 20, are left out), and a warning
 * when even the easiest group has mean cosine > 0.5 to the positive.
 */
export function experimentsPairVerdict(
  snapshots: readonly ExperimentsPairValues[],
  options: { step?: number; minPairs?: number } = {},
): string {
  if (snapshots.length === 0) return "no per-pair values recorded";
  const step = options.step ?? Math.max(...snapshots.map((p) => p.step));
  const snap = snapshots.find((p) => p.step === step);
  if (!snap) return `no per-pair values at step ${step}`;
  const min = options.minPairs ?? 20;
  const rows = experimentsPairSummary([snap]).filter((r) => r.pairs >= min);
  if (rows.length < 2) {
    return `step ${step}: too few negative pairs per relation to compare`;
  }
  const parts = rows.map((r) =>
    `${r.group} ${r.meanValue.toFixed(3)} (s = ${
      r.meanSimilarity.toFixed(2)
    }, ${r.pairs} pairs)`
  );
  let rising = true;
  for (let i = 1; i < rows.length; i++) {
    if (!(rows[i].meanValue > rows[i - 1].meanValue)) rising = false;
  }
  const conclusion = rising
    ? "the closer the negative, the smaller its value, as the paper intends"
    : "the values are NOT ordered by closeness";
  // When even the easiest group is close to the positive, the ordering says
  // little: the items are bunched together (towards collapse).
  const easiest = rows[rows.length - 1];
  const bunched = easiest.meanSimilarity > 0.5
    ? `; but even ${easiest.group} negatives have mean cosine ${
      easiest.meanSimilarity.toFixed(2)
    } to the positive: the item embeddings are bunched together`
    : "";
  return `Step ${step}, mean ${snap.kind} by relation to the positive: ${
    parts.join("; ")
  } → ${conclusion}${bunched}.`;
}

// ------------------------------------------------------------ aggregation

/** Metrics {@link experimentsMetric} knows. */
export const EXPERIMENTS_METRICS: readonly string[] = [
  "batch@1",
  "batch@5",
  "batch@10",
  "batch@50",
  "recall@10",
  "recall@50",
  "recall@100",
  "ndcg@10",
  "ndcg@50",
  "ndcg@100",
  "mrr",
  "valid@10",
];

/** A run's value of a metric and its bootstrap interval over queries, if any. */
export function experimentsMetric(
  run: ExperimentsRun,
  metric: string,
): { value: number; ci: Interval | null } {
  const m = /^(batch|recall|ndcg|valid)@(\d+)$/.exec(metric);
  if (metric === "mrr") {
    return { value: run.corpus.mrr, ci: run.corpus.ci.mrr ?? null };
  }
  if (!m) {
    throw new RangeError(
      `experimentsMetric: unknown metric "${metric}"; expected one of ${
        EXPERIMENTS_METRICS.join(", ")
      }`,
    );
  }
  const [, kind, k] = m;
  switch (kind) {
    case "batch":
      return { value: num(run.batch.recall[k]), ci: run.batch.ci[k] ?? null };
    case "valid":
      return { value: num(run.valid?.[k]), ci: null };
    case "recall":
      return {
        value: num(run.corpus.recall[k]),
        ci: run.corpus.ci[`recall@${k}`] ?? null,
      };
    default:
      return {
        value: num(run.corpus.ndcg[k]),
        ci: run.corpus.ci[`ndcg@${k}`] ?? null,
      };
  }
}

/** Two-sided 95% Student-t quantiles t_{0.975, df} for df = 1 … 30. */
export const EXPERIMENTS_T95: readonly number[] = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.160,
  2.145,
  2.131,
  2.120,
  2.110,
  2.101,
  2.093,
  2.086,
  2.080,
  2.074,
  2.069,
  2.064,
  2.060,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/**
 * Mean of per-seed values with a 95% Student-t interval,
 * mean ± t_{0.975, n−1}·sd/√n (sd with n − 1); one value gives lo = hi.
 */
export function experimentsSeedInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) throw new RangeError("experimentsSeedInterval: no values");
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean };
  const sd = Math.sqrt(
    values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1),
  );
  const t = EXPERIMENTS_T95[n - 2] ?? 1.96;
  const h = t * sd / Math.sqrt(n);
  return { mean, lo: mean - h, hi: mean + h };
}

/**
 * Per test query, the share of `runs` (seeds) that rank its positive in
 * the top k of its evaluation batch. Throws if the runs ranked different
 * numbers of test queries.
 */
export function experimentsHits(
  runs: readonly ExperimentsRun[],
  k: number,
): Float64Array {
  const n = runs[0]?.testRanks.length ?? 0;
  const out = new Float64Array(n);
  for (const r of runs) {
    if (r.testRanks.length !== n) {
      throw new RangeError(
        `experimentsHits: runs ranked different numbers of test queries (${n} vs ${r.testRanks.length} for "${r.name}" on ${r.dataset})`,
      );
    }
    for (let i = 0; i < n; i++) if (r.testRanks[i] <= k) out[i] += 1;
  }
  for (let i = 0; i < n; i++) out[i] /= runs.length;
  return out;
}

/** One aggregated cell: a config on a dataset over its seeds. */
export interface ExperimentsRow {
  /** Config name. */
  name: string;
  /** Config group. */
  group: string;
  /** Sensitivity family. */
  family: "margin" | "softmax" | null;
  /** Fixed δ/τ. */
  value: number | null;
  /** Dataset. */
  dataset: string;
  /** Metric. */
  metric: string;
  /** Mean over seeds (NaN when skipped). */
  mean: number;
  /** Lower end of the 95% interval. */
  lo: number;
  /** Upper end. */
  hi: number;
  /** Number of seeds. */
  seeds: number;
  /** How the interval was made. */
  ci: "seeds (t)" | "bootstrap over queries" | "none";
  /** Per-seed values. */
  values: number[];
  /** Why it was not run. */
  skipped: string | null;
}

/** Options of {@link experimentsAggregate}. */
export interface AggregateOptions {
  /** Metric (default "batch@10"); see {@link EXPERIMENTS_METRICS}. */
  metric?: string;
  /**
   * Interval: "seeds" (Student t over per-seed values), "queries"
   * (bootstrap over test queries), "auto" (default: seeds from 3 seeds on,
   * else queries).
   */
  ci?: "auto" | "seeds" | "queries";
  /** Bootstrap resamples for multi-seed "queries" intervals (default 1000). */
  samples?: number;
}

/**
 * Groups runs by (config name, dataset), in first-appearance order, and
 * gives each group's mean over seeds with a 95% interval. "queries" with
 * one seed uses the run's own bootstrap interval; with several seeds, for
 * batch recall, a bootstrap over queries of the seed-averaged per-query
 * hits, and for other metrics the mean of the per-seed interval ends
 * (conservative: averaging seeds narrows the true interval).
 */
export function experimentsAggregate(
  runs: readonly ExperimentsRun[],
  options: AggregateOptions = {},
): ExperimentsRow[] {
  const metric = options.metric ?? "batch@10";
  const groups = new Map<string, ExperimentsRun[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.name, r.dataset]);
    let g = groups.get(key);
    if (!g) groups.set(key, g = []);
    g.push(r);
  }
  const rows: ExperimentsRow[] = [];
  for (const g of groups.values()) {
    const head = g[0];
    const base = {
      name: head.name,
      group: head.group,
      family: head.family,
      value: head.value,
      dataset: head.dataset,
      metric,
    };
    const done = g.filter((r) => r.skipped === null);
    if (done.length === 0) {
      rows.push({
        ...base,
        mean: NaN,
        lo: NaN,
        hi: NaN,
        seeds: 0,
        ci: "none",
        values: [],
        skipped: head.skipped,
      });
      continue;
    }
    const ms = done.map((r) => experimentsMetric(r, metric));
    const values = ms.map((m) => m.value);
    const n = values.length;
    const mode = options.ci ?? "auto";
    const useSeeds = mode === "seeds" ? n >= 2 : mode === "auto" && n >= 3;
    let interval: Interval;
    let ci: ExperimentsRow["ci"];
    if (useSeeds) {
      // Every metric here is a share in [0, 1]; a t interval over a few
      // seeds can cross those bounds, which carry no information.
      const t = experimentsSeedInterval(values);
      interval = { mean: t.mean, lo: Math.max(0, t.lo), hi: Math.min(1, t.hi) };
      ci = "seeds (t)";
    } else if (n === 1) {
      const own = ms[0].ci;
      interval = own
        ? { mean: values[0], lo: own.lo, hi: own.hi }
        : { mean: values[0], lo: values[0], hi: values[0] };
      ci = own ? "bootstrap over queries" : "none";
    } else {
      const batch = /^batch@(\d+)$/.exec(metric);
      const mean = values.reduce((a, b) => a + b, 0) / n;
      if (batch && done.every((r) => r.testRanks.length > 0)) {
        const hits = experimentsHits(done, Number(batch[1]));
        const b = bootstrapCI(hits, {
          seed: 0,
          samples: options.samples ?? 1000,
        });
        interval = { mean, lo: b.lo, hi: b.hi };
        ci = "bootstrap over queries";
      } else if (ms.every((m) => m.ci !== null)) {
        const lo = ms.reduce((a, m) => a + (m.value - m.ci!.lo), 0) / n;
        const hi = ms.reduce((a, m) => a + (m.ci!.hi - m.value), 0) / n;
        interval = { mean, lo: mean - lo, hi: mean + hi };
        ci = "bootstrap over queries";
      } else {
        interval = experimentsSeedInterval(values);
        ci = "seeds (t)";
      }
    }
    rows.push({
      ...base,
      mean: interval.mean,
      lo: interval.lo,
      hi: interval.hi,
      seeds: n,
      ci,
      values,
      skipped: null,
    });
  }
  return rows;
}

/**
 * Rows for lib/plot's `sensitivity`: the fixed-value configs as points
 * (`family`, `value`, `recall`, `lo`, `hi`, `series` = dataset when rows
 * span several) and the adaptive configs (a family, no value) as
 * reference lines.
 */
export function experimentsSensitivityRows(
  rows: readonly ExperimentsRow[],
): {
  rows: {
    family: string;
    value: number;
    recall: number;
    lo: number;
    hi: number;
    series?: string;
  }[];
  reference: { family: string; recall: number; label: string }[];
} {
  const done = rows.filter((r) => r.skipped === null && r.family !== null);
  const several = new Set(done.map((r) => r.dataset)).size > 1;
  return {
    rows: done.filter((r) => r.value !== null).map((r) => ({
      family: r.family as string,
      value: r.value as number,
      recall: r.mean,
      lo: r.lo,
      hi: r.hi,
      ...(several ? { series: r.dataset } : {}),
    })),
    reference: done.filter((r) => r.value === null).map((r) => ({
      family: r.family as string,
      recall: r.mean,
      label: `${r.name}${several ? ` (${r.dataset})` : ""}: ${
        r.mean.toFixed(3)
      }`,
    })),
  };
}

/** A column of the wide tables: a value field with optional interval fields. */
export interface IntervalColumn {
  /** Value field. */
  field: string;
  /** Header (default: the field). */
  title?: string;
  /** Field of the interval's lower end. */
  lo?: string;
  /** Field of the interval's upper end. */
  hi?: string;
  /** Decimals shown. */
  digits?: number;
}

/**
 * A wide table for lib/plot's `tableMarkdown`: one row per config name,
 * one interval column per dataset (`<dataset>`, `<dataset>_lo`,
 * `<dataset>_hi`); skipped cells stay empty (rendered "—").
 */
export function experimentsWideTable(
  rows: readonly ExperimentsRow[],
  options: { digits?: number } = {},
): {
  rows: Record<string, string | number | null>[];
  columns: IntervalColumn[];
} {
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const byName = new Map<string, Record<string, string | number | null>>();
  for (const r of rows) {
    let row = byName.get(r.name);
    if (!row) byName.set(r.name, row = { method: r.name });
    if (r.skipped === null) {
      row[r.dataset] = r.mean;
      row[`${r.dataset}_lo`] = r.lo;
      row[`${r.dataset}_hi`] = r.hi;
    }
  }
  const digits = options.digits ?? 3;
  return {
    rows: [...byName.values()],
    columns: [
      { field: "method" },
      ...datasets.map((d) => ({
        field: d,
        lo: `${d}_lo`,
        hi: `${d}_hi`,
        digits,
      })),
    ],
  };
}

/**
 * A table of several metrics for the runs of one dataset: one row per
 * config, one interval column per metric (aggregated like
 * {@link experimentsAggregate}).
 */
export function experimentsMetricsTable(
  runs: readonly ExperimentsRun[],
  options: { metrics?: string[]; ci?: AggregateOptions["ci"] } = {},
): {
  rows: Record<string, string | number | null>[];
  columns: IntervalColumn[];
} {
  const metrics = options.metrics ??
    ["batch@1", "batch@5", "batch@10", "batch@50", "recall@10", "mrr"];
  const byName = new Map<string, Record<string, string | number | null>>();
  for (const metric of metrics) {
    for (const r of experimentsAggregate(runs, { metric, ci: options.ci })) {
      const label = new Set(runs.map((x) => x.dataset)).size > 1
        ? `${r.name} (${r.dataset})`
        : r.name;
      let row = byName.get(label);
      if (!row) byName.set(label, row = { method: label });
      if (r.skipped === null) {
        row[metric] = r.mean;
        row[`${metric}_lo`] = r.lo;
        row[`${metric}_hi`] = r.hi;
      }
    }
  }
  return {
    rows: [...byName.values()],
    columns: [
      { field: "method" },
      ...metrics.map((m) => ({
        field: m,
        title: m.startsWith("batch@")
          ? `batch R@${m.slice(6)}`
          : m.startsWith("recall@")
          ? `corpus R@${m.slice(7)}`
          : m,
        lo: `${m}_lo`,
        hi: `${m}_hi`,
        digits: 3,
      })),
    ],
  };
}

/**
 * Training-curve rows for lib/plot's `trainingCurves`: per run (label =
 * config name, plus seed when several) every logged step's loss, and the
 * valid batch recall@k (default 10) at the steps where it was measured.
 * With `relative`, the loss is divided by the run's step-1 loss and
 * floored at `floor` (default 1e-4), so losses of different scales share a
 * log axis.
 */
export function experimentsCurveRows(
  runs: readonly ExperimentsRun[],
  options: { k?: number; relative?: boolean; floor?: number } = {},
): { run: string; step: number; loss: number; recall?: number }[] {
  const k = options.k ?? 10;
  const floor = options.floor ?? 1e-4;
  const seeds = new Set(runs.map((r) => r.seed)).size > 1;
  const rows: { run: string; step: number; loss: number; recall?: number }[] =
    [];
  for (const r of runs) {
    if (!r.log || r.log.length === 0) continue;
    const label = seeds ? `${r.name} (seed ${r.seed})` : r.name;
    const recall = new Map(
      (r.validLog ?? []).map((v) => [v.step, v.recall[k]]),
    );
    const first = r.log[0].loss;
    for (const s of r.log) {
      const loss = options.relative
        ? Math.max(floor, first > 0 ? s.loss / first : floor)
        : s.loss;
      const row: { run: string; step: number; loss: number; recall?: number } =
        { run: label, step: s.step, loss };
      const rc = recall.get(s.step);
      if (rc !== undefined) row.recall = rc;
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Embedding-health rows: per config and dataset, the mean over its seeds of
 * the mean item–item cosine, the effective rank of the item embeddings,
 * the item uniformity and the alignment of the test positives, as
 * `evaluateModel` measured them.
 */
export function experimentsHealthRows(
  runs: readonly ExperimentsRun[],
): Record<string, string | number | null>[] {
  const several = new Set(runs.map((r) => r.dataset)).size > 1;
  const groups = new Map<string, ExperimentsRun[]>();
  for (const r of runs) {
    if (r.skipped !== null) continue;
    const key = JSON.stringify([r.name, r.dataset]);
    let g = groups.get(key);
    if (!g) groups.set(key, g = []);
    g.push(r);
  }
  const mean = (g: ExperimentsRun[], field: string) => {
    const v = g.map((r) => r.health[field]).filter((x): x is number =>
      typeof x === "number"
    );
    return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
  };
  return [...groups.values()].map((g) => ({
    config: `${g[0].name}${several ? ` (${g[0].dataset})` : ""}`,
    seeds: g.length,
    "mean item cosine": mean(g, "meanCosine"),
    "effective rank": mean(g, "effectiveRank"),
    "item uniformity": mean(g, "uniformityItems"),
    alignment: mean(g, "alignment"),
  }));
}

/** Run summary rows (for a "what was trained" table). */
export function experimentsRunRows(
  runs: readonly ExperimentsRun[],
): Record<string, string | number>[] {
  return runs.map((r) => ({
    config: r.name,
    dataset: r.dataset,
    seed: r.seed,
    status: r.skipped !== null
      ? `skipped: ${r.skipped}`
      : r.cached
      ? "cached"
      : "trained",
    steps: r.steps,
    "train s": Math.round(r.seconds * 10) / 10,
    folder: r.dir === null ? "" : r.dir.split("/").slice(-2).join("/"),
  }));
}

// ------------------------------------------------------------ verdicts

/** Result of {@link experimentsCompare}. */
export interface ExperimentsComparison {
  /** Candidate's batch recall@k (mean over seeds, bootstrap interval). */
  a: Interval;
  /** Baseline's. */
  b: Interval;
  /** Paired difference a − b with its bootstrap interval over queries. */
  difference: Interval;
  /** "better", "worse" or "within noise" (interval of the difference vs 0). */
  verdict: "better" | "worse" | "within noise";
  /** Test queries compared. */
  queries: number;
  /** Seeds per method. */
  seeds: [number, number];
}

/**
 * Paired comparison of two sets of runs (seeds of two configs on one
 * dataset) on test batch recall@k: per test query, the seed-averaged hit of
 * each; the mean of the differences with a percentile-bootstrap 95%
 * interval over queries (seed 0). "better"/"worse" when the interval
 * excludes 0.
 */
export function experimentsCompare(
  a: readonly ExperimentsRun[],
  b: readonly ExperimentsRun[],
  options: { k?: number; samples?: number } = {},
): ExperimentsComparison {
  const k = options.k ?? 10;
  const samples = options.samples ?? 1000;
  const ok = (rs: readonly ExperimentsRun[], what: string) => {
    const done = rs.filter((r) => r.skipped === null);
    if (done.length === 0) {
      throw new RangeError(`experimentsCompare: no finished runs for ${what}`);
    }
    return done;
  };
  const ra = ok(a, "a");
  const rb = ok(b, "b");
  const ha = experimentsHits(ra, k);
  const hb = experimentsHits(rb, k);
  if (ha.length !== hb.length) {
    throw new RangeError(
      `experimentsCompare: the runs ranked different test sets (${ha.length} vs ${hb.length} queries)`,
    );
  }
  const diff = ha.map((x, i) => x - hb[i]);
  const d = bootstrapCI(diff, { seed: 0, samples });
  const ia = bootstrapCI(ha, { seed: 0, samples });
  const ib = bootstrapCI(hb, { seed: 0, samples });
  return {
    a: ia,
    b: ib,
    difference: d,
    verdict: d.lo > 0 ? "better" : d.hi < 0 ? "worse" : "within noise",
    queries: ha.length,
    seeds: [ra.length, rb.length],
  };
}

function signed(x: number, digits = 3): string {
  const s = x.toFixed(digits);
  return x >= 0 && !/^-/.test(s) ? `+${s}` : s;
}

function fmt(i: Interval): string {
  return `${i.mean.toFixed(3)} [${i.lo.toFixed(3)}, ${i.hi.toFixed(3)}]`;
}

/**
 * A sentence comparing config `candidate` with config `baseline` on one
 * dataset (paired, {@link experimentsCompare}), e.g. "benchmark: adaptive
 * margin 0.891 [0.875, 0.906] vs fixed δ=0.1 0.805 […]: difference
 * +0.086 [+0.070, +0.102] batch recall@10 (paired bootstrap over 1618 test
 * queries, 1 seed each) → better".
 */
export function experimentsVerdict(
  runs: readonly ExperimentsRun[],
  options: { candidate: string; baseline: string; dataset: string; k?: number },
): string {
  const k = options.k ?? 10;
  const pick = (name: string) =>
    runs.filter((r) => r.name === name && r.dataset === options.dataset);
  const a = pick(options.candidate);
  const b = pick(options.baseline);
  const missing = [[options.candidate, a], [options.baseline, b]].find((
    [, rs],
  ) => (rs as ExperimentsRun[]).every((r) => r.skipped !== null));
  if (missing) {
    const rs = missing[1] as ExperimentsRun[];
    return `${options.dataset}: "${missing[0]}" ${
      rs.length === 0 ? "was not run" : `was skipped (${rs[0].skipped})`
    }; no comparison.`;
  }
  const c = experimentsCompare(a, b, { k });
  const seeds = c.seeds[0] === c.seeds[1]
    ? `${c.seeds[0]} seed${c.seeds[0] === 1 ? "" : "s"} each`
    : `${c.seeds[0]} vs ${c.seeds[1]} seeds`;
  return `${options.dataset}: ${options.candidate} ${
    fmt(c.a)
  } vs ${options.baseline} ${fmt(c.b)}: difference ${
    signed(c.difference.mean)
  } [${signed(c.difference.lo)}, ${
    signed(c.difference.hi)
  }] batch recall@${k} (paired bootstrap over ${c.queries} test queries, ${seeds}) → ${c.verdict}`;
}

/**
 * The fixed config of a family (margin or softmax) with the best mean
 * valid-split batch recall@k on a dataset: the value a practitioner would
 * pick by tuning, chosen without looking at the test split. Null when none
 * of the runs has a valid recall.
 */
export function experimentsBestFixed(
  runs: readonly ExperimentsRun[],
  options: { family: "margin" | "softmax"; dataset: string; k?: number },
): string | null {
  const k = options.k ?? 10;
  const rows = experimentsAggregate(
    runs.filter((r) =>
      r.family === options.family && r.value !== null &&
      r.dataset === options.dataset && r.valid !== null
    ),
    { metric: `valid@${k}`, ci: "seeds" },
  ).filter((r) => Number.isFinite(r.mean));
  if (rows.length === 0) return null;
  return rows.reduce((best, r) => r.mean > best.mean ? r : best).name;
}

/**
 * A sentence on how much the fixed δ (or τ) matters: the range of the
 * metric over the family's fixed values, the best and worst value, and
 * whether they differ: with `runs` (batch metrics) by a paired comparison
 * ({@link experimentsCompare}), else by whether their intervals overlap;
 * and where the adaptive loss of the family ranks.
 */
export function experimentsSensitivityVerdict(
  rows: readonly ExperimentsRow[],
  options: {
    family: "margin" | "softmax";
    dataset?: string;
    runs?: readonly ExperimentsRun[];
  },
): string {
  const sym = options.family === "margin" ? "δ" : "τ";
  const fixed = rows.filter((r) =>
    r.family === options.family && r.value !== null && r.skipped === null &&
    (options.dataset === undefined || r.dataset === options.dataset)
  );
  if (fixed.length < 2) return `fixed ${sym}: fewer than two values were run`;
  const best = fixed.reduce((x, r) => r.mean > x.mean ? r : x);
  const worst = fixed.reduce((x, r) => r.mean < x.mean ? r : x);
  // With the runs, the best and the worst value are compared paired on the
  // same test queries (more sensitive than the overlap of the cells).
  const batchK = /^batch@(\d+)$/.exec(best.metric);
  const pick = (r: ExperimentsRow) =>
    options.runs?.filter((x) =>
      x.name === r.name && x.dataset === r.dataset && x.skipped === null
    ) ?? [];
  const paired = batchK && pick(best).length > 0 && pick(worst).length > 0
    ? experimentsCompare(pick(best), pick(worst), { k: Number(batchK[1]) })
    : null;
  const separation = paired
    ? `best − worst, paired: ${signed(paired.difference.mean)} [${
      signed(paired.difference.lo)
    }, ${signed(paired.difference.hi)}] (${
      paired.verdict === "better" ? "the choice matters" : "within noise"
    })`
    : `the intervals of the worst and best ${
      worst.hi < best.lo ? "do not overlap (the choice matters)" : "overlap"
    }`;
  const adaptive = rows.find((r) =>
    r.family === options.family && r.value === null && r.skipped === null &&
    (options.dataset === undefined || r.dataset === options.dataset)
  );
  const v = (x: number) =>
    options.family === "softmax" ? tauLabel(x) : String(x);
  const ref = adaptive
    ? `; ${adaptive.name}: ${adaptive.mean.toFixed(3)} [${
      adaptive.lo.toFixed(3)
    }, ${adaptive.hi.toFixed(3)}], ${
      adaptive.mean > best.mean
        ? "above every fixed value"
        : adaptive.mean < worst.mean
        ? "below every fixed value"
        : `between the worst and the best fixed value (rank ${
          1 + fixed.filter((r) => r.mean > adaptive.mean).length
        } of ${fixed.length + 1})`
    }`
    : "";
  return `fixed ${sym} (${best.dataset}, ${best.metric}): from ${
    worst.mean.toFixed(3)
  } (${sym} = ${v(worst.value!)}) to ${best.mean.toFixed(3)} (${sym} = ${
    v(best.value!)
  }), spread ${(best.mean - worst.mean).toFixed(3)}; ${separation}${ref}.`;
}

/**
 * The sensitivity section's sentences for one dataset: how much the fixed
 * δ and τ matter ({@link experimentsSensitivityVerdict}), and each adaptive
 * loss against the paper's default fixed value (δ = 0.1, τ = 1/30) and
 * against the best fixed value chosen on the valid split.
 */
export function experimentsSensitivityVerdicts(
  runs: readonly ExperimentsRun[],
  options: { dataset: string; k?: number },
): string[] {
  const k = options.k ?? 10;
  const mine = runs.filter((r) => r.dataset === options.dataset);
  const rows = experimentsAggregate(mine, { metric: `batch@${k}` });
  const lines: string[] = [];
  const families = [
    ["margin", "adaptive margin", "fixed δ=0.1"],
    ["softmax", "adaptive softmax", "fixed τ=1/30"],
  ] as const;
  for (const [family, adaptive, paperDefault] of families) {
    if (!rows.some((r) => r.family === family)) continue;
    lines.push(experimentsSensitivityVerdict(rows, { family, runs: mine }));
    const has = (name: string) =>
      mine.some((r) => r.name === name && r.skipped === null);
    if (!has(adaptive)) continue;
    if (has(paperDefault)) {
      lines.push(
        experimentsVerdict(mine, {
          candidate: adaptive,
          baseline: paperDefault,
          dataset: options.dataset,
          k,
        }),
      );
    }
    const best = experimentsBestFixed(mine, {
      family,
      dataset: options.dataset,
      k,
    });
    if (best !== null && best !== paperDefault) {
      lines.push(
        experimentsVerdict(mine, {
          candidate: adaptive,
          baseline: best,
          dataset: options.dataset,
          k,
        }) + ` (${best} is the best fixed value on the valid split)`,
      );
    }
  }
  return lines;
}

/**
 * The main table's sentences, per dataset: the adaptive margin against the
 * fixed margin δ = 0.1, the adaptive softmax against the fixed softmax
 * τ = 1/30, MGDSPR with the adaptive margin against MGDSPR, and the
 * adaptive margin against the strongest other method on the valid split.
 */
export function experimentsMainVerdicts(
  runs: readonly ExperimentsRun[],
  options: { k?: number } = {},
): string[] {
  const k = options.k ?? 10;
  const lines: string[] = [];
  const ours = new Set([
    "adaptive margin",
    "adaptive softmax",
    "MGDSPR + adaptive margin",
    "untrained",
  ]);
  for (const dataset of new Set(runs.map((r) => r.dataset))) {
    const mine = runs.filter((r) => r.dataset === dataset);
    const has = (name: string) =>
      mine.some((r) => r.name === name && r.skipped === null);
    const pairs: [string, string][] = [
      ["adaptive margin", "fixed δ=0.1"],
      ["adaptive softmax", "fixed τ=1/30"],
      ["MGDSPR + adaptive margin", "MGDSPR"],
    ];
    for (const [a, b] of pairs) {
      if (has(a) && has(b)) {
        lines.push(experimentsVerdict(mine, {
          candidate: a,
          baseline: b,
          dataset,
          k,
        }));
      }
    }
    const others = experimentsAggregate(
      mine.filter((r) => !ours.has(r.name) && r.valid !== null),
      { metric: `valid@${k}`, ci: "seeds" },
    ).filter((r) => r.skipped === null && Number.isFinite(r.mean));
    const best = others.length > 0
      ? others.reduce((x, r) => r.mean > x.mean ? r : x)
      : null;
    // Skip when the strongest other method is the fixed margin, already
    // compared above.
    if (
      has("adaptive margin") && best !== null &&
      !(best.name === "fixed δ=0.1" && has("fixed δ=0.1"))
    ) {
      lines.push(
        experimentsVerdict(mine, {
          candidate: "adaptive margin",
          baseline: best.name,
          dataset,
          k,
        }) + ` (${best.name} is the strongest other method on the valid split)`,
      );
    }
  }
  return lines;
}

/**
 * The ablation's sentences: every variant against its family's default
 * ("adaptive margin" or "adaptive softmax") on one dataset, paired.
 */
export function experimentsAblationVerdicts(
  runs: readonly ExperimentsRun[],
  options: { dataset: string; k?: number },
): string[] {
  const k = options.k ?? 10;
  const mine = runs.filter((r) => r.dataset === options.dataset);
  const names = [...new Set(mine.map((r) => r.name))];
  const defaults: Record<string, string> = {
    margin: "adaptive margin",
    softmax: "adaptive softmax",
  };
  const lines: string[] = [];
  for (const name of names) {
    const family = mine.find((r) => r.name === name)?.family;
    const base = family ? defaults[family] : undefined;
    if (!base || base === name || !names.includes(base)) continue;
    lines.push(experimentsVerdict(mine, {
      candidate: name,
      baseline: base,
      dataset: options.dataset,
      k,
    }));
  }
  return lines;
}

/**
 * What produced the numbers of a profile, as table rows: steps, batch,
 * seeds, intervals, the grids' values and methods, the datasets.
 */
export function experimentsProtocolRows(
  profile: ExperimentsProfile,
  seed: number,
): { item: string; value: string }[] {
  const s = experimentsSettings(profile);
  const cat = experimentsCatalogue(profile, seed);
  const sens = experimentsSensitivityGrid(profile);
  const main = experimentsMainTableGrid(profile);
  const abl = experimentsAblationGrid(profile);
  const values = (family: string) =>
    sens.filter((c) => c.family === family && c.value !== undefined).map((
      c,
    ) => family === "softmax" ? tauLabel(c.value!) : String(c.value)).join(
      ", ",
    );
  const seeds = experimentsSeeds(profile, seed);
  return [
    { item: "profile", value: profile },
    {
      item: "training",
      value:
        `${s.steps} steps of batch 350 (Adam, lr 1e-3, clip 3), lib/train's quick hash buckets; plain tower: word + letter-trigram bags → 64-d embeddings → tanh 256 → 128, plus item-id embedding`,
    },
    {
      item: "seeds",
      value: `${
        seeds.join(", ")
      } (training seed; the catalogue seed is ${seed})`,
    },
    {
      item: "intervals",
      value: seeds.length >= 3
        ? "95% Student-t over the seeds (table cells); paired bootstrap over test queries of the seed-averaged hits (comparisons)"
        : "95% percentile bootstrap over test queries, 1,000 resamples (cells and paired comparisons)",
    },
    {
      item: "benchmark",
      value:
        `synthetic, ${cat.numItems} items, ${cat.numQueries} queries, seed ${seed}`,
    },
    { item: "sensitivity: fixed δ", value: values("margin") },
    { item: "sensitivity: fixed τ", value: values("softmax") },
    {
      item: "main table",
      value: main.map((c) =>
        c.datasets ? `${c.name} (${c.datasets.join(", ")} only)` : c.name
      ).join("; "),
    },
    { item: "ablation", value: abl.map((c) => c.name).join("; ") },
  ];
}

/** Size rows of loaded datasets: items, queries, positives per split, users. */
export async function experimentsDatasetRows(
  specs: readonly ExperimentsDatasetSpec[],
): Promise<Record<string, string | number>[]> {
  const rows: Record<string, string | number>[] = [];
  for (const spec of specs) {
    const { ds } = await experimentsLoadDataset(spec);
    const positives = (split: string) => {
      let n = 0;
      for (let i = 0; i < ds.pairs.queryId.length; i++) {
        if (ds.pairs.split[i] === split && ds.pairs.relevance[i] >= 3) n++;
      }
      return n;
    };
    const queries = (split: string) =>
      ds.queries.split.filter((s) => s === split).length;
    rows.push({
      dataset: spec.name,
      items: ds.items.itemId.length,
      "train positives": positives("train"),
      "test positives": positives("test"),
      "test queries": queries("test"),
      "query text": ds.queries.text.every((t) => t.trim() === "")
        ? "none (user = query)"
        : "yes",
      users: ds.users?.userId.length ?? 0,
    });
  }
  return rows;
}
