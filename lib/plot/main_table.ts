/**
 * The main results table as a chart: one bar per method (per dataset panel),
 * with its 95% confidence interval as an error bar.
 *
 * @module
 */

import { BuilderRows, uniqueInOrder } from "./input.ts";
import { seriesColor, type TitleOptions, topLevel } from "./parts.ts";
import { PANEL_HEIGHT, type VegaLiteSpec } from "./theme.ts";

/** One cell of the results table (default field names). */
export interface MainTableRow {
  /** Method name, e.g. `"adaptive margin"`, `"DSSM"`. */
  method: string;
  /** Dataset; one column panel each (optional). */
  dataset?: string;
  /** Point estimate of the metric (mean over seeds / bootstrap). */
  mean: number;
  /** Lower end of the 95% interval. */
  lo?: number;
  /** Upper end of the 95% interval. */
  hi?: number;
}

/** Options for {@link mainTable}. */
export interface MainTableOptions extends TitleOptions {
  /** Field of the method; default `"method"`. */
  method?: string;
  /** Field of the dataset; default `"dataset"` (optional). */
  dataset?: string;
  /** Field of the estimate; default `"mean"`. */
  mean?: string;
  /** Field of the interval's lower end; default `"lo"`. */
  lo?: string;
  /** Field of the interval's upper end; default `"hi"`. */
  hi?: string;
  /** Y title, e.g. `"Recall@10"`; default `"Metric"`. */
  metricTitle?: string;
  /** X title; default none (the method names say it). */
  methodTitle?: string;
  /** Bar slot width in pixels; default 40. */
  barStep?: number;
  /** Panel height in pixels; default 300. */
  height?: number;
}

/**
 * Grouped bar chart of a metric per method (methods in first-appearance
 * order, one colour each), one column panel per dataset when rows have one,
 * and an error-bar layer from `lo` to `hi`. Rows: {@link MainTableRow};
 * each (method, dataset) pair must occur once.
 */
export function mainTable(
  rows: readonly object[],
  options: MainTableOptions = {},
): VegaLiteSpec {
  const recs = new BuilderRows(rows, "mainTable", options);
  const methods = recs.keys("method");
  const datasets = recs.optionalKeys("dataset");
  const means = recs.numbers("mean");
  const { loField, hiField, los, his } = recs.intervals("all");

  const seen = new Set<string>();
  const values = recs.records.map((_, i) => {
    const key = JSON.stringify([methods[i], datasets?.[i]]);
    if (seen.has(key)) {
      throw recs.error(
        `method "${methods[i]}"` +
          (datasets ? ` on dataset "${datasets[i]}"` : "") +
          ` occurs twice (row ${i}); expected one row per cell`,
      );
    }
    seen.add(key);
    if (los && his && !(los[i] <= means[i] && means[i] <= his[i])) {
      throw recs.error(
        `row ${i} has ${loField}=${los[i]}, mean=${means[i]}, ` +
          `${hiField}=${his[i]}; expected lo <= mean <= hi`,
      );
    }
    const row: Record<string, unknown> = { method: methods[i], mean: means[i] };
    if (datasets) row.dataset = datasets[i];
    if (los && his) {
      row.lo = los[i];
      row.hi = his[i];
    }
    return row;
  });

  const methodDomain = uniqueInOrder(methods);
  const metricTitle = options.metricTitle ?? "Metric";
  const x = {
    field: "method",
    type: "nominal",
    title: options.methodTitle ?? null,
    sort: methodDomain,
    axis: { labelAngle: -35, labelLimit: 160 },
  };
  const layer: Record<string, unknown>[] = [{
    mark: { type: "bar" },
    encoding: {
      x,
      y: { field: "mean", type: "quantitative", title: metricTitle },
      color: seriesColor("method", {
        title: "Method",
        domain: methodDomain,
        legend: false,
      }),
    },
  }];
  if (los) {
    layer.push({
      mark: { type: "errorbar", ticks: true, color: "#222222" },
      encoding: {
        x,
        y: { field: "lo", type: "quantitative", title: metricTitle },
        y2: { field: "hi" },
      },
    });
  }
  const view = {
    width: { step: options.barStep ?? 40 },
    height: options.height ?? PANEL_HEIGHT,
    layer,
  };
  const body = datasets
    ? {
      data: { values },
      facet: {
        column: {
          field: "dataset",
          type: "nominal",
          title: null,
          sort: uniqueInOrder(datasets),
        },
      },
      spec: view,
      resolve: { scale: { y: "shared" } },
    }
    : { data: { values }, ...view };
  return topLevel(body, options);
}
