import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import {
  experimentsAggregate,
  experimentsBestFixed,
  experimentsCompare,
  experimentsHealthRows,
  experimentsHits,
  experimentsMetric,
  experimentsPendingVerdict,
  type ExperimentsRow,
  experimentsSensitivityRows,
  experimentsSensitivityVerdict,
  experimentsVerdict,
  experimentsVerdictList,
  experimentsWideTable,
} from "./mod.ts";
import { seedInterval } from "./statistics.ts";
import { fakeRun } from "./fixtures.ts";

await initBackend({ backend: "auto", quiet: true });

// ---------------------------------------------------------------- math

Deno.test("hits, aggregate and paired comparison by hand", () => {
  const a1 = fakeRun("a", 1, [1, 5, 20, 30]);
  const a2 = fakeRun("a", 2, [2, 12, 3, 40]);
  // Per query: seed-averaged hits@10 = [1, 0.5, 0.5, 0].
  assertEquals(Array.from(experimentsHits([a1, a2], 10)), [1, 0.5, 0.5, 0]);
  const b = fakeRun("b", 1, [50, 50, 50, 50]);
  const c = experimentsCompare([a1, a2], [b], { k: 10, samples: 200 });
  assertClose(c.difference.mean, 0.5, 1e-12);
  assertEquals(c.queries, 4);
  assertEquals(c.seeds, [2, 1]);
  const same = experimentsCompare([a1], [a1], { samples: 50 });
  assertEquals(same.difference, { mean: 0, lo: 0, hi: 0 });
  assertEquals(same.verdict, "within noise");
  const sure = experimentsCompare(
    [fakeRun("x", 1, [1, 1, 1, 1])],
    [fakeRun("y", 1, [99, 99, 99, 99])],
    { samples: 50 },
  );
  assertEquals(sure.verdict, "better");
  assertEquals(sure.difference, { mean: 1, lo: 1, hi: 1 });

  // One seed: the run's own interval. Three seeds: t over the seeds.
  const [one] = experimentsAggregate([a1]);
  assertEquals([one.mean, one.lo, one.hi, one.ci], [
    0.5,
    0.4,
    0.6,
    "bootstrap over queries",
  ]);
  const a3 = fakeRun("a", 3, [1, 1, 1, 1]);
  const [three] = experimentsAggregate([a1, a2, a3]);
  const t = seedInterval([0.5, 0.5, 1]);
  assertEquals(three.ci, "seeds (t)");
  // mean 2/3, t-interval [−0.05, 1.38], clamped to the metric's [0, 1].
  assertTrue(t.lo < 0 && t.hi > 1);
  assertEquals([three.lo, three.hi], [0, 1]);
  const [tight] = experimentsAggregate([
    a1,
    a2,
    fakeRun("a", 3, [1, 5, 20, 30]),
  ]);
  const tt = seedInterval([0.5, 0.5, 0.5]);
  assertEquals([tight.lo, tight.hi], [tt.lo, tt.hi]);
  // Two seeds, "queries": bootstrap of [1, .5, .5, 0], mean 0.5.
  const [two] = experimentsAggregate([a1, a2], { ci: "queries" });
  assertEquals(two.mean, 0.5);
  assertTrue(two.lo >= 0 && two.hi <= 1 && two.lo < 0.5 && two.hi > 0.5);
  // Non-batch metric over two seeds: mean of the per-seed interval ends.
  const [m1, m2] = [
    { seed: 1, mean: 0.4, lo: 0.3, hi: 0.45 },
    { seed: 2, mean: 0.6, lo: 0.4, hi: 0.65 },
  ].map(({ seed, ...mrr }) =>
    fakeRun("m", seed, [1], {
      corpus: {
        recall: {},
        ndcg: {},
        mrr: mrr.mean,
        ci: { mrr },
        queries: 1,
      },
    })
  );
  const [mrr] = experimentsAggregate([m1, m2], { metric: "mrr" });
  assertClose(mrr.mean, 0.5, 1e-12);
  assertClose(mrr.lo, 0.5 - 0.15, 1e-12);
  assertClose(mrr.hi, 0.5 + 0.05, 1e-12);
  assertThrows(() => experimentsMetric(a1, "precision@3"), RangeError);
  // Health rows average over seeds.
  const h = (seed: number, meanCosine: number) =>
    fakeRun("h", seed, [1], { health: { meanCosine, effectiveRank: 10 } });
  assertEquals(experimentsHealthRows([h(1, 0.2), h(2, 0.4)]), [{
    config: "h",
    seeds: 2,
    "mean item cosine": (0.2 + 0.4) / 2,
    "effective rank": 10,
    "item uniformity": null,
    alignment: null,
  }]);
});

Deno.test("verdicts are written from the numbers", () => {
  const runs = [
    fakeRun("ours", 1, [1, 1, 1, 1]),
    fakeRun("theirs", 1, [99, 99, 99, 99]),
  ];
  const v = experimentsVerdict(runs, {
    candidate: "ours",
    baseline: "theirs",
    dataset: "d",
  });
  assertEquals(
    v,
    "d: ours 1.000 [1.000, 1.000] vs theirs 0.000 [0.000, 0.000]: difference +1.000 [+1.000, +1.000] batch recall@10 (paired bootstrap over 4 test queries, 1 seed each; p < 0.001, Holm p < 0.001) → better; full corpus not compared (the runs keep no per-query full-corpus values): this rests on batch recall only",
  );
  // With per-query full-corpus values, the sentence states both sides and
  // says when they point in opposite directions.
  const corpus = (recall10: number[]) => ({
    testCorpus: { recall10, ndcg10: recall10.map((x) => x / 2) },
  });
  const both = [
    fakeRun("ours", 1, [1, 1, 1, 1], corpus([0, 0, 0, 0])),
    fakeRun("theirs", 1, [99, 99, 99, 99], corpus([1, 1, 1, 1])),
  ];
  assertEquals(
    experimentsVerdict(both, {
      candidate: "ours",
      baseline: "theirs",
      dataset: "d",
    }),
    "d: ours 1.000 [1.000, 1.000] vs theirs 0.000 [0.000, 0.000]: difference +1.000 [+1.000, +1.000] batch recall@10 (paired bootstrap over 4 test queries, 1 seed each; p < 0.001, Holm p < 0.001) → better; full corpus, paired over 4 test queries: recall@10 -1.000 [-1.000, -1.000] (p < 0.001, Holm p < 0.001) → worse, ndcg@10 -0.500 [-0.500, -0.500] (p < 0.001, Holm p < 0.001) → worse; batch recall and the full corpus disagree in direction (batch better, full corpus worse)",
  );
  assertEquals(
    experimentsCompare(both.slice(0, 1), both.slice(1), { metric: "ndcg@10" })
      .difference.mean,
    -0.5,
  );
  assertThrows(
    () => experimentsCompare(runs, runs, { metric: "recall@10" }),
    RangeError,
    "per-query full-corpus",
  );
  // Holm over a list: a difference with raw p ≈ 0.02 is "better" alone and
  // "within noise" in a family of three tests (0.02 × 3 > 0.05).
  const ranks = (better: number) =>
    Array.from({ length: 60 }, (_, i) => (i < better ? 1 : 99));
  const family = [
    fakeRun("a", 1, ranks(13)),
    fakeRun("b", 1, ranks(8)),
    fakeRun("c", 1, ranks(8)),
    fakeRun("e", 1, ranks(8)),
  ];
  const p = experimentsCompare([family[0]], [family[1]]).p;
  assertTrue(p < 0.05 && p * 3 > 0.05, `p = ${p}`);
  const alone = experimentsVerdict(family, {
    candidate: "a",
    baseline: "b",
    dataset: "d",
  });
  assertTrue(alone.includes("→ better"), alone);
  const list = experimentsVerdictList(
    ["a", "c", "e"].map((candidate) =>
      experimentsPendingVerdict(family, {
        candidate,
        baseline: "b",
        dataset: "d",
      })
    ),
  );
  assertTrue(list.includes("→ within noise"), list);
  assertTrue(!list.includes("→ better"), list);
  assertTrue(list.includes("Holm-adjusted over the 3 paired tests"), list);
  assertTrue(
    experimentsVerdict(runs, {
      candidate: "ours",
      baseline: "nobody",
      dataset: "d",
    }).includes("was not run"),
  );

  const row = (
    name: string,
    value: number | null,
    mean: number,
    half: number,
  ): ExperimentsRow => ({
    name,
    group: "s",
    family: "margin",
    value,
    dataset: "d",
    metric: "batch@10",
    mean,
    lo: mean - half,
    hi: mean + half,
    seeds: 1,
    ci: "bootstrap over queries",
    values: [mean],
    skipped: null,
  });
  const rows = [
    row("δ=0.01", 0.01, 0.7, 0.01),
    row("δ=0.1", 0.1, 0.8, 0.01),
    row("δ=0.5", 0.5, 0.75, 0.01),
    row("adaptive", null, 0.78, 0.01),
  ];
  assertEquals(
    experimentsSensitivityVerdict(rows, { family: "margin" }),
    "fixed δ (d, batch@10): from 0.700 (δ = 0.01) to 0.800 (δ = 0.1), spread 0.100; the intervals of the worst and best do not overlap (the choice matters); adaptive: 0.780 [0.770, 0.790], between the worst and the best fixed value (rank 2 of 4).",
  );
  // With the runs, best vs worst is a paired comparison.
  const sweep = [
    fakeRun("δ=0.01", 1, [99, 99, 99, 99], { family: "margin", value: 0.01 }),
    fakeRun("δ=0.5", 1, [1, 1, 1, 1], { family: "margin", value: 0.5 }),
  ];
  assertEquals(
    experimentsSensitivityVerdict(experimentsAggregate(sweep), {
      family: "margin",
      runs: sweep,
    }),
    "fixed δ (d, batch@10): from 0.000 (δ = 0.01) to 1.000 (δ = 0.5), spread 1.000; best − worst, paired: +1.000 [+1.000, +1.000] (p < 0.001, Holm p < 0.001; the choice matters); full corpus not compared (the runs keep no per-query full-corpus values): this rests on batch recall only.",
  );
  const sr = experimentsSensitivityRows(rows);
  assertEquals(sr.rows.length, 3);
  assertEquals(sr.reference, [{
    family: "margin",
    recall: 0.78,
    label: "adaptive: 0.780",
  }]);
  const wide = experimentsWideTable([
    ...rows,
    { ...row("δ=0.1", 0.1, 0.5, 0.1), dataset: "e" },
  ]);
  assertEquals(wide.columns.map((c) => c.field), ["method", "d", "e"]);
  assertEquals(wide.rows[1], {
    method: "δ=0.1",
    d: 0.8,
    d_lo: 0.8 - 0.01,
    d_hi: 0.8 + 0.01,
    e: 0.5,
    e_lo: 0.4,
    e_hi: 0.6,
  });

  // Best fixed by the valid split, not the test split.
  const f = (name: string, value: number, valid: number, test: number[]) =>
    fakeRun(name, 1, test, {
      family: "margin",
      value,
      valid: { "10": valid },
    });
  assertEquals(
    experimentsBestFixed([
      f("low", 0.01, 0.9, [99]),
      f("high", 0.5, 0.8, [1]),
    ], { family: "margin", dataset: "d" }),
    "low",
  );
});
