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
export {
  type TrainingCurveRow,
  trainingCurves,
  type TrainingCurvesOptions,
} from "./training_curves.ts";
export {
  sensitivity,
  type SensitivityOptions,
  type SensitivityReference,
  type SensitivityRow,
} from "./sensitivity.ts";
export {
  mainTable,
  type MainTableOptions,
  type MainTableRow,
} from "./main_table.ts";
export {
  formatInterval,
  formatNumber,
  type TableColumn,
  tableHtml,
  type TableHtmlOptions,
  tableMarkdown,
  type TableTextOptions,
} from "./table_text.ts";
export {
  pairValueDistribution,
  type PairValueOptions,
  type PairValueRow,
} from "./pair_values.ts";
export {
  embeddingHealth,
  type EmbeddingHealthOptions,
  type EmbeddingHealthRow,
  HEALTH_METRICS,
  type HealthMetric,
} from "./embedding_health.ts";
export {
  ivfPqRecall,
  type IvfPqRecallOptions,
  type IvfPqRow,
} from "./ivf_pq_recall.ts";
export {
  type ChartMimeBundle,
  type CompiledSpec,
  compileSpec,
  mimeBundle,
  type MimeBundleOptions,
  type PngOptions,
  pngSize,
  renderChart,
  type RenderChartOptions,
  type RenderedChart,
  renderSvg,
  specTitle,
  type SvgOptions,
  type SvgResult,
  svgSize,
  toPng,
  toSvg,
  VEGALITE_MIME,
  type WarningPolicy,
} from "./render.ts";
