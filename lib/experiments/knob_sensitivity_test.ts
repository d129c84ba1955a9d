import { assertClose, assertEquals, assertTrue } from "../testing.ts";
import type { ExperimentsRow } from "./aggregate.ts";
import {
  EXPERIMENTS_SWEEP_DATASETS,
  experimentsKnobChart,
  experimentsKnobGrid,
  experimentsKnobRows,
  experimentsKnobSeries,
  experimentsKnobSpreads,
  experimentsKnobVerdicts,
  experimentsRealSweep,
} from "./knob_sensitivity.ts";
import { experimentsSensitivityGrid } from "./main_experiments.ts";

function row(name: string, mean: number, half = 0.01): ExperimentsRow {
  return {
    name,
    group: "g",
    family: null,
    value: null,
    dataset: "benchmark",
    metric: "batch@10",
    mean,
    lo: mean - half,
    hi: mean + half,
    seeds: 5,
    ci: "seeds (t)",
    values: [],
    skipped: null,
  };
}

Deno.test("knob grid: one knob moved from the paper's default at a time; defaults share the sensitivity grid's configs", () => {
  const grid = experimentsKnobGrid("full");
  const names = grid.map((c) => c.name);
  assertEquals(new Set(names).size, names.length);
  // 5 α per family (0.5 is the default run), 5 δ0 (0.01 default), 4 τ0.
  assertEquals(grid.length, 2 + 4 + 4 + 4 + 3);
  const a2 = grid.find((c) => c.name === "adaptive margin α=2")!;
  assertEquals(a2.loss, { kind: "adaptive-margin", alpha: 2 });
  const t0 = grid.find((c) => c.name === "adaptive softmax τ0=0.1")!;
  assertEquals(t0.loss, { kind: "adaptive-softmax", tau0: 0.1 });
  // The default points are exactly the sensitivity grid's adaptive configs.
  const sens = experimentsSensitivityGrid("full");
  for (const name of ["adaptive margin", "adaptive softmax"]) {
    const k = grid.find((c) => c.name === name)!;
    const s = sens.find((c) => c.name === name)!;
    assertEquals(k.loss, s.loss);
    assertEquals(k.tower, s.tower);
  }
  // Quick: α only, three values.
  assertEquals(
    experimentsKnobGrid("quick").map((c) => c.name),
    [
      "adaptive margin α=0.1",
      "adaptive margin",
      "adaptive margin α=2",
      "adaptive softmax α=0.1",
      "adaptive softmax",
      "adaptive softmax α=2",
    ],
  );
});

Deno.test("real-data sweep: the quick grids' values, one config per name, run keys shared with the benchmark's", () => {
  const { series, configs } = experimentsRealSweep();
  const names = configs.map((c) => c.name);
  assertEquals(new Set(names).size, names.length);
  // 5 δ + 5 τ + the two adaptive losses + α ∈ {0.1, 2} for each.
  assertEquals(configs.length, 5 + 5 + 2 + 4);
  assertEquals(
    configs.filter((c) => c.family === "margin" && c.value !== undefined)
      .map((c) => c.value),
    [0.01, 0.1, 0.3, 0.5, 1],
  );
  assertEquals(
    configs.filter((c) => c.family === "softmax" && c.value !== undefined)
      .map((c) => c.value),
    [0.01, 1 / 30, 0.1, 0.5, 1],
  );
  // The figure draws every fixed value that was run.
  assertEquals(
    series.find((s) => s.knob === "fixed τ")!.points.map((p) => p.name),
    ["fixed τ=0.01", "fixed τ=1/30", "fixed τ=0.1", "fixed τ=0.5", "fixed τ=1"],
  );
  // Every point of every series has a config, and each config is the
  // benchmark grid's config of that name (same loss, same tower).
  const full = [
    ...experimentsSensitivityGrid("full"),
    ...experimentsKnobGrid("full"),
  ];
  for (const s of series) {
    for (const p of s.points) assertTrue(names.includes(p.name), p.name);
  }
  for (const c of configs) {
    const twin = full.find((x) => x.name === c.name);
    if (twin) assertEquals([c.loss, c.tower], [twin.loss, twin.tower]);
  }
  assertEquals(series.map((s) => s.knob), [
    "fixed δ",
    "adaptive α",
    "fixed τ",
    "adaptive α",
  ]);
  assertTrue(!EXPERIMENTS_SWEEP_DATASETS.includes("wands"));
});

Deno.test("knob rows: x is the value over the paper's default; missing runs are left out", () => {
  const series = experimentsKnobSeries("quick", {
    fixedDeltas: [0.01, 0.1, 0.5],
    fixedTaus: [1 / 30],
  });
  const rows = experimentsKnobRows([
    row("fixed δ=0.01", 0.5),
    row("fixed δ=0.1", 0.7),
    row("fixed δ=0.5", 0.4),
    row("adaptive margin α=0.1", 0.66),
    row("adaptive margin", 0.68),
    row("adaptive margin α=2", 0.67),
  ], series);
  const fixed = rows.filter((r) => r.series === "fixed δ");
  assertEquals(fixed.map((r) => r.raw), [0.01, 0.1, 0.5]);
  assertClose(fixed[0].value, 0.1, 1e-12);
  assertClose(fixed[2].value, 5, 1e-12);
  const alpha = rows.filter((r) => r.series === "adaptive α");
  assertEquals(alpha.map((r) => r.value), [0.2, 1, 4]);
  assertTrue(!rows.some((r) => r.family === "softmax"));
});

Deno.test("knob spreads and verdicts: flat, moved, and in between, computed from the points", () => {
  const series = experimentsKnobSeries("quick", {
    fixedDeltas: [0.01, 0.1, 0.5],
    fixedTaus: [0.01, 1 / 30, 0.5],
  });
  const rows = experimentsKnobRows([
    // Margin: fixed spread 0.3, adaptive α spread 0.02 (< 2 × 0.015): flat.
    row("fixed δ=0.01", 0.5),
    row("fixed δ=0.1", 0.7),
    row("fixed δ=0.5", 0.4),
    row("adaptive margin α=0.1", 0.66, 0.015),
    row("adaptive margin", 0.68, 0.015),
    row("adaptive margin α=2", 0.67, 0.015),
    // Softmax: fixed spread 0.2, adaptive α spread 0.15: tuning moved.
    row("fixed τ=0.01", 0.6),
    row("fixed τ=1/30", 0.7),
    row("fixed τ=0.5", 0.5),
    row("adaptive softmax α=0.1", 0.7),
    row("adaptive softmax", 0.65),
    row("adaptive softmax α=2", 0.55),
  ], series);
  const spreads = experimentsKnobSpreads(rows);
  const fixedMargin = spreads.find((s) =>
    s.family === "margin" && s.knob === "fixed δ"
  )!;
  assertClose(fixedMargin.spread, 0.3, 1e-12);
  assertEquals(fixedMargin.best, 0.1);
  assertClose(fixedMargin.defaultLoss, 0, 1e-12);
  const alphaSoftmax = spreads.find((s) =>
    s.family === "softmax" && s.knob === "adaptive α"
  )!;
  assertClose(alphaSoftmax.spread, 0.15, 1e-12);
  assertEquals(alphaSoftmax.best, 0.1);
  assertClose(alphaSoftmax.defaultLoss, 0.05, 1e-12);
  const [margin, softmax] = experimentsKnobVerdicts(spreads, {
    dataset: "benchmark",
  });
  assertTrue(margin.startsWith("**margin** (benchmark"), margin);
  assertTrue(margin.includes("does remove the tuning"), margin);
  assertTrue(margin.includes("α ∈ [0.1, 2] (20× range): spread 0.020"), margin);
  assertTrue(softmax.includes("tuning moved"), softmax);
  assertTrue(softmax.includes("the paper's value 0.050 below it"), softmax);
  // In between: less sensitive, but not within noise.
  const between = experimentsKnobVerdicts(
    spreads.map((s) =>
      s.knob === "adaptive α" && s.family === "margin"
        ? { ...s, spread: 0.1, halfWidth: 0.01 }
        : s
    ).filter((s) => s.family === "margin"),
    { dataset: "benchmark" },
  );
  assertTrue(
    between[0].includes("less sensitive than the fixed one"),
    between[0],
  );
});

Deno.test("knob chart: the axis titles name each series' paper value", () => {
  const spec = JSON.stringify(experimentsKnobChart([
    {
      family: "margin",
      value: 1,
      raw: 0.1,
      recall: 0.8,
      lo: 0.7,
      hi: 0.9,
      series: "fixed δ",
    },
    {
      family: "softmax",
      value: 1,
      raw: 1 / 30,
      recall: 0.8,
      lo: 0.7,
      hi: 0.9,
      series: "fixed τ",
    },
  ], { series: experimentsKnobSeries("full"), title: "t", subtitle: "s" }));
  assertTrue(
    spec.includes("Knob value / paper's value (δ 0.1, α 0.5, δ0 0.01)"),
  );
  assertTrue(
    spec.includes("Knob value / paper's value (τ 1/30, α 0.5, τ0 1/30)"),
  );
});
