/**
 * Running notebooks through a real Jupyter kernel (`deno task reproduce
 * --jupyter`): a project-local kernelspec for this Deno binary and Debian's
 * `jupyter nbconvert --execute`, then a check of the executed notebook.
 *
 * Why the check: Deno's kernel (2.9) queues what a cell publishes on a
 * channel that another task drains, and reports `idle` without waiting for
 * it; nbclient stops collecting a cell's outputs at `idle`, so an output can
 * be missing from the saved notebook (docs/jupyter.md has the measured
 * orders). `display()` from this package resolves only once the kernel has
 * written its message, so displays are never lost; bare last-line values
 * (`execute_result`) and `console.log` output after a cell's last display
 * still can be, which is why notebooks end cells with `await display(...)`.
 * A missing output is a failure of the Jupyter pass, not a flake to retry.
 *
 * Needs the Debian packages `jupyter-nbconvert python3-nbclient
 * jupyter-client` (not Python from pyenv: the `jupyter` scripts run with
 * /usr/bin/python3).
 *
 * @module
 */

import { joinSource, type Notebook, readNotebook } from "./notebook.ts";
import { contextEnv } from "./protocol.ts";
import { DEFAULT_CELL_TIMEOUT_S } from "./runner.ts";
import { absolutePath, type Profile } from "../data/mod.ts";
import { basename, dirname } from "node:path";

/** The command that installs what `--jupyter` needs (Debian 12). */
export const JUPYTER_INSTALL_HINT =
  "sudo apt-get install --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client";

/** Jupyter is missing, or a notebook failed under it. */
export class JupyterError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "JupyterError";
  }
}

/**
 * Writes `<root>/.jupyter/kernels/deno/kernel.json` for this Deno binary
 * and returns `<root>/.jupyter`, the folder to put in `JUPYTER_PATH`.
 */
export async function writeKernelspec(root: string): Promise<string> {
  const dir = `${absolutePath(root)}/.jupyter`;
  await Deno.mkdir(`${dir}/kernels/deno`, { recursive: true });
  const spec = {
    argv: [
      Deno.execPath(),
      "jupyter",
      "--kernel",
      "--conn",
      "{connection_file}",
    ],
    display_name: "Deno",
    language: "typescript",
  };
  await Deno.writeTextFile(
    `${dir}/kernels/deno/kernel.json`,
    JSON.stringify(spec, null, 2) + "\n",
  );
  return dir;
}

async function works(cmd: string): Promise<boolean> {
  try {
    const r = await new Deno.Command(cmd, {
      args: ["nbconvert", "--version"],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * The first `jupyter` on `PATH` whose `nbconvert` runs (a pyenv shim
 * without the modules is skipped), else `/usr/bin/jupyter` if it works, else
 * null.
 */
export async function findJupyter(): Promise<string | null> {
  const seen = new Set<string>();
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d);
  for (const d of [...dirs, "/usr/bin"]) {
    const cmd = `${d}/jupyter`;
    if (seen.has(cmd)) continue;
    seen.add(cmd);
    try {
      if (!(await Deno.stat(cmd)).isFile) continue;
    } catch {
      continue;
    }
    if (await works(cmd)) return cmd;
  }
  return null;
}

/** What {@link checkExecution} found. */
export interface ExecutionCheck {
  /** Code cells without an execution count (did not run). */
  unexecuted: string[];
  /**
   * Cells whose outputs are missing, with what was expected and found, and
   * how many outputs are lost (displays short, plus one for a missing
   * stdout).
   */
  missing: { id: string; expected: string; found: string; lost: number }[];
  /** Cells with an error output. */
  errors: { id: string; ename: string; evalue: string }[];
}

function counts(outputs: Notebook["cells"][number]["outputs"]) {
  let display = 0;
  let stdout = false;
  for (const o of outputs ?? []) {
    if (o.output_type === "display_data") display++;
    if (o.output_type === "stream" && o.name === "stdout") stdout = true;
  }
  return { display, stdout };
}

/**
 * Checks a notebook executed by Jupyter: every code cell has an execution
 * count; no error outputs; and each cell has the outputs expected of it:
 * as many `display_data` outputs and the stdout the headless run of the same
 * notebook (`reference`) produced, or, without one, at least one
 * `display_data` when its source calls `display(`.
 */
export function checkExecution(
  executed: Notebook,
  reference: Notebook | null = null,
): ExecutionCheck {
  const ref = new Map((reference?.cells ?? []).map((c) => [c.id, c]));
  const check: ExecutionCheck = { unexecuted: [], missing: [], errors: [] };
  for (const cell of executed.cells) {
    if (cell.cell_type !== "code") continue;
    if (typeof cell.execution_count !== "number") {
      check.unexecuted.push(cell.id);
    }
    for (const o of cell.outputs ?? []) {
      if (o.output_type === "error") {
        check.errors.push({ id: cell.id, ename: o.ename, evalue: o.evalue });
      }
    }
    const got = counts(cell.outputs);
    const r = ref.get(cell.id);
    const want = r ? counts(r.outputs) : {
      display: /\bdisplay\s*\(/.test(joinSource(cell.source)) ? 1 : 0,
      stdout: false,
    };
    if (got.display < want.display || (want.stdout && !got.stdout)) {
      const describe = (c: { display: number; stdout: boolean }) =>
        `${c.display} display${c.stdout ? " + stdout" : ""}`;
      check.missing.push({
        id: cell.id,
        expected: describe(want),
        found: describe(got),
        lost: Math.max(0, want.display - got.display) +
          (want.stdout && !got.stdout ? 1 : 0),
      });
    }
  }
  return check;
}

/**
 * Code cells whose source calls `console.*` after its last `display(`: under
 * Jupyter such a log can arrive after the cell's `idle` and be dropped
 * (docs/jupyter.md), so a notebook must not end a cell with one. Reads the
 * source line by line; returns the cells' ids.
 */
export function lateLogCells(nb: Notebook): string[] {
  const ids: string[] = [];
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    const lines = joinSource(cell.source).split("\n");
    const last = (re: RegExp) => lines.findLastIndex((l) => re.test(l));
    if (last(/\bconsole\.\w+\s*\(/) > last(/\bdisplay\s*\(/)) {
      ids.push(cell.id);
    }
  }
  return ids;
}

/**
 * How many outputs the checks found missing from cells that ran without an
 * error (a failed cell lacks its outputs for another reason).
 */
export function lostOutputs(checks: readonly ExecutionCheck[]): number {
  let lost = 0;
  for (const c of checks) {
    const failed = new Set(c.errors.map((e) => e.id));
    for (const m of c.missing) if (!failed.has(m.id)) lost += m.lost;
  }
  return lost;
}

/** Options of {@link runJupyter}. */
export interface JupyterRunOptions {
  /** Output folder of the run; the notebook goes to `<out>/jupyter/`. */
  out: string;
  /** Repository root: the kernelspec goes to `<root>/.jupyter`. */
  root: string;
  /** Profile passed to cells (default quick). */
  profile?: Profile;
  /** Seed passed to cells (default 1). */
  seed?: number;
  /** Training seeds per config passed to cells (default: the profile's). */
  seeds?: number;
  /** Per-cell timeout in seconds (default {@link DEFAULT_CELL_TIMEOUT_S}). */
  cellTimeoutS?: number;
  /** The `jupyter` command (default: {@link findJupyter}). */
  jupyter?: string;
  /** Headless run of the same notebook to compare outputs with. */
  reference?: Notebook | null;
}

/** The result of {@link runJupyter}. */
export interface JupyterRun {
  /** Notebook name. */
  name: string;
  /** The executed notebook. */
  executedPath: string;
  /** Wall-clock duration (kernel start included), ms. */
  ms: number;
  /** The check of the executed notebook. */
  check: ExecutionCheck;
  /** Whether every cell ran without error (missing outputs are warnings). */
  ok: boolean;
}

/**
 * Executes a notebook with `jupyter nbconvert --execute` on the project's
 * Deno kernel (`--allow-errors`, so the saved notebook shows which cell
 * failed), writing `<out>/jupyter/<name>.ipynb`, and checks it with
 * {@link checkExecution}. Throws a {@link JupyterError} with the install
 * command when Jupyter is missing, or with nbconvert's output when it fails.
 */
export async function runJupyter(
  path: string,
  options: JupyterRunOptions,
): Promise<JupyterRun> {
  const t0 = performance.now();
  const jupyter = options.jupyter ?? await findJupyter();
  if (jupyter === null) {
    throw new JupyterError(
      `--jupyter needs Jupyter's nbconvert (Debian packages); install it with:\n  ${JUPYTER_INSTALL_HINT}`,
    );
  }
  const abs = absolutePath(path);
  const name = basename(abs, ".ipynb");
  const out = `${absolutePath(options.out)}/jupyter`;
  await Deno.mkdir(out, { recursive: true });
  const jupyterPath = await writeKernelspec(options.root);
  const timeout = options.cellTimeoutS ?? DEFAULT_CELL_TIMEOUT_S;
  const r = await new Deno.Command(jupyter, {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--allow-errors",
      "--ExecutePreprocessor.kernel_name=deno",
      `--ExecutePreprocessor.timeout=${timeout}`,
      "--output-dir",
      out,
      "--output",
      name,
      abs,
    ],
    cwd: dirname(abs),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      JUPYTER_PATH: jupyterPath,
      NO_COLOR: "1",
      ...contextEnv({ ...options, out: absolutePath(options.out) }),
    },
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n");
    throw new JupyterError(
      `jupyter nbconvert failed on ${name}.ipynb (exit ${r.code}):\n${
        err.slice(-20).join("\n")
      }`,
    );
  }
  const executedPath = `${out}/${name}.ipynb`;
  const executed = await readNotebook(executedPath);
  const check = checkExecution(executed, options.reference ?? null);
  return {
    name,
    executedPath,
    ms: performance.now() - t0,
    check,
    ok: check.unexecuted.length === 0 && check.errors.length === 0,
  };
}
