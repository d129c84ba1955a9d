/**
 * `deno task reproduce [--profile quick|full] [--seed N] [--seeds N] [--out DIR]
 * [--only NOTEBOOK] [--force] [--jupyter] [--cell-timeout S] [--jobs N]
 * [--download] [--check BASELINE_DIR [--against DIR] [--tolerance REL]
 * [--abs-tolerance ABS]] [--publish DIR]` (options and usage:
 * `reproduce_args.ts`).
 *
 * 1. Builds every dataset into `data/` (`reproduce_data.ts`): the
 *    synthetic catalogue at the chosen profile and seed, and each real
 *    dataset whose source files are at hand (`$ADAPTIVE_RETRIEVAL_DATASETS`,
 *    else `../shared/datasets` beside the clone; `--download`, given
 *    network permission, fetches missing ones first, checking their sha256;
 *    `deno task download all` does that for the task, which has no network
 *    permission). A real dataset without files is skipped (an earlier
 *    build in `data/` is kept and used): one console line, a line in the
 *    report and an entry in the manifest say what is missing and the
 *    command that brings it, and the notebooks run without it.
 *    `--skip-data` leaves `data/` as it is.
 * 2. Executes every `notebooks/*.ipynb` (or `--only`) headless
 *    (`runner.ts`), each in its own process, up to `--jobs` at once (one
 *    per core by default), starting them in name order; a notebook's
 *    metadata `adaptive_retrieval.after` makes it wait for others and
 *    `adaptive_retrieval.threads` reserves several cores for it. At the
 *    first failing cell no further notebook starts; the run exits
 *    non-zero with a message naming the notebook and the cell id.
 *    A notebook whose inputs are unchanged since its last successful run
 *    (its JSON, profile, seed, every non-test `lib/**\/*.ts`, deno.json and
 *    deno.lock, the dataset files, the Deno version) and whose outputs all
 *    exist is skipped; `--force` runs it anyway.
 * 3. Writes into the output folder (default `out/`): executed notebooks
 *    `<name>.ipynb`, artefacts `<name>/<cell-id>.<ext>`, the report
 *    (`report.html` + `<name>.html` pages + `report.md`, see `report.ts`)
 *    and `manifest.json` (versions, backend, seed, dataset and input
 *    hashes, which real datasets were used or skipped and why, durations
 *    per notebook and cell, profile). An output folder that is, contains
 *    or lies inside the notebook sources or `lib/` is refused.
 * 4. With `--jupyter`, also executes the same notebooks with Jupyter's
 *    nbconvert on the Deno kernel into `<out>/jupyter/`, and reports cells
 *    that did not run, failed, or lost outputs (see `jupyter.ts`).
 * 5. With `--check BASELINE_DIR`, compares the output folder with an
 *    earlier one (see `check.ts`): every number of the cells' outputs and
 *    text artefacts, and the words around them, timings, dates, paths and
 *    versions left out; prints `check: N numbers compared, M differ` and
 *    each difference, and exits 1 when anything differs. `--against DIR`
 *    compares DIR instead of running anything; `--tolerance REL` and
 *    `--abs-tolerance ABS` let numbers differ that little.
 * 6. With `--publish DIR`, after a successful run (and after `--check`,
 *    which so compares with the result being replaced), copies the
 *    results into DIR to be committed (`publish.ts`: the manifest,
 *    report.md, the executed notebooks and their text artefacts; never
 *    the training runs); refused before the run when DIR is, contains or
 *    lies inside the sources or the output folder, is no earlier publish,
 *    or holds a `full` result and this run is `quick`.
 *
 * Starting the notebook processes needs `--allow-run` on this script.
 *
 * @module
 */

import {
  absolutePath,
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  downloadDenied,
  type FetchOptions,
  isProfile,
  pathExists,
  pathRelation,
  type Profile,
  profileChoices,
  readJsonIfPresent,
  resolvedPath,
  stableJson,
  writeTextAtomic,
} from "../data/mod.ts";
import { formatBackendInfo, initBackend } from "../backend/mod.ts";
import {
  assertOutputFolder,
  CheckError,
  compareOutputs,
  formatComparison,
} from "./check.ts";
import { defaultOutDir, MANIFEST_FILE, repoRoot } from "./context.ts";
import {
  datasetHashes,
  hashFile,
  importMapVersions,
  libHash,
  listFiles,
  sha256,
} from "./hash.ts";
import { type JupyterRun, runJupyter } from "./jupyter.ts";
import {
  type Notebook,
  notebookName,
  onlyNotebookNames,
  readNotebook,
} from "./notebook.ts";
import { checkPublishTarget, PublishError, publishOutputs } from "./publish.ts";
import { type ReportEntry, writeReport } from "./report.ts";
import {
  parseReproduceArgs,
  type ReproduceArgs,
  USAGE,
} from "./reproduce_args.ts";
import {
  prepareData,
  realDatasetNotes,
  type RealDatasetStatus,
} from "./reproduce_data.ts";
import {
  DEFAULT_CELL_TIMEOUT_S,
  type NotebookRun,
  runNotebook,
} from "./runner.ts";

/** Options of {@link reproduce}. */
export interface ReproduceOptions {
  /** Repository root (default: the one holding this `lib/`). */
  root?: string;
  /** Size profile (default quick). */
  profile?: Profile;
  /** Seed for datasets and notebooks (default 1). */
  seed?: number;
  /**
   * Training seeds per config in the experiment notebooks (default: each
   * profile's own count, `experimentsSettings`).
   */
  seeds?: number;
  /** Output folder (default `<root>/out`). */
  out?: string;
  /** Folder of the notebooks (default `<root>/notebooks`). */
  notebooks?: string;
  /** Run only these notebooks (names, with or without `.ipynb`). */
  only?: string[];
  /** Re-run notebooks even when unchanged. */
  force?: boolean;
  /** Also run the notebooks through Jupyter. */
  jupyter?: boolean;
  /** Do not build the datasets first. */
  skipData?: boolean;
  /** Download the missing real datasets' source files first. */
  download?: boolean;
  /** The fetch function for `download` (default: global `fetch`; tests). */
  fetch?: FetchOptions["fetch"];
  /** Per-cell timeout in seconds (default {@link DEFAULT_CELL_TIMEOUT_S}). */
  cellTimeoutS?: number;
  /** Notebooks executed at once (default {@link defaultJobs}). */
  jobs?: number;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
}

/** What happened to one notebook. */
export interface NotebookStatus {
  /** Notebook name. */
  name: string;
  /** `ran`, `unchanged` (skipped), `failed`, or `not run` (not selected). */
  status: ReportEntry["status"];
  /** SHA-256 of the notebook file. */
  input: string;
  /** The resume key of this run's inputs. */
  key: string;
  /** Duration of its last run, ms. */
  ms?: number;
  /** Per-cell durations of its last run, ms. */
  cells?: { id: string; ms: number | null }[];
  /** Artefact files of its last run, relative to the output folder. */
  files?: string[];
}

/** The result of {@link reproduce}. */
export interface ReproduceResult {
  /** Whether every selected notebook ran (or was unchanged) without error. */
  ok: boolean;
  /** Absolute output folder. */
  out: string;
  /** Every notebook of the folder, in name order. */
  notebooks: NotebookStatus[];
  /** Message naming the notebook and cell of the first failure. */
  failure?: string;
  /** Jupyter runs, with `--jupyter`. */
  jupyter?: JupyterRun[];
  /** What became of each real dataset (also in the manifest). */
  realDatasets: RealDatasetStatus[];
}

export {
  prepareData,
  type PrepareDataOptions,
  realDatasetNotes,
  type RealDatasetStatus,
} from "./reproduce_data.ts";

/** Bad options, or the run cannot start. */
export class ReproduceError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ReproduceError";
  }
}

/** What a successful run leaves in `<out>/.runner/<name>.json`. */
interface RunRecord {
  key: string;
  ms: number;
  cells: { id: string; ms: number | null }[];
  files: string[];
}

function checkRunPermission(): void {
  const state = Deno.permissions.querySync({
    name: "run",
    command: Deno.execPath(),
  }).state;
  if (state !== "granted") {
    throw new ReproduceError(
      "notebooks run in child processes, which needs --allow-run: run `deno run --allow-run ... lib/notebook/reproduce.ts` (the 'reproduce' task in deno.json must include --allow-run)",
    );
  }
}

function selectNotebooks(all: string[], only: string[] | undefined): string[] {
  if (!only || only.length === 0) return all;
  const names = onlyNotebookNames(only);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    throw new ReproduceError(
      `--only: no notebook named ${
        unknown.map((u) => `'${u}'`).join(", ")
      }; available: ${all.join(", ") || "(none)"}`,
    );
  }
  return all.filter((n) => names.includes(n));
}

/**
 * Default `--jobs`: one notebook per core, at most 4 (each notebook process
 * runs one wasm thread and holds its own datasets in memory).
 */
export function defaultJobs(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency ?? 1));
}

/**
 * How a notebook is scheduled, from its metadata
 * `adaptive_retrieval: { after?: string[], threads?: number }`: `after`
 * lists notebooks that must finish first (e.g. 06 reads the runs 03
 * trains), `threads` how many cores it keeps busy (03 and 06 train in
 * parallel workers).
 */
export interface NotebookPlan {
  /** Notebooks (of this folder) to wait for. */
  after: string[];
  /** Cores it occupies (default 1). */
  threads: number;
}

async function notebookPlan(
  path: string,
  all: readonly string[],
): Promise<NotebookPlan> {
  const meta = (await readNotebook(path)).metadata.adaptive_retrieval as
    | { after?: unknown; threads?: unknown }
    | undefined;
  const after = meta?.after ?? [];
  const threads = meta?.threads ?? 1;
  const self = notebookName(path);
  if (
    !Array.isArray(after) ||
    after.some((a) => typeof a !== "string" || !all.includes(a) || a >= self)
  ) {
    throw new ReproduceError(
      `${path}: metadata.adaptive_retrieval.after must list notebooks of the folder that come before it, got ${
        JSON.stringify(after)
      }`,
    );
  }
  if (!Number.isSafeInteger(threads) || (threads as number) < 1) {
    throw new ReproduceError(
      `${path}: metadata.adaptive_retrieval.threads must be an integer ≥ 1, got ${
        JSON.stringify(threads)
      }`,
    );
  }
  return { after: after as string[], threads: threads as number };
}

/** A counting semaphore over `size` slots; waiters start in arrival order. */
class Slots {
  #free: number;
  #queue: { need: number; start: () => void }[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(need: number, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.#queue.push({ need, start });
      this.#drain();
    });
    try {
      return await fn();
    } finally {
      this.#free += need;
      this.#drain();
    }
  }

  // Starts every waiter that fits, in order; a big one does not block
  // smaller ones behind it (it starts when enough slots are free).
  #drain(): void {
    for (let i = 0; i < this.#queue.length;) {
      const w = this.#queue[i];
      if (w.need <= this.#free) {
        this.#free -= w.need;
        this.#queue.splice(i, 1);
        w.start();
      } else i++;
    }
  }
}

/** The source folders no output or publish folder may touch. */
function sourceFolders(notebooks: string | undefined): string[] {
  const root = repoRoot();
  return [
    ...new Set([
      absolutePath(notebooks ?? `${root}/notebooks`),
      `${root}/notebooks`,
      `${root}/lib`,
    ]),
  ];
}

/**
 * Refuses a folder reproduce writes (`flag`: `--out` or `--publish`) that
 * is, contains or lies inside one of the source folders: reproduce writes
 * `<out>/<notebook>.ipynb` and clears artefact folders, and a publish
 * replaces its folder whole, so `--out notebooks` would overwrite the
 * notebooks.
 */
async function checkOutFolder(
  out: string,
  sources: readonly string[],
  flag = "--out",
): Promise<void> {
  const o = await resolvedPath(out);
  for (const source of sources) {
    const clash = pathRelation(o, await resolvedPath(source));
    if (clash) {
      throw new ReproduceError(
        `${flag} ${out}: refused, it ${clash} the source folder ${source}; reproduce writes <out>/<notebook>.ipynb and replaces <out>/<notebook>/, and a publish replaces its folder whole, which would overwrite the sources or mix generated files into them. Choose a folder outside the notebooks and lib/ (the defaults: out/ for --out, results/full for --publish)`,
      );
    }
  }
}

/** Runs the whole reproduction (see the module documentation). */
export async function reproduce(
  options: ReproduceOptions = {},
): Promise<ReproduceResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = absolutePath(options.root ?? repoRoot());
  const profile = options.profile ?? DEFAULT_PROFILE;
  if (!isProfile(profile)) {
    throw new ReproduceError(
      `--profile must be ${profileChoices("'")}, got '${profile}'`,
    );
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) {
    throw new ReproduceError(`--seed must be an integer, got '${seed}'`);
  }
  const seeds = options.seeds;
  if (seeds !== undefined && !(Number.isSafeInteger(seeds) && seeds >= 1)) {
    throw new ReproduceError(`--seeds must be an integer ≥ 1, got '${seeds}'`);
  }
  const out = absolutePath(options.out ?? defaultOutDir(root));
  const nbDir = absolutePath(options.notebooks ?? `${root}/notebooks`);
  await checkOutFolder(out, sourceFolders(options.notebooks));
  const cellTimeoutS = options.cellTimeoutS ?? DEFAULT_CELL_TIMEOUT_S;

  const all = (await pathExists(nbDir))
    ? (await listFiles(nbDir, {
      filter: (p) => !p.includes("/") && p.endsWith(".ipynb"),
    })).map((f) => notebookName(`${nbDir}/${f}`))
    : [];
  const selected = selectNotebooks(all, options.only);
  // Checked before the (slow) dataset build; not needed with no notebooks.
  if (selected.length > 0 || options.jupyter) checkRunPermission();
  const denied = options.download && !options.fetch ? downloadDenied() : null;
  if (denied) {
    throw new ReproduceError(
      `--download: ${denied}, then run \`deno task reproduce\``,
    );
  }

  const realDatasets = await prepareData(root, {
    profile,
    seed,
    skipData: options.skipData,
    download: options.download,
    fetch: options.fetch,
    log,
  });
  const backend = await initBackend({ quiet: true });
  log(formatBackendInfo(backend));

  const datasets = await datasetHashes(root);
  const lib = await libHash(root);
  const config = await sha256(
    (await Promise.all(
      ["deno.json", "deno.lock"].map(async (f) =>
        (await pathExists(`${root}/${f}`))
          ? `${f} ${await hashFile(`${root}/${f}`)}`
          : ""
      ),
    )).join("\n"),
  );
  const datasetKey = await sha256(stableJson(datasets));

  await Deno.mkdir(`${out}/.runner`, { recursive: true });
  const statuses: NotebookStatus[] = [];
  const entries: ReportEntry[] = [];
  let failure: string | undefined;
  const jobs = options.jobs ?? defaultJobs();
  if (!Number.isSafeInteger(jobs) || jobs < 1) {
    throw new ReproduceError(`--jobs must be an integer ≥ 1, got '${jobs}'`);
  }
  const plans = new Map<string, NotebookPlan>();
  for (const name of all) {
    plans.set(name, await notebookPlan(`${nbDir}/${name}.ipynb`, all));
  }
  const slots = new Slots(jobs);
  const finished = new Map<string, Promise<void>>();
  const tag = (name: string) => jobs > 1 ? `${name} ` : "";

  // One notebook: skipped, kept or executed. Runs once its `after`
  // notebooks are done and enough slots are free.
  const processNotebook = async (name: string) => {
    const path = `${nbDir}/${name}.ipynb`;
    const input = await hashFile(path);
    const key = await sha256(stableJson({
      notebook: input,
      profile,
      seed,
      // Absent by default, so the keys of earlier runs still hold.
      ...(seeds === undefined ? {} : { seeds }),
      lib,
      config,
      datasets: datasetKey,
      deno: Deno.version.deno,
    }));
    const recordPath = `${out}/.runner/${name}.json`;
    const executedPath = `${out}/${name}.ipynb`;
    const record = await readJsonIfPresent<RunRecord>(recordPath);
    const status: NotebookStatus = { name, status: "not run", input, key };
    statuses[all.indexOf(name)] = status;
    const entry: ReportEntry = { name, notebook: null, status: "not run" };
    entries[all.indexOf(name)] = entry;
    const complete = async (r: RunRecord | null) =>
      r !== null && (await pathExists(executedPath)) &&
      (await Promise.all(r.files.map((f) => pathExists(`${out}/${f}`))))
        .every(Boolean);

    if (!selected.includes(name) || failure !== undefined) {
      // Not part of this run: the report keeps its last successful outputs,
      // marked "unchanged" only if they are still up to date.
      if (record && await complete(record)) {
        status.status = entry.status = record.key === key
          ? "unchanged"
          : "not run";
        Object.assign(status, {
          ms: record.ms,
          cells: record.cells,
          files: record.files,
        });
        entry.ms = record.ms;
        entry.notebook = await readNotebook(executedPath).catch(() => null);
      }
      return;
    }
    if (!options.force && record?.key === key && await complete(record)) {
      log(`notebook ${name}: unchanged, skipped (--force re-runs it)`);
      Object.assign(status, {
        status: "unchanged",
        ms: record!.ms,
        cells: record!.cells,
        files: record!.files,
      });
      entry.status = "unchanged";
      entry.ms = record!.ms;
      entry.notebook = await readNotebook(executedPath);
      return;
    }
    await Deno.remove(recordPath).catch(() => {});
    const code =
      (await readNotebook(path)).cells.filter((c) => c.cell_type === "code")
        .length;
    log(`notebook ${name}: running ${code} code cells`);
    let n = 0;
    const run: NotebookRun = await runNotebook(path, {
      out,
      profile,
      seed,
      seeds,
      cellTimeoutMs: cellTimeoutS * 1000,
      config: `${root}/deno.json`,
      onEvent: (e) => {
        if (e.t === "end") {
          n++;
          log(
            `  [${tag(name)}${n}/${code}] ${e.cell}  ${
              (e.ms / 1000).toFixed(2)
            } s`,
          );
        }
      },
    });
    const cells = run.cells.map((c) => ({ id: c.id, ms: c.ms }));
    const files = run.cells.flatMap((c) => c.files);
    const cellMs = cells.reduce((s, c) => s + (c.ms ?? 0), 0);
    Object.assign(status, { ms: run.ms, cells, files });
    entry.ms = run.ms;
    entry.notebook = await readNotebook(run.executedPath);
    if (!run.ok) {
      status.status = entry.status = "failed";
      entry.failure = run.failure!.message;
      failure ??= run.failure!.message;
      log(`notebook ${name}: FAILED\n${run.failure!.traceback.join("\n")}`);
      return;
    }
    status.status = entry.status = "ran";
    await writeTextAtomic(
      recordPath,
      JSON.stringify({ key, ms: run.ms, cells, files }, null, 1) + "\n",
    );
    log(
      `notebook ${name}: ok in ${(run.ms / 1000).toFixed(2)} s (cells ${
        (cellMs / 1000).toFixed(2)
      } s, runner overhead ${((run.ms - cellMs) / 1000).toFixed(2)} s)`,
    );
  };

  // Statuses and report entries keep name order whatever the schedule.
  for (const name of all) {
    const plan = plans.get(name)!;
    const deps = plan.after.map((d) => finished.get(d)!);
    finished.set(
      name,
      (async () => {
        await Promise.all(deps);
        await slots.run(
          Math.min(plan.threads, jobs),
          () => processNotebook(name),
        );
      })(),
    );
  }
  await Promise.all(finished.values());

  let jupyter: JupyterRun[] | undefined;
  if (options.jupyter && failure === undefined) {
    jupyter = [];
    for (const name of selected) {
      const reference = entries.find((e) => e.name === name)?.notebook ?? null;
      log(`jupyter ${name}: running`);
      const r = await runJupyter(`${nbDir}/${name}.ipynb`, {
        out,
        root,
        profile,
        seed,
        seeds,
        cellTimeoutS,
        reference: reference as Notebook | null,
      });
      jupyter.push(r);
      const c = r.check;
      log(
        `jupyter ${name}: ${r.ok ? "ok" : "FAILED"} in ${
          (r.ms / 1000).toFixed(2)
        } s` +
          (c.unexecuted.length
            ? `; not executed: ${c.unexecuted.join(", ")}`
            : "") +
          (c.errors.length
            ? `; errors: ${
              c.errors.map((e) => `${e.id} (${e.ename}: ${e.evalue})`).join(
                ", ",
              )
            }`
            : "") +
          (c.missing.length
            ? `; outputs missing (kernel output race?): ${
              c.missing.map((m) =>
                `${m.id} (expected ${m.expected}, found ${m.found})`
              ).join(", ")
            }`
            : ""),
      );
      if (!r.ok && failure === undefined) {
        const first = c.errors[0];
        failure = first
          ? `jupyter: notebook ${name}.ipynb failed in cell '${first.id}': ${first.ename}: ${first.evalue}`
          : `jupyter: notebook ${name}.ipynb: cells not executed: ${
            c.unexecuted.join(", ")
          }`;
      }
    }
  }

  const facts = {
    profile,
    seed,
    backend: backend.name,
    deno: Deno.version.deno,
  };
  await writeReport(out, entries, {
    facts,
    notes: realDatasetNotes(realDatasets),
  });
  const manifest = {
    profile,
    seed,
    seeds: { datasets: seed, notebooks: seed },
    // Training seeds per config; null: each profile's own count.
    seedCount: seeds ?? null,
    finishedAt: new Date().toISOString(),
    ok: failure === undefined,
    failure: failure ?? null,
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      npm: await importMapVersions(root),
    },
    backend,
    datasets,
    realDatasets,
    inputs: { lib, config },
    notebooks: statuses,
    jupyter: jupyter?.map((j) => ({
      name: j.name,
      ok: j.ok,
      ms: j.ms,
      check: j.check,
    })) ?? null,
  };
  await writeTextAtomic(
    `${out}/${MANIFEST_FILE}`,
    JSON.stringify(manifest, null, 2) + "\n",
  );
  const skipped = realDatasets.filter((d) => d.status === "skipped");
  log(
    `report: ${out}/report.html, ${out}/report.md, ${out}/manifest.json${
      skipped.length > 0
        ? ` (without ${
          skipped.map((d) => d.name).join(", ")
        }: see the "data … SKIPPED" lines above)`
        : ""
    }`,
  );
  return {
    ok: failure === undefined,
    out,
    notebooks: statuses,
    failure,
    jupyter,
    realDatasets,
  };
}

/** Why `--check` / `--against` name unusable folders, or null. */
async function checkFolders(a: ReproduceArgs): Promise<string | null> {
  try {
    await assertOutputFolder(a.check!, "baseline");
    if (a.against !== undefined) {
      await assertOutputFolder(a.against, "--against");
    }
  } catch (err) {
    if (err instanceof CheckError) return err.message;
    throw err;
  }
  if (a.against !== undefined) return null;
  const real = (p: string) => resolvedPath(absolutePath(p));
  return (await real(a.check!)) ===
      (await real(a.out ?? defaultOutDir(repoRoot())))
    ? `--check ${a.check}: the baseline is the folder this run writes; record the baseline in another folder (reproduce --out DIR)`
    : null;
}

/** Why `--publish` names an unusable folder, or null. */
async function checkPublishFolder(a: ReproduceArgs): Promise<string | null> {
  const root = repoRoot();
  const out = absolutePath(a.out ?? defaultOutDir(root));
  try {
    await checkOutFolder(a.publish!, sourceFolders(a.notebooks), "--publish");
    const clash = pathRelation(
      await resolvedPath(absolutePath(a.publish!)),
      await resolvedPath(out),
    );
    if (clash) {
      return `--publish ${a.publish}: refused, it ${clash} the output folder ${out}; publish into a folder of its own (the repository's is results/full)`;
    }
    await checkPublishTarget(absolutePath(a.publish!), {
      profile: a.profile,
      seedCount: a.seeds ?? null,
    });
  } catch (err) {
    if (err instanceof ReproduceError || err instanceof PublishError) {
      return err.message;
    }
    throw err;
  }
  return null;
}

/** The command line (options: `reproduce_args.ts`): returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseReproduceArgs(args);
  if (parsed.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === "error") {
    console.error(
      `error: ${parsed.message}${parsed.usage ? `\n\n${USAGE}` : ""}`,
    );
    return 2;
  }
  const a = parsed.args;
  try {
    if (a.check !== undefined) {
      // Before the (slow) run: the folders must be output folders, and the
      // baseline not the one the run overwrites.
      const bad = await checkFolders(a);
      if (bad !== null) {
        console.error(`error: ${bad}`);
        return 2;
      }
    }
    if (a.publish !== undefined) {
      // Before the (slow) run: a folder of its own, outside the sources,
      // that this profile may replace.
      const bad = await checkPublishFolder(a);
      if (bad !== null) {
        console.error(`error: ${bad}`);
        return 2;
      }
    }
    let fresh = a.against;
    if (fresh === undefined) {
      const r = await reproduce({
        jobs: a.jobs,
        profile: a.profile,
        seed: a.seed,
        seeds: a.seeds,
        out: a.out,
        only: a.only,
        force: a.force,
        jupyter: a.jupyter,
        cellTimeoutS: a.cellTimeoutS,
        notebooks: a.notebooks,
        skipData: a.skipData,
        download: a.download,
      });
      if (!r.ok) {
        console.error(`error: ${r.failure}`);
        return 1;
      }
      fresh = r.out;
    }
    let status = 0;
    if (a.check !== undefined) {
      // Before publishing: --check DIR --publish DIR compares with the
      // result being replaced.
      const c = await compareOutputs(a.check, fresh, {
        relTol: a.relTol,
        absTol: a.absTol,
        only: a.only,
      });
      console.log(formatComparison(c));
      status = c.differences.length > 0 ? 1 : 0;
    }
    if (a.publish !== undefined) {
      await publishOutputs(fresh, a.publish, {
        log: (line) => console.log(line),
      });
    }
    return status;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
