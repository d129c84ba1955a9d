/**
 * The statistics every experiment's verdicts are written from, and the way
 * their numbers are written into sentences:
 *
 * - intervals over seeds: the mean of per-seed values with a 95% Student-t
 *   interval ({@link seedInterval});
 * - paired per-query tests: the per-query difference of two methods on the
 *   same queries, its mean with a percentile-bootstrap 95% interval (seed
 *   0), "better" / "worse" when the interval excludes 0, and the two-sided
 *   p-value of the paired t-test on the same differences
 *   ({@link pairedDifference}, {@link pairedTTest});
 * - the family of tests a notebook states: Holm–Bonferroni adjusted
 *   p-values and decisions ({@link holm}); a verdict calls a difference
 *   better or worse only when its interval excludes 0 and its adjusted
 *   p-value is at most 0.05 ({@link familyOutcome});
 * - numbers in verdict sentences: signed differences ({@link signed}) and
 *   `mean [lo, hi]` intervals ({@link intervalText}).
 *
 * The intervals of single runs (bootstrap over test queries) are
 * `lib/eval`'s `bootstrapCI`.
 *
 * @module
 */

import {
  bootstrapCI,
  DEFAULT_BOOTSTRAP_SAMPLES,
  type Interval,
  mean as meanOf,
  sampleSd,
} from "../eval/mod.ts";
import { DEFAULT_DIGITS } from "../plot/mod.ts";

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
  const mean = meanOf(values);
  if (n === 1) return { mean, lo: mean, hi: mean };
  const sd = sampleSd(values, mean);
  const t = STUDENT_T95[n - 2] ?? 1.96;
  const h = t * sd / Math.sqrt(n);
  return { mean, lo: mean - h, hi: mean + h };
}

/**
 * How a candidate compares with a baseline: "better" or "worse" when the
 * evidence says so, "unclear" when it does not.
 */
export type Outcome = "better" | "worse" | "unclear";

/** Result of {@link pairedDifference}. */
export interface PairedDifference {
  /** Mean of a − b over the queries, with its bootstrap 95% interval. */
  difference: Interval;
  /** "better" (interval above 0), "worse" (below 0) or "unclear". */
  outcome: Outcome;
  /** Queries compared. */
  n: number;
  /**
   * Two-sided p-value of the paired t-test on the same differences
   * ({@link pairedTTest}), before any adjustment for multiple tests.
   */
  p: number;
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
  const d = bootstrapCI(diff, {
    seed: 0,
    samples: options.samples ?? DEFAULT_BOOTSTRAP_SAMPLES,
  });
  return {
    difference: d,
    outcome: d.lo > 0 ? "better" : d.hi < 0 ? "worse" : "unclear",
    n: diff.length,
    p: pairedTTest(diff).p,
  };
}

/** Result of {@link pairedTTest}. */
export interface TTest {
  /** t statistic, mean / (sd / √n) (±Infinity when sd is 0 and the mean is not). */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value, P(|T_df| ≥ |t|). */
  p: number;
}

/**
 * Paired t-test of per-query differences against 0: t = mean / (sd/√n)
 * with sd over n − 1, and the two-sided p-value from Student's t with
 * n − 1 degrees of freedom. All differences 0 give p = 1; equal non-zero
 * differences give p = 0; fewer than two values give p = 1 (no evidence).
 */
export function pairedTTest(differences: ArrayLike<number>): TTest {
  const n = differences.length;
  if (n < 2) return { t: NaN, df: Math.max(0, n - 1), p: 1 };
  const mean = meanOf(differences);
  const sd = sampleSd(differences, mean);
  const df = n - 1;
  if (sd === 0) {
    return mean === 0
      ? { t: 0, df, p: 1 }
      : { t: mean > 0 ? Infinity : -Infinity, df, p: 0 };
  }
  const t = mean / (sd / Math.sqrt(n));
  return { t, df, p: studentTwoSided(t, df) };
}

/** Two-sided tail P(|T_df| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSided(t: number, df: number): number {
  if (!(df > 0)) {
    throw new RangeError(`studentTwoSided: df must be > 0, got ${df}`);
  }
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return Math.min(1, regularizedBeta(df / (df + t * t), df / 2, 0.5));
}

// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ≈ 15 significant digits).
const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

function logGamma(x: number): number {
  if (x < 0.5) {
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) -
      logGamma(1 - x);
  }
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t +
    Math.log(a);
}

// Regularised incomplete beta I_x(a, b), by its continued fraction
// (modified Lentz), on the side where it converges fast.
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) +
      b * Math.log(1 - x),
  );
  if (x < (a + 1) / (a + b + 2)) return front * betaFraction(x, a, b) / a;
  return 1 - front * betaFraction(1 - x, b, a) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Result of {@link holm}. */
export interface HolmResult {
  /** Holm-adjusted p-values, in the order of the input; each in [raw p, 1]. */
  adjusted: number[];
  /** Whether each hypothesis is rejected at `alpha` (adjusted p ≤ alpha). */
  reject: boolean[];
}

/** The family-wise error rate the verdicts hold to when none is named. */
const DEFAULT_ALPHA = 0.05;

/**
 * Holm–Bonferroni step-down adjustment of a family of m p-values: sorted
 * ascending, the i-th smallest (i = 1 … m) becomes
 * max over j ≤ i of min(1, (m − j + 1)·p_(j)), so adjusted values keep the
 * order of the raw ones and never exceed 1; a hypothesis is rejected when
 * its adjusted p is at most `alpha` (default 0.05). This controls the
 * family-wise error rate (the chance of any false "better"/"worse" in the
 * family) at `alpha` under any dependence between the tests. Ties keep
 * their input order. Throws on a p-value outside [0, 1] or NaN.
 */
export function holm(
  pValues: readonly number[],
  options: { alpha?: number } = {},
): HolmResult {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const m = pValues.length;
  for (const [i, p] of pValues.entries()) {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`holm: p-value ${p} at ${i} is not in [0, 1]`);
    }
  }
  const order = pValues.map((_, i) => i).sort((i, j) =>
    pValues[i] - pValues[j] || i - j
  );
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[idx]));
    adjusted[idx] = running;
  });
  return { adjusted, reject: adjusted.map((p) => p <= alpha) };
}

/**
 * The outcome of one test of a family: "better" / "worse" when its
 * bootstrap interval excludes 0 on that side and its Holm-adjusted
 * p-value is at most `alpha` (default 0.05), else "unclear".
 */
export function familyOutcome(
  difference: Interval,
  options: { adjustedP: number; alpha?: number },
): Outcome {
  if (!(options.adjustedP <= (options.alpha ?? DEFAULT_ALPHA))) {
    return "unclear";
  }
  return difference.lo > 0 ? "better" : difference.hi < 0 ? "worse" : "unclear";
}

/**
 * A p-value for a sentence: "p < 0.001" below 0.001, else two significant
 * digits ("p = 0.034", "p = 0.21"; "p = 1" from 0.995 on).
 */
export function pText(p: number): string {
  if (!Number.isFinite(p)) return "p = –";
  if (p < 0.001) return "p < 0.001";
  return `p = ${Number(p.toPrecision(2))}`;
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
  const digits = options.digits ?? DEFAULT_DIGITS;
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

/** `x` with `digits` decimals (`toFixed`), or "–" when it is not finite. */
export function fixedText(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "–";
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
  const digits = options.digits ?? DEFAULT_DIGITS;
  const f = (x: number) => fixedText(x, digits);
  if (!Number.isFinite(interval.mean)) return "–";
  return `${f(interval.mean)} [${f(interval.lo)}, ${f(interval.hi)}]`;
}

/**
 * A difference and its interval, each {@link signed} with `options`:
 * "+0.012 [−0.003, +0.027]", the form every verdict writes a paired
 * difference in.
 */
export function differenceText(
  d: Interval,
  options: SignedOptions = {},
): string {
  return `${signed(d.mean, options)} [${signed(d.lo, options)}, ${
    signed(d.hi, options)
  }]`;
}

/** One paired test a verdict states: its raw p and a key naming it. */
export interface StatedTest {
  /**
   * Names the test (methods, dataset, metric): the same test stated in two
   * sentences of one family has one key and counts once.
   */
  key: string;
  /** Raw two-sided p-value. */
  p: number;
}

/**
 * A verdict sentence waiting for its family: the tests it states, and how
 * to write it once their Holm-adjusted p-values are known (in the order of
 * `tests`).
 */
export interface PendingVerdict {
  /** The paired tests the sentence states (may be none). */
  tests: readonly StatedTest[];
  /** Writes the sentence from the adjusted p-values of `tests`. */
  write(adjusted: readonly number[]): string;
}

/** Result of {@link writeFamily}. */
export interface WrittenFamily {
  /** The sentences, in the order of the pending verdicts. */
  lines: string[];
  /** Distinct tests in the family (the m of Holm's adjustment). */
  tests: number;
}

/**
 * Writes a family of verdict sentences: the raw p-values of every distinct
 * test the sentences state (by key) are Holm-adjusted together
 * ({@link holm}), and each sentence is written from its tests' adjusted
 * values.
 */
export function writeFamily(
  pending: readonly PendingVerdict[],
): WrittenFamily {
  const index = new Map<string, number>();
  const raw: number[] = [];
  for (const v of pending) {
    for (const t of v.tests) {
      if (!index.has(t.key)) {
        index.set(t.key, raw.length);
        raw.push(t.p);
      }
    }
  }
  const { adjusted } = holm(raw);
  return {
    lines: pending.map((v) =>
      v.write(v.tests.map((t) => adjusted[index.get(t.key)!]))
    ),
    tests: raw.length,
  };
}

/**
 * From a function making one pending verdict, the function writing its
 * sentence as a family of its own (p-values Holm-adjusted over the
 * sentence's own tests): what every one-sentence verdict is.
 */
export function sentenceOf<A extends unknown[]>(
  pending: (...args: A) => PendingVerdict,
): (...args: A) => string {
  return (...args) => writeFamily([pending(...args)]).lines[0];
}

/**
 * From a function making a list of pending verdicts, the function writing
 * their sentences as one family ({@link writeFamily}).
 */
export function sentencesOf<A extends unknown[]>(
  pendings: (...args: A) => readonly PendingVerdict[],
): (...args: A) => string[] {
  return (...args) => writeFamily(pendings(...args)).lines;
}

/**
 * A written family as a Markdown bullet list (for `md()`); with
 * `footnote`, followed by a blank line and its {@link holmNote} (scope
 * "this list").
 */
export function familyList(
  family: WrittenFamily,
  options: { footnote: boolean },
): string {
  const list = family.lines.map((line) => `- ${line}`).join("\n");
  return options.footnote
    ? `${list}\n\n${holmNote({ tests: family.tests, scope: "this list" })}`
    : list;
}

/**
 * The footnote under a family of verdicts: how its p-values were made and
 * adjusted (`tests` distinct paired tests of `scope`, e.g. "this list").
 */
export function holmNote(options: { tests: number; scope: string }): string {
  if (options.tests === 0) return "_No paired test in this list._";
  return `_p: two-sided paired t-test on the per-query differences; Holm p: ` +
    `p-values Holm-adjusted over the ${options.tests} paired test${
      options.tests === 1 ? "" : "s"
    } of ${options.scope}. "Better" or "worse" needs a Holm p ≤ 0.05 ` +
    `and a 95% bootstrap interval that excludes 0; the intervals are not ` +
    `adjusted._`;
}

/** "p = 0.012, Holm p = 0.048": a raw and an adjusted p-value. */
export function pHolmText(p: number, adjusted: number): string {
  return `${pText(p)}, Holm ${pText(adjusted)}`;
}
