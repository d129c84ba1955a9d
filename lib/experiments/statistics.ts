/**
 * The statistics every experiment's verdicts are written from, and the way
 * their numbers are written into sentences:
 *
 * - intervals over seeds: the mean of per-seed values with a 95% Student-t
 *   interval ({@link seedInterval});
 * - paired per-query tests: the per-query difference of two methods on the
 *   same queries, its mean with a percentile-bootstrap 95% interval (seed
 *   0), and "better" / "worse" when the interval excludes 0
 *   ({@link pairedDifference});
 * - numbers in verdict sentences: signed differences ({@link signed}) and
 *   `mean [lo, hi]` intervals ({@link intervalText}).
 *
 * The intervals of single runs (bootstrap over test queries) are
 * `lib/eval`'s `bootstrapCI`.
 *
 * @module
 */

import { bootstrapCI, type Interval } from "../eval/mod.ts";

/** Two-sided 95% Student-t quantiles t_{0.975, df} for df = 1 … 30. */
export const STUDENT_T95: readonly number[] = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.160,
  2.145,
  2.131,
  2.120,
  2.110,
  2.101,
  2.093,
  2.086,
  2.080,
  2.074,
  2.069,
  2.064,
  2.060,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/**
 * Mean of per-seed values with a 95% Student-t interval,
 * mean ± t_{0.975, n−1}·sd/√n (sd with n − 1); one value gives lo = hi.
 */
export function seedInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) throw new RangeError("seedInterval: no values");
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean };
  const sd = Math.sqrt(
    values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1),
  );
  const t = STUDENT_T95[n - 2] ?? 1.96;
  const h = t * sd / Math.sqrt(n);
  return { mean, lo: mean - h, hi: mean + h };
}

/** Result of {@link pairedDifference}. */
export interface PairedDifference {
  /** Mean of a − b over the queries, with its bootstrap 95% interval. */
  difference: Interval;
  /** "better" (interval above 0), "worse" (below 0) or "unclear". */
  outcome: "better" | "worse" | "unclear";
  /** Queries compared. */
  n: number;
}

/**
 * Paired test of two methods on the same queries: the per-query
 * difference `a[i] − b[i]`, its mean with a percentile-bootstrap 95%
 * interval over queries (seed 0, `samples` resamples, default 1000), and
 * whether the interval excludes 0. Throws unless both have the same,
 * non-zero length.
 */
export function pairedDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { samples?: number } = {},
): PairedDifference {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `pairedDifference: ${a.length} and ${b.length} values; a paired test needs the same, non-zero number of queries`,
    );
  }
  const diff = Float64Array.from(a, (v, i) => v - b[i]);
  const d = bootstrapCI(diff, { seed: 0, samples: options.samples ?? 1000 });
  return {
    difference: d,
    outcome: d.lo > 0 ? "better" : d.hi < 0 ? "worse" : "unclear",
    n: diff.length,
  };
}

/** Options of {@link signed}. */
export interface SignedOptions {
  /** Decimals (default 3). */
  digits?: number;
  /**
   * `"plain"` (default): `toFixed` with a "+" before non-negative values
   * ("+0.012", "-0.034", "-0.000" for a small negative). `"typeset"`: a
   * typographic minus ("−0.034"), and a value that rounds to zero but is
   * not zero keeps one significant digit ("+0.0004"), so that an interval
   * end just beside 0 still shows on which side it is.
   */
  style?: "plain" | "typeset";
}

/** A number with its sign, for differences in verdict sentences. */
export function signed(x: number, options: SignedOptions = {}): string {
  const digits = options.digits ?? 3;
  if (options.style === "typeset") {
    const a = Math.abs(x);
    const text = a > 0 && a < 0.5 / 10 ** digits
      ? a.toPrecision(1)
      : a.toFixed(digits);
    return (x >= 0 ? "+" : "−") + text;
  }
  const s = x.toFixed(digits);
  return x >= 0 && !/^-/.test(s) ? `+${s}` : s;
}

/**
 * An interval as `mean [lo, hi]` with `digits` decimals (default 3); a
 * non-finite end shows as "–", and a non-finite mean makes the whole
 * interval "–".
 */
export function intervalText(
  interval: Interval,
  options: { digits?: number } = {},
): string {
  const digits = options.digits ?? 3;
  const f = (x: number) => Number.isFinite(x) ? x.toFixed(digits) : "–";
  if (!Number.isFinite(interval.mean)) return "–";
  return `${f(interval.mean)} [${f(interval.lo)}, ${f(interval.hi)}]`;
}
