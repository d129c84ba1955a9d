import { createHash } from "node:crypto";
import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { generateSynthetic, type Split, stableJson } from "../data/mod.ts";
import { PLAIN_MEMORY_RUN, smallSynthetic } from "../fixtures.ts";
import { initBackend } from "../backend/mod.ts";
import type { Weights } from "../towers/mod.ts";
import {
  checkConfigAgainstData,
  ConfigError,
  configHash,
  resolveConfig,
  type TrainConfigInput,
} from "./config.ts";
import {
  EARLY_STOPPING_OPTIONS,
  EarlyStopping,
  type EarlyStoppingConfig,
  type EarlyStoppingSummary,
} from "./early_stopping.ts";
import { readBestWeights, readManifest } from "./checkpoint.ts";
import { readValid, type ValidRow } from "./logs.ts";
import { loadRun, readRunInfo, RUN_FILES } from "./run_files.ts";
import { batchRecallOfModel } from "./evaluate.ts";
import { train, type TrainResult } from "./train.ts";
import { assertConfigFails, trainUntil } from "./fixtures.ts";

// ---------------------------------------------------------------- monitor

const on = (over: Partial<EarlyStoppingConfig> = {}): EarlyStoppingConfig => ({
  metric: "recall@10",
  patience: 3,
  minDelta: 0,
  ...over,
});

/** Feeds recall@10 values at steps 1, 2, …; returns the improved flags. */
function feed(m: EarlyStopping, values: number[], from = 1): boolean[] {
  const out: boolean[] = [];
  values.forEach((v, i) => {
    if (!m.stopped) out.push(m.observe(from + i, { 1: 0, 10: v }));
  });
  return out;
}

Deno.test("early stopping: best, patience window, ties and minDelta", () => {
  const m = new EarlyStopping(on());
  // A tie is no improvement; the third evaluation without one stops.
  assertEquals(feed(m, [0.5, 0.6, 0.6, 0.59, 0.6, 0.9]), [
    true,
    true,
    false,
    false,
    false,
  ]);
  assertEquals(m.summary(), {
    metric: "recall@10",
    patience: 3,
    minDelta: 0,
    stoppedAt: 5,
    bestStep: 2,
    bestValid: 0.6,
    stopReason: "patience",
  });
  // An improvement resets the window.
  const r = new EarlyStopping(on({ patience: 2 }));
  assertEquals(feed(r, [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.3]), [
    true,
    false,
    true,
    false,
    true,
    false,
    false,
  ]);
  assertEquals([r.state.bestStep, r.state.stoppedAt], [5, 7]);
  // minDelta: +0.01 does not count, +0.03 does (and becomes the new best).
  const d = new EarlyStopping(on({ minDelta: 0.02, patience: 2 }));
  assertEquals(feed(d, [0.5, 0.51, 0.53, 0.54, 0.55]), [
    true,
    false,
    true,
    false,
    false,
  ]);
  assertEquals([d.state.bestStep, d.state.bestValid], [3, 0.53]);
  // NaN never improves; the cap ends a run that still has patience left.
  const c = new EarlyStopping(on({ patience: 5 }));
  assertEquals(feed(c, [0.2, NaN, 0.3]), [true, false, true]);
  c.finish(40);
  assertEquals([c.state.stopReason, c.state.stoppedAt], ["cap", 40]);
  c.finish(41);
  assertEquals(c.state.stoppedAt, 40);
  assertThrows(() => c.observe(41, { 10: 1 }), Error, "after the stop");
  // The monitored cut-off must be in the evaluation.
  assertThrows(
    () => new EarlyStopping(on({ metric: "recall@5" })).observe(1, { 10: 1 }),
    Error,
    "recall@5",
  );
});

Deno.test("early stopping: a state saved mid-window (JSON) continues exactly", () => {
  const values = [0.3, 0.5, 0.45, 0.5, 0.52, 0.4, 0.51, 0.5, 0.6];
  const straight = new EarlyStopping(on());
  feed(straight, values);
  for (let cut = 0; cut <= values.length; cut++) {
    const first = new EarlyStopping(on());
    feed(first, values.slice(0, cut));
    const saved = JSON.parse(JSON.stringify(first.state));
    const resumed = new EarlyStopping(on(), saved);
    feed(resumed, values.slice(cut), cut + 1);
    assertEquals(resumed.state, straight.state, `cut after ${cut}`);
  }
  assertEquals(straight.summary().stoppedAt, 8);
});

// ----------------------------------------------------------------- config

const base = { data: "data/x", tower: { kind: "dssm" } };
const es = { ...base, evalEvery: 5 };

Deno.test("config: earlyStopping off by default and out of the hash; on: defaults, checks", () => {
  const off = resolveConfig(base);
  assertEquals("earlyStopping" in off, false);
  assertTrue(!stableJson(off).includes("earlyStopping"));
  const nul = resolveConfig({ ...base, earlyStopping: null });
  assertEquals("earlyStopping" in nul, false);
  assertEquals(configHash(nul), configHash(off));
  // Hashes computed before the option existed (golden_test.ts pins every
  // loss kind's too).
  assertEquals(configHash(off), "943a39dab364");
  assertEquals(
    configHash(resolveConfig({ ...es, profile: "full", earlyStopping: null })),
    "7e7efcceb9d8",
  );
  const c = resolveConfig({ ...es, earlyStopping: {} });
  assertEquals(c.earlyStopping, {
    metric: "recall@10",
    patience: EARLY_STOPPING_OPTIONS.patience.default,
    minDelta: 0,
  });
  assertTrue(configHash(c) !== configHash(resolveConfig(es)));
  assertEquals(resolveConfig(c), c);
  assertEquals(resolveConfig(JSON.parse(JSON.stringify(c))), c);
  const set = resolveConfig({
    ...es,
    earlyStopping: { metric: "recall@1", patience: 2, minDelta: 0.01 },
  });
  assertEquals(set.earlyStopping, {
    metric: "recall@1",
    patience: 2,
    minDelta: 0.01,
  });
  assertTrue(configHash(set) !== configHash(c));
  // Validation, naming the option.
  assertConfigFails(
    { ...es, earlyStopping: 3 },
    "earlyStopping",
    "must be an object",
  );
  assertConfigFails(
    { ...es, earlyStopping: [] },
    "earlyStopping",
    "must be an object",
  );
  assertConfigFails(
    { ...es, earlyStopping: { patients: 3 } },
    "earlyStopping.patients",
    "is unknown; the options are metric, patience, minDelta",
  );
  assertConfigFails(
    { ...es, earlyStopping: { metric: "ndcg@10" } },
    "earlyStopping.metric",
    '"recall@1", "recall@5", "recall@10", "recall@50"',
  );
  assertConfigFails(
    { ...es, earlyStopping: { patience: 0 } },
    "earlyStopping.patience",
    "integer in [1,",
  );
  assertConfigFails(
    { ...es, earlyStopping: { patience: 2.5 } },
    "earlyStopping.patience",
  );
  assertConfigFails(
    { ...es, earlyStopping: { minDelta: -0.1 } },
    "earlyStopping.minDelta",
    "≥ 0 and ≤ 1",
  );
  assertConfigFails(
    { ...es, earlyStopping: { minDelta: null } },
    "earlyStopping.minDelta",
    "is null",
  );
  assertConfigFails(
    { ...base, earlyStopping: {} },
    "earlyStopping",
    "evalEvery is 0",
  );
  assertConfigFails(
    { ...es, steps: 0, earlyStopping: {} },
    "earlyStopping",
    "got steps 0",
  );
  assertConfigFails(
    { ...es, epochs: 0, earlyStopping: {} },
    "earlyStopping",
    "got epochs 0",
  );
});

Deno.test("config: earlyStopping against the data: valid pairs needed; a patience that cannot stop is a warning", () => {
  const ds = generateSynthetic({ seed: 3, numItems: 200, numQueries: 300 });
  const c = (over: object) =>
    resolveConfig({
      data: "m",
      tower: { kind: "plain", dim: 8 },
      batchSize: 32,
      ...over,
    });
  const fine = checkConfigAgainstData(
    c({ steps: 100, evalEvery: 5, earlyStopping: { patience: 3 } }),
    ds,
  );
  assertEquals(fine.warnings, []);
  const late = checkConfigAgainstData(
    c({ steps: 20, evalEvery: 5, earlyStopping: { patience: 3 } }),
    ds,
  );
  assertEquals(late.warnings.length, 1);
  assertTrue(late.warnings[0].includes("earliest stop is step 20"));
  const noValid = {
    ...ds,
    queries: {
      ...ds.queries,
      split: ds.queries.split.map((s) => s === "valid" ? "test" : s) as Split[],
    },
    pairs: {
      ...ds.pairs,
      split: ds.pairs.split.map((s) => s === "valid" ? "test" : s) as Split[],
    },
  };
  const err = assertThrows(
    () =>
      checkConfigAgainstData(
        c({ steps: 100, evalEvery: 5, earlyStopping: {} }),
        noValid,
      ),
    ConfigError,
    "no valid pairs",
  );
  assertEquals(err.field, "earlyStopping");
  // Without early stopping such data only loses the valid log.
  checkConfigAgainstData(c({ steps: 100, evalEvery: 5 }), noValid);
});

// --------------------------------------------------------------- training

await initBackend({ backend: "wasm", quiet: true });

const ds = smallSynthetic(5);

function config(over: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    ...PLAIN_MEMORY_RUN,
    loss: { kind: "softmax" },
    steps: 40,
    evalEvery: 2,
    checkpointEvery: 0,
    optimizer: { lr: 0.01 },
    earlyStopping: { metric: "recall@1", patience: 3 },
    ...over,
  } as TrainConfigInput;
}

/** Resumes the run of `cfg` on `ds` in `dir`, quietly, with `options`. */
const resumeIn = (
  cfg: TrainConfigInput,
  dir: string,
  options: { keepModel?: boolean } = {},
) =>
  train(cfg, {
    dataset: ds,
    outDir: dir,
    quiet: true,
    resume: true,
    ...options,
  });

async function withDirs(
  n: number,
  fn: (...dirs: string[]) => Promise<void>,
): Promise<void> {
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    dirs.push(await Deno.makeTempDir({ prefix: "early_stop_test_" }));
  }
  try {
    await fn(...dirs);
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const k1 = (rows: ValidRow[]) => rows.map((r) => [r.step, r.recall[1]]);

Deno.test("train: a plateau (lr 1e-30: constant valid recall) stops after patience evaluations", async () => {
  await withDirs(1, async (dir) => {
    const r = await train(
      config({
        optimizer: { lr: 1e-30 },
        earlyStopping: { metric: "recall@10", patience: 4 },
        evalEvery: 3,
      }),
      { dataset: ds, outDir: dir, quiet: true },
    );
    const valid = await readValid(`${dir}/${RUN_FILES.valid}`);
    // The update is below float32 resolution: every evaluation ties.
    assertEquals(valid.map((v) => v.step), [3, 6, 9, 12, 15]);
    assertTrue(valid.every((v) => v.recall[10] === valid[0].recall[10]));
    const want: EarlyStoppingSummary = {
      metric: "recall@10",
      patience: 4,
      minDelta: 0,
      stoppedAt: 15,
      bestStep: 3,
      bestValid: valid[0].recall[10],
      stopReason: "patience",
    };
    assertEquals(r.earlyStopping, want);
    assertEquals(r.steps, 15);
    assertEquals(r.totalSteps, 40);
    assertEquals(r.completed, true);
    assertEquals(r.log.length, 15);
    assertEquals(r.eval?.earlyStopping, want);
    assertEquals(r.eval?.step, 15);
    const info = await readRunInfo(dir);
    assertEquals(info.earlyStopping, want);
    assertEquals([info.status, info.steps], ["finished", 15]);
    const m = await readManifest(dir);
    assertEquals(m.step, 15);
    assertEquals(m.earlyStopping?.best?.file, "best-0000003.bin");
    assertEquals(await files(dir), [
      "best-0000003.bin",
      "checkpoint.json",
      "config.json",
      "eval.json",
      "optimizer-0000015.bin",
      "run.json",
      "steps.arrow",
      "valid.arrow",
      "weights-0000015.bin",
    ]);
  });
});

Deno.test("train: off by default: no best file, no earlyStopping fields", async () => {
  await withDirs(1, async (dir) => {
    const r = await train(
      config({ steps: 4, earlyStopping: undefined }),
      { dataset: ds, outDir: dir, quiet: true },
    );
    assertEquals(r.earlyStopping, null);
    assertEquals("earlyStopping" in (r.eval ?? {}), false);
    assertEquals("earlyStopping" in await readRunInfo(dir), false);
    assertEquals("earlyStopping" in await readManifest(dir), false);
    assertTrue(!(await files(dir)).some((f) => f.startsWith("best-")));
  });
});

/** sha256 of a model's weights (names, shapes, float32 bytes), for comparing. */
function digest(w: Weights | null): string {
  if (w === null) return "null";
  const h = createHash("sha256");
  for (
    const [name, t] of Object.entries(w).sort(([a], [b]) => a < b ? -1 : 1)
  ) {
    if (name.startsWith("loss/")) continue;
    h.update(`${name}[${t.shape}]`);
    h.update(
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    );
  }
  return h.digest("hex");
}

Deno.test("train: eval.json and the returned model are the best-valid weights, not the last", async () => {
  await withDirs(1, async (dir) => {
    let seen: Weights | null = null;
    const r = await train(config(), {
      dataset: ds,
      outDir: dir,
      quiet: true,
      keepModel: true,
      evaluate: (ctx) => {
        seen = ctx.model.getWeights();
        const b = batchRecallOfModel(ctx.model, ctx, { split: "test" });
        return { batchRecall: { recall: b.recall } };
      },
    });
    const early = r.earlyStopping!;
    assertEquals(early.stopReason, "patience");
    // The case this test is about: training went on after the best step.
    assertTrue(early.bestStep! < early.stoppedAt!, JSON.stringify(early));
    const valid = await readValid(`${dir}/${RUN_FILES.valid}`);
    const bestRow = valid.find((v) => v.step === early.bestStep)!;
    assertEquals(early.bestValid, bestRow.recall[1]);
    assertEquals(
      Math.max(...valid.map((v) => v.recall[1])),
      early.bestValid,
    );
    const m = await readManifest(dir);
    const best = digest(await readBestWeights(dir, m.earlyStopping));
    assertEquals(digest(seen), best);
    assertEquals(digest(r.model!.getWeights()), best);
    r.model!.dispose();
    // Loading the run gives the same weights and the same test numbers…
    const loaded = await loadRun(dir, { data: ds });
    try {
      assertEquals(loaded.weightsStep, early.bestStep);
      assertEquals(loaded.step, early.stoppedAt);
      assertEquals(loaded.totalSteps, early.stoppedAt);
      assertEquals(loaded.earlyStopping, early);
      assertEquals(digest(loaded.model.getWeights()), best);
      const again = batchRecallOfModel(loaded.model, loaded, {
        split: "test",
      });
      assertEquals(
        (r.eval as { batchRecall: { recall: unknown } }).batchRecall.recall,
        again.recall,
      );
    } finally {
      loaded.model.dispose();
    }
    // … and the last checkpoint, asked for, is the stop step's, which differ.
    const last = await loadRun(dir, { data: ds, weights: "last" });
    try {
      assertEquals(last.weightsStep, early.stoppedAt);
      assertTrue(digest(last.model.getWeights()) !== best);
    } finally {
      last.model.dispose();
    }
  });
});

Deno.test("train: the built-in eval.json is test batch recall of the best weights", async () => {
  await withDirs(1, async (dir) => {
    const r = await train(config(), { dataset: ds, outDir: dir, quiet: true });
    const ev = JSON.parse(await Deno.readTextFile(`${dir}/${RUN_FILES.eval}`));
    assertEquals(ev.earlyStopping, r.earlyStopping);
    const loaded = await loadRun(dir, { data: ds, weights: "best" });
    try {
      const b = batchRecallOfModel(loaded.model, loaded, { split: "test" });
      assertEquals(ev.batchRecall.recall, JSON.parse(JSON.stringify(b.recall)));
    } finally {
      loaded.model.dispose();
    }
  });
});

/** Equal numbers and files for a straight run and an interrupted one. */
async function sameRun(a: string, b: string, ra: TrainResult, rb: TrainResult) {
  assertEquals(rb.earlyStopping, ra.earlyStopping);
  assertEquals(rb.steps, ra.steps);
  assertEquals(
    rb.log.map(({ ms: _, ...x }) => x),
    ra.log.map(({ ms: _, ...x }) => x),
  );
  assertEquals(rb.eval, ra.eval);
  const [ma, mb] = [await readManifest(a), await readManifest(b)];
  assertEquals(mb.weights.sha256, ma.weights.sha256);
  assertEquals(mb.optimizer?.sha256, ma.optimizer?.sha256);
  assertEquals(mb.earlyStopping, ma.earlyStopping);
  assertEquals(
    k1(await readValid(`${b}/${RUN_FILES.valid}`)),
    k1(await readValid(`${a}/${RUN_FILES.valid}`)),
  );
  assertEquals(await files(b), await files(a));
}

Deno.test("train: killed inside the patience window and resumed = uninterrupted (stop step, best, numbers, files)", async () => {
  // Straight: best at 26, stop at 32 (patience 3, evaluations every 2).
  // Kills after 29 (checkpoint 28: past the best, inside the window) and
  // after 27 (checkpoint 24: the best file of step 26 is already written,
  // the checkpoint names step 24's).
  await withDirs(3, async (a, b, c) => {
    const cfg = config({ checkpointEvery: 4 });
    const straight = await train(cfg, { dataset: ds, outDir: a, quiet: true });
    const s = straight.earlyStopping!;
    assertEquals([s.bestStep, s.stoppedAt, s.stopReason], [
      26,
      32,
      "patience",
    ]);
    for (
      const [dir, killAfter, ckptStep] of [[b, 29, 28], [c, 27, 24]] as const
    ) {
      const first = await trainUntil(cfg, {
        dataset: ds,
        outDir: dir,
        quiet: true,
        checkpointOnAbort: false,
        stopAfter: killAfter,
      });
      assertEquals(first.completed, false);
      const m = await readManifest(dir);
      assertEquals(m.step, ckptStep);
      assertEquals(m.earlyStopping?.stopReason, null);
      if (ckptStep === 28) {
        assertEquals([m.earlyStopping?.bestStep, m.earlyStopping?.sinceBest], [
          26,
          1,
        ]);
      } else {
        assertEquals(m.earlyStopping?.bestStep, 24);
        assertTrue((await files(dir)).includes("best-0000026.bin"));
      }
      const resumed = await resumeIn(cfg, dir);
      await sameRun(a, dir, straight, resumed);
    }
  });
});

Deno.test("train: a run stopped by patience, resumed, changes nothing", async () => {
  await withDirs(1, async (dir) => {
    const cfg = config();
    const first = await train(cfg, { dataset: ds, outDir: dir, quiet: true });
    const before = await Promise.all(
      [RUN_FILES.eval, RUN_FILES.run, RUN_FILES.checkpoint].map((f) =>
        Deno.readTextFile(`${dir}/${f}`)
      ),
    );
    const listing = await files(dir);
    const again = await resumeIn(cfg, dir, {
      keepModel: true,
    });
    assertEquals(again.alreadyFinished, true);
    assertEquals(again.earlyStopping, first.earlyStopping);
    assertEquals(again.steps, first.earlyStopping!.stoppedAt);
    const m = await readManifest(dir);
    assertEquals(
      digest(again.model!.getWeights()),
      digest(await readBestWeights(dir, m.earlyStopping)),
    );
    again.model!.dispose();
    const after = await Promise.all(
      [RUN_FILES.eval, RUN_FILES.run, RUN_FILES.checkpoint].map((f) =>
        Deno.readTextFile(`${dir}/${f}`)
      ),
    );
    assertEquals(after, before);
    assertEquals(await files(dir), listing);
  });
});

Deno.test("train: the cap ends a run with patience left; the last step is evaluated too", async () => {
  await withDirs(1, async (dir) => {
    const r = await train(
      config({ steps: 13, evalEvery: 4, earlyStopping: { patience: 5 } }),
      { dataset: ds, outDir: dir, quiet: true },
    );
    const valid = await readValid(`${dir}/${RUN_FILES.valid}`);
    assertEquals(valid.map((v) => v.step), [4, 8, 12, 13]);
    const e = r.earlyStopping!;
    assertEquals([e.stopReason, e.stoppedAt, r.steps], ["cap", 13, 13]);
    const best = valid.reduce((a, v) => v.recall[10] > a.recall[10] ? v : a);
    assertEquals([e.bestStep, e.bestValid], [best.step, best.recall[10]]);
    // A capped run loads its best weights as well.
    const loaded = await loadRun(dir, { data: ds });
    try {
      assertEquals(loaded.weightsStep, e.bestStep);
      assertEquals(loaded.totalSteps, 13);
    } finally {
      loaded.model.dispose();
    }
  });
});

Deno.test("loadRun: an unfinished run loads its last weights; weights 'best' without early stopping throws", async () => {
  await withDirs(2, async (a, b) => {
    await trainUntil(config({ checkpointEvery: 4 }), {
      dataset: ds,
      outDir: a,
      quiet: true,
      stopAfter: 10,
    });
    const mid = await loadRun(a, { data: ds });
    try {
      assertEquals([mid.step, mid.weightsStep, mid.totalSteps], [10, 10, 40]);
      assertEquals(mid.earlyStopping?.stopReason, null);
    } finally {
      mid.model.dispose();
    }
    const best = await loadRun(a, { data: ds, weights: "best" });
    assertEquals(best.weightsStep, 10);
    best.model.dispose();
    await train(config({ steps: 2, earlyStopping: undefined }), {
      dataset: ds,
      outDir: b,
      quiet: true,
    });
    await assertRejects(
      () => loadRun(b, { data: ds, weights: "best" }),
      Error,
      "has no early stopping",
    );
  });
});

Deno.test("train: killed after the patience stop's checkpoint but before eval.json, resumed: trains nothing, same eval.json", async () => {
  await withDirs(1, async (dir) => {
    const cfg = config();
    const first = await train(cfg, { dataset: ds, outDir: dir, quiet: true });
    const evalBefore = await Deno.readTextFile(`${dir}/${RUN_FILES.eval}`);
    await Deno.remove(`${dir}/${RUN_FILES.eval}`);
    const again = await resumeIn(cfg, dir);
    assertEquals(again.alreadyFinished, false);
    assertEquals(again.log.length, first.log.length);
    assertEquals(again.earlyStopping, first.earlyStopping);
    assertEquals(
      await Deno.readTextFile(`${dir}/${RUN_FILES.eval}`),
      evalBefore,
    );
    const info = await readRunInfo(dir);
    assertEquals(info.sessions.map((s) => [s.fromStep, s.toStep]), [
      [0, 32],
      [32, 32],
    ]);
  });
});
