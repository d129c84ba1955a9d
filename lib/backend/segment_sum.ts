/**
 * A JavaScript `UnsortedSegmentSum` kernel for the wasm and cpu backends.
 *
 * `UnsortedSegmentSum` is the gradient of `tf.gather`. The wasm backend has no
 * kernel for it, and the cpu backend's own kernel costs O(numSegments × N),
 * which makes an embedding-table gradient take minutes
 * (docs/environment.md#missing-kernels). This one is a single O(N × rowSize)
 * pass.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

/** The kernel name tfjs uses for `tf.unsortedSegmentSum`. */
export const UNSORTED_SEGMENT_SUM = "UnsortedSegmentSum";

/** Backends for which {@link registerSegmentSumKernels} installs the kernel. */
export const SEGMENT_SUM_BACKENDS = ["wasm", "cpu"] as const;

type NumericArray = Float32Array | Int32Array;
type KernelParams = Parameters<tf.KernelFunc>[0];

/**
 * Sums the rows of `x` (shape [N, rowSize], flattened) into `out` (shape
 * [numSegments, rowSize], flattened): row i is added to segment `ids[i]`.
 * Negative ids are dropped, as in TensorFlow; an id ≥ numSegments throws.
 * `out` is overwritten.
 */
export function segmentSumInto(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  out: NumericArray,
): void {
  const n = ids.length;
  const rowSize = n === 0 ? 0 : x.length / n;
  if (!Number.isInteger(rowSize)) {
    throw new RangeError(
      `UnsortedSegmentSum: x has ${x.length} values, not a multiple of ${n} segment ids`,
    );
  }
  const numSegments = rowSize === 0 ? 0 : out.length / rowSize;
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id < 0) continue;
    if (id >= numSegments) {
      throw new RangeError(
        `UnsortedSegmentSum: segment id ${id} at position ${i} is not below numSegments ${numSegments}`,
      );
    }
    const src = i * rowSize;
    const dst = id * rowSize;
    for (let k = 0; k < rowSize; k++) out[dst + k] += x[src + k];
  }
}

interface SegmentSumPlan {
  shape: number[];
  dtype: "float32" | "int32";
  x: NumericArray;
  ids: NumericArray;
}

// Shared by both kernels: reads inputs and checks shapes.
function plan(
  args: KernelParams,
  read: (dataId: tf.DataId) => unknown,
): SegmentSumPlan {
  const { x, segmentIds } = args.inputs as {
    x: tf.TensorInfo;
    segmentIds: tf.TensorInfo;
  };
  const numSegments = Number(args.attrs?.numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new RangeError(
      `UnsortedSegmentSum: attribute numSegments must be a non-negative integer, got ${args.attrs?.numSegments}`,
    );
  }
  const idsRank = segmentIds.shape.length;
  for (let i = 0; i < idsRank; i++) {
    if (x.shape[i] !== segmentIds.shape[i]) {
      throw new RangeError(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] is not a prefix of x shape [${x.shape}]`,
      );
    }
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new TypeError(
      `UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`,
    );
  }
  return {
    shape: [numSegments, ...x.shape.slice(idsRank)],
    dtype: x.dtype,
    x: read(x.dataId) as NumericArray,
    ids: read(segmentIds.dataId) as NumericArray,
  };
}

function wasmKernel(args: KernelParams): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const p = plan(args, (id) => backend.readSync(id));
  // readSync copies out of the heap, so the inputs stay valid if makeOutput
  // grows the wasm memory; the heap view is taken after the allocation.
  const out = backend.makeOutput(p.shape, p.dtype);
  segmentSumInto(p.x, p.ids, backend.typedArrayFromHeap(out) as NumericArray);
  return out;
}

function cpuKernel(args: KernelParams): tf.TensorInfo {
  const backend = args.backend as MathBackendCPU;
  const p = plan(args, (id) => backend.readSync(id));
  const size = tf.util.sizeFromShape(p.shape);
  const values = p.dtype === "int32"
    ? new Int32Array(size)
    : new Float32Array(size);
  segmentSumInto(p.x, p.ids, values);
  return backend.makeTensorInfo(p.shape, p.dtype, values);
}

const KERNELS: Record<(typeof SEGMENT_SUM_BACKENDS)[number], tf.KernelFunc> = {
  wasm: wasmKernel,
  cpu: cpuKernel,
};

/**
 * Registers the JavaScript `UnsortedSegmentSum` kernel for the wasm and cpu
 * backends, replacing the cpu backend's slow built-in one. Idempotent; called
 * by `initBackend`, so only code that selects backends itself (with
 * `tf.setBackend`) needs to call it.
 */
export function registerSegmentSumKernels(): void {
  for (const backendName of SEGMENT_SUM_BACKENDS) {
    const kernelFunc = KERNELS[backendName];
    const existing = tf.getKernel(UNSORTED_SEGMENT_SUM, backendName);
    if (existing?.kernelFunc === kernelFunc) continue;
    if (existing) tf.unregisterKernel(UNSORTED_SEGMENT_SUM, backendName);
    tf.registerKernel({
      kernelName: UNSORTED_SEGMENT_SUM,
      backendName,
      kernelFunc,
    });
  }
}
