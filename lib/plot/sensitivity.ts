/**
 * The paper's sensitivity figure: batch recall@k of the fixed-hyper-parameter
 * losses as the margin δ (margin loss) and the temperature τ (softmax loss)
 * are swept, one panel per loss, with the adaptive method's recall drawn as a
 * labelled horizontal reference line in each panel.
 *
 * @module
 */

import { BuilderRows, uniqueInOrder } from "./input.ts";
import {
  seriesColor,
  sidePanels,
  type TitleOptions,
  topLevel,
} from "./parts.ts";
import {
  panelSize,
  type PanelSizeOptions,
  type VegaLiteSpec,
} from "./theme.ts";

/** One sweep point (default field names; rename them with the options). */
export interface SensitivityRow {
  /** Loss family: `"margin"` (x = δ) or `"softmax"` (x = τ); one panel each. */
  family: string;
  /** The fixed δ or τ of this run. */
  value: number;
  /** Batch recall@k of the run (mean over seeds, say). */
  recall: number;
  /** Lower end of its interval (optional, with `hi`). */
  lo?: number;
  /** Upper end of its interval (optional, with `lo`). */
  hi?: number;
  /** Line label when several lines share a panel (e.g. dataset). */
  series?: string;
}

/** The adaptive method's recall, drawn as a reference line in one panel. */
export interface SensitivityReference {
  /** Panel (loss family) it belongs to, e.g. `"margin"`. */
  family: string;
  /** Its recall. */
  recall: number;
  /** Label; default `"adaptive: <recall>"`. */
  label?: string;
}

/** Options for {@link sensitivity}. */
export interface SensitivityOptions extends TitleOptions, PanelSizeOptions {
  /** Field of the loss family; default `"family"`. */
  family?: string;
  /** Field of δ / τ; default `"value"`. */
  value?: string;
  /** Field of the recall; default `"recall"`. */
  recall?: string;
  /** Field of the interval's lower end; default `"lo"` (optional). */
  lo?: string;
  /** Field of the interval's upper end; default `"hi"` (optional). */
  hi?: string;
  /** Field of the line label; default `"series"` (optional). */
  series?: string;
  /** k of recall@k, for the y title (`"Batch recall@10"`). */
  k?: number;
  /** Y title; overrides the one built from `k`. */
  recallTitle?: string;
  /** Log-scale x for the softmax (τ) panel. */
  logTau?: boolean;
  /** Log-scale x for the margin (δ) panel. */
  logDelta?: boolean;
  /** Adaptive-method reference lines, at most one per family. */
  reference?: readonly SensitivityReference[];
  /** Intervals as error bars (default) or a shaded band. */
  errors?: "bars" | "band";
  /** One y scale for all panels (default) or one per panel. */
  sharedY?: boolean;
  /** Legend title for `series`; default `"Series"`. */
  seriesTitle?: string;
  /** X-axis title per family, over the defaults ("Fixed margin δ", …). */
  xTitles?: Readonly<Record<string, string>>;
}

/** Axis and panel titles of the two known families. */
const FAMILY_TITLES: Record<string, { panel: string; x: string }> = {
  margin: { panel: "Margin loss", x: "Fixed margin δ" },
  softmax: { panel: "Softmax loss", x: "Fixed temperature τ" },
};

/**
 * Recall@k vs δ (margin) and vs τ (softmax), one panel per family present in
 * the rows (margin first), lines per `series`, intervals when rows carry
 * `lo`/`hi`, and a dashed, labelled rule at each {@link SensitivityReference}.
 * Rows: {@link SensitivityRow}.
 */
export function sensitivity(
  rows: readonly object[],
  options: SensitivityOptions = {},
): VegaLiteSpec {
  const recs = new BuilderRows(rows, "sensitivity", options);
  const families = recs.keys("family");
  const values = recs.numbers("value");
  const recalls = recs.numbers("recall");
  const { loField, hiField, los, his } = recs.intervals("some");
  if (los && his) {
    los.forEach((lo, i) => {
      if ((lo === undefined) !== (his[i] === undefined)) {
        throw recs.error(`row ${i} has only one of "${loField}"/"${hiField}"`);
      }
    });
  }
  const series = recs.optionalKeys("series");
  const seriesDomain = series ? uniqueInOrder(series) : [];

  const present = uniqueInOrder(families);
  const order = [
    ...Object.keys(FAMILY_TITLES).filter((f) => present.includes(f)),
    ...present.filter((f) => !(f in FAMILY_TITLES)),
  ];
  for (const r of options.reference ?? []) {
    if (!order.includes(r.family)) {
      throw recs.error(
        `options.reference names family "${r.family}", but the ` +
          `rows only have: ${order.join(", ")}`,
      );
    }
    if (!Number.isFinite(r.recall)) {
      throw recs.error(
        `options.reference recall for "${r.family}" is ` +
          `${r.recall}, expected a finite number`,
      );
    }
  }
  const { width, height } = panelSize(options);
  const yTitle = options.recallTitle ??
    (options.k === undefined ? "Batch recall@k" : `Batch recall@${options.k}`);

  const panels = order.map((family) => {
    const logX = (family === "softmax" && options.logTau === true) ||
      (family === "margin" && options.logDelta === true);
    const data: Record<string, unknown>[] = [];
    families.forEach((f, i) => {
      if (f !== family) return;
      if (logX && !(values[i] > 0)) {
        throw recs.error(
          `field "${recs.field("value")}" in row ${i} is ` +
            `${values[i]}, but a log scale needs values > 0`,
        );
      }
      const row: Record<string, unknown> = { x: values[i], y: recalls[i] };
      if (los && los[i] !== undefined) {
        row.lo = los[i];
        row.hi = his![i];
      }
      if (series) row.series = series[i];
      data.push(row);
    });
    const titles = FAMILY_TITLES[family] ?? { panel: family, x: "Value" };
    const x = {
      field: "x",
      type: "quantitative",
      title: options.xTitles?.[family] ?? titles.x,
      scale: logX ? { type: "log" } : { zero: false },
    };
    const color = series
      ? {
        color: seriesColor("series", {
          title: options.seriesTitle ?? "Series",
          domain: seriesDomain,
        }),
      }
      : {};
    const layer: Record<string, unknown>[] = [];
    if (data.some((d) => d.lo !== undefined)) {
      const band = options.errors === "band";
      layer.push({
        transform: [{ filter: { field: "lo", valid: true } }],
        mark: band
          ? { type: "errorband", opacity: 0.25 }
          : { type: "errorbar", ticks: true },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", title: yTitle },
          y2: { field: "hi" },
          ...color,
        },
      });
    }
    layer.push({
      mark: { type: "line", point: true },
      encoding: {
        x,
        y: {
          field: "y",
          type: "quantitative",
          title: yTitle,
          // Room above/below the data so a reference label at the edge of
          // the domain stays inside the panel.
          scale: { zero: false, padding: 18 },
        },
        ...color,
      },
    });
    const refs = (options.reference ?? []).filter((r) => r.family === family);
    if (refs.length > 1) {
      throw recs.error(
        `options.reference has ${refs.length} entries for ` +
          `family "${family}", expected at most one`,
      );
    }
    for (const r of refs) {
      const refData = {
        values: [{
          y: r.recall,
          label: r.label ?? `adaptive: ${r.recall.toFixed(3)}`,
        }],
      };
      layer.push({
        data: refData,
        mark: { type: "rule", strokeDash: [6, 4], color: "#333333" },
        encoding: { y: { field: "y", type: "quantitative" } },
      });
      layer.push({
        data: refData,
        mark: {
          type: "text",
          align: "right",
          baseline: "bottom",
          dx: -4,
          dy: -4,
          color: "#333333",
        },
        encoding: {
          x: { value: width },
          y: { field: "y", type: "quantitative" },
          text: { field: "label" },
        },
      });
    }
    return {
      title: titles.panel,
      width,
      height,
      data: { values: data },
      layer,
    };
  });
  const sharedY = options.sharedY !== false;
  return topLevel(sidePanels(panels, { sharedY }), options);
}
