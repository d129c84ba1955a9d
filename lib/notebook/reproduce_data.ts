/**
 * Step 1 of `deno task reproduce` (`reproduce.ts`): builds the datasets
 * into `data/` (each real one only if its source files are at hand, else
 * skipped with the command that brings it) and says in the report which
 * real datasets the notebooks had.
 *
 * @module
 */

import {
  buildIfAvailable,
  DATASET_NAMES,
  defaultDatasetDir,
  type FetchOptions,
  missingDatasetNote,
  ON_DEMAND_DATASET_NAMES,
  type Profile,
} from "../data/mod.ts";

/** Whether the notebooks had a real dataset, and if not, why. */
export interface RealDatasetStatus {
  /** Dataset name (`wands`, `scifact`, `movielens`, `wordnet`). */
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

// WordNet is built "on demand" by `deno task data` (its source is a system
// package, not a download), but notebook 08 reads it, so reproduce builds it
// wherever the package is installed.
const BUILT = [...DATASET_NAMES, ...ON_DEMAND_DATASET_NAMES];
const REAL_NAMES = BUILT.filter((n) => n !== "synthetic");

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
  for (const name of BUILT) {
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
