/**
 * Small spec fragments shared by the builders: the top-level wrapper (schema,
 * theme, title) and the colour channel for a series.
 *
 * @module
 */

import { SCHEMA_URL, themeConfig, type VegaLiteSpec } from "./theme.ts";

/** Title options every builder accepts. */
export interface TitleOptions {
  /** Chart title (also the Jupyter `text/plain` fallback). */
  title?: string;
  /** Smaller line under the title, e.g. dataset and seed. */
  subtitle?: string;
}

/**
 * Panels side by side sharing one colour legend; with `sharedY`, also one y
 * scale (true) or one per panel (false). A single panel stays as it is.
 */
export function sidePanels(
  panels: readonly Record<string, unknown>[],
  options: { sharedY?: boolean } = {},
): Record<string, unknown> {
  if (panels.length === 1) return panels[0];
  const scale: Record<string, string> = { color: "shared" };
  if (options.sharedY !== undefined) {
    scale.y = options.sharedY ? "shared" : "independent";
  }
  return { hconcat: panels, resolve: { scale } };
}

/** Wraps a view/composition with `$schema`, the theme and the title. */
export function topLevel(
  body: Record<string, unknown>,
  options: TitleOptions,
): VegaLiteSpec {
  const spec: VegaLiteSpec = { $schema: SCHEMA_URL, ...body };
  // The chart title wins over a single panel's own title.
  if (options.title !== undefined || options.subtitle !== undefined) {
    const title: Record<string, unknown> = { text: options.title ?? "" };
    if (options.subtitle !== undefined) title.subtitle = options.subtitle;
    spec.title = title;
  }
  spec.config = themeConfig();
  return spec;
}

/**
 * Nominal colour encoding for `field`, with the legend in first-appearance
 * order (so colours follow the order the caller listed runs/methods).
 */
export function seriesColor(
  field: string,
  options: { title: string; domain: readonly string[]; legend?: boolean },
): Record<string, unknown> {
  const enc: Record<string, unknown> = {
    field,
    type: "nominal",
    title: options.title,
    scale: {
      domain: [...options.domain],
      // The theme's ten colours would repeat: twenty, in light/dark pairs.
      ...(options.domain.length > 10 ? { scheme: "tableau20" } : {}),
    },
  };
  if (options.legend === false) enc.legend = null;
  return enc;
}

/** Whether lines should also draw point markers (sparse series only). */
export function wantPoints(pointsPerSeries: number): boolean {
  return pointsPerSeries <= 40;
}

/** What {@link stepLines} draws besides the values. */
export interface StepLinesOptions {
  /** Step of each row. */
  steps: readonly number[];
  /** Series (run) of each row; undefined: one line, no legend. */
  series?: readonly string[];
  /** Legend order of the series. */
  domain: readonly string[];
  /** Legend title. */
  seriesTitle: string;
  /** Y title. */
  yTitle: string;
  /** Y scale. */
  scale: Record<string, unknown>;
  /** Log-scale step axis (long runs next to short ones). */
  logStep?: boolean;
  /** Panel title (optional). */
  title?: string;
  /** Panel width in pixels. */
  width: number;
  /** Panel height in pixels. */
  height: number;
}

/**
 * A panel of a metric over training steps, one line per series; rows whose
 * value is undefined are left out (e.g. recall logged less often than loss).
 */
export function stepLines(
  values: readonly (number | undefined)[],
  options: StepLinesOptions,
): Record<string, unknown> {
  const { steps, series, domain } = options;
  const data: Record<string, unknown>[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    const row: Record<string, unknown> = { step: steps[i], value: v };
    if (series) row.series = series[i];
    data.push(row);
  });
  const encoding: Record<string, unknown> = {
    x: {
      field: "step",
      type: "quantitative",
      title: options.logStep ? "Step (log)" : "Step",
      ...(options.logStep ? { scale: { type: "log", nice: false } } : {}),
    },
    y: {
      field: "value",
      type: "quantitative",
      title: options.yTitle,
      scale: options.scale,
    },
  };
  if (series) {
    encoding.color = seriesColor("series", {
      title: options.seriesTitle,
      domain,
    });
  }
  return {
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.width,
    height: options.height,
    data: { values: data },
    mark: {
      type: "line",
      point: wantPoints(data.length / Math.max(1, domain.length)),
    },
    encoding,
  };
}
