import { ADAP_TAU_BASELINE_WARMUP } from "./baselines.ts";
import { assertClose, assertEquals, assertTrue } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import type { Dataset } from "../data/mod.ts";
import { checkConfigAgainstData, RUN_FILES } from "../train/mod.ts";
import type { TowerConfigInput } from "../towers/mod.ts";
import {
  experimentsAblationGrid,
  experimentsAggregate,
  experimentsBenchmark,
  type ExperimentsConfig,
  experimentsCurveGrid,
  type ExperimentsDatasetSpec,
  experimentsHits,
  experimentsKnobGrid,
  experimentsLoadDataset,
  experimentsMainTableGrid,
  experimentsMethodGrid,
  experimentsResolveFor,
  type ExperimentsRun,
  experimentsSensitivityGrid,
  experimentsSettings,
  experimentsTrainConfig,
  runExperimentGrid,
} from "./mod.ts";

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
      curves: experimentsCurveGrid(profile),
      knobs: experimentsKnobGrid(profile),
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
        const settings = experimentsSettings(profile);
        assertEquals(made.config.steps, config.steps ?? settings.steps);
        // Full: every trained run stops early on the valid split; quick:
        // none but the curves (their smoke-scale budget).
        assertEquals(
          made.config.earlyStopping !== undefined,
          made.config.steps! > 0 &&
            (profile === "full" || grid === "curves"),
          `${profile}/${grid}/${config.name}: early stopping`,
        );
      }
    }
    const sens = grids.sensitivity;
    assertEquals(
      sens.filter((c) => c.family === "margin" && c.value).length,
      profile === "quick" ? 4 : 7,
    );
    assertEquals(
      sens.filter((c) => c.family === "softmax" && c.value).length,
      profile === "quick" ? 4 : 6,
    );
    assertEquals(sens.filter((c) => c.value === undefined).length, 2);
    // Adap-τ's warm-up is the baseline notebooks' one epoch, not the
    // official ten (which outlast the cap on MovieLens).
    const adapTau = grids.main.find((c) => c.name === "Adap-τ")!;
    assertEquals(adapTau.loss, {
      kind: "adap-tau",
      warmupEpochs: ADAP_TAU_BASELINE_WARMUP,
    });
  }
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

Deno.test("snapshots with early stopping: the best-valid model's pair values come too, and are read back from the cache", async () => {
  const dir = await tempDir();
  try {
    // minDelta 0.5: the first evaluation (step 1) stays the best, so the
    // run stops by patience at step 2 and its result is the step-1 model.
    const config: ExperimentsConfig = {
      ...tinyConfigs()[0],
      steps: 12,
      evalEvery: 1,
      earlyStopping: { metric: "recall@10", patience: 1, minDelta: 0.5 },
    };
    const options = {
      runsDir: dir,
      datasets: [TINY],
      seeds: [1],
      workers: 1,
      snapshots: [0],
      bootstrapSamples: 50,
    };
    const [run] = await runExperimentGrid([config], options);
    assertEquals(run.earlyStopping?.bestStep, 1);
    assertEquals(run.earlyStopping?.stoppedAt, 2);
    assertEquals(run.pairValues!.map((p) => p.step), [0, 1]);
    const [again] = await runExperimentGrid([config], options);
    assertTrue(again.cached);
    assertEquals(
      Array.from(again.pairValues![1].value),
      Array.from(run.pairValues![1].value),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
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
