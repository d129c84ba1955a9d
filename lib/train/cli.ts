/**
 * `deno task train --config FILE [--out DIR] [--backend B] [--data DIR] [--resume] [--threads 2]`
 *
 * Trains the model a config file describes (see `config.ts` for the
 * format) and writes a run folder (see `run_files.ts`). `--data` replaces
 * the config's dataset folder (any folder in the `data/README.md` schemas,
 * e.g. your own); `--backend` replaces its backend. Both become part of
 * the run's `config.json` and hash. `--resume` continues the run in
 * `--out` from its last checkpoint (without `--config` it reads the run's
 * own `config.json`); resuming a finished run does nothing and says so.
 * Ctrl-C stops after the current step and writes a checkpoint; `--resume`
 * picks it up. Relative `--config`, `--out` and `--data` paths are the
 * user's: `deno task` runs in the repository root, so they are resolved
 * against `INIT_CWD` (see `lib/data/user_path.ts`). One training at a time
 * writes to a folder (`train.lock`, see `train.ts`).
 *
 * Exit status: 0 done, 1 failed (bad config, data or training error),
 * 2 bad command line, 130 interrupted.
 *
 * @module
 */

import {
  commandLine,
  type FlagTable,
  flagUsage,
  type FlagValues,
  isRecord,
  joinPath,
  parseCommand,
  readJson,
  shownPath,
  UsageError,
  userPath,
} from "../data/mod.ts";
import { BACKEND_REQUESTS } from "../backend/mod.ts";
import { ConfigError, resolveConfig } from "./config.ts";
import { RUN_FILES } from "./run_files.ts";
import { describeEarlyStopping } from "./early_stopping.ts";
import { train } from "./train.ts";

/** The flags of `deno task train`, each declared once (usage and checks). */
export const TRAIN_FLAGS = {
  config: {
    type: "string",
    arg: "FILE",
    doc: "training config (JSON; docs/train_options.md)",
  },
  out: {
    type: "string",
    arg: "DIR",
    doc: "run folder",
    defaultText: "runs/<tower>-<loss>-<config hash>",
  },
  backend: {
    type: "choice",
    choices: BACKEND_REQUESTS,
    doc: "tfjs backend (overrides the config's)",
  },
  data: {
    type: "string",
    arg: "DIR",
    doc: 'dataset folder (overrides the config\'s "data")',
  },
  resume: {
    type: "boolean",
    doc:
      "continue the run in --out from its last checkpoint (a finished run: nothing to do)",
  },
  threads: {
    type: "integer",
    arg: "N",
    default: 1,
    min: 1,
    max: 2,
    doc:
      "1 or 2: two workers, one tower each (same numbers) or, for towers that share weights, half of each batch each (same numbers up to float rounding); wasm/cpu only; about 2× the memory",
  },
  quiet: { type: "boolean", doc: "no progress lines" },
} as const satisfies FlagTable;

const USAGE =
  `usage: deno task train --config FILE [--out DIR] [--backend NAME] [--data DIR] [--resume]
       [--threads 1|2]

${flagUsage(TRAIN_FLAGS)}

After training: deno task eval --run DIR`;

// The tests and callers of this command catch its mistakes by this name.
export { UsageError };

/** Parsed flags of the train command ({@link TRAIN_FLAGS}). */
export type TrainArgs = FlagValues<typeof TRAIN_FLAGS> & {
  /** Print usage. */
  help: boolean;
};

/** Parses the command line; throws {@link UsageError} on bad flags. */
export function parseTrainArgs(args: readonly string[]): TrainArgs {
  const { help, values } = parseCommand(args, TRAIN_FLAGS);
  if (help) return { ...values, help };
  if (values.config === undefined && !(values.resume && values.out)) {
    throw new UsageError(
      "--config FILE is required (or --resume with --out DIR)",
    );
  }
  return { ...values, help };
}

async function readConfigFile(path: string): Promise<unknown> {
  try {
    return await readJson(path);
  } catch (err) {
    const message = (err as Error).message;
    throw new ConfigError(
      "(file)",
      err instanceof SyntaxError
        ? `${path} is not valid JSON: ${message}`
        : `cannot read ${path}: ${message}`,
    );
  }
}

/** Runs the train command; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  const parsed = commandLine(args, {
    prefix: "deno task train",
    usage: USAGE,
    parse: parseTrainArgs,
  });
  if (typeof parsed === "number") return parsed;
  // Relative to where the user typed them, not to the repository root.
  for (const k of ["config", "out", "data"] as const) {
    if (parsed[k] !== undefined) parsed[k] = userPath(parsed[k]);
  }
  const controller = new AbortController();
  const onInt = () => {
    console.error(
      "interrupted: stopping after this step and writing a checkpoint…",
    );
    controller.abort();
  };
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onInt);
    listening = true;
  } catch { /* signals unavailable (e.g. Windows without support) */ }
  try {
    const source = parsed.config ??
      joinPath(parsed.out as string, RUN_FILES.config);
    const raw = await readConfigFile(source);
    if (!isRecord(raw)) {
      throw new ConfigError("(root)", `${source} must hold a JSON object`);
    }
    const input = { ...raw } as Record<string, unknown>;
    if (parsed.backend) input.backend = parsed.backend;
    if (parsed.data) input.data = parsed.data;
    const config = resolveConfig(input);
    const result = await train(config, {
      outDir: parsed.out,
      resume: parsed.resume,
      threads: parsed.threads,
      progress: !parsed.quiet,
      signal: controller.signal,
    });
    for (const w of result.warnings) console.error(`warning: ${w}`);
    // As the user would type it where they started the task.
    const dir = shownPath(result.dir);
    if (result.alreadyFinished) {
      console.log(
        `run ${dir} already finished (step ${result.steps}/${result.totalSteps}); nothing to do, its ${RUN_FILES.eval} is kept`,
      );
      if (result.earlyStopping) {
        console.log(describeEarlyStopping(result.earlyStopping));
      }
      console.log(`full evaluation: deno task eval --run ${dir}`);
      return 0;
    }
    const last = result.log[result.log.length - 1];
    console.log(
      `run: ${dir} (config ${result.configHash}, backend ${result.backend.name}${
        result.split === "towers"
          ? ", towers in 2 workers"
          : result.split === "halves"
          ? ", halves of each batch in 2 workers"
          : ""
      })`,
    );
    if (parsed.threads > result.threads && !result.alreadyFinished) {
      console.log(
        "threads: 1 — the backend is not wasm or cpu (tfjs-node threads its own kernels)",
      );
    }
    console.log(
      `steps: ${result.steps}/${result.totalSteps}` +
        (last ? `, final loss ${last.loss.toFixed(4)}` : ""),
    );
    if (!result.completed) {
      console.log(`stopped early; continue with --resume --out ${dir}`);
      return 130;
    }
    if (result.earlyStopping) {
      console.log(describeEarlyStopping(result.earlyStopping));
      console.log(
        `test metrics from the weights of step ${result.earlyStopping.bestStep} (best valid)`,
      );
    }
    const br = (result.eval as
      | { batchRecall?: { recall: Record<string, number> } }
      | null)
      ?.batchRecall;
    if (br) {
      const text = Object.entries(br.recall).map(([k, v]) =>
        `@${k} ${v.toFixed(4)}`
      )
        .join(", ");
      console.log(`test batch recall ${text}`);
    }
    console.log(`full evaluation: deno task eval --run ${dir}`);
    return 0;
  } catch (err) {
    console.error(`deno task train: ${(err as Error).message}`);
    return 1;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onInt);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
