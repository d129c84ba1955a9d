import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { Rng } from "../data/mod.ts";
import {
  alignment,
  effectiveRank,
  embeddingHealth,
  jacobiEigen,
  meanCosine,
  uniformity,
} from "./health.ts";

function identical(n: number, d: number): Float32Array {
  const row = Float32Array.from({ length: d }, (_, t) => (t + 1) / 10);
  let norm = 0;
  for (const v of row) norm += v * v;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) x[i * d + t] = row[t] / Math.sqrt(norm);
  }
  return x;
}

function basis(d: number): Float32Array {
  const x = new Float32Array(d * d);
  for (let i = 0; i < d; i++) x[i * d + i] = 1;
  return x;
}

Deno.test("identical embeddings: alignment 0, cosine 1, rank 1, uniformity 0", () => {
  const d = 5, x = identical(6, d);
  assertEquals(alignment(x, x, { d }), 0);
  assertClose(meanCosine(x, { d }), 1, 1e-12);
  assertClose(effectiveRank(x, { d }), 1, 1e-9);
  assertEquals(uniformity(x, { d }), 0);
  // The sampled path (n > exactMaxN) gives the same closed form.
  assertEquals(uniformity(x, { d, exactMaxN: 2, pairs: 100 }), 0);
  const h = embeddingHealth(x, x, { d });
  assertEquals(h.alignment, 0);
  assertClose(
    [h.meanCosine, h.effectiveRank, h.uniformityItems, h.uniformityQueries],
    [1, 1, 0, 0],
    1e-9,
  );
});

Deno.test("orthonormal basis: rank d, cosine 0, uniformity -2t", () => {
  const d = 7, x = basis(d);
  assertClose(effectiveRank(x, { d }), d, 1e-9);
  assertClose(meanCosine(x, { d }), 0, 1e-12);
  // Every pair is at squared distance 2.
  assertClose(uniformity(x, { d }), -4, 1e-6);
  assertClose(uniformity(x, { d, t: 0.5 }), -1, 1e-6);
  assertClose(uniformity(x, { d, exactMaxN: 2, pairs: 50 }), -4, 1e-12);
});

Deno.test("uniformity by hand: antipodal points and a 1-d triple", () => {
  const anti = Float32Array.of(1, 0, 0, -1, 0, 0);
  assertClose(uniformity(anti, { d: 3 }), -8, 1e-6); // exp(-2·4)
  assertClose(uniformity(anti, { d: 3, t: 1 }), -4, 1e-6);
  // Points 0, 1, 3: squared distances 1, 9, 4.
  const line = Float32Array.of(0, 1, 3);
  const want = Math.log((Math.exp(-2) + Math.exp(-18) + Math.exp(-8)) / 3);
  assertClose(uniformity(line, { d: 1 }), want, 1e-6);
  // Far apart points: a naive mean of exp would underflow to log(0).
  const far = Float32Array.of(0, 30);
  assertClose(uniformity(far, { d: 1 }), -1800, 1e-6);
});

Deno.test("sampled uniformity is seeded and close to the exact value", () => {
  const rng = new Rng(1);
  const d = 8, n = 300;
  const x = Float32Array.from({ length: n * d }, () => rng.normal() / 3);
  const exact = uniformity(x, { d });
  const sampled = uniformity(x, { d, exactMaxN: 100, pairs: 20000, seed: 4 });
  assertClose(sampled, exact, 0.03);
  assertEquals(
    uniformity(x, { d, exactMaxN: 100, pairs: 20000, seed: 4 }),
    sampled,
  );
});

Deno.test("alignment and mean cosine by hand", () => {
  const x = Float32Array.of(0, 0, 1, 1), y = Float32Array.of(1, 0, 1, 3);
  assertClose(alignment(x, y, { d: 2 }), (1 + 4) / 2);
  assertClose(alignment(x, y, { d: 2, alpha: 1 }), (1 + 2) / 2);
  // cos((1,0),(0,2)) = 0, cos((1,0),(1,1)) = cos((0,2),(1,1)) = 1/√2.
  const v = Float32Array.of(1, 0, 0, 2, 1, 1);
  assertClose(meanCosine(v, { d: 2 }), (2 * (2 / Math.SQRT2)) / 6, 1e-7);
  // A zero row has cosine 0 with everything: sum stays, pairs grow to 12.
  const z = Float32Array.of(1, 0, 0, 2, 1, 1, 0, 0);
  assertClose(meanCosine(z, { d: 2 }), (2 * (2 / Math.SQRT2)) / 12, 1e-7);
});

Deno.test("effective rank of a known spectrum, invariant to rotation", () => {
  // Singular values 3, 2, 1 -> p = 1/2, 1/3, 1/6.
  const h = (Math.log(2) / 2) + (Math.log(3) / 3) + (Math.log(6) / 6);
  const want = Math.exp(h);
  const diag = Float32Array.of(3, 0, 0, 0, 2, 0, 0, 0, 1);
  assertClose(effectiveRank(diag, { d: 3 }), want, 1e-9);
  // X·R for a rotation R keeps the singular values.
  const c = Math.cos(0.7), s = Math.sin(0.7);
  const r = [c, -s, 0, s, c, 0, 0, 0, 1];
  const c2 = Math.cos(1.1), s2 = Math.sin(1.1);
  const r2 = [1, 0, 0, 0, c2, -s2, 0, s2, c2];
  const rot = new Float32Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let v = 0;
      for (let k = 0; k < 3; k++) {
        let rk = 0;
        for (let l = 0; l < 3; l++) rk += r[k * 3 + l] * r2[l * 3 + j];
        v += diag[i * 3 + k] * rk;
      }
      rot[i * 3 + j] = v;
    }
  }
  assertClose(effectiveRank(rot, { d: 3 }), want, 1e-6);
});

Deno.test("centred effective rank uses the covariance spectrum", () => {
  // Mean 0; Gram diag(2, 8): singular values √2, √8 -> p = 1/3, 2/3.
  const x = Float32Array.of(1, 0, -1, 0, 0, 2, 0, -2);
  const want = Math.exp(-(Math.log(1 / 3) / 3 + (2 / 3) * Math.log(2 / 3)));
  assertClose(effectiveRank(x, { d: 2, center: true }), want, 1e-9);
  // Shifting every row changes the raw rank but not the centred one.
  const shifted = x.map((v, i) => v + (i % 2 === 0 ? 5 : 0));
  assertClose(effectiveRank(shifted, { d: 2, center: true }), want, 1e-6);
  assertTrue(Math.abs(effectiveRank(shifted, { d: 2 }) - want) > 0.1);
  assertThrows(
    () => effectiveRank(identical(4, 3), { d: 3, center: true }),
    RangeError,
    "zero",
  );
});

Deno.test("jacobiEigen: the tridiagonal 3×3 by hand", () => {
  // [[2,1,0],[1,2,1],[0,1,2]]: eigenvalues 2+√2, 2, 2−√2.
  const a = [2, 1, 0, 1, 2, 1, 0, 1, 2];
  const { values, vectors, sweeps } = jacobiEigen(a, { n: 3 });
  assertClose(values, [2 + Math.SQRT2, 2, 2 - Math.SQRT2], 1e-12);
  assertTrue(sweeps > 0);
  const v = vectors!;
  const want = [
    [0.5, Math.SQRT1_2, 0.5],
    [Math.SQRT1_2, 0, -Math.SQRT1_2],
    [0.5, -Math.SQRT1_2, 0.5],
  ];
  for (let j = 0; j < 3; j++) {
    const col = [v[j], v[3 + j], v[6 + j]];
    const sign = Math.sign(col.find((x) => Math.abs(x) > 1e-6)!);
    assertClose(col.map((x) => x * sign), want[j], 1e-12, `vector ${j}`);
  }
});

Deno.test("jacobiEigen: A·v = λ·v, orthonormal vectors, trace kept", () => {
  const rng = new Rng(2);
  const n = 12;
  const b = Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
  }
  const { values, vectors } = jacobiEigen(a, { n });
  const v = vectors!;
  let trace = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    trace += a[i * n + i];
    sum += values[i];
    if (i > 0) assertTrue(values[i] <= values[i - 1]);
  }
  assertClose(sum, trace, 1e-9);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k] * v[k * n + j];
      assertClose(av, values[j] * v[i * n + j], 1e-9);
    }
    for (let l = 0; l < n; l++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += v[k * n + j] * v[k * n + l];
      assertClose(dot, j === l ? 1 : 0, 1e-12);
    }
  }
  // Without vectors the values are the same.
  assertClose(jacobiEigen(a, { n, vectors: false }).values, values, 1e-12);
});

Deno.test("jacobiEigen: diagonal input needs no sweep; bad input throws", () => {
  const r = jacobiEigen([1, 0, 0, 3], { n: 2 });
  assertEquals(Array.from(r.values), [3, 1]);
  assertEquals(r.sweeps, 0);
  assertEquals(Array.from(r.vectors!), [0, 1, 1, 0]);
  assertThrows(
    () => jacobiEigen([1, 2, 0, 1], { n: 2 }),
    RangeError,
    "not symmetric",
  );
  assertThrows(() => jacobiEigen([1, 2, 3], { n: 2 }), RangeError, "matrix");
  assertThrows(() => jacobiEigen([NaN], { n: 1 }), RangeError, "non-finite");
});

Deno.test("health functions reject bad input", () => {
  const x = new Float32Array(4);
  assertThrows(
    () => uniformity(x.subarray(0, 2), { d: 2 }),
    RangeError,
    "n >= 2",
  );
  assertThrows(() => uniformity(x, { d: 2, t: 0 }), RangeError, "t must");
  assertThrows(
    () => meanCosine(x.subarray(0, 2), { d: 2 }),
    RangeError,
    "n >= 2",
  );
  assertThrows(
    () => alignment(x, new Float32Array(6), { d: 2 }),
    RangeError,
    "y: expected n = 2",
  );
  assertThrows(() => effectiveRank(x, { d: 2 }), RangeError, "zero");
});
