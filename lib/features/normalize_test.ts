import { assertEquals } from "../testing.ts";
import { normalizeText, splitWords, tokenize } from "./normalize.ts";

Deno.test("normalizeText: NFKC then lower-case", () => {
  assertEquals(normalizeText("Café"), "café");
  // e + combining acute composes to the single code point é.
  assertEquals(normalizeText("Cafe\u0301"), "caf\u00e9");
  assertEquals(normalizeText("ＡＢＣ"), "abc");
  assertEquals(normalizeText("ﬁne"), "fine");
  assertEquals(normalizeText("Ⅻ"), "xii");
  assertEquals(normalizeText("ÉCOLE"), "école");
});

Deno.test("splitWords: runs of letters and digits", () => {
  assertEquals(splitWords("red chair"), ["red", "chair"]);
  assertEquals(splitWords("4-drawer dresser, walnut!"), [
    "4",
    "drawer",
    "dresser",
    "walnut",
  ]);
  assertEquals(splitWords("don't"), ["don", "t"]);
  assertEquals(splitWords("  \t\n"), []);
  assertEquals(splitWords(""), []);
  assertEquals(splitWords("under_score#hash"), ["under", "score", "hash"]);
  assertEquals(splitWords("日本語 テスト"), ["日本語", "テスト"]);
  // Superscript two is a digit (\p{N}); NFKC, in tokenize, folds it to 2.
  assertEquals(splitWords("x²y"), ["x²y"]);
});

Deno.test("tokenize: normalises and splits", () => {
  assertEquals(tokenize("  Café ＡＢＣ,  OAK-table "), [
    "café",
    "abc",
    "oak",
    "table",
  ]);
  assertEquals(tokenize("５ｘ８ Rug"), ["5x8", "rug"]);
  assertEquals(tokenize("x²y"), ["x2y"]);
});
