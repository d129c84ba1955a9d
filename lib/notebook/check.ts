/**
 * `deno task reproduce --check BASELINE_DIR`: every number that differs
 * between two output folders of `reproduce` (a recorded run and a fresh
 * one), so that a refactor or a speed change that moves a metric, a table
 * cell or a verdict does not go unnoticed.
 *
 * {@link compareOutputs} walks both folders notebook by notebook
 * (`<name>.ipynb` at the top of each). A cell's outputs are compared where
 * they are stored as text: the artefact files the executed notebook lists
 * for each output (`<name>/<cell-id>.<ext>`: `.md`, `.json`, `.txt`,
 * `.csv`, and `.html` when no Markdown twin says the same), and the
 * notebook's own text of outputs without files (streams, errors, Markdown,
 * JSON, plain text). Images and SVG are skipped. Then:
 *
 * - JSON is compared structurally, by key path (array elements of objects
 *   are named by their text fields, e.g. `data.values[3 own · recall@1]`);
 * - Markdown tables cell by cell (`row "own γ-softmax" / column "MRR"`);
 * - other text line by line: the numbers in order, and the words around
 *   them (a verdict that flips from "better" to "worse" is a difference even
 *   when every number stays), lines aligned on their words so an added line
 *   does not shift the rest;
 * - cells, files and notebooks present on one side only are listed;
 * - `manifest.json`: only {@link MANIFEST_FIELDS} (profile, seed, backend,
 *   datasets): the hashes of the data folders both runs had, and each real
 *   dataset's availability ("built" and "present" alike).
 *
 * Run-to-run variable fields (timings, dates, paths, versions, cache hits)
 * are left out: {@link VARIABLE} declares them, in one place.
 * Numbers are equal within `max(absTol, relTol · max(|a|, |b|))`; both
 * default to 0 (exact, after parsing: `0.80` equals `0.8`).
 *
 * ```ts
 * import { compareOutputs, formatComparison } from "./check.ts";
 * const c = await compareOutputs("baseline", "out", { relTol: 1e-6 });
 * console.log(formatComparison(c));
 * ```
 *
 * @module
 */

import { fileExists, isRecord, pathExists } from "../data/mod.ts";
import { fileExtension, listFiles } from "./hash.ts";
import {
  joinSource,
  type Notebook,
  onlyNotebookNames,
  parseNotebook,
} from "./notebook.ts";
import { outputFiles } from "./runner.ts";
import { MANIFEST_FILE } from "./context.ts";
import { basename, extname } from "node:path";

/**
 * What changes between two runs of the same code on the same data, and so
 * is never reported. Read off real `reproduce --profile quick` outputs (two
 * runs, from two clones of one commit, into two folders), where these are:
 *
 * - `columns`: Markdown table columns whose header is a timing or a time
 *   unit (`train s` in the results and run tables, `seconds` in 02's run
 *   table; also `ms`, `wall`, `time`…), a location (`dir`: 02's run
 *   folders, absolute) or the cache flag (`cached`: whether a run was read
 *   back from `<out>/runs/`, which depends on the output folder's history,
 *   not on the code);
 * - `cells`: whole table cells that are a cache state: the `status` column
 *   of 03's and 06's run tables says `trained` or `cached` (but `skipped:
 *   …` is kept);
 * - `spans`: pieces of any text masked before comparing: the cache counts
 *   of the training cells ("5 runs: 5 trained now, 0 read back", "(0 read
 *   back from the cache)"), absolute paths (02's run folders), version
 *   numbers (`tfjs-core 4.22.0` in 00's backend cell), and, not in today's
 *   outputs but cheap to guard, durations with a unit (`16.7 s`, `120 ms`),
 *   throughputs (`3.5 steps/s`) and ISO dates;
 * - `keys`: JSON keys, at any depth, holding timings (`ms`, `trainMs`,
 *   `wallS`, `seconds`, durations), dates (`finishedAt`, `timestamp`),
 *   paths (`path`, `dir`, `out`…), versions (`deno`, `v8`, `typescript`,
 *   `versions`, `codeVersion`, `tfjsVersion`, `commit`) or the cache flag. Today's JSON
 *   artefacts are Vega-Lite specs, which hold none; `manifest.json`, which
 *   holds them all, is compared on {@link MANIFEST_FIELDS} only.
 *
 * Config hashes (the `config` column of the grids, the run `folder` names)
 * are kept: they change when a training configuration does.
 */
export const VARIABLE = {
  columns:
    /(?:^|\s)(?:s|ms|sec|secs|seconds|min|minutes|wall|time|duration|elapsed|steps\/s|dir|path|cached)$/i,
  cells: /^(?:cached|trained)$/,
  spans: [
    // cache counts of the training cells
    /\d+ (?:trained now|read back(?: from the cache)?)/g,
    // absolute paths (not the path part of a URL)
    /(?<![\p{L}\p{N}_.~…:\/-])(?:file:\/\/)?\/(?:[\w.@+~-]+\/)*[\w.@+~-]+\/?/gu,
    // versions: 2.9.6, 13.1.201.3, deno@2.9.6
    /\bv?\d+\.\d+\.\d+(?:[-.+][\w.-]+)?\b/g,
    // durations and throughputs: a number followed by a time unit
    /[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ms|s|sec|secs|seconds?|min|minutes?|h|hours?)(?![\p{L}\p{N}_])/gu,
    /\d+(?:\.\d+)?\s?\p{L}*\/s\b/gu,
    // ISO dates and times
    /\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[-+]\d{2}:?\d{2})?)?/g,
  ],
  keys:
    /^(?:ms|\w*Ms|wallS|\w*Seconds|seconds|secs|elapsed\w*|duration\w*|time|timestamp|date|\w*At|path|\w*Path|dir|\w*Dir|out|deno|v8|typescript|versions?|\w*Version|commit|cached)$/,
} as const;

/**
 * The `manifest.json` fields compared (the rest are versions, timings,
 * code hashes and per-notebook bookkeeping): a run on another profile,
 * seed, backend or data explains every other difference.
 */
export const MANIFEST_FIELDS = [
  "profile",
  "seed",
  "backend",
  "realDatasets",
  "datasets",
] as const;

/** Artefact extensions compared as text; any other is skipped. */
const TEXT_EXTENSIONS = ["json", "md", "txt", "csv", "html"] as const;

/** Options of {@link compareOutputs}. */
export interface CompareOptions {
  /** Relative tolerance on numbers (default 0). */
  relTol?: number;
  /** Absolute tolerance on numbers (default 0). */
  absTol?: number;
  /** Compare only these notebooks (names; default: every one). */
  only?: string[];
}

/** One difference between the baseline and the fresh folder. */
export interface Difference {
  /** Notebook name (or `manifest.json`). */
  notebook: string;
  /** Cell id, or `""` for the notebook as a whole. */
  cell: string;
  /** Where in the cell: file and line, table cell, or JSON key path. */
  location: string;
  /**
   * `number`: a number changed; `text`: the words around the numbers
   * changed; `baseline only` / `fresh only`: present on one side.
   */
  kind: "number" | "text" | "baseline only" | "fresh only";
  /** The baseline's value (text for words, `null` when absent). */
  baseline: number | string | null;
  /** The fresh value. */
  fresh: number | string | null;
}

/** The result of {@link compareOutputs}. */
export interface Comparison {
  /** Numbers compared (pairs found on both sides). */
  compared: number;
  /** Every difference, in notebook and cell order. */
  differences: Difference[];
  /** Notebooks compared. */
  notebooks: string[];
}

/** A folder is not an output folder of reproduce. */
export class CheckError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CheckError";
  }
}

/** One piece of output text of a cell. */
interface Unit {
  cell: string;
  /** File name or `output N`. */
  location: string;
  kind: "json" | "markdown" | "text";
  text: string;
}

/** A text piece in compared form: its words and its numbers. */
interface Segment {
  location: string;
  /** The words, each number replaced by `#`. */
  words: string;
  /** Alignment key: the words, and for table cells and JSON the location. */
  key: string;
  /** The text (variable spans masked). */
  text: string;
  numbers: number[];
}

const NUMBER =
  /(?<![\p{L}\p{N}_.])[-+−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?![\p{L}\p{N}_]|\.\d)/gu;

function parseNumber(text: string): number {
  return Number(text.replace("−", "-").replaceAll(",", ""));
}

/** Replaces the {@link VARIABLE} spans of a text by `…`. */
export function maskVariable(text: string): string {
  let t = text;
  for (const re of VARIABLE.spans) t = t.replace(re, "…");
  return t;
}

/** A segment; `located`: aligned by location too (table cells, JSON). */
function segment(location: string, raw: string, located = false): Segment {
  const text = maskVariable(raw).replace(/\s+/g, " ").trim();
  const numbers: number[] = [];
  const words = text.replace(NUMBER, (m) => {
    numbers.push(parseNumber(m));
    return "#";
  });
  const key = located ? `${location}\0${words}` : words;
  return { location, words, key, text, numbers };
}

/** Splits a Markdown table row into its cells (`\|` escapes kept). */
function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

const SEPARATOR = /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/** Segments of a Markdown or plain text: table cells and lines. */
function textSegments(prefix: string, text: string): Segment[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const out: Segment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    if (
      line.trim().startsWith("|") && i + 1 < lines.length &&
      SEPARATOR.test(lines[i + 1])
    ) {
      // A table: header, separator, rows; cells named by row and column.
      const header = tableCells(line);
      const seen = new Map<string, number>();
      let j = i + 2;
      for (; j < lines.length && lines[j].trim().startsWith("|"); j++) {
        const cells = tableCells(lines[j]);
        let row = cells[0] ?? "";
        const n = (seen.get(row) ?? 0) + 1;
        seen.set(row, n);
        if (n > 1) row = `${row}#${n}`;
        cells.forEach((c, k) => {
          const col = header[k] ?? `${k + 1}`;
          if (VARIABLE.columns.test(col) || VARIABLE.cells.test(c)) return;
          out.push(
            segment(`${prefix}row "${row}" / column "${col}"`, c, true),
          );
        });
      }
      i = j - 1;
      continue;
    }
    out.push(segment(`${prefix}line ${i + 1}`, line));
  }
  return out;
}

/** Text of an HTML fragment, one line per block or table row. */
function htmlText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, "")
    .replace(
      /<\/(p|div|tr|li|h\d|caption|table|thead|tbody)>|<br\s*\/?>/gi,
      "\n",
    )
    .replace(/<\/t[dh]>/gi, " | ")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&nbsp;/g, " ").replace(/&amp;/g, "&");
}

/** A readable name for an array element: its text fields. */
function elementName(value: unknown): string {
  if (!isRecord(value)) {
    return "";
  }
  const words = Object.entries(value as Record<string, unknown>)
    .filter(([k, v]) => typeof v === "string" && !VARIABLE.keys.test(k))
    .map(([, v]) => (v as string).length > 40 ? "" : v as string)
    .filter((v) => v);
  return words.length > 0 ? ` ${words.join(" · ")}` : "";
}

/** Leaves of a JSON value as segments named by key path. */
function jsonSegments(path: string, value: unknown, out: Segment[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) =>
      jsonSegments(`${path}[${i}${elementName(v)}]`, v, out)
    );
    if (value.length === 0) out.push(segment(path, "[]", true));
  } else if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (VARIABLE.keys.test(k)) continue;
      jsonSegments(path ? `${path}.${k}` : k, v, out);
    }
    if (entries.length === 0) out.push(segment(path, "{}", true));
  } else if (typeof value === "number") {
    out.push({
      location: path,
      words: "#",
      key: `${path}\0#`,
      text: String(value),
      numbers: [value],
    });
  } else {
    out.push(segment(path, String(value), true));
  }
}

function unitSegments(unit: Unit): Segment[] {
  const prefix = `${unit.location} `;
  if (unit.kind === "json") {
    try {
      const out: Segment[] = [];
      jsonSegments("", JSON.parse(unit.text), out);
      return out.map((s) => ({
        ...s,
        location: `${prefix}${s.location}`,
        key: `${prefix}${s.key}`,
      }));
    } catch {
      // Not JSON after all: compared as text.
    }
  }
  return textSegments(prefix, unit.text);
}

const stem = (f: string) => basename(f, extname(f));

/** A file's text unit, or null for images and other binary artefacts. */
async function fileUnit(
  dir: string,
  file: string,
  cell: string,
  siblings: readonly string[],
): Promise<Unit | null> {
  const ext = fileExtension(file);
  if (!(TEXT_EXTENSIONS as readonly string[]).includes(ext)) return null;
  // An HTML table beside its Markdown twin says the same thing.
  if (ext === "html" && siblings.includes(file.replace(/\.html$/i, ".md"))) {
    return null;
  }
  const location = file.slice(file.indexOf("/") + 1);
  let text = "";
  try {
    text = await Deno.readTextFile(`${dir}/${file}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    text = "\0missing";
  }
  return {
    cell,
    location,
    kind: ext === "json" ? "json" : ext === "md" ? "markdown" : "text",
    text: ext === "html" ? htmlText(text) : text,
  };
}

/** Every compared text of one notebook in an output folder, by cell. */
async function notebookUnits(
  dir: string,
  name: string,
): Promise<{ cells: string[]; units: Unit[] }> {
  const nb: Notebook = parseNotebook(
    await Deno.readTextFile(`${dir}/${name}.ipynb`),
    `${dir}/${name}.ipynb`,
  );
  const cells: string[] = [];
  const units: Unit[] = [];
  const listed = new Set<string>();
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    cells.push(cell.id);
    for (const [i, o] of (cell.outputs ?? []).entries()) {
      const location = `output ${i + 1}`;
      if (o.output_type === "stream") {
        units.push({
          cell: cell.id,
          location,
          kind: "text",
          text: joinSource(o.text),
        });
        continue;
      }
      if (o.output_type === "error") {
        units.push({
          cell: cell.id,
          location,
          kind: "text",
          text: `${o.ename}: ${o.evalue}`,
        });
        continue;
      }
      const files = outputFiles(o.metadata);
      if (files.length > 0) {
        for (const f of files) {
          listed.add(f);
          const u = await fileUnit(dir, f, cell.id, files);
          if (u) units.push(u);
        }
        continue;
      }
      const data = o.data as Record<string, unknown>;
      const pick = (mime: string) =>
        data[mime] === undefined
          ? undefined
          : typeof data[mime] === "string" || Array.isArray(data[mime])
          ? joinSource(data[mime] as string | string[])
          : JSON.stringify(data[mime]);
      const md = pick("text/markdown");
      const json = pick("application/json");
      const plain = pick("text/plain");
      const html = pick("text/html");
      if (md !== undefined) {
        units.push({ cell: cell.id, location, kind: "markdown", text: md });
      } else if (json !== undefined) {
        units.push({ cell: cell.id, location, kind: "json", text: json });
      } else if (html !== undefined) {
        units.push({
          cell: cell.id,
          location,
          kind: "text",
          text: htmlText(html),
        });
      } else if (plain !== undefined) {
        units.push({ cell: cell.id, location, kind: "text", text: plain });
      }
    }
  }
  // Artefacts no output lists (written by a cell directly) still count.
  if (await pathExists(`${dir}/${name}`)) {
    const all = (await listFiles(`${dir}/${name}`)).map((f) => `${name}/${f}`);
    for (const f of all) {
      if (listed.has(f)) continue;
      const s = stem(f);
      const owner = cells.filter((c) => s === c || s.startsWith(`${c}-`))
        .sort((a, b) => b.length - a.length)[0] ?? s;
      const u = await fileUnit(dir, f, owner, all);
      if (u) units.push(u);
    }
  }
  return { cells, units };
}

/** Numbers equal within the tolerances. */
function close(a: number, b: number, options: CompareOptions): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  const tol = Math.max(
    options.absTol ?? 0,
    (options.relTol ?? 0) * Math.max(Math.abs(a), Math.abs(b)),
  );
  return Math.abs(a - b) <= tol;
}

/**
 * Pairs two segment lists: the longest common subsequence of their keys
 * (same words, same number of numbers), then the leftovers of each gap in
 * order. Returns `[baseline index | -1, fresh index | -1]` pairs.
 */
function align(a: Segment[], b: Segment[]): [number, number][] {
  let lo = 0;
  while (lo < a.length && lo < b.length && a[lo].key === b[lo].key) lo++;
  let ha = a.length, hb = b.length;
  while (ha > lo && hb > lo && a[ha - 1].key === b[hb - 1].key) ha--, hb--;
  const n = ha - lo, m = hb - lo;
  const pairs: [number, number][] = [];
  for (let i = 0; i < lo; i++) pairs.push([i, i]);
  const matched: [number, number][] = [];
  if (n > 0 && m > 0 && n * m <= 4e7) {
    const dp = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        dp[i * (m + 1) + j] = a[lo + i].key === b[lo + j].key
          ? dp[(i + 1) * (m + 1) + j + 1] + 1
          : Math.max(dp[(i + 1) * (m + 1) + j], dp[i * (m + 1) + j + 1]);
      }
    }
    for (let i = 0, j = 0; i < n && j < m;) {
      if (a[lo + i].key === b[lo + j].key) matched.push([lo + i++, lo + j++]);
      else if (dp[(i + 1) * (m + 1) + j] >= dp[i * (m + 1) + j + 1]) i++;
      else j++;
    }
  }
  matched.push([ha, hb]);
  let i = lo, j = lo;
  for (const [mi, mj] of matched) {
    // The gap before this match: pair the leftovers in order.
    while (i < mi && j < mj) pairs.push([i++, j++]);
    while (i < mi) pairs.push([i++, -1]);
    while (j < mj) pairs.push([-1, j++]);
    if (mi < ha) pairs.push([i++, j++]);
  }
  for (let k = 0; ha + k < a.length; k++) pairs.push([ha + k, hb + k]);
  return pairs;
}

/** The differing words of two texts, with a few words of context. */
export function wordChange(a: string, b: string): [string, string] {
  const wa = a.split(" "), wb = b.split(" ");
  let p = 0;
  while (p < wa.length && p < wb.length && wa[p] === wb[p]) p++;
  let s = 0;
  while (
    s < wa.length - p && s < wb.length - p &&
    wa[wa.length - 1 - s] === wb[wb.length - 1 - s]
  ) s++;
  const from = Math.max(0, p - 3);
  const show = (w: string[]) => {
    const end = Math.min(w.length, w.length - s + 3);
    return `${from > 0 ? "… " : ""}${w.slice(from, end).join(" ")}${
      end < w.length ? " …" : ""
    }`;
  };
  return [show(wa), show(wb)];
}

interface Counter {
  compared: number;
  differences: Difference[];
}

function compareSegments(
  where: { notebook: string; cell: string },
  a: Segment[],
  b: Segment[],
  options: CompareOptions,
  into: Counter,
): void {
  const diff = (d: Omit<Difference, "notebook" | "cell">) =>
    into.differences.push({ ...where, ...d });
  for (const [i, j] of align(a, b)) {
    if (i < 0 || j < 0) {
      const s = i < 0 ? b[j] : a[i];
      diff({
        location: s.location,
        kind: i < 0 ? "fresh only" : "baseline only",
        baseline: i < 0 ? null : s.text,
        fresh: i < 0 ? s.text : null,
      });
      continue;
    }
    const x = a[i], y = b[j];
    // Other words (a flipped verdict). Keys that differ by location only
    // (a JSON element renamed) are reported at the field that differs.
    if (x.words !== y.words) {
      const [wa, wb] = wordChange(x.text, y.text);
      diff({ location: x.location, kind: "text", baseline: wa, fresh: wb });
    }
    if (x.numbers.length !== y.numbers.length) continue;
    x.numbers.forEach((v, k) => {
      into.compared++;
      const w = y.numbers[k];
      if (close(v, w, options)) return;
      diff({
        location: x.numbers.length > 1
          ? `${x.location} (number ${k + 1})`
          : x.location,
        kind: "number",
        baseline: v,
        fresh: w,
      });
    });
  }
}

async function notebookNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb")) names.push(e.name.slice(0, -6));
  }
  return names.sort();
}

/**
 * Throws a {@link CheckError} unless `dir` is a folder holding an executed
 * notebook or a `manifest.json`; `role` names it in the message.
 */
export async function assertOutputFolder(
  dir: string,
  role: string,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw new CheckError(`${role} folder ${dir} does not exist`);
  }
  if (!info.isDirectory) throw new CheckError(`${role} ${dir} is not a folder`);
  if (
    !(await fileExists(`${dir}/${MANIFEST_FILE}`)) &&
    (await notebookNames(dir)).length === 0
  ) {
    throw new CheckError(
      `${role} folder ${dir} holds no executed notebook and no manifest.json: not an output folder of deno task reproduce`,
    );
  }
}

/**
 * Puts two manifests' data facts on one footing, in place. `datasets` maps
 * every folder under `data/` to its files' hashes, leftovers included (a
 * quick catalogue beside a full run, a dataset no notebook reads), so only
 * the folders both runs had are compared: a hash that differs is a
 * difference, a folder one side lacks is not (a dataset a notebook needed
 * and lacked shows in its outputs and in `realDatasets`). A real dataset
 * rebuilt from its sources ("built") and one found already built
 * ("present") were both there to be read.
 */
function sameDataFacts(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): void {
  const da = a.datasets as Record<string, unknown> | null;
  const db = b.datasets as Record<string, unknown> | null;
  if (da && db && typeof da === "object" && typeof db === "object") {
    const both = (x: Record<string, unknown>, y: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(x).filter(([k]) => k in y));
    a.datasets = both(da, db);
    b.datasets = both(db, da);
  }
  for (const m of [a, b]) {
    if (!Array.isArray(m.realDatasets)) continue;
    m.realDatasets = m.realDatasets.map((d) =>
      d && typeof d === "object" &&
        (d.status === "built" || d.status === "present")
        ? { ...d, status: "available" }
        : d
    );
  }
}

async function compareManifests(
  baselineDir: string,
  freshDir: string,
  options: CompareOptions,
  into: Counter,
): Promise<void> {
  const read = async (dir: string) => {
    const path = `${dir}/${MANIFEST_FILE}`;
    if (!(await fileExists(path))) return null;
    const m = JSON.parse(await Deno.readTextFile(path));
    return Object.fromEntries(MANIFEST_FIELDS.map((f) => [f, m[f] ?? null]));
  };
  const a = await read(baselineDir), b = await read(freshDir);
  if (a !== null && b !== null) sameDataFacts(a, b);
  const where = { notebook: MANIFEST_FILE, cell: "" };
  if (a === null || b === null) {
    if (a !== b) {
      into.differences.push({
        ...where,
        location: MANIFEST_FILE,
        kind: a === null ? "fresh only" : "baseline only",
        baseline: a === null ? null : MANIFEST_FILE,
        fresh: b === null ? null : MANIFEST_FILE,
      });
    }
    return;
  }
  const sa: Segment[] = [], sb: Segment[] = [];
  jsonSegments("", a, sa);
  jsonSegments("", b, sb);
  compareSegments(where, sa, sb, options, into);
}

/**
 * Compares two output folders of `reproduce` (see the module
 * documentation): the baseline (a recorded run) and a fresh one.
 */
export async function compareOutputs(
  baselineDir: string,
  freshDir: string,
  options: CompareOptions = {},
): Promise<Comparison> {
  await assertOutputFolder(baselineDir, "baseline");
  await assertOutputFolder(freshDir, "fresh");
  const into: Counter = { compared: 0, differences: [] };
  await compareManifests(baselineDir, freshDir, options, into);
  const a = await notebookNames(baselineDir), b = await notebookNames(freshDir);
  const only = options.only && onlyNotebookNames(options.only);
  const names = [...new Set([...a, ...b])].sort()
    .filter((n) => !only || only.includes(n));
  for (const name of names) {
    if (!a.includes(name) || !b.includes(name)) {
      const inA = a.includes(name);
      into.differences.push({
        notebook: name,
        cell: "",
        location: `${name}.ipynb`,
        kind: inA ? "baseline only" : "fresh only",
        baseline: inA ? `${name}.ipynb` : null,
        fresh: inA ? null : `${name}.ipynb`,
      });
      continue;
    }
    const x = await notebookUnits(baselineDir, name);
    const y = await notebookUnits(freshDir, name);
    const cells = [...x.cells, ...y.cells.filter((c) => !x.cells.includes(c))];
    for (const cell of cells) {
      const where = { notebook: name, cell };
      if (!x.cells.includes(cell) || !y.cells.includes(cell)) {
        const inA = x.cells.includes(cell);
        into.differences.push({
          ...where,
          location: "cell",
          kind: inA ? "baseline only" : "fresh only",
          baseline: inA ? cell : null,
          fresh: inA ? null : cell,
        });
        continue;
      }
      const ua = x.units.filter((u) => u.cell === cell);
      const ub = y.units.filter((u) => u.cell === cell);
      const locations = [
        ...new Set([...ua, ...ub].map((u) => u.location)),
      ];
      for (const location of locations) {
        const p = ua.find((u) => u.location === location);
        const q = ub.find((u) => u.location === location);
        if (!p || !q || p.text === "\0missing" || q.text === "\0missing") {
          const inA = p !== undefined && p.text !== "\0missing";
          const inB = q !== undefined && q.text !== "\0missing";
          if (inA === inB) continue;
          // An HTML table is skipped beside its Markdown twin: when the twin
          // is gone on one side, that is the difference reported.
          const twin = location.replace(/\.html$/i, ".md");
          if (
            twin !== location &&
            [...ua, ...ub].some((u) => u.location === twin)
          ) continue;
          into.differences.push({
            ...where,
            location,
            kind: inA ? "baseline only" : "fresh only",
            baseline: inA ? location : null,
            fresh: inB ? location : null,
          });
          continue;
        }
        compareSegments(where, unitSegments(p), unitSegments(q), options, into);
      }
    }
  }
  return { ...into, notebooks: names };
}

function signed(x: number, digits = 4): string {
  const s = Number(x.toPrecision(digits)).toString();
  return x > 0 ? `+${s}` : s;
}

/**
 * One difference as `notebook / cell / location: baseline → fresh (Δ, rel
 * Δ)`.
 */
export function formatDifference(d: Difference): string {
  const at = [d.notebook, d.cell, d.location].filter((p) => p).join(" / ");
  if (d.kind === "number") {
    const a = d.baseline as number, b = d.fresh as number;
    const delta = b - a;
    const rel = a === 0
      ? ""
      : `, rel ${signed((delta / Math.abs(a)) * 100, 3)}%`;
    return `${at}: ${a} → ${b} (Δ ${signed(delta)}${rel})`;
  }
  if (d.kind === "text") {
    return `${at}: words "${d.baseline}" → "${d.fresh}"`;
  }
  return d.kind === "baseline only"
    ? `${at}: only in the baseline: ${JSON.stringify(d.baseline)}`
    : `${at}: only in the fresh run: ${JSON.stringify(d.fresh)}`;
}

/** The summary line `check: N numbers compared, M differ` and the list. */
export function formatComparison(c: Comparison): string {
  const counts = (kind: Difference["kind"]) =>
    c.differences.filter((d) => d.kind === kind).length;
  const parts = [
    `${counts("number")} in numbers`,
    `${counts("text")} in words`,
    `${counts("baseline only") + counts("fresh only")} on one side only`,
  ];
  return [
    `check: ${c.compared} numbers compared, ${c.differences.length} differ${
      c.differences.length > 0 ? ` (${parts.join(", ")})` : ""
    } in ${c.notebooks.length} notebooks`,
    ...c.differences.map((d) => `  ${formatDifference(d)}`),
  ].join("\n");
}
