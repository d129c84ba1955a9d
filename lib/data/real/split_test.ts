import { assertEquals, assertThrows } from "../../testing.ts";
import {
  countBySplit,
  fraction,
  hashedSplit,
  loaderOptions,
  pickFraction,
  relevanceBySplit,
  shuffledKeys,
  sortedPairs,
  SPLIT_SEED,
  splitQueryId,
} from "./split.ts";

Deno.test("splitQueryId encodes the split in the low base-3 digit", () => {
  assertEquals(
    [
      splitQueryId(0, "train"),
      splitQueryId(7, "valid"),
      splitQueryId(7, "test"),
    ],
    [0, 22, 23],
  );
});

Deno.test("pickFraction: size, determinism, independent of input order", () => {
  const keys = Array.from({ length: 50 }, (_, i) => i * 3);
  const a = pickFraction(keys, 0.1, 42);
  assertEquals(a.size, 5);
  assertEquals(pickFraction([...keys].reverse(), 0.1, 42), a);
  assertEquals(pickFraction([...keys, ...keys], 0.1, 42), a);
  for (const k of a) assertEquals(k % 3, 0);
  assertEquals(pickFraction(keys, 0, 42).size, 0);
  // A different seed picks a different set (for these 50 keys).
  const sorted = (x: Set<number>) => [...x].sort((p, q) => p - q);
  assertEquals(
    JSON.stringify(sorted(pickFraction(keys, 0.1, 43))) ===
      JSON.stringify(sorted(a)),
    false,
  );
  const order = shuffledKeys(keys, 1);
  assertEquals(Array.from(order).sort((x, y) => x - y), keys);
});

Deno.test("loaderOptions: defaults, and a fraction outside [0, 1) named", () => {
  const table = { f: fraction(0.25, "a share"), seed: SPLIT_SEED };
  assertEquals(loaderOptions(table, {}), { f: 0.25, seed: 0 });
  // Other loaders' options pass through unread.
  assertEquals(loaderOptions(table, { f: 0.5, minRating: 3 }).f, 0.5);
  assertThrows(
    () => loaderOptions(table, { f: 1 }),
    RangeError,
    "option f must be a finite number ≥ 0 and < 1, got 1",
  );
  assertThrows(() => loaderOptions(table, { f: -0.1 }), RangeError, "got -0.1");
  assertThrows(() => loaderOptions(table, { f: NaN }), RangeError, "got NaN");
  assertThrows(
    () => loaderOptions(table, { seed: 1.5 }),
    RangeError,
    "option seed must be an integer",
  );
});

Deno.test("sortedPairs orders by query then item; counts per split", () => {
  const p = sortedPairs([
    { q: 5, i: 2, r: 3, s: "test" },
    { q: 1, i: 9, r: 0, s: "train" },
    { q: 1, i: 4, r: 3, s: "train" },
  ]);
  assertEquals(Array.from(p.queryId), [1, 1, 5]);
  assertEquals(Array.from(p.itemId), [4, 9, 2]);
  assertEquals(Array.from(p.relevance), [3, 0, 3]);
  assertEquals(countBySplit(p.split), { train: 2, valid: 0, test: 1 });
  assertEquals(relevanceBySplit(p), {
    train: { "0": 1, "3": 1 },
    valid: {},
    test: { "3": 1 },
  });
});

Deno.test("hashedSplit: seeded, per key, close to the asked fractions", () => {
  const options = { seed: 0, valid: 0.1, test: 0.2 };
  const keys = Array.from({ length: 20000 }, (_, i) => `k${i}`);
  const splits = keys.map((k) => hashedSplit(k, options));
  const counts = countBySplit(splits);
  assertEquals(counts.train + counts.valid + counts.test, 20000);
  // Binomial sd at n = 20000 is below 60; 3 sd either side.
  for (const [split, share] of [["valid", 0.1], ["test", 0.2]] as const) {
    const c = counts[split];
    assertEquals(Math.abs(c - share * 20000) < 180, true, `${split} ${c}`);
  }
  // The same key and seed always give the same split; another seed moves
  // some keys.
  assertEquals(keys.map((k) => hashedSplit(k, options)), splits);
  const other = keys.map((k) => hashedSplit(k, { ...options, seed: 1 }));
  assertEquals(other.some((s, i) => s !== splits[i]), true);
  assertEquals(hashedSplit("k0", { seed: 0, valid: 0, test: 0 }), "train");
});
