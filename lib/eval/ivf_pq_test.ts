import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { Rng } from "../data/mod.ts";
import { IvfPqIndex, overlapAtK } from "./ivf_pq.ts";
import { searchResult } from "./kernels.ts";
import { exactSearch } from "./metrics.ts";

/**
 * Unit vectors in `clusters` groups of equal size (row i belongs to group
 * i % clusters): centre ~ N(0, I) plus N(0, noise² I), normalised.
 */
function clustered(
  rng: Rng,
  options: { n: number; d: number; noise: number; centres: Float32Array },
): Float32Array {
  const { n, d, noise, centres } = options;
  const clusters = centres.length / d;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = centres[c * d + t] + noise * rng.normal();
      x[i * d + t] = v;
      s += v * v;
    }
    for (let t = 0; t < d; t++) x[i * d + t] /= Math.sqrt(s);
  }
  return x;
}

function overlap(a: Int32Array, b: Int32Array, k: number): number {
  let hits = 0;
  for (let q = 0; q < a.length / k; q++) {
    const want = new Set(a.subarray(q * k, q * k + k));
    for (let j = 0; j < k; j++) if (want.has(b[q * k + j])) hits++;
  }
  return hits / a.length;
}

// 5,000 unit vectors, d = 32, in 500 groups of 10 (noise 0.5), and 200
// queries from the same groups. Built once for the tests below.
const D = 32, K = 10, NLIST = 32;
const rng = new Rng(11);
const centres = Float32Array.from({ length: 500 * D }, () => rng.normal());
const ITEMS = clustered(rng, { n: 5000, d: D, noise: 0.5, centres });
const QUERIES = clustered(rng, { n: 200, d: D, noise: 0.5, centres });
const EXACT = exactSearch(QUERIES, ITEMS, { k: K, d: D });
const INDEX = IvfPqIndex.build(ITEMS, { d: D, nlist: NLIST, m: 8, seed: 1 });

Deno.test("IVF-PQ: recall@10 vs exact >= 0.9 when every list is probed", () => {
  const res = INDEX.search(QUERIES, { k: K, nprobe: NLIST });
  const recall = overlap(EXACT.ids, res.ids, K);
  assertTrue(recall >= 0.9, `recall@10 ${recall}`);
});

Deno.test("IVF-PQ: recall grows with nprobe; candidate coverage is monotone", () => {
  const recalls: number[] = [];
  const coverage: number[] = [];
  // List of every item, from the index's own layout.
  const listOf = new Int32Array(INDEX.n);
  for (let l = 0; l < NLIST; l++) {
    for (let e = INDEX.listOffsets[l]; e < INDEX.listOffsets[l + 1]; e++) {
      listOf[INDEX.listIds[e]] = l;
    }
  }
  const qc = exactSearch(QUERIES, INDEX.centroids, { k: NLIST, d: D });
  for (const nprobe of [1, 2, 4, 8, 16, 32]) {
    recalls.push(
      overlap(EXACT.ids, INDEX.search(QUERIES, { k: K, nprobe }).ids, K),
    );
    // Share of true neighbours whose list is among the nprobe best q·c:
    // a superset of lists can only cover more (a theorem, unlike recall).
    let covered = 0;
    for (let q = 0; q < 200; q++) {
      const probed = new Set(qc.ids.subarray(q * NLIST, q * NLIST + nprobe));
      for (let j = 0; j < K; j++) {
        if (probed.has(listOf[EXACT.ids[q * K + j]])) covered++;
      }
    }
    coverage.push(covered / (200 * K));
  }
  for (let i = 1; i < recalls.length; i++) {
    assertTrue(coverage[i] >= coverage[i - 1], `coverage ${coverage}`);
    // More candidates can (rarely) displace a true neighbour by one whose
    // PQ score is overestimated, so recall is only nearly monotone.
    assertTrue(recalls[i] >= recalls[i - 1] - 0.005, `recall ${recalls}`);
  }
  assertEquals(coverage[coverage.length - 1], 1);
  assertTrue(recalls[5] > recalls[0] + 0.1, `recall ${recalls}`);
});

Deno.test("IVF-PQ scores are q · reconstruct(id)", () => {
  const res = INDEX.search(QUERIES.subarray(0, 5 * D), { k: K, nprobe: 4 });
  for (let q = 0; q < 5; q++) {
    for (let j = 0; j < K; j++) {
      const r = INDEX.reconstruct(res.ids[q * K + j]);
      let s = 0;
      for (let t = 0; t < D; t++) s += QUERIES[q * D + t] * r[t];
      assertClose(res.scores[q * K + j], s, 1e-5);
    }
  }
});

Deno.test("IVF-PQ with m = d and few distinct values equals exact search", () => {
  // 8 dims, 16 levels each; with nlist = 4 a residual coordinate takes at
  // most 16 × 4 = 64 <= 256 values, so 1-dim PQ codebooks are exact.
  const r = new Rng(12);
  const d = 8, n = 1000;
  const items = Float32Array.from({ length: n * d }, () => r.int(16) / 8 - 1);
  const queries = Float32Array.from({ length: 50 * d }, () => r.normal());
  const index = IvfPqIndex.build(items, {
    d,
    nlist: 4,
    m: d,
    seed: 3,
    trainSize: n,
  });
  for (let i = 0; i < n; i += 97) {
    assertClose(index.reconstruct(i), items.subarray(i * d, i * d + d), 1e-6);
  }
  const want = exactSearch(queries, items, { k: 20, d });
  const got = index.search(queries, { k: 20, nprobe: 4 });
  assertEquals(got.ids, want.ids);
  assertClose(got.scores, want.scores, 1e-5);
});

Deno.test("IVF-PQ is deterministic for a seed", () => {
  const again = IvfPqIndex.build(ITEMS, { d: D, nlist: NLIST, m: 8, seed: 1 });
  assertEquals(again.codes, INDEX.codes);
  assertEquals(again.listIds, INDEX.listIds);
  assertEquals(again.centroids, INDEX.centroids);
  assertEquals(again.codebooks, INDEX.codebooks);
  const other = IvfPqIndex.build(ITEMS, { d: D, nlist: NLIST, m: 8, seed: 2 });
  assertTrue(other.codes.some((c, i) => c !== INDEX.codes[i]));
});

Deno.test("IVF-PQ pads when probed lists hold fewer than k; empty lists", () => {
  // 300 rows with 2 distinct values: 4 lists leave 2 of them empty.
  const d = 4;
  const x = Float32Array.from(
    { length: 300 * d },
    (_, i) => (Math.floor(i / d) % 2 === 0 ? 1 : -1) * (1 + (i % d)),
  );
  const index = IvfPqIndex.build(x, { d, nlist: 4, m: 2, nbits: 4, seed: 1 });
  const st = index.stats();
  assertEquals(st.emptyLists, 2);
  assertEquals(Array.from(st.listSizes).sort((a, b) => b - a), [
    150,
    150,
    0,
    0,
  ]);
  const q = Float32Array.of(1, 1, 1, 1);
  const one = index.search(q, { k: 200, nprobe: 1 });
  assertEquals(one.ids.slice(150), new Int32Array(50).fill(-1));
  assertTrue(one.scores.slice(150).every((s) => s === -Infinity));
  // The 150 found are the positive rows, ties ordered by id.
  assertEquals(
    Array.from(one.ids.slice(0, 150)),
    Array.from({ length: 150 }, (_, i) => 2 * i),
  );
  // Probing the empty lists too changes nothing but adds the rest.
  const all = index.search(q, { k: 400, nprobe: 4 });
  assertEquals(all.ids.filter((i) => i >= 0).length, 300);
});

Deno.test("IVF-PQ stats report sizes and memory", () => {
  const st = INDEX.stats();
  assertEquals([st.n, st.d, st.nlist, st.m, st.nbits], [5000, D, NLIST, 8, 8]);
  let total = 0;
  for (const s of st.listSizes) total += s;
  assertEquals(total, 5000);
  assertEquals(st.memoryBytes.codes, 5000 * 8);
  assertEquals(st.memoryBytes.centroids, NLIST * D * 4);
  assertEquals(st.memoryBytes.codebooks, 8 * 256 * (D / 8) * 4);
  assertEquals(
    st.memoryBytes.total,
    st.memoryBytes.codes + st.memoryBytes.ids + st.memoryBytes.centroids +
      st.memoryBytes.codebooks,
  );
});

Deno.test("IVF-PQ rejects bad options, naming them", () => {
  const x = ITEMS.subarray(0, 300 * D);
  const base = { d: D, nlist: 4, m: 8, seed: 1 };
  assertThrows(
    () => IvfPqIndex.build(x, { ...base, m: 5 }),
    RangeError,
    "m = 5 does not divide d = 32",
  );
  assertThrows(
    () => IvfPqIndex.build(x, { ...base, nlist: 301 }),
    RangeError,
    "nlist = 301 exceeds the n = 300 vectors",
  );
  for (const nbits of [0, 9, 2.5]) {
    assertThrows(
      () => IvfPqIndex.build(x, { ...base, nbits }),
      RangeError,
      "nbits",
    );
  }
  assertThrows(
    () => IvfPqIndex.build(x.subarray(0, 100 * D), base),
    RangeError,
    "nbits = 8: 2^nbits = 256 codewords need at least 256 vectors",
  );
  assertThrows(
    () => IvfPqIndex.build(x, { ...base, trainSize: 100 }),
    RangeError,
    "trainSize",
  );
  assertThrows(
    () => IvfPqIndex.build(x, { ...base, kmeansIters: -1 }),
    RangeError,
    "kmeansIters",
  );
  assertThrows(
    () => IvfPqIndex.build(x, { ...base, d: 7 }),
    RangeError,
    "vectors",
  );
  assertThrows(
    () => INDEX.search(QUERIES, { k: 10, nprobe: NLIST + 1 }),
    RangeError,
    "nprobe",
  );
  assertThrows(
    () => INDEX.search(QUERIES, { k: 0, nprobe: 1 }),
    RangeError,
    "k",
  );
  assertThrows(
    () => INDEX.search(QUERIES.subarray(1), { k: 1, nprobe: 1 }),
    RangeError,
    "queries",
  );
  assertThrows(() => INDEX.reconstruct(5000), RangeError, "id");
});

Deno.test("overlapAtK: the share of the exact top k the approximate top k finds", () => {
  const result = (ids: number[][]) => {
    const r = searchResult(ids.length, ids[0].length);
    r.ids.set(ids.flat());
    return r;
  };
  const exact = result([[1, 2, 3], [4, 5, 6]]);
  // Query 0 finds 2 and 3 of its exact three; query 1 finds all three.
  const approx = result([[3, 9, 2], [6, 5, 4]]);
  assertClose(overlapAtK(approx, exact, 3), 5 / 6, 1e-12);
  // At k = 1 only each list's first id counts: 3 ≠ 1, 6 ≠ 4.
  assertEquals(overlapAtK(approx, exact, 1), 0);
});
