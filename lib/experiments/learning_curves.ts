/**
 * Learning curves (notebook 06, "How long to train"): every loss family
 * and each baseline's own objective trained with early stopping on the
 * valid split, its valid batch recall recorded every few steps, and where
 * each stops improving. The other sections train for a fixed budget
 * ({@link experimentsSettings}); these curves say whether that budget
 * reaches convergence, per dataset.
 *
 * A run stops when valid recall@10 has not improved by `minDelta` for
 * `patience` evaluations, or at the cap; its test metrics come from the
 * best-valid weights (`lib/train`'s early stopping). The curves are run
 * with one seed (they size the budget; the verdicts elsewhere carry the
 * seeds); `experimentsCurveRows` (`aggregate.ts`) turns them into chart
 * rows. The quick profile's cap is smoke-scale: its curves show the
 * machinery, not convergence.
 *
 * @module
 */

import { ADAP_TAU_LOSS } from "./baselines.ts";
import { median } from "../eval/mod.ts";
import type { ValidRow } from "../train/mod.ts";
import { checkProfile, experimentsSettings } from "./benchmark.ts";
import {
  EXPERIMENTS_PLAIN,
  type ExperimentsConfig,
  experimentsK,
  type ExperimentsKOption,
  type ExperimentsRun,
  fixedMarginName,
  fixedSoftmaxName,
  gridConfigs,
} from "./grid.ts";
import type { Profile } from "../data/mod.ts";

/** The early-stopping budget of the learning curves of one profile. */
export interface CurveBudget {
  /** Most steps a run may train. */
  cap: number;
  /** Steps between valid evaluations. */
  evalEvery: number;
  /** Evaluations without improvement before a run stops. */
  patience: number;
  /** Smallest rise of valid recall@10 that counts as an improvement. */
  minDelta: number;
  /** The fixed budget the curves are held against: the quick profile's steps. */
  compareAt: number;
}

/**
 * The budget of a profile's curves. Full: the full profile's own early
 * stopping ({@link experimentsSettings}: cap 800, every 25 steps, patience
 * 6, min rise 0.002), so the curves are the seed-`base` runs of the verdict
 * grids and the cache trains each once. Quick: a smoke-scale cap of 60
 * steps, every 10, patience 2. Both are held against the quick profile's
 * 40 steps.
 */
export function experimentsCurveBudget(
  profile: Profile,
): CurveBudget {
  checkProfile(profile);
  const compareAt = experimentsSettings("quick").steps;
  if (profile === "quick") {
    return { cap: 60, evalEvery: 10, patience: 2, minDelta: 0, compareAt };
  }
  const s = experimentsSettings(profile);
  const es = s.earlyStopping!;
  return {
    cap: s.steps,
    evalEvery: s.evalEvery,
    patience: es.patience,
    minDelta: es.minDelta,
    compareAt,
  };
}

/**
 * The learning-curve grid: fixed margin at δ ∈ {0.05, 0.1, 0.3}, fixed
 * softmax at τ ∈ {0.01, 1/30, 0.1} (points of the sensitivity sweep, so the
 * benchmark's runs are shared), the adaptive margin and softmax (plain
 * tower), and the baselines with their own towers and objectives (DSSM,
 * DPSR, MGDSPR, Adap-τ). Quick: the plain-tower losses on the benchmark
 * only; full: everything on every dataset.
 */
export function experimentsCurveGrid(
  profile: Profile,
): ExperimentsConfig[] {
  const b = experimentsCurveBudget(profile);
  const quick = profile === "quick";
  const c = gridConfigs("curves", {
    steps: b.cap,
    evalEvery: b.evalEvery,
    earlyStopping: {
      metric: "recall@10",
      patience: b.patience,
      minDelta: b.minDelta,
    },
    ...(quick ? { datasets: ["benchmark"] } : {}),
  });
  const fixed = [
    ...[0.05, 0.1, 0.3].map((delta) =>
      c(fixedMarginName(delta), EXPERIMENTS_PLAIN, {
        kind: "margin",
        margin: delta,
      }, {
        family: "margin",
        value: delta,
      })
    ),
    ...[0.01, 1 / 30, 0.1].map((tau) =>
      c(fixedSoftmaxName(tau), EXPERIMENTS_PLAIN, {
        kind: "softmax",
        temperature: tau,
      }, { family: "softmax", value: tau })
    ),
  ];
  const adaptive = [
    c("adaptive margin", EXPERIMENTS_PLAIN, { kind: "adaptive-margin" }, {
      family: "margin",
    }),
    c("adaptive softmax", EXPERIMENTS_PLAIN, { kind: "adaptive-softmax" }, {
      family: "softmax",
    }),
  ];
  const baselines = [
    c("DSSM", { kind: "dssm" }, { kind: "dssm-softmax" }),
    c("DPSR", { kind: "dpsr" }, { kind: "dpsr-hinge" }),
    c("MGDSPR", { kind: "mgdspr" }, { kind: "mgdspr" }),
    c("Adap-τ", EXPERIMENTS_PLAIN, { ...ADAP_TAU_LOSS }),
  ];
  return [...fixed, ...adaptive, ...(quick ? [] : baselines)];
}

/** Where one run's valid recall stopped improving. */
export interface ConvergenceRow {
  /** Dataset. */
  dataset: string;
  /** Config name. */
  method: string;
  /** Step of the best valid recall@k (the weights the test metrics use). */
  bestStep: number | null;
  /** Step at which training stopped. */
  stoppedAt: number | null;
  /** "patience" (stopped improving) or "cap" (still improving at the cap). */
  reason: string;
  /** Best valid recall@k. */
  bestValid: number;
  /** Valid recall@k at the last evaluation at or before `budget` steps. */
  atBudget: number;
  /** The step of that evaluation (`budget` when it falls on one; NaN if none). */
  atBudgetStep: number;
  /** `atBudget` / `bestValid`. */
  shareAtBudget: number;
}

/**
 * One row per run (the curves are run with one seed): its best step, stop
 * step and reason, and how far the fixed budget of the other sections
 * (`budget` steps) got towards its best valid recall.
 */
export function experimentsConvergenceRows(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption & { budget: number },
): ConvergenceRow[] {
  const k = experimentsK(options);
  return runs.filter((r) => r.skipped === null).map((r) => {
    const log: ValidRow[] = r.validLog ?? [];
    const best = log.reduce(
      (b, v) => (v.recall[k] > b ? v.recall[k] : b),
      -Infinity,
    );
    const upTo = log.filter((v) => v.step <= options.budget).at(-1);
    const atBudget = upTo ? upTo.recall[k] : NaN;
    const es = r.earlyStopping ?? null;
    return {
      dataset: r.dataset,
      method: r.name,
      bestStep: es?.bestStep ?? null,
      stoppedAt: es?.stoppedAt ?? null,
      reason: es?.stopReason ?? "—",
      bestValid: best,
      atBudget,
      atBudgetStep: upTo ? upTo.step : NaN,
      shareAtBudget: atBudget / best,
    };
  });
}

/** {@link ConvergenceRow}s as the notebook's table: labelled columns. */
export function experimentsConvergenceTable(
  rows: readonly ConvergenceRow[],
  options: { budget: number },
): Record<string, string | number | null>[] {
  const at = budgetLabel(rows, options.budget);
  return rows.map((r) => ({
    dataset: r.dataset,
    method: r.method,
    "best step": r.bestStep,
    "stopped at": r.stoppedAt,
    "why": r.reason,
    "best valid@10": r.bestValid,
    [`valid@10 ${at}`]: r.atBudget,
    "share of best": r.shareAtBudget,
  }));
}

/**
 * A sentence per dataset on what the curves say about the fixed budget:
 * the median step of the best valid recall, how many runs were still
 * improving at the cap, and how many were below `threshold` (default
 * 0.95) of their best at `budget` steps.
 */
export function experimentsConvergenceVerdicts(
  rows: readonly ConvergenceRow[],
  options: { budget: number; threshold?: number },
): string[] {
  const threshold = options.threshold ?? 0.95;
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  return datasets.map((dataset) => {
    const mine = rows.filter((r) => r.dataset === dataset);
    const steps = mine.map((r) => r.bestStep).filter((s): s is number =>
      s !== null
    );
    const atCap = mine.filter((r) => r.reason === "cap");
    const short = mine.filter((r) => r.shareAtBudget < threshold);
    const range = steps.length > 0
      ? `median ${median(steps)} (range ${Math.min(...steps)}–${
        Math.max(...steps)
      })`
      : "unknown";
    const capText = atCap.length === 0
      ? "every run stopped improving before the cap"
      : `${atCap.length} still improving at the cap (${
        atCap.map((r) => r.method).join(", ")
      }), so their best is a lower bound`;
    return `**${dataset}**: best valid recall@10 at step ${range} over ${mine.length} runs; ${capText}; ${
      budgetLabel(mine, options.budget, " steps")
    }, ${short.length} of ${mine.length} were below ${
      Math.round(threshold * 100)
    }% of their best${
      short.length > 0 ? ` (${short.map((r) => r.method).join(", ")})` : ""
    }.`;
  });
}

// "at 40" when the evaluations fall on the budget step; else says which
// evaluation stands for it ("by 40 (step 25)": the last one at or before).
function budgetLabel(
  rows: readonly ConvergenceRow[],
  budget: number,
  unit = "",
): string {
  const steps = [
    ...new Set(rows.map((r) => r.atBudgetStep).filter(Number.isFinite)),
  ];
  if (steps.every((s) => s === budget)) return `at ${budget}${unit}`;
  return steps.length === 1
    ? `by ${budget}${unit} (step ${steps[0]})`
    : `by ${budget}${unit} (last evaluation before it)`;
}
