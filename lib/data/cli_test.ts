import { assertEquals, assertTrue } from "../testing.ts";
import { readDataset } from "./io.ts";
import { runDataCli as runCli } from "./real/testing.ts";

Deno.test("`data synthetic --profile quick` twice with one seed gives identical bytes", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  for (const dir of [a, b]) {
    const r = await runCli(["synthetic", "--seed", "3", "--out", dir]);
    assertEquals(r.code, 0, r.stderr);
    assertTrue(r.stdout.includes(`synthetic: wrote ${dir}`), r.stdout);
  }
  for (const f of ["items", "queries", "pairs", "users"]) {
    assertEquals(
      await Deno.readFile(`${a}/${f}.arrow`),
      await Deno.readFile(`${b}/${f}.arrow`),
      `${f}.arrow differs`,
    );
  }
  assertEquals(
    await Deno.readTextFile(`${a}/meta.json`),
    await Deno.readTextFile(`${b}/meta.json`),
  );
  const ds = await readDataset(a);
  assertEquals(ds.meta.seed, 3);
});

Deno.test("bad command lines get a clear message and exit code 2", async () => {
  const cases: [string[], string][] = [
    [["nope"], "unknown dataset 'nope'"],
    [["synthetic", "--profile", "huge"], "--profile must be 'quick' or 'full'"],
    [["synthetic", "--seed", "x"], "--seed must be an integer, got 'x'"],
    [["synthetic", "--bogus"], "Unknown option '--bogus'"],
    [["all", "--out", "/tmp/x"], "--out needs a single dataset name"],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assertEquals(r.code, 2, args.join(" "));
    assertTrue(r.stderr.includes(message), `${args.join(" ")}: ${r.stderr}`);
  }
});

Deno.test("`data all` without real source files builds synthetic and skips the rest with the commands; one name fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_test_" });
  const run = (args: string[]) =>
    runCli(args, {
      cwd: dir,
      env: { ADAPTIVE_RETRIEVAL_DATASETS: `${dir}/none`, NO_COLOR: "1" },
    });
  try {
    const all = await run(["all"]);
    assertEquals(all.code, 0, all.stderr);
    assertTrue(all.stdout.includes("synthetic: wrote data/synthetic-quick"));
    for (const name of ["wands", "scifact", "movielens"]) {
      const line = all.stdout.split("\n").find((l) =>
        l.startsWith(`skipped ${name}: source folder ${dir}/none/`)
      );
      assertTrue(line, all.stdout);
      assertTrue(line.includes(`\`deno task download ${name}\``), line);
    }
    const one = await run(["wands"]);
    assertEquals(one.code, 1);
    assertTrue(
      one.stderr.includes(`error: wands: source folder ${dir}/none/wands`),
      one.stderr,
    );
    assertTrue(one.stderr.includes("--source DIR"), one.stderr);
    const both = await run(["all", "--source", dir]);
    assertEquals(both.code, 2);
    assertTrue(both.stderr.includes("--source needs a single dataset name"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
