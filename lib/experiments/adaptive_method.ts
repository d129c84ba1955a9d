/**
 * The experiment of notebook 03 (the adaptive method): the adaptive margin
 * and softmax against their fixed counterparts on the benchmark
 * ({@link experimentsMethodGrid}, trained by `grid.ts`), and what the
 * per-pair δ_j / τ_j of the trained models say: summaries by the
 * negative's relation to the positive or by its label, chart rows, and a
 * verdict sentence on whether closer negatives get smaller values.
 *
 * @module
 */

import { median } from "../eval/mod.ts";
import {
  EXPERIMENTS_PLAIN,
  type ExperimentsConfig,
  experimentsFixedConfigs,
  PAPER_DELTA,
  PAPER_TAU,
} from "./grid.ts";
import {
  EXPERIMENTS_RELATIONS,
  type ExperimentsPairValues,
} from "./pair_values.ts";

/** The four runs of notebook 03: adaptive vs fixed margin and softmax. */
export function experimentsMethodGrid(): ExperimentsConfig[] {
  const [fixedMargin, fixedSoftmax] = experimentsFixedConfigs(
    { deltas: [PAPER_DELTA], taus: [PAPER_TAU] },
    { group: "method" },
  );
  return [
    {
      name: "adaptive margin",
      group: "method",
      family: "margin",
      tower: EXPERIMENTS_PLAIN,
      loss: { kind: "adaptive-margin" },
    },
    fixedMargin,
    {
      name: "adaptive softmax",
      group: "method",
      family: "softmax",
      tower: EXPERIMENTS_PLAIN,
      loss: { kind: "adaptive-softmax" },
    },
    fixedSoftmax,
  ];
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
    const codes = by === "relation" ? p.relation : p.label;
    const groups = Map.groupBy(p.value.keys(), (i) => codes[i]);
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
    const groups = Map.groupBy(
      p.value.keys(),
      (i) =>
        panels === "kind"
          ? p.kind
          : `${p.kind}: ${EXPERIMENTS_RELATIONS[p.relation[i]]}`,
    );
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
