/**
 * Deterministic hashed text features: normalisation, the five feature
 * families (DSSM letter trigrams, words, word bigrams, character unigrams and
 * bigrams), MurmurHash3 bucketing with 0 reserved for padding, padded id
 * matrices with masks, and behaviour-sequence encoding.
 *
 * @module
 */

export { murmur3Bytes, murmur3String } from "./murmur3.ts";
export { normalizeText, splitWords, tokenize } from "./normalize.ts";
export {
  charBigrams,
  charTrigrams,
  charUnigrams,
  FEATURE_FAMILIES,
  type FeatureFamily,
  unitsOf,
  type UnitVisitor,
  visitUnits,
  wordBigrams,
  words,
} from "./units.ts";
export {
  DEFAULT_FEATURE_CONFIG,
  type FeatureConfig,
  featureConfig,
  type FeatureConfigOverrides,
  MAX_BUCKETS,
  maxLenFor,
  type MaxLenForOptions,
  type MaxLengths,
  type TextField,
  validateFeatureConfig,
} from "./config.ts";
export {
  encodeFamilies,
  type EncodeSequenceOptions,
  encodeSequences,
  type EncodeTextOptions,
  encodeTexts,
  FAMILY_SEEDS,
  type HashOptions,
  hashUnit,
  type PaddedIds,
} from "./encode.ts";
