/**
 * Distributions of the per-pair values the adaptive loss used (δ_j or τ_j),
 * optionally over training snapshots, coloured by step.
 *
 * The histogram / kernel density is computed here rather than by Vega, so a
 * batch of 350 × 349 pairs per snapshot becomes ~100 points in the spec and
 * the notebook's MIME bundle stays small.
 *
 * @module
 */

import { BuilderRows, uniqueInOrder } from "./input.ts";
import { sidePanels, type TitleOptions, topLevel } from "./parts.ts";
import {
  panelSize,
  type PanelSizeOptions,
  type VegaLiteSpec,
} from "./theme.ts";

/** One pair's value (default field names). */
export interface PairValueRow {
  /** δ_j or τ_j of one (query, negative) pair. */
  value: number;
  /** Training step of the snapshot (optional; colours the lines). */
  step?: number;
  /** What the value is, e.g. `"δ_j"` or `"τ_j"`; one panel each (optional). */
  kind?: string;
}

/** Options for {@link pairValueDistribution}. */
export interface PairValueOptions extends TitleOptions, PanelSizeOptions {
  /** Field of the value; default `"value"`. */
  value?: string;
  /** Field of the snapshot step; default `"step"` (optional). */
  step?: string;
  /** Field of the panel label; default `"kind"` (optional). */
  kind?: string;
  /** Histogram (fraction of pairs per bin, default) or Gaussian KDE. */
  mode?: "histogram" | "density";
  /** Histogram bins per panel; default 40. */
  bins?: number;
  /** KDE grid points per panel; default 120. */
  points?: number;
  /** X title; default the panel's kind, else `"Per-pair value"`. */
  valueTitle?: string;
  /** Legend title of the step colour; default `"Step"`. */
  stepTitle?: string;
}

/** Values of one (kind, step) group. */
interface Group {
  step: number | undefined;
  values: number[];
}

/** Histogram of `values` on `bins` equal bins over [lo, hi] (hi inclusive). */
function histogram(
  values: readonly number[],
  range: { lo: number; hi: number; bins: number },
): number[] {
  const { lo, hi, bins } = range;
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (const v of values) {
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))]++;
  }
  return counts;
}

/** Silverman's rule-of-thumb bandwidth, floored for constant samples. */
function bandwidth(values: readonly number[]): number {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(
    values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, n - 1),
  );
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * (n - 1)))];
  const iqr = q(0.75) - q(0.25);
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
  // A constant sample (sd is only rounding noise then) gets a bandwidth of
  // 0.1% of its value so the curve is a visible spike, not a NaN.
  if (sorted[0] === sorted[n - 1]) {
    return Math.max(1e-3 * Math.abs(sorted[0]), 1e-6);
  }
  return 0.9 * spread * n ** -0.2;
}

/**
 * Histogram (default) or kernel density of per-pair δ_j / τ_j, one panel per
 * `kind`, one line per training `step` (viridis, early → late). A single
 * snapshot draws bars. Rows: {@link PairValueRow}.
 */
export function pairValueDistribution(
  rows: readonly object[],
  options: PairValueOptions = {},
): VegaLiteSpec {
  const recs = new BuilderRows(rows, "pairValueDistribution", options);
  const values = recs.numbers("value");
  const steps = recs.wants("step") ? recs.numbers("step") : undefined;
  const kinds = recs.optionalKeys("kind");
  const mode = options.mode ?? "histogram";
  const bins = recs.positiveInt(options.bins ?? 40, "bins");
  const points = recs.positiveInt(options.points ?? 120, "points");
  const kindOrder = kinds ? uniqueInOrder(kinds) : [""];
  const stepOrder = steps ? uniqueInOrder(steps).sort((a, b) => a - b) : [];
  const multi = stepOrder.length > 1;
  const { width, height } = panelSize(options);

  const panels = kindOrder.map((kind) => {
    const groups = new Map<number | undefined, Group>();
    for (let i = 0; i < values.length; i++) {
      if (kinds && kinds[i] !== kind) continue;
      const step = steps?.[i];
      let g = groups.get(step);
      if (!g) groups.set(step, g = { step, values: [] });
      g.values.push(values[i]);
    }
    const ordered = [...groups.values()].sort((a, b) =>
      (a.step ?? 0) - (b.step ?? 0)
    );
    let lo = Infinity;
    let hi = -Infinity;
    for (const g of ordered) {
      for (const v of g.values) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const data: Record<string, unknown>[] = [];
    if (mode === "density") {
      // The grid stops at the data range (seaborn's cut=0): δ_j and τ_j are
      // bounded below, and tails past the data would suggest values that
      // cannot occur.
      const hs = ordered.map((g) => bandwidth(g.values));
      const spread = hi > lo ? 0 : 3 * Math.max(...hs); // constant sample
      const a = lo - spread;
      const b = hi + spread;
      ordered.forEach((g, gi) => {
        const h = hs[gi];
        const norm = 1 / (g.values.length * h * Math.sqrt(2 * Math.PI));
        for (let p = 0; p < points; p++) {
          const x = points === 1 ? (a + b) / 2 : a + (b - a) * p / (points - 1);
          let s = 0;
          for (const v of g.values) s += Math.exp(-0.5 * ((x - v) / h) ** 2);
          data.push({ x, y: s * norm, step: g.step });
        }
      });
    } else {
      if (hi === lo) {
        // A constant sample (e.g. collapsed δ_j): one visible bin around it.
        const half = Math.max(1e-3 * Math.abs(lo), 1e-6);
        lo -= half;
        hi += half;
      }
      const w = (hi - lo) / bins;
      for (const g of ordered) {
        const counts = histogram(g.values, { lo, hi, bins });
        counts.forEach((c, k) => {
          data.push({
            x0: lo + k * w,
            x1: lo + (k + 1) * w,
            x: lo + (k + 0.5) * w,
            y: c / g.values.length,
            step: g.step,
          });
        });
      }
    }
    const xTitle = options.valueTitle ?? (kind || "Per-pair value");
    const yTitle = mode === "density" ? "Density" : "Fraction of pairs";
    const color = multi
      ? {
        color: {
          field: "step",
          type: "ordinal",
          title: options.stepTitle ?? "Step",
          scale: { domain: stepOrder, scheme: "viridis" },
        },
      }
      : {};
    let view: Record<string, unknown>;
    if (mode === "histogram" && !multi) {
      view = {
        mark: {
          type: "rect",
          color: "#4c78a8",
          stroke: "white",
          strokeWidth: 0.5,
        },
        encoding: {
          x: {
            field: "x0",
            type: "quantitative",
            title: xTitle,
            scale: { zero: false },
          },
          x2: { field: "x1" },
          y: { field: "y", type: "quantitative", title: yTitle },
        },
      };
    } else {
      view = {
        mark: {
          type: "line",
          interpolate: mode === "histogram" ? "step" : "monotone",
        },
        encoding: {
          x: {
            field: "x",
            type: "quantitative",
            title: xTitle,
            scale: { zero: false },
          },
          y: { field: "y", type: "quantitative", title: yTitle },
          ...color,
        },
      };
    }
    const panel: Record<string, unknown> = {
      width,
      height,
      data: { values: data },
      ...view,
    };
    if (kinds && kindOrder.length > 1) panel.title = kind;
    return panel;
  });
  return topLevel(sidePanels(panels), options);
}
