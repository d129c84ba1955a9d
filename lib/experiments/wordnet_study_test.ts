import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { generateSynthetic, writeDataset } from "../data/mod.ts";
import { experimentsLoadDataset } from "./benchmark.ts";
import { experimentsTrainConfig } from "./grid.ts";
import { experimentsKnobGrid } from "./knob_sensitivity.ts";
import { experimentsSensitivityGrid } from "./main_experiments.ts";
import { fakeRun } from "./fixtures.ts";
import { EXPERIMENTS_RELATIONS } from "./pair_values.ts";
import {
  experimentsAvailableWordnet,
  experimentsWordnetGrid,
  experimentsWordnetMarginSummary,
  experimentsWordnetProtocolRows,
  experimentsWordnetSeries,
  experimentsWordnetTunedPending,
  WORDNET_ALPHAS,
  WORDNET_DELTAS,
  WORDNET_TRAINING,
} from "./wordnet_study.ts";

Deno.test("the WordNet grid: the fixed margin over δ and the adaptive margin over α, without the id table, on WordNet only", () => {
  const full = experimentsWordnetGrid("full");
  assertEquals(full.map((c) => c.name), [
    ...WORDNET_DELTAS.map((d) => `fixed δ=${d}`),
    "adaptive margin",
    "adaptive margin α=0.1",
    "adaptive margin α=2",
  ]);
  for (const c of full) {
    assertEquals(c.tower, { kind: "plain", itemIdEmbedding: false });
    assertEquals(c.datasets, ["wordnet"]);
    assertEquals(c.steps, WORDNET_TRAINING.steps);
    assertEquals(c.evalEvery, WORDNET_TRAINING.evalEvery);
    assertEquals(c.family, "margin");
  }
  // The losses are those of notebook 06's configs of the same name: only
  // the tower and the budget differ, so a verdict compares the same losses.
  const sixOhSix = new Map(
    [...experimentsSensitivityGrid("full"), ...experimentsKnobGrid("full")]
      .map((c) => [c.name, c.loss]),
  );
  for (const c of full) {
    assertEquals(
      c.loss,
      sixOhSix.get(c.name) ?? { kind: "margin", margin: c.value },
    );
  }
  // All but δ = 0.03 are also 06's sweep points.
  assertEquals(full.filter((c) => sixOhSix.has(c.name)).length, 6);
  // The knob series name exactly the grid's runs (α 0.5: "adaptive margin").
  const series = experimentsWordnetSeries("full");
  assertEquals(series.map((s) => s.knob), ["fixed δ", "adaptive α"]);
  assertEquals(series[1].points.map((p) => p.value), [...WORDNET_ALPHAS]);
  assertEquals(
    series.flatMap((s) => s.points.map((p) => p.name)).sort(),
    full.map((c) => c.name).sort(),
  );
  const quick = experimentsWordnetGrid("quick");
  assertEquals(quick.map((c) => c.name), ["fixed δ=0.1", "adaptive margin"]);
  for (const c of quick) {
    assertEquals(c.steps, undefined);
    assertEquals(c.evalEvery, undefined);
  }
  assertThrows(
    () => experimentsWordnetGrid("huge" as "full"),
    RangeError,
    "profile",
  );
});

Deno.test("WordNet: missing → a note with the command that builds it; built → its spec, and the grid's train configs resolve on it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "wordnet_study_test_" });
  try {
    const none = await experimentsAvailableWordnet(tmp);
    assertEquals(none.dataset, null);
    assertTrue(none.note.includes("apt-get install wordnet-base"), none.note);
    assertTrue(none.note.includes("deno task data wordnet"), none.note);

    // Any valid dataset in data/wordnet counts as built; the configs below
    // do not depend on its contents.
    await writeDataset(
      `${tmp}/wordnet`,
      generateSynthetic({ seed: 1, numItems: 100, numQueries: 120 }),
    );
    const some = await experimentsAvailableWordnet(tmp);
    assertEquals(some.dataset, { name: "wordnet", path: `${tmp}/wordnet` });
    assertEquals(some.note, "");

    const { ds } = await experimentsLoadDataset(some.dataset!);
    for (const config of experimentsWordnetGrid("full")) {
      const made = experimentsTrainConfig({
        config,
        dataset: some.dataset!,
        seed: 1,
        profile: "full",
      }, ds);
      assertTrue("config" in made, JSON.stringify(made));
      if (!("config" in made)) continue;
      const tower = made.config.tower as { itemIdEmbedding?: boolean };
      assertEquals(tower.itemIdEmbedding, false);
      assertEquals(made.config.steps, 6000);
      assertEquals(made.config.evalEvery, 100);
      assertEquals(made.config.earlyStopping?.patience, 6);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the WordNet protocol rows name the budget: early stopping in full, a smoke run in quick", () => {
  const full = experimentsWordnetProtocolRows("full", { seeds: [1, 2, 3] });
  const budget = (rows: typeof full) =>
    rows.find((r) => r.setting === "budget")!.value;
  assertTrue(budget(full).includes("every 100 steps"), budget(full));
  assertTrue(budget(full).includes("cap 6000 steps"), budget(full));
  assertEquals(full.find((r) => r.setting === "seeds")!.value, "1, 2, 3");
  const quick = experimentsWordnetProtocolRows("quick", { seeds: [1] });
  assertTrue(budget(quick).includes("smoke run"), budget(quick));
});

Deno.test("the WordNet margin summary: groups by lexicographer file and by the query's score, medians and the share below δ by hand", () => {
  const same = EXPERIMENTS_RELATIONS.indexOf("same sub-category");
  const other = EXPERIMENTS_RELATIONS.indexOf("other category");
  // 100 pairs: the first 10 in the positive's file (δ_j 0.05), the rest
  // elsewhere (δ_j 0.5); pair 99 alone has the top query score.
  const n = 100;
  const pv = {
    kind: "δ_j",
    step: 0,
    similarity: Float32Array.from({ length: n }, (_, i) => i < 10 ? 0.9 : 0),
    value: Float32Array.from({ length: n }, (_, i) => i < 10 ? 0.05 : 0.5),
    queryScore: Float32Array.from({ length: n }, (_, i) => i === 99 ? 1 : 0),
    relation: Uint8Array.from({ length: n }, (_, i) => i < 10 ? same : other),
    label: new Int8Array(n).fill(-1),
  };
  const rows = experimentsWordnetMarginSummary(pv, { below: 0.1 });
  const at = (g: string) => rows.find((r) => r.negatives === g)!;
  assertEquals(at("all").pairs, 100);
  assertEquals(at("all")["share δ_j < δ"], 0.1);
  assertEquals(at("all")["median δ_j"], 0.5);
  assertEquals(at("same lexicographer file").pairs, 10);
  assertTrue(
    Math.abs(at("same lexicographer file")["median δ_j"] - 0.05) < 1e-6,
  );
  assertEquals(at("same lexicographer file")["share δ_j < δ"], 1);
  assertTrue(
    Math.abs(at("same lexicographer file")["median s(v, v_j)"] - 0.9) < 1e-6,
  );
  assertEquals(at("other files").pairs, 90);
  assertEquals(at("other files")["share δ_j < δ"], 0);
  assertEquals(at("hardest 1% by the query's score").pairs, 1);
  assertEquals(at("hardest 1% by the query's score")["median δ_j"], 0.5);
});

Deno.test("tuned against tuned on WordNet: the best α and the best δ are chosen on the valid split, not on the test split", () => {
  const run = (
    name: string,
    value: number | null,
    valid: number,
    ranks: number[],
  ) =>
    [1, 2].map((seed) =>
      fakeRun(name, seed, ranks, {
        dataset: "wordnet",
        family: "margin",
        value,
        valid: { "10": valid },
      })
    );
  const good = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 20 : 1));
  const bad = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 20 : 1));
  const runs = [
    // Best δ on valid (0.1), though δ = 1 is better on test.
    ...run("fixed δ=0.1", 0.1, 0.7, bad),
    ...run("fixed δ=1", 1, 0.6, good),
    // Best α on valid: α = 0.1, though the default is better on test.
    ...run("adaptive margin", null, 0.5, good),
    ...run("adaptive margin α=0.1", null, 0.8, good),
  ];
  const pending = experimentsWordnetTunedPending(runs)!;
  const text = pending.write(pending.tests.map((t) => t.p));
  assertTrue(text.startsWith("wordnet: adaptive margin α=0.1 "), text);
  assertTrue(text.includes("vs fixed δ=0.1 "), text);
  assertTrue(text.includes("tuned α against tuned δ"), text);
  assertTrue(text.includes("→ better"), text);
  assertEquals(
    experimentsWordnetTunedPending(runs.filter((r) => r.value === null)),
    null,
  );
});
