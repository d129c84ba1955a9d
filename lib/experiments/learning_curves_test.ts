import { assertEquals, assertTrue } from "../testing.ts";
import { smallSynthetic } from "../fixtures.ts";
import {
  experimentsConvergenceRows,
  experimentsConvergenceTable,
  experimentsConvergenceVerdicts,
  experimentsCurveBudget,
  experimentsCurveGrid,
  experimentsCurveRows,
  experimentsMainTableGrid,
  experimentsSensitivityGrid,
  experimentsTrainConfig,
} from "./mod.ts";
import { fakeRun } from "./fixtures.ts";

Deno.test("curve grid: every config trains with early stopping to the profile's cap; quick is the plain losses on the benchmark", () => {
  for (const profile of ["quick", "full"] as const) {
    const grid = experimentsCurveGrid(profile);
    const b = experimentsCurveBudget(profile);
    assertEquals(new Set(grid.map((c) => c.name)).size, grid.length);
    for (const c of grid) {
      assertEquals(c.steps, b.cap, c.name);
      assertEquals(c.evalEvery, b.evalEvery, c.name);
      assertEquals(c.earlyStopping, {
        metric: "recall@10",
        patience: b.patience,
        minDelta: b.minDelta,
      });
    }
    const towers = new Set(grid.map((c) => c.tower.kind));
    if (profile === "quick") {
      assertEquals(grid.length, 8);
      assertEquals([...towers], ["plain"]);
      assertTrue(grid.every((c) => c.datasets?.join() === "benchmark"));
    } else {
      assertEquals(grid.length, 12);
      assertEquals([...towers].sort(), ["dpsr", "dssm", "mgdspr", "plain"]);
      assertTrue(grid.every((c) => c.datasets === undefined));
    }
  }
});

Deno.test("curve grid: full curves share the full profile's budget (same run keys as the verdict runs); quick's other grids stay without early stopping", () => {
  const ds = smallSynthetic(3);
  const task = (
    config: ReturnType<typeof experimentsCurveGrid>[number],
    profile: "quick" | "full",
  ) => ({
    config,
    dataset: { name: "benchmark", synthetic: {} } as never,
    seed: 1,
    profile,
  });
  const curve = experimentsCurveGrid("full").find((c) =>
    c.name === "fixed δ=0.1"
  )!;
  const made = experimentsTrainConfig(task(curve, "full"), ds);
  assertTrue("config" in made);
  assertEquals(made.config.steps, 800);
  assertEquals(made.config.evalEvery, 25);
  assertEquals(made.config.earlyStopping?.patience, 6);
  const verdict = experimentsSensitivityGrid("full").find((c) =>
    c.name === "fixed δ=0.1"
  )!;
  const same = experimentsTrainConfig(task(verdict, "full"), ds);
  assertTrue("config" in same);
  assertEquals(same.config, made.config);
  // Every baseline's curve is its main-table run (Adap-τ's warm-up too).
  for (const name of ["DSSM", "DPSR", "MGDSPR", "Adap-τ"]) {
    const [curveOf, mainOf] = [
      experimentsCurveGrid("full"),
      experimentsMainTableGrid("full"),
    ].map((g) => g.find((c) => c.name === name)!);
    assertEquals([curveOf.tower, curveOf.loss], [mainOf.tower, mainOf.loss]);
  }
  const quick = experimentsTrainConfig(
    task(experimentsSensitivityGrid("quick")[0], "quick"),
    ds,
  );
  assertTrue("config" in quick);
  assertEquals("earlyStopping" in quick.config, false);
  assertEquals(quick.config.evalEvery, 10);
  assertEquals(experimentsCurveBudget("quick").compareAt, 40);
});

// A run whose valid recall@10 rises to 0.5 at step 60 and stays, stopped
// by patience at 100.
const rising = fakeRun("rising", 1, [1], {
  validLog: [20, 40, 60, 80, 100].map((step, i) => ({
    step,
    epoch: 0,
    recall: { 10: [0.2, 0.4, 0.5, 0.5, 0.49][i] },
    queries: 10,
  })),
  earlyStopping: {
    metric: "recall@10",
    patience: 2,
    minDelta: 0,
    stoppedAt: 100,
    bestStep: 60,
    bestValid: 0.5,
    stopReason: "patience",
  },
});
const capped = fakeRun("capped", 1, [1], {
  validLog: [{ step: 50, epoch: 0, recall: { 10: 0.3 }, queries: 10 }],
  earlyStopping: {
    metric: "recall@10",
    patience: 2,
    minDelta: 0,
    stoppedAt: 50,
    bestStep: 50,
    bestValid: 0.3,
    stopReason: "cap",
  },
});

Deno.test("convergence rows: best and stop step, reason, and how far the fixed budget got", () => {
  const rows = experimentsConvergenceRows([
    rising,
    capped,
    fakeRun("skipped", 1, [], { skipped: "no text" }),
  ], { budget: 40 });
  assertEquals(rows.map((r) => r.method), ["rising", "capped"]);
  assertEquals(rows[0], {
    dataset: "d",
    method: "rising",
    bestStep: 60,
    stoppedAt: 100,
    reason: "patience",
    bestValid: 0.5,
    atBudget: 0.4,
    atBudgetStep: 40,
    shareAtBudget: 0.8,
  });
  // No evaluation at or before the budget: unknown, not a guess.
  assertTrue(Number.isNaN(rows[1].atBudget));
});

Deno.test("convergence verdict: median best step, runs still improving at the cap, runs short of their best at the budget", () => {
  const rows = experimentsConvergenceRows([rising, capped], { budget: 40 });
  const [text] = experimentsConvergenceVerdicts(rows, { budget: 40 });
  assertEquals(
    text,
    "**d**: best valid recall@10 at step median 55 (range 50–60) over 2 runs; 1 still improving at the cap (capped), so their best is a lower bound; at 40 steps, 1 of 2 were below 95% of their best (rising).",
  );
  // Evaluations every 25 steps: step 25 stands for the budget, and says so.
  const sparse = {
    ...rising,
    validLog: rising.validLog!.filter((v) => v.step !== 40),
  };
  const late = experimentsConvergenceRows([sparse], { budget: 45 });
  assertEquals(late[0].atBudgetStep, 20);
  assertTrue(
    experimentsConvergenceVerdicts(late, { budget: 45 })[0].includes(
      "by 45 steps (step 20), 1 of 1",
    ),
  );
  assertEquals(
    Object.keys(experimentsConvergenceTable(late, { budget: 45 })[0]).includes(
      "valid@10 by 45 (step 20)",
    ),
    true,
  );
});

Deno.test("curve rows, validOnly: only the steps where valid recall was measured", () => {
  const run = {
    ...rising,
    log: [20, 40, 50, 60].map((step) => ({ step, loss: 2 / step }) as never),
  };
  const all = experimentsCurveRows([run]);
  assertEquals(all.length, 4);
  const valid = experimentsCurveRows([run], { validOnly: true });
  assertEquals(valid.map((r) => [r.step, r.recall]), [[20, 0.2], [40, 0.4], [
    60,
    0.5,
  ]]);
});
