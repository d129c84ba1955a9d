import { assertEquals, assertThrows } from "../testing.ts";
import { FEATURE_FAMILIES } from "./units.ts";
import {
  BUCKET_OPTIONS,
  DEFAULT_FEATURE_CONFIG,
  featureConfig,
  maxLenFor,
  type TextField,
  validateFeatureConfig,
} from "./config.ts";

Deno.test("default config: documented values", () => {
  assertEquals(DEFAULT_FEATURE_CONFIG.buckets, {
    charTrigram: 30_000,
    word: 50_000,
    wordBigram: 50_000,
    charUnigram: 10_000,
    charBigram: 30_000,
  });
  assertEquals(DEFAULT_FEATURE_CONFIG.maxLen, {
    query: 30,
    titleWords: 64,
    titleChars: 128,
    history: 100,
  });
  // One bucket option per family, in the families' order.
  assertEquals(Object.keys(BUCKET_OPTIONS), [...FEATURE_FAMILIES]);
  // Deeply frozen: the defaults cannot be changed by a caller.
  assertEquals(Object.isFrozen(DEFAULT_FEATURE_CONFIG.maxLen), true);
});

Deno.test("featureConfig: overrides merge and survive JSON", () => {
  const c = featureConfig({ buckets: { word: 1000 }, maxLen: { query: 12 } });
  assertEquals(c.buckets.word, 1000);
  assertEquals(c.buckets.charTrigram, 30_000);
  assertEquals(c.maxLen.query, 12);
  assertEquals(c.maxLen.history, 100);
  assertEquals(validateFeatureConfig(JSON.parse(JSON.stringify(c))), c);
  // The default object is not shared, so callers may mutate their copy.
  c.buckets.word = 5;
  assertEquals(DEFAULT_FEATURE_CONFIG.buckets.word, 50_000);
});

Deno.test("validateFeatureConfig: bad values name the option", () => {
  assertThrows(
    () => featureConfig({ buckets: { word: 1 } }),
    RangeError,
    "FeatureConfig.buckets.word",
  );
  assertThrows(
    () => featureConfig({ buckets: { charBigram: 2.5 } }),
    RangeError,
    "FeatureConfig.buckets.charBigram",
  );
  assertThrows(
    () => featureConfig({ buckets: { charTrigram: 2 ** 31 } }),
    RangeError,
    "FeatureConfig.buckets.charTrigram",
  );
  assertThrows(
    () => featureConfig({ maxLen: { history: 0 } }),
    RangeError,
    "FeatureConfig.maxLen.history",
  );
  assertThrows(
    () => validateFeatureConfig({ buckets: DEFAULT_FEATURE_CONFIG.buckets }),
    RangeError,
    "FeatureConfig.maxLen",
  );
  assertThrows(
    () =>
      validateFeatureConfig({
        buckets: { ...DEFAULT_FEATURE_CONFIG.buckets, trigram: 10 },
        maxLen: DEFAULT_FEATURE_CONFIG.maxLen,
      }),
    RangeError,
    "FeatureConfig.buckets.trigram is unknown; the options are",
  );
  assertThrows(
    () =>
      validateFeatureConfig({
        buckets: DEFAULT_FEATURE_CONFIG.buckets,
        maxLen: { ...DEFAULT_FEATURE_CONFIG.maxLen, query: "30" },
      }),
    RangeError,
    "FeatureConfig.maxLen.query",
  );
  assertThrows(() => validateFeatureConfig(null), RangeError, "FeatureConfig");
});

Deno.test("maxLenFor: query vs title, word vs char families", () => {
  assertEquals(maxLenFor("query", "charTrigram"), 30);
  assertEquals(maxLenFor("query", "word"), 30);
  assertEquals(maxLenFor("title", "word"), 64);
  assertEquals(maxLenFor("title", "wordBigram"), 64);
  assertEquals(maxLenFor("title", "charTrigram"), 128);
  assertEquals(maxLenFor("title", "charUnigram"), 128);
  assertEquals(maxLenFor("title", "charBigram"), 128);
  const config = featureConfig({ maxLen: { titleWords: 7 } });
  assertEquals(maxLenFor("title", "word", { config }), 7);
  assertThrows(
    () => maxLenFor("body" as TextField, "word"),
    RangeError,
    "field",
  );
});
