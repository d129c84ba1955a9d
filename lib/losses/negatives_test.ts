import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { SMALLER_SIZES, smallSynthetic } from "../fixtures.ts";
import { makeBatches, Rng, trainingPairs } from "../data/mod.ts";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  mgdsprMixedNegatives,
  mixedNegativeScores,
  relevantItemRows,
  sampleRandomItems,
  sampleUnclicked,
} from "./negatives.ts";

Deno.test("sampleUnclicked: no positive, no labelled item, no repeat; seeded", () => {
  const ds = smallSynthetic(9, SMALLER_SIZES);
  const pairs = trainingPairs(ds);
  const relevantRows = relevantItemRows(pairs);
  // The helper's rows are the labelled items' rows.
  for (const [q, ids] of pairs.relevant) {
    assertEquals(
      relevantRows.get(q),
      new Set([...ids].map((id) => pairs.itemRowOf.get(id)!)),
    );
  }
  const b = makeBatches(pairs, { batchSize: 48, seed: 1 })[0];
  const opts = { k: 6, numItems: ds.items.itemId.length, relevantRows };
  const rows = sampleUnclicked(new Rng(7), b, opts);
  assertEquals(rows.length, b.itemRow.length * 6);
  for (let i = 0; i < b.itemRow.length; i++) {
    const mine = rows.subarray(i * 6, i * 6 + 6);
    assertEquals(new Set(mine).size, 6);
    for (const r of mine) {
      assertTrue(r !== b.itemRow[i]);
      assertTrue(!relevantRows.get(b.queryId[i])?.has(r));
    }
  }
  assertEquals(sampleUnclicked(new Rng(7), b, opts), rows);
  assertTrue(
    sampleUnclicked(new Rng(8), b, opts).some((r, i) => r !== rows[i]),
  );
});

Deno.test("sampleRandomItems: distinct, in range, excluded rows skipped, seeded", () => {
  const a = sampleRandomItems(new Rng(4), { nItems: 100, k: 30 });
  const b = sampleRandomItems(new Rng(4), { nItems: 100, k: 30 });
  assertEquals(a, b);
  assertEquals(new Set(a).size, 30);
  assertTrue(a.every((x) => x >= 0 && x < 100));
  const c = sampleRandomItems(new Rng(5), { nItems: 100, k: 30 });
  assertTrue(a.some((x, i) => x !== c[i]));
  // Excluding all but three rows leaves exactly those three.
  const exclude = new Set(Array.from({ length: 10 }, (_, i) => i));
  for (const keep of [2, 5, 7]) exclude.delete(keep);
  const rest = sampleRandomItems(new Rng(1), { nItems: 10, k: 3, exclude });
  assertEquals([...rest].sort(), [2, 5, 7]);
  assertThrows(
    () => sampleRandomItems(new Rng(1), { nItems: 10, k: 4, exclude }),
    RangeError,
    "k must be an integer in [0, 3]",
  );
  // Uniform: each of 5 rows is drawn about 1/5 of the time.
  const counts = [0, 0, 0, 0, 0];
  const rng = new Rng(9);
  for (let t = 0; t < 10_000; t++) {
    counts[sampleRandomItems(rng, { nItems: 5, k: 1 })[0]]++;
  }
  // Binomial sd ≈ 40; 5 sd.
  for (const n of counts) assertTrue(Math.abs(n - 2000) < 200, `${counts}`);
});

Deno.test("mgdsprMixedNegatives: a·i⁺ + (1 − a)·I_hard on a tiny bank", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const q = tf.tensor2d([[1, 0], [0, 1]]);
  const v = tf.tensor2d([[0.6, 0.8], [1, 0]]);
  const bank = tf.tensor2d([[1, 0], [0.8, 0.6], [0, 1], [-1, 0]]);
  // Query 0 may not pick bank row 0 (say, its own positive).
  const exclude = tf.tensor2d([[1, 0, 0, 0], [0, 0, 0, 0]]);
  const a = Float32Array.from([0.5, 0.4]);
  const res = mgdsprMixedNegatives(q, v, {
    bank,
    topN: 2,
    a,
    exclude,
    normalize: false,
  });
  // q0 scores (1, 0.8, 0, −1) minus row 0 → rows 1, 2; q1 scores
  // (0, 0.6, 1, 0) → rows 2, 1.
  assertEquals(Array.from(res.hard), [1, 2, 2, 1]);
  assertEquals(res.mixed.shape, [2, 2, 2]);
  const bankRows = [[1, 0], [0.8, 0.6], [0, 1], [-1, 0]];
  const pos = [[0.6, 0.8], [1, 0]];
  const expected: number[] = [];
  for (let b = 0; b < 2; b++) {
    for (let k = 0; k < 2; k++) {
      const hard = bankRows[res.hard[b * 2 + k]];
      for (let j = 0; j < 2; j++) {
        expected.push(a[b] * pos[b][j] + (1 - a[b]) * hard[j]);
      }
    }
  }
  assertClose(res.mixed.dataSync(), expected, 1e-6);
  // Scores of each query against its own mixed negatives.
  const s = mixedNegativeScores(q, res.mixed);
  assertClose(s.dataSync(), [
    expected[0],
    expected[2],
    expected[5],
    expected[7],
  ], 1e-6);

  // Default: normalised, a ~ U(0.4, 0.6) from the rng, reproducible.
  const r1 = mgdsprMixedNegatives(q, v, { bank, topN: 3, rng: new Rng(1) });
  const r2 = mgdsprMixedNegatives(q, v, { bank, topN: 3, rng: new Rng(1) });
  assertEquals(r1.a, r2.a);
  assertTrue(r1.a.every((x) => x >= 0.4 && x < 0.6));
  const m = r1.mixed.arraySync();
  for (const row of m) {
    for (const x of row) assertClose(Math.hypot(...x), 1, 1e-5);
  }
  assertThrows(
    () => mgdsprMixedNegatives(q, v, { bank, topN: 5, rng: new Rng(1) }),
    RangeError,
    "topN must be an integer in [1, 4]",
  );
  assertThrows(
    () => mgdsprMixedNegatives(q, v, { bank, topN: 2 }),
    RangeError,
    "rng is required",
  );
  // Gradients reach the positives and the bank rows picked as hard.
  const [gv, gb] = tf.grads((vv: tf.Tensor, bb: tf.Tensor) => {
    const r = mgdsprMixedNegatives(q, vv as tf.Tensor2D, {
      bank: bb as tf.Tensor2D,
      topN: 2,
      a,
      exclude,
    });
    return tf.sum(mixedNegativeScores(q, r.mixed));
  })([v, bank]);
  assertTrue(gv.dataSync().some((x) => x !== 0));
  const gbRows = gb.arraySync() as number[][];
  assertTrue(gbRows[1].some((x) => x !== 0) && gbRows[2].some((x) => x !== 0));
  assertEquals(gbRows[0], [0, 0]);
  assertEquals(gbRows[3], [0, 0]);
  tf.dispose([q, v, bank, exclude, res.mixed, s, r1.mixed, r2.mixed, gv, gb]);
});
