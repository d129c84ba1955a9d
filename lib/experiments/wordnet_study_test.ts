import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { generateSynthetic, writeDataset } from "../data/mod.ts";
import { experimentsLoadDataset } from "./benchmark.ts";
import { experimentsTrainConfig } from "./grid.ts";
import { experimentsSensitivityGrid } from "./main_experiments.ts";
import {
  experimentsAvailableWordnet,
  experimentsWordnetGrid,
  experimentsWordnetProtocolRows,
  WORDNET_DELTAS,
  WORDNET_TRAINING,
} from "./wordnet_study.ts";

Deno.test("the WordNet grid: the fixed margin over δ and the adaptive margin, without the id table, on WordNet only", () => {
  const full = experimentsWordnetGrid("full");
  assertEquals(full.map((c) => c.name), [
    ...WORDNET_DELTAS.map((d) => `fixed δ=${d}`),
    "adaptive margin",
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
    experimentsSensitivityGrid("full").map((c) => [c.name, c.loss]),
  );
  for (const c of full) {
    assertEquals(
      c.loss,
      sixOhSix.get(c.name) ?? { kind: "margin", margin: c.value },
    );
  }
  // δ 0.1, 0.3, 1 and the adaptive margin are also 06's sweep points.
  assertEquals(full.filter((c) => sixOhSix.has(c.name)).length, 4);
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
