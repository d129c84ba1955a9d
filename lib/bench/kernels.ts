/**
 * `deno task bench --profile-kernels`: where a reference training step's
 * time goes, kernel by kernel, for the DSSM and MGDSPR towers, and how far
 * the step is from the machine's peak.
 *
 * A step is the bench's (`steps.ts`): tower forward, the fixed softmax
 * loss (τ = 1/30, with the batch's accidental-hit mask), backward with
 * `tf.variableGrads`, then tfjs' Adam (lr 1e-3) over every weight (dense
 * tables), on real batches of the synthetic catalogue. After warm-up,
 * `steps` steps run unprofiled (their wall time shows what profiling
 * costs), then `steps` steps inside `tf.profile`, which records every
 * kernel call with its shapes and time. Two things are added to tfjs'
 * records:
 * - the phase of each call (forward, backward, Adam), set by the step
 *   itself when the loss's forward pass returns and when Adam starts;
 * - nesting: a customGrad op's forward function (JavaScript, e.g. the
 *   towers' embedding bags and `matMul`) is recorded with its nested
 *   kernels' time included; the profiler's `profileKernel` is wrapped for
 *   the duration of the profile to see which call runs inside which, so
 *   that every call gets its self time and nothing is counted twice.
 *
 * Per phase, wall time minus the time inside tfjs ops is the time outside
 * them: gradient functions in JavaScript (the embedding bags' backward),
 * uploads and `dataSync` copies (among them the step's read-back of its
 * last weight, also timed apart), the tape, garbage collection. The
 * backend's `readSync` and `write` are wrapped too, so that reads and
 * uploads outside kernels are timed and their bytes counted. Times are
 * wall clock (`performance.now()`); the process's CPU time per step (all
 * threads, `getrusage`) is reported beside them, since a loaded machine
 * inflates wall time.
 *
 * The machine's peaks are measured on the same backend after the towers:
 * the best of a few n × n × n `tf.matMul`s, of a large `tf.add` and of a
 * JavaScript `Float32Array` copy. FLOPs and bytes per call are estimated
 * from shapes (`kernel_stats.ts`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  type BackendInfo,
  type BackendRequest,
  initBackend,
} from "../backend/mod.ts";
import {
  type Dataset,
  DEFAULT_BATCH_SIZE,
  DEFAULT_SEED,
  generateSynthetic,
  type Profile,
  trainingPairs,
} from "../data/mod.ts";
import { mean } from "../eval/mod.ts";
import {
  type ScoreFunction,
  softmaxLossFromScores,
  withBatchScores,
} from "../losses/mod.ts";
import {
  createTower,
  type TowerConfigInput,
  type TowerKind,
} from "../towers/mod.ts";
import {
  resolveStepRun,
  SOFTMAX_TAU,
  stepParams,
  summarise,
  tensorBatches,
} from "./steps.ts";
import type { StepParams, Timing } from "./result.ts";
import { type MemorySample, memorySample, processCpuMs } from "./memory.ts";
import {
  aggregateCalls,
  type KernelCall,
  type KernelRow,
  type MachinePeak,
  type Phase,
  type PhaseRow,
  phaseRows,
  PHASES,
  type Roofline,
  roofline,
  type Transfer,
} from "./kernel_stats.ts";
import { DEFAULT_OPTIMIZER } from "../train/mod.ts";

/** Version of the JSON `--profile-kernels --json` writes. */
export const KERNEL_PROFILE_FORMAT = 1;

/** Rows of the by-shape list kept per tower. */
export const TOP_SHAPES = 15;

/** The profile of one tower's training step. */
export interface StepProfile {
  /** Tower kind. */
  kind: TowerKind;
  /** Trainable weights. */
  weights: number;
  /** Batch size. */
  batchSize: number;
  /** Warm-up steps, then this many unprofiled and as many profiled steps. */
  warmup: number;
  /** Profiled steps (and unprofiled ones). */
  steps: number;
  /** Wall ms of the unprofiled steps. */
  unprofiled: Timing;
  /** Wall ms of the profiled steps. */
  profiled: Timing;
  /** Mean wall ms of a profiled step: the base of every share. */
  stepMs: number;
  /** Mean process CPU ms (all threads, user + system) of a profiled step. */
  cpuMs: number;
  /**
   * Mean ms of the Adam phase spent reading the last weight back (its
   * `dataSync()`, which the bench's steps do to wait for asynchronous
   * backends): outside tfjs ops.
   */
  readBackMs: number;
  /** Shape of that weight. */
  readBackShape: number[];
  /** Wall ms per phase and step, split into kernels, customGrad ops, outside. */
  phases: PhaseRow[];
  /** Kernels by name, per step, largest first. */
  byName: KernelRow[];
  /** The {@link TOP_SHAPES} largest kernels by name and shapes. */
  byShape: KernelRow[];
  /** Peak bytes of live tfjs tensors during a profiled step (`tf.profile`'s peakBytes). */
  tensorPeakBytes: number;
  /** The process's memory after the tower's steps. */
  memory: MemorySample;
  /** Loss of the first and the last step. */
  loss: [number, number];
}

/** Options of {@link profileStep}. */
export interface ProfileStepOptions {
  /** Profiled steps, and as many unprofiled ones (default 5). */
  steps?: number;
  /** Untimed warm-up steps (default 2). */
  warmup?: number;
  /** Batch size (default 350). */
  batchSize?: number;
  /** Seed of weights and batches (default 1). */
  seed?: number;
  /** Settings over the kind's defaults (default none: the reference tower). */
  overrides?: Record<string, unknown>;
}

interface HookedCall {
  name: string;
  /** For a customGrad op: the function of the package that called it. */
  caller: string | null;
  phase: Phase;
  parent: number;
  startMs: number;
  endMs: number;
}

type ProfileKernelFn = (
  name: string,
  inputs: unknown,
  f: () => tf.Tensor[],
) => { timeMs: Promise<number | { error: string }> };

// The innermost function of the package's own code (outside node_modules
// and this file) on the stack, as `name (file.ts)`; tfjs records a
// customGrad op under the enclosing scope's name ("unnamed scope" inside a
// tidy), which does not say which op it is.
function callerName(): string | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = line.match(/at (?:(\S+) \()?(\S+?):\d+:\d+\)?$/);
    if (!m || m[2].includes("node_modules") || m[2].endsWith("/kernels.ts")) {
      continue;
    }
    const file = m[2].slice(m[2].lastIndexOf("/") + 1);
    const fn = (m[1] ?? "<anonymous>").replace(/^Object\./, "");
    return `${fn} (${file})`;
  }
  return null;
}

// Wraps the engine's profiler while `fn` runs to record, per kernel call in
// completion order (the order of tf.profile's records), its phase, its
// parent call (-1 at top level) and its wall interval.
type BackendCopy = {
  readSync(dataId: object, start?: number, end?: number): ArrayLike<unknown>;
  write(values: ArrayBufferView | null, shape: number[], dtype: string): object;
};

// Wraps the backend's readSync and write while `fn` runs, recording the
// ones made outside any kernel (`inKernel()` false).
async function withTransferHook<T>(
  hooks: { phase: () => Phase; inKernel: () => boolean },
  fn: () => Promise<T>,
): Promise<{ result: T; transfers: Transfer[] }> {
  const backend = tf.backend() as unknown as BackendCopy;
  const transfers: Transfer[] = [];
  const originals = { readSync: backend.readSync, write: backend.write };
  const own = {
    readSync: Object.hasOwn(backend, "readSync"),
    write: Object.hasOwn(backend, "write"),
  };
  const record = (kind: Transfer["kind"], t0: number, bytes: number) => {
    if (hooks.inKernel()) return;
    transfers.push({
      kind,
      phase: hooks.phase(),
      ms: performance.now() - t0,
      bytes,
    });
  };
  backend.readSync = (dataId, start, end) => {
    const t0 = performance.now();
    const out = originals.readSync.call(backend, dataId, start, end);
    const view = out as Partial<ArrayBufferView>;
    record("read", t0, view.byteLength ?? 4 * out.length);
    return out;
  };
  backend.write = (values, shape, dtype) => {
    const t0 = performance.now();
    const out = originals.write.call(backend, values, shape, dtype);
    record("write", t0, values?.byteLength ?? 0);
    return out;
  };
  try {
    return { result: await fn(), transfers };
  } finally {
    for (const k of ["readSync", "write"] as const) {
      if (own[k]) (backend as Record<string, unknown>)[k] = originals[k];
      else delete (backend as Partial<BackendCopy>)[k];
    }
  }
}

async function withCallHook<T>(
  phaseNow: () => Phase,
  fn: () => Promise<T>,
  depth: { inKernel: boolean } = { inKernel: false },
): Promise<{ result: T; calls: HookedCall[] }> {
  const profiler = (tf.engine() as unknown as {
    profiler?: { profileKernel: ProfileKernelFn };
  }).profiler;
  if (!profiler || typeof profiler.profileKernel !== "function") {
    throw new Error("profileStep: this tfjs engine has no profiler to wrap");
  }
  const original = profiler.profileKernel;
  const own = Object.hasOwn(profiler, "profileKernel");
  const calls: HookedCall[] = [];
  const stack: HookedCall[] = [];
  // Indices in `calls` are known only at completion; parents by object.
  const parentOf = new Map<HookedCall, HookedCall | null>();
  const backend = tf.getBackend();
  profiler.profileKernel = (name, inputs, f) => {
    const call: HookedCall = {
      name,
      caller: tf.getKernel(name, backend) === undefined ? callerName() : null,
      phase: phaseNow(),
      parent: -1,
      startMs: performance.now(),
      endMs: 0,
    };
    parentOf.set(call, stack.at(-1) ?? null);
    stack.push(call);
    depth.inKernel = true;
    try {
      return original.call(profiler, name, inputs, f);
    } finally {
      stack.pop();
      depth.inKernel = stack.length > 0;
      call.endMs = performance.now();
      calls.push(call);
    }
  };
  try {
    const result = await fn();
    const index = new Map(calls.map((c, i) => [c, i]));
    for (const c of calls) {
      const p = parentOf.get(c);
      c.parent = p ? index.get(p) ?? -1 : -1;
    }
    return { result, calls };
  } finally {
    if (own) profiler.profileKernel = original;
    else delete (profiler as { profileKernel?: ProfileKernelFn }).profileKernel;
  }
}

// tf.profile's records joined with the hook's calls: self time and phase.
function joinCalls(
  kernels: Awaited<ReturnType<typeof tf.profile>>["kernels"],
  calls: HookedCall[],
): KernelCall[] {
  if (kernels.length !== calls.length) {
    throw new Error(
      `profileStep: tf.profile recorded ${kernels.length} kernels, the hook ${calls.length}`,
    );
  }
  const backend = tf.getBackend();
  const time = kernels.map((k, i) =>
    typeof k.kernelTimeMs === "number"
      ? k.kernelTimeMs
      : calls[i].endMs - calls[i].startMs
  );
  const self = [...time];
  calls.forEach((c, i) => {
    if (c.name !== kernels[i].name) {
      throw new Error(
        `profileStep: record ${i} is '${
          kernels[i].name
        }', the hook saw '${c.name}'`,
      );
    }
    if (c.parent >= 0) self[c.parent] -= time[i];
  });
  return kernels.map((k, i) => {
    const custom = tf.getKernel(k.name, backend) === undefined;
    const scope = k.name.replace(/__op$/, "");
    const name = !custom
      ? k.name
      : (scope === "" || scope === "unnamed scope") && calls[i].caller
      ? `custom:${calls[i].caller}`
      : `custom:${scope}`;
    return {
      name,
      custom,
      phase: calls[i].phase,
      ms: Math.max(self[i], 0),
      inputShapes: k.inputShapes.map((s) => s ?? null),
      outputShapes: k.outputShapes,
    };
  });
}

/** What {@link profileCalls} returns. */
export interface ProfiledCalls<T> {
  /** `fn`'s result. */
  result: T;
  /** Every kernel call, in completion order, with its self time and phase. */
  calls: KernelCall[];
  /** Peak bytes of live tfjs tensors while `fn` ran (0 if it ran no kernel). */
  peakBytes: number;
  /** Reads from and uploads to the backend made outside any kernel. */
  transfers: Transfer[];
}

/**
 * Runs `fn` inside `tf.profile` and returns its kernel calls with their
 * self times (see the module documentation); `phase` names the phase of
 * each call when it starts (default: all "forward").
 */
export async function profileCalls<T>(
  fn: () => T,
  options: { phase?: () => Phase } = {},
): Promise<ProfiledCalls<T>> {
  let result: T;
  const phase = options.phase ?? (() => "forward");
  const depth = { inKernel: false };
  const { result: hooked, transfers } = await withTransferHook(
    { phase, inKernel: () => depth.inKernel },
    () =>
      withCallHook(
        phase,
        () =>
          tf.profile(() => {
            result = fn();
          }),
        depth,
      ),
  );
  const info = hooked.result;
  return {
    result: result!,
    calls: joinCalls(info.kernels, hooked.calls),
    peakBytes: info.kernels.length > 0 ? info.peakBytes : 0,
    transfers,
  };
}

interface StepRun {
  wallMs: number;
  phaseMs: Record<Phase, number>;
  readBackMs: number;
  cpuMs: number;
  loss: number;
}

/**
 * Profiles the training step of tower `kind` on `ds` (see the module
 * documentation): per-kernel self times by phase, the time outside tfjs
 * ops, step times with and without profiling, memory.
 */
export async function profileStep(
  ds: Dataset,
  kind: TowerKind,
  options: ProfileStepOptions = {},
): Promise<StepProfile> {
  const steps = options.steps ?? 5;
  const warmup = options.warmup ?? 2;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new RangeError(`profileStep: steps must be ≥ 1, got ${steps}`);
  }
  const batches = tensorBatches(trainingPairs(ds), {
    batchSize,
    seed,
    count: warmup + 2 * steps,
    caller: "profileStep",
  });
  const model = createTower(
    { ...options.overrides, kind } as TowerConfigInput,
    { seed, dataset: ds },
  );
  const inputs = model.prepare(ds);
  // As in training: a multi-head tower (DPSR) scores with its own function.
  const score: ScoreFunction | undefined = model.heads === 1
    ? undefined
    : (q, items) => model.scores(q, items);
  const vars = model.variables();
  const opt = tf.train.adam(DEFAULT_OPTIMIZER.lr);
  let phase: Phase = "forward";

  const runStep = (s: number): StepRun => {
    const b = batches[s % batches.length];
    const cpu0 = processCpuMs();
    const t0 = performance.now();
    let t1 = t0;
    phase = "forward";
    const lossFn = () => {
      const loss = tf.tidy(() => {
        const q = model.encodeQueries(inputs, b.queryRow, { training: true });
        const v = model.encodeItems(inputs, b.itemRow, { training: true });
        return withBatchScores(
          q,
          v,
          { mask: b.mask, score },
          (s) => softmaxLossFromScores(s, { temperature: SOFTMAX_TAU }),
        ).loss;
      });
      t1 = performance.now();
      phase = "backward";
      return loss;
    };
    const { value, grads } = tf.variableGrads(lossFn, vars);
    const loss = value.dataSync()[0];
    const t2 = performance.now();
    phase = "adam";
    const named = vars.map((v) => ({
      name: v.name,
      tensor: grads[v.name] ?? tf.zerosLike(v),
    }));
    opt.applyGradients(named);
    // Reading a weight waits for the update on asynchronous backends (as
    // the bench's steps do); timed apart too, for it is a copy.
    const t25 = performance.now();
    vars.at(-1)!.dataSync();
    const t3 = performance.now();
    const cpuMs = processCpuMs() - cpu0;
    tf.dispose(grads);
    tf.dispose(named.map((g) => g.tensor));
    value.dispose();
    if (!Number.isFinite(loss)) {
      throw new Error(`profileStep: ${kind} loss is ${loss} at step ${s}`);
    }
    return {
      wallMs: t3 - t0,
      phaseMs: { forward: t1 - t0, backward: t2 - t1, adam: t3 - t2 },
      readBackMs: t3 - t25,
      cpuMs,
      loss,
    };
  };

  try {
    for (let s = 0; s < warmup; s++) runStep(s);
    const plain: StepRun[] = [];
    for (let s = 0; s < steps; s++) plain.push(runStep(warmup + s));
    const runs: StepRun[] = [];
    const calls: KernelCall[] = [];
    const transfers: Transfer[] = [];
    let tensorPeakBytes = 0;
    for (let s = 0; s < steps; s++) {
      const p = await profileCalls(() => runStep(warmup + steps + s), {
        phase: () => phase,
      });
      runs.push(p.result);
      calls.push(...p.calls);
      transfers.push(...p.transfers);
      tensorPeakBytes = Math.max(tensorPeakBytes, p.peakBytes);
    }
    const stepMs = mean(runs.map((r) => r.wallMs));
    const wallMs = Object.fromEntries(
      PHASES.map((p) => [p, mean(runs.map((r) => r.phaseMs[p]))]),
    ) as Record<Phase, number>;
    const losses = [...plain, ...runs].map((r) => r.loss);
    return {
      kind,
      weights: vars.reduce((n, v) => n + v.size, 0),
      batchSize,
      warmup,
      steps,
      unprofiled: summarise(plain.map((r) => r.wallMs)),
      profiled: summarise(runs.map((r) => r.wallMs)),
      stepMs,
      cpuMs: mean(runs.map((r) => r.cpuMs)),
      readBackMs: mean(runs.map((r) => r.readBackMs)),
      readBackShape: [...vars.at(-1)!.shape],
      phases: phaseRows(calls, { steps, wallMs, transfers }),
      byName: aggregateCalls(calls, { steps, stepMs }),
      byShape: aggregateCalls(calls, { steps, stepMs, by: "shapes" })
        .slice(0, TOP_SHAPES),
      tensorPeakBytes,
      memory: memorySample(),
      loss: [losses[0], losses[losses.length - 1]],
    };
  } finally {
    opt.dispose();
    tf.dispose(batches.map((b) => b.mask));
    model.dispose();
  }
}

// ---------------------------------------------------------------------------
// The machine's peaks

/** Options of {@link measurePeak}. */
export interface MeasurePeakOptions {
  /** Side of the square matMul (default 1024). */
  matMulN?: number;
  /** Elements of each operand of the add and the copy (default 2²³ = 8M, 32 MB). */
  floats?: number;
  /** Timed repetitions after one warm-up (default 5). */
  reps?: number;
}

function best(reps: number, f: () => void): number {
  f();
  let ms = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

/**
 * The backend's peaks: best time of an n × n × n `tf.matMul` (result read
 * back), of a `tf.add` of two `floats`-long vectors, of a JavaScript
 * `Float32Array` copy of that length, and of writing a new `Float32Array`
 * of that length once (fresh memory, page faults included).
 */
export function measurePeak(options: MeasurePeakOptions = {}): MachinePeak {
  const n = options.matMulN ?? 1024;
  const floats = options.floats ?? 2 ** 23;
  const reps = options.reps ?? 5;
  const a = tf.randomUniform([n, n], -1, 1, "float32", 1);
  const b = tf.randomUniform([n, n], -1, 1, "float32", 2);
  const x = tf.fill([floats], 1.5);
  const y = tf.fill([floats], 2.5);
  let matMulMs: number, addMs: number;
  try {
    matMulMs = best(reps, () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    });
    // The backends used here (wasm, cpu, tfjs-node) run kernels
    // synchronously; reading the sum back would time a copy too (and
    // wasm's Slice copies its whole input out of the heap).
    addMs = best(reps, () => tf.add(x, y).dispose());
  } finally {
    tf.dispose([a, b, x, y]);
  }
  const src = new Float32Array(floats).fill(1.5);
  const dst = new Float32Array(floats);
  const copyMs = best(reps, () => dst.set(src));
  const freshMs = best(reps, () => new Float32Array(floats).fill(1));
  return {
    matMulN: n,
    matMulMs,
    matMulGflops: 2 * n ** 3 / matMulMs / 1e6,
    floats,
    addMs,
    addGbps: 12 * floats / addMs / 1e6,
    copyMs,
    copyGbps: 8 * floats / copyMs / 1e6,
    freshMs,
    freshGbps: 4 * floats / freshMs / 1e6,
    reps,
  };
}

// ---------------------------------------------------------------------------
// The whole profile

/** The towers the kernel profile runs unless told: the paper's two bases. */
export const PROFILED_TOWERS: readonly TowerKind[] = ["dssm", "mgdspr"];

/** Options of {@link runKernelProfile}; every field has a default. */
export interface KernelProfileOptions {
  /** tfjs backend request (default: `initBackend`'s). */
  backend?: BackendRequest;
  /** Synthetic catalogue (default "full"). */
  profile?: Profile;
  /** Profiled (and unprofiled) steps per tower (default 5; quick 2). */
  steps?: number;
  /** Warm-up steps per tower (default 2; quick 1). */
  warmup?: number;
  /** Batch size (default 350). */
  batchSize?: number;
  /** Catalogue size (default: the profile's). */
  items?: number;
  /** Seed of data, weights and batches (default 1). */
  seed?: number;
  /** Towers profiled, in order (default {@link PROFILED_TOWERS}). */
  kinds?: readonly TowerKind[];
  /** Settings over a kind's defaults (default none: reference towers). */
  overrides?: Partial<Record<TowerKind, Record<string, unknown>>>;
  /** Sizes of the peak measurements. */
  peak?: MeasurePeakOptions;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

/** A tower's step profile with its roofline. */
export interface TowerProfile extends StepProfile {
  /** The step against the machine's peaks. */
  roofline: Roofline;
}

/** Everything {@link runKernelProfile} measured, as `--json` writes it. */
export interface KernelProfileResult {
  /** {@link KERNEL_PROFILE_FORMAT}. */
  format: number;
  /** What the file holds. */
  kind: "kernel-profile";
  /** ISO time the run started. */
  startedAt: string;
  /** Backend in use. */
  backend: BackendInfo;
  /** Resolved parameters. */
  params: StepParams;
  /** Data used. */
  dataset: { name: string; items: number; trainingPairs: number };
  /** The machine's peaks on the backend. */
  peak: MachinePeak;
  /** One profile per tower, in order. */
  towers: TowerProfile[];
  /** The process's memory at the end. */
  memory: MemorySample;
}

/** Profiles each tower's step, then measures the machine's peaks. */
export async function runKernelProfile(
  options: KernelProfileOptions = {},
): Promise<KernelProfileResult> {
  const startedAt = new Date().toISOString();
  const run = resolveStepRun(options, {
    full: { steps: 5, warmup: 2 },
    quick: { steps: 2, warmup: 1 },
  });
  const { profile, steps, warmup, batchSize, seed } = run;
  const progress = options.progress ?? (() => {});
  const backend = await initBackend({ backend: options.backend, quiet: true });
  progress(`generating synthetic ${profile} data`);
  const ds = generateSynthetic({ profile, seed, numItems: options.items });
  const profiles: StepProfile[] = [];
  for (const kind of options.kinds ?? PROFILED_TOWERS) {
    progress(
      `${kind}: ${warmup} warm-up, ${steps} unprofiled, ${steps} profiled steps`,
    );
    profiles.push(
      await profileStep(ds, kind, {
        steps,
        warmup,
        batchSize,
        seed,
        overrides: options.overrides?.[kind],
      }),
    );
  }
  progress("machine peaks: matMul, tf.add, JS copy");
  const peak = measurePeak(options.peak);
  return {
    format: KERNEL_PROFILE_FORMAT,
    kind: "kernel-profile",
    startedAt,
    backend,
    params: stepParams(run),
    dataset: {
      name: ds.meta.name,
      items: ds.items.itemId.length,
      trainingPairs: trainingPairs(ds).queryId.length,
    },
    peak,
    towers: profiles.map((p) => ({
      ...p,
      roofline: roofline(p.byName, { stepMs: p.stepMs, peak }),
    })),
    memory: memorySample(),
  };
}
