import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
  withTempDir,
} from "../testing.ts";
import { smallSynthetic, TOY_BASELINE_ROW } from "../fixtures.ts";
import {
  checkConfigAgainstData,
  configHash,
  QUICK_BUCKETS,
} from "../train/mod.ts";
import {
  ADAP_TAU_BASELINE_WARMUP,
  BASELINE_NAMES,
  BASELINE_PER_QUERY_FILE,
  BASELINE_VARIANTS,
  baselineChartRows,
  baselineComparisons,
  baselineCurveRows,
  baselineDifferences,
  baselineGrid,
  baselineGridTable,
  baselineHealthTable,
  type BaselineRow,
  baselineTable,
  baselineVerdict,
  baselineVerdictMarkdown,
  baselineVerdicts,
  experimentsSettings,
  readBaselineDataset,
  runBaselineGrid,
} from "./mod.ts";
import { writeDataset } from "../data/mod.ts";

const ds = smallSynthetic(5);

// Small towers so that a run takes well under a second.
const TINY_TOWER = {
  dim: 16,
  features: {
    buckets: {
      charTrigram: 512,
      word: 512,
      wordBigram: 64,
      charUnigram: 64,
      charBigram: 256,
    },
  },
};
const TINY: Record<string, Record<string, unknown>> = {
  dssm: { ...TINY_TOWER, hidden: [32] },
  mgdspr: { ...TINY_TOWER, heads: 2 },
  dpsr: { ...TINY_TOWER, embedDim: 16, hidden: 32, heads: 2 },
  "adap-tau": { ...TINY_TOWER, embedDim: 16, hidden: [32] },
};

Deno.test("baselineGrid: every baseline's runs, towers, losses and lengths", () => {
  const expected = {
    dssm: ["dssm", "dssm-softmax"],
    mgdspr: ["mgdspr", "mgdspr"],
    dpsr: ["dpsr", "dpsr-hinge"],
    "adap-tau": ["plain", "adap-tau"],
  } as const;
  for (const b of BASELINE_NAMES) {
    const specs = baselineGrid(b, { data: "memory", seed: 7 });
    assertEquals(specs.map((s) => s.variant), [...BASELINE_VARIANTS[b]]);
    assertEquals(
      specs.map((s) => s.name),
      specs.map((s) => `${b}-${s.variant}`),
    );
    const [tower, own] = expected[b];
    for (const s of specs) {
      assertEquals((s.config.tower as { kind: string }).kind, tower);
      assertEquals(s.config.seed, 7);
      assertEquals(s.config.steps, 40);
      assertEquals(s.config.epochs, null);
      assertEquals(s.config.batchSize, 350);
      // Valid against real data (tower resolves, sampled negatives fit).
      checkConfigAgainstData(s.config, ds);
    }
    assertEquals(specs[0].role, "own");
    assertEquals(specs[0].config.loss.kind, own);
    const kinds = specs.map((s) => s.config.loss.kind);
    assertTrue(kinds.includes("adaptive-margin"), b);
    assertTrue(kinds.includes("adaptive-softmax"), b);
    assertTrue(kinds.includes("softmax"), b);
    // Every run has its own config hash (its own run folder).
    assertEquals(new Set(specs.map((s) => configHash(s.config))).size, 5);
    // The paper's defaults on the adaptive runs, fixed values on the rest.
    const am = specs.find((s) => s.variant === "adaptive-margin")!;
    assertTrue(am.config.loss.kind === "adaptive-margin");
    assertEquals(am.config.loss.alpha, 0.5);
    assertEquals(am.config.loss.delta0, 0.01);
    assertEquals(am.config.loss.w, 0.05);
    assertEquals(am.config.loss.stopGradient, true);
    assertEquals(am.role, "adaptive");
    const sm = specs.find((s) => s.variant === "softmax")!;
    assertTrue(sm.config.loss.kind === "softmax");
    assertEquals(sm.config.loss.temperature, 1 / 30);
    assertEquals(sm.role, "fixed");
    const full = baselineGrid(b, { data: "memory", profile: "full" });
    for (const s of full) {
      assertEquals(s.config.profile, "full");
      // Early stopping as in notebook 06's full profile, from its settings.
      const settings = experimentsSettings("full");
      assertEquals(s.config.steps, settings.steps);
      assertEquals(s.config.epochs, null);
      assertEquals(s.config.evalEvery, settings.evalEvery);
      assertEquals(
        s.config.earlyStopping?.patience,
        settings.earlyStopping?.patience,
      );
      assertEquals(s.config.earlyStopping?.metric, "recall@10");
      // The quick hash buckets in both profiles.
      const tower = s.config.tower as { features: { buckets: object } };
      assertEquals(tower.features.buckets, { ...QUICK_BUCKETS });
    }
    assertEquals(
      (specs[0].config.tower as { features: { buckets: object } }).features
        .buckets,
      { ...QUICK_BUCKETS },
    );
  }
  const tau = baselineGrid("adap-tau", { data: "memory" });
  const tau0 = tau[0].config.loss;
  assertTrue(tau0.kind === "adap-tau");
  assertEquals(tau0.perId, true);
  assertEquals(tau0.warmupEpochs, ADAP_TAU_BASELINE_WARMUP);
  const global = tau.find((s) => s.variant === "global-only")!;
  assertTrue(global.config.loss.kind === "adap-tau");
  assertEquals(global.config.loss.perId, false);
  assertEquals(global.role, "ablation");
  const dssm = baselineGrid("dssm", { data: "memory" })[0];
  assertTrue(dssm.config.loss.kind === "dssm-softmax");
  assertEquals(dssm.config.loss.gamma, 10);
  assertEquals(dssm.config.loss.negatives, 4);
  const mg = baselineGrid("mgdspr", { data: "memory" })[0];
  assertTrue(mg.config.loss.kind === "mgdspr");
  assertEquals(mg.config.loss.temperature, 2);
  assertEquals([mg.config.loss.mixLow, mg.config.loss.mixHigh], [0.4, 0.6]);
});

Deno.test("baselineGrid: subsets, overrides and errors naming the option", () => {
  const two = baselineGrid("dpsr", {
    data: "d",
    variants: ["adaptive-softmax", "own"],
    steps: 5,
    batchSize: 64,
    tower: { heads: 2 },
  });
  assertEquals(two.map((s) => s.name), ["dpsr-adaptive-softmax", "dpsr-own"]);
  assertEquals(two[0].config.steps, 5);
  assertEquals(two[0].config.batchSize, 64);
  assertEquals((two[0].config.tower as { heads?: number }).heads, 2);
  // A tower's own buckets win over the grid's.
  const own = baselineGrid("dssm", {
    data: "d",
    profile: "full",
    tower: { features: { buckets: { charTrigram: 512 } } },
  })[0].config.tower as { features: { buckets: Record<string, number> } };
  assertEquals(own.features.buckets.charTrigram, 512);
  assertEquals(own.features.buckets.word, QUICK_BUCKETS.word);
  assertEquals(
    baselineGrid("dssm", { data: "d", epochs: 3 })[0].config.epochs,
    3,
  );
  assertThrows(
    () => baselineGrid("lstm" as "dssm", { data: "d" }),
    RangeError,
    "baseline must be one of",
  );
  assertThrows(
    () => baselineGrid("dssm", { data: "d", variants: ["global-only"] }),
    RangeError,
    "variants",
  );
  assertThrows(
    () => baselineGrid("dssm", { data: "d", variants: ["own", "own"] }),
    RangeError,
    "twice",
  );
  assertThrows(
    () => baselineGrid("dssm", { data: "d", steps: 1, epochs: 1 }),
    RangeError,
    "not both",
  );
  const table = baselineGridTable(baselineGrid("dssm", { data: "d" }));
  assertEquals(table.length, 5);
  assertEquals(table[0].loss, "dssm-softmax");
  assertTrue(String(table[0].options).includes("gamma=10"));
  assertEquals(table[0].length, "40 steps");
});

function mtime(info: Deno.FileInfo): number {
  return info.mtime?.getTime() ?? NaN;
}

Deno.test("runBaselineGrid: tiny runs give finite metrics, then come from the cache", async () => {
  await withTempDir("baselines_test_", async (runsDir) => {
    const specs = baselineGrid("dssm", {
      data: "memory",
      variants: ["own", "adaptive-margin"],
      steps: 3,
      batchSize: 64,
      tower: TINY.dssm,
      backend: "wasm",
    });
    const lines: string[] = [];
    const opts = {
      runsDir,
      dataset: ds,
      bootstrapSamples: 50,
      log: (l: string) => lines.push(l),
    };
    const rows = await runBaselineGrid(specs, opts);
    assertEquals(rows.map((r) => r.name), ["dssm-own", "dssm-adaptive-margin"]);
    for (const r of rows) {
      assertEquals(r.status, "finished");
      assertEquals(r.cached, false);
      assertEquals(r.steps, 3);
      assertEquals(r.log.length, 3);
      assertEquals(r.dataset, ds.meta.name);
      for (const i of [...Object.values(r.batchRecall), r.ndcg10, r.mrr]) {
        assertTrue(
          Number.isFinite(i.mean) && i.lo <= i.mean && i.mean <= i.hi &&
            i.lo >= 0 && i.hi <= 1,
          `${r.name}: ${JSON.stringify(i)}`,
        );
      }
      assertTrue(r.batchRecall[50].mean >= r.batchRecall[1].mean);
      // The per-query values are evaluateModel's: their means match.
      const p = r.perQuery!;
      for (const k of [1, 5, 10, 50]) {
        const hits = p.batchRanks.filter((x) => x <= k).length;
        assertTrue(
          Math.abs(hits / p.batchRanks.length - r.batchRecall[k].mean) < 1e-6,
          `${r.name} batch recall@${k}`,
        );
      }
      const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
      assertTrue(Math.abs(mean(p.mrr) - r.mrr.mean) < 1e-5, "mrr");
      assertTrue(Math.abs(mean(p.ndcg10) - r.ndcg10.mean) < 1e-5, "ndcg");
      assertTrue(
        Math.abs(mean(p.recall10) - r.corpusRecall[10].mean) < 1e-5,
        "recall@10",
      );
    }
    // Different losses train different models.
    assertTrue(rows[0].log[2].loss !== rows[1].log[2].loss);

    const stepsFile = `${rows[0].dir}/steps.arrow`;
    const before = mtime(await Deno.stat(stepsFile));
    const again = await runBaselineGrid(specs, opts);
    for (const [a, b] of again.map((r, i) => [r, rows[i]] as const)) {
      assertEquals(a.cached, true);
      assertEquals(a.batchRecall, b.batchRecall);
      assertEquals(a.ndcg10, b.ndcg10);
      assertEquals(a.mrr, b.mrr);
      assertEquals(a.log, b.log);
      assertEquals(Array.from(a.perQuery!.batchRanks), [
        ...b.perQuery!.batchRanks,
      ]);
    }
    assertEquals(mtime(await Deno.stat(stepsFile)), before);
    assertTrue(lines.some((l) => l.startsWith("dssm-own: cached")));

    // A damaged folder is retrained; other data is retrained.
    await Deno.remove(`${rows[1].dir}/${BASELINE_PER_QUERY_FILE}`);
    const repaired = await runBaselineGrid(specs, opts);
    assertEquals(repaired.map((r) => r.cached), [true, false]);
    assertEquals(repaired[1].batchRecall, rows[1].batchRecall);
    const other = smallSynthetic(6);
    const moved = await runBaselineGrid(specs.slice(0, 1), {
      ...opts,
      dataset: other,
    });
    assertEquals(moved[0].cached, false);
    // Same names twice in one call is an error.
    await assertRejects(
      () => runBaselineGrid([specs[0], specs[0]], opts),
      RangeError,
      "occurs twice",
    );
  });
});

Deno.test("runBaselineGrid: the worker pool gives the rows one thread gives", async () => {
  await withTempDir("baselines_test_", async (root) => {
    const specs = baselineGrid("mgdspr", {
      data: "memory",
      variants: ["own", "margin", "adaptive-softmax"],
      steps: 2,
      batchSize: 64,
      tower: TINY.mgdspr,
      backend: "wasm",
    });
    const run = (workers: number) =>
      runBaselineGrid(specs, {
        runsDir: `${root}/w${workers}`,
        dataset: ds,
        bootstrapSamples: 20,
        workers,
      });
    const one = await run(1);
    const two = await run(2);
    const same = (r: BaselineRow) => ({
      ...r,
      dir: "",
      trainSeconds: null,
      perQuery: r.perQuery && {
        ...r.perQuery,
        batchRanks: Array.from(r.perQuery.batchRanks),
      },
    });
    assertEquals(two.map((r) => r.name), one.map((r) => r.name));
    assertEquals(two.map(same), one.map(same));
    assertTrue(two.every((r) => r.status === "finished" && !r.cached));
  });
});

Deno.test("runBaselineGrid: a run whose loss becomes NaN is a failed row; bad settings throw", async () => {
  await withTempDir("baselines_test_", async (runsDir) => {
    const [spec] = baselineGrid("adap-tau", {
      data: "memory",
      variants: ["softmax"],
      steps: 3,
      batchSize: 64,
      tower: TINY["adap-tau"],
      backend: "wasm",
    });
    // An absurd step size without clipping overflows float32 at step 2.
    spec.config.optimizer.lr = 1e30;
    spec.config.optimizer.clipNorm = 0;
    const [row] = await runBaselineGrid([spec], {
      runsDir,
      dataset: ds,
      bootstrapSamples: 10,
    });
    assertEquals(row.status, "failed");
    assertTrue(row.error!.includes("NaN"), row.error);
    assertTrue(Number.isNaN(row.mrr.mean));
    assertEquals(row.perQuery, null);
    assertTrue(baselineTable([row])[0].cached !== "no");
    // More sampled negatives than items: a ConfigError, thrown.
    const [bad] = baselineGrid("dssm", {
      data: "memory",
      variants: ["own"],
      steps: 1,
      tower: TINY.dssm,
    });
    assertTrue(bad.config.loss.kind === "dssm-softmax");
    bad.config.loss.negatives = 5000;
    await assertRejects(
      () => runBaselineGrid([bad], { runsDir, dataset: ds }),
      Error,
      "loss.negatives",
    );
  });
});

Deno.test("runBaselineGrid: multi-head DPSR with adaptive losses, MGDSPR and Adap-τ", async () => {
  await withTempDir("baselines_test_", async (runsDir) => {
    const common = {
      data: "memory",
      steps: 2,
      batchSize: 64,
      backend: "wasm",
    } as const;
    const specs = [
      ...baselineGrid("dpsr", {
        ...common,
        variants: ["own", "adaptive-margin", "adaptive-softmax"],
        tower: TINY.dpsr,
      }),
      ...baselineGrid("mgdspr", {
        ...common,
        variants: ["own"],
        tower: TINY.mgdspr,
      }),
      ...baselineGrid("adap-tau", {
        ...common,
        variants: ["own"],
        tower: TINY["adap-tau"],
      }),
    ];
    const rows = await runBaselineGrid(specs, {
      runsDir,
      dataset: ds,
      bootstrapSamples: 20,
    });
    for (const r of rows) {
      assertEquals(r.status, "finished", r.name);
      assertTrue(r.log.every((p) => Number.isFinite(p.loss)), r.name);
      for (const i of [r.batchRecall[10], r.ndcg10, r.mrr]) {
        assertTrue(Number.isFinite(i.mean), `${r.name} ${JSON.stringify(i)}`);
      }
    }
    assertEquals(rows.map((r) => r.tower), [
      "dpsr",
      "dpsr",
      "dpsr",
      "mgdspr",
      "plain",
    ]);
  });
});

function fakeRow(
  name: string,
  over: Partial<BaselineRow>,
  ranks: number[],
): BaselineRow {
  const n = ranks.length;
  const hits = (k: number) => ranks.filter((r) => r <= k).length / n;
  const iv = (m: number) => ({ mean: m, lo: m - 0.01, hi: m + 0.01 });
  const rr = Float64Array.from(ranks, (r) => 1 / r);
  return {
    ...TOY_BASELINE_ROW,
    name,
    variant: "own",
    role: "own",
    short: name,
    method: name,
    batchRecall: {
      1: iv(hits(1)),
      5: iv(hits(5)),
      10: iv(hits(10)),
      50: iv(1),
    },
    corpusRecall: { 10: iv(hits(10)) },
    ndcg10: iv(0.5),
    mrr: iv(rr.reduce((a, b) => a + b, 0) / n),
    perQuery: {
      batchRanks: Int32Array.from(ranks),
      recall10: Float64Array.from(ranks, (r) => (r <= 10 ? 1 : 0)),
      ndcg10: Float64Array.from(ranks, () => 0.5),
      mrr: rr,
    },
    log: [{ step: 1, loss: 4 }, { step: 2, loss: 1 }],
    ...over,
  };
}

Deno.test("baselineVerdict: paired differences decide better / worse / unclear", () => {
  const own = fakeRow("own", {}, Array(40).fill(20));
  const good = fakeRow(
    "adaptive",
    { variant: "adaptive-margin", role: "adaptive" },
    Array(40).fill(1),
  );
  const d = baselineDifferences(good, own);
  assertEquals(d.map((x) => x.metric), [
    "batchRecall@1",
    "batchRecall@10",
    "ndcg@10",
    "mrr",
  ]);
  // Rank 1 vs rank 20 on every query: +1 at @1 and @10, 1 − 1/20 on MRR,
  // equal NDCG; with no spread the interval is the point.
  assertEquals(d[0].difference, { mean: 1, lo: 1, hi: 1 });
  assertEquals(d[0].outcome, "better");
  assertEquals(d[2].outcome, "no clear difference");
  assertTrue(Math.abs(d[3].difference.mean - 0.95) < 1e-12);
  const reverse = baselineDifferences(own, good);
  assertEquals(reverse[0].outcome, "worse");

  const s = baselineVerdict([own, good], {
    candidate: "adaptive",
    reference: "own",
  });
  assertTrue(s.startsWith("On toy, adaptive vs own"), s);
  assertTrue(s.includes(": better (better on 3, worse on 0 of 4 metrics)"), s);
  assertTrue(s.includes("batch recall@1 +1.000 [+1.000, +1.000] (better)"), s);
  // Better on one of three metrics only: said so, not "better".
  const two = fakeRow("two", {}, Array(40).fill(2));
  const one = fakeRow("one", {}, Array(40).fill(1));
  const some = baselineVerdict([one, two], {
    candidate: "one",
    reference: "two",
    metrics: ["batchRecall@1", "batchRecall@10", "ndcg@10"],
  });
  assertTrue(
    some.includes(": better on some metrics, worse on none (better on 1"),
    some,
  );
  // Mixed ranks: half better, half worse → an interval around 0.
  const mixed = fakeRow(
    "mixed",
    { variant: "adaptive-softmax", role: "adaptive" },
    Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : 40)),
  );
  const base = fakeRow(
    "base",
    {},
    Array.from({ length: 40 }, (_, i) => (i % 2 ? 40 : 1)),
  );
  assertEquals(
    baselineDifferences(mixed, base)[0].outcome,
    "no clear difference",
  );
  assertThrows(
    () => baselineVerdict([own], { candidate: "nope", reference: "own" }),
    RangeError,
    "candidate",
  );
  // One sentence per adaptive run, against its own baseline and dataset.
  const verdicts = baselineVerdicts([own, good, mixed]);
  assertEquals(verdicts.length, 2);
  assertTrue(verdicts[1].includes("mixed vs own"), verdicts[1]);
  // Runs evaluated on different data cannot be paired.
  const short = fakeRow("short", {}, [1, 2]);
  assertThrows(() => baselineDifferences(good, short), RangeError, "same data");
});

Deno.test("baselineTable / baselineChartRows / baselineCurveRows", () => {
  const own = fakeRow("own", {}, [1, 2, 3, 30]);
  const failed = fakeRow("broken", {
    status: "failed",
    error: "loss became NaN",
    perQuery: null,
    batchRecall: { 1: { mean: NaN, lo: NaN, hi: NaN } },
    ndcg10: { mean: NaN, lo: NaN, hi: NaN },
    mrr: { mean: NaN, lo: NaN, hi: NaN },
  }, [1]);
  const t = baselineTable([own, failed]);
  assertEquals(t[0]["batch recall@1"], "0.250 [0.240, 0.260]");
  assertEquals(t[0].method, "own");
  assertEquals(t[1]["batch recall@1"], "–");
  assertEquals(t[1].cached, "failed: loss became NaN");
  // Without early stopping no stop columns; with it, every row has them.
  assertTrue(!("best step" in t[0]));
  const stopped = fakeRow("own", {
    earlyStopping: {
      metric: "recall@10",
      patience: 6,
      minDelta: 0.002,
      bestStep: 150,
      bestValid: 0.9,
      stoppedAt: 300,
      stopReason: "patience",
    },
  }, [1, 2, 3, 30]);
  const ts = baselineTable([stopped, failed]);
  assertEquals([ts[0]["best step"], ts[0].stopped], [150, "patience"]);
  assertEquals([ts[1]["best step"], ts[1].stopped], ["", ""]);
  assertEquals(
    baselineTable([own], { metrics: ["mrr"], intervals: false, digits: 2 })[0]
      .MRR,
    "0.47",
  );
  const health = baselineHealthTable([
    { ...own, health: { meanCosine: 0.12345, effectiveRank: 7 } },
    failed,
  ]);
  assertEquals(health[0]["mean item cosine"], 0.123);
  assertEquals(health[0]["effective rank"], 7);
  assertEquals(health[0].alignment, "–");
  assertEquals(health[1]["mean item cosine"], "–");
  const chart = baselineChartRows([own, failed]);
  assertEquals(chart.length, 3);
  assertEquals(chart.map((r) => r.panel), [
    "batch recall@1",
    "NDCG@10",
    "MRR",
  ]);
  for (const r of chart) assertTrue(r.lo <= r.mean && r.mean <= r.hi);
  assertEquals(baselineCurveRows([own]), [
    { run: "own", step: 1, loss: 1 },
    { run: "own", step: 2, loss: 0.25 },
  ]);
  assertEquals(baselineCurveRows([own], { relative: false })[1].loss, 1);
  assertEquals(baselineCurveRows([own], { floor: 0.5 })[1].loss, 0.5);
});

Deno.test("baselineComparisons: adaptive vs own and vs fixed; Adap-τ vs fixed", () => {
  const ranks = [1, 2, 3];
  const row = (
    name: string,
    variant: BaselineRow["variant"],
    over: Partial<BaselineRow> = {},
  ) => fakeRow(name, { variant, role: "own", ...over }, ranks);
  const dssm = [
    row("dssm-own", "own"),
    row("dssm-adaptive-margin", "adaptive-margin"),
    row("dssm-adaptive-softmax", "adaptive-softmax"),
    row("dssm-margin", "margin"),
    row("dssm-softmax", "softmax"),
  ];
  const pairs = (rows: BaselineRow[]) =>
    baselineComparisons(rows).map((c) => `${c.candidate}>${c.reference}`);
  assertEquals(pairs(dssm), [
    "dssm-adaptive-margin>dssm-own",
    "dssm-adaptive-softmax>dssm-own",
    "dssm-adaptive-margin>dssm-margin",
    "dssm-adaptive-softmax>dssm-softmax",
  ]);
  // The same grid on a second dataset is compared within that dataset.
  const other = dssm.map((r) => ({ ...r, dataset: "other" }));
  assertEquals(baselineComparisons([...dssm, ...other]).length, 8);
  assertEquals(baselineVerdicts([...dssm, ...other]).length, 8);
  const tau = [
    row("t-own", "own", { baseline: "adap-tau" }),
    row("t-global", "global-only", { baseline: "adap-tau" }),
    row("t-as", "adaptive-softmax", { baseline: "adap-tau" }),
    row("t-sm", "softmax", { baseline: "adap-tau" }),
  ];
  assertEquals(pairs(tau), [
    "t-as>t-own",
    "t-as>t-sm",
    "t-own>t-sm",
    "t-global>t-own",
  ]);
  const text = baselineVerdictMarkdown(tau);
  assertEquals(text.split("\n").length, 4);
  assertTrue(text.startsWith("- On toy, t-as vs t-own"), text);
  assertTrue(baselineVerdictMarkdown([]).includes("No comparison"));
});

Deno.test("readBaselineDataset: a built folder, or a note instead of an error", async () => {
  await withTempDir("baselines_test_", async (dir) => {
    const missing = await readBaselineDataset(`${dir}/nope`);
    assertEquals(missing.dataset, null);
    assertTrue(
      missing.note.startsWith(
        `**Not available, so this section does not run:** \`${dir}/nope\` has not been built;`,
      ),
      missing.note,
    );
    // A missing real dataset names the command that brings it.
    const real = await readBaselineDataset(`${dir}/scifact`);
    assertTrue(real.note.includes("`deno task data scifact"), real.note);
    await Deno.mkdir(`${dir}/bad`);
    await Deno.writeTextFile(`${dir}/bad/items.arrow`, "not arrow");
    const bad = await readBaselineDataset(`${dir}/bad`);
    assertEquals(bad.dataset, null);
    assertTrue(bad.note.includes("could not be read"), bad.note);
    await writeDataset(`${dir}/ds`, ds);
    const ok = await readBaselineDataset(`${dir}/ds`);
    assertEquals(ok.dataset?.items.itemId.length, 300);
    const train = ds.pairs.split.filter((s, i) =>
      s === "train" && ds.pairs.relevance[i] === 3
    ).length;
    assertTrue(ok.note.includes(`${train} training pairs`), ok.note);
  });
});
