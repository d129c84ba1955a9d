/**
 * What the baseline notebooks show of a grid's rows (`baselines.ts`):
 * tables of the metrics with their intervals and of the embedding health,
 * rows for `lib/plot`'s charts, and the verdicts: paired per-query
 * differences of two runs on the same test queries (`statistics.ts`) and
 * the sentences written from them, for every comparison the grid allows.
 * The sentences of one list are one family of tests: their p-values are
 * Holm-adjusted together (`statistics.ts`), and each sentence says what
 * batch recall and the full-corpus metrics say, and whether they disagree.
 *
 * @module
 */

import { hitsAt, type Interval } from "../eval/mod.ts";
import { type BaselineVariant } from "./baselines.ts";
import { type BaselineRow, NAN_INTERVAL } from "./baseline_runs.ts";
import type { PerQueryValues } from "./evaluate.ts";
import {
  differenceText,
  familyList,
  familyOutcome,
  fixedText,
  intervalText,
  pairedDifference,
  type PendingVerdict,
  pHolmText,
  sentenceOf,
  writeFamily,
} from "./statistics.ts";
import { DEFAULT_DIGITS } from "../plot/mod.ts";

// Differences in verdict sentences: typographic minus, and an interval end
// just beside 0 keeps a digit of its own.
const TYPESET = { style: "typeset" } as const;

/** A metric the table, chart and verdict helpers know. */
export type BaselineMetric =
  | "batchRecall@1"
  | "batchRecall@5"
  | "batchRecall@10"
  | "batchRecall@50"
  | "recall@10"
  | "ndcg@10"
  | "mrr";

/** Display titles of the metrics. */
export const BASELINE_METRIC_TITLES: Readonly<Record<BaselineMetric, string>> =
  Object.freeze({
    "batchRecall@1": "batch recall@1",
    "batchRecall@5": "batch recall@5",
    "batchRecall@10": "batch recall@10",
    "batchRecall@50": "batch recall@50",
    "recall@10": "corpus recall@10",
    "ndcg@10": "NDCG@10",
    mrr: "MRR",
  });

function intervalFor(row: BaselineRow, metric: BaselineMetric): Interval {
  switch (metric) {
    case "recall@10":
      return row.corpusRecall[10] ?? NAN_INTERVAL;
    case "ndcg@10":
      return row.ndcg10;
    case "mrr":
      return row.mrr;
    default:
      return row.batchRecall[Number(metric.split("@")[1])] ?? NAN_INTERVAL;
  }
}

function perQueryFor(
  p: PerQueryValues,
  metric: BaselineMetric,
): Float64Array {
  switch (metric) {
    case "recall@10":
      return p.recall10;
    case "ndcg@10":
      return p.ndcg10;
    case "mrr":
      return p.mrr;
    default: {
      const k = Number(metric.split("@")[1]);
      return hitsAt(p.batchRanks, k);
    }
  }
}

/** Options of {@link baselineTable}. */
export interface BaselineTableOptions {
  /** Metrics as columns (default all of {@link BASELINE_METRIC_TITLES}). */
  metrics?: readonly BaselineMetric[];
  /** Decimals (default 3). */
  digits?: number;
  /** Show the 95% interval next to each mean (default true). */
  intervals?: boolean;
}

/**
 * Result rows as table records: the run, its loss, each metric as
 * `mean [lo, hi]`, steps, training seconds and whether it came from the
 * cache. Failed runs show `–` and their error.
 */
export function baselineTable(
  rows: readonly BaselineRow[],
  options: BaselineTableOptions = {},
): Record<string, unknown>[] {
  const metrics = options.metrics ??
    (Object.keys(BASELINE_METRIC_TITLES) as BaselineMetric[]);
  const digits = options.digits ?? DEFAULT_DIGITS;
  // The stop columns only where a run stopped early (the full profile).
  const stopping = rows.some((x) => x.earlyStopping);
  return rows.map((r) => {
    const out: Record<string, unknown> = {
      method: r.short,
      loss: r.loss,
    };
    for (const m of metrics) {
      const i = intervalFor(r, m);
      out[BASELINE_METRIC_TITLES[m]] = options.intervals === false
        ? fixedText(i.mean, digits)
        : intervalText(i, { digits });
    }
    out.steps = r.steps;
    if (stopping) {
      out["best step"] = r.earlyStopping?.bestStep ?? "";
      out.stopped = r.earlyStopping?.stopReason ?? "";
    }
    out["train s"] = r.trainSeconds === null
      ? "–"
      : Number(r.trainSeconds.toFixed(1));
    out.cached = r.cached ? "yes" : "no";
    if (r.status === "failed") out.cached = `failed: ${r.error}`;
    return out;
  });
}

/**
 * Embedding health of each run (from `evaluateModel`) as table records:
 * mean item–item cosine, uniformity of the items (log E e^{−2‖x−y‖²}; more
 * negative = more spread), effective rank of the item embeddings, and the
 * alignment of the test positives (E ‖q − v‖²). Crowded items (high mean
 * cosine, uniformity near 0) are the signature of a collapse.
 */
export function baselineHealthTable(
  rows: readonly BaselineRow[],
  options: { digits?: number } = {},
): Record<string, unknown>[] {
  const digits = options.digits ?? DEFAULT_DIGITS;
  const num = (x: unknown) =>
    typeof x === "number" && Number.isFinite(x)
      ? Number(x.toFixed(digits))
      : "–";
  return rows.map((r) => ({
    method: r.short,
    "mean item cosine": num(r.health.meanCosine),
    "item uniformity": num(r.health.uniformityItems),
    "effective rank": num(r.health.effectiveRank),
    alignment: num(r.health.alignment),
  }));
}

/** Options of {@link baselineChartRows}. */
export interface BaselineChartOptions {
  /** One chart panel per metric (default batch recall@1, NDCG@10, MRR). */
  metrics?: readonly BaselineMetric[];
}

/**
 * Rows for `lib/plot`'s `mainTable` (`{ method, panel, mean, lo, hi }`,
 * one panel per metric; pass `{ dataset: "panel" }`); failed runs are
 * left out.
 */
export function baselineChartRows(
  rows: readonly BaselineRow[],
  options: BaselineChartOptions = {},
): { method: string; panel: string; mean: number; lo: number; hi: number }[] {
  const metrics = options.metrics ??
    ["batchRecall@1", "ndcg@10", "mrr"] as BaselineMetric[];
  return metrics.flatMap((m) =>
    rows.filter((r) => r.status === "finished").map((r) => {
      const i = intervalFor(r, m);
      return {
        method: r.short,
        panel: BASELINE_METRIC_TITLES[m],
        mean: i.mean,
        lo: Math.min(i.lo, i.mean),
        hi: Math.max(i.hi, i.mean),
      };
    })
  );
}

/**
 * Rows for `lib/plot`'s `trainingCurves` (`{ run, step, loss }`). With
 * `relative` (default true) each loss is divided by the run's first-step
 * loss, so that losses of different scales (a hinge summed over 349
 * negatives, a softmax at τ = 2) share one axis; every run starts at 1.
 * Values below `floor` (default none) are raised to it, e.g. for a log
 * axis when a hinge loss reaches 0.
 */
export function baselineCurveRows(
  rows: readonly BaselineRow[],
  options: { relative?: boolean; floor?: number } = {},
): { run: string; step: number; loss: number }[] {
  const relative = options.relative ?? true;
  const floor = options.floor ?? -Infinity;
  return rows.flatMap((r) => {
    const first = r.log[0]?.loss ?? NaN;
    const scale = relative && Number.isFinite(first) && first !== 0 ? first : 1;
    return r.log.map((p) => ({
      run: r.short,
      step: p.step,
      loss: Math.max(p.loss / scale, floor),
    }));
  });
}

/** Paired difference of one metric between two runs. */
export interface BaselineDifference {
  /** Metric. */
  metric: BaselineMetric;
  /** Candidate mean − reference mean, with a paired bootstrap 95% interval. */
  difference: Interval;
  /** Queries (or batch pairs) compared. */
  n: number;
  /** `"better"` / `"worse"` when the interval excludes 0, else `"no clear difference"` (before any adjustment for multiple tests). */
  outcome: "better" | "worse" | "no clear difference";
  /** Two-sided p-value of the paired t-test on the same differences (raw). */
  p: number;
}

/**
 * Paired bootstrap differences (candidate − reference) over the same test
 * queries, per metric; both rows must be finished runs on the same data.
 */
export function baselineDifferences(
  candidate: BaselineRow,
  reference: BaselineRow,
  options: { metrics?: readonly BaselineMetric[]; samples?: number } = {},
): BaselineDifference[] {
  const metrics = options.metrics ??
    ["batchRecall@1", "batchRecall@10", "ndcg@10", "mrr"] as BaselineMetric[];
  const a = candidate.perQuery, b = reference.perQuery;
  if (a === null || b === null) {
    throw new RangeError(
      `baselineDifferences: ${
        a === null ? candidate.name : reference.name
      } has no per-query values (failed run)`,
    );
  }
  return metrics.map((metric) => {
    const x = perQueryFor(a, metric), y = perQueryFor(b, metric);
    if (x.length !== y.length || x.length === 0) {
      throw new RangeError(
        `baselineDifferences: ${candidate.name} and ${reference.name} have ${x.length} and ${y.length} values of ${metric}; they must be evaluated on the same data`,
      );
    }
    const p = pairedDifference(x, y, { samples: options.samples });
    const outcome = p.outcome === "unclear" ? "no clear difference" : p.outcome;
    return { metric, difference: p.difference, n: p.n, outcome, p: p.p };
  });
}

/** Options of {@link baselineVerdict}. */
export interface BaselineVerdictOptions {
  /** Run name of the candidate. */
  candidate: string;
  /** Run name of the reference. */
  reference: string;
  /** Metrics compared (default batch recall@1, @10, NDCG@10, MRR). */
  metrics?: readonly BaselineMetric[];
}

const isBatch = (m: BaselineMetric) => m.startsWith("batchRecall@");

// What one side (batch recall, or the full-corpus metrics) says.
function sideWord(outcomes: readonly string[]): string {
  const better = outcomes.filter((o) => o === "better").length;
  const worse = outcomes.filter((o) => o === "worse").length;
  if (outcomes.length === 0) return "not compared";
  if (better > 0 && worse > 0) return "mixed";
  return better > 0 ? "better" : worse > 0 ? "worse" : "not clearly different";
}

/**
 * {@link baselineVerdict} before its family is known: the paired tests it
 * states (one per metric) and the sentence written from their
 * Holm-adjusted p-values ({@link writeFamily}).
 */
export function baselinePendingVerdict(
  rows: readonly BaselineRow[],
  options: BaselineVerdictOptions,
): PendingVerdict {
  const find = (name: string, option: string) => {
    const r = rows.find((x) => x.name === name);
    if (!r) {
      throw new RangeError(
        `baselineVerdict: option ${option} "${name}" is not a row; rows: ${
          rows.map((x) => x.name).join(", ")
        }`,
      );
    }
    return r;
  };
  const cand = find(options.candidate, "candidate");
  const ref = find(options.reference, "reference");
  if (cand.status !== "finished" || ref.status !== "finished") {
    const bad = cand.status !== "finished" ? cand : ref;
    return {
      tests: [],
      write: () =>
        `${bad.method} failed to train (${bad.error}); no comparison.`,
    };
  }
  const diffs = baselineDifferences(cand, ref, { metrics: options.metrics });
  const tests = diffs.map((d) => ({
    key: JSON.stringify([cand.dataset, cand.name, ref.name, d.metric]),
    p: d.p,
  }));
  const write = (adjusted: readonly number[]) => {
    const outcomes = diffs.map((d, i) => {
      const o = familyOutcome(d.difference, { adjustedP: adjusted[i] });
      return o === "unclear" ? "no clear difference" : o;
    });
    const parts = diffs.map((d, i) =>
      `${BASELINE_METRIC_TITLES[d.metric]} ${
        differenceText(d.difference, TYPESET)
      } (${outcomes[i]}), ${pHolmText(d.p, adjusted[i])}`
    );
    const better = outcomes.filter((o) => o === "better").length;
    const worse = outcomes.filter((o) => o === "worse").length;
    const n = diffs.length;
    const overall = better > 0 && worse === 0
      ? (2 * better >= n ? "better" : "better on some metrics, worse on none")
      : worse > 0 && better === 0
      ? (2 * worse >= n ? "worse" : "worse on some metrics, better on none")
      : better === 0 && worse === 0
      ? "not clearly different"
      : "mixed";
    const batch = sideWord(outcomes.filter((_, i) => isBatch(diffs[i].metric)));
    const corpus = sideWord(
      outcomes.filter((_, i) => !isBatch(diffs[i].metric)),
    );
    const opposite = (batch === "better" && corpus === "worse") ||
      (batch === "worse" && corpus === "better");
    const sides = opposite
      ? `Batch recall and the full-corpus metrics disagree in direction: batch recall ${batch}, full corpus ${corpus}.`
      : `Batch recall: ${batch}; full corpus: ${corpus}.`;
    return `On ${cand.dataset}, ${cand.method} vs ${ref.method}: ${overall} ` +
      `(better on ${better}, worse on ${worse} of ${n} metrics). ` +
      `Paired differences, 95% bootstrap intervals over the same test queries: ${
        parts.join("; ")
      }. ${sides}`;
  };
  return { tests, write };
}

/**
 * One sentence comparing run `candidate` with run `reference` (by name)
 * from the numbers: the paired differences of {@link baselineDifferences}
 * with their intervals and p-values (Holm-adjusted over the sentence's own
 * metrics), a count of better / worse metrics, and what batch recall and
 * the full-corpus metrics (by default NDCG@10 and MRR) each say, and
 * that they disagree when they point in opposite directions.
 */
export const baselineVerdict = sentenceOf(baselinePendingVerdict);

/** A pair of runs a notebook compares: `candidate` against `reference`. */
export interface BaselineComparison {
  /** Run name of the candidate. */
  candidate: string;
  /** Run name of the reference. */
  reference: string;
}

/**
 * The comparisons of a grid's rows (per dataset and baseline, where both
 * runs exist): every adaptive run against the baseline's own objective,
 * `adaptive-margin` against fixed `margin` and `adaptive-softmax` against
 * fixed `softmax` (the paper's claim), and for Adap-τ its own run against
 * fixed `softmax` (Adap-τ's claim) and `global-only` against its own run.
 */
export function baselineComparisons(
  rows: readonly BaselineRow[],
): (BaselineComparison & { dataset: string })[] {
  const out: (BaselineComparison & { dataset: string })[] = [];
  const groups = Map.groupBy(rows, (r) => `${r.dataset}\u0000${r.baseline}`);
  for (const group of groups.values()) {
    const by = (v: BaselineVariant) => group.find((r) => r.variant === v);
    const add = (a?: BaselineRow, b?: BaselineRow) => {
      if (a && b) {
        out.push({ candidate: a.name, reference: b.name, dataset: a.dataset });
      }
    };
    const own = by("own");
    for (const v of ["adaptive-margin", "adaptive-softmax"] as const) {
      add(by(v), own);
    }
    add(by("adaptive-margin"), by("margin"));
    add(by("adaptive-softmax"), by("softmax"));
    if (group[0].baseline === "adap-tau") {
      add(own, by("softmax"));
      add(by("global-only"), own);
    }
  }
  return out;
}

/**
 * One verdict sentence ({@link baselineVerdict}) per comparison of
 * {@link baselineComparisons}, as one family: the p-values of every
 * comparison and metric are Holm-adjusted together.
 */
export function baselineVerdicts(rows: readonly BaselineRow[]): string[] {
  return baselineVerdictFamily(rows).lines;
}

function baselineVerdictFamily(rows: readonly BaselineRow[]) {
  return writeFamily(
    baselineComparisons(rows).map((c) =>
      baselinePendingVerdict(rows.filter((r) => r.dataset === c.dataset), c)
    ),
  );
}

/**
 * {@link baselineVerdicts} as a Markdown bullet list (for `md()`); with
 * `footnote`, followed by a line on the p-values and the family they are
 * Holm-adjusted over ({@link holmNote}).
 */
export function baselineVerdictMarkdown(
  rows: readonly BaselineRow[],
  options: { footnote?: boolean } = {},
): string {
  const family = baselineVerdictFamily(rows);
  if (family.lines.length === 0) {
    return "_No comparison: the grid has no pair of runs to compare._";
  }
  return familyList(family, { footnote: options.footnote ?? false });
}
