import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import {
  experimentsAvailableRealDatasets,
  experimentsBenchmark,
  experimentsBudgetText,
  experimentsCatalogueRows,
  experimentsDatasetsLabel,
  experimentsLoadDataset,
  experimentsQuickCaveat,
  experimentsSeedLabel,
  experimentsSeeds,
  experimentsSettings,
} from "./mod.ts";

await initBackend({ backend: "auto", quiet: true });

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

Deno.test("experimentsSeeds: the profile's count from the base seed, or the count asked for", () => {
  assertEquals(experimentsSeeds("quick", 4), [4]);
  assertEquals(
    experimentsSeeds("full", 1).length,
    experimentsSettings("full").seeds,
  );
  assertEquals(experimentsSeeds("full", 2, { count: 5 }), [2, 3, 4, 5, 6]);
  assertThrows(() => experimentsSeeds("full", 1, { count: 0 }), RangeError);
  assertThrows(() => experimentsSeeds("full", 1, { count: 1.5 }), RangeError);
});

Deno.test("experimentsSeedLabel and experimentsBudgetText: a setup line's words", () => {
  assertEquals(experimentsSeedLabel([1]), "seed 1");
  assertEquals(experimentsSeedLabel([1, 2, 3]), "seeds 1, 2, 3");
  assertEquals(
    experimentsBudgetText(experimentsSettings("quick")),
    "40 steps per run",
  );
  assertEquals(
    experimentsBudgetText(experimentsSettings("full")),
    `early stopping on valid recall@10 (cap ${
      experimentsSettings("full").steps
    } steps)`,
  );
});

Deno.test("experimentsQuickCaveat: the quick profile's steps in words, nothing in full", () => {
  assertEquals(
    experimentsQuickCaveat("quick"),
    "\n\n(Quick profile: 40 steps, so these sentences describe a smoke run, not the method.)",
  );
  assertEquals(experimentsQuickCaveat("full"), "");
});
