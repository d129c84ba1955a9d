/**
 * The headless notebook runner: executes a notebook (nbformat 4.5, `deno`
 * kernel) without Python and without a Jupyter kernel, and writes the
 * executed notebook.
 *
 * How: `codegen.ts` turns the code cells into one module under
 * `<out>/.runner/<name>.ts`; a child `deno run` (this binary,
 * `Deno.execPath()`) executes it with the notebook's folder as working
 * directory (like the kernel) and explicit permissions: read everywhere,
 * write only to the output folder (training runs go to `<out>/runs/`) and
 * `data/` (beside the `deno.json` in use), env, and ffi + sys only when
 * this process has ffi (the `reproduce:native` task: tfjs-node's addon). The child reports per cell (begin, console text, displays, end
 * with duration, error with stack) as events on its stdout (`protocol.ts`);
 * the runner turns them into `stream`, `display_data` and `error` outputs
 * and sets `execution_count`. The run stops at the first failing cell.
 *
 * @module
 */

import {
  absolutePath,
  pathExists,
  type Profile,
  writeTextAtomic,
} from "../data/mod.ts";
import { cellAtLine, type GeneratedModule, generateModule } from "./codegen.ts";
import {
  type Cell,
  type ErrorOutput,
  type Notebook,
  notebookName,
  type Output,
  readNotebook,
  splitLines,
} from "./notebook.ts";
import {
  contextEnv,
  decodeLine,
  NOTEBOOK_ENV,
  type RunEvent,
} from "./protocol.ts";
import { dirname } from "node:path";

/**
 * Key in a `display_data` output's metadata under which the runner records
 * the artefact files written for it: `{ files: ["<nb>/<cell>.svg", …] }`,
 * relative to the output folder.
 */
export const FILES_KEY = "adaptive_retrieval";

/** The artefact files an output's metadata records under {@link FILES_KEY}. */
export function outputFiles(metadata: unknown): string[] {
  const files = (metadata as Record<string, { files?: unknown } | undefined>)
    ?.[FILES_KEY]?.files;
  return Array.isArray(files)
    ? files.filter((f): f is string => typeof f === "string")
    : [];
}

/**
 * How long one cell may run under `deno task reproduce`, headless or in
 * Jupyter, unless `--cell-timeout` says otherwise: an hour, well above the
 * slowest cell of the full profile.
 */
export const DEFAULT_CELL_TIMEOUT_S = 3600;

/** Options of {@link runNotebook}. */
export interface RunOptions {
  /** Output folder (executed notebook, artefacts, generated module). */
  out: string;
  /** Run profile passed to cells (default `quick`). */
  profile?: Profile;
  /** Seed passed to cells (default 1). */
  seed?: number;
  /** Training seeds per config passed to cells (default: the profile's). */
  seeds?: number;
  /** Kill the run when one cell takes longer (milliseconds; default none). */
  cellTimeoutMs?: number;
  /** Further folders the notebook may write to (besides out and data/). */
  allowWrite?: string[];
  /**
   * The `deno.json` giving the import map (default: the nearest one at or
   * above the notebook's folder); its folder's `data/` is writable.
   */
  config?: string;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /** Called for every event, e.g. to show progress. */
  onEvent?: (event: RunEvent) => void;
}

/** One executed code cell. */
export interface CellRun {
  /** Cell id. */
  id: string;
  /** Index in the notebook (0-based, all cell types). */
  index: number;
  /** Execution count given to it. */
  executionCount: number;
  /** Wall-clock duration in ms (null if it did not finish). */
  ms: number | null;
  /** Its outputs, as written into the executed notebook. */
  outputs: Output[];
  /** Artefact files it wrote, relative to the output folder. */
  files: string[];
}

/** Why a run failed. */
export interface RunFailure {
  /** Id of the failing cell, or null when the module failed to load. */
  cellId: string | null;
  /** Error class name. */
  ename: string;
  /** Error message. */
  evalue: string;
  /** One-line message naming the notebook and the cell. */
  message: string;
  /** Traceback, locations mapped back to cells. */
  traceback: string[];
}

/** The result of {@link runNotebook}. */
export interface NotebookRun {
  /** Notebook name (file name without `.ipynb`). */
  name: string;
  /** Absolute path of the notebook. */
  path: string;
  /** Where the executed notebook was written. */
  executedPath: string;
  /** Whether every code cell ran without error. */
  ok: boolean;
  /** Wall-clock duration of the whole run (child process included), ms. */
  ms: number;
  /** Code cells that started, in order. */
  cells: CellRun[];
  /** The failure, when not ok. */
  failure?: RunFailure;
  /** Anything the child wrote outside cells (Deno's own messages). */
  log: string;
}

/** A notebook run failed; the message names the notebook and the cell. */
export class NotebookRunError extends Error {
  /** The failed run. */
  readonly run: NotebookRun;

  /** Wraps a failed run. */
  constructor(run: NotebookRun) {
    super(run.failure?.message ?? `notebook ${run.name}.ipynb failed`);
    this.name = "NotebookRunError";
    this.run = run;
  }
}

function fileUrl(path: string): string {
  return new URL(`file://${encodeURI(path)}`).href;
}

/** The nearest `deno.json` at or above a folder, or null. */
export async function findConfig(dir: string): Promise<string | null> {
  for (let d = absolutePath(dir);; d = dirname(d)) {
    if (await pathExists(`${d}/deno.json`)) return `${d}/deno.json`;
    if (d === "/") return null;
  }
}

/** Replaces generated-module locations with `<name>.ipynb#<cell>:line:col`. */
function mapLocations(
  text: string,
  moduleUrl: string,
  gen: GeneratedModule,
  notebook: string,
): string {
  const esc = moduleUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`${esc}:(\\d+):(\\d+)`, "g"), (all, l, c) => {
    const at = cellAtLine(gen, Number(l));
    return at ? `${notebook}#${at.span.id}:${at.line}:${c}` : all;
  });
}

/** The first cell named by a mapped location in the text, if any. */
function cellInText(
  text: string,
  moduleUrl: string,
  gen: GeneratedModule,
): string | null {
  const esc = moduleUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`${esc}:(\\d+)`).exec(text);
  return m ? cellAtLine(gen, Number(m[1]))?.span.id ?? null : null;
}

function pushStream(
  outputs: Output[],
  name: "stdout" | "stderr",
  text: string,
): void {
  const last = outputs[outputs.length - 1];
  if (last?.output_type === "stream" && last.name === name) {
    last.text = (last.text as string) + text;
  } else outputs.push({ output_type: "stream", name, text });
}

/** Lines of text outputs in nbformat's list form (as Jupyter saves them). */
function finishOutputs(outputs: Output[]): Output[] {
  return outputs.map((o) =>
    o.output_type === "stream"
      ? { ...o, text: splitLines(o.text as string) }
      : o
  );
}

/**
 * Executes a notebook headless and writes `<out>/<name>.ipynb`, also when a
 * cell fails (outputs so far, the error as an `error` output). Returns the
 * run; check `ok` (or use {@link runNotebookOrThrow}). Throws a
 * `NotebookError` for a malformed notebook (missing or duplicate cell ids,
 * redeclared names) before anything runs.
 */
export async function runNotebook(
  path: string,
  options: RunOptions,
): Promise<NotebookRun> {
  const t0 = performance.now();
  const abs = absolutePath(path);
  const name = notebookName(abs);
  const nbFile = `${name}.ipynb`;
  const nb = await readNotebook(abs);
  const nbDir = dirname(abs);
  const out = absolutePath(options.out);
  const runnerDir = `${out}/.runner`;
  const gen = generateModule(nb.cells, {
    notebook: nbFile,
    notebookDir: nbDir,
    runtimeUrl: new URL("./runtime.ts", import.meta.url).href,
  });
  await Deno.mkdir(runnerDir, { recursive: true });
  // Artefacts of an earlier run would outlive deleted cells.
  await Deno.remove(`${out}/${name}`, { recursive: true }).catch(() => {});
  const modulePath = `${runnerDir}/${name}.ts`;
  const moduleUrl = fileUrl(modulePath);
  const driverPath = `${runnerDir}/${name}.main.ts`;
  await Deno.writeTextFile(modulePath, gen.source);
  await Deno.writeTextFile(
    driverPath,
    `import { __nb } from ${
      JSON.stringify(new URL("./runtime.ts", import.meta.url).href)
    };\nawait __nb.run(${JSON.stringify(moduleUrl)});\n`,
  );

  const config = options.config !== undefined
    ? absolutePath(options.config)
    : await findConfig(nbDir);
  const root = config ? dirname(config) : nbDir;
  // data/: notebooks may build datasets (training runs go under out).
  const writable = [
    out,
    `${root}/data`,
    ...(options.allowWrite ?? []),
  ]
    .map(absolutePath);
  const args = [
    "run",
    "--no-prompt",
    ...(config ? ["--config", config] : []),
    "--allow-read",
    `--allow-write=${writable.join(",")}`,
    "--allow-env",
    // Native addons (tfjs-node) only where this process may load them too.
    ...(Deno.permissions.querySync({ name: "ffi" }).state === "granted"
      ? ["--allow-ffi", "--allow-sys"]
      : []),
    driverPath,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: nbDir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      NO_COLOR: "1",
      ...contextEnv({ ...options, out }),
      [NOTEBOOK_ENV]: name,
      ...options.env,
    },
  }).spawn();

  const byId = new Map<string, CellRun>();
  const cells: CellRun[] = [];
  const indexOf = new Map(gen.cells.map((s) => [s.id, s.index]));
  let current: CellRun | null = null;
  let errorEvent: Extract<RunEvent, { t: "error" }> | null = null;
  let done = false;
  let timedOut: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let log = "";
  // A cell's record, in execution order, from when it begins (or fails
  // before it could).
  const begin = (id: string): CellRun => {
    const c: CellRun = {
      id,
      index: indexOf.get(id) ?? -1,
      executionCount: cells.length + 1,
      ms: null,
      outputs: [],
      files: [],
    };
    cells.push(c);
    byId.set(id, c);
    return c;
  };

  const onEvent = (e: RunEvent) => {
    options.onEvent?.(e);
    if (e.t === "begin") {
      current = begin(e.cell);
      if (options.cellTimeoutMs !== undefined) {
        const cell = e.cell;
        timer = setTimeout(() => {
          timedOut = cell;
          try {
            child.kill("SIGKILL");
          } catch {
            // Already gone.
          }
        }, options.cellTimeoutMs);
      }
    } else if (e.t === "stream") {
      const c = byId.get(e.cell);
      if (c) pushStream(c.outputs, e.name, e.text);
    } else if (e.t === "display") {
      const c = byId.get(e.cell);
      if (c) {
        c.outputs.push({
          output_type: "display_data",
          data: e.data,
          // The report links the artefacts from here.
          metadata: e.files.length > 0
            ? { [FILES_KEY]: { files: e.files } }
            : {},
        });
        c.files.push(...e.files);
      }
    } else if (e.t === "end") {
      clearTimeout(timer);
      const c = byId.get(e.cell);
      if (c) c.ms = e.ms;
      current = null;
    } else if (e.t === "error") {
      clearTimeout(timer);
      errorEvent = e;
    } else if (e.t === "done") done = true;
  };
  const raw = (name: "stdout" | "stderr", text: string) => {
    const c = current as CellRun | null;
    if (c) pushStream(c.outputs, name, text);
    else log += text;
  };

  const readStdout = (async () => {
    let buf = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const { raw: text, event } = decodeLine(line);
        if (event) {
          if (text) raw("stdout", text);
          onEvent(event);
        } else raw("stdout", text + "\n");
      }
    }
    if (buf) raw("stdout", buf);
  })();
  const readStderr = (async () => {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) raw("stderr", chunk);
  })();
  const [status] = await Promise.all([child.status, readStdout, readStderr]);
  clearTimeout(timer);

  let failure: RunFailure | undefined;
  const unfinished = current as CellRun | null;
  const fail = (
    cellId: string | null,
    ename: string,
    evalue: string,
    traceback: string[],
  ): RunFailure => {
    const where = cellId === null
      ? "while loading its module"
      : `in cell '${cellId}' (index ${indexOf.get(cellId)})`;
    return {
      cellId,
      ename,
      evalue,
      traceback,
      message: `notebook ${nbFile} failed ${where}: ${ename}: ${
        evalue.split("\n")[0]
      }`,
    };
  };
  const ev = errorEvent as Extract<RunEvent, { t: "error" }> | null;
  if (ev) {
    const stack = mapLocations(ev.stack, moduleUrl, gen, nbFile);
    const evalue = mapLocations(ev.evalue, moduleUrl, gen, nbFile);
    const cellId = ev.cell ??
      cellInText(ev.evalue + "\n" + ev.stack, moduleUrl, gen);
    failure = fail(cellId, ev.ename, evalue, stack.split("\n"));
  } else if (timedOut !== null) {
    failure = fail(
      timedOut,
      "TimeoutError",
      `cell ran longer than ${options.cellTimeoutMs} ms and was stopped`,
      [],
    );
  } else if (!done) {
    const cellId = unfinished?.id ?? cellInText(log, moduleUrl, gen);
    const tail = mapLocations(log.trim(), moduleUrl, gen, nbFile);
    failure = fail(
      cellId,
      "ExitError",
      `the notebook process exited with code ${status.code} before finishing` +
        (tail ? `:\n${tail}` : " (Deno.exit in a cell?)"),
      tail ? tail.split("\n") : [],
    );
  } else if (!status.success) {
    failure = fail(
      null,
      "ExitError",
      `the notebook process exited with code ${status.code}`,
      [],
    );
  }
  if (failure && failure.cellId !== null) {
    // A cell may fail before it began (e.g. a load-time SyntaxError
    // located in it).
    const c = byId.get(failure.cellId) ?? begin(failure.cellId);
    const err: ErrorOutput = {
      output_type: "error",
      ename: failure.ename,
      evalue: failure.evalue,
      traceback: failure.traceback,
    };
    c.outputs.push(err);
  }
  for (const c of cells) c.outputs = finishOutputs(c.outputs);

  const executedPath = `${out}/${nbFile}`;
  await writeTextAtomic(executedPath, executedNotebook(nb, byId));
  return {
    name,
    path: abs,
    executedPath,
    ok: failure === undefined,
    ms: performance.now() - t0,
    cells,
    failure,
    log,
  };
}

/** Like {@link runNotebook}, but throws a {@link NotebookRunError} on failure. */
export async function runNotebookOrThrow(
  path: string,
  options: RunOptions,
): Promise<NotebookRun> {
  const run = await runNotebook(path, options);
  if (!run.ok) throw new NotebookRunError(run);
  return run;
}

/** The notebook JSON with outputs and execution counts of the run. */
function executedNotebook(nb: Notebook, runs: Map<string, CellRun>): string {
  const cells = nb.cells.map((cell): Cell => {
    if (cell.cell_type !== "code") return cell;
    const r = runs.get(cell.id);
    return {
      ...cell,
      execution_count: r ? r.executionCount : null,
      outputs: r ? r.outputs : [],
    };
  });
  // Jupyter writes one-space indented JSON with a trailing newline.
  return JSON.stringify({ ...nb, cells }, null, 1) + "\n";
}
