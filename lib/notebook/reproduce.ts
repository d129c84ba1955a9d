/**
 * `deno task reproduce [--profile quick|full] [--seed N] [--out DIR]
 * [--only NOTEBOOK] [--force] [--jupyter] [--cell-timeout S] [--jobs N]
 * [--download]`.
 *
 * 1. Builds every dataset into `data/`: the synthetic catalogue at the
 *    chosen profile and seed, and each real dataset whose source files are
 *    at hand (`$ADAPTIVE_RETRIEVAL_DATASETS`, else `../shared/datasets`
 *    beside the clone; `--download`, given network permission, fetches
 *    missing ones first, checking their sha256; `deno task download all`
 *    does that for the task, which has no network permission). A real dataset without files is skipped (an earlier
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
 *
 * Starting the notebook processes needs `--allow-run` on this script.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  buildIfAvailable,
  DATASET_NAMES,
  DATASETS_ENV,
  defaultDatasetDir,
  downloadDenied,
  type FetchOptions,
  missingDatasetNote,
  pathExists,
  readJsonIfPresent,
  stableJson,
  userPath,
  writeTextAtomic,
} from "../data/mod.ts";
import { formatBackendInfo, initBackend } from "../backend/mod.ts";
import { type Profile, PROFILES, repoRoot } from "./context.ts";
import { hashFile, hashTree, listFiles, sha256 } from "./hash.ts";
import { type JupyterRun, runJupyter } from "./jupyter.ts";
import { type Notebook, notebookName, readNotebook } from "./notebook.ts";
import { type ReportEntry, writeReport } from "./report.ts";
import {
  absolutePath,
  dirname,
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
  /** Per-cell timeout in seconds (default 3600). */
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

/** Whether the notebooks had a real dataset, and if not, why. */
export interface RealDatasetStatus {
  /** Dataset name (`wands`, `scifact`, `movielens`). */
  name: string;
  /**
   * `built`: built from its source files; `earlier`: its files are
   * missing, an earlier build in `data/` was used; `present`: found in
   * `data/` (`--skip-data`); `skipped`: not available to the notebooks.
   */
  status: "built" | "earlier" | "present" | "skipped";
  /** For `earlier` and `skipped`: what is missing and the command. */
  reason: string;
}

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

/** SHA-256 of every Arrow file under `<root>/data/<dataset>/`. */
export async function datasetHashes(
  root: string,
): Promise<Record<string, Record<string, string>>> {
  const dir = `${root}/data`;
  const out: Record<string, Record<string, string>> = {};
  if (!(await pathExists(dir))) return out;
  for (
    const f of await listFiles(dir, { filter: (p) => p.endsWith(".arrow") })
  ) {
    const slash = f.indexOf("/");
    if (slash < 0) continue;
    const name = f.slice(0, slash);
    (out[name] ??= {})[f.slice(slash + 1)] = await hashFile(`${dir}/${f}`);
  }
  return out;
}

/** Hash of the library sources notebooks can depend on (tests excluded). */
export async function libHash(root: string): Promise<string> {
  const files = await listFiles(`${root}/lib`, {
    filter: (p) =>
      p.endsWith(".ts") && !p.endsWith("_test.ts") && !p.includes("testdata/"),
  });
  return await hashTree(`${root}/lib`, files);
}

/** `npm:` package versions pinned in the import map of `deno.json`. */
export async function importMapVersions(
  root: string,
): Promise<Record<string, string>> {
  const cfg = await readJsonIfPresent<{ imports?: Record<string, string> }>(
    `${root}/deno.json`,
  );
  const out: Record<string, string> = {};
  for (const target of Object.values(cfg?.imports ?? {})) {
    const m = /^npm:(@?[^@/]+(?:\/[^@/]+)?)@([^/]+)/.exec(target);
    if (m) out[m[1]] = m[2];
  }
  return out;
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
  const names = only.flatMap((o) => o.split(",")).map((o) =>
    o.trim().replace(/\.ipynb$/, "").split("/").pop()!
  ).filter((o) => o);
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

/** A path with the symbolic links of its existing part resolved. */
async function resolvedPath(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const parent = dirname(path);
    if (parent === path) return path;
    const base = path.slice(path.lastIndexOf("/") + 1);
    const p = await resolvedPath(parent);
    return p === "/" ? `/${base}` : `${p}/${base}`;
  }
}

/**
 * Refuses an output folder that is, contains or lies inside one of the
 * source folders: reproduce writes `<out>/<notebook>.ipynb` and clears
 * artefact folders, so `--out notebooks` would overwrite the notebooks.
 */
async function checkOutFolder(
  out: string,
  sources: readonly string[],
): Promise<void> {
  const o = await resolvedPath(out);
  for (const source of sources) {
    const s = await resolvedPath(source);
    const clash = o === s
      ? "is"
      : s.startsWith(`${o}/`) || o === "/"
      ? "contains"
      : o.startsWith(`${s}/`)
      ? "is inside"
      : null;
    if (clash) {
      throw new ReproduceError(
        `--out ${out}: refused, it ${clash} the source folder ${source}; reproduce writes <out>/<notebook>.ipynb and replaces <out>/<notebook>/, which would overwrite the sources or mix generated files into them. Choose a folder outside the notebooks and lib/ (the default is out/ in the repository)`,
      );
    }
  }
}

const REAL_NAMES = DATASET_NAMES.filter((n) => n !== "synthetic");

/** Options of {@link prepareData}. */
export interface PrepareDataOptions {
  /** Synthetic size profile. */
  profile: Profile;
  /** Synthetic seed. */
  seed: number;
  /** Build nothing; only report which real datasets `data/` holds. */
  skipData?: boolean;
  /** Download missing real datasets' source files first. */
  download?: boolean;
  /** The fetch function for `download` (tests). */
  fetch?: FetchOptions["fetch"];
  /** Progress lines. */
  log: (line: string) => void;
}

/**
 * Step 1 of {@link reproduce}: builds the datasets into `<root>/data/`
 * (each real one only if its source files are at hand) and returns what
 * became of each real dataset. A skipped one gets one log line naming what
 * is missing and the command that brings it.
 */
export async function prepareData(
  root: string,
  options: PrepareDataOptions,
): Promise<RealDatasetStatus[]> {
  const { profile, seed, log } = options;
  const statuses: RealDatasetStatus[] = [];
  // The reasons start with "<name>: "; the lines below say the name once.
  const skip = (name: string, reason: string) => {
    log(
      `data ${name}: SKIPPED, the notebooks run without it: ${
        reason.replace(`${name}: `, "")
      }`,
    );
    statuses.push({ name, status: "skipped", reason });
  };
  if (options.skipData) {
    for (const name of REAL_NAMES) {
      const note = await missingDatasetNote(`${root}/data/${name}`);
      if (note === null) statuses.push({ name, status: "present", reason: "" });
      else skip(name, `${name}: ${note}`);
    }
    return statuses;
  }
  for (const name of DATASET_NAMES) {
    const t0 = performance.now();
    const r = await buildIfAvailable(name, {
      profile,
      seed,
      out: `${root}/${defaultDatasetDir(name, { profile })}`,
      download: options.download,
      fetch: options.fetch,
    });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (r.status === "skipped") {
      skip(name, r.reason);
      continue;
    }
    if (r.status === "built") {
      log(`data ${name}: ${r.dir} (${JSON.stringify(r.counts)}) in ${secs} s`);
      if (r.reason) log(`  warning: ${r.reason}`);
    } else log(`data ${r.reason}`);
    if (name !== "synthetic") {
      statuses.push({
        name,
        status: r.status,
        reason: r.status === "earlier" ? r.reason : "",
      });
    }
  }
  return statuses;
}

/**
 * The report's lines about the real datasets: which ones the notebooks
 * had, and one line per skipped (or earlier-built) dataset with its reason.
 */
export function realDatasetNotes(
  statuses: readonly RealDatasetStatus[],
): string[] {
  const names = (skipped: boolean) =>
    statuses.filter((d) => (d.status === "skipped") === skipped)
      .map((d) => d.name);
  const used = names(false), skipped = names(true);
  const lines = [
    `Real datasets the notebooks ran on: ${
      used.length > 0 ? used.join(", ") : "none"
    }${
      skipped.length > 0
        ? `; not on ${
          skipped.join(", ")
        }, which every table and verdict leaves out`
        : ""
    }.`,
  ];
  for (const d of statuses) {
    if (d.status === "skipped") lines.push(`Skipped ${d.reason}`);
    else if (d.status === "earlier") lines.push(d.reason);
  }
  return lines;
}

/** Runs the whole reproduction (see the module documentation). */
export async function reproduce(
  options: ReproduceOptions = {},
): Promise<ReproduceResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = absolutePath(options.root ?? repoRoot());
  const profile = options.profile ?? "quick";
  if (!PROFILES.includes(profile)) {
    throw new ReproduceError(
      `--profile must be 'quick' or 'full', got '${profile}'`,
    );
  }
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) {
    throw new ReproduceError(`--seed must be an integer, got '${seed}'`);
  }
  const out = absolutePath(options.out ?? `${root}/out`);
  const nbDir = absolutePath(options.notebooks ?? `${root}/notebooks`);
  await checkOutFolder(out, [
    ...new Set([nbDir, `${root}/notebooks`, `${root}/lib`]),
  ]);
  const cellTimeoutS = options.cellTimeoutS ?? 3600;

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
    `${out}/manifest.json`,
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

const USAGE = `Usage: deno task reproduce [options]

Builds the datasets, executes every notebooks/*.ipynb headless, and writes
executed notebooks, artefacts, report.html/report.md and manifest.json.

Options:
  --profile quick|full   size profile (default quick)
  --seed N               seed for datasets and notebooks (default 1)
  --out DIR              output folder (default out/)
  --only NAME            run only this notebook (repeatable, or a,b)
  --force                re-run notebooks even when unchanged
  --jupyter              also execute them with Jupyter (nbconvert + the
                         Deno kernel) into <out>/jupyter/ and check them
  --cell-timeout S       stop a cell after S seconds (default 3600)
  --jobs N               notebooks executed at once (default: one per core,
                         at most 4; a notebook's metadata can ask to wait for
                         another or to take several cores)
  --notebooks DIR        notebook folder (default notebooks/)
  --download             fetch the source files of the real datasets that
                         are missing first (sha256-checked) into
                         $${DATASETS_ENV}, else
                         ../shared/datasets beside the repository; needs
                         network permission, which the reproduce task does
                         not grant: run \`deno task download all\` instead,
                         then reproduce
  --skip-data            do not rebuild the datasets first
  -h, --help             this text

The real datasets (WANDS, SciFact, MovieLens) are not part of the
repository; without their files the notebooks run on the synthetic
catalogues alone, and the console, report and manifest say which datasets
were skipped and the command that brings each.
`;

/** The command line: returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        profile: { type: "string", default: "quick" },
        seed: { type: "string", default: "1" },
        out: { type: "string" },
        only: { type: "string", multiple: true },
        force: { type: "boolean", default: false },
        jupyter: { type: "boolean", default: false },
        "cell-timeout": { type: "string", default: "3600" },
        jobs: { type: "string" },
        notebooks: { type: "string" },
        "skip-data": { type: "boolean", default: false },
        download: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!PROFILES.includes(values.profile as Profile)) {
    console.error(
      `error: --profile must be 'quick' or 'full', got '${values.profile}'`,
    );
    return 2;
  }
  const seed = Number(values.seed);
  if (!/^-?\d+$/.test(values.seed) || !Number.isSafeInteger(seed)) {
    console.error(`error: --seed must be an integer, got '${values.seed}'`);
    return 2;
  }
  const timeout = Number(values["cell-timeout"]);
  if (!(timeout > 0)) {
    console.error(
      `error: --cell-timeout must be a positive number of seconds, got '${
        values["cell-timeout"]
      }'`,
    );
    return 2;
  }
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (
    jobs !== undefined &&
    (!/^\d+$/.test(values.jobs!) || !Number.isSafeInteger(jobs) || jobs < 1)
  ) {
    console.error(`error: --jobs must be an integer ≥ 1, got '${values.jobs}'`);
    return 2;
  }
  try {
    const r = await reproduce({
      jobs,
      profile: values.profile as Profile,
      seed,
      // Relative paths are the user's (deno task runs in the repository).
      out: values.out === undefined ? undefined : userPath(values.out),
      only: values.only,
      force: values.force,
      jupyter: values.jupyter,
      cellTimeoutS: timeout,
      notebooks: values.notebooks === undefined
        ? undefined
        : userPath(values.notebooks),
      skipData: values["skip-data"],
      download: values.download,
    });
    if (!r.ok) {
      console.error(`error: ${r.failure}`);
      return 1;
    }
    return 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
