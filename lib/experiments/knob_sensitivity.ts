/**
 * "Hyper-parameter-free", tested (notebook 06): the adaptive losses still
 * have α, δ0 and τ0. This module sweeps them next to the fixed δ and τ of
 * the sensitivity grid (`main_experiments.ts`) and answers one question
 * per loss family: is the adaptive loss flat in its own knobs where the
 * fixed loss is steep in δ or τ, or does it only move the tuning from δ to
 * α?
 *
 * Every knob is put on one axis as its value over the paper's default
 * (δ 0.1, τ 1/30, α 0.5, δ0 0.01, τ0 1/30, read from `lib/losses`' option
 * declarations), so a figure can draw the fixed
 * loss's δ next to the adaptive loss's α. The sentence compares each
 * knob's spread (best minus worst mean test batch recall@10 over its
 * sweep) with the fixed knob's, and says how much the paper's default
 * gives up against the best value of each knob.
 *
 * @module
 */

import { mean } from "../eval/mod.ts";
import { sensitivity, type VegaLiteSpec } from "../plot/mod.ts";
import {
  ADAPTIVE_MARGIN_OPTIONS,
  ADAPTIVE_TEMPERATURE_OPTIONS,
  MARGIN_LOSS_OPTIONS,
  SOFTMAX_LOSS_OPTIONS,
} from "../losses/mod.ts";
import { type Profile, valueLabel } from "../data/mod.ts";
import type { ExperimentsRow } from "./aggregate.ts";
import { checkProfile } from "./benchmark.ts";
import { experimentsSensitivityGrid } from "./main_experiments.ts";
import {
  EXPERIMENTS_PLAIN,
  type ExperimentsConfig,
  type ExperimentsFamily,
  experimentsFixedConfigs,
  fixedMarginName,
  fixedSoftmaxName,
} from "./grid.ts";

/** α values of the knob sweep (full; quick: 0.1, 0.5, 2). */
export const EXPERIMENTS_ALPHAS: readonly number[] = [0.1, 0.25, 0.5, 1, 2];

/**
 * δ0 values of the knob sweep (full only); 0.3 since the best of the first
 * four was the largest.
 */
export const EXPERIMENTS_DELTA0S: readonly number[] = [
  0.003,
  0.01,
  0.03,
  0.1,
  0.3,
];

/**
 * τ0 values of the knob sweep (full only); 0.3 since the best of the first
 * three was the largest.
 */
export const EXPERIMENTS_TAU0S: readonly number[] = [0.01, 1 / 30, 0.1, 0.3];

const QUICK_ALPHAS = [0.1, 0.5, 2];

/** One knob of one family: what is swept and its paper default. */
export interface KnobSeries {
  /** Loss family (the figure's panel). */
  family: ExperimentsFamily;
  /** Line label: "fixed δ", "adaptive α", "adaptive δ0", …. */
  knob: string;
  /** The paper's value of this knob (the x axis divides by it). */
  paper: number;
  /**
   * Each swept value's config name and, for the adaptive knobs, its loss
   * (the fixed points are the sensitivity grid's runs).
   */
  points: { value: number; name: string; loss?: ExperimentsConfig["loss"] }[];
}

/**
 * The swept knobs of a profile, each with its config names: the fixed δ
 * and τ of the sensitivity grid (`fixedDeltas`, `fixedTaus`, default the
 * profile's {@link experimentsSensitivityGrid} values; names `fixed δ=…` /
 * `fixed τ=…`), and α (`alphas`, default the profile's: full
 * {@link EXPERIMENTS_ALPHAS}, quick 0.1, 0.5, 2), δ0, τ0 of the adaptive
 * losses; the adaptive default point of every adaptive knob is the run
 * named "adaptive margin" / "adaptive softmax".
 */
export function experimentsKnobSeries(
  profile: Profile,
  options: {
    fixedDeltas?: readonly number[];
    fixedTaus?: readonly number[];
    alphas?: readonly number[];
  } = {},
): KnobSeries[] {
  checkProfile(profile);
  const swept = (family: string) =>
    experimentsSensitivityGrid(profile).filter((c) =>
      c.family === family && c.value !== undefined
    ).map((c) => c.value!);
  const fixedDeltas = options.fixedDeltas ?? swept("margin");
  const fixedTaus = options.fixedTaus ?? swept("softmax");
  const quick = profile === "quick";
  const alphas = options.alphas ?? (quick ? QUICK_ALPHAS : EXPERIMENTS_ALPHAS);
  const m = ADAPTIVE_MARGIN_OPTIONS;
  const t = ADAPTIVE_TEMPERATURE_OPTIONS;
  const adaptive = (
    family: ExperimentsFamily,
    knob: { symbol: string; option: string; paper: number },
    values: readonly number[],
  ): KnobSeries => {
    const base = family === "margin" ? "adaptive margin" : "adaptive softmax";
    const kind = family === "margin" ? "adaptive-margin" : "adaptive-softmax";
    return {
      family,
      knob: `adaptive ${knob.symbol}`,
      paper: knob.paper,
      points: values.map((value) =>
        Math.abs(value - knob.paper) < 1e-12
          ? { value, name: base, loss: { kind } }
          : {
            value,
            name: `${base} ${knob.symbol}=${valueLabel(value)}`,
            loss: { kind, [knob.option]: value },
          }
      ),
    };
  };
  const alpha = { symbol: "α", option: "alpha" };
  return [
    {
      family: "margin",
      knob: "fixed δ",
      paper: MARGIN_LOSS_OPTIONS.margin.default,
      points: fixedDeltas.map((v) => ({
        value: v,
        name: fixedMarginName(v),
      })),
    },
    adaptive("margin", { ...alpha, paper: m.alpha.default }, alphas),
    ...(quick ? [] : [
      adaptive(
        "margin",
        { symbol: "δ0", option: "delta0", paper: m.delta0.default },
        EXPERIMENTS_DELTA0S,
      ),
    ]),
    {
      family: "softmax",
      knob: "fixed τ",
      paper: SOFTMAX_LOSS_OPTIONS.temperature.default,
      points: fixedTaus.map((v) => ({
        value: v,
        name: fixedSoftmaxName(v),
      })),
    },
    adaptive("softmax", { ...alpha, paper: t.alpha.default }, alphas),
    ...(quick ? [] : [
      adaptive(
        "softmax",
        { symbol: "τ0", option: "tau0", paper: t.tau0.default },
        EXPERIMENTS_TAU0S,
      ),
    ]),
  ];
}

/**
 * The adaptive losses' knob sweep as configs (plain tower, one knob moved
 * from the paper's default at a time): α for both families (full:
 * {@link EXPERIMENTS_ALPHAS}; quick: 0.1, 0.5, 2), δ0 and τ0 (full only).
 * The default points are the runs "adaptive margin" / "adaptive softmax",
 * the same configs (and run keys) as the sensitivity grid's.
 */
export function experimentsKnobGrid(
  profile: Profile,
): ExperimentsConfig[] {
  return experimentsKnobConfigs(experimentsKnobSeries(profile));
}

/**
 * The configs of the series' points that carry a loss (plain tower, group
 * "knobs"), each name once and none already in `known`: the fixed points
 * are the sensitivity grid's, and an adaptive default point stands in two
 * series (α and δ0/τ0) and in the method grid.
 */
export function experimentsKnobConfigs(
  series: readonly KnobSeries[],
  known: readonly ExperimentsConfig[] = [],
): ExperimentsConfig[] {
  const configs: ExperimentsConfig[] = [];
  const taken = (name: string) =>
    known.some((c) => c.name === name) || configs.some((c) => c.name === name);
  for (const s of series) {
    for (const p of s.points) {
      if (!p.loss || taken(p.name)) continue;
      configs.push({
        name: p.name,
        group: "knobs",
        family: s.family,
        tower: EXPERIMENTS_PLAIN,
        loss: p.loss,
      });
    }
  }
  return configs;
}

/**
 * Real datasets the sweeps are repeated on: SciFact and MovieLens. WANDS is
 * left out: 44 training positives, and its valid split is saturated, so no
 * value of a knob can be told from another on it.
 */
export const EXPERIMENTS_SWEEP_DATASETS: readonly string[] = [
  "scifact",
  "movielens",
];

/**
 * The fixed values of the real-data sweep: the quick profile's coarse
 * grids, each with 1 added, since on both real datasets the best of the
 * coarse values was the largest (0.5), which left the tuned value at the
 * grid's edge.
 */
export const EXPERIMENTS_REAL_SWEEP_VALUES: {
  readonly deltas: readonly number[];
  readonly taus: readonly number[];
} = {
  deltas: [0.01, 0.1, 0.3, 0.5, 1],
  taus: [0.01, 1 / 30, 0.1, 0.5, 1],
};

/**
 * The fixed δ/τ sweep and the α sweep repeated on the real datasets
 * ({@link EXPERIMENTS_SWEEP_DATASETS}), so that the sensitivity claims do
 * not rest on our generator alone. Both profiles use the same coarse
 * values ({@link EXPERIMENTS_REAL_SWEEP_VALUES}; α ∈ {0.1, 0.5, 2}; δ0 and
 * τ0 stay at the paper's values): every point costs one run per seed and
 * dataset. The configs keep the names (and run keys) of the benchmark's,
 * so the points at the paper's values are the main table's runs.
 */
export function experimentsRealSweep(): {
  series: KnobSeries[];
  configs: ExperimentsConfig[];
} {
  const { deltas, taus } = EXPERIMENTS_REAL_SWEEP_VALUES;
  const configs = [
    ...experimentsFixedConfigs({ deltas, taus }),
    ...experimentsSensitivityGrid("quick").filter((c) => c.value === undefined),
  ];
  for (const c of experimentsKnobGrid("quick")) {
    if (!configs.some((x) => x.name === c.name)) configs.push(c);
  }
  return {
    series: experimentsKnobSeries("quick", {
      fixedDeltas: deltas,
      fixedTaus: taus,
    }),
    configs,
  };
}

/** Options of {@link experimentsKnobChart}. */
export interface KnobChartOptions {
  /** The series the rows came from (the axis titles name their paper values). */
  series: readonly KnobSeries[];
  /** Chart title. */
  title: string;
  /** Subtitle: dataset, profile, seeds. */
  subtitle: string;
}

/**
 * The knob figure of {@link experimentsKnobRows}' points: one panel per
 * family, x = each knob's value over the paper's (log), test batch
 * recall@10 with 95% intervals, one line per knob.
 */
export function experimentsKnobChart(
  rows: readonly KnobRow[],
  options: KnobChartOptions,
): VegaLiteSpec {
  // "Knob value / paper's value (δ 0.1, α 0.5, δ0 0.01)": each series' knob
  // symbol ("fixed δ" → δ) with its paper value.
  const axis = (family: string) =>
    `Knob value / paper's value (${
      options.series.filter((s) => s.family === family).map((s) =>
        `${s.knob.split(" ").pop()} ${valueLabel(s.paper)}`
      ).join(", ")
    })`;
  return sensitivity(rows, {
    k: 10,
    logDelta: true,
    logTau: true,
    sharedY: false,
    seriesTitle: "Knob",
    xTitles: { margin: axis("margin"), softmax: axis("softmax") },
    title: options.title,
    subtitle: options.subtitle,
  });
}

/** One point of the knob figure (lib/plot's `sensitivity` rows). */
export interface KnobRow {
  /** Panel: "margin" or "softmax". */
  family: string;
  /** The knob's value over its paper default. */
  value: number;
  /** The knob's own value. */
  raw: number;
  /** Mean test metric over seeds. */
  recall: number;
  /** 95% interval, lower end. */
  lo: number;
  /** Upper end. */
  hi: number;
  /** The knob ("fixed δ", "adaptive α", …): one line each. */
  series: string;
}

/**
 * Aggregated rows (`experimentsAggregate` of the sensitivity and knob
 * runs, one dataset) as the figure's points: one line per knob, x = value
 * over the paper's default. Points whose run is missing are left out.
 */
export function experimentsKnobRows(
  rows: readonly ExperimentsRow[],
  series: readonly KnobSeries[],
): KnobRow[] {
  const byName = new Map(
    rows.filter((r) => r.skipped === null).map((r) => [r.name, r]),
  );
  const out: KnobRow[] = [];
  for (const s of series) {
    for (const p of s.points) {
      const r = byName.get(p.name);
      if (!r) continue;
      out.push({
        family: s.family,
        value: p.value / s.paper,
        raw: p.value,
        recall: r.mean,
        lo: r.lo,
        hi: r.hi,
        series: s.knob,
      });
    }
  }
  return out;
}

/** What one knob's sweep did to the metric. */
export interface KnobSpread {
  /** Family. */
  family: string;
  /** Knob. */
  knob: string;
  /** Swept range (the knob's own values). */
  from: number;
  /** Upper end of the range. */
  to: number;
  /** Best minus worst mean over the sweep. */
  spread: number;
  /** The value with the best mean. */
  best: number;
  /** Best mean minus the mean at the paper's value (NaN if not swept). */
  defaultLoss: number;
  /** Mean half-width of the points' 95% intervals (the noise scale). */
  halfWidth: number;
}

/** Spread, best value and the paper default's shortfall of every knob. */
export function experimentsKnobSpreads(
  rows: readonly KnobRow[],
): KnobSpread[] {
  const keys = [...new Set(rows.map((r) => `${r.family}\u0000${r.series}`))];
  return keys.map((key) => {
    const [family, knob] = key.split("\u0000");
    const pts = rows.filter((r) => r.family === family && r.series === knob);
    const best = pts.reduce((a, b) => (b.recall > a.recall ? b : a));
    const worst = pts.reduce((a, b) => (b.recall < a.recall ? b : a));
    const atDefault = pts.find((p) => Math.abs(p.value - 1) < 1e-9);
    const widths = pts.map((p) => (p.hi - p.lo) / 2).filter(Number.isFinite);
    return {
      family,
      knob,
      from: Math.min(...pts.map((p) => p.raw)),
      to: Math.max(...pts.map((p) => p.raw)),
      spread: best.recall - worst.recall,
      best: best.raw,
      defaultLoss: atDefault ? best.recall - atDefault.recall : NaN,
      halfWidth: mean(widths),
    };
  });
}

/**
 * One sentence per family answering "hyper-parameter free?": each
 * knob's spread over its swept range and what the paper's default gives
 * up, then the verdict. The adaptive loss counts as flat in a knob when
 * that knob's spread is under half the fixed knob's and under twice the
 * points' interval half-width; as "moving the tuning" when some adaptive
 * knob's spread is at least half the fixed one's.
 */
export function experimentsKnobVerdicts(
  spreads: readonly KnobSpread[],
  options: { dataset: string; metric?: string },
): string[] {
  const metric = options.metric ?? "test batch recall@10";
  const f3 = (x: number) => x.toFixed(3);
  const families = [...new Set(spreads.map((s) => s.family))];
  return families.map((family) => {
    const mine = spreads.filter((s) => s.family === family);
    const fixed = mine.find((s) => s.knob.startsWith("fixed"));
    const adaptive = mine.filter((s) => !s.knob.startsWith("fixed"));
    const describe = (s: KnobSpread) =>
      `${s.knob} ∈ [${valueLabel(s.from)}, ${valueLabel(s.to)}] (${
        (s.to / s.from).toFixed(0)
      }× range): spread ${f3(s.spread)}, best at ${valueLabel(s.best)}${
        Number.isFinite(s.defaultLoss)
          ? `, the paper's value ${f3(s.defaultLoss)} below it`
          : ""
      }`;
    const head = `**${family}** (${options.dataset}, ${metric}): ${
      mine.map(describe).join("; ")
    }.`;
    if (!fixed || adaptive.length === 0) {
      return `${head} (No fixed/adaptive pair to compare.)`;
    }
    const flat = adaptive.filter((s) =>
      s.spread < fixed.spread / 2 && s.spread < 2 * s.halfWidth
    );
    const steep = adaptive.filter((s) => s.spread >= fixed.spread / 2);
    let verdict: string;
    if (flat.length === adaptive.length) {
      verdict = `the adaptive loss is flat in ${
        adaptive.map((s) => s.knob.replace("adaptive ", "")).join(" and ")
      } where the fixed loss moves by ${f3(fixed.spread)}: ` +
        "on this data it does remove the tuning";
    } else if (steep.length > 0) {
      verdict = `${
        steep.map((s) => s.knob.replace("adaptive ", "")).join(" and ")
      } moves the adaptive loss by at least half as much as δ/τ moves the fixed one: ` +
        "the tuning moved to the adaptive loss's own knobs rather than away";
    } else {
      verdict =
        `the adaptive loss is less sensitive than the fixed one (every spread under half of ${
          f3(fixed.spread)
        }), but not flat within the seeds' noise`;
    }
    return `${head} Verdict: ${verdict}.`;
  });
}
