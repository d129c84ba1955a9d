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
    scale: { domain: [...options.domain] },
  };
  if (options.legend === false) enc.legend = null;
  return enc;
}

/** Whether lines should also draw point markers (sparse series only). */
export function wantPoints(pointsPerSeries: number): boolean {
  return pointsPerSeries <= 40;
}
