/**
 * The one theme every chart of the package uses, and the spec type the
 * builders return.
 *
 * Specs declare the Vega-Lite **v5** schema because Jupyter's display MIME
 * type is `application/vnd.vegalite.v5+json`; the builders only use features
 * that v5 renderers understand, and the tests compile them with vega-lite 6.
 *
 * @module
 */

/** `$schema` of every spec (matches Jupyter's `vnd.vegalite.v5` MIME type). */
export const SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v5.json";

/**
 * Font stack for all text. DejaVu Sans ships with most Linux images (and is
 * what `toPng` renders with, from npm); Arial covers macOS/Windows viewers.
 */
export const FONT = "DejaVu Sans, Arial, sans-serif";

/** Default width of one panel, in pixels. */
export const PANEL_WIDTH = 480;

/** Default height of one panel, in pixels. */
export const PANEL_HEIGHT = 300;

/** Panel size options of the builders whose panels default to 480 × 300. */
export interface PanelSizeOptions {
  /** Panel width in pixels; default 480. */
  width?: number;
  /** Panel height in pixels; default 300. */
  height?: number;
}

/**
 * The panel size `options` ask for, {@link PANEL_WIDTH} × {@link PANEL_HEIGHT}
 * by default.
 */
export function panelSize(
  options: PanelSizeOptions,
): { width: number; height: number } {
  return {
    width: options.width ?? PANEL_WIDTH,
    height: options.height ?? PANEL_HEIGHT,
  };
}

/**
 * A Vega-Lite top-level spec as plain JSON. Kept loose on purpose: the
 * builders are checked by compiling them (see `compileSpec`), and callers
 * may tweak the JSON before rendering.
 */
export interface VegaLiteSpec {
  /** Schema URL; {@link SCHEMA_URL} for the builders' output. */
  $schema: string;
  /** Any other top-level Vega-Lite property. */
  [key: string]: unknown;
}

/**
 * The shared Vega-Lite `config`: a colour-blind-safe categorical scheme
 * (tableau10), viridis for ordered colours (training snapshots), readable
 * font sizes and a white background so PNGs are not transparent.
 */
export const THEME: Readonly<Record<string, unknown>> = Object.freeze({
  font: FONT,
  background: "white",
  padding: 8,
  view: {
    continuousWidth: PANEL_WIDTH,
    continuousHeight: PANEL_HEIGHT,
    stroke: "#cccccc",
  },
  range: {
    category: { scheme: "tableau10" },
    ordinal: { scheme: "viridis" },
    ramp: { scheme: "viridis" },
  },
  title: {
    fontSize: 15,
    fontWeight: "bold",
    anchor: "start",
    subtitleFontSize: 12,
    subtitleColor: "#555555",
    offset: 8,
  },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: "normal",
    gridColor: "#e8e8e8",
    labelColor: "#333333",
    titleColor: "#222222",
  },
  legend: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: "normal",
    labelLimit: 260,
    symbolSize: 120,
  },
  header: {
    labelFontSize: 13,
    titleFontSize: 13,
    labelFontWeight: "bold",
  },
  line: { strokeWidth: 2 },
  point: { size: 45, filled: true },
  text: { fontSize: 12 },
  concat: { spacing: 28 },
});

/** A fresh copy of {@link THEME} for embedding in a spec. */
export function themeConfig(): Record<string, unknown> {
  return structuredClone(THEME) as Record<string, unknown>;
}
