/**
 * Stop-gradient for tfjs, which has no `tf.stopGradient`
 * (docs/environment.md#stop-gradient).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

// tfjs types the custom function as taking `(Tensor | GradSaveFunc)[]`, which
// a one-tensor signature does not satisfy; the cast is confined to here.
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

const stopGradientOp = tf.customGrad(
  ((x: tf.Tensor) => ({
    // clone shares x's data (no copy) but gives the tape a separate output.
    value: tf.clone(x),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as CustomGradFn,
);

/**
 * Returns `x` unchanged in the forward pass and passes a zero gradient back:
 * sg(x) of the paper (eq. 7), `tf.stop_gradient` / `.detach()` elsewhere.
 * Works inside `tf.grad`, `tf.variableGrads` and `tf.tidy`; a variable passed
 * through it stays connected to the loss but receives a zero gradient.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
