/**
 * What notebook 02 reports of the collapse runs (`collapse.ts`): one
 * summary row per run (start and final health, recalls, whether and when
 * it collapsed and recovered), the verdict on the paper's two collapse
 * claims written from those numbers, and the whole experiment
 * ({@link collapseExperiment}: every variant run, summarised, judged).
 *
 * @module
 */

import { firstRepeat } from "../data/mod.ts";
import type { OptionValue, TrainConfig } from "../train/mod.ts";
import {
  CollapseError,
  type CollapseHealthRow,
  type CollapseInit,
  collapseRun,
  type CollapseRunOptions,
  type CollapseRunResult,
  type CollapseVariant,
} from "./collapse.ts";

/** One row of {@link collapseSummary}. */
export interface CollapseSummaryRow {
  /** Run label. */
  run: string;
  /** How it started. */
  init: CollapseInit;
  /** Loss kind. */
  loss: string;
  /** The loss's `stopGradient` (null for a loss without it). */
  stopGradient: boolean | null;
  /** The loss's `symmetric` (null for a loss without it). */
  symmetric: boolean | null;
  /** The loss's α (null for a loss without it). */
  alpha: number | null;
  /** Steps trained. */
  steps: number;
  /** Mean item cosine at step 0. */
  startCosine: number;
  /** Mean item cosine at the end. */
  finalCosine: number;
  /** Uniformity at the end. */
  finalUniformity: number;
  /** Effective rank at the end. */
  finalEffectiveRank: number;
  /** Mean training loss of the last segment. */
  finalLoss: number | null;
  /** Valid batch recall@10 at the end (null when not recorded). */
  validRecall: number | null;
  /** Test batch recall@10 at the end (null when unavailable). */
  testRecall: number | null;
  /** Final mean item cosine ≥ the collapse threshold. */
  collapsed: boolean;
  /** First measured step with mean item cosine ≥ the threshold (null: never). */
  collapseStep: number | null;
  /** First measured step back below the threshold after a collapsed one (null: never). */
  recoverStep: number | null;
}

/**
 * The final mean item cosine from which a run counts as collapsed when the
 * caller names none: half-way to every item having one direction.
 */
export const COLLAPSE_THRESHOLD = 0.5;

/** Options of {@link collapseSummary} and {@link collapseVerdict}. */
export interface CollapseVerdictOptions {
  /** A run counts as collapsed when its final mean item cosine is at least this (default {@link COLLAPSE_THRESHOLD}). */
  threshold?: number;
}

/** Result of {@link collapseExperiment}. */
export interface CollapseExperiment {
  /** The runs, in the order of the variants. */
  runs: CollapseRunResult[];
  /** All health rows (for `lib/plot`'s `embeddingHealth`). */
  rows: CollapseHealthRow[];
  /** One summary row per run. */
  summary: CollapseSummaryRow[];
  /** The verdict sentence, computed from the summary. */
  verdict: string;
}

function lossOption<T>(config: TrainConfig, name: string): T | null {
  const options: Readonly<Record<string, OptionValue>> = config.loss;
  return name in options ? options[name] as T : null;
}

function crossings(
  rows: readonly CollapseHealthRow[],
  threshold: number,
): { collapseStep: number | null; recoverStep: number | null } {
  let collapseStep: number | null = null, recoverStep: number | null = null;
  for (const r of rows) {
    if (collapseStep === null && r.meanCosine >= threshold) {
      collapseStep = r.step;
    } else if (collapseStep !== null && r.meanCosine < threshold) {
      recoverStep = r.step;
      break;
    }
  }
  return { collapseStep, recoverStep };
}

/** One summary row per run: start and final health, recalls, collapsed or not. */
export function collapseSummary(
  runs: readonly CollapseRunResult[],
  options: CollapseVerdictOptions = {},
): CollapseSummaryRow[] {
  const threshold = options.threshold ?? COLLAPSE_THRESHOLD;
  return runs.map((r) => {
    if (r.rows.length === 0) {
      throw new CollapseError(`run "${r.name}" has no health rows`);
    }
    const first = r.rows[0], last = r.rows[r.rows.length - 1];
    return {
      run: r.name,
      init: r.init,
      loss: r.config.loss.kind,
      stopGradient: lossOption<boolean>(r.config, "stopGradient"),
      symmetric: lossOption<boolean>(r.config, "symmetric"),
      alpha: lossOption<number>(r.config, "alpha"),
      steps: r.steps,
      startCosine: first.meanCosine,
      finalCosine: last.meanCosine,
      finalUniformity: last.uniformity,
      finalEffectiveRank: last.effectiveRank,
      finalLoss: last.loss,
      validRecall: last.recall ?? null,
      testRecall: r.testRecall,
      collapsed: last.meanCosine >= threshold,
      ...crossings(r.rows, threshold),
    };
  });
}

const f3 = (x: number) => x.toFixed(3);

function recallNote(a: CollapseSummaryRow, b: CollapseSummaryRow): string {
  if (a.testRecall === null || b.testRecall === null) return "";
  return ` (test batch recall@10 ${f3(a.testRecall)} vs ${f3(b.testRecall)})`;
}

/**
 * The verdict on the paper's two collapse claims, from the summary rows of
 * adaptive-loss runs (others are ignored), each tested only when both runs
 * it needs are present:
 * 1. from a normal start the naive heuristic collapses and the
 *    stop-gradient prevents it (no symmetric term: sg off vs on);
 * 2. from the collapsed start the stop-gradient alone does not recover and
 *    the symmetric term does (sg on: symmetric off vs on).
 * A run counts as collapsed when its final mean item cosine is at least
 * `threshold` (default 0.5). Says "supported" or "not supported" with the
 * numbers, or that the runs for a claim are missing, and which metric the
 * recalls it quotes are (test batch recall@10: the collapse runs have no
 * full-corpus evaluation).
 */
export function collapseVerdict(
  summary: readonly CollapseSummaryRow[],
  options: CollapseVerdictOptions = {},
): string {
  const threshold = options.threshold ?? COLLAPSE_THRESHOLD;
  const find = (init: CollapseInit, sg: boolean, sym: boolean) =>
    summary.find((s) =>
      s.init === init && s.stopGradient === sg && s.symmetric === sym
    );
  const isCollapsed = (s: CollapseSummaryRow) => s.finalCosine >= threshold;
  const state = (s: CollapseSummaryRow) =>
    `${f3(s.finalCosine)} (${isCollapsed(s) ? "collapsed" : "not collapsed"})`;
  const parts: string[] = [];

  const naive = find("normal", false, false),
    fixed = find("normal", true, false);
  if (naive && fixed) {
    const ok = isCollapsed(naive) && !isCollapsed(fixed);
    parts.push(
      `Claim 1 (the naive adaptive margin collapses, the stop-gradient prevents it) is ${
        ok ? "supported" : "not supported"
      }: from a normal start (mean item cosine ${
        f3(naive.startCosine)
      }), without the symmetric term, the final mean item cosine is ${
        state(naive)
      } without the stop-gradient and ${state(fixed)} with it${
        recallNote(naive, fixed)
      }.`,
    );
  } else {
    parts.push(
      "Claim 1 not tested: it needs the normal-start runs without the symmetric term, with and without the stop-gradient.",
    );
  }

  const alone = find("collapsed", true, false);
  const both = find("collapsed", true, true);
  if (alone && both) {
    const ok = isCollapsed(alone) && !isCollapsed(both);
    const left = (s: CollapseSummaryRow) =>
      s.recoverStep === null ? "never" : `at step ${s.recoverStep}`;
    let note = "";
    if (!isCollapsed(alone) && !isCollapsed(both)) {
      const a = alone.recoverStep ?? Infinity, b = both.recoverStep ?? Infinity;
      note = ` Both runs left the collapsed state, without the symmetric term ${
        left(alone)
      } and with it ${left(both)}${
        b < a
          ? ": the symmetric term sped the recovery up rather than enabling it"
          : ""
      }.`;
    } else if (!ok) {
      note = ` Without the symmetric term the run left the collapsed state ${
        left(alone)
      }, with it ${left(both)}.`;
    }
    parts.push(
      `Claim 2 (from a bad start the stop-gradient alone does not prevent collapse, the symmetric term does) is ${
        ok ? "supported" : "not supported"
      }: from the collapsed start (mean item cosine ${
        f3(alone.startCosine)
      }), with the stop-gradient, the final mean item cosine is ${
        state(alone)
      } without the symmetric term and ${state(both)} with it${
        recallNote(alone, both)
      }.${note}`,
    );
  } else {
    parts.push(
      "Claim 2 not tested: it needs the collapsed-start runs with the stop-gradient, with and without the symmetric term.",
    );
  }
  parts.push(
    `(Collapsed: final mean item cosine ≥ ${threshold}; ${
      summary[0] ? `${summary[0].steps} steps` : "no runs"
    }. The claims rest on the embedding health; the recalls in brackets are test batch recall@10 only, single runs without a paired test: these runs have no full-corpus evaluation.)`,
  );
  return parts.join(" ");
}

/**
 * Runs every variant ({@link collapseRun}, one after the other) and
 * returns the health rows of all of them, the summary and the verdict.
 */
export async function collapseExperiment(
  variants: readonly CollapseVariant[],
  options: CollapseRunOptions & CollapseVerdictOptions,
): Promise<CollapseExperiment> {
  if (variants.length === 0) {
    throw new CollapseError("collapseExperiment: no variants");
  }
  const twice = firstRepeat(variants.map((v) => v.name));
  if (twice !== undefined) {
    throw new CollapseError(
      `collapseExperiment: two variants are named "${twice}"`,
    );
  }
  const runs: CollapseRunResult[] = [];
  for (const v of variants) runs.push(await collapseRun(v, options));
  const summary = collapseSummary(runs, options);
  return {
    runs,
    rows: runs.flatMap((r) => r.rows),
    summary,
    verdict: collapseVerdict(summary, options),
  };
}

/**
 * Where each run's numbers come from: steps, whether they were read from
 * the cache, the seconds it took when trained, and its folder's name
 * (inside the experiment's `outDir`; never the absolute path, which names
 * the machine the notebook ran on).
 */
export function collapseRunsTable(
  experiment: CollapseExperiment,
): {
  run: string;
  steps: number;
  cached: boolean;
  seconds: number;
  folder: string;
}[] {
  return experiment.runs.map((r) => ({
    run: r.name,
    steps: r.steps,
    cached: r.cached,
    seconds: Math.round(r.seconds * 10) / 10,
    folder: r.dir.split(/[\\/]/).filter((x) => x !== "").pop() ?? "",
  }));
}

/** The health rows of the runs with one start (for one chart per start). */
export function collapseRowsOf(
  experiment: CollapseExperiment,
  options: { init: CollapseInit },
): CollapseHealthRow[] {
  return experiment.rows.filter((r) => r.init === options.init);
}
