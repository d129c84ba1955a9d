/**
 * The benchmarks: `deno task bench` (`runBench`: training steps/s of fixed
 * vs adaptive losses on the DSSM reference model, encode throughput,
 * IVF-PQ, the process's memory), its report and command line, the kernel
 * profile of `deno task bench --profile-kernels` (`runKernelProfile`:
 * per-kernel times of the DSSM and MGDSPR steps, a roofline, memory), and
 * `towers.ts`, the step time of each tower (`deno run -A
 * lib/bench/towers.ts`).
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
  type StepParams,
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
export { formatBench, type FormatReportOptions, table } from "./format.ts";
export {
  KERNEL_PROFILE_FORMAT,
  type KernelProfileOptions,
  type KernelProfileResult,
  measurePeak,
  type MeasurePeakOptions,
  profileCalls,
  type ProfiledCalls,
  profileStep,
  type ProfileStepOptions,
  runKernelProfile,
  type StepProfile,
  TOP_SHAPES,
  type TowerProfile,
} from "./kernels.ts";
export {
  aggregateCalls,
  callBytes,
  callFlops,
  DATA_MOVEMENT,
  type KernelCall,
  type KernelRow,
  type MachinePeak,
  type Phase,
  type PhaseRow,
  phaseRows,
  PHASES,
  REDUCTIONS,
  type Roofline,
  roofline,
  shapesKey,
  type Transfer,
} from "./kernel_stats.ts";
export {
  formatKernelProfile,
  formatPeak,
  TOP_NAMES,
} from "./kernels_format.ts";
export { type BenchArgs, main, type MainIo, parseBenchArgs } from "./cli.ts";
export { type StepTiming, timeStep, type TimeStepOptions } from "./towers.ts";
