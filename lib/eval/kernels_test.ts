import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
  randomMatrix,
} from "../testing.ts";
import { Rng } from "../data/mod.ts";
import {
  checkInt,
  innerProducts,
  nearestRows,
  rowsOf,
  TopK,
} from "./kernels.ts";
import { simdAvailable } from "./simd.ts";

function naiveDots(a: Float32Array, b: Float32Array, d: number): number[] {
  const na = a.length / d, nb = b.length / d;
  const out: number[] = [];
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
      out.push(s);
    }
  }
  return out;
}

function naiveNearest(a: Float32Array, b: Float32Array, d: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length / d; i++) {
    let best = 0, bestDist = Infinity;
    for (let j = 0; j < b.length / d; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (a[i * d + t] - b[j * d + t]) ** 2;
      if (s < bestDist) {
        bestDist = s;
        best = j;
      }
    }
    out.push(best);
  }
  return out;
}

// Shapes around the kernel's padding: rows of a to 4, rows of b to 2,
// d to 4, and the short-row (lanes) path for d <= 16.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 2],
  [5, 3, 7],
  [9, 13, 17],
  [4, 16, 16],
  [17, 33, 128],
  [70, 300, 8],
];

Deno.test("the WebAssembly SIMD kernel is available in Deno", () => {
  assertTrue(simdAvailable());
});

Deno.test("innerProducts: wasm and js kernels match a float64 loop", () => {
  const rng = new Rng(1);
  for (const [na, nb, d] of SHAPES) {
    const a = randomMatrix(rng, na, d), b = randomMatrix(rng, nb, d);
    const want = naiveDots(a, b, d);
    for (const kernel of ["wasm", "js", "auto"] as const) {
      const got = innerProducts(a, b, { d, kernel });
      assertClose(got, want, 1e-4, `${kernel} ${na}x${nb}x${d}`);
    }
  }
});

Deno.test("innerProducts writes into a given output and handles empty input", () => {
  const a = Float32Array.of(1, 2, 3, 4), b = Float32Array.of(1, 0, 0, 1);
  const out = new Float32Array(4).fill(NaN);
  innerProducts(a, b, { d: 2, out });
  assertEquals(Array.from(out), [1, 2, 3, 4]);
  assertEquals(innerProducts(new Float32Array(0), b, { d: 2 }).length, 0);
  assertThrows(
    () => innerProducts(a, b, { d: 2, out: new Float32Array(3) }),
    RangeError,
    "out",
  );
});

Deno.test("nearestRows: all kernels agree with a float64 argmin", () => {
  const rng = new Rng(2);
  for (const [na, nb, d] of SHAPES) {
    const a = randomMatrix(rng, na, d), b = randomMatrix(rng, nb, d);
    const want = naiveNearest(a, b, d);
    for (const kernel of ["wasm", "js"] as const) {
      assertEquals(
        Array.from(nearestRows(a, b, { d, kernel })),
        want,
        `${kernel} ${na}x${nb}x${d}`,
      );
    }
  }
});

Deno.test("nearestRows: ties go to the lower index on every path", () => {
  const rng = new Rng(3);
  for (const d of [3, 20]) {
    // Centroid rows 0..4 random, rows 5..9 copies of them, row 10 copy of 2.
    const base = randomMatrix(rng, 5, d);
    const b = new Float32Array(11 * d);
    b.set(base);
    b.set(base, 5 * d);
    b.set(base.subarray(2 * d, 3 * d), 10 * d);
    // Queries equal to the copies: the original (lower) index must win.
    const a = b.slice(5 * d);
    for (const kernel of ["wasm", "js"] as const) {
      assertEquals(
        Array.from(nearestRows(a, b, { d, kernel })),
        [0, 1, 2, 3, 4, 2],
        `${kernel} d=${d}`,
      );
    }
  }
});

Deno.test("TopK keeps the k best, best first, ties by lower id, pads", () => {
  const rng = new Rng(4);
  const scores = Array.from(
    { length: 200 },
    () => Math.round(rng.normal() * 5),
  );
  const top = new TopK(7);
  // Offer in a shuffled order: the result must not depend on it.
  for (const i of rng.permutation(200)) top.push(scores[i], i);
  const out = { ids: new Int32Array(7), scores: new Float32Array(7) };
  top.drainInto(out, 0);
  const want = scores.map((s, i) => [s, i])
    .sort((x, y) => y[0] - x[0] || x[1] - y[1])
    .slice(0, 7);
  assertEquals(Array.from(out.ids), want.map((x) => x[1]));
  assertEquals(Array.from(out.scores), want.map((x) => x[0]));

  const small = new TopK(4);
  small.push(NaN, 9);
  small.push(1, 5);
  small.push(1, 3);
  assertEquals(small.size, 2);
  assertEquals(small.threshold, -Infinity);
  const padded = { ids: new Int32Array(6), scores: new Float32Array(6) };
  small.drainInto(padded, 1);
  assertEquals(Array.from(padded.ids), [0, 3, 5, -1, -1, 0]);
  assertEquals(Array.from(padded.scores).slice(1, 5), [
    1,
    1,
    -Infinity,
    -Infinity,
  ]);
  assertEquals(small.size, 0);
  assertThrows(() => new TopK(0), RangeError, "k");
});

Deno.test("rowsOf and checkInt reject bad shapes and values by name", () => {
  assertEquals(rowsOf(new Float32Array(6), { d: 3, name: "x" }), 2);
  assertThrows(
    () => rowsOf(new Float32Array(5), { d: 3, name: "items" }),
    RangeError,
    "items: length 5 is not a multiple of d = 3",
  );
  assertThrows(
    () => rowsOf(new Float32Array(6), { d: 3, name: "items", n: 3 }),
    RangeError,
    "expected n = 3",
  );
  assertThrows(
    () => rowsOf(Float32Array.of(0, NaN), { d: 2, name: "queries" }),
    RangeError,
    "queries: non-finite value NaN at row 0, column 1",
  );
  assertThrows(
    () => rowsOf(new Float32Array(4), { d: 0, name: "x" }),
    RangeError,
    "d must be",
  );
  assertThrows(
    () => rowsOf([1, 2] as unknown as Float32Array, { d: 1, name: "x" }),
    TypeError,
    "x must be a Float32Array",
  );
  assertThrows(
    () => checkInt(2.5, { name: "nprobe", lo: 1 }),
    RangeError,
    "nprobe",
  );
  assertThrows(
    () => checkInt(9, { name: "nbits", lo: 1, hi: 8 }),
    RangeError,
    "nbits must be an integer in [1, 8], got 9",
  );
});
