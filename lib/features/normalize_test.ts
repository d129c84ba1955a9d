import { assertEquals } from "../testing.ts";
import { normalizeText, splitWords, tokenize } from "./normalize.ts";

Deno.test("normalizeText: NFKC then lower-case", () => {
  const cases: [string, string][] = [
    ["Café", "café"],
    // e + combining acute composes to the single code point é.
    ["Cafe\u0301", "caf\u00e9"],
    ["ＡＢＣ", "abc"],
    ["ﬁne", "fine"],
    ["Ⅻ", "xii"],
    ["ÉCOLE", "école"],
  ];
  for (const [text, expected] of cases) {
    assertEquals(normalizeText(text), expected);
  }
});

Deno.test("splitWords: runs of letters and digits", () => {
  const cases: [string, string[]][] = [
    ["red chair", ["red", "chair"]],
    ["4-drawer dresser, walnut!", ["4", "drawer", "dresser", "walnut"]],
    ["don't", ["don", "t"]],
    ["  \t\n", []],
    ["", []],
    ["under_score#hash", ["under", "score", "hash"]],
    ["日本語 テスト", ["日本語", "テスト"]],
    // Superscript two is a digit (\p{N}); NFKC, in tokenize, folds it to 2.
    ["x²y", ["x²y"]],
  ];
  for (const [text, expected] of cases) {
    assertEquals(splitWords(text), expected);
  }
});

Deno.test("tokenize: normalises and splits", () => {
  const cases: [string, string[]][] = [
    ["  Café ＡＢＣ,  OAK-table ", ["café", "abc", "oak", "table"]],
    ["５ｘ８ Rug", ["5x8", "rug"]],
    ["x²y", ["x2y"]],
  ];
  for (const [text, expected] of cases) {
    assertEquals(tokenize(text), expected);
  }
});
