/**
 * Notebook files (nbformat 4.5 JSON): types, reading and validation.
 *
 * Every cell must carry an id (nbformat ≥ 4.5), unique in its notebook, so
 * that a wiki can cite `<notebook>.html#<cell-id>`; the runner refuses a
 * notebook with a missing or repeated id, naming the notebook and the cell's
 * index.
 *
 * @module
 */

import type { MimeBundle } from "./protocol.ts";
import { basename } from "node:path";

/** nbformat multiline string: one string or a list of lines. */
export type MultilineString = string | string[];

/** A `stream` output. */
export interface StreamOutput {
  /** Output type. */
  output_type: "stream";
  /** `stdout` or `stderr`. */
  name: "stdout" | "stderr";
  /** The text. */
  text: MultilineString;
}

/** A `display_data` output. */
export interface DisplayDataOutput {
  /** Output type. */
  output_type: "display_data";
  /** MIME bundle. */
  data: MimeBundle;
  /** Output metadata. */
  metadata: Record<string, unknown>;
}

/** An `execute_result` output (the kernel's value of a cell's last line). */
export interface ExecuteResultOutput {
  /** Output type. */
  output_type: "execute_result";
  /** MIME bundle. */
  data: MimeBundle;
  /** Output metadata. */
  metadata: Record<string, unknown>;
  /** Execution count of the cell. */
  execution_count: number | null;
}

/** An `error` output. */
export interface ErrorOutput {
  /** Output type. */
  output_type: "error";
  /** Error class name. */
  ename: string;
  /** Error message. */
  evalue: string;
  /** Traceback lines. */
  traceback: string[];
}

/** Any output of a code cell. */
export type Output =
  | StreamOutput
  | DisplayDataOutput
  | ExecuteResultOutput
  | ErrorOutput;

/** One cell. */
export interface Cell {
  /** Cell type. */
  cell_type: "code" | "markdown" | "raw";
  /** Stable id (nbformat 4.5). */
  id: string;
  /** Source text. */
  source: MultilineString;
  /** Cell metadata. */
  metadata: Record<string, unknown>;
  /** Code cells: outputs. */
  outputs?: Output[];
  /** Code cells: execution count, null when not run. */
  execution_count?: number | null;
  /** Other fields are kept as they are. */
  [key: string]: unknown;
}

/** A notebook document. */
export interface Notebook {
  /** Major format version (4). */
  nbformat: number;
  /** Minor format version (≥ 5 for cell ids). */
  nbformat_minor: number;
  /** Notebook metadata (kernelspec, language_info, …). */
  metadata: Record<string, unknown>;
  /** The cells in order. */
  cells: Cell[];
}

/** A notebook file is malformed: names the notebook and, if any, the cell. */
export class NotebookError extends Error {
  /** Notebook path or name. */
  readonly notebook: string;
  /** Index of the cell at fault (0-based), if any. */
  readonly cellIndex?: number;
  /** Id of the cell at fault, if known. */
  readonly cellId?: string;

  /** Builds the message `notebook[: cell i ('id')]: detail`. */
  constructor(
    notebook: string,
    detail: string,
    cell: { index?: number; id?: string } = {},
  ) {
    const where = cell.index !== undefined
      ? `: cell ${cell.index}${cell.id ? ` (id '${cell.id}')` : ""}`
      : cell.id
      ? `: cell '${cell.id}'`
      : "";
    super(`${notebook}${where}: ${detail}`);
    this.name = "NotebookError";
    this.notebook = notebook;
    this.cellIndex = cell.index;
    this.cellId = cell.id;
  }
}

/** nbformat 4.5's pattern for cell ids. */
export const CELL_ID_PATTERN: RegExp = /^[a-zA-Z0-9_-]{1,64}$/;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The text of a multiline string. */
export function joinSource(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** Splits text into nbformat's list-of-lines form (newlines kept). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * The notebook names a `--only` list gives: an entry may hold several,
 * comma-separated, each a name or a file (`notebooks/04_baseline_dssm.ipynb`).
 */
export function onlyNotebookNames(only: readonly string[]): string[] {
  return only.flatMap((o) => o.split(","))
    .map((o) => basename(o.trim(), ".ipynb"))
    .filter((o) => o);
}

/**
 * The name of a notebook file: its base name without `.ipynb`. Throws a
 * {@link NotebookError} when it holds characters unfit for file names and
 * URL anchors.
 */
export function notebookName(path: string): string {
  const base = basename(path);
  const name = base.replace(/\.ipynb$/, "");
  if (!base.endsWith(".ipynb") || !NAME_PATTERN.test(name)) {
    throw new NotebookError(
      path,
      "notebook file names must be <letters, digits, '.', '_', '-'>.ipynb",
    );
  }
  return name;
}

/**
 * Parses and validates notebook JSON: nbformat 4.5+, a `cells` array, every
 * cell of a known type with a unique id matching {@link CELL_ID_PATTERN},
 * and (if named) the `deno` kernel. `where` names the notebook in errors.
 */
export function parseNotebook(text: string, where: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (err) {
    throw new NotebookError(
      where,
      `not valid JSON: ${(err as Error).message}`,
    );
  }
  if (nb === null || typeof nb !== "object" || !Array.isArray(nb.cells)) {
    throw new NotebookError(where, "not a notebook (no 'cells' array)");
  }
  if (
    nb.nbformat !== 4 || typeof nb.nbformat_minor !== "number" ||
    nb.nbformat_minor < 5
  ) {
    throw new NotebookError(
      where,
      `nbformat ${nb.nbformat}.${nb.nbformat_minor}: need 4.5 or later (cell ids)`,
    );
  }
  nb.metadata ??= {};
  const kernel = (nb.metadata.kernelspec as { name?: unknown } | undefined)
    ?.name;
  if (kernel !== undefined && kernel !== "deno") {
    throw new NotebookError(
      where,
      `kernelspec '${kernel}': these notebooks run on the 'deno' kernel`,
    );
  }
  const seen = new Map<string, number>();
  nb.cells.forEach((cell, index) => {
    if (cell === null || typeof cell !== "object") {
      throw new NotebookError(where, "not a cell object", { index });
    }
    if (!["code", "markdown", "raw"].includes(cell.cell_type)) {
      throw new NotebookError(
        where,
        `unknown cell_type ${JSON.stringify(cell.cell_type)}`,
        { index },
      );
    }
    if (cell.id === undefined || cell.id === null || cell.id === "") {
      throw new NotebookError(
        where,
        `${cell.cell_type} cell has no id (every cell needs a stable id, nbformat 4.5)`,
        { index },
      );
    }
    if (typeof cell.id !== "string" || !CELL_ID_PATTERN.test(cell.id)) {
      throw new NotebookError(
        where,
        `id ${
          JSON.stringify(cell.id)
        } must be 1-64 letters, digits, '_' or '-'`,
        { index },
      );
    }
    const first = seen.get(cell.id);
    if (first !== undefined) {
      throw new NotebookError(
        where,
        `duplicate id: already used by cell ${first}`,
        { index, id: cell.id },
      );
    }
    seen.set(cell.id, index);
    if (typeof cell.source !== "string" && !Array.isArray(cell.source)) {
      throw new NotebookError(where, "source is not text", {
        index,
        id: cell.id,
      });
    }
    cell.metadata ??= {};
  });
  return nb;
}

/** Reads and validates a notebook file (see {@link parseNotebook}). */
export async function readNotebook(path: string): Promise<Notebook> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new NotebookError(path, `cannot read: ${(err as Error).message}`);
  }
  return parseNotebook(text, path);
}
