import { assertEquals, assertTrue } from "../testing.ts";
import { TEMPERATURE_FORMS } from "../losses/mod.ts";
import { fakeRun } from "./fixtures.ts";
import type { ExperimentsRun } from "./grid.ts";
import {
  experimentsSoftmaxFormGrid,
  experimentsSoftmaxFormName,
  experimentsSoftmaxFormRows,
  experimentsSoftmaxFormVerdict,
  SOFTMAX_FORM_REFERENCE,
} from "./softmax_forms.ts";

Deno.test("experimentsSoftmaxFormGrid: four forms and the fixed τ, quick on the benchmark only", () => {
  const quick = experimentsSoftmaxFormGrid("quick");
  assertEquals(quick.map((c) => c.name), [
    SOFTMAX_FORM_REFERENCE,
    ...TEMPERATURE_FORMS.map(experimentsSoftmaxFormName),
  ]);
  for (const c of quick) {
    assertEquals(c.datasets, ["benchmark"]);
    assertEquals(c.tower, { kind: "plain" });
    // The runner takes the quick budget from experimentsSettings.
    assertEquals([c.steps, c.evalEvery, c.earlyStopping], [
      undefined,
      undefined,
      undefined,
    ]);
  }
  assertEquals(quick[0].loss, { kind: "softmax", temperature: 1 / 30 });
  assertEquals(quick[4].loss, {
    kind: "adaptive-softmax",
    form: "multiplicative",
  });
  const full = experimentsSoftmaxFormGrid("full");
  for (const c of full) {
    // Every dataset, and the full profile's own budget (early stopping),
    // so the runs share keys with 06's.
    assertEquals(c.datasets, undefined);
    assertEquals([c.steps, c.evalEvery, c.earlyStopping], [
      undefined,
      undefined,
      undefined,
    ]);
  }
});

function run(
  dataset: string,
  name: string,
  seed: number,
  valid: number,
): ExperimentsRun {
  return fakeRun(name, seed, [1, 20], {
    dataset,
    corpus: {
      recall: { "10": 0.25 },
      ndcg: {},
      mrr: 0.5,
      ci: {},
      queries: 2,
    },
    earlyStopping: {
      metric: "recall@10",
      patience: 6,
      minDelta: 0.002,
      stoppedAt: 200,
      bestStep: 50 * seed,
      bestValid: valid,
      stopReason: "patience",
    },
  });
}

// valid recall per form (linear, half, clipped, multiplicative) and fixed.
function dataset(name: string, valid: number[], fixed: number) {
  return [
    run(name, SOFTMAX_FORM_REFERENCE, 1, fixed),
    ...TEMPERATURE_FORMS.flatMap((form, i) =>
      [1, 2].map((seed) =>
        run(name, experimentsSoftmaxFormName(form), seed, valid[i])
      )
    ),
  ];
}

Deno.test("experimentsSoftmaxFormRows: seed means and where each seed stopped", () => {
  const rows = experimentsSoftmaxFormRows([
    run("d", "a", 1, 0.4),
    run("d", "a", 2, 0.6),
    { ...run("d", "b", 1, 0.5), skipped: "no text" },
  ]);
  assertEquals(rows.length, 1);
  const r = rows[0];
  assertEquals([r.dataset, r.method, r.seeds], ["d", "a", 2]);
  assertTrue(Math.abs(r.valid - 0.5) < 1e-12);
  assertEquals(r.bestStep, "50, 100");
  assertEquals(r.stopped, "patience @200, patience @200");
  assertEquals([r["batch@10"], r["recall@10"]], [0.5, 0.25]);
  // Without early stopping: the valid recall at the end.
  const plain = experimentsSoftmaxFormRows([
    fakeRun("a", 1, [1], { valid: { "10": 0.7 } }),
  ]);
  assertEquals([plain[0].valid, plain[0].bestStep], [0.7, "–"]);
});

Deno.test("experimentsSoftmaxFormVerdict: best form per dataset, saturated data cannot decide", () => {
  const text = experimentsSoftmaxFormVerdict([
    ...dataset("benchmark", [0.3, 0.5, 0.4, 0.9], 0.92),
    ...dataset("scifact", [0.55, 0.58, 0.56, 0.578], 0.6),
    ...dataset("wands", [1, 1, 1, 1], 1),
  ], { defaultForm: "multiplicative" });
  const lines = text.split("\n");
  assertEquals(
    lines[0],
    "- **benchmark**: best valid recall@10 with **multiplicative**, the default; mean of 2 seeds: multiplicative 0.900, half 0.500, clipped 0.400, linear 0.300; fixed τ = 1/30: 0.920.",
  );
  assertEquals(
    lines[1],
    "- **scifact**: best valid recall@10 with **half** (multiplicative within 0.005: a tie), not the default (multiplicative); mean of 2 seeds: half 0.580, multiplicative 0.578, clipped 0.560, linear 0.550; fixed τ = 1/30: 0.600.",
  );
  assertTrue(lines[2].startsWith("- **wands**: too small to decide"), text);
  assertEquals(
    lines.at(-1),
    "The default form (multiplicative) has the best valid recall@10 on 1 of 2 datasets that can decide.",
  );
  // The default is read from lib/losses when not given.
  assertTrue(
    experimentsSoftmaxFormVerdict(dataset("b", [0.1, 0.2, 0.3, 0.4], 0.5))
      .includes("**multiplicative**, the default"),
  );
});
