import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { featureConfig } from "./config.ts";
import {
  encodeFamilies,
  encodeSequences,
  encodeTexts,
  FAMILY_SEEDS,
  hashUnit,
} from "./encode.ts";
import { murmur3String } from "./murmur3.ts";
import { FEATURE_FAMILIES, type FeatureFamily, unitsOf } from "./units.ts";

// Golden bucket ids under the default bucket counts, cross-checked with the
// `mmh3` Python package while writing this test.
const GOLDEN: [string, FeatureFamily, number][] = [
  ["#go", "charTrigram", 10125],
  ["goo", "charTrigram", 25851],
  ["ood", "charTrigram", 27897],
  ["od#", "charTrigram", 27998],
  ["good", "word", 48549],
  ["red", "word", 32722],
  ["chair", "word", 35781],
  ["café", "word", 34276],
  ["red_chair", "wordBigram", 25471],
  ["ab", "word", 10898],
  ["ab", "charBigram", 5821],
  ["a", "charUnigram", 9701],
  ["é", "charUnigram", 8569],
];

Deno.test("hashUnit: golden bucket ids", () => {
  for (const [unit, family, id] of GOLDEN) {
    assertEquals(hashUnit(unit, family), id, `${family} ${unit}`);
  }
  assertEquals(
    ["#go", "goo", "ood", "od#"].map((u) =>
      hashUnit(u, "charTrigram", { buckets: 7 })
    ),
    [6, 2, 1, 3],
  );
});

Deno.test("hashUnit: formula and range [1, buckets)", () => {
  for (const f of FEATURE_FAMILIES) {
    for (const buckets of [2, 3, 10, 30_000]) {
      for (const u of ["a", "ab", "#ab", "ab_cd", "日本"]) {
        const id = hashUnit(u, f, { buckets });
        assertEquals(id, 1 + murmur3String(u, FAMILY_SEEDS[f]) % (buckets - 1));
        assertTrue(id >= 1 && id < buckets);
      }
    }
  }
  // Two buckets: every unit lands in bucket 1.
  assertEquals(hashUnit("anything", "word", { buckets: 2 }), 1);
  assertThrows(
    () => hashUnit("a", "word", { buckets: 1 }),
    RangeError,
    "buckets",
  );
});

Deno.test("family seeds are distinct", () => {
  const seeds = new Set(Object.values(FAMILY_SEEDS));
  assertEquals(seeds.size, FEATURE_FAMILIES.length);
  // Same text, same bucket count, different family: different bucket.
  assertTrue(
    hashUnit("ab", "word", { buckets: 1 << 30 }) !==
      hashUnit("ab", "charBigram", { buckets: 1 << 30 }),
  );
});

Deno.test("encodeTexts: padding, mask, lengths, row-major layout", () => {
  const r = encodeTexts(["good", "", "a b"], "charTrigram", { maxLen: 5 });
  assertEquals(r.n, 3);
  assertEquals(r.maxLen, 5);
  const t = (u: string) => hashUnit(u, "charTrigram");
  assertEquals(
    Array.from(r.ids),
    [
      ...[10125, 25851, 27897, 27998, 0],
      ...[0, 0, 0, 0, 0],
      ...[t("#a#"), t("#b#"), 0, 0, 0],
    ],
  );
  assertEquals(
    Array.from(r.mask),
    [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0],
  );
  assertEquals(Array.from(r.lengths), [4, 0, 2]);
  assertTrue(r.ids instanceof Int32Array && r.mask instanceof Float32Array);
});

Deno.test("encodeTexts: truncation keeps the first units", () => {
  const text = "alpha beta gamma delta epsilon";
  for (const f of FEATURE_FAMILIES) {
    const all = unitsOf(text, f).map((u) => hashUnit(u, f));
    const r = encodeTexts([text], f, { maxLen: 3 });
    assertEquals(Array.from(r.ids), all.slice(0, 3), f);
    assertEquals(Array.from(r.mask), [1, 1, 1], f);
    const full = encodeTexts([text], f, { maxLen: 100 });
    assertEquals(Array.from(full.ids.subarray(0, all.length)), all, f);
    assertEquals(full.lengths[0], all.length, f);
  }
});

Deno.test("encodeTexts: field picks the maximum length", () => {
  assertEquals(encodeTexts(["x"], "word").maxLen, 30);
  assertEquals(encodeTexts(["x"], "word", { field: "title" }).maxLen, 64);
  assertEquals(
    encodeTexts(["x"], "charTrigram", { field: "title" }).maxLen,
    128,
  );
  const config = featureConfig({
    buckets: { word: 3 },
    maxLen: { titleWords: 2 },
  });
  const r = encodeTexts(["p q r"], "word", { field: "title", config });
  assertEquals(r.maxLen, 2);
  assertTrue(Array.from(r.ids).every((id) => id === 1 || id === 2));
});

Deno.test("encodeTexts: Unicode variants give the same ids", () => {
  const a = encodeTexts(["Café ＡＢＣ"], "charTrigram");
  const b = encodeTexts(["cafe\u0301 abc"], "charTrigram");
  assertEquals(a, b);
  assertEquals(
    Array.from(encodeTexts(["CAFÉ"], "word", { maxLen: 1 }).ids),
    [34276],
  );
});

Deno.test("encodeTexts: deterministic and order-independent per row", () => {
  const texts = ["red chair", "oak table", "blue velvet sofa"];
  for (const f of FEATURE_FAMILIES) {
    const a = encodeTexts(texts, f);
    assertEquals(encodeTexts(texts, f), a);
    const rev = encodeTexts([...texts].reverse(), f);
    const L = a.maxLen;
    assertEquals(
      Array.from(rev.ids.subarray(0, L)),
      Array.from(a.ids.subarray(2 * L)),
    );
  }
});

Deno.test("encodeFamilies equals per-family encodeTexts", () => {
  const texts = ["Red chair", "", "Oak 4-drawer dresser"];
  const all = encodeFamilies(texts, FEATURE_FAMILIES, { field: "title" });
  for (const f of FEATURE_FAMILIES) {
    assertEquals(all[f], encodeTexts(texts, f, { field: "title" }), f);
  }
});

Deno.test("encodeTexts: bad options are RangeErrors", () => {
  assertThrows(
    () => encodeTexts(["a"], "word", { maxLen: 0 }),
    RangeError,
    "maxLen",
  );
  assertThrows(
    () => encodeTexts(["a"], "bogus" as FeatureFamily),
    RangeError,
    "bogus",
  );
});

Deno.test("encodeSequences: keeps the most recent items, shifted by one", () => {
  const r = encodeSequences([[5, 6, 7], [], [0, 1, 2, 3, 4, 5]], { maxLen: 4 });
  assertEquals(Array.from(r.ids), [6, 7, 8, 0, 0, 0, 0, 0, 3, 4, 5, 6]);
  assertEquals(Array.from(r.mask), [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assertEquals(Array.from(r.lengths), [3, 0, 4]);
});

Deno.test("encodeSequences: default length 100 and a row map", () => {
  const long = Int32Array.from({ length: 130 }, (_, i) => i);
  const r = encodeSequences([long]);
  assertEquals(r.maxLen, 100);
  assertEquals(r.ids[0], 31);
  assertEquals(r.ids[99], 130);
  const rowOf = new Map([[100, 0], [200, 1]]);
  const m = encodeSequences([Int32Array.from([200, 100])], {
    maxLen: 3,
    rowOf,
  });
  assertEquals(Array.from(m.ids), [2, 1, 0]);
  assertThrows(
    () => encodeSequences([[100, 300]], { rowOf }),
    RangeError,
    "sequence 0, position 1: item id 300",
  );
  assertThrows(() => encodeSequences([[1, -1]]), RangeError, "item id -1");
});
