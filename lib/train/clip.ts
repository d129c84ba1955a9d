/**
 * Global-norm gradient clipping (Pascanu et al. 2013): every gradient of a
 * step is scaled by s = c / max(‖g‖, c), with ‖g‖ the L2 norm of all the
 * step's gradients together and c the `clipNorm` option; s = 1 when
 * ‖g‖ ≤ c, and clipping is off when c = 0. The dense weights take s as a
 * float32 tensor ({@link clipScale}), the lazy tables as a number
 * ({@link clipScaleValue}); both are the same float32 value, so the one- and
 * two-thread loops scale every weight alike.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/**
 * s as a float32 scalar tensor (the caller disposes it), from the norm as a
 * scalar tensor or a number; null when clipping is off.
 */
export function clipScale(
  norm: tf.Tensor | number,
  clipNorm: number,
): tf.Scalar | null {
  if (!(clipNorm > 0)) return null;
  return tf.tidy(() => tf.div(clipNorm, tf.maximum(norm, clipNorm)));
}

/** s as a number, the float32 value {@link clipScale} computes; 1 when off. */
export function clipScaleValue(norm: number, clipNorm: number): number {
  if (!(clipNorm > 0)) return 1;
  const c = Math.fround(clipNorm);
  return Math.fround(c / Math.max(norm, c));
}
