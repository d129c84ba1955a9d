/**
 * Reading a tensor's values without copying them, where the backend allows.
 *
 * `dataSync()` on the wasm backend copies the tensor out of the wasm heap.
 * For the embedding bag's forward pass that is a 36 MB copy per table and
 * step on the DSSM reference model, about 150 ms of CPU per tower (measured:
 * docs/performance.md#next), to read a few thousand rows of it.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * The values of a float32 tensor: on wasm a view of the wasm heap (no copy),
 * elsewhere `dataSync()`. The view is only valid until the heap grows, i.e.
 * until the next tensor allocation, and must not be written to: read it at
 * once and keep nothing of it.
 */
export function readFloat32View(t: tf.Tensor): Float32Array {
  if (t.dtype !== "float32") {
    throw new TypeError(`readFloat32View: dtype ${t.dtype}, not float32`);
  }
  if (tf.getBackend() === "wasm") {
    const backend = tf.backend() as BackendWasm;
    return backend.typedArrayFromHeap(t) as Float32Array;
  }
  return t.dataSync() as Float32Array;
}

/**
 * The backend's own storage of a float32 tensor, to update it in place: on
 * wasm a view of the wasm heap (valid until the next allocation), on cpu
 * the array the backend keeps; null where the values live elsewhere
 * (tfjs-node). Writing changes every tensor that shares the storage, so
 * write only to a variable that owns its storage alone ({@link ownStorage}).
 * Not to a matrix product's operand either: tfjs-wasm keeps XNNPACK's
 * packed copy of it by tensor id and goes on using the old values (fine
 * for embedding tables, which only row lookups read).
 */
export function writableFloat32View(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== "float32") {
    throw new TypeError(`writableFloat32View: dtype ${t.dtype}, not float32`);
  }
  const name = tf.getBackend();
  if (name === "wasm") return readFloat32View(t);
  if (name === "cpu") {
    const data = (tf.backend() as unknown as {
      data: { get(id: object): { values?: unknown } };
    }).data.get(t.dataId);
    return data.values instanceof Float32Array ? data.values : null;
  }
  return null;
}

/**
 * Gives `v` storage that no other tensor shares (a fresh copy of its
 * values), so that {@link writableFloat32View} writes reach `v` alone;
 * returns the storage's id to compare against `v.dataId` later (an
 * `assign` elsewhere replaces it).
 */
export function ownStorage(v: tf.Variable): object {
  const copy = tf.tensor(Float32Array.from(v.dataSync()), v.shape, "float32");
  v.assign(copy);
  copy.dispose();
  return v.dataId;
}
