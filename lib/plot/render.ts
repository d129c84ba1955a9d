/**
 * Headless rendering: Vega-Lite → Vega → SVG (no canvas, `renderer: "none"`),
 * SVG → PNG through resvg, and the Jupyter MIME bundle.
 *
 * PNG uses resvg's WebAssembly build, not its native Node-API module: a
 * native addon needs Deno's `--allow-ffi`, which escapes every other
 * permission. The wasm build cannot read system fonts, so it gets DejaVu
 * Sans from the `dejavu-fonts-ttf` npm package: the same glyphs on every
 * machine, so a PNG does not depend on the fonts installed. Both load
 * lazily, on the first PNG, so SVG-only use never reads them.
 *
 * @module
 */

import { createRequire } from "node:module";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import type { VegaLiteSpec } from "./theme.ts";

/** What to do with Vega-Lite / Vega warnings. */
export type WarningPolicy = "warn" | "throw" | "ignore";

/** Options for {@link toSvg} and {@link renderChart}. */
export interface SvgOptions {
  /**
   * `"warn"` (default) prints them with `console.warn`, `"throw"` turns any
   * warning into an error (tests), `"ignore"` drops them.
   */
  warnings?: WarningPolicy;
}

/** Result of {@link compileSpec}. */
export interface CompiledSpec {
  /** The Vega spec. */
  vega: vega.Spec;
  /** Warnings Vega-Lite logged while compiling. */
  warnings: string[];
}

/** A logger that records warnings and errors instead of printing them. */
function capturingLogger(sink: string[]): vega.LoggerInterface {
  let level = vega.Warn;
  const logger: vega.LoggerInterface = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: unknown[]) {
      sink.push(`error: ${args.map(String).join(" ")}`);
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= vega.Warn) sink.push(args.map(String).join(" "));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles a Vega-Lite spec to Vega, collecting the compiler's warnings. */
export function compileSpec(spec: VegaLiteSpec): CompiledSpec {
  const warnings: string[] = [];
  const out = vl.compile(spec as unknown as TopLevelSpec, {
    logger: capturingLogger(warnings),
  });
  return { vega: out.spec, warnings };
}

function handle(warnings: string[], policy: WarningPolicy): void {
  if (warnings.length === 0 || policy === "ignore") return;
  const text = warnings.map((w) => `  - ${w}`).join("\n");
  if (policy === "throw") {
    throw new Error(`Vega-Lite/Vega warnings:\n${text}`);
  }
  console.warn(`lib/plot: Vega-Lite/Vega warnings:\n${text}`);
}

/** An SVG plus the warnings met while producing it. */
export interface SvgResult {
  /** The SVG document text. */
  svg: string;
  /** Compiler and runtime warnings. */
  warnings: string[];
}

/** {@link toSvg}, also returning the warnings. */
export async function renderSvg(
  spec: VegaLiteSpec,
  options: SvgOptions = {},
): Promise<SvgResult> {
  const { vega: vgSpec, warnings } = compileSpec(spec);
  const view = new vega.View(vega.parse(vgSpec), {
    renderer: "none",
    logger: capturingLogger(warnings),
    logLevel: vega.Warn,
  });
  try {
    const svg = await view.toSVG();
    handle(warnings, options.warnings ?? "warn");
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec to an SVG document headlessly (Vega's own text
 * metrics, no canvas). Same spec → byte-identical SVG.
 */
export async function toSvg(
  spec: VegaLiteSpec,
  options: SvgOptions = {},
): Promise<string> {
  return (await renderSvg(spec, options)).svg;
}

/** Options for {@link toPng}. */
export interface PngOptions extends SvgOptions {
  /** Zoom factor: PNG pixels per SVG pixel; default 2. */
  scale?: number;
}

/** Font files (of `dejavu-fonts-ttf`) handed to resvg: text in charts. */
const FONT_FILES = [
  "DejaVuSans.ttf",
  "DejaVuSans-Bold.ttf",
  "DejaVuSans-Oblique.ttf",
  "DejaVuSans-BoldOblique.ttf",
];

interface Rasteriser {
  Resvg: typeof import("@resvg/resvg-wasm").Resvg;
  fonts: Uint8Array[];
}
let rasteriser: Promise<Rasteriser> | undefined;

// initWasm may run once per process, so every caller shares one promise.
function loadRasteriser(): Promise<Rasteriser> {
  rasteriser ??= (async () => {
    try {
      const resvg = await import("@resvg/resvg-wasm");
      // The packages' files, resolved the way Node resolves them (Deno's
      // npm support); import.meta.resolve gives no path for non-JS files.
      const require = createRequire(import.meta.url);
      await resvg.initWasm(
        await Deno.readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")),
      );
      const fonts = await Promise.all(
        FONT_FILES.map((f) =>
          Deno.readFile(require.resolve(`dejavu-fonts-ttf/ttf/${f}`))
        ),
      );
      return { Resvg: resvg.Resvg, fonts };
    } catch (err) {
      rasteriser = undefined; // let a later call try again
      throw new Error(
        "toPng: could not load @resvg/resvg-wasm and the dejavu-fonts-ttf " +
          "fonts (npm packages; Deno needs --allow-read for their files). " +
          "SVG output (toSvg) does not need them. Cause: " +
          (err instanceof Error ? err.message : String(err)),
        { cause: err },
      );
    }
  })();
  return rasteriser;
}

function isSvgText(x: unknown): x is string {
  return typeof x === "string" && /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(x);
}

/**
 * Rasterises an SVG document (or renders a Vega-Lite spec first) to PNG
 * bytes with resvg (wasm), at `scale` × the SVG size, with DejaVu Sans for
 * every font family (the theme's first choice, see `theme.ts`).
 */
export async function toPng(
  svgOrSpec: string | VegaLiteSpec,
  options: PngOptions = {},
): Promise<Uint8Array> {
  const scale = options.scale ?? 2;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`toPng: options.scale must be > 0, got ${scale}`);
  }
  let svg: string;
  if (typeof svgOrSpec === "string") {
    if (!isSvgText(svgOrSpec)) {
      throw new TypeError(
        "toPng: string input must be an SVG document (starting with <svg)",
      );
    }
    svg = svgOrSpec;
  } else {
    svg = await toSvg(svgOrSpec, options);
  }
  const { Resvg, fonts } = await loadRasteriser();
  const png = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontBuffers: fonts,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk; throws on a non-PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const ok = png.length >= 24 && PNG_SIGNATURE.every((b, i) => png[i] === b) &&
    String.fromCharCode(...png.subarray(12, 16)) === "IHDR";
  if (!ok) throw new TypeError("pngSize: not a PNG (bad signature or IHDR)");
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** Width and height attributes of an SVG document's root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const w = root && /\swidth="([\d.]+)"/.exec(root);
  const h = root && /\sheight="([\d.]+)"/.exec(root);
  if (!w || !h) throw new TypeError("svgSize: no width/height on <svg>");
  return { width: Number(w[1]), height: Number(h[1]) };
}

/** Options for {@link renderChart}. */
export interface RenderChartOptions extends SvgOptions {
  /** Also rasterise: `true` for scale 2, or a number for that scale. */
  png?: boolean | number;
}

/** A spec with its renderings. */
export interface RenderedChart {
  /** The Vega-Lite spec rendered. */
  spec: VegaLiteSpec;
  /** Its SVG. */
  svg: string;
  /** Its PNG, when asked for. */
  png?: Uint8Array;
}

/** Renders a spec to SVG and, when `options.png` is set, to PNG as well. */
export async function renderChart(
  spec: VegaLiteSpec,
  options: RenderChartOptions = {},
): Promise<RenderedChart> {
  const svg = await toSvg(spec, options);
  const out: RenderedChart = { spec, svg };
  if (options.png) {
    const scale = options.png === true ? 2 : options.png;
    out.png = await toPng(svg, { scale });
  }
  return out;
}

/** Jupyter MIME type for Vega-Lite v5 specs. */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/** A Jupyter display bundle for a chart. */
export interface ChartMimeBundle {
  /** Interactive rendering (JupyterLab, VS Code). */
  "application/vnd.vegalite.v5+json": VegaLiteSpec;
  /** Static rendering (nbconvert HTML, GitHub) — nbconvert skips Vega-Lite. */
  "image/svg+xml": string;
  /** Plain-text fallback. */
  "text/plain": string;
}

/** Options for {@link mimeBundle}. */
export interface MimeBundleOptions {
  /** `text/plain` content; default the spec's title, else "Vega-Lite chart". */
  text?: string;
}

/** The chart title of a spec as text (string or `{text}` title). */
export function specTitle(spec: VegaLiteSpec): string | undefined {
  const t = spec.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object") {
    const text = (t as { text?: unknown }).text;
    if (typeof text === "string" && text !== "") return text;
    if (Array.isArray(text)) return text.join(" ");
  }
  return undefined;
}

/**
 * The MIME bundle for `Deno.jupyter.display(bundle, { raw: true })`:
 * Vega-Lite spec, SVG and a short text description.
 */
export function mimeBundle(
  spec: VegaLiteSpec,
  svg: string,
  options: MimeBundleOptions = {},
): ChartMimeBundle {
  if (!isSvgText(svg)) {
    throw new TypeError("mimeBundle: svg must be an SVG document");
  }
  return {
    [VEGALITE_MIME]: spec,
    "image/svg+xml": svg,
    "text/plain": options.text ?? specTitle(spec) ?? "Vega-Lite chart",
  };
}
