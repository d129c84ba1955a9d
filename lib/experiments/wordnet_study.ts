/**
 * A large catalogue we did not generate (notebook 08): WordNet 3.0 as a
 * reverse dictionary, where a definition retrieves its synset out of
 * 117,659 and sister synsets under one hypernym are natural hard
 * negatives, so per-pair hardness varies for real. This module holds the
 * study's grid (the fixed margin over δ, and the adaptive margin, the
 * paper's headline method, over α), the dataset spec, the protocol rows
 * and the margins a trained run gives; the verdicts are those of notebook
 * 06 (`experimentsSensitivityPendings`, `experimentsKnobVerdicts`), so a
 * claim is tested here with the same code as on the other datasets.
 *
 * Only the margin family runs: a run trains for 700–4,000 steps (about 3
 * minutes on one core), and the softmax family would double a notebook
 * that already adds about a quarter to the full profile.
 *
 * @module
 */

import {
  type Dataset,
  joinPath,
  missingDatasetNote,
  type Profile,
} from "../data/mod.ts";
import { median } from "../eval/mod.ts";
import { loadRun } from "../train/mod.ts";
import { experimentsMethodGrid } from "./adaptive_method.ts";
import {
  checkProfile,
  type ExperimentsDatasetSpec,
  experimentsSettings,
} from "./benchmark.ts";
import {
  type ExperimentsConfig,
  experimentsFixedConfigs,
  experimentsK,
  type ExperimentsKOption,
  type ExperimentsRun,
} from "./grid.ts";
import {
  experimentsKnobConfigs,
  experimentsKnobSeries,
  type KnobSeries,
} from "./knob_sensitivity.ts";
import {
  experimentsBestFixed,
  experimentsBestOnValid,
} from "./main_experiments.ts";
import { experimentsPendingVerdict } from "./aggregate.ts";
import type { PendingVerdict } from "./statistics.ts";
import {
  EXPERIMENTS_RELATIONS,
  type ExperimentsPairValues,
  experimentsPairValues,
} from "./pair_values.ts";

/**
 * δ values of the fixed margin on WordNet (full profile; quick: 0.1), a
 * coarse log grid around the paper's 0.1: 0.3 and 1 because the best δ on
 * the other datasets' valid splits was 0.5–1; 0.03 because on WordNet the
 * best of those three was the smallest, 0.1, which left the tuned value at
 * the grid's edge.
 */
export const WORDNET_DELTAS: readonly number[] = [0.03, 0.1, 0.3, 1];

/**
 * How the WordNet runs differ from the profile's, and why:
 *
 * - `itemIdEmbedding: false`: every synset has one definition and the
 *   split is per synset, so no test synset is in a train pair and its
 *   item-id row would stay at its random initial value; measured (adaptive
 *   margin, seed 1): with the id table full-corpus recall@10 was 0.0015
 *   (800-step cap) and the tower had 15.7M parameters, without it 0.0105
 *   and 0.66M. The towers read the synset's lemmas and category instead.
 * - `evalEvery: 100`, `steps: 6000` (the cap): the valid split has 11,678
 *   queries and the best valid recall came at step 2,100 (seed 1), not
 *   within the benchmark's 800-step cap; the patience stays 6 evaluations
 *   (600 steps).
 */
export const WORDNET_TRAINING: Readonly<
  Pick<ExperimentsConfig, "tower" | "evalEvery" | "steps">
> = {
  tower: { kind: "plain", itemIdEmbedding: false },
  evalEvery: 100,
  steps: 6000,
};

/** WordNet as a dataset spec (`<dataDir>/wordnet`, name `"wordnet"`). */
export function experimentsWordnet(
  dataDir = "../data",
): ExperimentsDatasetSpec & { path: string } {
  return { name: "wordnet", path: joinPath(dataDir, "wordnet") };
}

/**
 * WordNet's spec if `deno task data wordnet` (or `deno task reproduce`,
 * where the system package is installed) has built it, else null with what
 * is missing and the command that brings it.
 */
export async function experimentsAvailableWordnet(
  dataDir = "../data",
): Promise<
  { dataset: ExperimentsDatasetSpec | null; note: string }
> {
  const spec = experimentsWordnet(dataDir);
  const missing = await missingDatasetNote(spec.path);
  return missing === null ? { dataset: spec, note: "" } : {
    dataset: null,
    note: `WordNet is not built (${missing}), so this notebook has no ` +
      "runs: `apt-get install wordnet-base`, then `deno task data wordnet` " +
      "(or `deno task reproduce`, which builds it when the package is " +
      "installed).",
  };
}

/**
 * α values of the adaptive margin on WordNet (full profile): the coarse α
 * grid of notebook 06's real-data sweeps (`experimentsRealSweep`), so the
 * question "does α take over δ's tuning?" is asked here as there.
 */
export const WORDNET_ALPHAS: readonly number[] = [0.1, 0.5, 2];

/**
 * The knob series of the WordNet study (for `experimentsKnobRows`,
 * `experimentsKnobChart` and `experimentsKnobVerdicts`): the fixed δ over
 * {@link WORDNET_DELTAS} and, in the full profile, the adaptive margin's α
 * over {@link WORDNET_ALPHAS} (its 0.5 point is the run "adaptive margin").
 * Quick: δ = 0.1 only.
 */
export function experimentsWordnetSeries(
  profile: Profile,
): KnobSeries[] {
  checkProfile(profile);
  const quick = profile === "quick";
  return experimentsKnobSeries(profile, {
    fixedDeltas: quick ? [0.1] : WORDNET_DELTAS,
    fixedTaus: [],
    alphas: WORDNET_ALPHAS,
  }).filter((s) =>
    s.family === "margin" &&
    (s.knob === "fixed δ" || (!quick && s.knob === "adaptive α"))
  );
}

/**
 * The WordNet grid: the fixed margin at each δ and the adaptive margin at
 * the paper's values and at each α of {@link experimentsWordnetSeries},
 * plain tower without the item-id table. `full` trains with
 * {@link WORDNET_TRAINING}'s cap and evaluation interval (early stopping as
 * the profile's); `quick` is a smoke run of δ = 0.1 and the adaptive margin
 * at the profile's 40 steps.
 */
export function experimentsWordnetGrid(
  profile: Profile,
): ExperimentsConfig[] {
  const series = experimentsWordnetSeries(profile);
  const deltas = series.find((s) => s.knob === "fixed δ")!.points.map((p) =>
    p.value
  );
  const adaptive = experimentsMethodGrid().filter((c) =>
    c.name === "adaptive margin"
  );
  const budget = profile === "quick"
    ? {}
    : { evalEvery: WORDNET_TRAINING.evalEvery, steps: WORDNET_TRAINING.steps };
  return [
    ...experimentsFixedConfigs({ deltas, taus: [] }),
    ...adaptive,
    ...experimentsKnobConfigs(series, adaptive),
  ].map((c) => ({
    ...c,
    group: "wordnet",
    // Every config here is the plain tower; only the id table goes.
    tower: WORDNET_TRAINING.tower,
    ...budget,
    datasets: ["wordnet"],
  }));
}

/**
 * What produced notebook 08's numbers, as table rows (setting, value):
 * the task, the tower, the grid, the budget, the seeds and the metrics.
 */
export function experimentsWordnetProtocolRows(
  profile: Profile,
  options: { seeds: readonly number[] },
): { setting: string; value: string }[] {
  const settings = experimentsSettings(profile);
  const es = settings.earlyStopping;
  const grid = experimentsWordnetGrid(profile);
  const cap = grid[0].steps ?? settings.steps;
  const every = grid[0].evalEvery ?? settings.evalEvery;
  return [
    {
      setting: "task",
      value:
        "a definition (gloss without its examples) retrieves its synset out of all 117,659; one pair per synset, split per synset (10% valid, 10% test)",
    },
    {
      setting: "tower",
      value:
        "plain, hashed text features of the lemmas and category, no item-id table",
    },
    { setting: "configs", value: grid.map((c) => c.name).join(", ") },
    {
      setting: "budget",
      value: es
        ? `early stopping on valid batch recall@${
          es.metric.split("@")[1]
        } every ${every} steps, patience ${es.patience} evaluations (min rise ${es.minDelta}), cap ${cap} steps; test metrics from the best-valid weights`
        : `${cap} steps per run (smoke run: not evidence)`,
    },
    { setting: "seeds", value: options.seeds.join(", ") },
    {
      setting: "metrics",
      value:
        "test batch recall@10 (batches of 350 pairs, as in the paper) and full-corpus recall@10 and NDCG@10 over all 117,659 synsets; paired per-query tests, Holm-adjusted within each list of sentences",
    },
  ];
}

/**
 * Tuned against tuned: the adaptive margin at the α with the best mean
 * valid batch recall@k against the fixed margin at the best δ, both
 * chosen on the valid split as a practitioner would, as a pending verdict
 * for `experimentsVerdictList` (batch recall and the full corpus). Null
 * when either side has no run with a valid recall.
 */
export function experimentsWordnetTunedPending(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption = {},
): PendingVerdict | null {
  const k = experimentsK(options);
  const dataset = "wordnet";
  const bestDelta = experimentsBestFixed(runs, {
    family: "margin",
    dataset,
    k,
  });
  const bestAlpha = experimentsBestOnValid(runs, {
    dataset,
    k,
    where: (r) => r.family === "margin" && r.value === null,
  });
  if (bestDelta === null || bestAlpha === null) return null;
  return experimentsPendingVerdict(runs, {
    candidate: bestAlpha,
    baseline: bestDelta,
    dataset,
    k,
    suffix:
      ` (each the best of its family on the valid split: tuned α against tuned δ)`,
  });
}

/** One row of {@link experimentsWordnetMarginRows}. */
export interface WordnetMarginRow {
  /** Which negatives. */
  negatives: string;
  /** How many (positive, negative) pairs. */
  pairs: number;
  /** Median s(v_b, v_j): the negative's similarity to the positive. */
  "median s(v, v_j)": number;
  /** Median δ_j. */
  "median δ_j": number;
  /** Share of the group whose δ_j is below `below` (the paper's δ). */
  "share δ_j < δ": number;
}

/**
 * The margins δ_j the adaptive margin gives the test negatives of a
 * trained run: the weights its test metrics come from are loaded (the
 * best-valid ones of an early-stopped run), the items of the first
 * `batches` test batches are encoded and every (positive, negative) pair
 * of a batch gets δ_j from `adaptiveMargin` with the loss options the run
 * trained with
 * ({@link experimentsPairValues}, the function notebook 03 uses). Rows:
 * all negatives, those in the positive's lexicographer file and the
 * others, and the hardest 1% by the query's score s(q_b, v_j), the
 * negatives that compete for the top ranks; each with the median
 * similarity to the positive, the median δ_j and the share of δ_j below
 * `options.below` (default 0.1, the paper's fixed δ).
 */
export async function experimentsWordnetMarginRows(
  run: Pick<ExperimentsRun, "dir" | "name">,
  data: { ds: Dataset },
  options: { batches?: number; below?: number } = {},
): Promise<WordnetMarginRow[]> {
  if (run.dir === null) {
    throw new RangeError(
      `experimentsWordnetMarginRows: run "${run.name}" has no folder (skipped)`,
    );
  }
  // "auto": the best-valid weights of an early-stopped run (the ones its
  // test metrics come from), the last of a quick one.
  const loaded = await loadRun(run.dir, { data: data.ds, weights: "auto" });
  let pv: ExperimentsPairValues;
  try {
    pv = experimentsPairValues(loaded.model, {
      ds: data.ds,
      inputs: loaded.inputs,
    }, {
      // The loss options the run trained with (its resolved config).
      loss: loaded.config.loss,
      minRelevance: loaded.config.minRelevance,
      split: "test",
      batches: options.batches ?? 4,
    });
  } finally {
    loaded.model.dispose();
  }
  return experimentsWordnetMarginSummary(pv, {
    below: options.below ?? 0.1,
  });
}

/** The rows of {@link experimentsWordnetMarginRows} from pair values. */
export function experimentsWordnetMarginSummary(
  pv: ExperimentsPairValues,
  options: { below: number },
): WordnetMarginRow[] {
  const { below } = options;
  const n = pv.value.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const sameFile = EXPERIMENTS_RELATIONS.indexOf("same sub-category");
  // The top 1% of query scores over all pairs of the batches.
  const scores = Float32Array.from(pv.queryScore).sort();
  const cut = scores[Math.min(n - 1, Math.floor(0.99 * n))];
  const groups: [string, number[]][] = [
    ["all", all],
    [
      "same lexicographer file",
      all.filter((i) => pv.relation[i] === sameFile),
    ],
    ["other files", all.filter((i) => pv.relation[i] !== sameFile)],
    [
      "hardest 1% by the query's score",
      all.filter((i) => pv.queryScore[i] >= cut),
    ],
  ];
  return groups.filter(([, idx]) => idx.length > 0).map(([negatives, idx]) => ({
    negatives,
    pairs: idx.length,
    "median s(v, v_j)": median(idx.map((i) => pv.similarity[i])),
    "median δ_j": median(idx.map((i) => pv.value[i])),
    "share δ_j < δ": idx.filter((i) => pv.value[i] < below).length /
      idx.length,
  }));
}
