/**
 * `deno task data <name> [options]`: builds a dataset into `data/<name>`.

 *
 * @module
 */

import {
  buildIfAvailable,
  type BuildOptions,
  DATASET_NAMES,
  type DatasetName,
  isDatasetName,
  ON_DEMAND_DATASET_NAMES,
} from "./build.ts";
import {
  commandLine,
  type FlagTable,
  flagUsage,
  parseCommand,
  UsageError,
} from "./cli_args.ts";
import {
  DATASETS_ENV,
  downloadDenied,
  WORDNET_SYSTEM_DIR,
} from "./real/mod.ts";
import { DEFAULT_PROFILE, PROFILE_NAMES } from "./profile.ts";
import { DEFAULT_SEED } from "./rng.ts";

/** The flags of `deno task data`, each declared once (usage and checks). */
const DATA_FLAGS = {
  profile: {
    type: "choice",
    choices: PROFILE_NAMES,
    default: DEFAULT_PROFILE,
    doc: "synthetic size",
  },
  seed: {
    type: "integer",
    arg: "N",
    default: DEFAULT_SEED,
    doc: "synthetic seed",
  },
  out: {
    type: "string",
    arg: "DIR",
    doc: "output folder",
    defaultText: "data/<name>[-<profile>]",
  },
  source: {
    type: "string",
    arg: "DIR",
    doc:
      `folder holding the original files of a real dataset (default: <folder> under $${DATASETS_ENV} when set, else under ../shared/datasets beside the repository; wordnet: that folder if it exists, else ${WORDNET_SYSTEM_DIR})`,
  },
  download: {
    type: "boolean",
    doc:
      "fetch the original files into that folder first (needs internet and network permission: run it as `deno task download <name>`); each file's sha256 is checked",
  },
  unverified: {
    type: "boolean",
    doc:
      "with --download, also fetch files that have no pinned sha256 (the full WANDS product.csv and label.csv): unchecked bytes, and the WANDS loader then reads the full dataset instead of the subset",
  },
} as const satisfies FlagTable;

const USAGE = `Usage: deno task data <name> [options]
       deno task download <name> [options]   (the same with --download)

Builds a dataset in the package's Arrow schemas (items, queries, pairs,
users, meta.json) into a folder.

Names:
  synthetic   ESCI-like synthetic catalogue, deterministic from --seed
  wands       WANDS: 480 queries + the 3,000-pair subset
  scifact     SciFact (BEIR): corpus, claims, qrels
  movielens   MovieLens latest-small, leave-last-out
  all         every one of the above; a real dataset whose source files
              are missing is skipped with a line saying how to get it
  wordnet     WordNet 3.0 as a reverse dictionary (gloss → synset, 117k
              synsets); only by name, not in 'all'; its files come from
              \`apt-get install wordnet-base\` (${WORDNET_SYSTEM_DIR})

Options:
${flagUsage(DATA_FLAGS)}
`;

/** The checked command line: the datasets to build and how. */
interface DataArgs {
  /** `--help` was given. */
  help: boolean;
  /** The datasets (`all`: every one). */
  names: readonly DatasetName[];
  /** How to build each. */
  build: BuildOptions;
}

function parseDataArgs(args: readonly string[]): DataArgs {
  const { help, values, positionals } = parseCommand(args, DATA_FLAGS, {
    positionals: true,
  });
  if (help) return { help: true, names: [], build: {} };
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "name the dataset to build"
        : `one dataset name, got ${positionals.length}: ${
          positionals.join(" ")
        }`,
    );
  }
  const [name] = positionals;
  const names = name === "all" ? DATASET_NAMES : [name];
  if (!names.every(isDatasetName)) {
    throw new UsageError(
      `unknown dataset '${name}' (expected one of ${
        [...DATASET_NAMES, "all", ...ON_DEMAND_DATASET_NAMES].join(", ")
      })`,
    );
  }
  for (const opt of ["out", "source"] as const) {
    if (values[opt] && names.length > 1) {
      throw new UsageError(`--${opt} needs a single dataset name, not 'all'`);
    }
  }
  return {
    help: false,
    names: names as readonly DatasetName[],
    build: values,
  };
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = commandLine(args, {
    prefix: "error",
    usage: USAGE,
    parse: parseDataArgs,
  });
  if (typeof parsed === "number") return parsed;
  const { names, build } = parsed;
  const denied = build.download ? downloadDenied() : null;
  if (denied) {
    console.error(`error: --download: ${denied}`);
    return 2;
  }
  let failed = false;
  for (const n of names) {
    const t0 = performance.now();
    const result = await buildIfAvailable(n, build);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (result.status !== "built") {
      // One named dataset must be built; `all` goes on without the real
      // ones whose files are not at hand (an error only with --download).
      if (names.length === 1) {
        console.error(`error: ${result.reason}`);
        return 1;
      }
      // The reason starts with the dataset's name.
      console.log(
        `${result.status === "skipped" ? "skipped " : ""}${result.reason}`,
      );
      failed ||= build.download === true;
      continue;
    }
    console.log(`${n}: wrote ${result.dir} in ${secs} s`);
    if (result.reason) console.log(`  warning: ${result.reason}`);
    for (const [table, rows] of Object.entries(result.counts ?? {})) {
      console.log(`  ${table.padEnd(8)} ${rows} rows`);
    }
  }
  // With --download a dataset that could not be fetched is an error.
  if (failed) return 1;
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
