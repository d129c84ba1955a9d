/**
 * Text normalisation shared by every hashed feature family.
 *
 * 1. Unicode NFKC: compatibility forms are folded, so full-width `ＡＢＣ`
 *    becomes `ABC`, the ligature `ﬁ` becomes `fi`, and `e` + combining acute
 *    becomes the single code point `é`.
 * 2. Lower-casing with `String.prototype.toLowerCase` (locale-independent,
 *    so the result does not depend on the machine's locale).
 * 3. Word splitting: a word is a maximal run of Unicode letters or digits
 *    (`[\p{L}\p{N}]+`); everything else (spaces, punctuation, symbols,
 *    combining marks that NFKC could not compose) separates words. So
 *    `"4-Drawer"` gives `4`, `drawer` and `"don't"` gives `don`, `t`.
 *
 * Scripts written without spaces (Chinese, Japanese) come out as one word
 * per run; their character unigrams and bigrams carry the finer granularity.
 *
 * @module
 */

const WORD = /[\p{L}\p{N}]+/gu;

/** NFKC, then lower-case. */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

/** The words of already-normalised text: maximal runs of letters/digits. */
export function splitWords(normalized: string): string[] {
  return normalized.match(WORD) ?? [];
}

/** Normalises `text` and splits it into words. */
export function tokenize(text: string): string[] {
  return splitWords(normalizeText(text));
}
