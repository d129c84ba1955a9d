// What a run folder must survive: kills between files, resumes of finished
// runs, changed data, a second process, an output folder inside the data.

import {
  assertEquals,
  assertRejects,
  assertTrue,
  withTempDir,
} from "../testing.ts";
import { pathExists, writeDataset } from "../data/mod.ts";
import { PLAIN_MEMORY_RUN, smallSynthetic } from "../fixtures.ts";
import { readManifest } from "./checkpoint.ts";
import { readSteps, writeSteps } from "./logs.ts";
import { readRunInfo, RUN_FILES } from "./run_files.ts";
import { acquireRunLock, LOCK_FILE, train, TrainError } from "./train.ts";
import { noMs, trainUntil } from "./fixtures.ts";
import type { TrainConfigInput } from "./config.ts";

const ds = smallSynthetic(5);

const config: TrainConfigInput = {
  ...PLAIN_MEMORY_RUN,
  loss: { kind: "margin" },
  steps: 10,
  checkpointEvery: 3,
};

/** Resumes the run of {@link config} on `ds` in `dir`, quietly. */
const resumeIn = (dir: string) =>
  train(config, { dataset: ds, outDir: dir, quiet: true, resume: true });

const withTmp = (fn: (dir: string) => Promise<void>) =>
  withTempDir("train_integrity_test_", fn);

/** Trains `config` into `dir` and stops after `step` without a last checkpoint. */
async function killedAfter(dir: string, step: number) {
  await trainUntil(config, {
    dataset: ds,
    outDir: dir,
    quiet: true,
    checkpointOnAbort: false,
    stopAfter: step,
  });
}

Deno.test("a crash while writing a checkpoint loses no step of the log on resume", async () => {
  await withTmp(async (dir) => {
    const straight = await train(config, {
      dataset: ds,
      outDir: `${dir}/straight`,
      quiet: true,
    });
    const out = `${dir}/run`;
    await Deno.mkdir(out);
    // A folder where steps.arrow goes makes its write fail: the process
    // "dies" between the step log and the checkpoint manifest.
    await Deno.mkdir(`${out}/${RUN_FILES.steps}/blocked`, { recursive: true });
    await assertRejects(
      () => train(config, { dataset: ds, outDir: out, quiet: true }),
      Error,
    );
    await Deno.remove(`${out}/${RUN_FILES.steps}`, { recursive: true });
    const resumed = await resumeIn(out);
    assertEquals(resumed.steps, 10);
    assertEquals(
      noMs(await readSteps(`${out}/${RUN_FILES.steps}`)),
      noMs(straight.log),
    );
  });
});

Deno.test("resume refuses a step log that does not cover the checkpoint", async () => {
  await withTmp(async (dir) => {
    await killedAfter(dir, 7);
    assertEquals((await readManifest(dir)).step, 6);
    const path = `${dir}/${RUN_FILES.steps}`;
    const rows = await readSteps(path);
    await writeSteps(path, rows.filter((r) => r.step <= 3));
    await assertRejects(
      () => resumeIn(dir),
      TrainError,
      `${path} holds steps 1–3 but the checkpoint is at step 6 (missing 4–6)`,
    );
    await Deno.remove(path);
    await assertRejects(
      () => resumeIn(dir),
      TrainError,
      `${path} is missing but the checkpoint is at step 6`,
    );
    // Nothing was changed by the refusals.
    assertEquals((await readManifest(dir)).step, 6);
    assertEquals((await readRunInfo(dir)).sessions.length, 1);
  });
});

Deno.test("resuming a finished run is a no-op that says so and keeps its eval.json", async () => {
  await withTmp(async (dir) => {
    const full = { fullCorpus: { mrr: 0.5 }, health: { effectiveRank: 3 } };
    await train(config, {
      dataset: ds,
      outDir: dir,
      quiet: true,
      evaluate: () => full,
    });
    const evalBefore = await Deno.readTextFile(`${dir}/${RUN_FILES.eval}`);
    const runBefore = await Deno.readTextFile(`${dir}/${RUN_FILES.run}`);
    const again = await resumeIn(dir);
    assertEquals(again.alreadyFinished, true);
    assertEquals(again.completed, true);
    assertEquals(again.steps, 10);
    assertEquals(again.log.length, 10);
    assertEquals(
      (again.eval as { fullCorpus: unknown }).fullCorpus,
      full.fullCorpus,
    );
    assertEquals(
      await Deno.readTextFile(`${dir}/${RUN_FILES.eval}`),
      evalBefore,
    );
    assertEquals(await Deno.readTextFile(`${dir}/${RUN_FILES.run}`), runBefore);
  });
});

Deno.test("resume refuses data whose hash differs from run.json's", async () => {
  await withTmp(async (dir) => {
    await killedAfter(dir, 4);
    const other = smallSynthetic(6);
    const info = await readRunInfo(dir);
    const err = await assertRejects(
      () =>
        train(config, {
          dataset: other,
          outDir: dir,
          quiet: true,
          resume: true,
        }),
      TrainError,
      "not the data this run trained on",
    );
    assertTrue(err.message.includes(info.dataset.hash), err.message);
  });
});

Deno.test("a second train into the same folder is refused by its lock", async () => {
  await withTmp(async (dir) => {
    const lock = `${dir}/${LOCK_FILE}`;
    // A live holder (here: this process, through another open file).
    const held = await acquireRunLock(dir);
    await assertRejects(
      () => train(config, { dataset: ds, outDir: dir, quiet: true }),
      TrainError,
      `${lock} is held by process ${Deno.pid}`,
    );
    assertTrue(await pathExists(lock), "the refused run left the lock alone");
    assertTrue(!(await pathExists(`${dir}/${RUN_FILES.config}`)));
    await held.release();
    assertTrue(!(await pathExists(lock)));

    // Two at once: one trains, the other is refused.
    const both = await Promise.allSettled([
      train(config, { dataset: ds, outDir: `${dir}/two`, quiet: true }),
      train(config, { dataset: ds, outDir: `${dir}/two`, quiet: true }),
    ]);
    assertEquals(both.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const refused = both.find((r) => r.status === "rejected") as
      | PromiseRejectedResult
      | undefined;
    assertTrue(
      String(refused?.reason).includes(`${dir}/two/${LOCK_FILE}`),
      String(refused?.reason),
    );
    assertTrue(!(await pathExists(`${dir}/two/${LOCK_FILE}`)), "lock removed");
  });
});

Deno.test("a stale lock of a dead process is taken over, with a warning", async () => {
  await withTmp(async (dir) => {
    const lock = `${dir}/${LOCK_FILE}`;
    // The file a killed run leaves: its OS lock went with its process.
    await Deno.writeTextFile(lock, JSON.stringify({ pid: 2 ** 30 }));
    const r = await train(config, { dataset: ds, outDir: dir, quiet: true });
    assertTrue(
      r.warnings.some((w) =>
        w.includes(`took over ${lock} of process ${2 ** 30}`)
      ),
      r.warnings.join("\n"),
    );
    assertTrue(!(await pathExists(lock)));
  });
});

Deno.test("a killed training process leaves a lock the next one takes over", async () => {
  await withTmp(async (dir) => {
    // A real second process holds the lock until it is killed.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${
          JSON.stringify(`${dir}/${LOCK_FILE}`)
        }, { read: true, write: true, create: true });
await f.lock(true);
await f.write(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid })));
console.log("locked");
setInterval(() => {}, 1000);`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "locked"
    await assertRejects(
      () => acquireRunLock(dir),
      TrainError,
      `is held by process ${child.pid}`,
    );
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    const lock = await acquireRunLock(dir);
    assertTrue(lock.warning?.includes(`process ${child.pid}`) ?? false);
    await lock.release();
  });
});

Deno.test("an output folder equal to or inside the dataset folder is refused", async () => {
  await withTmp(async (dir) => {
    const data = `${dir}/data`;
    await writeDataset(data, ds);
    const before = [...Deno.readDirSync(data)].map((e) => e.name).sort();
    for (const out of [data, `${data}/run`, `${dir}/./data/`]) {
      await assertRejects(
        () => train({ ...config, data }, { outDir: out, quiet: true }),
        TrainError,
        new RegExp(`${out} is (inside )?the dataset folder ${data}:`),
      );
    }
    assertEquals([...Deno.readDirSync(data)].map((e) => e.name).sort(), before);
  });
});
