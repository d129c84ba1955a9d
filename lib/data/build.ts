/**
 * Builds a named dataset (synthetic or a converted real one) into a folder.
 * Behind `deno task data`, and called by notebooks that need data on disk.
 *
 * @module
 */

import { joinPath, writeDataset } from "./io.ts";
import { fetchSource, loadRealDataset } from "./real/mod.ts";
import type { Dataset } from "./schema.ts";
import { generateSynthetic, SYNTHETIC_PROFILES } from "./synthetic.ts";

/** Names of the datasets `deno task data` knows. */
export const DATASET_NAMES = [
  "synthetic",
  "wands",
  "scifact",
  "movielens",
] as const;

/** One of {@link DATASET_NAMES}. */
export type DatasetName = typeof DATASET_NAMES[number];

/** Options of {@link buildDataset} and {@link loadNamedDataset}. */
export interface BuildOptions {
  /** Synthetic size profile (default `quick`). */
  profile?: "quick" | "full";
  /** Synthetic seed (default 1). */
  seed?: number;
  /** Output folder (default `data/<name>` or `data/synthetic-<profile>`). */
  out?: string;
  /** Folder with a real dataset's original files. */
  source?: string;
  /** Download the original files into `source` first (needs internet). */
  download?: boolean;
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
    ? joinPath("data", `synthetic-${options.profile ?? "quick"}`)
    : joinPath("data", name);
}

/** Builds a dataset in memory without writing it. */
export async function loadNamedDataset(
  name: DatasetName,
  options: BuildOptions = {},
): Promise<Dataset> {
  if (name === "synthetic") {
    const profile = options.profile ?? "quick";
    return generateSynthetic({
      ...SYNTHETIC_PROFILES[profile],
      profile,
      seed: options.seed ?? 1,
    });
  }
  if (options.download) {
    // Downloads into --source (or the default shared folder), verifying
    // every file's sha256 before it replaces anything.
    await fetchSource(name, { dir: options.source });
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
