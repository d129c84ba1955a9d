import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
  randomMatrix,
} from "../testing.ts";
import { Rng } from "../data/mod.ts";
import {
  batchRanks,
  batchRecall,
  bootstrapCI,
  exactSearch,
  hitsAt,
  labelsFromPairs,
  mean,
  median,
  positiveRanks,
  type QueryLabels,
  rankingMetrics,
  sampleSd,
} from "./metrics.ts";

// ---------------------------------------------------------------------------
// exactSearch

Deno.test("exactSearch equals a full sort of all inner products", () => {
  const rng = new Rng(1);
  const d = 19, nq = 70, n = 2100, k = 12; // crosses query and item blocks
  const q = randomMatrix(rng, nq, d), x = randomMatrix(rng, n, d);
  const res = exactSearch(q, x, { k, d, n });
  assertEquals([res.nq, res.k], [nq, k]);
  for (let i = 0; i < nq; i++) {
    const all = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += q[i * d + t] * x[j * d + t];
      return [s, j];
    }).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const want = all.slice(0, k);
    assertEquals(
      Array.from(res.ids.subarray(i * k, i * k + k)),
      want.map((w) => w[1]),
    );
    assertClose(
      res.scores.subarray(i * k, i * k + k),
      want.map((w) => w[0]),
      1e-4,
    );
  }
});

Deno.test("exactSearch orders ties by lower index and pads k > n", () => {
  // Items 0 and 2 are identical; item 1 scores lower.
  const items = Float32Array.of(1, 0, 0.5, 0, 1, 0);
  const res = exactSearch(Float32Array.of(1, 0), items, { k: 5, d: 2 });
  assertEquals(Array.from(res.ids), [0, 2, 1, -1, -1]);
  assertEquals(Array.from(res.scores), [1, 1, 0.5, -Infinity, -Infinity]);
});

Deno.test("exactSearch rejects bad input by name", () => {
  const x = new Float32Array(8);
  assertThrows(() => exactSearch(x, x, { k: 0, d: 2 }), RangeError, "k");
  assertThrows(() => exactSearch(x, x, { k: 1, d: 3 }), RangeError, "queries");
  assertThrows(
    () => exactSearch(x, x, { k: 1, d: 2, n: 5 }),
    RangeError,
    "items: expected n = 5",
  );
  assertThrows(
    () => exactSearch(x, Float32Array.of(1, Infinity), { k: 1, d: 2 }),
    RangeError,
    "items: non-finite",
  );
});

// ---------------------------------------------------------------------------
// batch recall

// q0=(1,0) q1=(0,1) q2=(1,1); items i0=(1,0) i1=(1,0) i2=(0,1).
// Scores: q0 [1 1 0], q1 [0 0 1], q2 [1 1 1]; positives on the diagonal.
const Q3 = Float32Array.of(1, 0, 0, 1, 1, 1);
const I3 = Float32Array.of(1, 0, 1, 0, 0, 1);

Deno.test("batchRanks counts ties against the positive", () => {
  // q0: i1 ties with the positive -> 2; q1: positive 0, i0 = 0 and i2 = 1
  // are >= -> 3; q2: all equal -> 3.
  assertEquals(Array.from(batchRanks(Q3, I3, { d: 2 })), [2, 3, 3]);
});

Deno.test("batchRanks ignores masked items (accidental hits)", () => {
  const mask = new Uint8Array(9);
  mask[0 * 3 + 1] = 1; // q0 ignores i1
  mask[2 * 3 + 2] = 1; // the diagonal is never masked
  assertEquals(Array.from(batchRanks(Q3, I3, { d: 2, mask })), [1, 3, 3]);
  assertThrows(
    () => batchRanks(Q3, I3, { d: 2, mask: new Uint8Array(4) }),
    RangeError,
    "mask",
  );
});

Deno.test("batchRecall with itemKeys masks same-key items in the batch", () => {
  // Keys: i0 and i1 are the same product.
  const r = batchRecall(Q3, I3, { d: 2, ks: [1, 2, 3], itemKeys: [7, 7, 9] });
  // q0 ignores i1 -> 1; q1 ignores i0 -> only i2 (1 >= 0) -> 2; q2 -> 3.
  assertEquals(Array.from(r.ranks), [1, 2, 3]);
  assertClose([r.recall[1], r.recall[2], r.recall[3]], [1 / 3, 2 / 3, 1]);
  assertEquals(Array.from(r.hits[2]), [1, 1, 0]);
});

Deno.test("batchRecall splits into consecutive batches; keep or drop the tail", () => {
  const rng = new Rng(2);
  const d = 6, n = 11, size = 4;
  const q = randomMatrix(rng, n, d), x = randomMatrix(rng, n, d);
  const keep = batchRecall(q, x, { d, batchSize: size, ks: [1, 2] });
  assertEquals([keep.batches, keep.evaluated, keep.dropped], [3, 11, 0]);
  const want = [0, 4, 8].flatMap((s) => {
    const e = Math.min(n, s + size);
    return Array.from(
      batchRanks(q.subarray(s * d, e * d), x.subarray(s * d, e * d), { d }),
    );
  });
  assertEquals(Array.from(keep.ranks), want);
  // The 3-row tail ranks its positives among 3 items only.
  assertTrue(keep.ranks.slice(8).every((r) => r <= 3));
  let hits = 0;
  for (const r of want) if (r <= 2) hits++;
  assertClose(keep.recall[2], hits / n);

  const drop = batchRecall(q, x, {
    d,
    batchSize: size,
    ks: [1],
    lastBatch: "drop",
  });
  assertEquals([drop.batches, drop.evaluated, drop.dropped], [2, 8, 3]);
  assertEquals(Array.from(drop.ranks), want.slice(0, 8));
});

Deno.test("batchRecall: a collapsed model scores 0 below k = B, 1 at k >= B", () => {
  const d = 4, n = 10;
  const same = new Float32Array(n * d).fill(0.5);
  const r = batchRecall(same, same, { d, batchSize: 5, ks: [1, 4, 5] });
  assertEquals(Array.from(r.ranks), new Array(n).fill(5));
  assertEquals([r.recall[1], r.recall[4], r.recall[5]], [0, 0, 1]);
  // Orthonormal queries = items: every positive is strictly first.
  const eye = new Float32Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const perfect = batchRecall(eye, eye, { d: n, ks: [1] });
  assertEquals(perfect.recall[1], 1);
  assertEquals(perfect.batches, 1); // default batch size 350
});

Deno.test("batchRecall rejects bad options by name", () => {
  assertThrows(
    () => batchRecall(Q3, I3, { d: 2, batchSize: 0 }),
    RangeError,
    "batchSize",
  );
  assertThrows(() => batchRecall(Q3, I3, { d: 2, ks: [0] }), RangeError, "ks");
  assertThrows(
    () =>
      batchRecall(Q3, I3, {
        d: 2,
        lastBatch: "skip" as unknown as "drop",
      }),
    RangeError,
    "lastBatch",
  );
  assertThrows(
    () => batchRecall(Q3, I3, { d: 2, itemKeys: [1] }),
    RangeError,
    "itemKeys",
  );
  assertThrows(
    () => batchRecall(Q3, I3.subarray(0, 4), { d: 2 }),
    RangeError,
    "items",
  );
});

// ---------------------------------------------------------------------------
// ranking metrics

// Query 0 retrieves [10 11 12 13 14]; labels 11:3, 13:2, 20:3 (missed), 14:0.
// Query 1 has no label >= 3 and is skipped.
const RANKED = {
  ids: Int32Array.of(10, 11, 12, 13, 14, 11, 13, 12, -1, -1),
  k: 5,
};
const LABELS: QueryLabels[] = [
  { ids: [11, 13, 20, 14], relevance: [3, 2, 3, 0] },
  { ids: [13], relevance: [2] },
];

Deno.test("rankingMetrics: recall, MRR and exponential-gain NDCG by hand", () => {
  const r = rankingMetrics(RANKED, LABELS, { ks: [1, 2, 5] });
  assertEquals([r.evaluated, r.skipped], [1, 1]);
  assertEquals(Array.from(r.queryIndex), [0]);
  // relevant = {11, 20}; 11 is at rank 2.
  assertClose([r.recall[1], r.recall[2], r.recall[5]], [0, 0.5, 0.5]);
  assertClose(r.mrr, 0.5);
  // gains 2^rel - 1: 11 -> 7 at rank 2, 13 -> 3 at rank 4.
  const dcg5 = 7 / Math.log2(3) + 3 / Math.log2(5);
  const idcg5 = 7 + 7 / Math.log2(3) + 3 / Math.log2(4); // [7, 7, 3, 0]
  assertClose(r.ndcg[5], dcg5 / idcg5, 1e-12);
  assertClose(r.ndcg[2], (7 / Math.log2(3)) / (7 + 7 / Math.log2(3)), 1e-12);
  assertClose(r.ndcg[1], 0);
  assertClose(r.perQuery.ndcg[5], [dcg5 / idcg5], 1e-12);
  assertClose(r.perQuery.mrr, [0.5]);
});

Deno.test("rankingMetrics: linear gain, thresholds and MRR cutoff", () => {
  const lin = rankingMetrics(RANKED, LABELS, { ks: [5], gain: "linear" });
  const dcg = 3 / Math.log2(3) + 2 / Math.log2(5);
  const idcg = 3 + 3 / Math.log2(3) + 2 / Math.log2(4);
  assertClose(lin.ndcg[5], dcg / idcg, 1e-12);

  // minRelevance 2: query 1 now counts (13 at rank 2 of its list);
  // query 0's relevant = {11, 13, 20}, two retrieved, first at rank 2.
  const two = rankingMetrics(RANKED, LABELS, { ks: [5], minRelevance: 2 });
  assertEquals([two.evaluated, two.skipped], [2, 0]);
  assertClose(two.perQuery.recall[5], [2 / 3, 1]);
  assertClose(two.perQuery.mrr, [0.5, 0.5]);

  const cut = rankingMetrics(RANKED, LABELS, { ks: [1], mrrCutoff: 1 });
  assertClose(cut.mrr, 0);
});

Deno.test("rankingMetrics counts a repeated id once and skips -1 slots", () => {
  const ranked = { ids: Int32Array.of(11, 11, -1, 20), k: 4 };
  const labels = [{ ids: [11, 20], relevance: [3, 3] }];
  const r = rankingMetrics(ranked, labels, { ks: [2, 4] });
  assertClose([r.recall[2], r.recall[4]], [0.5, 1]);
  const dcg = 7 + 7 / Math.log2(5);
  assertClose(r.ndcg[4], dcg / (7 + 7 / Math.log2(3)), 1e-12);
  // Duplicate labels keep the highest grade.
  const dup = rankingMetrics({ ids: Int32Array.of(5), k: 1 }, [
    { ids: [5, 5], relevance: [1, 3] },
  ], { ks: [1] });
  assertClose(dup.ndcg[1], 1);
});

Deno.test("rankingMetrics rejects bad options by name", () => {
  assertThrows(
    () => rankingMetrics(RANKED, LABELS, { ks: [10] }),
    RangeError,
    "ks: k = 10 exceeds the ranked-list length 5",
  );
  assertThrows(
    () => rankingMetrics(RANKED, LABELS.slice(0, 1)),
    RangeError,
    "labels",
  );
  assertThrows(
    () => rankingMetrics(RANKED, LABELS, { ks: [1], mrrCutoff: 6 }),
    RangeError,
    "mrrCutoff",
  );
  assertThrows(
    () => rankingMetrics(RANKED, LABELS, { ks: [1], gain: "log" as "linear" }),
    RangeError,
    "gain",
  );
  assertThrows(
    () =>
      rankingMetrics(RANKED, [
        { ids: [1], relevance: [-1] },
        LABELS[1],
      ], { ks: [1] }),
    RangeError,
    "labels[0].relevance",
  );
  assertThrows(
    () => rankingMetrics({ ids: new Int32Array(7), k: 5 }, LABELS),
    RangeError,
    "ranked.ids",
  );
});

Deno.test("labelsFromPairs groups by query and maps item ids to rows", () => {
  const pairs = {
    queryId: [7, 8, 7, 9],
    itemId: [100, 101, 102, 100],
    relevance: [3, 1, 2, 3],
  };
  const plain = labelsFromPairs(pairs, { queryIds: [8, 7, 5] });
  assertEquals(plain, [
    { ids: [101], relevance: [1] },
    { ids: [100, 102], relevance: [3, 2] },
    { ids: [], relevance: [] },
  ]);
  const rows = labelsFromPairs(pairs, {
    queryIds: [7],
    itemRow: new Map([[102, 0], [100, 1]]),
  });
  assertEquals(rows, [{ ids: [1, 0], relevance: [3, 2] }]);
});

// ---------------------------------------------------------------------------
// bootstrap

Deno.test("bootstrapCI: constant values give a zero-width interval", () => {
  assertEquals(bootstrapCI([0.25, 0.25, 0.25], { seed: 1 }), {
    mean: 0.25,
    lo: 0.25,
    hi: 0.25,
  });
});

Deno.test("bootstrapCI matches the normal approximation and is seeded", () => {
  // 100 Bernoulli values with mean 1/2: standard error 0.05.
  const values = Array.from({ length: 100 }, (_, i) => i % 2);
  const ci = bootstrapCI(values, { seed: 3, samples: 4000 });
  assertClose(ci.mean, 0.5);
  assertClose(ci.lo, 0.5 - 1.96 * 0.05, 0.015);
  assertClose(ci.hi, 0.5 + 1.96 * 0.05, 0.015);
  assertEquals(bootstrapCI(values, { seed: 3, samples: 4000 }), ci);
  const narrow = bootstrapCI(values, { seed: 3, samples: 4000, level: 0.5 });
  assertTrue(narrow.lo > ci.lo && narrow.hi < ci.hi);
});

Deno.test("bootstrapCI rejects bad input", () => {
  assertThrows(() => bootstrapCI([], { seed: 1 }), RangeError, "empty");
  assertThrows(() => bootstrapCI([1, NaN], { seed: 1 }), RangeError, "values");
  assertThrows(
    () => bootstrapCI([1], { seed: 1, level: 1 }),
    RangeError,
    "level",
  );
  assertThrows(
    () => bootstrapCI([1], { seed: 1, samples: 0 }),
    RangeError,
    "samples",
  );
});

Deno.test("mean, sampleSd and median: hand values, and NaN where undefined", () => {
  assertEquals(mean([1, 2, 3, 4]), 2.5);
  // Σ(x − 2.5)² = 5 over n − 1 = 3.
  assertClose(sampleSd([1, 2, 3, 4]), Math.sqrt(5 / 3), 1e-15);
  // About another centre: Σ(x − 0)² = 30 over 3.
  assertClose(sampleSd([1, 2, 3, 4], 0), Math.sqrt(10), 1e-15);
  assertEquals(median([4, 1, 3, 2]), 2.5);
  assertEquals(median([3, 1, 2]), 2);
  assertTrue(Number.isNaN(mean([])));
  assertTrue(Number.isNaN(sampleSd([7])));
  assertTrue(Number.isNaN(median([])));
});

Deno.test("positiveRanks and hitsAt: hand values, ties against the positive, masked candidates skipped", () => {
  // Row b: anchor b's scores; its positive on the diagonal.
  const scores = [
    0.9,
    0.5,
    0.9, // a tie with the positive counts against it: rank 2
    0.8,
    0.1,
    0.3, // both others higher: rank 3
    0.0,
    0.2,
    0.7, // the best: rank 1
  ];
  assertEquals(Array.from(positiveRanks(scores, { size: 3 })), [2, 3, 1]);
  // Masking anchor 1's first candidate (an accidental hit) lifts it to 2.
  const mask = [0, 0, 0, 1, 0, 0, 0, 0, 0];
  assertEquals(Array.from(positiveRanks(scores, { size: 3, mask })), [2, 2, 1]);
  assertEquals(Array.from(hitsAt([2, 3, 1], 2)), [1, 0, 1]);
});
