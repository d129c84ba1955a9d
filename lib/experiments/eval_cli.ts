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
  choiceFlag,
  commandLine,
  joinPath,
  parseFlags,
  shownPath,
  type Split,
  SPLITS,
  stableJson,
  UsageError,
  userPath,
  writeTextAtomic,
} from "../data/mod.ts";
import { BACKEND_REQUESTS, type BackendRequest } from "../backend/mod.ts";
import { evaluateRun } from "./evaluate.ts";

const USAGE =
  `usage: deno task eval --run DIR [--data DIR] [--allow-other-data] [--split test|valid|train] [--ann] [--backend B]

  --run DIR      run folder written by deno task train
  --data DIR     evaluate on this dataset folder instead of the run's
                 (e.g. a copy of it elsewhere)
  --allow-other-data
                 accept data whose hash differs from the run's (another
                 dataset on purpose, e.g. transfer); the result says so
  --split S      split to evaluate (default test)
  --ann          also search through an IVF-PQ index
  --backend B    ${BACKEND_REQUESTS.join(" | ")} (default: the run's)
  -h, --help     this text`;

/** Parsed flags of the eval command. */
export interface EvalArgs {
  /** Run folder. */
  run?: string;
  /** Dataset override. */
  data?: string;
  /** Accept data other than the run's. */
  allowOtherData: boolean;
  /** Split. */
  split: Split;
  /** IVF-PQ too. */
  ann: boolean;
  /** Backend override. */
  backend?: BackendRequest;
  /** Print usage. */
  help: boolean;
}

/** Parses the command line; throws a {@link UsageError} on bad flags. */
export function parseEvalArgs(args: readonly string[]): EvalArgs {
  const { values } = parseFlags(args, {
    options: {
      run: { type: "string" },
      data: { type: "string" },
      "allow-other-data": { type: "boolean", default: false },
      split: { type: "string", default: "test" },
      ann: { type: "boolean", default: false },
      backend: { type: "string" },
    },
  });
  if (values.help) {
    return { split: "test", ann: false, allowOtherData: false, help: true };
  }
  if (!values.run) throw new UsageError("--run DIR is required");
  return {
    run: values.run,
    data: values.data,
    allowOtherData: values["allow-other-data"],
    split: choiceFlag("split", values.split, { choices: SPLITS }) as Split,
    ann: values.ann,
    backend: choiceFlag("backend", values.backend, {
      choices: BACKEND_REQUESTS,
    }),
    help: false,
  };
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
  const safe = data.name.replace(/[^A-Za-z0-9._-]+/g, "_");
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
