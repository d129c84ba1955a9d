/**
 * The arithmetic of the kernel profile (`kernels.ts`), on plain records:
 * kernel calls aggregated by name (or name and shapes) and by phase, the
 * FLOPs and bytes each call does by its shapes, and a roofline against a
 * measured machine peak. Nothing here runs tfjs.
 *
 * The estimates, per call:
 * - FLOPs: matrix products (`BatchMatMul`, `MatMul`, `_FusedMatMul`)
 *   2·M·N·K per batch entry; reductions ({@link REDUCTIONS}) the size of
 *   their first input; data movement ({@link DATA_MOVEMENT}) none; every
 *   other kernel (element-wise: Adam's passes, activations, the loss) one
 *   per output element.
 * - bytes moved: 4 bytes per element of every input and output (float32
 *   and int32 alike), none for `Reshape`, `ExpandDims` and `Squeeze`
 *   (views).
 * - customGrad ops (JavaScript inside a tfjs op: the towers' embedding
 *   bags): neither FLOPs nor bytes, since their shapes say nothing of the
 *   rows they read; their time still counts in the step.
 *
 * @module
 */

/** The phases of a training step, in order. */
export const PHASES = ["forward", "backward", "adam"] as const;

/** A phase of a training step: the loss's forward pass, backpropagation, the optimiser. */
export type Phase = typeof PHASES[number];

/** One kernel call of a profiled step. */
export interface KernelCall {
  /** Registered kernel name, or `custom:<scope>` for a customGrad op's forward function. */
  name: string;
  /** A customGrad op (JavaScript), not a registered kernel. */
  custom: boolean;
  /** Phase of the step it ran in. */
  phase: Phase;
  /**
   * Self time, ms: the call's time less that of the calls nested in it (a
   * customGrad op's own kernels, counted under their own names).
   */
  ms: number;
  /** Shapes of its inputs (null for an absent input). */
  inputShapes: (number[] | null)[];
  /** Shapes of its outputs. */
  outputShapes: number[][];
}

/** Kernels whose FLOPs are taken as the size of their first input. */
export const REDUCTIONS: ReadonlySet<string> = new Set([
  "Sum",
  "Max",
  "Min",
  "Mean",
  "Prod",
  "All",
  "Any",
  "ArgMax",
  "ArgMin",
  "Softmax",
  "LogSoftmax",
  "UnsortedSegmentSum",
  "Cumsum",
  "Cumprod",
]);

/** Kernels that only move or copy data (no FLOPs). */
export const DATA_MOVEMENT: ReadonlySet<string> = new Set([
  "Reshape",
  "ExpandDims",
  "Squeeze",
  "Identity",
  "Transpose",
  "Unpack",
  "Pack",
  "Concat",
  "Slice",
  "StridedSlice",
  "Cast",
  "Fill",
  "Tile",
  "GatherV2",
  "GatherNd",
  "ScatterNd",
  "OnesLike",
  "ZerosLike",
  "Reverse",
  "BroadcastTo",
  "PadV2",
  "MirrorPad",
  "SplitV",
  "Range",
  "OneHot",
]);

const MATMULS: ReadonlySet<string> = new Set([
  "BatchMatMul",
  "MatMul",
  "_FusedMatMul",
]);

const VIEWS: ReadonlySet<string> = new Set([
  "Reshape",
  "ExpandDims",
  "Squeeze",
]);

function size(shape: readonly number[] | null): number {
  if (shape === null) return 0;
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Estimated floating-point operations of one call (see the module documentation). */
export function callFlops(call: KernelCall): number {
  if (call.custom || DATA_MOVEMENT.has(call.name)) return 0;
  if (MATMULS.has(call.name)) {
    const a = call.inputShapes[0];
    const out = call.outputShapes[0];
    if (!a || !out || a.length < 2 || out.length < 2) return 0;
    const m = out[out.length - 2];
    const n = out[out.length - 1];
    // K is the dimension of `a` that is not M (a may be transposed).
    const k = a[a.length - 2] === m ? a[a.length - 1] : a[a.length - 2];
    return 2 * size(out.slice(0, -2)) * m * n * k;
  }
  if (REDUCTIONS.has(call.name)) return size(call.inputShapes[0] ?? null);
  return call.outputShapes.reduce((s, o) => s + size(o), 0);
}

/** Estimated bytes one call reads and writes (4 per element; none for a view or a customGrad op). */
export function callBytes(call: KernelCall): number {
  if (call.custom || VIEWS.has(call.name)) return 0;
  const elements = call.inputShapes.reduce((s, i) => s + size(i), 0) +
    call.outputShapes.reduce((s, o) => s + size(o), 0);
  return 4 * elements;
}

/** Shapes of a call as `[a,b] [c] → [d,e]`. */
export function shapesKey(call: KernelCall): string {
  const f = (s: readonly number[] | null) => s === null ? "-" : `[${s}]`;
  return `${call.inputShapes.map(f).join(" ")} → ${
    call.outputShapes.map(f).join(" ")
  }`;
}

/** Kernels of one name (or name and shapes), per step. */
export interface KernelRow {
  /** Kernel name (`custom:<scope>` for a customGrad op). */
  name: string;
  /** Input and output shapes, when rows are by shape; else null. */
  shapes: string | null;
  /** A customGrad op. */
  custom: boolean;
  /** Self ms per step in each phase. */
  ms: Record<Phase, number>;
  /** Self ms per step, all phases. */
  totalMs: number;
  /** totalMs / the step's ms. */
  share: number;
  /** Calls per step. */
  calls: number;
  /** Estimated FLOPs per step. */
  flops: number;
  /** Estimated bytes moved per step. */
  bytes: number;
}

const zeroPhases = (): Record<Phase, number> => ({
  forward: 0,
  backward: 0,
  adam: 0,
});

/**
 * Sums `calls` (recorded over `steps` steps) by kernel name, or by name and
 * shapes, into per-step rows sorted by time, largest first; `share` is of
 * `stepMs`, the mean step time.
 */
export function aggregateCalls(
  calls: readonly KernelCall[],
  options: { steps: number; stepMs: number; by?: "name" | "shapes" },
): KernelRow[] {
  const { steps, stepMs } = options;
  if (!(steps > 0)) throw new RangeError(`aggregateCalls: steps = ${steps}`);
  const byShape = options.by === "shapes";
  const rows = new Map<string, KernelRow>();
  for (const c of calls) {
    const shapes = byShape ? shapesKey(c) : null;
    const key = shapes === null ? c.name : `${c.name} ${shapes}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        name: c.name,
        shapes,
        custom: c.custom,
        ms: zeroPhases(),
        totalMs: 0,
        share: 0,
        calls: 0,
        flops: 0,
        bytes: 0,
      };
      rows.set(key, r);
    }
    r.ms[c.phase] += c.ms / steps;
    r.totalMs += c.ms / steps;
    r.calls += 1 / steps;
    r.flops += callFlops(c) / steps;
    r.bytes += callBytes(c) / steps;
  }
  const out = [...rows.values()];
  for (const r of out) r.share = stepMs > 0 ? r.totalMs / stepMs : 0;
  return out.sort((a, b) => b.totalMs - a.totalMs);
}

/**
 * A copy between JavaScript and the backend made outside any kernel: a
 * read (`dataSync`, the backend's `readSync`) or an upload (`tf.tensor`,
 * `tf.zeros`: the backend's `write`).
 */
export interface Transfer {
  /** Which way. */
  kind: "read" | "write";
  /** Phase of the step it happened in. */
  phase: Phase;
  /** Its time, ms. */
  ms: number;
  /** Bytes copied. */
  bytes: number;
}

/** Where one phase's (or the whole step's) wall time went, ms per step. */
export interface PhaseRow {
  /** The phase, or "step" for the sum. */
  phase: Phase | "step";
  /** Wall ms of the phase. */
  wallMs: number;
  /** Self ms inside registered tfjs kernels. */
  kernelMs: number;
  /** Self ms inside customGrad ops' forward functions (JavaScript). */
  customMs: number;
  /**
   * wallMs − kernelMs − customMs: outside any tfjs op (JavaScript such as
   * gradient functions, tensor uploads and `dataSync` copies, tape
   * bookkeeping, garbage collection).
   */
  outsideMs: number;
  /** Of outsideMs: reads from the backend outside kernels (`dataSync`). */
  readMs: number;
  /** Bytes those reads copied. */
  readBytes: number;
  /** Of outsideMs: uploads to the backend outside kernels. */
  writeMs: number;
  /** Bytes those uploads copied. */
  writeBytes: number;
  /** outsideMs − readMs − writeMs: other JavaScript, the tape, GC. */
  otherMs: number;
}

const PHASE_SUMS = [
  "wallMs",
  "kernelMs",
  "customMs",
  "outsideMs",
  "readMs",
  "readBytes",
  "writeMs",
  "writeBytes",
  "otherMs",
] as const;

/**
 * Splits each phase's wall time (`wallMs`, mean ms per step) into tfjs
 * kernels, customGrad ops and the rest, and the rest into reads, uploads
 * (`transfers`, default none) and other time, from `calls` and
 * `transfers` recorded over `steps` steps; the last row, "step", sums the
 * phases.
 */
export function phaseRows(
  calls: readonly KernelCall[],
  options: {
    steps: number;
    wallMs: Record<Phase, number>;
    transfers?: readonly Transfer[];
  },
): PhaseRow[] {
  const { steps } = options;
  const kernel = zeroPhases();
  const custom = zeroPhases();
  for (const c of calls) {
    (c.custom ? custom : kernel)[c.phase] += c.ms / steps;
  }
  const ms = { read: zeroPhases(), write: zeroPhases() };
  const bytes = { read: zeroPhases(), write: zeroPhases() };
  for (const t of options.transfers ?? []) {
    ms[t.kind][t.phase] += t.ms / steps;
    bytes[t.kind][t.phase] += t.bytes / steps;
  }
  const rows: PhaseRow[] = PHASES.map((p) => {
    const outsideMs = options.wallMs[p] - kernel[p] - custom[p];
    return {
      phase: p,
      wallMs: options.wallMs[p],
      kernelMs: kernel[p],
      customMs: custom[p],
      outsideMs,
      readMs: ms.read[p],
      readBytes: bytes.read[p],
      writeMs: ms.write[p],
      writeBytes: bytes.write[p],
      otherMs: outsideMs - ms.read[p] - ms.write[p],
    };
  });
  const step = { phase: "step" } as PhaseRow;
  for (const k of PHASE_SUMS) step[k] = rows.reduce((s, r) => s + r[k], 0);
  rows.push(step);
  return rows;
}

/** The machine's measured peaks on the backend in use. */
export interface MachinePeak {
  /** Side n of the n × n × n matMul timed. */
  matMulN: number;
  /** Its best time, ms. */
  matMulMs: number;
  /** 2n³ / best time, GFLOP/s. */
  matMulGflops: number;
  /** Elements of each operand of the timed `tf.add` and JS copy. */
  floats: number;
  /** tf.add's best time, ms. */
  addMs: number;
  /** 3 × 4 × floats / its best time (two reads, one write), GB/s. */
  addGbps: number;
  /** `Float32Array.set`'s best time, ms. */
  copyMs: number;
  /** 2 × 4 × floats / its best time (one read, one write), GB/s. */
  copyGbps: number;
  /**
   * Best time of a new `Float32Array` of `floats` written once, ms: memory
   * the process has not touched yet, as every `dataSync()` and `tf.zeros`
   * of a large tensor gets.
   */
  freshMs: number;
  /** 4 × floats / freshMs, GB/s. */
  freshGbps: number;
  /** Timed repetitions of each (after one warm-up). */
  reps: number;
}

/** A step against the machine's peaks. */
export interface Roofline {
  /** Estimated FLOPs per step (tfjs kernels; customGrad ops excluded). */
  flops: number;
  /** Estimated bytes moved per step (same kernels). */
  bytes: number;
  /** flops / bytes. */
  intensity: number;
  /** The step's mean wall ms. */
  stepMs: number;
  /** Self ms per step in the kernels counted. */
  kernelMs: number;
  /** Self ms per step in the customGrad ops (not counted). */
  customMs: number;
  /** flops / step time, GFLOP/s. */
  gflops: number;
  /** bytes / step time, GB/s. */
  gbps: number;
  /** flops / kernel time, GFLOP/s. */
  kernelGflops: number;
  /** bytes / kernel time, GB/s. */
  kernelGbps: number;
  /** The matMul peak, GFLOP/s. */
  peakGflops: number;
  /** The better of tf.add's and the JS copy's bandwidth, GB/s. */
  peakGbps: number;
  /** gflops / peakGflops. */
  flopShare: number;
  /** gbps / peakGbps. */
  bandwidthShare: number;
  /**
   * max(flops / peak FLOP/s, bytes / peak bandwidth), ms: the step's time
   * if every counted kernel ran at the measured peak.
   */
  boundMs: number;
}

/** The roofline of a step from its per-step kernel rows (by name or by shapes). */
export function roofline(
  rows: readonly KernelRow[],
  options: { stepMs: number; peak: MachinePeak },
): Roofline {
  const { stepMs, peak } = options;
  let flops = 0, bytes = 0, kernelMs = 0, customMs = 0;
  for (const r of rows) {
    if (r.custom) {
      customMs += r.totalMs;
      continue;
    }
    flops += r.flops;
    bytes += r.bytes;
    kernelMs += r.totalMs;
  }
  const peakGflops = peak.matMulGflops;
  const peakGbps = Math.max(peak.addGbps, peak.copyGbps);
  // FLOP/ms = 1e-6 GFLOP/s.
  const gflops = flops / stepMs / 1e6;
  const gbps = bytes / stepMs / 1e6;
  return {
    flops,
    bytes,
    intensity: bytes > 0 ? flops / bytes : 0,
    stepMs,
    kernelMs,
    customMs,
    gflops,
    gbps,
    kernelGflops: kernelMs > 0 ? flops / kernelMs / 1e6 : 0,
    kernelGbps: kernelMs > 0 ? bytes / kernelMs / 1e6 : 0,
    peakGflops,
    peakGbps,
    flopShare: gflops / peakGflops,
    bandwidthShare: gbps / peakGbps,
    boundMs: Math.max(flops / peakGflops, bytes / peakGbps) / 1e6,
  };
}
