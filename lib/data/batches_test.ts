import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  accidentalHitMask,
  type Batch,
  batchLogQ,
  hasUsers,
  iterateBatches,
  lacksQueryText,
  makeBatches,
  rowIndex,
  splitRows,
  trainingPairs,
} from "./batches.ts";
import { DataError } from "./io.ts";
import type { Dataset, Split } from "./schema.ts";

function dataset(
  pairs: [number, number, number, Split][],
  nItems = 6,
  queries: [number, Split][] = [[10, "train"], [11, "train"], [12, "train"], [
    13,
    "test",
  ]],
): Dataset {
  const itemId = Int32Array.from({ length: nItems }, (_, i) => 100 + i);
  return {
    items: {
      itemId,
      sourceId: Array.from(itemId, String),
      title: Array.from(itemId, (i) => `item ${i}`),
      category: Array.from(itemId, () => ""),
      brand: Array.from(itemId, () => ""),
      attributes: Array.from(itemId, () => ""),
      popularity: new Float32Array(nItems),
    },
    queries: {
      queryId: Int32Array.from(queries.map((q) => q[0])),
      text: queries.map((q) => `query ${q[0]}`),
      userId: Int32Array.from(queries.map(() => -1)),
      split: queries.map((q) => q[1]),
    },
    pairs: {
      queryId: Int32Array.from(pairs.map((p) => p[0])),
      itemId: Int32Array.from(pairs.map((p) => p[1])),
      relevance: Int8Array.from(pairs.map((p) => p[2])),
      split: pairs.map((p) => p[3]),
    },
    meta: { name: "batches-test" },
  };
}

// Positives b0..b4 (train, relevance 3) and labels that must or must not mask.
const TINY: [number, number, number, Split][] = [
  [10, 100, 3, "train"], // b0
  [11, 100, 3, "train"], // b1: same item as b0
  [12, 102, 3, "train"], // b2
  [10, 103, 3, "train"], // b3: query 10 again, so 103 is relevant to q10
  [11, 104, 3, "train"], // b4
  [12, 103, 2, "train"], // substitute: masks only with maskMinRelevance 2
  [12, 104, 3, "test"], // a test-split label: must not mask
  [11, 105, 0, "train"], // irrelevant label: ignored
  [13, 100, 3, "test"], // a test query's positive
];

function inOrder(pairs: ReturnType<typeof trainingPairs>): Batch {
  const pairIndex = Int32Array.from(pairs.queryId, (_, i) => i);
  return {
    epoch: 0,
    index: 0,
    pairIndex,
    queryId: pairs.queryId,
    itemId: pairs.itemId,
    queryRow: pairs.queryRow,
    itemRow: pairs.itemRow,
  };
}

Deno.test("trainingPairs: positives of the split, ids and rows", () => {
  const p = trainingPairs(dataset(TINY));
  assertEquals(p.split, "train");
  assertEquals(Array.from(p.queryId), [10, 11, 12, 10, 11]);
  assertEquals(Array.from(p.itemId), [100, 100, 102, 103, 104]);
  assertEquals(Array.from(p.queryRow), [0, 1, 2, 0, 1]);
  assertEquals(Array.from(p.itemRow), [0, 0, 2, 3, 4]);
  assertEquals(p.itemRowOf.get(105), 5);
  assertEquals(p.queryRowOf.get(13), 3);
  assertEquals(p.relevant.get(10), new Set([100, 103]));
  assertEquals(p.relevant.get(11), new Set([100, 104]));
  assertEquals(p.relevant.get(12), new Set([102]));
  assertEquals(p.relevant.has(13), false);

  const test = trainingPairs(dataset(TINY), { split: "test" });
  // (12, 104) is filed under test, so it is a test positive here.
  assertEquals(Array.from(test.queryId), [12, 13]);
  assertEquals(test.relevant.get(12), new Set([104]));

  const loose = trainingPairs(dataset(TINY), { minRelevance: 2 });
  assertEquals(Array.from(loose.itemId), [100, 100, 102, 103, 104, 103]);
});

Deno.test("accidentalHitMask: entry by entry on a hand-built batch", () => {
  const p = trainingPairs(dataset(TINY));
  const mask = accidentalHitMask(p, inOrder(p));
  // deno-fmt-ignore
  assertEquals(Array.from(mask), [
    0, 1, 0, 1, 0, // q10/100: b1 same item, b3 (103) labelled for q10
    1, 0, 0, 0, 1, // q11/100: b0 same item, b4 (104) labelled for q11
    0, 0, 0, 0, 0, // q12/102: the substitute and the test label do not mask
    1, 1, 0, 0, 0, // q10/103: 100 labelled for q10 (b0 and b1)
    1, 1, 0, 0, 0, // q11/104: 100 labelled for q11 (b0 and b1)
  ]);
});

Deno.test("accidentalHitMask: maskMinRelevance and labelSplits widen it", () => {
  const sub = trainingPairs(dataset(TINY), { maskMinRelevance: 2 });
  const m1 = accidentalHitMask(sub, inOrder(sub));
  assertEquals(Array.from(m1.subarray(10, 15)), [0, 0, 0, 1, 0]);
  // Reading test labels (never the default) would mask b4 for q12: this is
  // exactly the leakage the default split filter prevents.
  const leak = trainingPairs(dataset(TINY), { labelSplits: ["train", "test"] });
  const m2 = accidentalHitMask(leak, inOrder(leak));
  assertEquals(Array.from(m2.subarray(10, 15)), [0, 0, 0, 0, 1]);
});

Deno.test("mask of a shuffled batch is the permuted hand-built mask", () => {
  const p = trainingPairs(dataset(TINY));
  const full = accidentalHitMask(p, inOrder(p));
  const [batch] = makeBatches(p, { batchSize: 5, seed: 3 });
  const m = accidentalHitMask(p, batch);
  for (let b = 0; b < 5; b++) {
    for (let j = 0; j < 5; j++) {
      const pb = batch.pairIndex[b], pj = batch.pairIndex[j];
      assertEquals(m[b * 5 + j], full[pb * 5 + pj], `(${b}, ${j})`);
    }
  }
});

Deno.test("logQ: counts over the number of positive pairs", () => {
  const p = trainingPairs(dataset(TINY));
  // 100 twice, 102, 103, 104 once each, out of 5 pairs.
  assertClose(p.itemProbability, [0.4, 0, 0.2, 0.2, 0.2, 0], 1e-12);
  assertClose(
    batchLogQ(p, inOrder(p)),
    [Math.log(0.4), Math.log(0.4), Math.log(0.2), Math.log(0.2), Math.log(0.2)],
    1e-6,
  );
  const [batch] = makeBatches(p, { batchSize: 2, seed: 9 });
  assertClose(
    batchLogQ(p, batch),
    Array.from(batch.itemId, (i) => Math.log(i === 100 ? 0.4 : 0.2)),
    1e-6,
  );
});

function bigPairs(n: number) {
  const tuples: [number, number, number, Split][] = [];
  for (let k = 0; k < n; k++) tuples.push([k, 100 + (k * 7) % 50, 3, "train"]);
  const queries: [number, Split][] = Array.from(
    { length: n },
    (_, k) => [k, "train"],
  );
  return trainingPairs(dataset(tuples, 50, queries));
}

Deno.test("makeBatches: every pair exactly once per epoch", () => {
  const p = bigPairs(1000);
  const batches = makeBatches(p, { batchSize: 64, seed: 1, epoch: 2 });
  assertEquals(batches.length, 16);
  assertEquals(batches.map((b) => b.pairIndex.length).at(-1), 1000 - 15 * 64);
  const seen = new Int32Array(1000);
  for (const [k, b] of batches.entries()) {
    assertEquals(b.index, k);
    assertEquals(b.epoch, 2);
    for (let r = 0; r < b.pairIndex.length; r++) {
      const i = b.pairIndex[r];
      seen[i]++;
      assertEquals(b.queryId[r], p.queryId[i]);
      assertEquals(b.itemId[r], p.itemId[i]);
      assertEquals(b.queryRow[r], p.queryRow[i]);
      assertEquals(b.itemRow[r], p.itemRow[i]);
    }
  }
  assertTrue(seen.every((c) => c === 1));
  const dropped = makeBatches(p, {
    batchSize: 64,
    seed: 1,
    epoch: 2,
    dropLast: true,
  });
  assertEquals(dropped.length, 15);
  assertTrue(dropped.every((b) => b.pairIndex.length === 64));
  assertEquals(dropped, batches.slice(0, 15));
});

Deno.test("makeBatches: deterministic in (seed, epoch), different otherwise", () => {
  const p = bigPairs(500);
  const a = makeBatches(p, { batchSize: 50, seed: 7, epoch: 0 });
  assertEquals(makeBatches(p, { batchSize: 50, seed: 7, epoch: 0 }), a);
  const order = (bs: Batch[]) => bs.flatMap((b) => Array.from(b.pairIndex));
  const e1 = makeBatches(p, { batchSize: 50, seed: 7, epoch: 1 });
  const s8 = makeBatches(p, { batchSize: 50, seed: 8, epoch: 0 });
  assertTrue(order(e1).join() !== order(a).join());
  assertTrue(order(s8).join() !== order(a).join());
  assertTrue(order(e1).join() !== order(s8).join());
  // The default batch size is the paper's 350.
  assertEquals(makeBatches(p).map((b) => b.pairIndex.length), [350, 150]);
});

Deno.test("makeBatches: pinned order, so runs stay comparable across versions", () => {
  const p = bigPairs(10);
  const order = (epoch: number) =>
    makeBatches(p, { batchSize: 4, seed: 0, epoch }).flatMap((b) =>
      Array.from(b.pairIndex)
    );
  assertEquals(order(0), [0, 9, 7, 1, 6, 4, 3, 8, 5, 2]);
  assertEquals(order(1), [1, 4, 0, 8, 2, 6, 5, 7, 9, 3]);
});

Deno.test("iterateBatches: batches plus mask and logQ", () => {
  const p = bigPairs(120);
  const opts = { batchSize: 40, seed: 5, epoch: 3 };
  const plain = makeBatches(p, opts);
  let k = 0;
  for (const b of iterateBatches(p, opts)) {
    assertEquals(b.pairIndex, plain[k].pairIndex);
    assertEquals(b.mask, accidentalHitMask(p, plain[k]));
    assertEquals(b.logQ, batchLogQ(p, plain[k]));
    assertEquals(b.mask.length, 40 * 40);
    for (let i = 0; i < 40; i++) assertEquals(b.mask[i * 41], 0);
    k++;
  }
  assertEquals(k, 3);
});

Deno.test("empty split: no pairs, no batches", () => {
  const p = trainingPairs(dataset(TINY), { split: "valid" });
  assertEquals(p.queryId.length, 0);
  assertEquals(makeBatches(p), []);
  assertTrue(p.itemProbability.every((x) => x === 0));
});

Deno.test("errors name the option, table or column", () => {
  const ds = dataset(TINY);
  assertThrows(
    () => trainingPairs(ds, { minRelevance: 4 }),
    RangeError,
    "minRelevance",
  );
  assertThrows(
    () => trainingPairs(ds, { maskMinRelevance: -1 }),
    RangeError,
    "maskMinRelevance",
  );
  assertThrows(
    () => trainingPairs(ds, { split: "dev" as Split }),
    RangeError,
    "split",
  );
  assertThrows(
    () => trainingPairs(ds, { labelSplits: ["dev" as Split] }),
    RangeError,
    "labelSplits",
  );
  const p = trainingPairs(ds);
  assertThrows(() => makeBatches(p, { batchSize: 0 }), RangeError, "batchSize");
  assertThrows(() => makeBatches(p, { seed: 0.5 }), RangeError, "seed");
  assertThrows(() => makeBatches(p, { epoch: -1 }), RangeError, "epoch");
  assertThrows(
    () => trainingPairs(dataset([[10, 999, 3, "train"]])),
    DataError,
    "unknown item id 999",
  );
  assertThrows(
    () => trainingPairs(dataset([[77, 100, 3, "train"]])),
    DataError,
    "unknown query id 77",
  );
  assertThrows(
    () =>
      rowIndex(Int32Array.from([1, 2, 1]), {
        table: "items",
        column: "item_id",
      }),
    DataError,
    "items: column 'item_id': duplicate id 1 at rows 0 and 2",
  );
});

Deno.test("splitRows: the query rows of one split, in table order", () => {
  const queries = { split: ["train", "test", "valid", "test"] as Split[] };
  assertEquals(Array.from(splitRows(queries, "test")), [1, 3]);
  assertEquals(Array.from(splitRows(queries, "valid")), [2]);
});

Deno.test("hasUsers and lacksQueryText: what a dataset offers a tower", () => {
  const queries = (text: string[]) => ({ queries: { text } });
  assertEquals(lacksQueryText(queries(["", "  "])), true);
  assertEquals(lacksQueryText(queries(["", "red chair"])), false);
  const users = (n: number) => ({
    users: { userId: new Int32Array(n), history: [] as Int32Array[] },
  });
  assertEquals(hasUsers({ users: undefined }), false);
  assertEquals(hasUsers(users(0)), false);
  assertEquals(hasUsers(users(2)), true);
});
