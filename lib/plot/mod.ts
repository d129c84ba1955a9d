/**
 * Charts for the notebooks: pure builders that turn plain arrays of records
 * into Vega-Lite specs (one shared theme), headless SVG/PNG rendering, the
 * Jupyter MIME bundle, and results tables as Markdown/HTML text.
 *
 * The builders take records, not library types, so this layer depends on
 * nothing below it; every builder names the record shape it expects and
 * lets options rename the fields.
 *
 * @example
 * ```ts
 * import { mimeBundle, toSvg, trainingCurves } from "./mod.ts";
 * const spec = trainingCurves([{ run: "a", step: 0, loss: 1 }, { run: "a", step: 1, loss: 0.5 }]);
 * const svg = await toSvg(spec);
 * const bundle = mimeBundle(spec, svg);
 * ```
 *
 * @module
 */

export {
  FONT,
  PANEL_HEIGHT,
  PANEL_WIDTH,
  type PanelSizeOptions,
  SCHEMA_URL,
  THEME,
  themeConfig,
  type VegaLiteSpec,
} from "./theme.ts";
export { PlotInputError } from "./input.ts";
export { type TitleOptions } from "./parts.ts";
export * from "./training_curves.ts";
export * from "./sensitivity.ts";
export * from "./main_table.ts";
export * from "./table_text.ts";
export * from "./pair_values.ts";
export * from "./embedding_health.ts";
export * from "./ivf_pq_recall.ts";
export * from "./render.ts";
