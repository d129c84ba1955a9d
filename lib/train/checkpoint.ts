/**
 * Checkpoints: the model weights, Adam's state (moments, step count and the
 * running β powers) and the training position, so that a killed run
 * resumes and ends with exactly the weights of an uninterrupted one.
 *
 * Files, all in the run folder:
 * - `weights-<step>.bin`: every weight's float32 values, little-endian,
 *   concatenated in the model's weight order;
 * - `optimizer-<step>.bin`: Adam's first moments, then its second moments,
 *   in the same order;
 * - `checkpoint.json`: the step, the layout of both files (name, shape,
 *   offset of every tensor), their sha256, Adam's scalars and the
 *   objective's state;
 * - with early stopping, `best-<step>.bin`: the weights of the best valid
 *   evaluation so far, in the layout of `weights-<step>.bin`, written
 *   when it is found ({@link writeBestWeights}); `checkpoint.json` then
 *   also holds the monitor's state (`earlyStopping`, see
 *   `early_stopping.ts`), which names that file.
 *
 * Each file is written atomically (temporary file, then rename), the
 * binaries first under new, step-stamped names, `checkpoint.json` last; the
 * previous step's binaries are deleted only after that, and so are best
 * files the new `checkpoint.json` does not name. A process killed at any
 * point therefore leaves a `checkpoint.json` whose files are complete.
 *
 * Nothing random needs saving: batch order and sampled negatives are
 * functions of (seed, step) (see `train.ts`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { readFloat32View } from "../backend/mod.ts";
import {
  joinPath,
  pathExists,
  sha256Hex,
  stableJson,
  writeChunksAtomic,
  writeFileAtomic,
} from "../data/mod.ts";
import type { Weights } from "../towers/mod.ts";
import type { EarlyStoppingState } from "./early_stopping.ts";

/** Version of the checkpoint layout. */
export const CHECKPOINT_FORMAT = 1;

/** Name of the manifest in a run folder. */
export const CHECKPOINT_FILE = "checkpoint.json";

/**
 * Prefix of the loss's own weights in a checkpoint (the trainable α and
 * δ0 / τ0 of the adaptive losses), which sit beside the model's.
 */
export const LOSS_WEIGHT_PREFIX = "loss/";

/** A checkpoint's weights split into the model's and the loss's. */
export function splitWeights(
  weights: Weights,
): { model: Weights; loss: Weights } {
  const model: Weights = {}, loss: Weights = {};
  for (const [name, w] of Object.entries(weights)) {
    (name.startsWith(LOSS_WEIGHT_PREFIX) ? loss : model)[name] = w;
  }
  return { model, loss };
}

/** Where one tensor lies in a `.bin` file (offsets in float32 elements). */
export interface TensorEntry {
  /** Weight name (optimizer moments: weight name + `/m` or `/v`). */
  name: string;
  /** Shape. */
  shape: number[];
  /** First element. */
  offset: number;
  /** Number of elements. */
  length: number;
}

/** A `.bin` file and its contents' layout. */
export interface BlobManifest {
  /** File name, relative to the run folder. */
  file: string;
  /** sha256 of the file, hex. */
  sha256: string;
  /** Tensors, in file order. */
  tensors: TensorEntry[];
}

/** Adam's state apart from the moments. */
export interface AdamScalars {
  /** Updates applied so far. */
  iterations: number;
  /** β1^(iterations+1) as Adam holds it (float32, read back exactly). */
  accBeta1: number;
  /** β2^(iterations+1), likewise. */
  accBeta2: number;
}

/** Contents of `checkpoint.json`. */
export interface CheckpointManifest {
  /** {@link CHECKPOINT_FORMAT}. */
  format: number;
  /** Steps completed. */
  step: number;
  /** Steps the run is configured for. */
  totalSteps: number;
  /** Hash of the run's config. */
  configHash: string;
  /** Model weights. */
  weights: BlobManifest;
  /** Adam: moments file and scalars; null before the first update. */
  optimizer: (BlobManifest & AdamScalars) | null;
  /** The objective's state (e.g. Adap-τ's per-query losses), JSON. */
  objective: unknown;
  /** Early stopping's state and best weights file (absent when off). */
  earlyStopping?: EarlyStoppingState;
}

/** What a checkpoint holds, in memory. */
export interface CheckpointData {
  /** Steps completed. */
  step: number;
  /** Steps the run is configured for. */
  totalSteps: number;
  /** Hash of the run's config. */
  configHash: string;
  /** Model weights by name (model order). */
  weights: Weights;
  /** Adam's moments and scalars; null before the first update. */
  optimizer: AdamState | null;
  /** The objective's state. */
  objective: unknown;
  /** Early stopping's state (absent when off). */
  earlyStopping?: EarlyStoppingState;
}

/** Adam's complete state, keyed by the model's weight names. */
export interface AdamState extends AdamScalars {
  /** First moments, in model weight order. */
  m: Weights;
  /** Second moments, in model weight order. */
  v: Weights;
}

/** Concatenates named float32 tensors into one little-endian blob. */
export function packTensors(
  named: readonly [string, { shape: number[]; data: Float32Array }][],
): { bytes: Uint8Array; tensors: TensorEntry[] } {
  const total = named.reduce((a, [, w]) => a + w.data.length, 0);
  const all = new Float32Array(total);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, w] of named) {
    all.set(w.data, offset);
    tensors.push({ name, shape: [...w.shape], offset, length: w.data.length });
    offset += w.data.length;
  }
  // Float32Array is little-endian on every platform Deno runs on.
  return { bytes: new Uint8Array(all.buffer), tensors };
}

/**
 * Writes what {@link packTensors} would return to `path` atomically, tensor
 * after tensor, without the joined copy: a checkpoint of the DSSM reference
 * model would otherwise hold its weights and moments twice in memory.
 */
export async function writeTensors(
  path: string,
  named: readonly [string, { shape: number[]; data: Float32Array }][],
): Promise<{ sha256: string; tensors: TensorEntry[] }> {
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, w] of named) {
    // From the shape: `data` may be a getter that copies (DenseAdam's state).
    const length = tf.util.sizeFromShape(w.shape);
    tensors.push({ name, shape: [...w.shape], offset, length });
    offset += length;
  }
  // One tensor's bytes at a time, each read only when it is written.
  function* chunks(): Generator<Uint8Array> {
    for (let i = 0; i < named.length; i++) {
      const data = named[i][1].data;
      if (data.length !== tensors[i].length) {
        throw new RangeError(
          `writeTensors: '${
            tensors[i].name
          }' has ${data.length} values for shape [${tensors[i].shape}]`,
        );
      }
      // Float32Array is little-endian on every platform Deno runs on.
      yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
  }
  const sha256 = await writeChunksAtomic(path, chunks());
  return { sha256, tensors };
}

/**
 * `vars` by name as {@link Weights} whose `data` is copied out of the
 * backend when it is read (each read a new copy of the current values), so
 * that {@link writeTensors} holds one weight at a time, not a copy of the
 * whole model (73 MB on the DSSM reference model).
 */
export function weightsOnRead(
  names: readonly string[],
  vars: readonly tf.Variable[],
): Weights {
  const out: Weights = {};
  names.forEach((name, i) => {
    const v = vars[i];
    out[name] = {
      shape: [...v.shape],
      get data() {
        return readFloat32View(v).slice();
      },
    };
  });
  return out;
}

/** Splits a blob written by {@link packTensors} back into named tensors. */
export function unpackTensors(
  bytes: Uint8Array,
  tensors: readonly TensorEntry[],
  file: string,
): Weights {
  if (bytes.byteLength % 4 !== 0) {
    throw new Error(`${file}: size ${bytes.byteLength} is not a multiple of 4`);
  }
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const out: Weights = {};
  for (const t of tensors) {
    const size = tf.util.sizeFromShape(t.shape);
    if (size !== t.length || t.offset + t.length > all.length) {
      throw new Error(
        `${file}: tensor '${t.name}' [${t.shape}] at ${t.offset} does not fit the file`,
      );
    }
    out[t.name] = {
      shape: [...t.shape],
      data: all.slice(t.offset, t.offset + t.length),
    };
  }
  return out;
}

interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function internals(opt: tf.AdamOptimizer): Required<AdamInternals> {
  const o = opt as unknown as AdamInternals;
  if (
    !(o.accBeta1 instanceof tf.Variable) || !(o.accBeta2 instanceof tf.Variable)
  ) {
    throw new Error(
      "AdamOptimizer internals changed (accBeta1/accBeta2 not found): checkpoints of this tfjs version cannot be restored exactly",
    );
  }
  return o as Required<AdamInternals>;
}

/**
 * Reads Adam's state. `names` are the model's weight names in the order the
 * gradients were applied (Adam keeps moments by position). Null before the
 * first update.
 */
export async function getAdamState(
  opt: tf.AdamOptimizer,
  names: readonly string[],
): Promise<AdamState | null> {
  const list = await opt.getWeights();
  const iterations = (await list[0].tensor.data())[0];
  // getWeights makes a new scalar for the step count; the moments are
  // Adam's own variables.
  list[0].tensor.dispose();
  const moments = list.slice(1);
  if (moments.length === 0) return null;
  if (moments.length !== 2 * names.length) {
    throw new Error(
      `Adam holds ${
        moments.length / 2
      } moment pairs but the model has ${names.length} weights`,
    );
  }
  const m: Weights = {}, v: Weights = {};
  names.forEach((name, i) => {
    const a = moments[i].tensor, b = moments[names.length + i].tensor;
    m[name] = {
      shape: [...a.shape],
      data: Float32Array.from(a.dataSync() as Float32Array),
    };
    v[name] = {
      shape: [...b.shape],
      data: Float32Array.from(b.dataSync() as Float32Array),
    };
  });
  const { accBeta1, accBeta2 } = internals(opt);
  return {
    iterations,
    accBeta1: accBeta1.dataSync()[0],
    accBeta2: accBeta2.dataSync()[0],
    m,
    v,
  };
}

/**
 * Restores {@link getAdamState}'s result into a fresh Adam optimiser with
 * the same hyper-parameters. The running β powers are set to the saved
 * float32 values, not recomputed with `pow` as `setWeights` does, so the
 * next updates are bit-identical to an uninterrupted run's.
 */
export async function setAdamState(
  opt: tf.AdamOptimizer,
  state: AdamState,
  names: readonly string[],
): Promise<void> {
  for (const name of names) {
    if (!state.m[name] || !state.v[name]) {
      throw new Error(`optimizer state has no moments for weight '${name}'`);
    }
  }
  const tensors = [
    { name: "iter", tensor: tf.scalar(state.iterations, "int32") },
    ...names.map((n) => ({
      name: `${n}/m`,
      tensor: tf.tensor(state.m[n].data, state.m[n].shape),
    })),
    ...names.map((n) => ({
      name: `${n}/v`,
      tensor: tf.tensor(state.v[n].data, state.v[n].shape),
    })),
  ];
  await opt.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor));
  const { accBeta1, accBeta2 } = internals(opt);
  tf.tidy(() => {
    accBeta1.assign(tf.scalar(state.accBeta1));
    accBeta2.assign(tf.scalar(state.accBeta2));
  });
}

function stamp(step: number): string {
  return String(step).padStart(7, "0");
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Writes a checkpoint into `dir` (see the module documentation for the
 * files and the order that makes it safe to kill the process at any time).
 */
export async function writeCheckpoint(
  dir: string,
  data: CheckpointData,
): Promise<CheckpointManifest> {
  const previous = await readManifest(dir).catch(() => null);
  const weightsFile = `weights-${stamp(data.step)}.bin`;
  const w = await writeTensors(
    joinPath(dir, weightsFile),
    Object.entries(data.weights),
  );
  let optimizer: CheckpointManifest["optimizer"] = null;
  if (data.optimizer) {
    const o = data.optimizer;
    const file = `optimizer-${stamp(data.step)}.bin`;
    const packed = await writeTensors(joinPath(dir, file), [
      ...Object.entries(o.m).map(([n, t]) =>
        [`${n}/m`, t] as [string, typeof t]
      ),
      ...Object.entries(o.v).map(([n, t]) =>
        [`${n}/v`, t] as [string, typeof t]
      ),
    ]);
    optimizer = {
      file,
      sha256: packed.sha256,
      tensors: packed.tensors,
      iterations: o.iterations,
      accBeta1: o.accBeta1,
      accBeta2: o.accBeta2,
    };
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    step: data.step,
    totalSteps: data.totalSteps,
    configHash: data.configHash,
    weights: {
      file: weightsFile,
      sha256: w.sha256,
      tensors: w.tensors,
    },
    optimizer,
    objective: data.objective ?? null,
  };
  if (data.earlyStopping) manifest.earlyStopping = data.earlyStopping;
  await writeFileAtomic(
    joinPath(dir, CHECKPOINT_FILE),
    new TextEncoder().encode(stableJson(manifest) + "\n"),
  );
  if (previous) {
    for (const f of [previous.weights.file, previous.optimizer?.file]) {
      if (f && f !== weightsFile && f !== optimizer?.file) {
        await removeIfExists(joinPath(dir, f));
      }
    }
  }
  await removeStaleBest(dir, data.earlyStopping?.best?.file ?? null);
  return manifest;
}

const BEST_FILE = /^best-\d+\.bin$/;

// Best files other than `keep`: an earlier best, or one written after the
// last checkpoint by a process that was then killed.
async function removeStaleBest(dir: string, keep: string | null) {
  const stale: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && BEST_FILE.test(e.name) && e.name !== keep) {
      stale.push(e.name);
    }
  }
  for (const f of stale) await removeIfExists(joinPath(dir, f));
}

/**
 * Writes the weights of the best valid evaluation so far to
 * `best-<step>.bin` (atomically; the layout of `weights-<step>.bin`) and
 * returns its manifest, for the early-stopping state of the next
 * checkpoint. Earlier best files stay until a checkpoint that names this
 * one is written ({@link writeCheckpoint} removes them).
 */
export async function writeBestWeights(
  dir: string,
  best: { step: number; weights: Weights },
): Promise<BlobManifest> {
  const file = `best-${stamp(best.step)}.bin`;
  const w = await writeTensors(
    joinPath(dir, file),
    Object.entries(best.weights),
  );
  return { file, sha256: w.sha256, tensors: w.tensors };
}

/**
 * The best weights a checkpoint's early-stopping state names (sha256
 * checked), or null when it names none (early stopping off, or no
 * evaluation yet).
 */
export async function readBestWeights(
  dir: string,
  state: EarlyStoppingState | undefined,
): Promise<Weights | null> {
  return state?.best ? await readBlob(dir, state.best) : null;
}

/** Reads and checks `checkpoint.json` of a run folder. */
export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const path = joinPath(dir, CHECKPOINT_FILE);
  const text = await Deno.readTextFile(path);
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text) as CheckpointManifest;
  } catch (err) {
    throw new Error(
      `${path}: not valid JSON (${
        (err as Error).message
      }); the checkpoint is damaged`,
    );
  }
  if (m?.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `${path}: checkpoint format ${m?.format}, this version reads ${CHECKPOINT_FORMAT}`,
    );
  }
  return m;
}

async function readBlob(dir: string, blob: BlobManifest): Promise<Weights> {
  const path = joinPath(dir, blob.file);
  const bytes = await Deno.readFile(path);
  if (sha256Hex(bytes) !== blob.sha256) {
    throw new Error(
      `${path}: sha256 does not match ${CHECKPOINT_FILE}; the file is damaged`,
    );
  }
  return unpackTensors(bytes, blob.tensors, path);
}

/** Whether `dir` holds a checkpoint. */
export function hasCheckpoint(dir: string): Promise<boolean> {
  return pathExists(joinPath(dir, CHECKPOINT_FILE));
}

/** Reads a checkpoint written by {@link writeCheckpoint}, verifying hashes. */
export async function readCheckpoint(dir: string): Promise<CheckpointData> {
  const m = await readManifest(dir);
  const weights = await readBlob(dir, m.weights);
  let optimizer: AdamState | null = null;
  if (m.optimizer) {
    const all = await readBlob(dir, m.optimizer);
    const mm: Weights = {}, vv: Weights = {};
    for (const [name, t] of Object.entries(all)) {
      if (name.endsWith("/m")) mm[name.slice(0, -2)] = t;
      else if (name.endsWith("/v")) vv[name.slice(0, -2)] = t;
    }
    optimizer = {
      iterations: m.optimizer.iterations,
      accBeta1: m.optimizer.accBeta1,
      accBeta2: m.optimizer.accBeta2,
      m: mm,
      v: vv,
    };
  }
  return {
    step: m.step,
    totalSteps: m.totalSteps,
    configHash: m.configHash,
    weights,
    optimizer,
    objective: m.objective,
    ...(m.earlyStopping ? { earlyStopping: m.earlyStopping } : {}),
  };
}
