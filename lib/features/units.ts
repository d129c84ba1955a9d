/**
 * Feature families: the string units a text is turned into before hashing.
 * Every family works on the words of {@link tokenize} (NFKC, lower-case,
 * letter/digit runs), counts code points rather than UTF-16 units, keeps
 * duplicates (a bag, as in DSSM) and keeps text order.
 *
 * - `charTrigram`: DSSM word hashing. Each word gets boundary marks and is
 *   cut into letter trigrams: `good` → `#go`, `goo`, `ood`, `od#`;
 *   `a` → `#a#`.
 * - `word`: the words themselves.
 * - `wordBigram`: adjacent word pairs joined by `_`: `red chair` →
 *   `red_chair` (a text of one word has none).
 * - `charUnigram`: the code points of each word (no spaces, no marks).
 * - `charBigram`: adjacent code points *within* each word, no boundary marks:
 *   `red chair` → `re`, `ed`, `ch`, `ha`, `ai`, `ir`. Pairs never straddle a
 *   word boundary because, in text with spaces, such a pair is an accident of
 *   word order; for text without spaces the whole run is one word, so this is
 *   MGDSPR's character bigram. A one-letter word has no bigram.
 *
 * @module
 */

import { tokenize } from "./normalize.ts";

/** Names of the feature families. */
export type FeatureFamily =
  | "charTrigram"
  | "word"
  | "wordBigram"
  | "charUnigram"
  | "charBigram";

/** All feature families, in a fixed order. */
export const FEATURE_FAMILIES: readonly FeatureFamily[] = [
  "charTrigram",
  "word",
  "wordBigram",
  "charUnigram",
  "charBigram",
];

/**
 * Receives units in order; returning `false` stops the walk (used to stop at
 * the maximum length without building the rest).
 */
export type UnitVisitor = (unit: string) => boolean;

// Strings without surrogates can be sliced by UTF-16 index, which is much
// cheaper than splitting into code points.
const SURROGATE = /[\ud800-\udfff]/;

function visitTrigrams(words: string[], emit: UnitVisitor): void {
  for (const w of words) {
    const m = "#" + w + "#";
    if (!SURROGATE.test(m)) {
      for (let i = 0; i + 3 <= m.length; i++) {
        if (!emit(m.substring(i, i + 3))) return;
      }
    } else {
      const cp = Array.from(m);
      for (let i = 0; i + 3 <= cp.length; i++) {
        if (!emit(cp[i] + cp[i + 1] + cp[i + 2])) return;
      }
    }
  }
}

function visitWords(words: string[], emit: UnitVisitor): void {
  for (const w of words) if (!emit(w)) return;
}

function visitWordBigrams(words: string[], emit: UnitVisitor): void {
  for (let i = 0; i + 1 < words.length; i++) {
    if (!emit(words[i] + "_" + words[i + 1])) return;
  }
}

function visitCharNgrams(words: string[], n: 1 | 2, emit: UnitVisitor): void {
  for (const w of words) {
    if (!SURROGATE.test(w)) {
      for (let i = 0; i + n <= w.length; i++) {
        if (!emit(w.substring(i, i + n))) return;
      }
    } else {
      const cp = Array.from(w);
      for (let i = 0; i + n <= cp.length; i++) {
        if (!emit(n === 1 ? cp[i] : cp[i] + cp[i + 1])) return;
      }
    }
  }
}

/**
 * Walks the units of one family over already-tokenised words, in order,
 * until `emit` returns `false`.
 */
export function visitUnits(
  words: string[],
  family: FeatureFamily,
  emit: UnitVisitor,
): void {
  switch (family) {
    case "charTrigram":
      return visitTrigrams(words, emit);
    case "word":
      return visitWords(words, emit);
    case "wordBigram":
      return visitWordBigrams(words, emit);
    case "charUnigram":
      return visitCharNgrams(words, 1, emit);
    case "charBigram":
      return visitCharNgrams(words, 2, emit);
    default:
      checkFamily(family);
  }
}

/** Throws a `RangeError` unless `family` is one of {@link FEATURE_FAMILIES}. */
export function checkFamily(family: FeatureFamily): void {
  if (!FEATURE_FAMILIES.includes(family)) {
    throw new RangeError(
      `unknown feature family '${family}'; expected one of ${
        FEATURE_FAMILIES.join(", ")
      }`,
    );
  }
}

/** All units of one family of a raw text (normalised first). */
export function unitsOf(text: string, family: FeatureFamily): string[] {
  const out: string[] = [];
  visitUnits(tokenize(text), family, (u) => {
    out.push(u);
    return true;
  });
  return out;
}

/** DSSM letter trigrams with `#` word boundaries: `good` → `#go goo ood od#`. */
export function charTrigrams(text: string): string[] {
  return unitsOf(text, "charTrigram");
}

/** The normalised words of a text. */
export function words(text: string): string[] {
  return unitsOf(text, "word");
}

/** Adjacent word pairs joined by `_`: `red chair` → `red_chair`. */
export function wordBigrams(text: string): string[] {
  return unitsOf(text, "wordBigram");
}

/** The code points of each word, spaces and punctuation dropped. */
export function charUnigrams(text: string): string[] {
  return unitsOf(text, "charUnigram");
}

/** Adjacent code points within each word. */
export function charBigrams(text: string): string[] {
  return unitsOf(text, "charBigram");
}
