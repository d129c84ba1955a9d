/**
 * Test helpers for lib/losses (imported only by *_test.ts): plain-JS scalar
 * re-implementations of the formulas (independent of tfjs and of the code
 * under test), a tiny fixed batch, and a finite-difference gradient check.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { assertClose } from "../testing.ts";
export { TEST_BACKENDS } from "../testing.ts";

/** A matrix as rows of plain numbers. */
export type Rows = number[][];

/** A 2-D tensor of `rows`. */
export function t(rows: Rows): tf.Tensor2D {
  return tf.tensor2d(rows);
}

/** Reads a loss result's scalar and disposes it. */
export function lossValue(result: { loss: tf.Scalar }): number {
  const x = result.loss.dataSync()[0];
  result.loss.dispose();
  return x;
}

/** Unit vector at `deg` degrees in the plane. */
export function unit(deg: number): number[] {
  const r = (deg * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

/** Dot product. */
export function dot(a: number[], b: number[]): number {
  return a.reduce((s, x, i) => s + x * b[i], 0);
}

/** The tiny batch of the tests: B = 3, d = 2, unit vectors. */
export const Q3: Rows = [unit(0), unit(80), unit(190)];
/** Positives of {@link Q3}. */
export const V3: Rows = [unit(50), unit(140), unit(120)];
/** Two extra negatives per anchor of {@link Q3}, `[B, 2, d]`. */
export const EXTRA3: Rows[] = [
  [unit(10), unit(60)],
  [unit(120), unit(90)],
  [unit(150), unit(230)],
];

/** Adaptive value of a similarity, as in adaptive.ts (independent code). */
export function refValue(
  s: number,
  base: number,
  alpha: number,
  form = "linear",
): number {
  const h = 1 - s;
  if (form === "linear") return base + alpha * h;
  if (form === "half") return base + alpha * h / 2;
  if (form === "clipped") return Math.max(base, alpha * h);
  if (form === "multiplicative") return base * (1 + alpha * h);
  throw new Error(form);
}

/** Reference options shared by the plain-JS losses. */
export interface RefOptions {
  /** Masked (b, j) pairs as "b,j" strings. */
  masked?: Set<string>;
  /** Extra negatives shared by all anchors. */
  extra?: Rows;
  /** Per-anchor extra negatives. */
  extraPerAnchor?: Rows[];
  /** Use in-batch negatives (default true). */
  inBatch?: boolean;
}

/** Candidate negatives of anchor b: [vector, isInBatchIndex or -1]. */
export function refNegatives(
  V: Rows,
  b: number,
  o: RefOptions,
): [number[], number][] {
  const out: [number[], number][] = [];
  if (o.inBatch ?? true) {
    V.forEach((vj, j) => {
      if (j !== b && !o.masked?.has(`${b},${j}`)) out.push([vj, j]);
    });
  }
  for (const e of o.extra ?? []) out.push([e, -1]);
  for (const e of o.extraPerAnchor?.[b] ?? []) out.push([e, -1]);
  return out;
}

/** Mean over anchors of Σ_neg max(0, δ(b, c) − s(a_b, p_b) + s(a_b, c)). */
export function refHinge(
  A: Rows,
  P: Rows,
  V: Rows,
  delta: (b: number, c: number[]) => number,
  o: RefOptions = {},
): number {
  let total = 0;
  for (let b = 0; b < A.length; b++) {
    for (const [c] of refNegatives(V, b, o)) {
      total += Math.max(0, delta(b, c) - dot(A[b], P[b]) + dot(A[b], c));
    }
  }
  return total / A.length;
}

/**
 * Mean over anchors of −log softmax of the positive logit; logits given
 * as functions of the anchor and candidate.
 */
export function refSoftmax(
  A: Rows,
  V: Rows,
  positiveLogit: (b: number) => number,
  logit: (b: number, c: number[], j: number) => number,
  o: RefOptions & { positiveInDenominator?: boolean } = {},
): number {
  let total = 0;
  for (let b = 0; b < A.length; b++) {
    const pos = positiveLogit(b);
    const terms = refNegatives(V, b, o).map(([c, j]) => logit(b, c, j));
    if (o.positiveInDenominator ?? true) terms.push(pos);
    if (terms.length === 0) continue;
    const m = Math.max(...terms);
    const lse = m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
    total += lse - pos;
  }
  return total / A.length;
}

/**
 * Checks tf.grads of `loss(q, v)` against central differences with step h:
 * |analytic − numeric| ≤ tol·(1 + |numeric|) for every entry.
 */
export function checkLossGradient(
  loss: (q: tf.Tensor2D, v: tf.Tensor2D) => tf.Scalar,
  Q: Rows,
  V: Rows,
  { h = 1e-2, tol = 1e-3 } = {},
): void {
  const value = (qs: Rows, vs: Rows) =>
    tf.tidy(() => loss(tf.tensor2d(qs), tf.tensor2d(vs)).dataSync()[0]);
  const [gq, gv] = tf.tidy(() => {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      loss(a as tf.Tensor2D, b as tf.Tensor2D)
    )([tf.tensor2d(Q), tf.tensor2d(V)]);
    return grads.map((g) => g.arraySync() as Rows);
  });
  for (const [which, M, G] of [["q", Q, gq], ["v", V, gv]] as const) {
    for (let r = 0; r < M.length; r++) {
      for (let c = 0; c < M[r].length; c++) {
        const plus = M.map((row) => [...row]);
        const minus = M.map((row) => [...row]);
        plus[r][c] += h;
        minus[r][c] -= h;
        const numeric = which === "q"
          ? (value(plus, V) - value(minus, V)) / (2 * h)
          : (value(Q, plus) - value(Q, minus)) / (2 * h);
        const analytic = G[r][c];
        if (!(Math.abs(analytic - numeric) <= tol * (1 + Math.abs(numeric)))) {
          throw new Error(
            `d loss / d ${which}[${r}][${c}]: analytic ${analytic} vs numeric ${numeric}`,
          );
        }
      }
    }
  }
}

/** The options every adaptive loss takes for its symmetric term. */
export interface CombineOptions<F extends string> {
  /** Adaptive form. */
  form: F;
  /** What the symmetric term's adaptive value is computed from. */
  symmetricFrom: "query" | "item";
  /** Whether L^v is added (default true). */
  symmetric?: boolean;
  /** Weight of L^v. */
  w?: number;
  /** How L^q and L^v combine. */
  combine?: "add" | "convex";
}

/**
 * Checks an adaptive loss on {@link Q3}/{@link V3}, for every form in
 * `options.forms` and both symmetric sources, against its plain-JS L^q and
 * L^v (`options.ref`) in the three ways they combine: L^q alone, the
 * default L^q + 0.05·L^v, and the convex (1 − w)·L^q + w·L^v.
 */
export function checkCombinations<F extends string>(
  loss: (
    q: tf.Tensor2D,
    v: tf.Tensor2D,
    o: CombineOptions<F>,
  ) => { loss: tf.Scalar },
  options: {
    forms: readonly F[];
    ref: (form: F, from: "query" | "item") => { lq: number; lv: number };
    w: number;
    tol: number;
  },
): void {
  const { w, tol } = options;
  for (const form of options.forms) {
    for (const from of ["query", "item"] as const) {
      const { lq, lv } = options.ref(form, from);
      const q = t(Q3);
      const v = t(V3);
      const base = { form, symmetricFrom: from };
      const cases: [Partial<CombineOptions<F>>, number, string][] = [
        [{ symmetric: false }, lq, "L^q"],
        [{}, lq + 0.05 * lv, "add"],
        [{ w, combine: "convex" }, (1 - w) * lq + w * lv, "convex"],
      ];
      for (const [extra, expected, what] of cases) {
        const got = lossValue(loss(q, v, { ...base, ...extra }));
        assertClose(got, expected, tol, `${form}/${from} ${what}`);
      }
      tf.dispose([q, v]);
    }
  }
}
