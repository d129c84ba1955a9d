/**
 * Lambert W function, principal branch W0, for Adap-τ
 * (docs/reconstruction.md#adap-tau).
 *
 * @module
 */

/** The branch point −1/e, the smallest argument of W0. */
export const LAMBERT_W_MIN = -Math.exp(-1);

/**
 * Principal branch of the Lambert W function: the w ≥ −1 with w·e^w = x,
 * for x ≥ −1/e. Halley's iteration from a series start near the branch
 * point, log1p(x) in the middle and log x − log log x for large x, to
 * ~1e-15 relative accuracy. W(−1/e) = −1, W(0) = 0, W(e) = 1. Arguments
 * below −1/e by less than 1e-15 (rounding) are taken as −1/e; further below
 * throws a RangeError. NaN gives NaN.
 */
export function lambertW(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= LAMBERT_W_MIN) {
    if (x >= LAMBERT_W_MIN - 1e-15) return -1;
    throw new RangeError(
      `lambertW: argument ${x} is below −1/e, outside the principal branch`,
    );
  }
  if (x === 0) return 0;
  let w: number;
  if (x < -0.25) {
    // W ≈ −1 + p − p²/3 + 11p³/72 with p = √(2(e·x + 1)) near the branch point.
    const p = Math.sqrt(2 * (Math.E * x + 1));
    w = -1 + p - (p * p) / 3 + (11 / 72) * p * p * p;
  } else if (x < 3) {
    w = Math.log1p(x);
  } else {
    const l1 = Math.log(x);
    const l2 = Math.log(l1);
    w = l1 - l2 + l2 / l1;
  }
  for (let i = 0; i < 100; i++) {
    const ew = Math.exp(w);
    const f = w * ew - x;
    const wp1 = w + 1;
    if (wp1 === 0) break;
    const step = f / (ew * wp1 - ((wp1 + 1) * f) / (2 * wp1));
    if (!Number.isFinite(step)) break;
    w -= step;
    if (Math.abs(step) <= 1e-16 * (1 + Math.abs(w))) break;
  }
  return w;
}
