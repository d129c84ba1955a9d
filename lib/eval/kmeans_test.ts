import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { Rng } from "../data/mod.ts";
import { assignNearest, kmeans } from "./kmeans.ts";

function blobs(
  rng: Rng,
  options: { centers: number[][]; perBlob: number; spread: number },
): { x: Float32Array; label: number[] } {
  const { centers, perBlob, spread } = options;
  const d = centers[0].length;
  const x = new Float32Array(centers.length * perBlob * d);
  const label: number[] = [];
  let i = 0;
  for (let c = 0; c < centers.length; c++) {
    for (let p = 0; p < perBlob; p++, i++) {
      for (let t = 0; t < d; t++) {
        x[i * d + t] = centers[c][t] + spread * rng.normal();
      }
      label.push(c);
    }
  }
  return { x, label };
}

function sse(x: Float32Array, c: Float32Array, a: Int32Array, d: number) {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    for (let t = 0; t < d; t++) s += (x[i * d + t] - c[a[i] * d + t]) ** 2;
  }
  return s;
}

Deno.test("k-means objective never increases across iterations", () => {
  const rng = new Rng(1);
  const d = 6, n = 600;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  for (const init of ["kmeans++", "random"] as const) {
    const r = kmeans(x, { d, k: 25, seed: 3, iters: 15, init });
    assertEquals(r.objective.length, 16);
    for (let t = 1; t < r.objective.length; t++) {
      assertTrue(
        r.objective[t] <= r.objective[t - 1] * (1 + 1e-6),
        `${init}: objective rose at iteration ${t}: ${r.objective}`,
      );
    }
    assertTrue(r.objective[15] < r.objective[0], `${init} made no progress`);
    // The reported objective is the SSE of the returned assignment.
    assertClose(r.objective[15], sse(x, r.centroids, r.assignments, d), 1e-6);
  }
});

Deno.test("k-means recovers well-separated blobs", () => {
  const rng = new Rng(2);
  const centers = [[0, 0], [10, 0], [0, 10], [10, 10]];
  const { x, label } = blobs(rng, { centers, perBlob: 50, spread: 0.5 });
  const r = kmeans(x, { d: 2, k: 4, seed: 7, iters: 10 });
  // Each blob maps to exactly one cluster, and vice versa.
  const map = new Map<number, number>();
  for (let i = 0; i < label.length; i++) {
    const got = map.get(label[i]);
    if (got === undefined) map.set(label[i], r.assignments[i]);
    else assertEquals(r.assignments[i], got);
  }
  assertEquals(new Set(map.values()).size, 4);
  for (const [blob, c] of map) {
    assertClose(
      [r.centroids[2 * c], r.centroids[2 * c + 1]],
      centers[blob],
      0.3,
    );
  }
});

Deno.test("k-means++ finds every distinct point when k equals their number", () => {
  // 40 rows, 8 distinct values: k = 8 must reach objective 0.
  const values = [0, 1, 2, 3, 5, 8, 13, 21];
  const x = Float32Array.from({ length: 40 }, (_, i) => values[i % 8]);
  const r = kmeans(x, { d: 1, k: 8, seed: 1, iters: 0 });
  assertEquals(r.objective[0], 0);
  assertEquals(Array.from(r.centroids).sort((a, b) => a - b), values);
  // More centroids than distinct points: still 0 and no empty cluster errors.
  const over = kmeans(x, { d: 1, k: 12, seed: 1, iters: 3 });
  assertEquals(Array.from(over.objective), [0, 0, 0, 0]);
});

Deno.test("k-means is deterministic for a seed", () => {
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 300 * 4 }, () => rng.normal());
  const a = kmeans(x, { d: 4, k: 10, seed: 5 });
  const b = kmeans(x, { d: 4, k: 10, seed: 5 });
  assertEquals(a, b);
  const c = kmeans(x, { d: 4, k: 10, seed: 6 });
  assertTrue(c.centroids.some((v, i) => v !== a.centroids[i]));
});

Deno.test("assignNearest matches brute force and reports exact distances", () => {
  const rng = new Rng(4);
  for (const d of [3, 40]) {
    const x = Float32Array.from({ length: 200 * d }, () => rng.normal());
    const c = Float32Array.from({ length: 17 * d }, () => rng.normal());
    const { assignments, distances } = assignNearest(x, c, { d });
    for (let i = 0; i < 200; i++) {
      let best = -1, bestDist = Infinity;
      for (let j = 0; j < 17; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (x[i * d + t] - c[j * d + t]) ** 2;
        if (s < bestDist) {
          bestDist = s;
          best = j;
        }
      }
      assertEquals(assignments[i], best);
      assertClose(distances[i], bestDist, 1e-9);
    }
  }
});

Deno.test("kmeans rejects bad options by name", () => {
  const x = new Float32Array(10);
  assertThrows(() => kmeans(x, { d: 2, k: 6, seed: 1 }), RangeError, "k must");
  assertThrows(() => kmeans(x, { d: 2, k: 0, seed: 1 }), RangeError, "k must");
  assertThrows(
    () => kmeans(x, { d: 2, k: 2, seed: 1, iters: -1 }),
    RangeError,
    "iters",
  );
  assertThrows(
    () => kmeans(x, { d: 2, k: 2, seed: 1, init: "pp" as "random" }),
    RangeError,
    "init",
  );
  assertThrows(() => kmeans(x, { d: 3, k: 2, seed: 1 }), RangeError, "vectors");
  assertThrows(() => kmeans(x, { d: 2, k: 2, seed: 1.5 }), RangeError, "seed");
});
