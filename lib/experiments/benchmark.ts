/**
 * What the adaptive-method (notebook 03) and main experiments (notebook 06)
 * run on: the size profiles, the benchmark catalogue (the synthetic
 * generator made harder, with the reason for each knob), the real
 * datasets that are built, and the loading of a dataset spec.
 *
 * @module
 */

import {
  absolutePath,
  type Dataset,
  generateSyntheticWithTruth,
  isProfile,
  joinPath,
  lacksQueryText,
  missingDatasetNote,
  type Profile,
  profileChoices,
  readDataset,
  RELEVANCE,
  SOURCE_NAMES,
  stableJson,
  SYNTHETIC_PROFILES,
  SYNTHETIC_VERSION,
  type SyntheticOptions,
  type SyntheticTruth,
} from "../data/mod.ts";
import { datasetContentHash, type EarlyStoppingConfig } from "../train/mod.ts";
import { DEFAULT_BOOTSTRAP_SAMPLES } from "../eval/mod.ts";

// ------------------------------------------------------------ settings

/** What a profile fixes for every experiment run. */
export interface ExperimentsSettings {
  /** The profile. */
  profile: Profile;
  /** Training steps of every run (batch 350); with `earlyStopping`, the cap. */
  steps: number;
  /** Valid-split batch recall every this many steps (training curves). */
  evalEvery: number;
  /** Early stopping on the valid split (`lib/train`'s option), or null: train all `steps`. */
  earlyStopping: EarlyStoppingConfig | null;
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
 * wasm thread) and batches of 350.
 *
 * - `quick` is smoke-scale: 40 steps (≈3.6 epochs of the benchmark), 1
 *   seed, the smaller grids. It shows that everything runs; its numbers are
 *   not evidence.
 * - `full` trains every run to convergence: **early stopping on the valid
 *   split** (valid batch recall@10 every 25 steps; stop after 6 evaluations,
 *   150 steps, without a rise of 0.002; cap 800 steps), test metrics from
 *   the best-valid weights, 3 seeds, every grid point, baseline and dataset.
 *   Three seeds, not five, to fit the profile's two hours on two cores:
 *   at five the runs of 03, 06 and 07 alone took 344 core-minutes (each
 *   run's recorded time, added), the whole profile about 3 h 15 min, and
 *   convergence cannot be bought back by training less; results/full at
 *   commit 863f41f holds the five-seed publication.
 *   Sized from the learning curves of notebook 06 (cap 1,500, patience 200
 *   steps, seed 1): the best valid recall came at step 50–300 on the
 *   benchmark (median 88) and 100–475 on MovieLens (median 262), so a run
 *   stops well before the cap; a run that reaches it says so (`stopReason`
 *   "cap").
 */
export function experimentsSettings(
  profile: Profile,
): ExperimentsSettings {
  checkProfile(profile);
  return profile === "quick"
    ? {
      profile,
      steps: 40,
      evalEvery: 10,
      earlyStopping: null,
      seeds: 1,
      bootstrapSamples: DEFAULT_BOOTSTRAP_SAMPLES,
      snapshots: [0, 10, 40],
    }
    : {
      profile,
      steps: 800,
      evalEvery: 25,
      earlyStopping: { metric: "recall@10", patience: 6, minDelta: 0.002 },
      seeds: 3,
      bootstrapSamples: DEFAULT_BOOTSTRAP_SAMPLES,
      // Every run lasts at least 25 + 6·25 = 175 steps, so each snapshot
      // comes before early stopping can end a run; the run's best-valid
      // model is recorded as well (grid.ts).
      snapshots: [0, 25, 100, 150],
    };
}

/**
 * The seeds of a profile's runs: `base`, `base + 1`, …, as many as the
 * profile's `seeds` or `options.count` (`reproduce --seeds N`, read in a
 * notebook with `seedCount()`). Throws a `RangeError` for a count that is
 * not an integer ≥ 1.
 */
export function experimentsSeeds(
  profile: Profile,
  base: number,
  options: { count?: number } = {},
): number[] {
  const n = options.count ?? experimentsSettings(profile).seeds;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(
      `experimentsSeeds: count must be an integer ≥ 1, got ${n}`,
    );
  }
  return Array.from({ length: n }, (_, i) => base + i);
}

/** The seeds as a notebook's setup line names them: "seed 1", "seeds 1, 2, 3". */
export function experimentsSeedLabel(seeds: readonly number[]): string {
  return seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds.join(", ")}`;
}

/**
 * A profile's training budget in words: "early stopping on valid
 * recall@10 (cap 400 steps)", or "40 steps per run" without early stopping.
 */
export function experimentsBudgetText(settings: ExperimentsSettings): string {
  return settings.earlyStopping
    ? `early stopping on valid recall@10 (cap ${settings.steps} steps)`
    : `${settings.steps} steps per run`;
}

/**
 * What a verdict cell appends in the quick profile, whose runs are too short
 * to be evidence: "(Quick profile: 40 steps, so these sentences describe a
 * smoke run, not the method.)" after a blank line; "" in the full profile.
 */
export function experimentsQuickCaveat(profile: Profile): string {
  if (profile !== "quick") return "";
  const steps = experimentsSettings("quick").steps;
  return `\n\n(Quick profile: ${steps} steps, so these sentences describe a smoke run, not the method.)`;
}

/** Throws a `RangeError` unless `profile` names a profile. */
export function checkProfile(
  profile: unknown,
): asserts profile is Profile {
  if (!isProfile(profile)) {
    throw new RangeError(
      `experiments: profile must be ${profileChoices('"')}, got ${
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
  profile: Profile,
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
  profile: Profile,
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
  profile: Profile,
  seed: number,
): ExperimentsDatasetSpec {
  return { name: "benchmark", synthetic: experimentsCatalogue(profile, seed) };
}

/** The real datasets `deno task data` builds, as specs (`<dataDir>/<name>`). */
export function experimentsRealDatasets(
  dataDir = "../data",
): ExperimentsDatasetSpec[] {
  return SOURCE_NAMES.map((name) => ({
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

/**
 * Loads (and caches in this process) a dataset spec; a folder is read and
 * validated with `readDataset`, a synthetic spec generated with its truth.
 */
export function experimentsLoadDataset(
  spec: ExperimentsDatasetSpec,
): Promise<ExperimentsData> {
  const key = stableJson(
    "path" in spec ? { ...spec, path: absolutePath(spec.path) } : spec,
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
      const ds = await readDataset(absolutePath(spec.path));
      return { name: spec.name, ds, truth: null, hash: datasetContentHash(ds) };
    })();
    pending.catch(() => dataCache.delete(key));
    dataCache.set(key, pending);
  }
  return pending;
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
        if (
          ds.pairs.split[i] === split &&
          ds.pairs.relevance[i] >= RELEVANCE.exact
        ) n++;
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
      "query text": lacksQueryText(ds) ? "none (user = query)" : "yes",
      users: ds.users?.userId.length ?? 0,
    });
  }
  return rows;
}
