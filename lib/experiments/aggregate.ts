/**
 * From runs of the grid runner (`grid.ts`) to what notebooks 03 and 06
 * show: a run's value of a metric, configs aggregated over seeds with 95%
 * intervals ({@link experimentsAggregate}), rows for `lib/plot`'s charts
 * and Markdown tables, and the paired comparison of two configs with its
 * verdict sentence ({@link experimentsCompare}, {@link experimentsVerdict}).
 *
 * Intervals. A run's metrics carry percentile-bootstrap 95% intervals over
 * test queries (`evaluateModel`). Over several seeds,
 * {@link experimentsAggregate} reports either a Student-t interval over
 * the per-seed values ("seeds", default from 3 seeds on) or a bootstrap
 * over test queries of the seed-averaged per-query hits ("queries").
 * Comparisons are paired: the per-query difference of two methods on the
 * same test queries, bootstrapped, with the p-value of the paired t-test
 * (`statistics.ts`), on batch recall and on the full-corpus recall@10 and
 * NDCG@10; the sentences of one list are one family, whose p-values are
 * Holm-adjusted together.
 *
 * @module
 */

import {
  bootstrapCI,
  DEFAULT_BOOTSTRAP_SAMPLES,
  type Interval,
  mean as meanOf,
} from "../eval/mod.ts";
import {
  experimentsK,
  type ExperimentsKOption,
  type ExperimentsRun,
  numberOrNaN,
} from "./grid.ts";
import {
  differenceText,
  familyList,
  familyOutcome,
  intervalText,
  type Outcome,
  pairedDifference,
  type PendingVerdict,
  pHolmText,
  seedInterval,
  sentenceOf,
  writeFamily,
} from "./statistics.ts";
import { DEFAULT_DIGITS, type TableColumn } from "../plot/mod.ts";

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
      return {
        value: numberOrNaN(run.batch.recall[k]),
        ci: run.batch.ci[k] ?? null,
      };
    case "valid":
      return { value: numberOrNaN(run.valid?.[k]), ci: null };
    case "recall":
      return {
        value: numberOrNaN(run.corpus.recall[k]),
        ci: run.corpus.ci[`recall@${k}`] ?? null,
      };
    default:
      return {
        value: numberOrNaN(run.corpus.ndcg[k]),
        ci: run.corpus.ci[`ndcg@${k}`] ?? null,
      };
  }
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

/** The runs of each (config, dataset), in first-appearance order. */
export function byConfigAndDataset(
  runs: readonly ExperimentsRun[],
): Map<string, ExperimentsRun[]> {
  return Map.groupBy(runs, (r) => JSON.stringify([r.name, r.dataset]));
}

/**
 * One aggregated cell: a config on a dataset over its seeds (the config and
 * dataset named as in its runs).
 */
export interface ExperimentsRow
  extends
    Pick<ExperimentsRun, "name" | "group" | "family" | "value" | "dataset"> {
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
  const groups = byConfigAndDataset(runs);
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
      const t = seedInterval(values);
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
      const mean = meanOf(values);
      if (batch && done.every((r) => r.testRanks.length > 0)) {
        const hits = experimentsHits(done, Number(batch[1]));
        const b = bootstrapCI(hits, {
          seed: 0,
          samples: options.samples ?? DEFAULT_BOOTSTRAP_SAMPLES,
        });
        interval = { mean, lo: b.lo, hi: b.hi };
        ci = "bootstrap over queries";
      } else if (ms.every((m) => m.ci !== null)) {
        const lo = meanOf(ms.map((m) => m.value - m.ci!.lo));
        const hi = meanOf(ms.map((m) => m.ci!.hi - m.value));
        interval = { mean, lo: mean - lo, hi: mean + hi };
        ci = "bootstrap over queries";
      } else {
        interval = seedInterval(values);
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

/**
 * Rows and columns for lib/plot's `tableMarkdown`: one row per label (in
 * first-appearance order, its first column `method`), one interval column
 * per field (`<field>`, `<field>_lo`, `<field>_hi`); a skipped cell stays
 * empty.
 */
function intervalTable(
  cells: readonly { label: string; field: string; cell: ExperimentsRow }[],
  columns: readonly { field: string; title?: string; digits: number }[],
): {
  rows: Record<string, string | number | null>[];
  columns: TableColumn[];
} {
  const byLabel = new Map<string, Record<string, string | number | null>>();
  for (const { label, field, cell } of cells) {
    let row = byLabel.get(label);
    if (!row) byLabel.set(label, row = { method: label });
    if (cell.skipped === null) {
      row[field] = cell.mean;
      row[`${field}_lo`] = cell.lo;
      row[`${field}_hi`] = cell.hi;
    }
  }
  return {
    rows: [...byLabel.values()],
    columns: [
      { field: "method" },
      ...columns.map((c) => ({
        field: c.field,
        ...(c.title === undefined ? {} : { title: c.title }),
        lo: `${c.field}_lo`,
        hi: `${c.field}_hi`,
        digits: c.digits,
      })),
    ],
  };
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
  columns: TableColumn[];
} {
  const digits = options.digits ?? DEFAULT_DIGITS;
  return intervalTable(
    rows.map((r) => ({ label: r.name, field: r.dataset, cell: r })),
    [...new Set(rows.map((r) => r.dataset))].map((d) => ({ field: d, digits })),
  );
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
  columns: TableColumn[];
} {
  const metrics = options.metrics ??
    ["batch@1", "batch@5", "batch@10", "batch@50", "recall@10", "mrr"];
  const several = new Set(runs.map((x) => x.dataset)).size > 1;
  return intervalTable(
    metrics.flatMap((metric) =>
      experimentsAggregate(runs, { metric, ci: options.ci }).map((r) => ({
        label: several ? `${r.name} (${r.dataset})` : r.name,
        field: metric,
        cell: r,
      }))
    ),
    metrics.map((m) => ({
      field: m,
      title: m.startsWith("batch@")
        ? `batch R@${m.slice(6)}`
        : m.startsWith("recall@")
        ? `corpus R@${m.slice(7)}`
        : m,
      digits: 3,
    })),
  );
}

/**
 * Training-curve rows for lib/plot's `trainingCurves`: per run (label =
 * config name, plus seed when several) every logged step's loss, and the
 * valid batch recall@k (default 10) at the steps where it was measured.
 * With `relative`, the loss is divided by the run's step-1 loss and
 * floored at `floor` (default 1e-4), so losses of different scales share a
 * log axis. With `validOnly`, only the steps where valid recall was
 * measured (long runs: a chart of every step is large).
 */
export function experimentsCurveRows(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption & {
    relative?: boolean;
    floor?: number;
    validOnly?: boolean;
  } = {},
): { run: string; step: number; loss: number; recall?: number }[] {
  const k = experimentsK(options);
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
      if (rc !== undefined || !options.validOnly) rows.push(row);
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
  const groups = byConfigAndDataset(runs.filter((r) => r.skipped === null));
  const mean = (g: ExperimentsRun[], field: string) => {
    const v = g.map((r) => r.health[field]).filter((x): x is number =>
      typeof x === "number"
    );
    return v.length === 0 ? null : meanOf(v);
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
  // The stop columns only where a run stopped early (the full profile).
  const stopping = runs.some((r) => r.earlyStopping);
  return runs.map((r) => {
    const es = r.earlyStopping ?? null;
    return {
      config: r.name,
      dataset: r.dataset,
      seed: r.seed,
      status: r.skipped !== null
        ? `skipped: ${r.skipped}`
        : r.cached
        ? "cached"
        : "trained",
      steps: r.steps,
      ...(stopping
        ? {
          "best step": es?.bestStep ?? "",
          "stopped": es?.stopReason ?? "",
        }
        : {}),
      "train s": Math.round(r.seconds * 10) / 10,
      folder: r.dir === null ? "" : r.dir.split("/").slice(-2).join("/"),
    };
  });
}

/** What {@link experimentsCompare} compares. */
export type ExperimentsCompareMetric = "batch" | "recall@10" | "ndcg@10";

/** Result of {@link experimentsCompare}. */
export interface ExperimentsComparison {
  /** The metric: "batch" (batch recall@k), "recall@10" or "ndcg@10" (full corpus). */
  metric: ExperimentsCompareMetric;
  /** Candidate's value (mean over seeds, bootstrap interval over queries). */
  a: Interval;
  /** Baseline's. */
  b: Interval;
  /** Paired difference a − b with its bootstrap interval over queries. */
  difference: Interval;
  /** "better", "worse" or "within noise" (interval of the difference vs 0, unadjusted). */
  verdict: "better" | "worse" | "within noise";
  /** Two-sided p-value of the paired t-test on the per-query differences (raw). */
  p: number;
  /** Test queries compared. */
  queries: number;
  /** Seeds per method. */
  seeds: [number, number];
}

// Per test query, the seed-averaged full-corpus value; null when a run
// keeps no per-query values (evaluated before EXPERIMENTS_VERSION 2).
function corpusValues(
  runs: readonly ExperimentsRun[],
  metric: "recall@10" | "ndcg@10",
): Float64Array | null {
  const field = metric === "recall@10" ? "recall10" : "ndcg10";
  const lists = runs.map((r) => r.testCorpus?.[field] ?? null);
  if (lists.some((l) => l === null || l.length === 0)) return null;
  const n = lists[0]!.length;
  if (lists.some((l) => l!.length !== n)) {
    throw new RangeError(
      `experimentsCompare: runs evaluated different numbers of test queries on the full corpus`,
    );
  }
  const out = new Float64Array(n);
  for (const l of lists) for (let i = 0; i < n; i++) out[i] += l![i];
  for (let i = 0; i < n; i++) out[i] /= lists.length;
  return out;
}

/** Whether every finished run of `runs` keeps per-query full-corpus values. */
export function experimentsHasCorpusValues(
  runs: readonly ExperimentsRun[],
): boolean {
  const done = runs.filter((r) => r.skipped === null);
  return done.length > 0 &&
    done.every((r) => (r.testCorpus?.recall10.length ?? 0) > 0);
}

/**
 * Paired comparison of two sets of runs (seeds of two configs on one
 * dataset) on one metric (`metric`, default "batch": test batch recall@k;
 * "recall@10" / "ndcg@10": full-corpus values of the test queries): per
 * test query, the seed-averaged value of each; the mean of the differences
 * with a percentile-bootstrap 95% interval over queries (seed 0) and the
 * paired t-test's p. "better"/"worse" when the interval excludes 0. Throws
 * when a run keeps no per-query full-corpus values for a corpus metric.
 */
export function experimentsCompare(
  a: readonly ExperimentsRun[],
  b: readonly ExperimentsRun[],
  options: ExperimentsKOption & {
    samples?: number;
    metric?: ExperimentsCompareMetric;
  } = {},
): ExperimentsComparison {
  const k = experimentsK(options);
  const samples = options.samples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  const metric = options.metric ?? "batch";
  const ok = (rs: readonly ExperimentsRun[], what: string) => {
    const done = rs.filter((r) => r.skipped === null);
    if (done.length === 0) {
      throw new RangeError(`experimentsCompare: no finished runs for ${what}`);
    }
    return done;
  };
  const ra = ok(a, "a");
  const rb = ok(b, "b");
  const values = (rs: ExperimentsRun[]) => {
    if (metric === "batch") return experimentsHits(rs, k);
    const v = corpusValues(rs, metric);
    if (v === null) {
      throw new RangeError(
        `experimentsCompare: "${
          rs[0].name
        }" keeps no per-query full-corpus values`,
      );
    }
    return v;
  };
  const ha = values(ra);
  const hb = values(rb);
  if (ha.length !== hb.length) {
    throw new RangeError(
      `experimentsCompare: the runs ranked different test sets (${ha.length} vs ${hb.length} queries)`,
    );
  }
  const { difference, outcome, p } = pairedDifference(ha, hb, { samples });
  return {
    metric,
    a: bootstrapCI(ha, { seed: 0, samples }),
    b: bootstrapCI(hb, { seed: 0, samples }),
    difference,
    verdict: outcome === "unclear" ? "within noise" : outcome,
    p,
    queries: ha.length,
    seeds: [ra.length, rb.length],
  };
}

/** Options of {@link experimentsVerdict}. */
export interface ExperimentsVerdictOptions extends ExperimentsKOption {
  /** Config name of the candidate. */
  candidate: string;
  /** Config name of the baseline. */
  baseline: string;
  /** Dataset. */
  dataset: string;
  /** Text appended to the sentence (e.g. why this baseline). */
  suffix?: string;
}

const word = (o: Outcome) => o === "unclear" ? "within noise" : o;

/**
 * The sentence on the full-corpus side of a comparison and whether it
 * disagrees with batch recall: `tests` are the corpus comparisons
 * (recall@10, NDCG@10) with their adjusted p-values. Used by the verdict
 * writers of notebooks 03 and 06.
 */
export function experimentsCorpusClause(
  batch: Outcome,
  tests: readonly { c: ExperimentsComparison; adjusted: number }[],
): string {
  if (tests.length === 0) {
    return "; full corpus not compared (the runs keep no per-query full-corpus values): this rests on batch recall only";
  }
  const outcomes = tests.map((t) =>
    familyOutcome(t.c.difference, { adjustedP: t.adjusted })
  );
  const parts = tests.map((t, i) =>
    `${t.c.metric} ${differenceText(t.c.difference)} (${
      pHolmText(t.c.p, t.adjusted)
    }) → ${word(outcomes[i])}`
  );
  const against = batch === "better" ? "worse" : "better";
  const disagree = batch !== "unclear" && outcomes.includes(against);
  return `; full corpus, paired over ${tests[0].c.queries} test queries: ${
    parts.join(", ")
  }${
    disagree
      ? `; batch recall and the full corpus disagree in direction (batch ${batch}, full corpus ${against})`
      : ""
  }`;
}

/**
 * {@link experimentsVerdict} before its family is known: the paired tests
 * it states (batch recall@k, and the full-corpus recall@10 and NDCG@10 when
 * the runs keep per-query values) and the sentence written from their
 * Holm-adjusted p-values (`statistics.ts`' `writeFamily`).
 */
export function experimentsPendingVerdict(
  runs: readonly ExperimentsRun[],
  options: ExperimentsVerdictOptions,
): PendingVerdict {
  const k = experimentsK(options);
  const pick = (name: string) =>
    runs.filter((r) => r.name === name && r.dataset === options.dataset);
  const a = pick(options.candidate);
  const b = pick(options.baseline);
  const missing = [[options.candidate, a], [options.baseline, b]].find((
    [, rs],
  ) => (rs as ExperimentsRun[]).every((r) => r.skipped !== null));
  if (missing) {
    const rs = missing[1] as ExperimentsRun[];
    const text = `${options.dataset}: "${missing[0]}" ${
      rs.length === 0 ? "was not run" : `was skipped (${rs[0].skipped})`
    }; no comparison.`;
    return { tests: [], write: () => text };
  }
  const metrics: ExperimentsCompareMetric[] =
    experimentsHasCorpusValues(a) && experimentsHasCorpusValues(b)
      ? ["batch", "recall@10", "ndcg@10"]
      : ["batch"];
  const cs = metrics.map((metric) => experimentsCompare(a, b, { k, metric }));
  const tests = cs.map((c) => ({
    key: JSON.stringify([
      options.dataset,
      options.candidate,
      options.baseline,
      c.metric === "batch" ? `batch@${k}` : c.metric,
    ]),
    p: c.p,
  }));
  const write = (adjusted: readonly number[]) => {
    const c = cs[0];
    const batch = familyOutcome(c.difference, { adjustedP: adjusted[0] });
    const seeds = c.seeds[0] === c.seeds[1]
      ? `${c.seeds[0]} seed${c.seeds[0] === 1 ? "" : "s"} each`
      : `${c.seeds[0]} vs ${c.seeds[1]} seeds`;
    return `${options.dataset}: ${options.candidate} ${
      intervalText(c.a)
    } vs ${options.baseline} ${intervalText(c.b)}: difference ${
      differenceText(c.difference)
    } batch recall@${k} (paired bootstrap over ${c.queries} test queries, ${seeds}; ${
      pHolmText(c.p, adjusted[0])
    }) → ${word(batch)}${
      experimentsCorpusClause(
        batch,
        cs.slice(1).map((x, i) => ({ c: x, adjusted: adjusted[i + 1] })),
      )
    }${options.suffix ?? ""}`;
  };
  return { tests, write };
}

/**
 * A sentence comparing config `candidate` with config `baseline` on one
 * dataset (paired, {@link experimentsCompare}), on batch recall@k and, when
 * the runs keep per-query values, on the full-corpus recall@10 and NDCG@10,
 * each with its p-value Holm-adjusted over the sentence's own tests; says
 * so when batch recall and the full corpus disagree in direction. E.g.
 * "benchmark: adaptive margin 0.891 [0.875, 0.906] vs fixed δ=0.1 0.805
 * […]: difference +0.086 [+0.070, +0.102] batch recall@10 (paired
 * bootstrap over 1618 test queries, 1 seed each; p < 0.001, Holm p < 0.001)
 * → better; full corpus, paired over … test queries: recall@10 … → better,
 * ndcg@10 … → better". In a list, use {@link experimentsPendingVerdict}
 * and `writeFamily`, so that the whole list is one family.
 */
export const experimentsVerdict = sentenceOf(experimentsPendingVerdict);

/**
 * A list of verdict sentences as one family (for `md()`): Markdown bullets
 * written by `writeFamily` (every p-value Holm-adjusted over the distinct
 * tests of the list), then the footnote that says so (`holmNote`). An
 * empty list gives `empty` (default: a line saying there is no comparison).
 */
export function experimentsVerdictList(
  pending: readonly PendingVerdict[],
  options: { empty?: string } = {},
): string {
  if (pending.length === 0) {
    return options.empty ?? "_No comparison._";
  }
  return familyList(writeFamily(pending), { footnote: true });
}
