import { generateSynthetic } from "../data/mod.ts";
import { initBackend } from "../backend/mod.ts";
import { assertEquals, assertTrue } from "../testing.ts";
import {
  benchReferenceSteps,
  formatReferenceSteps,
  STEP_VARIANTS,
} from "./reference.ts";

Deno.test("reference steps: every path of both kinds runs the loop; towers that share weights split by halves of the batch", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = generateSynthetic({
    seed: 2,
    numItems: 200,
    numQueries: 400,
    numUsers: 30,
  });
  const small = {
    dim: 8,
    features: {
      buckets: {
        word: 128,
        charTrigram: 128,
        wordBigram: 128,
        charUnigram: 64,
        charBigram: 128,
      },
    },
  };
  const rows = await benchReferenceSteps(ds, {
    kinds: ["dssm", "mgdspr"],
    steps: 2,
    warmup: 1,
    batchSize: 32,
    tower: small,
  });
  assertEquals(rows.length, 2 * STEP_VARIANTS.length);
  for (const r of rows) {
    assertTrue(r.medianMs > 0 && r.minMs <= r.medianMs, "timings");
    assertTrue(Number.isFinite(r.loss[0]) && r.maxRssMb > 0, "loss, memory");
  }
  const dssm = rows.filter((r) => r.kind === "dssm");
  assertEquals(dssm.map((r) => r.threadsUsed), [1, 2, 1, 2]);
  assertEquals(dssm[0].speedup, 1);
  assertEquals(dssm.map((r) => r.split), [null, "towers", null, "towers"]);
  // MGDSPR shares its embeddings: two workers on halves of each batch,
  // and the table says so.
  const mgdspr = rows.filter((r) => r.kind === "mgdspr");
  assertEquals(mgdspr.map((r) => r.threadsUsed), [1, 2, 1, 2]);
  assertEquals(mgdspr.map((r) => r.split), [null, "halves", null, "halves"]);
  // The same numbers on one thread or two (dense tables).
  assertEquals(dssm[1].loss, dssm[0].loss);
  const text = formatReferenceSteps(rows);
  assertTrue(text.includes("half of each batch"), text);
  assertEquals(text.split("\n").length, 2 + rows.length + 1);
});
