/**
 * `display()` for notebook cells: one call that does the right thing in a
 * Jupyter kernel, under the headless runner, and in a plain script.
 *
 * - In the Deno Jupyter kernel it sends one MIME bundle with
 *   `Deno.jupyter.display(bundle, { raw: true })` (awaited, which avoids the
 *   kernel's late-output race; environment notes §5.5).
 * - Under the headless runner (`deno task reproduce`) it records the bundle
 *   as a `display_data` output of the running cell and writes its artefacts
 *   to `<out>/<notebook>/<cell-id>.<ext>` (`-2`, `-3`, … for a cell's later
 *   displays, or `<cell-id>-<id>.<ext>` with `{ id }`).
 * - Anywhere else it prints the bundle's `text/plain`.
 *
 * What can be displayed: any object with a `[Symbol.for("Jupyter.display")]()`
 * method returning a MIME bundle (Deno's own protocol), a string (shown as
 * `text/plain`), or any other value (shown as `Deno.inspect` text). The
 * helpers {@link md}, {@link html}, {@link table} and {@link chart} build
 * displayables, optionally carrying artefact files (PNG bytes, Arrow bytes)
 * that are written headless but never sent to the kernel.
 *
 * ```ts
 * import { chart, display, md, table } from "../lib/notebook/mod.ts";
 * await display(md("**Recall@10** per method"));
 * await display(table([{ method: "fixed τ", recall: 0.41 }]));
 * await display(chart(bundle, { png }));  // bundle: a ready MIME bundle
 * ```
 *
 * Cells must always `await display(...)`.
 *
 * @module
 */

import type { MimeBundle } from "./protocol.ts";

export type { MimeBundle } from "./protocol.ts";

/** Deno's Jupyter display protocol: the method returning a MIME bundle. */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** Optional method of a displayable returning extra artefact files. */
export const ARTEFACTS: unique symbol = Symbol.for(
  "adaptive-retrieval.artefacts",
);

/** Key on `globalThis` where the headless runtime installs its sink. */
export const SINK_KEY: unique symbol = Symbol.for(
  "adaptive-retrieval.notebook.sink",
);

/**
 * Artefact files keyed by extension without the dot (`svg`, `png`, `md`,
 * `html`, `json`, `arrow`, …): text or bytes.
 */
export type Artefacts = Record<string, string | Uint8Array>;

/** Something {@link display} renders through its MIME bundle. */
export interface Displayable {
  /**
   * Returns the MIME bundle (Deno's protocol). Typed `object` so that
   * bundle interfaces without an index signature (lib/plot's) fit.
   */
  [DISPLAY](): object | Promise<object>;
  /** Optional artefact files to write headless (not sent to the kernel). */
  [ARTEFACTS]?(): Artefacts;
}

/** Receives displays under the headless runner (installed by the runtime). */
export interface DisplaySink {
  /** Records the bundle for the running cell and writes its artefacts. */
  display(bundle: MimeBundle, files: Artefacts, id?: string): Promise<void>;
}

/** Options of {@link display}. */
export interface DisplayOptions {
  /**
   * Names this display's artefact files `<cell-id>-<id>.<ext>` instead of
   * numbering them; a letter, then letters, digits, `_` or `-`.
   */
  id?: string;
}

/** A value cannot be displayed, or an option is malformed. */
export class DisplayError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DisplayError";
  }
}

const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The kernel's `Deno.jupyter`, or null outside the kernel. */
function kernel(): {
  display(b: MimeBundle, o: { raw: boolean }): Promise<void>;
} | null {
  try {
    // Outside `deno jupyter` even reading the property throws.
    const j = (Deno as unknown as { jupyter?: unknown }).jupyter;
    return j && typeof j === "object" && "display" in j ? j as never : null;
  } catch {
    return null;
  }
}

function sink(): DisplaySink | null {
  const s = (globalThis as Record<symbol, unknown>)[SINK_KEY];
  return s ? s as DisplaySink : null;
}

/**
 * The MIME bundle and artefact files of a displayable value (see the module
 * documentation for what counts as one).
 */
export async function toBundle(
  x: unknown,
): Promise<{ bundle: MimeBundle; files: Artefacts }> {
  if (x !== null && typeof x === "object" && DISPLAY in x) {
    const d = x as Displayable;
    const bundle = await d[DISPLAY]() as MimeBundle;
    if (
      bundle === null || typeof bundle !== "object" ||
      Array.isArray(bundle) || Object.keys(bundle).length === 0
    ) {
      throw new DisplayError(
        "display: [Symbol.for('Jupyter.display')]() must return a non-empty MIME bundle object",
      );
    }
    return { bundle, files: d[ARTEFACTS]?.() ?? {} };
  }
  if (typeof x === "string") return { bundle: { "text/plain": x }, files: {} };
  return {
    bundle: { "text/plain": Deno.inspect(x, { colors: false }) },
    files: {},
  };
}

/** The `text/plain` of a bundle, or a one-line note of its MIME types. */
export function plainText(bundle: MimeBundle): string {
  const t = bundle["text/plain"];
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.join("");
  return `[display: ${Object.keys(bundle).join(", ")}]`;
}

/**
 * Displays a value (see the module documentation): in the Jupyter kernel,
 * under the headless runner, or as text in a plain script.
 */
export async function display(
  x: unknown,
  options: DisplayOptions = {},
): Promise<void> {
  if (options.id !== undefined && !ID_PATTERN.test(options.id)) {
    throw new DisplayError(
      `display: option "id" must start with a letter and hold only letters, digits, '_' or '-', got ${
        JSON.stringify(options.id)
      }`,
    );
  }
  const { bundle, files } = await toBundle(x);
  const headless = sink();
  if (headless) return await headless.display(bundle, files, options.id);
  const jupyter = kernel();
  if (jupyter) return await jupyter.display(bundle, { raw: true });
  console.log(plainText(bundle));
}

/** Builds a displayable from a bundle and optional artefact files. */
function displayable(bundle: MimeBundle, files: Artefacts = {}): Displayable {
  return {
    [DISPLAY]: () => bundle,
    [ARTEFACTS]: () => files,
  };
}

/** Markdown text, displayed as `text/markdown` (written as `.md`). */
export function md(text: string): Displayable {
  return displayable({ "text/markdown": text, "text/plain": text });
}

/** HTML, displayed as `text/html` (written as `.html`). */
export function html(
  text: string,
  options: { plain?: string } = {},
): Displayable {
  return displayable({
    "text/html": text,
    "text/plain": options.plain ?? text,
  });
}

/** Artefact files accompanying a chart's MIME bundle. */
export interface ChartFiles {
  /** PNG bytes, written as `.png` (not sent to the kernel). */
  png?: Uint8Array;
  /** SVG text, written as `.svg` (defaults to the bundle's `image/svg+xml`). */
  svg?: string;
  /** Any further files keyed by extension. */
  extra?: Artefacts;
}

/**
 * A ready MIME bundle (e.g. from `lib/plot`: Vega-Lite spec, SVG, text) plus
 * artefact files. The bundle is sent as is; the files are written headless
 * next to the ones derived from the bundle (svg, json spec).
 */
export function chart(bundle: object, files: ChartFiles = {}): Displayable {
  const out: Artefacts = { ...files.extra };
  if (files.svg !== undefined) out.svg = files.svg;
  if (files.png !== undefined) out.png = files.png;
  return displayable(bundle as MimeBundle, out);
}

/** Options of {@link table}. */
export interface TableOptions {
  /** Columns in order (default: the keys of the first row). */
  columns?: string[];
  /** Decimal places for non-integer numbers (default: `String(x)`). */
  digits?: number;
  /** Arrow IPC bytes of the same table, written as `.arrow`. */
  arrow?: Uint8Array;
  /** A caption shown above the table. */
  caption?: string;
}

function cellText(v: unknown, digits?: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    return digits !== undefined && Number.isFinite(v) && !Number.isInteger(v)
      ? v.toFixed(digits)
      : String(v);
  }
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/**
 * Rows of records as a table: `text/markdown` (a pipe table, numbers right-
 * aligned), `text/html` and `text/plain`; headless it is written as `.md`,
 * `.html` and, when `arrow` bytes are given, `.arrow`.
 */
export function table(
  rows: readonly object[],
  options: TableOptions = {},
): Displayable {
  // Any plain objects (interfaces have no index signature).
  const records = rows as readonly Record<string, unknown>[];
  const columns = options.columns ?? Object.keys(records[0] ?? {});
  if (columns.length === 0) {
    throw new DisplayError("table: no columns (empty rows and no `columns`)");
  }
  if (
    options.digits !== undefined &&
    !(Number.isInteger(options.digits) && options.digits >= 0 &&
      options.digits <= 20)
  ) {
    throw new DisplayError(
      `table: option "digits" must be an integer in [0, 20], got ${options.digits}`,
    );
  }
  const cells = records.map((r) =>
    columns.map((c) => cellText(r[c], options.digits))
  );
  const numeric = columns.map((c) =>
    records.length > 0 &&
    records.every((r) => typeof r[c] === "number" || r[c] == null)
  );
  const mdCell = (s: string) =>
    s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  const lines = [
    `| ${columns.map(mdCell).join(" | ")} |`,
    `| ${numeric.map((n) => (n ? "---:" : "---")).join(" | ")} |`,
    ...cells.map((row) => `| ${row.map(mdCell).join(" | ")} |`),
  ];
  const markdown = (options.caption ? `${options.caption}\n\n` : "") +
    lines.join("\n") + "\n";
  const align = (i: number) => (numeric[i] ? ' style="text-align:right"' : "");
  const htmlText = "<table>" +
    (options.caption
      ? `<caption>${escapeHtml(options.caption)}</caption>`
      : "") +
    `<thead><tr>${
      columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("")
    }</tr></thead><tbody>` +
    cells.map((row) =>
      `<tr>${
        row.map((s, i) => `<td${align(i)}>${escapeHtml(s)}</td>`).join("")
      }</tr>`
    ).join("") + "</tbody></table>";
  const files: Artefacts = {};
  if (options.arrow) files.arrow = options.arrow;
  return displayable({
    "text/markdown": markdown,
    "text/html": htmlText,
    "text/plain": markdown,
  }, files);
}

/** Decodes base64 (as Jupyter stores `image/png`) to bytes. */
function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function asText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) {
    return v.join("");
  }
  return undefined;
}

/**
 * The files to write for one display: derived from the bundle
 * (`image/svg+xml` → svg, `image/png` → png, `text/markdown` → md,
 * `text/html` → html, a Vega/Vega-Lite spec or `application/json` → json),
 * then the explicit artefacts, which win on the same extension.
 */
export function artefactsOf(bundle: MimeBundle, files: Artefacts): Artefacts {
  const out: Artefacts = {};
  const svg = asText(bundle["image/svg+xml"]);
  if (svg !== undefined) out.svg = svg;
  const png = asText(bundle["image/png"]);
  if (png !== undefined) out.png = fromBase64(png);
  const markdown = asText(bundle["text/markdown"]);
  if (markdown !== undefined) out.md = markdown;
  const h = asText(bundle["text/html"]);
  if (h !== undefined) out.html = h;
  const spec =
    Object.keys(bundle).find((k) =>
      /^application\/vnd\.vega(lite)?\.v\d+\+json$/.test(k)
    ) ?? (bundle["application/json"] !== undefined ? "application/json" : null);
  if (spec) out.json = JSON.stringify(bundle[spec], null, 2) + "\n";
  return { ...out, ...files };
}
