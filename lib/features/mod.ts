/**
 * Deterministic hashed text features: normalisation, the five feature
 * families (DSSM letter trigrams, words, word bigrams, character unigrams and
 * bigrams), MurmurHash3 bucketing with 0 reserved for padding, padded id
 * matrices with masks, and behaviour-sequence encoding.
 *
 * @module
 */

export * from "./murmur3.ts";
export * from "./normalize.ts";
export * from "./units.ts";
export * from "./config.ts";
export * from "./encode.ts";
