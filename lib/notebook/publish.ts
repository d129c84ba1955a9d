/**
 * `deno task reproduce --publish DIR`: copies the results of a finished
 * reproduce output folder into a folder meant to be committed (the
 * repository keeps the full profile's in `results/full/`), so that the
 * executed notebooks can be read without running them and a fresh run can
 * be checked against them (`reproduce --check results/full`).
 *
 * What is published, from `<out>/`:
 *
 * - `manifest.json` (normalised, see below) and `report.md`;
 * - each notebook of the manifest as `<name>.ipynb` (outputs embedded, SVG
 *   charts as text), byte for byte: the headless runner writes no
 *   execution timings or dates into notebooks;
 * - each notebook's artefact folder `<name>/`, text files only
 *   ({@link PUBLISHED_EXTENSIONS}): `.png` figures (binary; each has its
 *   `.svg` twin, which is the same chart as text) and Arrow tables (binary;
 *   each has its `.md` twin) are left out. The per-cell `.html` tables are
 *   kept although `check.ts` skips an `.html` that has a `.md` twin (and
 *   compares one without): they are small, and `report.md` links them.
 *
 * Never published: `runs/` (gigabytes of training runs), `.runner/`
 * (scratch scripts naming machine paths), `jupyter/`, and the HTML pages
 * (`report.html`, `<name>.html`), which `report.md` and the notebooks say
 * again.
 *
 * Normalised, so that re-publishing an unchanged result changes few lines:
 * in `manifest.json`, the per-cell durations (`notebooks[].cells[].ms`:
 * about 200 lines of timing noise per run) are dropped, keeping each
 * cell's id, and the per-notebook durations are rounded to whole
 * milliseconds; `check.ts` ignores both (`VARIABLE.keys` matches `ms`, and
 * it compares the manifest on `MANIFEST_FIELDS` only). `finishedAt` and
 * the versions are kept: they say when and with what the result was made.
 * In `report.md`, the `files:` links to files not published (the `.png`s)
 * are dropped, so that every link of the committed report resolves.
 * Nothing else is rewritten: a cell output is published as the run wrote
 * it.
 *
 * Refused, with a {@link PublishError} naming the folder, before anything
 * is written: an output folder without `manifest.json`, `report.md` or an
 * executed notebook it lists, or whose manifest says `ok: false`; a
 * notebook whose outputs are not from the last run's code (manifest status
 * `not run` or `failed`: e.g. a `--only` run after a change); a target
 * that is, contains or lies inside the output folder, that is not a folder
 * an earlier publish wrote (it has no `manifest.json`, holds `runs/`, or
 * holds files a publish does not write), or that holds a `full` result
 * when this one is `quick` (a result is never silently replaced by a
 * lesser one: `force` overrides this and the previous rule); and any
 * published file naming a machine path ({@link machinePathPatterns}: the
 * repository root and its parent, `$HOME`, the output and target folders,
 * `/tmp/`, `/home/…`, `file:///`…), each listed as `file:line`. A path in
 * an output is a bug of the cell or lib code that printed it, to be fixed
 * there; publish does not mask it.
 *
 * The files are written into a temporary sibling of the target
 * (`.<name>.publishing-…`) and swapped in by renames only when all are
 * written and checked: a failure leaves the previous published folder as
 * it was.
 *
 * ```ts
 * import { publishOutputs } from "./publish.ts";
 * const r = await publishOutputs("out", "results/full");
 * console.log(`${r.files.length} files, ${r.bytes} bytes`);
 * ```
 *
 * @module
 */

import {
  absolutePath,
  DATASETS_ENV,
  isProfile,
  pathExists,
  pathRelation,
  type Profile,
  PROFILE_NAMES,
  readEnv,
  resolvedPath,
} from "../data/mod.ts";
import { MANIFEST_FILE, repoRoot } from "./context.ts";
import { fileExtension, listFiles } from "./hash.ts";
import { dirname } from "node:path";

/** Extensions of the artefact files published (text); others are left out. */
export const PUBLISHED_EXTENSIONS = [
  "json",
  "md",
  "txt",
  "csv",
  "html",
  "svg",
] as const;

/** Options of {@link publishOutputs}. */
export interface PublishOptions {
  /**
   * Publish what the rules refuse as a lesser result: a `quick` result over
   * a published `full` one, or notebooks whose outputs are not from the
   * last run's code (default false).
   */
  force?: boolean;
  /** Repository root, whose path must not appear (default: this one's). */
  root?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The result of {@link publishOutputs}. */
export interface PublishResult {
  /** Absolute target folder. */
  target: string;
  /** Profile of the published run. */
  profile: Profile;
  /** Published files, relative to the target, sorted. */
  files: string[];
  /** Their total size in bytes. */
  bytes: number;
  /** Files of the notebooks' artefact folders left out (binary). */
  skipped: string[];
  /** Whether an earlier published folder was replaced. */
  replaced: boolean;
}

/** A publish was refused, or its folders are unusable. */
export class PublishError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PublishError";
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Before a path: not part of a longer path or URL. */
const BEFORE = String.raw`(?<![\p{L}\p{N}_.~:/\\-])`;
/** After a folder: the end of a name (a `/` may follow). */
const AFTER = String.raw`(?![\p{L}\p{N}_.@+~-])`;

/** Options of {@link machinePathPatterns}. */
export interface MachinePathOptions {
  /** Repository root (default: this one's). */
  root?: string;
  /** Further folders whose absolute path must not appear. */
  folders?: string[];
  /** Environment (default `Deno.env.get`, when permitted). */
  env?: (name: string) => string | undefined;
}

/**
 * The patterns of machine paths a published file must not contain: the
 * given folders, the repository root and its parent (the datasets live
 * beside the clone), `$HOME` and `$ADAPTIVE_RETRIEVAL_DATASETS`, and
 * the usual absolute prefixes of build and user folders (`/tmp/`,
 * `/home/<user>`, `/Users/<user>`, `/root/`, `/mnt/`, `/scratch/`,
 * `/var/folders/`, `file:///`). A folder matches at the start of a path only (not inside a
 * URL such as `https://example.org/tmp/`).
 */
export function machinePathPatterns(
  options: MachinePathOptions = {},
): RegExp[] {
  const env = options.env ?? readEnv;
  const root = absolutePath(options.root ?? repoRoot());
  const folders = [
    root,
    dirname(root),
    env("HOME"),
    env(DATASETS_ENV),
    ...(options.folders ?? []),
  ].filter((f): f is string => !!f && f.startsWith("/") && f.length > 1)
    .map((f) => f.replace(/\/+$/, ""))
    .filter((f) => f !== "");
  const patterns = [...new Set(folders)].map((f) =>
    new RegExp(`${BEFORE}${escapeRegExp(f)}${AFTER}`, "u")
  );
  patterns.push(
    new RegExp(
      `${BEFORE}/(?:tmp|root|mnt|scratch|var/folders)/|${BEFORE}/(?:home|Users)/[\\w.-]+`,
      "u",
    ),
    /file:\/\/\//u,
  );
  return patterns;
}

/** `line N: excerpt` for each line of `text` matching a pattern. */
export function findMachinePaths(
  text: string,
  patterns: readonly RegExp[],
): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const re of patterns) {
      const m = re.exec(line);
      if (!m) continue;
      const from = Math.max(0, m.index - 30);
      const excerpt = line.slice(from, m.index + m[0].length + 30).trim();
      found.push(`line ${i + 1}: ${from > 0 ? "…" : ""}${excerpt}…`);
      return;
    }
  });
  return found;
}

/** What a published folder holds: the shape an earlier publish wrote. */
function isPublishedShape(file: string, notebooks: Set<string>): boolean {
  if (file === MANIFEST_FILE || file === "report.md") return true;
  const slash = file.indexOf("/");
  if (slash < 0) return file.endsWith(".ipynb");
  return notebooks.has(file.slice(0, slash));
}

interface Manifest {
  profile?: unknown;
  seedCount?: unknown;
  ok?: unknown;
  failure?: unknown;
  notebooks?: {
    name: string;
    status: string;
    ms?: number;
    cells?: { id: string; ms?: number | null }[];
    files?: string[];
  }[];
  jupyter?: { ms?: number }[] | null;
}

async function readManifest(dir: string, role: string): Promise<Manifest> {
  const path = `${dir}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new PublishError(
      `${role} ${dir} has no manifest.json: not a finished output folder of deno task reproduce`,
    );
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch (err) {
    throw new PublishError(`${path}: not JSON (${(err as Error).message})`);
  }
}

/** Options of {@link checkPublishTarget}. */
export interface PublishTargetOptions {
  /** Profile of the result to be published. */
  profile: Profile;
  /**
   * Its training seeds per config (`reproduce --seeds`), or null/absent
   * for the profile's own count.
   */
  seedCount?: number | null;
  /** See {@link PublishOptions.force}. */
  force?: boolean;
}

/**
 * Throws a {@link PublishError} unless `target` may receive a publish of
 * a `profile` result: it does not exist, is empty, or is a folder an
 * earlier publish wrote (a `manifest.json`, no `runs/` or `.runner/`,
 * nothing but published files) holding a result of this profile or a
 * lesser one (`force`: any). Of one profile, a result run with an explicit
 * `--seeds N` is replaced only by one with at least N (the profile's own
 * count is not known here, so only explicit counts are compared). Returns
 * whether it holds an earlier publish.
 * `reproduce --publish` calls it before running, to refuse early.
 */
export async function checkPublishTarget(
  target: string,
  options: PublishTargetOptions,
): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(target);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  if (!info.isDirectory) {
    throw new PublishError(`publish target ${target} is not a folder`);
  }
  const files = await listFiles(target);
  const dirs: string[] = [];
  for await (const e of Deno.readDir(target)) {
    if (e.isDirectory) dirs.push(e.name);
  }
  if (files.length === 0 && dirs.length === 0) return false;
  if (dirs.includes("runs") || dirs.includes(".runner")) {
    throw new PublishError(
      `publish target ${target} holds runs/ or .runner/: it is an output folder of reproduce, not a published one; a publish replaces its target whole, so choose another folder (the repository's is results/full)`,
    );
  }
  if (!files.includes(MANIFEST_FILE)) {
    throw new PublishError(
      `publish target ${target} exists and has no manifest.json: it is not a folder an earlier publish wrote, and a publish replaces its target whole; choose a new or empty folder`,
    );
  }
  const notebooks = new Set(
    files.filter((f) => !f.includes("/") && f.endsWith(".ipynb"))
      .map((f) => f.slice(0, -".ipynb".length)),
  );
  const foreign = files.filter((f) => !isPublishedShape(f, notebooks));
  if (foreign.length > 0) {
    throw new PublishError(
      `publish target ${target} holds files a publish does not write (${
        foreign.slice(0, 5).join(", ")
      }${
        foreign.length > 5 ? `, … ${foreign.length} in all` : ""
      }); a publish replaces its target whole, so move them out of it first`,
    );
  }
  const held = await readManifest(target, "publish target");
  const previous = held.profile;
  const rank = (p: unknown) => PROFILE_NAMES.indexOf(p as Profile);
  if (!options.force && rank(options.profile) < rank(previous)) {
    throw new PublishError(
      `publish target ${target} holds a published '${previous}' result; refusing to replace it with a '${options.profile}' one (a result is never replaced by a lesser one): publish into another folder, or remove ${target} first to replace it on purpose`,
    );
  }
  const seeds = options.seedCount ?? null;
  if (
    !options.force && previous === options.profile &&
    typeof held.seedCount === "number" &&
    (seeds === null || seeds < held.seedCount)
  ) {
    throw new PublishError(
      `publish target ${target} holds a '${previous}' result run with --seeds ${held.seedCount}; refusing to replace it with one run with ${
        seeds === null ? "the profile's own seed count" : `--seeds ${seeds}`
      } (a result is never replaced by a lesser one): run with --seeds ${held.seedCount} or more, publish into another folder, or remove ${target} first to replace it on purpose`,
    );
  }
  return true;
}

/** The manifest as published (see the module documentation). */
export function normaliseManifest(manifest: Manifest): Manifest {
  const roundMs = (ms: number | undefined) =>
    typeof ms === "number" ? Math.round(ms) : ms;
  return {
    ...manifest,
    notebooks: manifest.notebooks?.map((n) => ({
      ...n,
      ms: roundMs(n.ms),
      cells: n.cells?.map(({ ms: _ms, ...rest }) => rest),
    })),
    jupyter: manifest.jupyter?.map((j) => ({ ...j, ms: roundMs(j.ms) })) ??
      manifest.jupyter,
  };
}

/**
 * `report.md` without the `files:` links to files that are not
 * published (`unpublished`: paths relative to the output folder).
 */
export function dropUnpublishedLinks(
  report: string,
  unpublished: ReadonlySet<string>,
): string {
  return report.split("\n").map((line) => {
    if (!line.startsWith("files: ")) return line;
    const links = line.slice("files: ".length).split(" · ");
    const kept = links.filter((l) => {
      const m = /^\[[^\]]*\]\(([^)]*)\)$/.exec(l);
      if (!m) return true;
      let target = m[1];
      try {
        target = decodeURI(target);
      } catch {
        // not URI-encoded: taken as written
      }
      return !unpublished.has(target);
    });
    return kept.length === links.length
      ? line
      : kept.length > 0
      ? `files: ${kept.join(" · ")}`
      : "files: (none published)";
  }).join("\n");
}

/** Publishes an output folder (see the module documentation). */
export async function publishOutputs(
  outDir: string,
  target: string,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const log = options.log ?? (() => {});
  const out = absolutePath(outDir);
  const dest = absolutePath(target);
  const realOut = await resolvedPath(out);
  const realDest = await resolvedPath(dest);
  const relation = pathRelation(realDest, realOut);
  if (relation) {
    throw new PublishError(
      `publish target ${target}: refused, it ${relation} the output folder ${outDir}; publish into a folder of its own (the repository's is results/full)`,
    );
  }
  const manifest = await readManifest(out, "output folder");
  if (manifest.ok !== true) {
    throw new PublishError(
      `output folder ${outDir}: its manifest.json says the run failed (ok: ${
        JSON.stringify(manifest.ok)
      }${
        manifest.failure ? `: ${manifest.failure}` : ""
      }); only a successful run is published`,
    );
  }
  const profile = manifest.profile;
  if (!isProfile(profile)) {
    throw new PublishError(
      `${outDir}/manifest.json: profile must be one of ${
        PROFILE_NAMES.join(", ")
      }, got ${JSON.stringify(profile)}`,
    );
  }
  const notebooks = manifest.notebooks ?? [];
  if (notebooks.length === 0) {
    throw new PublishError(
      `${outDir}/manifest.json lists no notebooks: nothing to publish`,
    );
  }
  const stale = notebooks.filter((n) =>
    n.status !== "ran" && n.status !== "unchanged"
  );
  if (stale.length > 0 && !options.force) {
    throw new PublishError(
      `output folder ${outDir}: the outputs of ${
        stale.map((n) => `${n.name} (${n.status})`).join(", ")
      } are not from this run's code (or missing); a published result is one run of one version: run reproduce on every notebook (no --only) before publishing`,
    );
  }
  const replacing = await checkPublishTarget(dest, {
    profile,
    seedCount: typeof manifest.seedCount === "number"
      ? manifest.seedCount
      : null,
    force: options.force,
  });

  // What to publish, relative to the output folder.
  const files = [MANIFEST_FILE, "report.md"];
  const skipped: string[] = [];
  const missing: string[] = [];
  for (const n of notebooks) {
    files.push(`${n.name}.ipynb`);
    for (const f of n.files ?? []) {
      if (!(await pathExists(`${out}/${f}`))) missing.push(f);
    }
    if (!(await pathExists(`${out}/${n.name}`))) continue;
    for (const f of await listFiles(`${out}/${n.name}`)) {
      const rel = `${n.name}/${f}`;
      if (
        (PUBLISHED_EXTENSIONS as readonly string[]).includes(fileExtension(f))
      ) {
        files.push(rel);
      } else skipped.push(rel);
    }
  }
  for (const f of files.slice(0, 2 + notebooks.length)) {
    if (!(await pathExists(`${out}/${f}`))) missing.push(f);
  }
  if (missing.length > 0 && !(stale.length > 0 && options.force)) {
    throw new PublishError(
      `output folder ${outDir} is incomplete, missing: ${
        missing.slice(0, 5).join(", ")
      }${missing.length > 5 ? `, … ${missing.length} in all` : ""}`,
    );
  }
  // The listed artefacts exist; of the rest, the checks above found which.
  const absent = new Set(missing);
  const present = files.filter((f) => !absent.has(f)).sort();

  const patterns = machinePathPatterns({
    root: options.root,
    folders: [...new Set([out, realOut, dest, realDest])],
  });
  const parent = dirname(dest);
  const base = dest.slice(parent === "/" ? 1 : parent.length + 1);
  const madeParent = !(await pathExists(parent));
  await Deno.mkdir(parent, { recursive: true });
  const temp = await Deno.makeTempDir({
    dir: parent,
    prefix: `.${base}.publishing-`,
  });
  let bytes = 0;
  try {
    const offences: string[] = [];
    const unpublished = new Set(skipped);
    for (const f of present) {
      const raw = await Deno.readFile(`${out}/${f}`);
      let text = new TextDecoder().decode(raw);
      let data: Uint8Array = raw;
      if (f === MANIFEST_FILE) {
        text = JSON.stringify(normaliseManifest(JSON.parse(text)), null, 2) +
          "\n";
        data = new TextEncoder().encode(text);
      } else if (f === "report.md") {
        text = dropUnpublishedLinks(text, unpublished);
        data = new TextEncoder().encode(text);
      }
      for (const o of findMachinePaths(text, patterns)) {
        offences.push(`${f} ${o}`);
      }
      await Deno.mkdir(dirname(`${temp}/${f}`), { recursive: true });
      await Deno.writeFile(`${temp}/${f}`, data);
      bytes += data.length;
    }
    if (offences.length > 0) {
      throw new PublishError(
        `output folder ${outDir}: ${offences.length} line(s) of the files to publish name a machine path; published outputs must not (fix the cell or lib code that prints it, then re-run):\n${
          offences.map((o) => `  ${o}`).join("\n")
        }`,
      );
    }
    if (replacing) {
      // Two renames; the old folder goes only once the new one is in place.
      const old = `${parent}/.${base}.previous-${crypto.randomUUID()}`;
      await Deno.rename(dest, old);
      try {
        await Deno.rename(temp, dest);
      } catch (err) {
        await Deno.rename(old, dest);
        throw err;
      }
      await Deno.remove(old, { recursive: true }).catch((err) =>
        log(`publish: could not remove the replaced ${old}: ${err.message}`)
      );
    } else {
      // An empty target folder, if any, is replaced by the complete one.
      await Deno.remove(dest).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
      await Deno.rename(temp, dest);
    }
  } catch (err) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    // A parent this call created goes too (only while empty).
    if (madeParent) await Deno.remove(parent).catch(() => {});
    throw err;
  }
  log(
    `published ${present.length} files (${
      (bytes / 1e6).toFixed(1)
    } MB) of the ${profile} run into ${target}${
      skipped.length > 0
        ? `; left out ${skipped.length} binary artefacts (.png, .arrow)`
        : ""
    }`,
  );
  return {
    target: dest,
    profile,
    files: present,
    bytes,
    skipped,
    replaced: replacing,
  };
}
