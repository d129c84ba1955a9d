import { assertClose, assertEquals, assertTrue } from "../testing.ts";
import {
  FEW_BUCKETS,
  PLAIN_MEMORY_RUN,
  userlessSynthetic,
} from "../fixtures.ts";
import { initBackend } from "../backend/mod.ts";
import { createTower, type TowerConfigInput } from "../towers/mod.ts";
import { encodeAll, train } from "../train/mod.ts";
import { exactSearch } from "../eval/mod.ts";
import {
  evaluateModel,
  evaluateModelPerQuery,
  searchWithModel,
} from "./evaluate.ts";

// A single-head tower of width 8.
const PLAIN_8: TowerConfigInput = {
  kind: "plain",
  dim: 8,
  embedDim: 8,
  hidden: [16],
  ...FEW_BUCKETS,
};

Deno.test("searchWithModel equals exact inner-product search on a single-head tower", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = userlessSynthetic(4, { numItems: 200, numQueries: 100 });
  const model = createTower(PLAIN_8, { seed: 1, dataset: ds });
  const inputs = model.prepare(ds);
  const queries = encodeAll(model, inputs, { side: "queries" });
  const items = encodeAll(model, inputs, { side: "items", batchSize: 37 });
  const a = searchWithModel(model, { queries, items }, { k: 10 });
  const b = exactSearch(queries, items, { k: 10, d: 8 });
  assertEquals(a.ids, b.ids);
  assertClose(a.scores, b.scores, 1e-5);
  model.dispose();
});

Deno.test("evaluateModel as train's evaluate hook writes the full evaluation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_hook_test_" });
  try {
    const ds = userlessSynthetic(8, { numItems: 300, numQueries: 500 });
    const r = await train({ ...PLAIN_MEMORY_RUN, steps: 3 }, {
      dataset: ds,
      outDir: dir,
      quiet: true,
      evaluate: (ctx) =>
        evaluateModel(ctx, { minRelevance: ctx.config.minRelevance }),
    });
    const ev = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
    assertEquals(ev, JSON.parse(JSON.stringify(r.eval)));
    assertEquals(ev.configHash, r.configHash);
    assertEquals(ev.split, "test");
    assertEquals(ev.fullCorpus.ks, [10, 50, 100]);
    assertTrue(ev.health.meanCosine < 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateModelPerQuery: the same metrics, and per-query values whose means are them", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = userlessSynthetic(4, { numItems: 200, numQueries: 300 });
  const towers: TowerConfigInput[] = [
    PLAIN_8,
    { kind: "dpsr", dim: 8, embedDim: 8, hidden: 16, heads: 2, ...FEW_BUCKETS },
  ];
  for (const tower of towers) {
    const model = createTower(tower, { seed: 1, dataset: ds });
    try {
      const run = { model, inputs: model.prepare(ds), ds };
      const { metrics, perQuery } = evaluateModelPerQuery(run, {
        bootstrapSamples: 50,
      });
      const { fullCorpus: _a, ...rest } = metrics;
      const { fullCorpus: _b, ...restPlain } = evaluateModel(run, {
        bootstrapSamples: 50,
      });
      assertEquals(rest, restPlain);
      const mean = (a: ArrayLike<number>) =>
        Array.from(a).reduce((x, y) => x + y, 0) / a.length;
      const br = metrics.batchRecall as { recall: Record<string, number> };
      const hits10 = Array.from(perQuery.batchRanks, (r) => (r <= 10 ? 1 : 0));
      assertClose(mean(hits10), br.recall["10"], 1e-6);
      const fc = metrics.fullCorpus as {
        recall: Record<string, number>;
        ndcg: Record<string, number>;
        mrr: number;
      };
      assertClose(mean(perQuery.recall10), fc.recall["10"], 1e-6);
      assertClose(mean(perQuery.ndcg10), fc.ndcg["10"], 1e-6);
      assertClose(mean(perQuery.mrr), fc.mrr, 1e-6);
      assertTrue(perQuery.mrr.length > 0);
    } finally {
      model.dispose();
    }
  }
});
