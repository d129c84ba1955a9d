/**
 * The command line of `deno task reproduce` (`reproduce.ts`): the flags,
 * each declared once in a table that gives the usage text and the checks. {@link parseReproduceArgs}
 * turns `Deno.args` into checked values, or the message of the first bad
 * one; `reproduce.ts`'s `main` runs them.
 *
 * @module
 */

import {
  DATASETS_ENV,
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  flagName,
  type FlagTable,
  flagUsage,
  type FlagValues,
  parseCommand,
  PROFILE_NAMES,
  UsageError,
  userPath,
} from "../data/mod.ts";
import { DEFAULT_CELL_TIMEOUT_S } from "./runner.ts";

/** The flags of a run, each declared once (usage and checks). */
const RUN_FLAGS = {
  profile: {
    type: "choice",
    choices: PROFILE_NAMES,
    default: DEFAULT_PROFILE,
    doc: "size profile",
  },
  seed: {
    type: "integer",
    arg: "N",
    default: DEFAULT_SEED,
    doc: "seed for datasets and notebooks",
  },
  seeds: {
    type: "integer",
    arg: "N",
    min: 1,
    doc:
      "training seeds per config in the experiment notebooks; full with 5 takes about 3 h 15 min on two cores",
    defaultText: "the profile's",
  },
  out: {
    type: "string",
    arg: "DIR",
    doc: "output folder",
    defaultText: "out/",
  },
  only: {
    type: "strings",
    arg: "NAME",
    doc: "run only this notebook (repeatable, or a,b)",
  },
  force: { type: "boolean", doc: "re-run notebooks even when unchanged" },
  jupyter: {
    type: "boolean",
    doc:
      "also execute them with Jupyter (nbconvert + the Deno kernel) into <out>/jupyter/ and check them",
  },
  cellTimeoutS: {
    type: "number",
    flag: "cell-timeout",
    arg: "S",
    min: 0,
    strict: true,
    default: DEFAULT_CELL_TIMEOUT_S,
    doc: "stop a cell after S seconds",
  },
  jobs: {
    type: "integer",
    arg: "N",
    min: 1,
    doc:
      "notebooks executed at once; a notebook's metadata can ask to wait for another or to take several cores",
    defaultText: "one per core, at most 4",
  },
  notebooks: {
    type: "string",
    arg: "DIR",
    doc: "notebook folder",
    defaultText: "notebooks/",
  },
  download: {
    type: "boolean",
    doc:
      `fetch the source files of the real datasets that are missing first (sha256-checked) into $${DATASETS_ENV}, else ../shared/datasets beside the repository; needs network permission, which the reproduce task does not grant: run \`deno task download all\` instead, then reproduce`,
  },
  skipData: { type: "boolean", doc: "do not rebuild the datasets first" },
} as const satisfies FlagTable;

/** The flags of a check against a recorded run. */
const CHECK_FLAGS = {
  check: {
    type: "string",
    arg: "BASELINE_DIR",
    doc:
      'after the run, compare its output folder with an earlier one (another reproduce --out): every number of every cell output and text artefact, and the words around them; prints "check: N numbers compared, M differ" and each difference, and exits 1 when anything differs. Timings, dates, paths, versions and cache hits are left out (see lib/notebook/check.ts)',
  },
  against: {
    type: "string",
    arg: "DIR",
    doc: "with --check: compare DIR instead of running anything",
  },
  relTol: {
    type: "number",
    flag: "tolerance",
    arg: "REL",
    min: 0,
    default: 0,
    defaultText: "0: exact",
    doc: "numbers within this relative difference are equal",
  },
  absTol: {
    type: "number",
    flag: "abs-tolerance",
    arg: "ABS",
    min: 0,
    default: 0,
    doc: "numbers within this absolute difference are equal",
  },
} as const satisfies FlagTable;

/** The flag that publishes a run. */
const PUBLISH_FLAGS = {
  publish: {
    type: "string",
    arg: "DIR",
    doc:
      "after a successful run (and after --check), copy its results into DIR to be committed: manifest.json, report.md, the executed notebooks and their text artefacts (no .png, no runs/; see lib/notebook/publish.ts). Refused when DIR is inside lib/ or the notebooks, is or holds the output folder, is not an earlier publish, or holds a full result and this run is quick, and when a published file names a machine path. The repository's results: --profile full --publish results/full",
  },
} as const satisfies FlagTable;

const REPRODUCE_FLAGS = { ...RUN_FLAGS, ...CHECK_FLAGS, ...PUBLISH_FLAGS };

/** The usage text (`--help`, and after a bad option). */
export const USAGE = `Usage: deno task reproduce [options]
       deno task reproduce --check BASELINE_DIR [options]
       deno task reproduce --check BASELINE_DIR --against DIR
       deno task reproduce --profile full --publish DIR

Builds the datasets, executes every notebooks/*.ipynb headless, and writes
executed notebooks, artefacts, report.html/report.md and manifest.json.

Options:
${flagUsage(RUN_FLAGS)}

Checking against a recorded run:
${flagUsage(CHECK_FLAGS, { help: false })}

Publishing the results:
${flagUsage(PUBLISH_FLAGS, { help: false })}

The real datasets (WANDS, SciFact, MovieLens) are not part of the
repository; without their files the notebooks run on the synthetic
catalogues alone, and the console, report and manifest say which datasets
were skipped and the command that brings each.
`;

/**
 * The checked values of a `deno task reproduce` command line (the flags'
 * declarations above); relative paths are resolved from where the user
 * started `deno task`.
 */
export type ReproduceArgs = FlagValues<typeof REPRODUCE_FLAGS>;

/** What {@link parseReproduceArgs} found. */
export type ParsedReproduceArgs =
  | { kind: "help" }
  | { kind: "error"; message: string; usage?: boolean }
  | { kind: "ok"; args: ReproduceArgs };

/**
 * Parses and checks a reproduce command line. Relative paths are resolved
 * from where the user started `deno task` (`userPath`).
 */
export function parseReproduceArgs(args: string[]): ParsedReproduceArgs {
  let parsed;
  try {
    parsed = parseCommand(args, REPRODUCE_FLAGS);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // A malformed command line (unknown flag, missing value) gets the usage.
    return { kind: "error", message: err.message, usage: err.syntax };
  }
  const { help, values, given } = parsed;
  if (help) return { kind: "help" };
  const error = (message: string) => ({ kind: "error" as const, message });
  if (values.check === undefined) {
    for (const name of ["against", "relTol", "absTol"] as const) {
      if (given.has(name)) {
        return error(
          `--${
            flagName(name, REPRODUCE_FLAGS[name])
          } needs --check BASELINE_DIR`,
        );
      }
    }
  }
  if (values.against !== undefined && values.out !== undefined) {
    return error(
      "--against compares two existing folders and runs nothing; --out names the folder a run writes: give one of them",
    );
  }
  if (values.against !== undefined && values.publish !== undefined) {
    return error(
      "--publish publishes the output folder of this run; --against runs nothing: run without --against (an unchanged output folder is not re-executed)",
    );
  }
  if (values.publish !== undefined && values.publish.trim() === "") {
    return error("--publish needs a folder, got ''");
  }
  // Relative paths are the user's (deno task runs in the repository).
  const path = (p: string | undefined) =>
    p === undefined ? undefined : userPath(p);
  return {
    kind: "ok",
    args: {
      ...values,
      out: path(values.out),
      notebooks: path(values.notebooks),
      check: path(values.check),
      against: path(values.against),
      publish: path(values.publish),
    },
  };
}
