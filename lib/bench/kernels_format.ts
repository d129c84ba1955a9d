/**
 * The human-readable report of `deno task bench --profile-kernels`
 * (`formatKernelProfile`).
 *
 * @module
 */

import {
  f0,
  f1,
  f2,
  type FormatReportOptions,
  reportHead,
  table,
} from "./format.ts";
import { formatMemory } from "./memory.ts";
import type { KernelProfileResult, TowerProfile } from "./kernels.ts";
import { type KernelRow, type MachinePeak, PHASES } from "./kernel_stats.ts";

/** Kernel names listed per tower before the rest are summed into one row. */
export const TOP_NAMES = 20;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function phaseCells(ms: Record<string, number>): string[] {
  return PHASES.map((p) => f1(ms[p]));
}

/** The machine-peak line. */
export function formatPeak(p: MachinePeak, backend: string): string {
  return `machine peak on ${backend}: matMul ${p.matMulN}³ ${
    f1(p.matMulGflops)
  } GFLOP/s (best of ${p.reps}: ${f1(p.matMulMs)} ms); tf.add of ${
    f1(p.floats / 1e6)
  }M floats ${f1(p.addGbps)} GB/s; JS Float32Array copy ${
    f1(p.copyGbps)
  } GB/s; a new Float32Array written once (fresh memory) ${
    f2(p.freshGbps)
  } GB/s`;
}

function kernelTable(t: TowerProfile): string[] {
  const shown = t.byName.slice(0, TOP_NAMES);
  const rest = t.byName.slice(TOP_NAMES);
  const row = (r: KernelRow): string[] => [
    r.name,
    ...phaseCells(r.ms),
    f1(r.totalMs),
    pct(r.share),
    f1(r.calls),
    f0(r.flops / 1e6),
    f0(r.bytes / 1e6),
  ];
  const rows = shown.map(row);
  if (rest.length > 0) {
    const ms: Record<string, number> = {};
    for (const p of PHASES) ms[p] = rest.reduce((s, r) => s + r.ms[p], 0);
    const sum = (k: "totalMs" | "share" | "calls" | "flops" | "bytes") =>
      rest.reduce((s, r) => s + r[k], 0);
    rows.push([
      `(${rest.length} other kernels)`,
      ...phaseCells(ms),
      f1(sum("totalMs")),
      pct(sum("share")),
      f1(sum("calls")),
      f0(sum("flops") / 1e6),
      f0(sum("bytes") / 1e6),
    ]);
  }
  const outside: Record<string, number> = {};
  for (const ph of t.phases) outside[ph.phase] = ph.outsideMs;
  const step = t.phases[t.phases.length - 1];
  rows.push([
    "(outside tfjs ops: JS, copies, GC)",
    ...phaseCells(outside),
    f1(step.outsideMs),
    pct(step.outsideMs / t.stepMs),
    "",
    "",
    "",
  ]);
  return table(
    [
      "kernel",
      "forward",
      "backward",
      "adam",
      "total ms",
      "share",
      "calls",
      "MFLOP",
      "MB",
    ],
    rows,
  );
}

function towerLines(t: TowerProfile): string[] {
  const out: string[] = [];
  out.push(
    `== ${t.kind} (${f2(t.weights / 1e6)}M weights), batch ${t.batchSize} ==`,
  );
  out.push(
    `step: ${f1(t.stepMs)} ms wall profiled (mean; median ${
      f1(t.profiled.medianMs)
    }, min ${f1(t.profiled.minMs)}, max ${
      f1(t.profiled.maxMs)
    }), unprofiled median ${f1(t.unprofiled.medianMs)} ms; process CPU ${
      f1(t.cpuMs)
    } ms per step (all threads); loss ${f2(t.loss[0])}→${f2(t.loss[1])}`,
  );
  out.push(
    "Wall ms per phase: inside tfjs kernels, inside customGrad ops (JavaScript), outside any op; outside = reads from the backend (dataSync), uploads to it, other (JavaScript such as gradient functions, fresh memory, the tape, GC)",
  );
  out.push(...table(
    [
      "phase",
      "wall ms",
      "tfjs kernels",
      "customGrad JS",
      "outside ops",
      "share",
      "reads",
      "MB",
      "uploads",
      "MB",
      "other",
    ],
    t.phases.map((p) => [
      p.phase,
      f1(p.wallMs),
      f1(p.kernelMs),
      f1(p.customMs),
      f1(p.outsideMs),
      pct(p.wallMs > 0 ? p.outsideMs / p.wallMs : 0),
      f1(p.readMs),
      f1(p.readBytes / 1e6),
      f1(p.writeMs),
      f1(p.writeBytes / 1e6),
      f1(p.otherMs),
    ]),
  ));
  out.push(
    `adam's outside time includes ${
      f1(t.readBackMs)
    } ms reading the last weight [${t.readBackShape}] back (dataSync, as the bench's steps do to wait for the update)`,
  );
  out.push("");
  out.push(
    "Kernels by name: self ms per step and phase (a customGrad op's own kernels count under their names), share of the step, calls, estimated MFLOP and MB moved per step",
  );
  out.push(...kernelTable(t));
  out.push("");
  out.push(`Top ${t.byShape.length} kernels by name and shapes`);
  out.push(...table(
    ["kernel", "shapes", "forward", "backward", "adam", "share", "calls"],
    t.byShape.map((r) => [
      r.name,
      r.shapes ?? "",
      ...phaseCells(r.ms),
      pct(r.share),
      f1(r.calls),
    ]),
  ));
  const rf = t.roofline;
  out.push("");
  out.push(
    `roofline: step ${f2(rf.flops / 1e9)} GFLOP, ${
      f2(rf.bytes / 1e9)
    } GB moved (tfjs kernels by their shapes; the customGrad ops' ${
      f1(rf.customMs)
    } ms excluded), ${f1(rf.stepMs)} ms → ${f2(rf.gflops)} GFLOP/s (${
      pct(rf.flopShare)
    } of the matMul peak ${f1(rf.peakGflops)}), ${f2(rf.gbps)} GB/s (${
      pct(rf.bandwidthShare)
    } of the best of tf.add and JS copy, ${f1(rf.peakGbps)} GB/s)`,
  );
  out.push(
    `  inside the kernels alone (${f1(rf.kernelMs)} ms): ${
      f2(rf.kernelGflops)
    } GFLOP/s, ${f2(rf.kernelGbps)} GB/s; ${
      f2(rf.intensity)
    } FLOP/byte; at the peaks these kernels would take ${f1(rf.boundMs)} ms`,
  );
  out.push(
    `memory: tfjs tensors peak ${
      f0(t.tensorPeakBytes / 1e6)
    } MB during a step; after the steps: ${formatMemory(t.memory)}`,
  );
  return out;
}

/** The human-readable report of a {@link KernelProfileResult}. */
export function formatKernelProfile(
  r: KernelProfileResult,
  options: FormatReportOptions = {},
): string {
  const p = r.params;
  const out = reportHead(r.backend, options);
  out.push(
    `Kernel profile of a training step: tower forward, fixed softmax τ=1/${
      f0(1 / p.softmaxTemperature)
    } with the batch's accidental-hit mask, backward (tf.variableGrads), Adam lr ${p.lr} over every weight; ${r.dataset.name}, ${r.dataset.items} items; per tower ${p.warmup} warm-up, ${p.steps} unprofiled and ${p.steps} profiled steps. Times are wall clock, ms per step (mean of the profiled steps), self time per kernel.`,
  );
  out.push(formatPeak(r.peak, r.backend.name));
  for (const t of r.towers) {
    out.push("");
    out.push(...towerLines(t));
  }
  out.push("");
  out.push(`at the end: ${formatMemory(r.memory)}`);
  return out.join("\n");
}
