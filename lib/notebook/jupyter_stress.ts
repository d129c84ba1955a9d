/**
 * `deno task jupyter-stress [--runs N] [--out DIR] [--only NAME] [--no-load]`:
 * runs the Jupyter pass of `deno task reproduce --jupyter` over the notebooks
 * N times (default 10) while a child process keeps one core busy, and prints
 * the outputs each run lost (outputs of cells that ran without error but are
 * missing compared with the headless run), per run and in total; failed
 * cells are reported apart. Exits 1 if any output was lost or a cell failed. Not part of CI: it takes about N × 1.2 min after the
 * headless pass.
 *
 * The headless pass runs first, as in the notebooks test, into the same
 * output folder (`reproduce --profile quick`; notebooks unchanged since
 * their last run there are skipped), so the Jupyter runs find the training
 * runs cached and have a reference to compare with.
 *
 * Why: the Deno kernel can report a cell idle before its outputs go out, and
 * frontends stop listening at idle (docs/jupyter.md); a load on the machine
 * makes that race likelier.
 *
 * @module
 */

import {
  commandLine,
  type FlagTable,
  flagUsage,
  parseCommand,
  userPath,
} from "../data/mod.ts";
import { defaultOutDir, repoRoot } from "./context.ts";
import {
  type JupyterRun,
  lostOutputs,
  runJupyter,
  writeKernelspec,
} from "./jupyter.ts";
import { type Notebook, readNotebook } from "./notebook.ts";
import { reproduce } from "./reproduce.ts";

/** Options of {@link jupyterStress}. */
export interface StressOptions {
  /** Jupyter passes (default {@link DEFAULT_STRESS_RUNS}). */
  runs?: number;
  /** Output folder shared with the headless pass (default `<root>/out`). */
  out?: string;
  /** Only these notebooks (default all). */
  only?: string[];
  /** Keep one core busy meanwhile (default true). */
  load?: boolean;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
}

/** What {@link jupyterStress} found. */
export interface StressResult {
  /** Outputs lost in each run, in order. */
  lostPerRun: number[];
  /** Notebooks with a failed or unexecuted cell, per run. */
  failedPerRun: string[][];
}

/** Keeps one core busy until the returned function is called. */
function busyCore(): () => Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "for (;;) {}"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
  };
}

function describe(run: JupyterRun): string {
  const c = run.check;
  const failed = new Set(c.errors.map((e) => e.id));
  const parts = c.missing.filter((m) => !failed.has(m.id)).map((m) =>
    `${m.id} lost ${m.lost} (expected ${m.expected}, found ${m.found})`
  );
  if (c.errors.length > 0) {
    const e = c.errors[0];
    parts.push(
      `${c.errors.length} cell(s) failed, first ${e.id} (${e.ename}: ${e.evalue})`,
    );
  }
  if (c.unexecuted.length > 0) {
    parts.push(`not executed: ${c.unexecuted.join(", ")}`);
  }
  return parts.join("; ");
}

/**
 * The headless pass once, then `runs` Jupyter passes over the notebooks,
 * each checked against the headless outputs (see the module documentation).
 */
export async function jupyterStress(
  options: StressOptions = {},
): Promise<StressResult> {
  const log = options.log ?? console.log;
  const root = repoRoot();
  const out = options.out ?? defaultOutDir(root);
  const runs = options.runs ?? DEFAULT_STRESS_RUNS;
  log(`headless pass (quick) into ${out}`);
  const headless = await reproduce({
    out,
    profile: "quick",
    only: options.only,
    log: (line) => {
      if (/^notebook |^error/.test(line)) log(`  ${line}`);
    },
  });
  if (!headless.ok) {
    throw new Error(`the headless pass failed: ${headless.failure}`);
  }
  const selected = headless.notebooks.filter((n) => n.status !== "not run");
  const references = new Map<string, Notebook>();
  for (const n of selected) {
    references.set(n.name, await readNotebook(`${out}/${n.name}.ipynb`));
  }
  await writeKernelspec(root);
  const stop = options.load === false ? null : busyCore();
  const result: StressResult = { lostPerRun: [], failedPerRun: [] };
  try {
    for (let i = 1; i <= runs; i++) {
      const t0 = performance.now();
      const jupyterRuns: JupyterRun[] = [];
      for (const { name } of selected) {
        // The same call as `reproduce --jupyter` makes.
        const r = await runJupyter(`${root}/notebooks/${name}.ipynb`, {
          out,
          root,
          profile: "quick",
          reference: references.get(name) ?? null,
        });
        jupyterRuns.push(r);
        const what = describe(r);
        if (what) log(`  run ${i} ${name}: ${what}`);
      }
      const lost = lostOutputs(jupyterRuns.map((r) => r.check));
      const failed = jupyterRuns.filter((r) => !r.ok).map((r) => r.name);
      result.lostPerRun.push(lost);
      result.failedPerRun.push(failed);
      log(
        `run ${i}/${runs}: ${lost} lost output${
          lost === 1 ? "" : "s"
        } in ${jupyterRuns.length} notebooks` +
          (failed.length ? `, failed: ${failed.join(", ")}` : "") +
          ` (${((performance.now() - t0) / 1000).toFixed(1)} s${
            stop ? ", one core busy" : ""
          })`,
      );
    }
  } finally {
    await stop?.();
  }
  const total = result.lostPerRun.reduce((a, b) => a + b, 0);
  const failedRuns = result.failedPerRun.filter((f) => f.length > 0).length;
  log(
    `total: ${total} lost output${total === 1 ? "" : "s"} in ${runs} run${
      runs === 1 ? "" : "s"
    }` +
      (failedRuns ? `; ${failedRuns} run(s) with failed cells` : ""),
  );
  return result;
}

/** Jupyter passes of a stress run when not told otherwise. */
export const DEFAULT_STRESS_RUNS = 10;

/** The flags of `deno task jupyter-stress`, each declared once. */
const STRESS_FLAGS = {
  runs: {
    type: "integer",
    arg: "N",
    min: 1,
    default: DEFAULT_STRESS_RUNS,
    doc: "Jupyter passes",
  },
  out: {
    type: "string",
    arg: "DIR",
    doc: "output folder shared with the headless pass",
    defaultText: "out/",
  },
  only: {
    type: "strings",
    arg: "NAME",
    doc: "only this notebook (repeatable)",
  },
  noLoad: { type: "boolean", doc: "do not keep a core busy" },
} as const satisfies FlagTable;

const USAGE = `Usage: deno task jupyter-stress [options]

Runs the headless pass once (skipped where unchanged), then the Jupyter pass
over the notebooks N times with one core kept busy, and prints lost outputs
per run and in total. Exits 1 if any output was lost or a cell failed.

Options:
${flagUsage(STRESS_FLAGS)}
`;

/** The checked command line: the options of {@link jupyterStress}. */
function parseStressArgs(args: readonly string[]) {
  const { help, values } = parseCommand(args, STRESS_FLAGS);
  const options: StressOptions = {
    runs: values.runs,
    // Relative paths are the user's (deno task runs in the repository).
    out: values.out === undefined ? undefined : userPath(values.out),
    only: values.only,
    load: !values.noLoad,
  };
  return { help, options };
}

/** The command line: returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  const parsed = commandLine(args, {
    prefix: "error",
    usage: USAGE,
    parse: parseStressArgs,
  });
  if (typeof parsed === "number") return parsed;
  try {
    const r = await jupyterStress(parsed.options);
    const lost = r.lostPerRun.some((n) => n > 0);
    const failed = r.failedPerRun.some((f) => f.length > 0);
    return lost || failed ? 1 : 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
