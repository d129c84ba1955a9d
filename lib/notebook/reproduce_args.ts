/**
 * The command line of `deno task reproduce` (`reproduce.ts`): the options,
 * declared once, their usage text and their validation. {@link parseReproduceArgs}
 * turns `Deno.args` into checked values, or the message of the first bad
 * one; `reproduce.ts`'s `main` runs them.
 *
 * @module
 */

import {
  choiceFlag,
  DATASETS_ENV,
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  intFlag,
  parseFlags,
  type Profile,
  PROFILE_NAMES,
  userPath,
} from "../data/mod.ts";
import { DEFAULT_CELL_TIMEOUT_S } from "./runner.ts";

/** The usage text (`--help`, and after a bad option). */
export const USAGE = `Usage: deno task reproduce [options]
       deno task reproduce --check BASELINE_DIR [options]
       deno task reproduce --check BASELINE_DIR --against DIR
       deno task reproduce --profile full --publish DIR

Builds the datasets, executes every notebooks/*.ipynb headless, and writes
executed notebooks, artefacts, report.html/report.md and manifest.json.

Options:
  --profile quick|full   size profile (default quick)
  --seed N               seed for datasets and notebooks (default 1)
  --seeds N              training seeds per config in the experiment
                         notebooks (default: the profile's, quick 1, full 3;
                         full with 5 takes about 3 h 15 min on two cores)
  --out DIR              output folder (default out/)
  --only NAME            run only this notebook (repeatable, or a,b)
  --force                re-run notebooks even when unchanged
  --jupyter              also execute them with Jupyter (nbconvert + the
                         Deno kernel) into <out>/jupyter/ and check them
  --cell-timeout S       stop a cell after S seconds (default ${DEFAULT_CELL_TIMEOUT_S})
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

Checking against a recorded run:
  --check BASELINE_DIR   after the run, compare its output folder with an
                         earlier one (another reproduce --out): every number
                         of every cell output and text artefact, and the words
                         around them; prints "check: N numbers compared, M
                         differ" and each difference, and exits 1 when
                         anything differs. Timings, dates, paths, versions
                         and cache hits are left out (see lib/notebook/check.ts)
  --against DIR          with --check: compare DIR instead of running anything
  --tolerance REL        numbers within this relative difference are equal
                         (default 0: exact)
  --abs-tolerance ABS    numbers within this absolute difference are equal
                         (default 0)

Publishing the results:
  --publish DIR          after a successful run (and after --check), copy
                         its results into DIR to be committed: manifest.json,
                         report.md, the executed notebooks and their text
                         artefacts (no .png, no runs/; see
                         lib/notebook/publish.ts). Refused when DIR is
                         inside lib/ or the notebooks, is or holds the output
                         folder, is not an earlier publish, or holds a full
                         result and this run is quick, and when a published
                         file names a machine path. The repository's
                         results: --profile full --publish results/full

The real datasets (WANDS, SciFact, MovieLens) are not part of the
repository; without their files the notebooks run on the synthetic
catalogues alone, and the console, report and manifest say which datasets
were skipped and the command that brings each.
`;

/** The checked values of a `deno task reproduce` command line. */
export interface ReproduceArgs {
  /** Size profile. */
  profile: Profile;
  /** Seed for datasets and notebooks. */
  seed: number;
  /** `--seeds`: training seeds per config (default: the profile's). */
  seeds?: number;
  /** `--out`, as the process sees it (relative paths are the user's). */
  out?: string;
  /** `--only`, as given. */
  only?: string[];
  /** `--force`. */
  force: boolean;
  /** `--jupyter`. */
  jupyter: boolean;
  /** `--cell-timeout`, seconds. */
  cellTimeoutS: number;
  /** `--jobs`. */
  jobs?: number;
  /** `--notebooks`. */
  notebooks?: string;
  /** `--skip-data`. */
  skipData: boolean;
  /** `--download`. */
  download: boolean;
  /** `--check`: the baseline output folder to compare with. */
  check?: string;
  /** `--against`: the folder to compare instead of running. */
  against?: string;
  /** `--tolerance` (default 0). */
  relTol: number;
  /** `--abs-tolerance` (default 0). */
  absTol: number;
  /** `--publish`: the folder the results are published into. */
  publish?: string;
}

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
  let values;
  try {
    ({ values } = parseFlags(args, {
      options: {
        profile: { type: "string", default: DEFAULT_PROFILE },
        seed: { type: "string", default: String(DEFAULT_SEED) },
        seeds: { type: "string" },
        out: { type: "string" },
        only: { type: "string", multiple: true },
        force: { type: "boolean", default: false },
        jupyter: { type: "boolean", default: false },
        "cell-timeout": {
          type: "string",
          default: String(DEFAULT_CELL_TIMEOUT_S),
        },
        jobs: { type: "string" },
        notebooks: { type: "string" },
        "skip-data": { type: "boolean", default: false },
        download: { type: "boolean", default: false },
        check: { type: "string" },
        against: { type: "string" },
        tolerance: { type: "string", default: "0" },
        "abs-tolerance": { type: "string", default: "0" },
        publish: { type: "string" },
      },
    }));
  } catch (err) {
    return { kind: "error", message: (err as Error).message, usage: true };
  }
  if (values.help) return { kind: "help" };
  const error = (message: string) => ({ kind: "error" as const, message });
  let profile: Profile, seed: number, jobs: number | undefined;
  let seeds: number | undefined;
  try {
    profile = choiceFlag("profile", values.profile, {
      choices: PROFILE_NAMES,
    })!;
    seed = intFlag("seed", values.seed)!;
    seeds = intFlag("seeds", values.seeds, { min: 1 });
    jobs = intFlag("jobs", values.jobs, { min: 1 });
  } catch (err) {
    return error((err as Error).message);
  }
  const timeout = Number(values["cell-timeout"]);
  if (!(timeout > 0)) {
    return error(
      `--cell-timeout must be a positive number of seconds, got '${
        values["cell-timeout"]
      }'`,
    );
  }
  const tolerance = (name: string, text: string) => {
    const v = Number(text);
    return text.trim() !== "" && Number.isFinite(v) && v >= 0 ? v : error(
      `--${name} must be a number ≥ 0, got '${text}'`,
    );
  };
  const relTol = tolerance("tolerance", values.tolerance);
  if (typeof relTol !== "number") return relTol;
  const absTol = tolerance("abs-tolerance", values["abs-tolerance"]);
  if (typeof absTol !== "number") return absTol;
  if (values.check === undefined) {
    const given = args.find((a) =>
      /^--(against|tolerance|abs-tolerance)(=|$)/.test(a)
    );
    if (given) {
      return error(`${given.split("=")[0]} needs --check BASELINE_DIR`);
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
      profile,
      seed,
      seeds,
      out: path(values.out),
      only: values.only,
      force: values.force,
      jupyter: values.jupyter,
      cellTimeoutS: timeout,
      jobs,
      notebooks: path(values.notebooks),
      skipData: values["skip-data"],
      download: values.download,
      check: path(values.check),
      against: path(values.against),
      relTol,
      absTol,
      publish: path(values.publish),
    },
  };
}
