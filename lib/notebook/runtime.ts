/**
 * The in-process side of the headless runner. The module the runner
 * generates from a notebook imports {@link __nb} and brackets every cell
 * with `__nb.begin(id)` / `await __nb.end(id)`; a small driver module calls
 * `__nb.run(url)` to import (= execute) it.
 *
 * While it runs, `console.log/info/debug/dir` (stdout) and
 * `console.error/warn/trace` (stderr) are attributed to the running cell,
 * and {@link display} records MIME bundles and writes artefact files; all of
 * it reaches the parent as events on stdout (see `protocol.ts`).
 *
 * @module
 */

import { format } from "node:util";
import {
  type Artefacts,
  artefactsOf,
  DisplayError,
  type DisplaySink,
  SINK_KEY,
} from "./display.ts";
import { outDir } from "./context.ts";
import {
  encodeEvent,
  type MimeBundle,
  NOTEBOOK_ENV,
  type RunEvent,
} from "./protocol.ts";
import { readEnv } from "../data/mod.ts";

const encoder = new TextEncoder();

function writeAllSync(
  stream: { writeSync(p: Uint8Array): number },
  text: string,
) {
  let bytes = encoder.encode(text);
  // A pipe may take fewer bytes than offered.
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

function emit(event: RunEvent): void {
  writeAllSync(Deno.stdout, encodeEvent(event));
}

/** Formats console arguments the way Deno's console does (no colours). */
export function formatArgs(args: unknown[]): string {
  if (typeof args[0] === "string" && /%[sdifjoOc%]/.test(args[0])) {
    return format(...args);
  }
  return args.map((a) =>
    typeof a === "string" ? a : Deno.inspect(a, { colors: false })
  ).join(" ");
}

const EXT_PATTERN = /^[a-z0-9]+(\.[a-z0-9]+)?$/;

/** State of one notebook execution; used only by generated modules. */
export class NotebookRuntime implements DisplaySink {
  #current: string | null = null;
  #last: string | null = null;
  #started = 0;
  #displays = new Map<string, number>();
  #names = new Set<string>();
  readonly #notebook: string;
  readonly #out: string;

  /** Reads the notebook name and output folder from the environment. */
  constructor() {
    // Unset outside the runner (a Jupyter kernel, a plain script).
    this.#notebook = readEnv(NOTEBOOK_ENV) ?? "notebook";
    this.#out = outDir();
  }

  /** Marks the start of a cell. */
  begin(cell: string): void {
    this.#current = cell;
    this.#last = cell;
    emit({ t: "begin", cell });
    this.#started = performance.now();
  }

  /** Marks the end of a cell (async so cells end on an `await`). */
  end(cell: string): Promise<void> {
    emit({ t: "end", cell, ms: performance.now() - this.#started });
    this.#current = null;
    return Promise.resolve();
  }

  /** Sends console text to the running (or last) cell. */
  stream(name: "stdout" | "stderr", text: string): void {
    const cell = this.#current ?? this.#last;
    if (cell === null) {
      // Before the first cell (module loading): plain output.
      writeAllSync(name === "stdout" ? Deno.stdout : Deno.stderr, text);
    } else emit({ t: "stream", cell, name, text });
  }

  /** {@link DisplaySink}: records a bundle and writes its artefacts. */
  async display(
    bundle: MimeBundle,
    files: Artefacts,
    id?: string,
  ): Promise<void> {
    const cell = this.#current ?? this.#last;
    if (cell === null) {
      throw new DisplayError("display: called before the first cell began");
    }
    const n = (this.#displays.get(cell) ?? 0) + (id === undefined ? 1 : 0);
    this.#displays.set(cell, n);
    const base = id !== undefined
      ? `${cell}-${id}`
      : n === 1
      ? cell
      : `${cell}-${n}`;
    if (this.#names.has(base)) {
      throw new DisplayError(
        `display: artefact name '${base}' already used in cell '${cell}' (a repeated { id })`,
      );
    }
    this.#names.add(base);
    const written: string[] = [];
    const all = artefactsOf(bundle, files);
    const dir = `${this.#out}/${this.#notebook}`;
    if (Object.keys(all).length > 0) await Deno.mkdir(dir, { recursive: true });
    for (const [ext, data] of Object.entries(all)) {
      if (!EXT_PATTERN.test(ext)) {
        throw new DisplayError(
          `display: artefact extension ${
            JSON.stringify(ext)
          } is not lowercase letters/digits`,
        );
      }
      const path = `${dir}/${base}.${ext}`;
      if (typeof data === "string") await Deno.writeTextFile(path, data);
      else await Deno.writeFile(path, data);
      written.push(`${this.#notebook}/${base}.${ext}`);
    }
    emit({ t: "display", cell, data: bundle, files: written });
  }

  /** Reports an error (with the running cell) and exits with status 1. */
  fail(err: unknown): never {
    const e = err instanceof Error ? err : null;
    emit({
      t: "error",
      cell: this.#current,
      ename: e?.name ?? "Error",
      evalue: e ? e.message : String(err),
      stack: e?.stack ?? String(err),
    });
    Deno.exit(1);
  }

  /** Executes the generated module at `url`, then exits. */
  async run(url: string): Promise<never> {
    this.#install();
    try {
      await import(url);
    } catch (err) {
      this.fail(err);
    }
    emit({ t: "done" });
    // Cells may leave timers or handles open; a kernel would just idle.
    Deno.exit(0);
  }

  #install(): void {
    (globalThis as Record<symbol, unknown>)[SINK_KEY] = this;
    const out = (...a: unknown[]) =>
      this.stream("stdout", formatArgs(a) + "\n");
    const err = (...a: unknown[]) =>
      this.stream("stderr", formatArgs(a) + "\n");
    console.log = out;
    console.info = out;
    console.debug = out;
    console.dir = (x: unknown) => out(x);
    console.error = err;
    console.warn = err;
    console.trace = (...a: unknown[]) => {
      const stack = new Error().stack?.split("\n").slice(2).join("\n") ?? "";
      err(`Trace: ${formatArgs(a)}\n${stack}`);
    };
    globalThis.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      this.fail(e.reason);
    });
    globalThis.addEventListener("error", (e) => {
      e.preventDefault();
      this.fail(e.error ?? e.message);
    });
  }
}

/** The runtime of this process, used by generated notebook modules. */
export const __nb: NotebookRuntime = new NotebookRuntime();
