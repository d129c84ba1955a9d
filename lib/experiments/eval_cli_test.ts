import {
  assertClose,
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
  withEnv,
  withTempDir,
} from "../testing.ts";
import {
  generateSynthetic,
  type SyntheticOptions,
  writeDataset,
} from "../data/mod.ts";
import {
  DataMismatchError,
  train,
  type TrainConfigInput,
  type TrainResult,
} from "../train/mod.ts";
import { DPSR_TOWER, PLAIN_TOWER, reversedItems } from "../fixtures.ts";
import { evalFileName, main, parseEvalArgs } from "./eval_cli.ts";
import { evaluateRun } from "./evaluate.ts";

/** The catalogue of `seed` the tests train on, at 300 items, 500 queries, 20 users unless `sizes` says otherwise. */
const synth = (seed: number, sizes: Partial<SyntheticOptions> = {}) =>
  generateSynthetic({
    seed,
    numItems: 300,
    numQueries: 500,
    numUsers: 20,
    ...sizes,
  });

Deno.test("parseEvalArgs and file names", () => {
  assertEquals(parseEvalArgs(["--run", "r"]), {
    run: "r",
    data: undefined,
    allowOtherData: false,
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
  // Other data: its name and hash, so that two datasets never share a file.
  assertEquals(
    evalFileName("test", { name: "my data/v2", hash: "0123456789abcdef" }),
    "eval-test-my_data_v2-01234567.json",
  );
  assertTrue(
    evalFileName("test", { name: "d", hash: "aaaaaaaa11" }) !==
      evalFileName("test", { name: "d", hash: "bbbbbbbb11" }),
  );
});

Deno.test("deno task eval: evaluates a run, agrees with the training's batch recall", async () => {
  await withTempDir("eval_cli_test_", async (dir) => {
    const log = console.log;
    const err = console.error;
    console.log = () => {};
    console.error = () => {};
    try {
      await writeDataset(
        `${dir}/data`,
        synth(6, { numItems: 400, numQueries: 700 }),
      );
      for (const tower of [PLAIN_TOWER, DPSR_TOWER]) {
        const out = `${dir}/run-${tower.kind}`;
        const r = await trainMargin(out, {
          data: `${dir}/data`,
          tower: tower as never,
          batchSize: 64,
          steps: 8,
        });
        assertEquals(await main(["--run", out, "--ann"]), 0);
        const ev = JSON.parse(await Deno.readTextFile(`${out}/eval.json`));
        assertEquals(ev.source, "eval");
        assertEquals(ev.configHash, r.configHash);
        assertEquals(ev.step, 8);
        assertEquals(ev.weightsStep, 8, "no early stopping: the last weights");
        assertEquals(ev.earlyStopping, undefined);
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
        assertTrue(
          ev.health.effectiveRank > 1 && ev.health.effectiveRank <= 16,
        );
        if (tower.kind === "plain") {
          assertTrue(
            ev.ann.overlapWithExact > 0 && ev.ann.overlapWithExact <= 1,
          );
        } else {
          assertTrue(typeof ev.ann.skipped === "string");
        }
      }
      // Another split and another data folder go to their own files.
      const out = `${dir}/run-plain`;
      assertEquals(await main(["--run", out, "--split", "valid"]), 0);
      assertTrue((await Deno.stat(`${out}/eval-valid.json`)).isFile);
      // A copy of the run's own data elsewhere is its own data: eval.json.
      await Deno.mkdir(`${dir}/copy`);
      for (const e of Deno.readDirSync(`${dir}/data`)) {
        await Deno.copyFile(`${dir}/data/${e.name}`, `${dir}/copy/${e.name}`);
      }
      const before = await Deno.stat(`${out}/eval.json`);
      assertEquals(await main(["--run", out, "--data", `${dir}/copy`]), 0);
      assertTrue(
        (await Deno.stat(`${out}/eval.json`)).mtime! >= before.mtime!,
      );
      assertEquals(await main(["--run", `${dir}/nothing`]), 1);
      assertEquals(await main(["--bad"]), 2);
    } finally {
      console.log = log;
      console.error = err;
    }
  });
});

/** Runs `main` and returns its exit status with what it printed. */
async function run(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const [log, err] = [console.log, console.error];
  console.log = console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await main(args), out: lines.join("\n") };
  } finally {
    [console.log, console.error] = [log, err];
  }
}

/** Trains `config` with the margin loss on the wasm backend into `out`, quietly. */
function trainMargin(
  out: string,
  config: TrainConfigInput,
): Promise<TrainResult> {
  return train(
    { loss: { kind: "margin" }, backend: "wasm", ...config },
    { outDir: out, quiet: true },
  );
}

async function trainedRun(dir: string, steps = 6): Promise<string> {
  await writeDataset(`${dir}/data`, synth(6));
  const out = `${dir}/run`;
  await trainMargin(out, {
    data: `${dir}/data`,
    tower: { ...PLAIN_TOWER, userHistory: true },
    batchSize: 64,
    steps,
  });
  return out;
}

Deno.test("deno task eval: data other than the run's is refused unless asked for", async () => {
  await withTempDir("eval_cli_data_test_", async (dir) => {
    const out = await trainedRun(dir);
    const own = await run(["--run", out]);
    assertEquals(own.code, 0, own.out);
    const ownEval = JSON.parse(await Deno.readTextFile(`${out}/eval.json`));
    const trained = ownEval.dataset.hash;

    // The same items in another row order: other files, refused …
    await writeDataset(`${dir}/reordered`, reversedItems(synth(6)));
    const refused = await run(["--run", out, "--data", `${dir}/reordered`]);
    assertEquals(refused.code, 1);
    assertTrue(refused.out.includes(`${dir}/reordered`), refused.out);
    assertTrue(refused.out.includes(trained), refused.out);
    assertTrue(refused.out.includes("--allow-other-data"), refused.out);
    await assertRejects(
      () => evaluateRun(out, { data: `${dir}/reordered` }),
      DataMismatchError,
      trained,
    );
    // … and with the flag scored exactly as the original: ids, not rows.
    const args = ["--run", out, "--data", `${dir}/reordered`];
    const asked = await run([...args, "--allow-other-data"]);
    assertEquals(asked.code, 0, asked.out);
    const file = asked.out.match(/^(\S+\.json):/m)![1];
    assertTrue(file !== `${out}/eval.json`, file);
    const other = JSON.parse(await Deno.readTextFile(file));
    assertEquals(other.otherData, true);
    assertEquals(other.runData.hash, trained);
    assertTrue(other.dataset.hash !== trained);
    assertClose(other.fullCorpus.mrr, ownEval.fullCorpus.mrr, 1e-6);
    for (const k of [10, 50, 100]) {
      assertClose(
        other.fullCorpus.recall[k],
        ownEval.fullCorpus.recall[k],
        1e-6,
      );
    }
    assertClose(
      other.batchRecall.recall[10],
      ownEval.batchRecall.recall[10],
      1e-6,
    );

    // The run's own folder regenerated with another seed: refused, naming
    // the folder and both hashes; eval.json untouched.
    await writeDataset(`${dir}/data`, synth(9));
    const changed = await run(["--run", out]);
    assertEquals(changed.code, 1);
    assertTrue(changed.out.includes(`${dir}/data`), changed.out);
    assertTrue(changed.out.includes(trained), changed.out);
    const now = changed.out.match(/files hash ([0-9a-f]{16})/)![1];
    assertTrue(now !== trained, changed.out);
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${out}/eval.json`)),
      ownEval,
    );
  });
});

Deno.test("deno task eval: two datasets with one name write two result files", async () => {
  await withTempDir("eval_cli_names_test_", async (dir) => {
    const out = await trainedRun(dir);
    const files: string[] = [];
    for (const seed of [7, 8]) {
      const ds = synth(seed);
      assertEquals(ds.meta.name, synth(6).meta.name);
      await writeDataset(`${dir}/other-${seed}`, ds);
      const r = await run([
        "--run",
        out,
        "--data",
        `${dir}/other-${seed}`,
        "--allow-other-data",
      ]);
      assertEquals(r.code, 0, r.out);
      files.push(r.out.match(/^(\S+\.json):/m)![1]);
    }
    assertTrue(files[0] !== files[1], files.join(" "));
    for (const f of files) {
      const ev = JSON.parse(await Deno.readTextFile(f));
      assertTrue(f.includes(ev.dataset.hash.slice(0, 8)), f);
      assertEquals(typeof ev.code, "string");
    }
  });
});

Deno.test("deno task eval: a half-trained run is evaluated with a warning it records", async () => {
  await withTempDir("eval_cli_half_test_", async (dir) => {
    await writeDataset(`${dir}/data`, synth(6));
    const stop = new AbortController();
    const out = `${dir}/run`;
    await train({
      data: `${dir}/data`,
      tower: PLAIN_TOWER,
      batchSize: 64,
      steps: 8,
      backend: "wasm",
    }, {
      outDir: out,
      quiet: true,
      signal: stop.signal,
      onStep: (r) => {
        if (r.step === 4) stop.abort();
      },
    });
    const r = await run(["--run", out]);
    assertEquals(r.code, 0, r.out);
    assertTrue(/warning: .*step 4 of 8/.test(r.out), r.out);
    const ev = JSON.parse(await Deno.readTextFile(`${out}/eval.json`));
    assertEquals(ev.step, 4);
    assertEquals(ev.totalSteps, 8);
    assertTrue(
      ev.warnings.some((w: string) => w.includes("step 4 of 8")),
      JSON.stringify(ev.warnings),
    );
  });
});

Deno.test("deno task eval: relative --run and --data are the user's (INIT_CWD)", async () => {
  await withTempDir("eval_cli_cwd_test_", async (dir) => {
    await trainedRun(dir, 2);
    const r = await withEnv(
      { INIT_CWD: dir },
      () => run(["--run", "run", "--data", "data"]),
    );
    assertEquals(r.code, 0, r.out);
    assertTrue((await Deno.stat(`${dir}/run/eval.json`)).isFile);
  });
});

Deno.test("evaluateRun: a run ended by early stopping is evaluated on its best-valid weights and says so", async () => {
  await withTempDir("eval_cli_test_", async (dir) => {
    await writeDataset(`${dir}/data`, synth(6));
    const out = `${dir}/run`;
    // A learning rate too small to change the weights: valid recall is
    // flat, so the run stops after `patience` evaluations, best at the first.
    const r = await trainMargin(out, {
      data: `${dir}/data`,
      tower: PLAIN_TOWER as never,
      batchSize: 32,
      steps: 40,
      evalEvery: 3,
      earlyStopping: { patience: 2 },
      optimizer: { lr: 1e-30 },
    });
    const summary = r.earlyStopping!;
    assertEquals(summary.stopReason, "patience");
    const ev = await evaluateRun(out) as Record<string, unknown>;
    assertEquals(ev.step, summary.stoppedAt);
    assertEquals(ev.weightsStep, summary.bestStep);
    assertEquals(
      (ev.earlyStopping as { bestStep: number }).bestStep,
      summary.bestStep,
    );
    assertEquals(ev.warnings, [], "a run stopped by patience is finished");
  });
});
