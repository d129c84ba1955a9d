/**
 * The benchmarks: `deno task bench` (`runBench`: training steps/s of fixed
 * vs adaptive losses on the DSSM reference model, encode throughput,
 * IVF-PQ), its report and command line, and `towers.ts`, the step time of
 * each tower (`deno run -A lib/bench/towers.ts`).
 *
 * ```ts
 * import { formatBench, runBench } from "./mod.ts";
 * console.log(formatBench(await runBench({ profile: "quick" })));
 * ```
 *
 * @module
 */

export {
  BENCH_FORMAT,
  BENCH_LOSSES,
  BENCH_NPROBES,
  type BenchLoss,
  type BenchOptions,
  type BenchResult,
  type EncodeBench,
  type IndexBench,
  type ProbeBench,
  type StepBench,
  type TablesMode,
  type Timing,
} from "./result.ts";
export { runBench } from "./bench.ts";
export {
  formatMemory,
  type MemorySample,
  memorySample,
  processCpuMs,
} from "./memory.ts";
export { formatBench, type FormatBenchOptions } from "./format.ts";
export { type BenchArgs, main, type MainIo, parseBenchArgs } from "./cli.ts";
export { type StepTiming, timeStep, type TimeStepOptions } from "./towers.ts";
