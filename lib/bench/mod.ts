/**
 * The benchmarks: `deno task bench` (`runBench`: training steps/s of fixed
 * vs adaptive losses on the DSSM reference model, encode throughput,
 * IVF-PQ, the process's memory), its report and command line, the kernel
 * profile of `deno task bench --profile-kernels` (`runKernelProfile`:
 * step times and per-kernel times of each tower's training step, DSSM and
 * MGDSPR unless `--towers` names others, a roofline, memory).
 *
 * ```ts
 * import { formatBench, runBench } from "./mod.ts";
 * console.log(formatBench(await runBench({ profile: "quick" })));
 * ```
 *
 * @module
 */

export * from "./result.ts";
export * from "./bench.ts";
export * from "./memory.ts";
export { formatBench, type FormatReportOptions, table } from "./format.ts";
export * from "./kernels.ts";
export * from "./kernel_stats.ts";
export * from "./kernels_format.ts";
export * from "./cli.ts";
