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
  choiceFlag,
  commandLine,
  intFlag,
  parseFlags,
  stableJson,
  UsageError,
  writeTextAtomic,
} from "../data/mod.ts";
import { runBench } from "./bench.ts";
import { formatBench } from "./format.ts";
import type { BenchOptions } from "./result.ts";
import { runKernelProfile } from "./kernels.ts";
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
  /** `--help` was given. */
  help: boolean;
}

const USAGE =
  `usage: deno task bench [--quick] [--backend auto|node|wasm|cpu] [--steps N] [--warmup N]
       [--items N] [--queries N] [--nlist N] [--batch N] [--encode-batch N]
       [--tower JSON] [--seed N] [--run DIR [--run-data DIR]] [--threads 1|2]
       [--json FILE]
       deno task bench --profile-kernels [--quick] [--backend B] [--steps N]
       [--warmup N] [--items N] [--batch N] [--tower JSON] [--seed N] [--json FILE]

  --run DIR        also measure IVF-PQ on a trained run's item and test-query embeddings
  --run-data DIR   that run's dataset folder (default: its config's data)
  --threads 1      the reference steps on one thread only (default 2: also
                   on two workers)
  --profile-kernels  instead of the bench: per-kernel times (forward, backward,
                   Adam), time outside tfjs ops, a roofline against the measured
                   matMul and copy peaks, and memory, for the DSSM and MGDSPR
                   steps (--tower: DSSM settings; --steps: profiled steps)`;

// Flags of the bench that the kernel profile does not use.
const NOT_PROFILE = [
  "queries",
  "nlist",
  "encode-batch",
  "run",
  "run-data",
  "threads",
];

/**
 * Parses the command line (without the program name). Throws a
 * {@link UsageError} naming the flag on bad input.
 */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  const v = parseFlags(args, {
    options: {
      backend: { type: "string" },
      steps: { type: "string" },
      warmup: { type: "string" },
      items: { type: "string" },
      queries: { type: "string" },
      nlist: { type: "string" },
      batch: { type: "string" },
      "encode-batch": { type: "string" },
      tower: { type: "string" },
      seed: { type: "string" },
      run: { type: "string" },
      "run-data": { type: "string" },
      json: { type: "string" },
      quick: { type: "boolean" },
      "profile-kernels": { type: "boolean" },
      threads: { type: "string" },
    },
  }).values;
  const profileKernels = v["profile-kernels"] ?? false;
  for (const flag of profileKernels ? NOT_PROFILE : []) {
    if ((v as Record<string, unknown>)[flag] !== undefined) {
      throw new UsageError(`--${flag} does not apply to --profile-kernels`);
    }
  }
  let tower: Record<string, unknown> | undefined;
  if (v.tower !== undefined) {
    try {
      tower = JSON.parse(v.tower);
    } catch (err) {
      throw new UsageError(`--tower is not JSON: ${(err as Error).message}`);
    }
    if (!tower || typeof tower !== "object" || Array.isArray(tower)) {
      throw new UsageError("--tower must be a JSON object of DSSM settings");
    }
  }
  return {
    options: {
      backend: choiceFlag("backend", v.backend, { choices: BACKEND_REQUESTS }),
      profile: v.quick ? "quick" : "full",
      steps: intFlag("steps", v.steps),
      warmup: intFlag("warmup", v.warmup),
      items: intFlag("items", v.items),
      queries: intFlag("queries", v.queries),
      nlist: intFlag("nlist", v.nlist),
      batchSize: intFlag("batch", v.batch),
      encodeBatch: intFlag("encode-batch", v["encode-batch"]),
      tower,
      seed: intFlag("seed", v.seed),
      run: v.run,
      runData: v["run-data"],
      threads: choiceFlag("threads", v.threads, { choices: ["1", "2"] }) ===
          "1"
        ? 1
        : 2,
    },
    json: v.json ?? null,
    profileKernels,
    help: v.help,
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
