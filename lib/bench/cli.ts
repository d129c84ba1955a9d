/**
 * `deno task bench [--quick] [--backend auto|node|wasm|cpu] [--steps N] …`:
 * the command line of the benchmark (`bench.ts`); prints the report
 * (`format.ts`) and, with `--json FILE`, writes the result. With
 * `--profile-kernels` it runs the kernel profile (`kernels.ts`,
 * `kernels_format.ts`) instead. Exit status: 0 done, 1 failed, 2 bad
 * command line.
 *
 * @module
 */

import {
  BACKEND_REQUESTS,
  formatBackendInfo,
  initBackend,
} from "../backend/mod.ts";
import {
  commandLine,
  DEFAULT_BATCH_SIZE,
  DEFAULT_SEED,
  flagName,
  type FlagTable,
  flagUsage,
  isRecord,
  parseCommand,
  stableJson,
  UsageError,
  writeTextAtomic,
} from "../data/mod.ts";
import { DEFAULT_ENCODE_BATCH, runBench } from "./bench.ts";
import { formatBench } from "./format.ts";
import type { BenchOptions } from "./result.ts";
import { PROFILED_TOWERS, runKernelProfile } from "./kernels.ts";
import { TOWER_KINDS, type TowerKind } from "../towers/mod.ts";
import { formatKernelProfile } from "./kernels_format.ts";

// ---------------------------------------------------------------------------
// Command line

/** The command line's parsed options plus where to write JSON. */
export interface BenchArgs {
  /** Options for {@link runBench}. */
  options: BenchOptions;
  /** `--json FILE`, or null. */
  json: string | null;
  /** `--profile-kernels`: run the kernel profile instead of the bench. */
  profileKernels: boolean;
  /** `--towers`: the towers the kernel profile runs (default its own). */
  towers?: TowerKind[];
  /** `--help` was given. */
  help: boolean;
}

/** The flags of `deno task bench`, each declared once (usage and checks). */
export const BENCH_FLAGS = {
  quick: {
    type: "boolean",
    doc: "the quick profile: a small catalogue and few steps (CI)",
  },
  backend: {
    type: "choice",
    choices: BACKEND_REQUESTS,
    doc: "tfjs backend",
    defaultText: "$ADAPTIVE_RETRIEVAL_BACKEND, else auto",
  },
  steps: {
    type: "integer",
    arg: "N",
    min: 1,
    doc:
      "timed training steps per loss (with --profile-kernels: profiled steps)",
    defaultText: "the profile's",
  },
  warmup: {
    type: "integer",
    arg: "N",
    min: 0,
    doc: "untimed warm-up steps before them",
    defaultText: "the profile's",
  },
  items: {
    type: "integer",
    arg: "N",
    min: 1,
    doc: "catalogue size",
    defaultText: "the profile's",
  },
  queries: {
    type: "integer",
    arg: "N",
    min: 1,
    doc: "test queries encoded and searched, at most",
    defaultText: "all of the split",
  },
  nlist: {
    type: "integer",
    arg: "N",
    min: 1,
    doc: "IVF lists",
    defaultText: "the largest power of two ≤ 2√n, at most 256",
  },
  batch: {
    type: "integer",
    arg: "N",
    min: 2,
    default: DEFAULT_BATCH_SIZE,
    doc: "training batch size",
  },
  encodeBatch: {
    type: "integer",
    arg: "N",
    min: 1,
    default: DEFAULT_ENCODE_BATCH,
    doc: "encoding batch size",
  },
  tower: {
    type: "string",
    arg: "JSON",
    doc: "DSSM settings over its defaults, a JSON object",
  },
  seed: {
    type: "integer",
    arg: "N",
    default: DEFAULT_SEED,
    doc: "seed of data, weights, random embeddings and index",
  },
  run: {
    type: "string",
    arg: "DIR",
    doc:
      "also measure IVF-PQ on a trained run's item and test-query embeddings",
  },
  runData: {
    type: "string",
    arg: "DIR",
    doc: "that run's dataset folder",
    defaultText: "its config's data",
  },
  threads: {
    type: "integer",
    arg: "N",
    min: 1,
    max: 2,
    default: 2,
    doc: "1: the reference steps on one thread only; 2: also on two workers",
  },
  json: { type: "string", arg: "FILE", doc: "also write the result as JSON" },
  profileKernels: {
    type: "boolean",
    doc:
      "instead of the bench: per-kernel times (forward, backward, Adam), time outside tfjs ops, step times, a roofline against the measured matMul and copy peaks, and memory, for each tower's training step (--tower: DSSM settings)",
  },
  towers: {
    type: "strings",
    arg: "KIND",
    doc:
      `with --profile-kernels: the towers profiled, in order (repeatable, or a,b): ${
        TOWER_KINDS.join(", ")
      }`,
    defaultText: PROFILED_TOWERS.join(","),
  },
} as const satisfies FlagTable;

const USAGE =
  `usage: deno task bench [--quick] [--backend NAME] [--steps N] [--warmup N]
       [--items N] [--queries N] [--nlist N] [--batch N] [--encode-batch N]
       [--tower JSON] [--seed N] [--run DIR [--run-data DIR]] [--threads 1|2]
       [--json FILE]
       deno task bench --profile-kernels [--towers KIND,…] [--quick]
       [--backend NAME] [--steps N] [--warmup N] [--items N] [--batch N]
       [--tower JSON] [--seed N] [--json FILE]

${flagUsage(BENCH_FLAGS)}`;

// Flags of the bench that the kernel profile does not use.
const NOT_PROFILE = [
  "queries",
  "nlist",
  "encodeBatch",
  "run",
  "runData",
  "threads",
] as const;

/**
 * Parses the command line (without the program name). Throws a
 * {@link UsageError} naming the flag on bad input.
 */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  const { help, values: v, given } = parseCommand(args, BENCH_FLAGS);
  for (const name of v.profileKernels ? NOT_PROFILE : []) {
    if (given.has(name)) {
      throw new UsageError(
        `--${flagName(name)} does not apply to --profile-kernels`,
      );
    }
  }
  if (given.has("towers") && !v.profileKernels) {
    throw new UsageError("--towers applies only to --profile-kernels");
  }
  const towers = v.towers?.flatMap((t) => t.split(","));
  for (const kind of towers ?? []) {
    if (!(TOWER_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(
        `--towers: unknown tower '${kind}' (expected ${
          TOWER_KINDS.join(", ")
        })`,
      );
    }
  }
  let tower: Record<string, unknown> | undefined;
  if (v.tower !== undefined) {
    try {
      tower = JSON.parse(v.tower);
    } catch (err) {
      throw new UsageError(`--tower is not JSON: ${(err as Error).message}`);
    }
    if (!isRecord(tower)) {
      throw new UsageError("--tower must be a JSON object of DSSM settings");
    }
  }
  return {
    options: {
      backend: v.backend,
      profile: v.quick ? "quick" : "full",
      steps: v.steps,
      warmup: v.warmup,
      items: v.items,
      queries: v.queries,
      nlist: v.nlist,
      batchSize: v.batch,
      encodeBatch: v.encodeBatch,
      tower,
      seed: v.seed,
      run: v.run,
      runData: v.runData,
      threads: v.threads === 1 ? 1 : 2,
    },
    json: v.json ?? null,
    profileKernels: v.profileKernels,
    towers: towers as TowerKind[] | undefined,
    help,
  };
}

/** Where {@link main} writes. */
export interface MainIo {
  /** The report (default console.log). */
  out?: (line: string) => void;
  /** Progress and errors (default console.error). */
  err?: (line: string) => void;
}

/**
 * The command: parses `args`, runs the bench, prints the report, writes
 * `--json` atomically. Returns the exit status (0 done, 1 failed, 2 bad
 * command line).
 */
export async function main(
  args: readonly string[],
  io: MainIo = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => console.log(s));
  const err = io.err ?? ((s: string) => console.error(s));
  const parsed = commandLine(args, {
    prefix: "deno task bench",
    usage: USAGE,
    parse: parseBenchArgs,
    out,
    err,
  });
  if (typeof parsed === "number") return parsed;
  try {
    const info = await initBackend({
      backend: parsed.options.backend,
      quiet: true,
    });
    out(formatBackendInfo(info));
    const o = parsed.options;
    const progress = (s: string) => err(`[bench] ${s}`);
    let result: unknown;
    if (parsed.profileKernels) {
      const profile = await runKernelProfile({
        backend: o.backend,
        profile: o.profile,
        steps: o.steps,
        warmup: o.warmup,
        batchSize: o.batchSize,
        items: o.items,
        seed: o.seed,
        kinds: parsed.towers,
        overrides: o.tower ? { dssm: o.tower } : undefined,
        progress,
      });
      out(formatKernelProfile(profile, { backendLine: false }));
      result = profile;
    } else {
      const bench = await runBench({ ...o, progress });
      out(formatBench(bench, { backendLine: false }));
      result = bench;
    }
    if (parsed.json !== null) {
      await writeTextAtomic(parsed.json, stableJson(result) + "\n");
      err(`[bench] wrote ${parsed.json}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof RangeError) {
      err(`deno task bench: ${e.message}`);
      return 2;
    }
    err(`deno task bench failed: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
