/**
 * tfjs backend utilities: backend selection ({@link initBackend}), the
 * gradients tfjs-core lacks ({@link registerGradients}), the JavaScript
 * `UnsortedSegmentSum` kernel that makes `tf.gather`'s gradient usable on
 * wasm and fast on cpu, and {@link stopGradient}.
 *
 * Library code uses `@tensorflow/tfjs-core`'s functional API (`tf.mul(a, b)`)
 * with these backends, never the `@tensorflow/tfjs` union package.
 *
 * @module
 */

export {
  BACKEND_ENV_VAR,
  BACKEND_REQUESTS,
  type BackendAttempt,
  BackendError,
  type BackendInfo,
  backendInfo,
  type BackendName,
  type BackendRequest,
  formatBackendInfo,
  initBackend,
  type InitBackendOptions,
} from "./init.ts";
export { GRADIENT_KERNELS, matMulT, registerGradients } from "./gradients.ts";
export { registerSegmentSumKernels, segmentSumInto } from "./segment_sum.ts";
export * from "./heap_view.ts";
export * from "./stop_gradient.ts";
