import { assertEquals, assertThrows } from "../testing.ts";
import {
  charBigrams,
  charTrigrams,
  charUnigrams,
  FEATURE_FAMILIES,
  type FeatureFamily,
  unitsOf,
  visitUnits,
  wordBigrams,
  words,
} from "./units.ts";

Deno.test("charTrigrams: DSSM word hashing with boundary marks", () => {
  assertEquals(charTrigrams("good"), ["#go", "goo", "ood", "od#"]);
  assertEquals(charTrigrams("a"), ["#a#"]);
  assertEquals(charTrigrams("ab"), ["#ab", "ab#"]);
  assertEquals(charTrigrams("Good Day!"), [
    "#go",
    "goo",
    "ood",
    "od#",
    "#da",
    "day",
    "ay#",
  ]);
  // Duplicates are kept: a bag, not a set.
  assertEquals(charTrigrams("aa aa"), ["#aa", "aa#", "#aa", "aa#"]);
  assertEquals(charTrigrams(""), []);
  assertEquals(charTrigrams("!!"), []);
});

Deno.test("charTrigrams: counts code points, not UTF-16 units", () => {
  assertEquals(charTrigrams("a𐌰b"), ["#a𐌰", "a𐌰b", "𐌰b#"]);
  assertEquals(charTrigrams("Café"), ["#ca", "caf", "afé", "fé#"]);
  // An emoji is a symbol, not a letter, so it separates words.
  assertEquals(charTrigrams("a🙂b"), ["#a#", "#b#"]);
});

Deno.test("words and word bigrams", () => {
  assertEquals(words("Red  CHAIR, oak"), ["red", "chair", "oak"]);
  assertEquals(wordBigrams("red chair"), ["red_chair"]);
  assertEquals(wordBigrams("Red chair, oak"), ["red_chair", "chair_oak"]);
  assertEquals(wordBigrams("chair"), []);
  assertEquals(wordBigrams(""), []);
});

Deno.test("char unigrams and bigrams stay inside words", () => {
  assertEquals(charUnigrams("Red ab"), ["r", "e", "d", "a", "b"]);
  assertEquals(charBigrams("red chair"), ["re", "ed", "ch", "ha", "ai", "ir"]);
  assertEquals(charBigrams("a b"), []);
  assertEquals(charBigrams("ＡＢＣ"), ["ab", "bc"]);
  assertEquals(charUnigrams("日本𐌰"), ["日", "本", "𐌰"]);
  assertEquals(charBigrams("日本𐌰"), ["日本", "本𐌰"]);
});

Deno.test("visitUnits: stops when the visitor returns false", () => {
  for (const f of FEATURE_FAMILIES) {
    const all = unitsOf("alpha beta gamma 𐌰𐌰𐌰 delta", f);
    const seen: string[] = [];
    visitUnits(["alpha", "beta", "gamma", "𐌰𐌰𐌰", "delta"], f, (u) => {
      seen.push(u);
      return seen.length < 3;
    });
    assertEquals(seen, all.slice(0, 3), f);
  }
});

Deno.test("visitUnits: unknown family is a RangeError naming it", () => {
  assertThrows(
    () => unitsOf("x", "trigram" as FeatureFamily),
    RangeError,
    "trigram",
  );
});
