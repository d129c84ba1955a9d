import {
  assertEquals,
  assertThrows,
  assertTrue,
  withEnv,
  withTempDir,
} from "../testing.ts";
import { generateSynthetic, writeDataset } from "../data/mod.ts";
import { main, parseTrainArgs, UsageError } from "./cli.ts";
import { readManifest } from "./checkpoint.ts";
import { readRunInfo } from "./run_files.ts";
import { userlessSynthetic } from "../fixtures.ts";

Deno.test("parseTrainArgs: flags and their errors", () => {
  assertEquals(parseTrainArgs(["--config", "c.json", "--backend", "cpu"]), {
    config: "c.json",
    out: undefined,
    backend: "cpu",
    data: undefined,
    resume: false,
    threads: 1,
    quiet: false,
    help: false,
  });
  assertEquals(parseTrainArgs(["--config", "c", "--threads", "2"]).threads, 2);
  for (const bad of ["0", "3", "1.5", "x"]) {
    assertThrows(
      () => parseTrainArgs(["--config", "c", "--threads", bad]),
      UsageError,
      "--threads",
    );
  }
  assertThrows(() => parseTrainArgs([]), UsageError, "--config");
  assertThrows(
    () => parseTrainArgs(["--config", "c", "--backend", "gpu"]),
    UsageError,
    "--backend",
  );
  assertThrows(
    () => parseTrainArgs(["--config", "c", "--epochs", "3"]),
    UsageError,
    "epochs",
  );
  assertThrows(() => parseTrainArgs(["--config"]), UsageError);
  assertThrows(() => parseTrainArgs(["c.json"]), UsageError);
  assertEquals(parseTrainArgs(["--resume", "--out", "r"]).config, undefined);
  assertEquals(parseTrainArgs(["-h"]).help, true);
});

Deno.test("deno task train: exit 2 on bad flags, 1 on a bad config, 0 on a run, resume", async () => {
  await withTempDir("train_cli_test_", async (dir) => {
    const quiet = console.error;
    console.error = () => {};
    try {
      assertEquals(await main(["--nope"]), 2);
      assertEquals(await main(["--config", `${dir}/missing.json`]), 1);
      await Deno.writeTextFile(
        `${dir}/bad.json`,
        JSON.stringify({ data: "x", tower: { kind: "bert" } }),
      );
      assertEquals(await main(["--config", `${dir}/bad.json`]), 1);

      // A user's own dataset folder.
      await writeDataset(
        `${dir}/mydata`,
        userlessSynthetic(2, { numItems: 150, numQueries: 300 }),
      );
      const cfg = {
        data: `${dir}/mydata`,
        tower: {
          kind: "dssm",
          dim: 16,
          hidden: [32],
          features: { buckets: { charTrigram: 256 } },
        },
        loss: { kind: "adaptive-margin" },
        batchSize: 32,
        steps: 4,
        checkpointEvery: 2,
      };
      await Deno.writeTextFile(`${dir}/cfg.json`, JSON.stringify(cfg));
      const out = `${dir}/run`;
      const args = [
        "--config",
        `${dir}/cfg.json`,
        "--out",
        out,
        "--backend",
        "wasm",
        "--quiet",
      ];
      assertEquals(await main(args), 0);
      assertEquals((await readManifest(out)).step, 4);
      const info = await readRunInfo(out);
      assertEquals(info.dataset.dir, `${dir}/mydata`);
      assertEquals(info.dataset.hashOf, "files");
      assertTrue(/^[0-9a-f]{16}$/.test(info.dataset.hash));
      const saved = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
      assertEquals(saved.backend, "wasm");
      // Same folder again without --resume: refused.
      assertEquals(await main(args), 1);
      // --resume of a finished run: a no-op that says so; run.json and
      // eval.json stay as they were.
      const evalBefore = await Deno.readTextFile(`${out}/eval.json`);
      const said: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => said.push(a.join(" "));
      try {
        assertEquals(await main(["--resume", "--out", out, "--quiet"]), 0);
      } finally {
        console.log = log;
      }
      assertTrue(
        said.some((l) => l.includes("already finished")),
        said.join("\n"),
      );
      assertEquals((await readRunInfo(out)).sessions.length, 1);
      assertEquals(await Deno.readTextFile(`${out}/eval.json`), evalBefore);
    } finally {
      console.error = quiet;
    }
  });
});

Deno.test("deno task train: relative paths are the user's (INIT_CWD), not the repository root's", async () => {
  await withTempDir("train_cli_cwd_test_", async (dir) => {
    const quiet = [console.log, console.error];
    console.log = console.error = () => {};
    try {
      await writeDataset(
        `${dir}/mydata`,
        userlessSynthetic(3, { numItems: 120, numQueries: 240 }),
      );
      await Deno.writeTextFile(
        `${dir}/cfg.json`,
        JSON.stringify({
          data: "ignored-by-the-flag",
          tower: { kind: "dssm", dim: 8, hidden: [16] },
          batchSize: 32,
          steps: 2,
        }),
      );
      const args = ["--config", "cfg.json", "--data", "mydata", "--out", "run"];
      // What deno task does when started in `dir`.
      const code = await withEnv(
        { INIT_CWD: dir },
        () => main([...args, "--backend", "wasm", "--quiet"]),
      );
      assertEquals(code, 0);
      assertEquals((await readManifest(`${dir}/run`)).step, 2);
    } finally {
      [console.log, console.error] = quiet;
    }
  });
});

Deno.test("deno task train: prints the early stop step, reason and best step", async () => {
  await withTempDir("train_cli_test_", async (dir) => {
    const [log, error] = [console.log, console.error];
    const said: string[] = [];
    console.log = (...a: unknown[]) => said.push(a.join(" "));
    console.error = () => {};
    try {
      await writeDataset(
        `${dir}/mydata`,
        generateSynthetic({ seed: 2, numItems: 150, numQueries: 300 }),
      );
      // lr 1e-30: the weights do not move, valid recall is flat, and the run
      // stops after 2 evaluations without improvement: at step 6, best 2.
      const cfg = {
        data: `${dir}/mydata`,
        tower: { kind: "plain", dim: 8, embedDim: 8, hidden: [16] },
        batchSize: 32,
        steps: 20,
        evalEvery: 2,
        checkpointEvery: 0,
        optimizer: { lr: 1e-30 },
        earlyStopping: { patience: 2 },
        backend: "wasm",
      };
      await Deno.writeTextFile(`${dir}/cfg.json`, JSON.stringify(cfg));
      const out = `${dir}/run`;
      const args = ["--config", `${dir}/cfg.json`, "--out", out, "--quiet"];
      assertEquals(await main(args), 0);
      const text = said.join("\n");
      assertTrue(text.includes("steps: 6/20"), text);
      assertTrue(
        text.includes(
          "early stopping: stopped at step 6 (patience: 2 valid evaluations in a row without recall@10 improving); best valid recall@10",
        ),
        text,
      );
      assertTrue(text.includes("at step 2"), text);
      assertTrue(
        text.includes("test metrics from the weights of step 2 (best valid)"),
        text,
      );
      said.length = 0;
      assertEquals(await main(["--resume", "--out", out, "--quiet"]), 0);
      assertTrue(said.some((l) => l.includes("already finished (step 6/20)")));
      assertTrue(said.some((l) => l.startsWith("early stopping: stopped at")));
    } finally {
      [console.log, console.error] = [log, error];
    }
  });
});
