/**
 * Results tables as text: Markdown for notebooks and wikis, HTML for
 * Jupyter's `text/html`. Numbers get a fixed number of decimals and an
 * interval column renders as `0.512 [0.49, 0.53]`.
 *
 * @module
 */

import { PlotInputError } from "./input.ts";

/** One column of a text table. */
export interface TableColumn {
  /** Field holding the value (the point estimate for an interval column). */
  field: string;
  /** Header; default the field name. */
  title?: string;
  /** Field of the interval's lower end; with `hi`, renders `v [lo, hi]`. */
  lo?: string;
  /** Field of the interval's upper end. */
  hi?: string;
  /**
   * Decimals for numbers; default 3, or 0 when every number in the column
   * is an integer (counts, steps).
   */
  digits?: number;
  /** Decimals of the interval ends; default `digits`. */
  ciDigits?: number;
  /** Alignment; default right for numeric columns, left otherwise. */
  align?: "left" | "right";
}

/** Options for {@link tableMarkdown} and {@link tableHtml}. */
export interface TableTextOptions {
  /** Shown for null/undefined cells; default `"—"`. */
  missing?: string;
}

/** Options for {@link tableHtml}. */
export interface TableHtmlOptions extends TableTextOptions {
  /** `<caption>` text. */
  caption?: string;
}

/** Decimals a metric is shown with, in tables and sentences, unless a caller says. */
export const DEFAULT_DIGITS = 3;

/**
 * Fixed-decimal formatting without a stray minus on zero
 * (`-0.0001` → `"0.000"`).
 */
export function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  const s = value.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** `"0.512 [0.490, 0.530]"`: an estimate with its interval. */
export function formatInterval(
  value: { mean: number; lo: number; hi: number },
  options: { digits?: number; ciDigits?: number } = {},
): string {
  const digits = options.digits ?? DEFAULT_DIGITS;
  const ci = options.ciDigits ?? digits;
  return `${formatNumber(value.mean, digits)} [${formatNumber(value.lo, ci)}, ${
    formatNumber(value.hi, ci)
  }]`;
}

interface Cell {
  text: string;
  numeric: boolean;
}

function normalise(columns: readonly (string | TableColumn)[]): TableColumn[] {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new PlotInputError("table: columns is empty");
  }
  return columns.map((c) => typeof c === "string" ? { field: c } : c);
}

function cellsOf(
  rows: readonly object[],
  columns: readonly (string | TableColumn)[],
  options: TableTextOptions,
): { cols: TableColumn[]; cells: Cell[][] } {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new PlotInputError("table: rows is empty, nothing to render");
  }
  const recs = rows as readonly Record<string, unknown>[];
  const cols = normalise(columns);
  const missing = options.missing ?? "—";
  for (const col of cols) {
    if ((col.lo === undefined) !== (col.hi === undefined)) {
      throw new PlotInputError(
        `table: column "${col.field}" needs both lo and hi, or neither`,
      );
    }
    for (const f of [col.field, col.lo, col.hi]) {
      if (f !== undefined && !recs.some((r) => r[f] != null)) {
        throw new PlotInputError(
          `table: field "${f}" (column "${col.title ?? col.field}") is ` +
            `missing from every row`,
        );
      }
    }
  }
  // A column prints integers without decimals only if all its numbers are
  // integers, so a recall of exactly 1 still reads "1.000".
  const allInts = cols.map((col) =>
    recs.every((r) =>
      typeof r[col.field] !== "number" || Number.isInteger(r[col.field])
    )
  );
  const cells = recs.map((row, i) =>
    cols.map((col, j): Cell => {
      const v = row[col.field];
      if (v === undefined || v === null) {
        return { text: missing, numeric: false };
      }
      if (typeof v !== "number") {
        return { text: String(v), numeric: false };
      }
      if (col.lo !== undefined && col.hi !== undefined) {
        const lo = row[col.lo];
        const hi = row[col.hi];
        if (lo == null && hi == null) {
          return {
            text: formatNumber(v, col.digits ?? DEFAULT_DIGITS),
            numeric: true,
          };
        }
        if (typeof lo !== "number" || typeof hi !== "number") {
          throw new PlotInputError(
            `table: row ${i} has "${col.field}" but "${col.lo}"/"${col.hi}" ` +
              `are ${JSON.stringify(lo)}/${JSON.stringify(hi)}`,
          );
        }
        return {
          text: formatInterval({ mean: v, lo, hi }, col),
          numeric: true,
        };
      }
      const digits = col.digits ?? (allInts[j] ? 0 : DEFAULT_DIGITS);
      return { text: formatNumber(v, digits), numeric: true };
    })
  );
  return { cols, cells };
}

function alignOf(
  col: TableColumn,
  j: number,
  cells: Cell[][],
): "left" | "right" {
  if (col.align) return col.align;
  return cells.some((r) => r[j].numeric) ? "right" : "left";
}

/**
 * A GitHub-flavoured Markdown table: header row, alignment row (`---:` for
 * numeric columns), one line per row; `|` in cells is escaped.
 */
export function tableMarkdown(
  rows: readonly object[],
  columns: readonly (string | TableColumn)[],
  options: TableTextOptions = {},
): string {
  const { cols, cells } = cellsOf(rows, columns, options);
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  const line = (parts: string[]) => `| ${parts.join(" | ")} |`;
  const out = [
    line(cols.map((c) => esc(c.title ?? c.field))),
    line(cols.map((c, j) => alignOf(c, j, cells) === "right" ? "---:" : "---")),
    ...cells.map((r) => line(r.map((c) => esc(c.text)))),
  ];
  return out.join("\n") + "\n";
}

/** Escapes text for HTML content and attribute values (& < > "). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The same table as an HTML `<table>` (text escaped, numbers right-aligned). */
export function tableHtml(
  rows: readonly object[],
  columns: readonly (string | TableColumn)[],
  options: TableHtmlOptions = {},
): string {
  const { cols, cells } = cellsOf(rows, columns, options);
  const aligns = cols.map((c, j) => alignOf(c, j, cells));
  const cell = (tag: string, text: string, j: number) =>
    `<${tag} style="text-align:${aligns[j]}">${escapeHtml(text)}</${tag}>`;
  const out = ["<table>"];
  if (options.caption !== undefined) {
    out.push(`<caption>${escapeHtml(options.caption)}</caption>`);
  }
  out.push(
    "<thead>",
    `<tr>${
      cols.map((c, j) => cell("th", c.title ?? c.field, j)).join("")
    }</tr>`,
    "</thead>",
    "<tbody>",
    ...cells.map((r) =>
      `<tr>${r.map((c, j) => cell("td", c.text, j)).join("")}</tr>`
    ),
    "</tbody>",
    "</table>",
  );
  return out.join("\n") + "\n";
}
