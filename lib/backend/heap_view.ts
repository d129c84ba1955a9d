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
