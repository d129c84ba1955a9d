import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { validateDataset } from "./io.ts";
import {
  generateSyntheticWithTruth,
  type SyntheticOptions,
} from "./synthetic.ts";

const BASE: SyntheticOptions = {
  numItems: 800,
  numQueries: 1500,
  numUsers: 50,
  validShare: 0.2,
  testShare: 0.2,
};

Deno.test("sellerCopyShare 0 leaves every table as it was without the option", () => {
  const without = generateSyntheticWithTruth(BASE);
  const zero = generateSyntheticWithTruth({ ...BASE, sellerCopyShare: 0 });
  for (const table of ["items", "queries", "pairs", "users"] as const) {
    assertEquals(zero.dataset[table], without.dataset[table], table);
  }
  assertEquals(zero.dataset.meta.counts, without.dataset.meta.counts);
  assertTrue(zero.truth.itemCopyOf.every((c) => c === -1));
  assertEquals(zero.truth.itemCopyOf.length, 800);
});

Deno.test("seller copies: same text as the original, appended, the rest unchanged", () => {
  const plain = generateSyntheticWithTruth(BASE).dataset;
  const { dataset: ds, truth } = generateSyntheticWithTruth({
    ...BASE,
    sellerCopyShare: 0.25,
  });
  validateDataset(ds);
  assertEquals(ds.items.itemId.length, 1000);
  const counts = ds.meta.counts as Record<string, unknown>;
  assertEquals(counts.items, 1000);
  assertEquals(counts.sellerCopies, 200);
  // A train label moves to one offer, so training has as many positives.
  assertEquals(
    counts.trainingPairs,
    (plain.meta.counts as Record<string, unknown>).trainingPairs,
  );
  // The products and the queries are those of the data without copies.
  for (let i = 0; i < 800; i++) {
    assertEquals(ds.items.title[i], plain.items.title[i]);
    assertEquals(truth.itemCopyOf[i], -1);
  }
  assertEquals(ds.queries.text, plain.queries.text);
  assertEquals(ds.queries.split, plain.queries.split);
  const originals = new Set<number>();
  for (let c = 800; c < 1000; c++) {
    const o = truth.itemCopyOf[c];
    assertTrue(o >= 0 && o < 800, `copy ${c} of ${o}`);
    originals.add(o);
    for (
      const col of ["title", "category", "brand", "attributes"] as const
    ) assertEquals(ds.items[col][c], ds.items[col][o], `${col} of ${c}`);
    assertEquals(ds.items.popularity[c], ds.items.popularity[o]);
    assertEquals(truth.itemFamily[c], truth.itemFamily[o]);
    assertEquals(truth.itemSubCategory[c], truth.itemSubCategory[o]);
  }
  assertEquals(originals.size, 200);
});

Deno.test("seller copies: train labels go to one offer at random, valid/test labels to both", () => {
  const plain = generateSyntheticWithTruth(BASE).dataset;
  const { dataset: ds, truth } = generateSyntheticWithTruth({
    ...BASE,
    sellerCopyShare: 0.5,
  });
  const copyOf = truth.itemCopyOf;
  const product = (item: number) => copyOf[item] >= 0 ? copyOf[item] : item;
  // Labels per (query, product): the offers and relevance they carry.
  const key = (q: number, item: number) => `${q}:${product(item)}`;
  const labelled = new Map<string, { items: number[]; rel: number[] }>();
  const p = ds.pairs;
  for (let i = 0; i < p.queryId.length; i++) {
    const k = key(p.queryId[i], p.itemId[i]);
    const e = labelled.get(k) ?? { items: [], rel: [] };
    e.items.push(p.itemId[i]);
    e.rel.push(p.relevance[i]);
    labelled.set(k, e);
  }
  const copied = new Set(Array.from(copyOf).filter((c) => c >= 0));
  let trainCopied = 0, onCopy = 0, judged = 0;
  const q = plain.pairs;
  for (let i = 0; i < q.queryId.length; i++) {
    const e = labelled.get(key(q.queryId[i], q.itemId[i]));
    assertTrue(e !== undefined, `label ${i} kept`);
    assertTrue(e.rel.every((r) => r === q.relevance[i]), `relevance ${i}`);
    if (!copied.has(q.itemId[i])) {
      assertEquals(e.items, [q.itemId[i]]);
    } else if (q.split[i] === "train") {
      assertEquals(e.items.length, 1, `train label ${i} on one offer`);
      trainCopied++;
      if (e.items[0] !== q.itemId[i]) onCopy++;
    } else {
      assertEquals(e.items.length, 2, `${q.split[i]} label ${i} on both`);
      judged++;
    }
  }
  assertEquals(labelled.size, q.queryId.length);
  assertTrue(judged > 100 && trainCopied > 300, `${judged} ${trainCopied}`);
  const half = onCopy / trainCopied;
  assertTrue(
    half > 0.4 && half < 0.6,
    `share of train labels on copies ${half}`,
  );
});

Deno.test("sellerCopyShare out of range names the option", () => {
  assertThrows(
    () => generateSyntheticWithTruth({ sellerCopyShare: 1.5 }),
    RangeError,
    "sellerCopyShare must be a finite number ≥ 0 and ≤ 1, got 1.5",
  );
});
