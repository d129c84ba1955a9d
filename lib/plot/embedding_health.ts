/**
 * Embedding health over training: small multiples of mean item cosine,
 * uniformity and effective rank, one line per run. Side by side, a run
 * without stop-gradient shows the collapse (cosine → 1, rank → 1,
 * uniformity → 0) that the run with it avoids.
 *
 * @module
 */

import { BuilderRows, numberColumn, uniqueInOrder } from "./input.ts";
import { stepLines, type TitleOptions, topLevel } from "./parts.ts";
import type { VegaLiteSpec } from "./theme.ts";

/**
 * Diagnostics of one run at one step (default field names; the metric
 * fields follow `lib/eval`'s health report, `uniformity` being the item
 * uniformity). A row may lack some metrics.
 */
export interface EmbeddingHealthRow {
  /** Run label, e.g. `"with stop-gradient"` (optional for one run). */
  run?: string;
  /** Training step. */
  step: number;
  /** Mean off-diagonal item–item cosine. */
  meanCosine?: number;
  /** Uniformity log E exp(−t‖x − y‖²) of the items. */
  uniformity?: number;
  /** Effective rank of the item embeddings. */
  effectiveRank?: number;
}

/** One panel of {@link embeddingHealth}. */
export interface HealthMetric {
  /** Field of the metric in the rows. */
  field: string;
  /** Panel title and y title. */
  title: string;
}

/** Options for {@link embeddingHealth}. */
export interface EmbeddingHealthOptions extends TitleOptions {
  /** Field of the step; default `"step"`. */
  step?: string;
  /** Field of the run label; default `"run"` (optional). */
  series?: string;
  /** Panels, in order; default mean cosine, uniformity, effective rank. */
  metrics?: readonly HealthMetric[];
  /** Legend title; default `"Run"`. */
  seriesTitle?: string;
  /** Panels per row; default all in one row. */
  columns?: number;
  /** Panel width in pixels; default 320. */
  width?: number;
  /** Panel height in pixels; default 240. */
  height?: number;
}

/** The default panels. */
export const HEALTH_METRICS: readonly HealthMetric[] = Object.freeze([
  { field: "meanCosine", title: "Mean item cosine" },
  { field: "uniformity", title: "Uniformity" },
  { field: "effectiveRank", title: "Effective rank" },
]);

/**
 * One panel per metric (independent y scales), x = step, colour = run.
 * Rows: {@link EmbeddingHealthRow}; rows lacking a metric are left out of
 * its panel, a metric missing from every row is an error.
 */
export function embeddingHealth(
  rows: readonly object[],
  options: EmbeddingHealthOptions = {},
): VegaLiteSpec {
  const recs = new BuilderRows(rows, "embeddingHealth", options);
  const metrics = options.metrics ?? HEALTH_METRICS;
  if (metrics.length === 0) throw recs.error("options.metrics is empty");
  const steps = recs.numbers("step");
  const series = recs.optionalKeys("series", "run");
  const metricValues = (m: HealthMetric, mi: number) =>
    numberColumn(recs.records, {
      builder: recs.builder,
      field: m.field,
      option: `metrics[${mi}].field`,
      required: "some",
    });
  const panels = metrics.map((m, mi) =>
    stepLines(metricValues(m, mi), {
      steps,
      series,
      domain: series ? uniqueInOrder(series) : [],
      seriesTitle: options.seriesTitle ?? "Run",
      yTitle: m.title,
      scale: { zero: false },
      title: m.title,
      width: options.width ?? 320,
      height: options.height ?? 240,
    })
  );
  return topLevel({
    concat: panels,
    columns: options.columns ?? panels.length,
    resolve: { scale: { color: "shared" } },
  }, options);
}
