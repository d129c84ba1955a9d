/**
 * Builds a named dataset (synthetic or a converted real one) into a folder.
 * Behind `deno task data`, and called by notebooks that need data on disk.
 *
 * @module
 */

import { joinPath, pathExists, writeDataset } from "./io.ts";
import {
  type FetchOptions,
  fetchSource,
  isDownloadable,
  loadRealDataset,
  realSourceHint,
  realSourceStatus,
  SOURCE_NAMES,
} from "./real/mod.ts";
import type { Dataset } from "./schema.ts";
import {
  generateSynthetic,
  SYNTHETIC_PROFILES,
  syntheticDatasetName,
} from "./synthetic.ts";
import { DEFAULT_PROFILE, type Profile, PROFILE_NAMES } from "./profile.ts";
import { DEFAULT_SEED } from "./rng.ts";
import { basename } from "node:path";

/**
 * The datasets the notebooks read: what `deno task data all` and `deno task
 * reproduce` build.
 */
export const DATASET_NAMES = ["synthetic", ...SOURCE_NAMES] as const;

/**
 * Datasets built only when named (`deno task data wordnet`): no notebook
 * reads them, so neither `all` nor `reproduce` builds them.
 */
export const ON_DEMAND_DATASET_NAMES = ["wordnet"] as const;

/** One of {@link DATASET_NAMES} or {@link ON_DEMAND_DATASET_NAMES}. */
export type DatasetName =
  | typeof DATASET_NAMES[number]
  | typeof ON_DEMAND_DATASET_NAMES[number];

/** Whether `deno task data` knows a dataset of this name. */
export function isDatasetName(name: string): name is DatasetName {
  return [...DATASET_NAMES, ...ON_DEMAND_DATASET_NAMES].some((n) => n === name);
}

/** Options of {@link buildDataset} and {@link loadNamedDataset}. */
export interface BuildOptions {
  /** Synthetic size profile (default `quick`). */
  profile?: Profile;
  /** Synthetic seed (default 1). */
  seed?: number;
  /** Output folder (default `data/<name>` or `data/synthetic-<profile>`). */
  out?: string;
  /** Folder with a real dataset's original files. */
  source?: string;
  /** Download the original files into `source` first (needs internet). */
  download?: boolean;
  /** The fetch function for `download` (default: global `fetch`; tests). */
  fetch?: FetchOptions["fetch"];
  /** With `download`, also fetch files that have no pinned sha256. */
  unverified?: boolean;
}

/** What {@link buildDataset} wrote. */
export interface BuildResult {
  /** Output folder. */
  dir: string;
  /** Row count of each table written. */
  counts: Record<string, number>;
}

/** The default output folder of a dataset: `data/<name>[-<profile>]`. */
export function defaultDatasetDir(
  name: DatasetName,
  options: Pick<BuildOptions, "profile"> = {},
): string {
  return name === "synthetic"
    ? joinPath("data", syntheticDatasetName(options.profile ?? DEFAULT_PROFILE))
    : joinPath("data", name);
}

/** Builds a dataset in memory without writing it. */
export async function loadNamedDataset(
  name: DatasetName,
  options: BuildOptions = {},
): Promise<Dataset> {
  if (name === "synthetic") {
    const profile = options.profile ?? DEFAULT_PROFILE;
    return generateSynthetic({
      ...SYNTHETIC_PROFILES[profile],
      profile,
      seed: options.seed ?? DEFAULT_SEED,
    });
  }
  if (options.download && isDownloadable(name)) {
    // Downloads into --source (or the default shared folder), verifying
    // every file's sha256 before it replaces anything.
    await fetchSource(name, {
      dir: options.source,
      fetch: options.fetch,
      unverified: options.unverified,
    });
  }
  return await loadRealDataset(name, { source: options.source });
}

/** Builds a dataset and writes it (atomically, file by file) into a folder. */
export async function buildDataset(
  name: DatasetName,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const ds = await loadNamedDataset(name, options);
  const dir = options.out ?? defaultDatasetDir(name, options);
  await writeDataset(dir, ds);
  const counts: Record<string, number> = {
    items: ds.items.itemId.length,
    queries: ds.queries.queryId.length,
    pairs: ds.pairs.queryId.length,
  };
  if (ds.users) counts.users = ds.users.userId.length;
  return { dir, counts };
}

/** What {@link buildIfAvailable} did with one dataset. */
export interface AvailableResult {
  /** Dataset name. */
  name: DatasetName;
  /**
   * `built`: built now; `earlier`: its source files are missing but an
   * earlier build is in the output folder, which is kept and used;
   * `skipped`: neither, so there is no dataset.
   */
  status: "built" | "earlier" | "skipped";
  /** The output folder. */
  dir: string;
  /** Row counts, when built now. */
  counts?: Record<string, number>;
  /**
   * For `earlier` and `skipped`: one line saying what is missing and the
   * commands that bring it. For `built`: "" or a download problem that did
   * not stop the build (an optional file such as the full WANDS).
   */
  reason: string;
}

/**
 * Builds a dataset if its source files are at hand (downloading them first
 * with `download`), instead of failing when they are not: the real
 * datasets live outside the repository and a fresh clone has none. A
 * synthetic dataset is always built. A real one whose files stay missing
 * is `earlier` when a previous build is in the output folder, else
 * `skipped`; either way `reason` names the commands that bring it. Errors
 * other than missing files (a corrupt file, a bad hash) still throw.
 */
export async function buildIfAvailable(
  name: DatasetName,
  options: BuildOptions = {},
): Promise<AvailableResult> {
  const dir = options.out ?? defaultDatasetDir(name, options);
  if (name === "synthetic") {
    const r = await buildDataset(name, { ...options, out: dir });
    return { name, status: "built", dir, counts: r.counts, reason: "" };
  }
  let downloadError = "";
  // WordNet has nothing to download: its files come from a system package.
  if (options.download && isDownloadable(name)) {
    try {
      await fetchSource(name, {
        dir: options.source,
        fetch: options.fetch,
        unverified: options.unverified,
      });
    } catch (err) {
      // Reported below: fatal only when a required file is still missing.
      downloadError = `--download failed: ${(err as Error).message}`;
    }
  }
  const source = await realSourceStatus(name, options.source);
  if (source.present) {
    const r = await buildDataset(name, {
      ...options,
      out: dir,
      download: false,
    });
    return {
      name,
      status: "built",
      dir,
      counts: r.counts,
      reason: downloadError,
    };
  }
  const problem = downloadError
    ? `${downloadError}; ${source.problem}`
    : source.problem;
  const hint = realSourceHint(name);
  if (await pathExists(joinPath(dir, "items.arrow"))) {
    return {
      name,
      status: "earlier",
      dir,
      reason:
        `${name}: using the earlier build in ${dir} (${problem}); ${hint}`,
    };
  }
  return {
    name,
    status: "skipped",
    dir,
    reason: `${name}: ${problem}; ${hint}`,
  };
}

/**
 * Why a dataset folder a notebook wants is not there, or null when it is
 * (it has `items.arrow`). For a real dataset's folder (`…/wands`,
 * `…/scifact`, `…/movielens`, `…/wordnet`) the line says whether its source
 * files are at hand and names the command that brings them.
 */
export async function missingDatasetNote(dir: string): Promise<string | null> {
  if (await pathExists(joinPath(dir, "items.arrow"))) return null;
  const base = basename(dir);
  const head = `\`${dir}\` has not been built`;
  if (isDatasetName(base) && base !== "synthetic") {
    const source = await realSourceStatus(base);
    return source.present
      ? `${head}; \`deno task data ${base}\` builds it from ${source.dir}`
      : `${head} (${base}: ${source.problem}); ${realSourceHint(base)}`;
  }
  const profile = PROFILE_NAMES.find((p) => base === syntheticDatasetName(p));
  return profile
    ? `${head}; \`deno task data synthetic --profile ${profile}\` builds it`
    : `${head}; \`deno task data <name> --out ${dir}\` builds one`;
}
