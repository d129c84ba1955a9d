/**
 * The permissions of every `deno task`, written out: a change that widens
 * one (a new `--allow-ffi`, an unscoped `--allow-net` or `--allow-run`)
 * fails here until this list is changed with it, on purpose.
 *
 * Why these: `--allow-ffi` loads native addons and so escapes every other
 * permission, so only the `:native` tasks (tfjs-node) have it; the network
 * is reached only by `download`, and only at the pinned host of the real
 * datasets' files; child processes are this Deno binary (its path is
 * printed by `deno eval` inside the task, since `deno` need not be on
 * `PATH`), `jupyter` and `git`.
 *
 * @module
 */

import { SOURCES } from "./data/mod.ts";
import { assertEquals, assertTrue } from "./testing.ts";

/** The hosts the real datasets' files come from (SOURCES' URLs). */
const DOWNLOAD_HOSTS = [
  ...new Set(
    Object.values(SOURCES).flatMap((s) =>
      s.files.map((f) => new URL(f.url).host)
    ),
  ),
].sort();

const RUN_DENO = `"$(deno eval 'console.log(Deno.execPath())')"`;
const FS_ENV = ["--allow-read", "--allow-write", "--allow-env"];
const NATIVE = ["--allow-ffi", "--allow-sys"];

/** Every task and exactly the permission flags it may have. */
const EXPECTED: Record<string, string[]> = {
  test: [...FS_ENV, `--allow-run=${RUN_DENO},jupyter,/usr/bin/jupyter,git`],
  check: ["--allow-read", `--allow-run=${RUN_DENO}`],
  data: FS_ENV,
  download: [...FS_ENV, `--allow-net=${DOWNLOAD_HOSTS.join(",")}`],
  train: FS_ENV,
  eval: FS_ENV,
  bench: FS_ENV,
  reproduce: [...FS_ENV, `--allow-run=${RUN_DENO},jupyter,/usr/bin/jupyter`],
  "train:native": [...FS_ENV, ...NATIVE],
  "eval:native": [...FS_ENV, ...NATIVE],
  "bench:native": [...FS_ENV, ...NATIVE],
  "reproduce:native": [
    ...FS_ENV,
    ...NATIVE,
    `--allow-run=${RUN_DENO},jupyter,/usr/bin/jupyter`,
  ],
  "jupyter-stress": [
    ...FS_ENV,
    `--allow-run=${RUN_DENO},jupyter,/usr/bin/jupyter`,
  ],
};

type Task = string | { command: string; description?: string };

async function tasks(): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(
    new URL("../deno.json", import.meta.url),
  );
  const json = JSON.parse(text) as { tasks: Record<string, Task> };
  return Object.fromEntries(
    Object.entries(json.tasks).map((
      [k, v],
    ) => [k, typeof v === "string" ? v : v.command]),
  );
}

/** The permission flags of a task's command (one `deno …` per `&&` part). */
function permissionFlags(command: string): string[] {
  // A value may hold a quoted command substitution with spaces in it.
  const flag = /(?:^|\s)(-A|--allow-[a-z]+(?:=(?:"[^"]*"|[^\s"])+)?|-P\S*)/g;
  return (command.match(flag) ?? [])
    .map((f) => f.trim());
}

Deno.test("every deno task has exactly its listed permissions", async () => {
  const all = await tasks();
  assertEquals(Object.keys(all).sort(), Object.keys(EXPECTED).sort());
  for (const [name, command] of Object.entries(all)) {
    assertEquals(
      permissionFlags(command).sort(),
      [...EXPECTED[name]].sort(),
      `task "${name}": ${command}`,
    );
  }
});

Deno.test("no task has -A, an unscoped net/run, or ffi outside :native", async () => {
  for (const [name, command] of Object.entries(await tasks())) {
    const flags = permissionFlags(command);
    assertTrue(!flags.some((f) => f === "-A" || f.startsWith("--allow-all")));
    assertTrue(!flags.includes("--allow-net"), `${name}: unscoped net`);
    assertTrue(!flags.includes("--allow-run"), `${name}: unscoped run`);
    if (!name.endsWith(":native")) {
      assertTrue(!flags.includes("--allow-ffi"), `${name}: ffi`);
      assertTrue(!flags.includes("--allow-sys"), `${name}: sys`);
    }
  }
});

Deno.test("the test suite itself runs without ffi, sys and net", () => {
  for (const name of ["ffi", "sys", "net"] as const) {
    assertEquals(Deno.permissions.querySync({ name }).state, "prompt", name);
  }
});

Deno.test("README's two commands and .ci/run use the Deno that tools/package.json pins", async () => {
  const root = new URL("../", import.meta.url);
  const pin = JSON.parse(
    await Deno.readTextFile(new URL("tools/package.json", root)),
  ).devDependencies.deno as string;
  const readme = await Deno.readTextFile(new URL("README.md", root));
  for (const task of ["reproduce", "test"]) {
    assertTrue(
      readme.includes(`\nnpx --yes deno@${pin} task ${task} `),
      `README quick start: npx --yes deno@${pin} task ${task}`,
    );
  }
  const versions = [...readme.matchAll(/deno@([0-9.]+)/g)].map((m) => m[1]);
  assertEquals([...new Set(versions)], [pin]);
  // .ci/run takes its command from the README, so it cannot drift.
  const ci = await Deno.readTextFile(new URL(".ci/run", root));
  assertTrue(ci.includes("task test"), ".ci/run runs the README's command");
});
