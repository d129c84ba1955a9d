import {
  assertClose,
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { joinPath } from "../data/mod.ts";
import { PLAIN_TOWER, smallSynthetic } from "../fixtures.ts";
import { initBackend } from "../backend/mod.ts";
import { createTower } from "../towers/mod.ts";
import {
  checkConfigAgainstData,
  CHECKPOINT_FILE,
  resolveConfig,
  train,
  type TrainConfigInput,
} from "../train/mod.ts";
import {
  COLLAPSE_RESULT_FILE,
  collapsedInitWeights,
  CollapseError,
  collapseExperiment,
  collapseHealthItems,
  type CollapseHealthRow,
  collapseItemHealth,
  collapseRowsOf,
  collapseRun,
  collapseRunsTable,
  collapseSummary,
  type CollapseSummaryRow,
  collapseVariants,
  collapseVerdict,
} from "./mod.ts";

const ds = smallSynthetic(5);

// Tiny plain tower; α = 2 and lr = 1e-2 make the collapse of the naive
// heuristic fast and large (mean item cosine ≈ 1 within 10 steps).
const base: TrainConfigInput = {
  data: "tiny (memory)",
  tower: PLAIN_TOWER,
  loss: { kind: "adaptive-margin", alpha: 2 },
  optimizer: { lr: 1e-2 },
  batchSize: 64,
  steps: 20,
  backend: "wasm",
};

async function tmp(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "collapse_test_" });
}

const finite = (r: CollapseHealthRow) =>
  [r.meanCosine, r.uniformity, r.effectiveRank, r.recall].every((x) =>
    typeof x === "number" && Number.isFinite(x)
  ) && (r.step === 0 ? r.loss === null : Number.isFinite(r.loss));

const strip = (rows: CollapseHealthRow[]) =>
  rows.map(({ run: _run, ...r }) => r);

Deno.test("collapseRun: rows at 0, every N and the end, finite; cached on the second call", async () => {
  const out = await tmp();
  try {
    const variant = { name: "sg", config: { ...base, steps: 12 } };
    const first = await collapseRun(variant, {
      dataset: ds,
      outDir: out,
      every: 5,
    });
    assertEquals(first.rows.map((r) => r.step), [0, 5, 10, 12]);
    assertTrue(first.rows.every(finite), JSON.stringify(first.rows));
    assertTrue(first.rows.every((r) => r.recall! >= 0 && r.recall! <= 1));
    assertEquals(first.cached, false);
    assertEquals(first.steps, 12);
    assertTrue(first.testRecall !== null && first.testRecall > 0);
    // Finished: result kept, checkpoint files pruned.
    await Deno.stat(joinPath(first.dir, COLLAPSE_RESULT_FILE));
    await assertRejects(
      () => Deno.stat(joinPath(first.dir, CHECKPOINT_FILE)),
      Deno.errors.NotFound,
    );
    const again = await collapseRun({ ...variant, name: "renamed" }, {
      dataset: ds,
      outDir: out,
      every: 5,
    });
    assertEquals(again.cached, true);
    assertEquals(strip(again.rows), strip(first.rows));
    assertEquals(again.rows[0].run, "renamed");
    assertEquals(again.testRecall, first.testRecall);
    // Another interval is another run.
    const other = await collapseRun(variant, {
      dataset: ds,
      outDir: out,
      every: 6,
      recall: false,
    });
    assertEquals(other.cached, false);
    assertEquals(other.rows.map((r) => r.step), [0, 6, 12]);
    assertEquals(other.rows[2].recall, undefined);
    // Segments do not change training: same final health at step 12.
    assertEquals(other.rows[2].meanCosine, first.rows[3].meanCosine);
    assertEquals(other.testRecall, first.testRecall);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("collapseRun: segmented training ends with the weights of one uninterrupted run", async () => {
  const out = await tmp();
  try {
    const config = { ...base, steps: 10 };
    const seg = await collapseRun({ name: "seg", config }, {
      dataset: ds,
      outDir: out,
      every: 3,
      recall: false,
    });
    const whole = await train({ ...config, checkpointEvery: 0 }, {
      dataset: ds,
      outDir: joinPath(out, "whole"),
      quiet: true,
      keepModel: true,
    });
    const model = whole.model!;
    const rows = collapseHealthItems(ds.items.itemId.length, 2000);
    const h = collapseItemHealth(model, model.prepare(ds), { rows });
    model.dispose();
    const last = seg.rows[seg.rows.length - 1];
    assertEquals(last.step, 10);
    assertEquals(last.meanCosine, h.meanCosine);
    assertEquals(last.effectiveRank, h.effectiveRank);
    assertEquals(last.uniformity, h.uniformity);
    // The row's loss is the mean logged loss of steps 10 (segment 10..10).
    assertClose(last.loss!, whole.log[9].loss, 1e-12);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("collapseRun: a run stopped after a row resumes there and ends as an uninterrupted one", async () => {
  const out = await tmp();
  try {
    const variant = {
      name: "stopped",
      config: { ...base, steps: 10 },
      init: "collapsed" as const,
    };
    const opts = { dataset: ds, every: 5, recall: false };
    await assertRejects(
      () =>
        collapseRun(variant, {
          ...opts,
          outDir: out,
          onRow: (r) => {
            if (r.step === 5) throw new Error("stop");
          },
        }),
      Error,
      "stop",
    );
    const seen: number[] = [];
    const resumed = await collapseRun(variant, {
      ...opts,
      outDir: out,
      onRow: (r) => seen.push(r.step),
    });
    assertEquals(seen, [10]);
    const fresh = await collapseRun(variant, { ...opts, outDir: await tmp() });
    assertEquals(strip(resumed.rows), strip(fresh.rows));
    await Deno.remove(fresh.dir.replace(/\/[^/]+$/, ""), { recursive: true });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the naive heuristic (no stop-gradient) collapses the items; the stop-gradient does not", async () => {
  const out = await tmp();
  try {
    const exp = await collapseExperiment(
      collapseVariants(base, { inits: ["normal"], symmetric: [false] }),
      { dataset: ds, outDir: out, every: 10, recall: false },
    );
    const [naive, sg] = exp.summary;
    assertEquals([naive.stopGradient, sg.stopGradient], [false, true]);
    // Same model at step 0.
    assertEquals(naive.startCosine, sg.startCosine);
    assertTrue(naive.startCosine < 0.2, `start ${naive.startCosine}`);
    const msg =
      `final mean item cosine: no sg ${naive.finalCosine}, sg ${sg.finalCosine}`;
    assertTrue(naive.finalCosine > 0.9, msg);
    assertTrue(naive.finalCosine > sg.finalCosine + 0.5, msg);
    assertTrue(naive.finalEffectiveRank < sg.finalEffectiveRank, msg);
    assertTrue(naive.finalUniformity > sg.finalUniformity, msg);
    assertEquals([naive.collapsed, sg.collapsed], [true, false]);
    assertEquals([naive.collapseStep, naive.recoverStep], [10, null]);
    assertEquals([sg.collapseStep, sg.recoverStep], [null, null]);
    assertTrue(
      exp.verdict.startsWith("Claim 1 (") &&
        exp.verdict.includes("is supported"),
      exp.verdict,
    );
    assertTrue(exp.verdict.includes("Claim 2 not tested"), exp.verdict);
    assertEquals(exp.rows.length, 2 * 3);
    assertEquals(collapseRowsOf(exp, { init: "normal" }).length, 6);
    assertEquals(collapseRowsOf(exp, { init: "collapsed" }).length, 0);
    assertEquals(
      collapseRunsTable(exp).map((r) => [r.run, r.steps, r.cached]),
      [["normal · no sg", 20, false], ["normal · sg", 20, false]],
    );
    assertTrue(naive.finalLoss !== null && Number.isFinite(naive.finalLoss));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("collapsed start: all items start at cosine ≈ 1, the query tower is untouched", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const config = resolveConfig(base);
  const { tower } = checkConfigAgainstData(config, ds);
  const model = createTower(tower, { seed: 1 });
  try {
    const rows = collapseHealthItems(ds.items.itemId.length, 2000);
    const inputs = model.prepare(ds);
    const before = collapseItemHealth(model, inputs, { rows });
    const w0 = model.getWeights();
    const w = collapsedInitWeights(w0, { scale: 0.01, biasNorm: 2, seed: 3 });
    model.setWeights(w);
    const after = collapseItemHealth(model, inputs, { rows });
    assertTrue(before.meanCosine < 0.2, `before ${before.meanCosine}`);
    assertTrue(after.meanCosine > 0.99, `after ${after.meanCosine}`);
    assertTrue(after.effectiveRank < before.effectiveRank / 4);
    // Output layer (hidden [32] → item/w2, item/b2) and id table scaled,
    // bias of norm 2; everything else unchanged; the input is not mutated.
    for (let i = 0; i < w0["item/w2"].data.length; i += 37) {
      assertClose(w["item/w2"].data[i], 0.01 * w0["item/w2"].data[i], 1e-9);
    }
    assertClose(w["item/id"].data[5], 0.01 * w0["item/id"].data[5], 1e-9);
    const b = w["item/b2"].data;
    assertClose(Math.hypot(...b), 2, 1e-5);
    assertTrue(w0["item/b2"].data.every((x) => x === 0));
    for (const name of ["item/w1", "item/b1", "query/w1", "query/word"]) {
      assertEquals(w[name].data, w0[name].data);
    }
    assertEquals(
      collapsedInitWeights(w0, { seed: 3, biasNorm: 2 })["item/b2"].data,
      b,
    );
  } finally {
    model.dispose();
  }
  assertThrows(
    () =>
      collapsedInitWeights({
        "query/w1": { shape: [1], data: new Float32Array(1) },
      }),
    CollapseError,
    "no item output layer",
  );
  assertThrows(
    () => collapsedInitWeights({}, { scale: -1 }),
    CollapseError,
    "scale",
  );
});

Deno.test("collapseHealthItems: all rows up to max, else a fixed sorted sample", () => {
  assertEquals([...collapseHealthItems(4, 10)], [0, 1, 2, 3]);
  const s = collapseHealthItems(1000, 50);
  assertEquals(s.length, 50);
  assertEquals(new Set(s).size, 50);
  assertTrue(
    s.every((x, i) => x >= 0 && x < 1000 && (i === 0 || x > s[i - 1])),
  );
  assertEquals(collapseHealthItems(1000, 50), s);
  assertThrows(() => collapseHealthItems(10, 1), CollapseError, "healthItems");
});

Deno.test("collapseVariants: the start × stop-gradient × symmetric grid", () => {
  const v = collapseVariants(base);
  assertEquals(v.length, 8);
  assertEquals(v.map((x) => x.name).slice(0, 4), [
    "normal · no sg",
    "normal · sg",
    "normal · no sg + sym",
    "normal · sg + sym",
  ]);
  assertEquals(v[7].name, "collapsed · sg + sym");
  assertEquals(v[7].init, "collapsed");
  const loss = (v[2].config as TrainConfigInput).loss!;
  assertEquals([loss.stopGradient, loss.symmetric, loss.alpha], [
    false,
    true,
    2,
  ]);
  assertThrows(
    () => collapseVariants({ ...base, loss: { kind: "margin" } }),
    CollapseError,
    "adaptive",
  );
});

function summaryRow(
  init: "normal" | "collapsed",
  sg: boolean,
  sym: boolean,
  finalCosine: number,
  steps: Partial<CollapseSummaryRow> = {},
): CollapseSummaryRow {
  return {
    run: `${init} ${sg} ${sym}`,
    init,
    loss: "adaptive-margin",
    stopGradient: sg,
    symmetric: sym,
    alpha: 0.5,
    steps: 40,
    startCosine: init === "normal" ? 0.01 : 1,
    finalCosine,
    finalUniformity: -1,
    finalEffectiveRank: 10,
    finalLoss: 0.1,
    validRecall: null,
    testRecall: 0.9,
    collapsed: finalCosine >= 0.5,
    collapseStep: init === "normal" ? null : 0,
    recoverStep: null,
    ...steps,
  };
}

Deno.test("collapseVerdict: supported, not supported, not tested", () => {
  const good = collapseVerdict([
    summaryRow("normal", false, false, 0.99),
    summaryRow("normal", true, false, 0.01),
    summaryRow("collapsed", true, false, 0.98),
    summaryRow("collapsed", true, true, 0.2),
  ]);
  assertTrue(good.includes("Claim 1 (") && good.includes("Claim 2 ("), good);
  assertEquals(good.match(/is supported/g)?.length, 2, good);
  assertTrue(
    good.includes("0.990 (collapsed) without the stop-gradient"),
    good,
  );
  assertTrue(good.includes("0.200 (not collapsed) with it"), good);
  assertTrue(good.includes("≥ 0.5; 40 steps"), good);
  const bad = collapseVerdict([
    summaryRow("normal", false, false, 0.3),
    summaryRow("normal", true, false, 0.01),
    summaryRow("collapsed", true, false, 0.98),
    summaryRow("collapsed", true, true, 0.9),
  ]);
  assertEquals(bad.match(/is not supported/g)?.length, 2, bad);
  assertTrue(
    bad.includes("left the collapsed state never, with it never"),
    bad,
  );
  // Both recover, the symmetric run sooner: not supported, but said so.
  const sooner = collapseVerdict([
    summaryRow("collapsed", true, false, 0.05, { recoverStep: 100 }),
    summaryRow("collapsed", true, true, 0.01, { recoverStep: 40 }),
  ]);
  assertTrue(sooner.includes("is not supported"), sooner);
  assertTrue(
    sooner.includes(
      "without the symmetric term at step 100 and with it at step 40: the symmetric term sped the recovery up",
    ),
    sooner,
  );
  // The threshold decides what counts as collapsed.
  const low = collapseVerdict([
    summaryRow("normal", false, false, 0.3),
    summaryRow("normal", true, false, 0.01),
  ], { threshold: 0.25 });
  assertTrue(low.includes("Claim 1 (") && low.includes("is supported"), low);
  assertTrue(low.includes("Claim 2 not tested"), low);
});

Deno.test("collapse driver: clear errors for bad options", async () => {
  await assertRejects(
    () =>
      collapseRun({ name: "x", config: base }, {
        dataset: ds,
        outDir: "/nonexistent",
        every: 0,
      }),
    CollapseError,
    "every",
  );
  await assertRejects(
    () =>
      collapseExperiment([
        { name: "a", config: base },
        { name: "a", config: base },
      ], { dataset: ds, outDir: "/nonexistent", every: 5 }),
    CollapseError,
    "two variants",
  );
});

Deno.test("collapseSummary: start and final values, collapse and recovery steps", () => {
  const row = (step: number, meanCosine: number): CollapseHealthRow => ({
    run: "r",
    init: "collapsed",
    step,
    meanCosine,
    uniformity: -meanCosine,
    effectiveRank: 1 + step,
    loss: step === 0 ? null : 1 / step,
    recall: 0.5,
  });
  const run = {
    name: "r",
    init: "collapsed" as const,
    dir: "x",
    key: "k",
    config: resolveConfig(base),
    cached: true,
    rows: [row(0, 1), row(5, 0.9), row(10, 0.4), row(15, 0.6)],
    testRecall: 0.7,
    steps: 15,
    seconds: 1,
  };
  const [s] = collapseSummary([run]);
  assertEquals(
    [s.startCosine, s.finalCosine, s.finalEffectiveRank, s.finalLoss],
    [1, 0.6, 16, 1 / 15],
  );
  assertEquals([s.stopGradient, s.symmetric, s.alpha], [true, true, 2]);
  assertEquals([s.collapsed, s.collapseStep, s.recoverStep], [true, 0, 10]);
  const [t] = collapseSummary([run], { threshold: 0.95 });
  assertEquals([t.collapsed, t.collapseStep, t.recoverStep], [false, 0, 5]);
  const [u] = collapseSummary([{ ...run, rows: [row(0, 0.1), row(5, 0.2)] }]);
  assertEquals([u.collapsed, u.collapseStep, u.recoverStep], [
    false,
    null,
    null,
  ]);
});
