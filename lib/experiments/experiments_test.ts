import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import type { Dataset, SyntheticTruth } from "../data/mod.ts";
import { checkConfigAgainstData, RUN_FILES } from "../train/mod.ts";
import { adaptiveMarginLoss } from "../losses/mod.ts";
import type {
  TowerConfigInput,
  TowerInputs,
  TwoTowerModel,
} from "../towers/mod.ts";
import {
  EXPERIMENTS_RELATIONS,
  experimentsAblationGrid,
  experimentsAggregate,
  experimentsAvailableRealDatasets,
  experimentsBenchmark,
  experimentsBestFixed,
  experimentsCatalogueRows,
  experimentsCompare,
  type ExperimentsConfig,
  experimentsDatasetsLabel,
  type ExperimentsDatasetSpec,
  experimentsHealthRows,
  experimentsHits,
  experimentsLoadDataset,
  experimentsMainTableGrid,
  experimentsMethodGrid,
  experimentsMetric,
  experimentsPairPlotRows,
  experimentsPairSummary,
  type ExperimentsPairValues,
  experimentsPairValues,
  experimentsPairVerdict,
  experimentsResolveFor,
  type ExperimentsRow,
  type ExperimentsRun,
  experimentsSensitivityGrid,
  experimentsSensitivityRows,
  experimentsSensitivityVerdict,
  experimentsTrainConfig,
  experimentsVerdict,
  experimentsWideTable,
  runExperimentGrid,
} from "./mod.ts";
import { seedInterval } from "./statistics.ts";

await initBackend({ backend: "auto", quiet: true });

// ---------------------------------------------------------------- helpers

const TINY: ExperimentsDatasetSpec = {
  name: "tiny",
  synthetic: { profile: "quick", seed: 3, numItems: 120, numQueries: 300 },
};

const SMALL_TOWER: TowerConfigInput = {
  kind: "plain",
  dim: 16,
  embedDim: 8,
  hidden: [16],
};

function tinyConfigs(): ExperimentsConfig[] {
  return [
    {
      name: "adaptive",
      group: "test",
      family: "margin",
      tower: SMALL_TOWER,
      loss: { kind: "adaptive-margin" },
      steps: 3,
    },
    {
      name: "fixed 0.1",
      group: "test",
      family: "margin",
      value: 0.1,
      tower: SMALL_TOWER,
      loss: { kind: "margin", margin: 0.1 },
      steps: 3,
    },
  ];
}

/** A run with only what aggregation and comparison read. */
function fakeRun(
  name: string,
  seed: number,
  ranks: number[],
  extra: Partial<ExperimentsRun> = {},
): ExperimentsRun {
  const hits10 = ranks.filter((r) => r <= 10).length / ranks.length;
  return {
    name,
    group: "g",
    family: null,
    value: null,
    dataset: "d",
    seed,
    key: "k",
    dir: "/nowhere",
    skipped: null,
    cached: false,
    steps: 1,
    seconds: 0,
    batch: {
      recall: { "10": hits10 },
      ci: { "10": { mean: hits10, lo: hits10 - 0.1, hi: hits10 + 0.1 } },
      queries: ranks.length,
    },
    valid: null,
    corpus: { recall: {}, ndcg: {}, mrr: 0.5, ci: {}, queries: 0 },
    health: {},
    testRanks: ranks,
    log: null,
    validLog: null,
    pairValues: null,
    warnings: [],
    ...extra,
  };
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "experiments_test_" });
}

// ---------------------------------------------------------------- grids

Deno.test("every grid config is a valid training config on the benchmark", async () => {
  const bench = await experimentsLoadDataset(experimentsBenchmark("quick", 1));
  for (const profile of ["quick", "full"] as const) {
    const grids = {
      method: experimentsMethodGrid(),
      sensitivity: experimentsSensitivityGrid(profile),
      main: experimentsMainTableGrid(profile),
      ablation: experimentsAblationGrid(profile),
    };
    for (const [grid, configs] of Object.entries(grids)) {
      const names = configs.map((c) => c.name);
      assertEquals(new Set(names).size, names.length, `${grid}: unique names`);
      for (const config of configs) {
        const made = experimentsTrainConfig(
          {
            config,
            dataset: experimentsBenchmark(profile, 1),
            seed: 1,
            profile,
          },
          bench.ds,
        );
        assertTrue("config" in made, `${grid}/${config.name} is not skipped`);
        // Throws a ConfigError if the config does not fit the data.
        checkConfigAgainstData(made.config, bench.ds);
        assertEquals(
          made.config.steps,
          config.steps ?? 40,
        );
      }
    }
    const sens = grids.sensitivity;
    const points = profile === "quick" ? 4 : 6;
    assertEquals(
      sens.filter((c) => c.family === "margin" && c.value).length,
      points,
    );
    assertEquals(
      sens.filter((c) => c.family === "softmax" && c.value).length,
      points,
    );
    assertEquals(sens.filter((c) => c.value === undefined).length, 2);
  }
});

Deno.test("benchmark catalogue: harder knobs, deterministic, documented", async () => {
  const a = await experimentsLoadDataset(experimentsBenchmark("quick", 5));
  const b = await experimentsLoadDataset({
    ...experimentsBenchmark("quick", 5),
    name: "again",
  });
  assertEquals(a.hash, b.hash);
  assertEquals(a.ds.items.itemId.length, 1500);
  assertTrue(a.truth !== null);
  const rows = experimentsCatalogueRows("quick", 5);
  const nd = rows.find((r) => r.knob === "nearDuplicateShare")!;
  assertEquals([nd.benchmark, nd.default], ["0.8", "0.3"]);
  assertTrue(rows.every((r) => r.why.length > 0));
});

Deno.test("resolveFor: text-less queries use the user history or are skipped", async () => {
  const { ds } = await experimentsLoadDataset(TINY);
  const noText: Dataset = {
    ...ds,
    queries: { ...ds.queries, text: ds.queries.text.map(() => "") },
  };
  const [adaptive] = tinyConfigs();
  assertEquals(experimentsResolveFor(adaptive, ds), { tower: SMALL_TOWER });
  assertEquals(experimentsResolveFor(adaptive, noText), {
    tower: { ...SMALL_TOWER, userHistory: true },
  });
  const dssm = { ...adaptive, tower: { kind: "dssm" as const } };
  const r = experimentsResolveFor(dssm, noText);
  assertTrue("skip" in r && r.skip.includes("dssm"));
  const mg = { ...adaptive, tower: { kind: "mgdspr" as const } };
  assertEquals(experimentsResolveFor(mg, noText), {
    tower: { kind: "mgdspr" },
  });
  const noUsers: Dataset = { ...noText, users: undefined };
  assertTrue("skip" in experimentsResolveFor(adaptive, noUsers));
});

// ---------------------------------------------------------------- runner

Deno.test("a tiny grid runs, caches, and aggregates to finite rows", async () => {
  const runsDir = await tempDir();
  try {
    const progress: string[] = [];
    const options = {
      runsDir,
      datasets: [TINY],
      seeds: [1, 2],
      workers: 1,
      logs: true,
      bootstrapSamples: 50,
      onProgress: (_d: number, _t: number, r: ExperimentsRun) =>
        progress.push(`${r.name}/${r.seed}/${r.cached}`),
    };
    const first = await runExperimentGrid(tinyConfigs(), options);
    assertEquals(first.length, 4);
    assertEquals(
      first.map((r) => `${r.name}/${r.seed}`),
      ["adaptive/1", "adaptive/2", "fixed 0.1/1", "fixed 0.1/2"],
    );
    assertTrue(first.every((r) => !r.cached && r.skipped === null));
    assertTrue(first.every((r) => r.log!.length === 3));
    const rows = experimentsAggregate(first);
    assertEquals(rows.length, 2);
    for (const r of rows) {
      assertTrue(Number.isFinite(r.mean) && r.lo <= r.mean && r.mean <= r.hi);
      assertEquals(r.seeds, 2);
      assertEquals(r.ci, "bootstrap over queries");
      // The mean is the mean of the per-seed values.
      assertClose(r.mean, (r.values[0] + r.values[1]) / 2, 1e-12);
    }
    // The run's ranks reproduce its batch recall.
    for (const run of first) {
      assertClose(
        experimentsHits([run], 10).reduce((a, b) => a + b, 0) /
          run.testRanks.length,
        run.batch.recall["10"],
        1e-6,
      );
    }
    // Second call: everything from the folders, same numbers, no training.
    const weights = first.map((r) =>
      Deno.statSync(`${r.dir}/${RUN_FILES.checkpoint}`).mtime!.getTime()
    );
    const second = await runExperimentGrid(tinyConfigs(), options);
    assertTrue(second.every((r) => r.cached));
    assertEquals(
      second.map((r) => r.batch.recall),
      first.map((r) => r.batch.recall),
    );
    assertEquals(
      second.map((r) =>
        Deno.statSync(`${r.dir}/${RUN_FILES.checkpoint}`).mtime!.getTime()
      ),
      weights,
    );
    assertEquals(progress.slice(4), [
      "adaptive/1/true",
      "adaptive/2/true",
      "fixed 0.1/1/true",
      "fixed 0.1/2/true",
    ]);
    // A folder whose key does not match is retrained.
    const evalPath = `${first[0].dir}/${RUN_FILES.eval}`;
    const ev = JSON.parse(await Deno.readTextFile(evalPath));
    ev.experimentsKey = "stale";
    await Deno.writeTextFile(evalPath, JSON.stringify(ev));
    const third = await runExperimentGrid(tinyConfigs().slice(0, 1), {
      ...options,
      seeds: [1],
    });
    assertEquals(third[0].cached, false);
    assertEquals(third[0].testRanks, first[0].testRanks);
  } finally {
    await Deno.remove(runsDir, { recursive: true });
  }
});

Deno.test("snapshots: pair values at each step; same result as an uninterrupted run; workers agree", async () => {
  const a = await tempDir();
  const b = await tempDir();
  try {
    const [adaptive] = tinyConfigs();
    const plain = await runExperimentGrid([adaptive], {
      runsDir: a,
      datasets: [TINY],
      seeds: [1],
      workers: 1,
      bootstrapSamples: 50,
    });
    const snap = await runExperimentGrid([adaptive, tinyConfigs()[1]], {
      runsDir: b,
      datasets: [TINY],
      seeds: [1],
      workers: 2,
      snapshots: [0, 2, 3],
      bootstrapSamples: 50,
    });
    assertEquals(snap[0].testRanks, plain[0].testRanks);
    assertEquals(snap[0].batch.recall, plain[0].batch.recall);
    const pv = snap[0].pairValues!;
    assertEquals(pv.map((p) => p.step), [0, 2, 3]);
    assertTrue(pv.every((p) => p.kind === "δ_j" && p.value.length > 100));
    // Training moved the embeddings, so the values changed.
    assertTrue(pv[0].value.some((x, i) => x !== pv[2].value[i]));
    assertEquals(snap[1].pairValues, null); // fixed margin: no per-pair value
    // Reading the stored snapshots back gives the same arrays.
    const again = await runExperimentGrid([adaptive], {
      runsDir: b,
      datasets: [TINY],
      seeds: [1],
      workers: 1,
      snapshots: [0, 2, 3],
      bootstrapSamples: 50,
    });
    assertTrue(again[0].cached);
    assertEquals(
      Array.from(again[0].pairValues![1].value),
      Array.from(pv[1].value),
    );
    // Asking for a snapshot the folder lacks retrains (deterministically).
    const more = await runExperimentGrid([adaptive], {
      runsDir: b,
      datasets: [TINY],
      seeds: [1],
      workers: 1,
      snapshots: [1, 3],
      bootstrapSamples: 50,
    });
    assertEquals(more[0].cached, false);
    assertEquals(more[0].pairValues!.map((p) => p.step), [1, 3]);
    assertEquals(
      Array.from(more[0].pairValues![1].value),
      Array.from(pv[2].value),
    );
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("configs that do not fit the data come back skipped", async () => {
  const runsDir = await tempDir();
  try {
    const { ds } = await experimentsLoadDataset(TINY);
    // A text-less copy written as a folder dataset.
    const { writeDataset } = await import("../data/mod.ts");
    const path = `${runsDir}/notext`;
    await writeDataset(path, {
      ...ds,
      queries: { ...ds.queries, text: ds.queries.text.map(() => "") },
      meta: { name: "notext" },
    });
    const runs = await runExperimentGrid([{
      name: "dssm",
      group: "test",
      tower: { kind: "dssm", hidden: [8, 8], dim: 8 },
      loss: { kind: "dssm-softmax" },
      steps: 1,
    }], {
      runsDir,
      datasets: [{ name: "notext", path }],
      seeds: [1],
      workers: 1,
    });
    assertTrue(runs[0].skipped !== null && runs[0].dir === null);
    const rows = experimentsAggregate(runs);
    assertEquals(rows[0].seeds, 0);
    assertTrue(Number.isNaN(rows[0].mean));
  } finally {
    await Deno.remove(runsDir, { recursive: true });
  }
});

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
  const m1 = fakeRun("m", 1, [1], {
    corpus: {
      recall: {},
      ndcg: {},
      mrr: 0.4,
      ci: { mrr: { mean: 0.4, lo: 0.3, hi: 0.45 } },
      queries: 1,
    },
  });
  const m2 = fakeRun("m", 2, [1], {
    corpus: {
      recall: {},
      ndcg: {},
      mrr: 0.6,
      ci: { mrr: { mean: 0.6, lo: 0.4, hi: 0.65 } },
      queries: 1,
    },
  });
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
    "d: ours 1.000 [1.000, 1.000] vs theirs 0.000 [0.000, 0.000]: difference +1.000 [+1.000, +1.000] batch recall@10 (paired bootstrap over 4 test queries, 1 seed each) → better",
  );
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
    "fixed δ (d, batch@10): from 0.000 (δ = 0.01) to 1.000 (δ = 0.5), spread 1.000; best − worst, paired: +1.000 [+1.000, +1.000] (the choice matters).",
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

// ---------------------------------------------------------------- pair values

/** A model whose towers return fixed vectors per table row. */
function fixedModel(
  items: number[][],
  queries: number[][],
): TwoTowerModel {
  const d = items[0].length;
  const pick = (m: number[][], rows: Int32Array) =>
    tf.tensor2d(Array.from(rows, (r) => m[r]), [rows.length, d]);
  return {
    kind: "plain",
    config: {} as TwoTowerModel["config"],
    dim: d,
    heads: 1,
    prepare: () => ({}) as TowerInputs,
    encodeQueries: (_i, rows) => pick(queries, rows),
    encodeItems: (_i, rows) => pick(items, rows),
    scores: (q, v) => tf.matMul(q as tf.Tensor2D, v, false, true),
    variables: () => [],
    rowSparse: () => [],
    getWeights: () => ({}),
    setWeights: () => {},
    dispose: () => {},
  };
}

function handDataset(): Dataset {
  // Three items and three train queries; query q owns item q. Query 0 also
  // labels item 1 a substitute and item 2 exact (a second positive).
  return {
    items: {
      itemId: Int32Array.from([0, 1, 2]),
      sourceId: ["", "", ""],
      title: ["a", "b", "c"],
      category: ["A > x", "A > x", "B > y"],
      brand: ["", "", ""],
      attributes: ["", "", ""],
      popularity: Float32Array.from([1, 1, 1]),
    },
    queries: {
      queryId: Int32Array.from([0, 1, 2]),
      text: ["a", "b", "c"],
      userId: Int32Array.from([-1, -1, -1]),
      split: ["train", "train", "train"],
    },
    pairs: {
      queryId: Int32Array.from([0, 1, 2, 0, 0]),
      itemId: Int32Array.from([0, 1, 2, 1, 2]),
      relevance: Int8Array.from([3, 3, 3, 2, 3]),
      split: ["train", "train", "train", "train", "train"],
    },
    meta: { name: "hand" },
  };
}

Deno.test("pair values: δ_j and τ_j by hand on three items", () => {
  const v = [[1, 0], [0.8, 0.6], [0, 1]];
  const q = [[1, 0], [0, 1], [0.6, 0.8]];
  const model = fixedModel(v, q);
  const ds = handDataset();
  const truth = {
    itemFamily: Int32Array.from([7, 7, -1]),
  } as unknown as SyntheticTruth;
  const pv = experimentsPairValues(model, { ds, truth }, {
    loss: { kind: "adaptive-margin", alpha: 0.5, delta0: 0.01 },
    step: 5,
  });
  assertEquals(pv.kind, "δ_j");
  assertEquals(pv.step, 5);
  // The relevance-3 pairs make a batch of four: (q0, v0), (q1, v1),
  // (q2, v2), (q0, v2). Masked (b, j): the same item, or an item labelled
  // exact for query b: (0, 2), (0, 3), (2, 3), (3, 0), (3, 2).
  type P = [number, number, number, number, number];
  const got: P[] = Array.from(pv.value, (_, i): P => [
    Math.round(pv.similarity[i] * 1e6) / 1e6,
    Math.round(pv.value[i] * 1e6) / 1e6,
    Math.round(pv.queryScore[i] * 1e6) / 1e6,
    pv.relation[i],
    pv.label[i],
  ]).sort((x, y) => x[0] - y[0] || x[2] - y[2] || x[4] - y[4]);
  // δ = 0.01 + 0.5·(1 − s). Columns: s(v_b, v_j), δ_j, s(q_b, v_j),
  // relation (items 0 and 1 share family 7 → near-duplicate; item 2 is in
  // another category), label of (query b, item j).
  const hand: P[] = [
    [0, 0.51, 0.6, 3, -1], // b = 2, j = 0
    [0.6, 0.21, 0.8, 3, 2], // b = 3 (q0, v2), j = 1: a substitute of q0
    [0.6, 0.21, 0.96, 3, -1], // b = 2, j = 1
    [0.6, 0.21, 1, 3, -1], // b = 1, j = 2
    [0.6, 0.21, 1, 3, -1], // b = 1, j = 3 (v2 again)
    [0.8, 0.11, 0, 0, -1], // b = 1, j = 0
    [0.8, 0.11, 0.8, 0, 2], // b = 0, j = 1: a substitute of q0
  ];
  assertEquals(got, hand);
  assertEquals(EXPERIMENTS_RELATIONS[0], "near-duplicate");

  // The mean equals the loss's own statistic on the same batch and mask
  // (the mean is order-free, so the batch may be in table order here).
  const V = tf.tensor2d([v[0], v[1], v[2], v[2]]);
  const Q = tf.tensor2d([q[0], q[1], q[2], q[0]]);
  const mask = tf.tensor2d([
    [0, 0, 1, 1],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
    [1, 0, 1, 0],
  ]);
  const stats = adaptiveMarginLoss(Q, V, {
    mask,
    stats: true,
    symmetric: false,
  }).stats!;
  const mean = pv.value.reduce((a, b) => a + b, 0) / pv.value.length;
  assertClose(mean, 1.57 / 7, 1e-6);
  assertClose(mean, stats.query.mean, 1e-6);
  tf.dispose([V, Q, mask]);

  const tau = experimentsPairValues(model, { ds, truth }, {
    loss: { kind: "adaptive-softmax", alpha: 0.5, tau0: 0.1, form: "half" },
  });
  assertEquals(tau.kind, "τ_j");
  const sims = Array.from(tau.similarity);
  Array.from(tau.value).forEach((x, i) =>
    assertClose(x, 0.1 + 0.25 * (1 - sims[i]), 1e-6)
  );
  assertThrows(
    () => experimentsPairValues(model, { ds }, { loss: { kind: "softmax" } }),
    RangeError,
  );
});

Deno.test("pair summaries, plot rows and verdict", () => {
  const snap = (step: number, values: number[]): ExperimentsPairValues => ({
    kind: "δ_j",
    step,
    similarity: Float32Array.from(values.map((v) => 1 - v)),
    value: Float32Array.from(values),
    queryScore: new Float32Array(values.length),
    relation: Uint8Array.from(values.map((_, i) => i % 4)),
    label: Int8Array.from(values.map(() => -1)),
  });
  // Relations 0..3 cycle; values rise with the relation index.
  const rising = snap(
    9,
    Array.from({ length: 400 }, (_, i) => 0.5 + (i % 4) / 10),
  );
  const rows = experimentsPairSummary([rising]);
  assertEquals(rows.map((r) => r.group), [...EXPERIMENTS_RELATIONS]);
  assertEquals(rows.map((r) => r.pairs), [100, 100, 100, 100]);
  rows.forEach((r, i) => assertClose(r.meanValue, 0.5 + i / 10, 1e-6));
  assertClose(rows[2].share, 0.25, 1e-12);
  assertTrue(
    experimentsPairVerdict([rising]).endsWith(
      "the closer the negative, the smaller its value, as the paper intends.",
    ),
  );
  const falling = snap(
    9,
    Array.from({ length: 400 }, (_, i) => 1 - (i % 4) / 10),
  );
  assertTrue(experimentsPairVerdict([falling]).includes("NOT ordered"));
  // s = 1 − value: the easiest group at s = 0.2 is fine, at 0.97 bunched.
  const close = snap(
    4,
    Array.from({ length: 400 }, (_, i) => 0.5 + (i % 4) / 10),
  );
  assertTrue(!experimentsPairVerdict([close]).includes("bunched"));
  const near = snap(4, Array.from({ length: 400 }, (_, i) => (i % 4) / 100));
  assertTrue(
    experimentsPairVerdict([near]).endsWith(
      "other category negatives have mean cosine 0.97 to the positive: the item embeddings are bunched together.",
    ),
  );
  const labels = experimentsPairSummary([rising], { by: "label" });
  assertEquals(labels.map((r) => r.group), ["unlabelled"]);
  const plot = experimentsPairPlotRows([rising], { maxPerGroup: 10 });
  assertEquals(plot.length, 10);
  assertTrue(plot.every((r) => r.kind === "δ_j" && r.step === 9));
  const byRel = experimentsPairPlotRows([rising], { panels: "relation" });
  assertEquals(byRel.length, 400);
  assertEquals(
    [...new Set(byRel.map((r) => r.kind))],
    EXPERIMENTS_RELATIONS.map((r) => `δ_j: ${r}`),
  );
});

Deno.test("experimentsAvailableRealDatasets: only built folders, the others named with the command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "experiments_real_" });
  try {
    const { generateSynthetic, writeDataset } = await import(
      "../data/mod.ts"
    );
    await writeDataset(
      `${dir}/scifact`,
      generateSynthetic({ profile: "quick", seed: 1 }),
    );
    const real = await experimentsAvailableRealDatasets(dir);
    assertEquals(real.datasets, [{
      name: "scifact",
      path: `${dir}/scifact`,
    }]);
    assertEquals(real.missing.map((m) => m.name), ["wands", "movielens"]);
    assertTrue(
      real.missing[0].reason.startsWith(
        `\`${dir}/wands\` has not been built`,
      ),
      real.missing[0].reason,
    );
    assertTrue(real.missing[0].reason.includes("deno task data wands"));
    assertTrue(
      real.note.startsWith(
        "Real datasets: **scifact**. Not available, so left out of every " +
          "table, chart and verdict below: **wands**, **movielens**.",
      ),
      real.note,
    );
    assertEquals(
      experimentsDatasetsLabel(
        [{ name: "benchmark" }, ...real.datasets],
        real.missing,
      ),
      "on benchmark, scifact; not on wands, movielens, which are not available",
    );
    assertEquals(experimentsDatasetsLabel([{ name: "a" }]), "on a");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
