/**
 * `deno task eval --run DIR [--data DIR [--allow-other-data]] [--split test] [--ann]`
 *
 * Evaluates the last checkpoint of a training run (`deno task train`) and
 * writes the result next to it: `eval.json` for the run's own data and the
 * test split, `eval-<split>.json` for another split, and
 * `eval-<split>-<dataset>-<hash>.json` for other data (name and the first
 * 8 digits of its hash, so that two datasets never share a file).
 *
 * The data is checked against the hash `run.json` records: other data (a
 * `--data` folder that is not a copy of the run's, or the run's own folder
 * changed since training) is refused unless `--allow-other-data`, and a
 * result on other data says so (`otherData`, `runData`). A checkpoint
 * before the configured last step (a stopped run) is evaluated with a
 * warning, printed and recorded in `warnings`. Every result records the
 * config hash, data hash and code version. Relative `--run`/`--data` paths
 * are the user's (`INIT_CWD`, see `lib/data/user_path.ts`).
 *
 * What is measured: {@link evaluateRun} (`./evaluate.ts`).
 *
 * Exit status: 0 done, 1 failed, 2 bad command line.
 *
 * @module
 */

import {
  commandLine,
  fileSlug,
  type FlagTable,
  flagUsage,
  type FlagValues,
  joinPath,
  parseCommand,
  shownPath,
  type Split,
  SPLITS,
  stableJson,
  UsageError,
  userPath,
  writeTextAtomic,
} from "../data/mod.ts";
import { BACKEND_REQUESTS } from "../backend/mod.ts";
import { evaluateRun } from "./evaluate.ts";

/** The flags of `deno task eval`, each declared once (usage and checks). */
export const EVAL_FLAGS = {
  run: {
    type: "string",
    arg: "DIR",
    doc: "run folder written by deno task train",
  },
  data: {
    type: "string",
    arg: "DIR",
    doc:
      "evaluate on this dataset folder instead of the run's (e.g. a copy of it elsewhere)",
  },
  allowOtherData: {
    type: "boolean",
    doc:
      "accept data whose hash differs from the run's (another dataset on purpose, e.g. transfer); the result says so",
  },
  split: {
    type: "choice",
    choices: SPLITS,
    default: "test",
    doc: "split to evaluate",
  },
  ann: { type: "boolean", doc: "also search through an IVF-PQ index" },
  backend: {
    type: "choice",
    choices: BACKEND_REQUESTS,
    doc: "tfjs backend",
    defaultText: "the run's",
  },
} as const satisfies FlagTable;

const USAGE =
  `usage: deno task eval --run DIR [--data DIR] [--allow-other-data] [--split test|valid|train] [--ann] [--backend NAME]

${flagUsage(EVAL_FLAGS)}`;

/** Parsed flags of the eval command ({@link EVAL_FLAGS}). */
export type EvalArgs = FlagValues<typeof EVAL_FLAGS> & {
  /** Print usage. */
  help: boolean;
};

/** Parses the command line; throws a {@link UsageError} on bad flags. */
export function parseEvalArgs(args: readonly string[]): EvalArgs {
  const { help, values } = parseCommand(args, EVAL_FLAGS);
  if (!help && !values.run) throw new UsageError("--run DIR is required");
  return { ...values, help };
}

/**
 * The file an evaluation is written to inside the run folder: `eval.json`
 * or `eval-<split>.json` for the run's own data (`data` null), else
 * `eval-<split>-<name>-<first 8 digits of the data hash>.json`: the name
 * alone (meta.json's) is shared by e.g. two seeds of one generator.
 */
export function evalFileName(
  split: Split,
  data: { name: string; hash: string } | null,
): string {
  if (data === null) {
    return split === "test" ? "eval.json" : `eval-${split}.json`;
  }
  const safe = fileSlug(data.name);
  return `eval-${split}-${safe}-${data.hash.slice(0, 8)}.json`;
}

/** Runs the eval command; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  const parsed = commandLine(args, {
    prefix: "deno task eval",
    usage: USAGE,
    parse: parseEvalArgs,
  });
  if (typeof parsed === "number") return parsed;
  try {
    // Relative to where the user typed them, not to the repository root.
    const dir = userPath(parsed.run as string);
    const result = await evaluateRun(dir, {
      data: parsed.data === undefined ? undefined : userPath(parsed.data),
      split: parsed.split,
      ann: parsed.ann,
      backend: parsed.backend,
      allowOtherData: parsed.allowOtherData,
    });
    for (const w of result.warnings as string[]) {
      console.error(`warning: ${w}`);
    }
    // Other data never writes the run's own eval.json / eval-<split>.json.
    const data = result.dataset as { name: string; hash: string };
    const file = joinPath(
      dir,
      evalFileName(parsed.split, result.otherData ? data : null),
    );
    await writeTextAtomic(file, stableJson(result) + "\n");
    const br = result.batchRecall as { recall: Record<string, number> };
    const fc = result.fullCorpus as {
      recall: Record<string, number>;
      ndcg: Record<string, number>;
      mrr: number;
    };
    console.log(
      `${shownPath(file)}: ${parsed.split} split, step ${result.step}${
        result.weightsStep !== result.step
          ? ` (weights of step ${result.weightsStep}, the best on the valid split: early stopping)`
          : ""
      }`,
    );
    console.log(
      `batch recall ${
        Object.entries(br.recall).map(([k, v]) => `@${k} ${v.toFixed(4)}`).join(
          ", ",
        )
      }`,
    );
    console.log(
      `full corpus recall ${
        Object.entries(fc.recall).map(([k, v]) => `@${k} ${v.toFixed(4)}`).join(
          ", ",
        )
      }; NDCG@10 ${(fc.ndcg[10] ?? NaN).toFixed(4)}; MRR ${fc.mrr.toFixed(4)}`,
    );
    return 0;
  } catch (err) {
    console.error(`deno task eval: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
