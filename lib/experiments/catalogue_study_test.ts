import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { experimentsBenchmark } from "./benchmark.ts";
import {
  EXPERIMENTS_CATALOGUE_STUDY,
  experimentsBatchLookalikes,
  experimentsCatalogueChart,
  experimentsCatalogueGains,
  experimentsCatalogueGrid,
  experimentsCataloguePendings,
  experimentsCatalogueSpecs,
  experimentsCatalogueTable,
  experimentsCatalogueTrends,
  experimentsCatalogueVariants,
} from "./catalogue_study.ts";
import { fakeRun } from "./fixtures.ts";
import type { Dataset, SyntheticTruth } from "../data/mod.ts";
import type { ExperimentsRun } from "./grid.ts";
import { experimentsSensitivityGrid } from "./main_experiments.ts";

Deno.test("catalogue variants move one knob of the benchmark; its own point is the benchmark", () => {
  const bench = experimentsBenchmark("full", 3);
  const base = (bench as unknown as { synthetic: Record<string, unknown> })
    .synthetic;
  const variants = experimentsCatalogueVariants("full", 3);
  assertEquals(
    variants.length,
    EXPERIMENTS_CATALOGUE_STUDY.reduce((n, k) => n + k.values.length, 0),
  );
  for (const v of variants) {
    if (v.spec.name === "benchmark") {
      assertEquals(v.spec, bench);
      assertEquals(base[v.knob] ?? 0, v.value);
      continue;
    }
    const opts = (v.spec as unknown as { synthetic: Record<string, unknown> })
      .synthetic;
    const moved = Object.keys({ ...base, ...opts }).filter((k) =>
      opts[k] !== base[k]
    );
    // The catalogue size moves the queries with it (queries per item kept).
    assertEquals(
      moved,
      v.knob === "numItems" ? ["numItems", "numQueries"] : [v.knob],
      v.spec.name,
    );
    assertEquals(opts[v.knob], v.value);
  }
  // Every knob has the benchmark among its values, and the specs are
  // distinct catalogues apart from that shared point.
  for (const k of EXPERIMENTS_CATALOGUE_STUDY) {
    assertTrue(
      variants.some((v) => v.knob === k.knob && v.spec.name === "benchmark"),
      k.knob,
    );
  }
  const specs = experimentsCatalogueSpecs(variants);
  assertEquals(specs.length, variants.length - 4);
  assertEquals(new Set(specs.map((s) => s.name)).size, specs.length);
  const large = variants.find((v) => v.spec.name === "catalogue size 6000")!;
  const opts = (large.spec as unknown as { synthetic: Record<string, number> })
    .synthetic;
  assertEquals(opts.numQueries, Math.round(6000 * 4000 / 1500));
  assertEquals(experimentsCatalogueVariants("quick", 1).length, 10);
  assertThrows(
    () => experimentsCatalogueVariants("big" as "full", 1),
    RangeError,
    "profile",
  );
});

Deno.test("the study's configs are the sensitivity grid's (same names, losses and towers)", () => {
  const sens = new Map(
    experimentsSensitivityGrid("full").map((c) => [c.name, c]),
  );
  for (const profile of ["quick", "full"] as const) {
    const grid = experimentsCatalogueGrid(profile);
    for (const c of grid) {
      const s = sens.get(c.name)!;
      assertEquals(c.loss, s.loss, c.name);
      assertEquals(c.tower, s.tower, c.name);
    }
    assertEquals(
      grid.map((c) => c.name),
      profile === "quick"
        ? ["fixed δ=0.1", "fixed δ=0.5", "adaptive margin"]
        : [
          "fixed δ=0.1",
          "fixed δ=0.3",
          "fixed δ=0.5",
          "fixed δ=1",
          "adaptive margin",
        ],
    );
  }
});

// Runs of one catalogue: the fixed δ values with valid recall `valid`, and
// test ranks chosen so that the adaptive margin's gain over δ = 0.5 is
// `gain` (share of 100 queries moved into the top 10).
function catalogueRuns(dataset: string, gain: number): ExperimentsRun[] {
  const ranks = (hits: number) =>
    Array.from({ length: 100 }, (_, i) => i < hits ? 1 : 50);
  const corpus = (hits: number) => ({
    recall10: Array.from({ length: 100 }, (_, i) => i < hits ? 1 : 0),
    ndcg10: Array.from({ length: 100 }, (_, i) => i < hits ? 1 : 0),
  });
  const fixed = (value: number, valid: number, hits: number) =>
    [1, 2].map((seed) =>
      fakeRun(`fixed δ=${value}`, seed, ranks(hits), {
        dataset,
        family: "margin",
        value,
        valid: { "10": valid },
        testCorpus: corpus(hits),
      })
    );
  const adaptive = [1, 2].map((seed) =>
    fakeRun("adaptive margin", seed, ranks(50 + gain), {
      dataset,
      family: "margin",
      valid: { "10": 0.5 },
      testCorpus: corpus(50 + gain),
    })
  );
  // δ = 0.5 wins on valid; δ = 0.1 has better test ranks, which must not
  // be chosen (the choice never reads the test split).
  return [...fixed(0.1, 0.4, 90), ...fixed(0.5, 0.6, 50), ...adaptive];
}

Deno.test("gains compare the adaptive margin with the fixed δ best on valid, on both metrics", () => {
  const variants = experimentsCatalogueVariants("quick", 1).filter((v) =>
    v.knob === "sellerCopyShare"
  );
  assertEquals(variants.map((v) => v.spec.name), [
    "benchmark",
    "seller copies 0.5",
  ]);
  const runs = [
    ...catalogueRuns("benchmark", 0),
    ...catalogueRuns("seller copies 0.5", 20),
  ];
  const rows = experimentsCatalogueGains(runs, variants);
  assertEquals(rows.length, 4);
  for (const r of rows) {
    assertEquals(r.bestFixed, "fixed δ=0.5");
    assertEquals(r.family, "seller copies");
    const want = r.value === 0 ? 0 : 0.2;
    assertTrue(Math.abs(r.recall - want) < 1e-9, `${r.series} ${r.value}`);
    assertTrue(r.lo <= r.recall && r.recall <= r.hi);
  }
  const trends = experimentsCatalogueTrends(rows);
  assertEquals(trends.length, 1);
  assertTrue(trends[0].includes("rises by 0.200"), trends[0]);
  assertTrue(trends[0].includes("+0.000 at 0, +0.200 at 0.5"), trends[0]);
  const table = experimentsCatalogueTable(rows);
  assertEquals(table.length, 2);
  assertEquals(table[1]["best fixed (valid)"], "fixed δ=0.5");
  assertTrue(String(table[1]["gain, batch recall@10"]).startsWith("+0.200 ["));
  assertTrue(
    String(table[1]["gain, full-corpus recall@10"]).startsWith("+0.200 ["),
  );
  const pend = experimentsCataloguePendings(runs, variants);
  assertEquals(pend.length, 2);
  const spec = experimentsCatalogueChart(rows, { title: "t", subtitle: "s" });
  assertTrue(JSON.stringify(spec).includes("no gain"));
});

Deno.test("a flat knob says that no trend is shown", () => {
  const variants = experimentsCatalogueVariants("quick", 1).filter((v) =>
    v.knob === "sellerCopyShare"
  );
  const runs = [
    ...catalogueRuns("benchmark", 2),
    ...catalogueRuns("seller copies 0.5", 3),
  ];
  const [trend] = experimentsCatalogueTrends(
    experimentsCatalogueGains(runs, variants),
  );
  assertTrue(trend.includes("no trend shown"), trend);
});

// Four items: 1 is a seller copy of 0; 2 and 3 are one near-duplicate
// family. Query q's train positive is item q; with `copyLabelled`, query 0
// also labels item 1 (then it is masked, not a false negative).
function lookalikeData(copyLabelled: boolean) {
  const ids = [0, 1, 2, 3];
  const extra = copyLabelled ? 1 : 0;
  const ds: Dataset = {
    items: {
      itemId: Int32Array.from(ids),
      sourceId: ids.map(() => ""),
      title: ["a", "a", "b", "c"],
      category: ids.map(() => "A > x"),
      brand: ids.map(() => ""),
      attributes: ids.map(() => ""),
      popularity: Float32Array.from([1, 1, 1, 1]),
    },
    queries: {
      queryId: Int32Array.from(ids),
      text: ["a", "a", "b", "c"],
      userId: Int32Array.from([-1, -1, -1, -1]),
      split: ids.map(() => "train" as const),
    },
    pairs: {
      queryId: Int32Array.from([...ids, ...(copyLabelled ? [0] : [])]),
      itemId: Int32Array.from([...ids, ...(copyLabelled ? [1] : [])]),
      relevance: Int8Array.from(Array(4 + extra).fill(3)),
      split: Array(4 + extra).fill("train"),
    },
    meta: { name: "hand" },
  };
  const truth = {
    itemCopyOf: Int32Array.from([-1, 0, -1, -1]),
    itemFamily: Int32Array.from([-1, -1, 5, 5]),
  } as unknown as SyntheticTruth;
  return { name: "hand", ds, truth, hash: "h" };
}

Deno.test("batch look-alikes: the other offer unless masked, and the near-duplicate", () => {
  const one = { batchSize: 8, epochs: 2 };
  assertEquals(experimentsBatchLookalikes(lookalikeData(false), one), {
    rows: 8,
    otherOffer: 0.5,
    nearDuplicate: 0.5,
  });
  // Query 0 labels both offers, so neither is a negative of its rows
  // (q0, 0) and (q0, 1); query 1 labels item 1 only, so item 0 is its false
  // negative. Per epoch of five rows: one with the other offer, two with a
  // near-duplicate.
  const r = experimentsBatchLookalikes(lookalikeData(true), one);
  assertEquals(r.rows, 10);
  assertEquals(r.otherOffer, 2 / 10);
  assertEquals(r.nearDuplicate, 4 / 10);
  assertThrows(
    () => experimentsBatchLookalikes({ ...lookalikeData(false), truth: null }),
    RangeError,
    "no generator truth",
  );
});
