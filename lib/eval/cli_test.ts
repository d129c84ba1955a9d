import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { generateSynthetic, writeDataset } from "../data/mod.ts";
import { initBackend } from "../backend/mod.ts";
import { createTower } from "../towers/mod.ts";
import { encodeAll, train } from "../train/mod.ts";
import {
  evalFileName,
  evaluateModel,
  evaluateRun,
  main,
  parseEvalArgs,
  searchWithModel,
} from "./cli.ts";
import { exactSearch } from "./mod.ts";

const small = { features: { buckets: { word: 512, charTrigram: 512 } } };

Deno.test("parseEvalArgs and file names", () => {
  assertEquals(parseEvalArgs(["--run", "r"]), {
    run: "r",
    data: undefined,
    split: "test",
    ann: false,
    backend: undefined,
    help: false,
  });
  assertThrows(() => parseEvalArgs([]), Error, "--run");
  assertThrows(
    () => parseEvalArgs(["--run", "r", "--split", "dev"]),
    Error,
    "--split",
  );
  assertThrows(() => parseEvalArgs(["--run", "r", "--k", "3"]), Error);
  assertEquals(evalFileName("test", null), "eval.json");
  assertEquals(evalFileName("valid", null), "eval-valid.json");
  assertEquals(evalFileName("test", "my data/v2"), "eval-test-my_data_v2.json");
});

Deno.test("searchWithModel equals exact inner-product search on a single-head tower", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = generateSynthetic({
    seed: 4,
    numItems: 200,
    numQueries: 100,
    numUsers: 0,
  });
  const model = createTower({
    kind: "plain",
    dim: 8,
    embedDim: 8,
    hidden: [16],
    ...small,
  }, {
    seed: 1,
    dataset: ds,
  });
  const inputs = model.prepare(ds);
  const queries = encodeAll(model, inputs, { side: "queries" });
  const items = encodeAll(model, inputs, { side: "items", batchSize: 37 });
  const a = searchWithModel(model, { queries, items }, { k: 10 });
  const b = exactSearch(queries, items, { k: 10, d: 8 });
  assertEquals(a.ids, b.ids);
  assertClose(a.scores, b.scores, 1e-5);
  model.dispose();
});

Deno.test("deno task eval: evaluates a run, agrees with the training's batch recall", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_cli_test_" });
  const log = console.log;
  const err = console.error;
  console.log = () => {};
  console.error = () => {};
  try {
    await writeDataset(
      `${dir}/data`,
      generateSynthetic({
        seed: 6,
        numItems: 400,
        numQueries: 700,
        numUsers: 20,
      }),
    );
    for (
      const tower of [
        { kind: "plain", dim: 16, embedDim: 16, hidden: [32], ...small },
        { kind: "dpsr", dim: 16, embedDim: 16, hidden: 32, heads: 2, ...small },
      ]
    ) {
      const out = `${dir}/run-${tower.kind}`;
      const r = await train({
        data: `${dir}/data`,
        tower: tower as never,
        loss: { kind: "margin" },
        batchSize: 64,
        steps: 8,
        backend: "wasm",
      }, { outDir: out, quiet: true });
      assertEquals(await main(["--run", out, "--ann"]), 0);
      const ev = JSON.parse(await Deno.readTextFile(`${out}/eval.json`));
      assertEquals(ev.source, "eval");
      assertEquals(ev.configHash, r.configHash);
      assertEquals(ev.step, 8);
      assertEquals(ev.backend.name, "wasm");
      // Same pairs, same order, same masks: the two implementations agree.
      const trainRecall =
        (r.eval as { batchRecall: { recall: Record<string, number> } })
          .batchRecall.recall;
      for (const k of [1, 5, 10, 50]) {
        assertClose(
          ev.batchRecall.recall[k],
          trainRecall[k],
          1e-6,
          `${tower.kind} @${k}`,
        );
      }
      const fc = ev.fullCorpus;
      assertEquals(fc.ks, [10, 50, 100]);
      for (const k of [10, 50, 100]) {
        assertTrue(fc.recall[k] >= 0 && fc.recall[k] <= 1);
      }
      assertTrue(fc.recall[10] <= fc.recall[100]);
      assertTrue(fc.mrr > 0 && fc.ndcg[10] > 0);
      assertTrue(ev.health.effectiveRank > 1 && ev.health.effectiveRank <= 16);
      if (tower.kind === "plain") {
        assertTrue(ev.ann.overlapWithExact > 0 && ev.ann.overlapWithExact <= 1);
      } else {
        assertTrue(typeof ev.ann.skipped === "string");
      }
    }
    // Another split and another data folder go to their own files.
    const out = `${dir}/run-plain`;
    assertEquals(await main(["--run", out, "--split", "valid"]), 0);
    assertTrue((await Deno.stat(`${out}/eval-valid.json`)).isFile);
    assertEquals(await main(["--run", out, "--data", `${dir}/data`]), 0);
    const name = (await evaluateRun(out, { split: "test" })).dataset as {
      name: string;
    };
    assertTrue(
      (await Deno.stat(`${out}/${evalFileName("test", name.name)}`)).isFile,
    );
    assertEquals(await main(["--run", `${dir}/nothing`]), 1);
    assertEquals(await main(["--bad"]), 2);
  } finally {
    console.log = log;
    console.error = err;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateModel as train's evaluate hook writes the full evaluation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_hook_test_" });
  try {
    const ds = generateSynthetic({
      seed: 8,
      numItems: 300,
      numQueries: 500,
      numUsers: 0,
    });
    const r = await train({
      data: "memory",
      tower: { kind: "plain", dim: 16, embedDim: 16, hidden: [32], ...small },
      batchSize: 64,
      steps: 3,
      backend: "wasm",
    }, {
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
