import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import {
  choiceFlag,
  commandLine,
  intFlag,
  parseFlags,
  UsageError,
} from "./cli_args.ts";

const USAGE = "usage: demo [--steps N] [--mode a|b] NAME";

/** A small command: one integer, one choice, one bare argument. */
function parseDemo(args: readonly string[]) {
  const { values, positionals } = parseFlags(args, {
    options: { steps: { type: "string" }, mode: { type: "string" } },
    positionals: true,
  });
  if (values.help) return { help: true };
  if (positionals.length !== 1) throw new UsageError("one NAME is needed");
  return {
    help: false,
    name: positionals[0],
    steps: intFlag("steps", values.steps, { min: 1 }),
    mode: choiceFlag("mode", values.mode, { choices: ["a", "b"] }),
  };
}

/** Runs {@link commandLine} on the demo, collecting what it prints. */
function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const result = commandLine(args, {
    prefix: "demo",
    usage: USAGE,
    parse: parseDemo,
    out: (s) => out.push(s),
    err: (s) => err.push(s),
  });
  return { result, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("commandLine: parsed flags, --help exits 0 with the usage", () => {
  const ok = run(["x", "--steps", "3", "--mode", "b"]);
  assertEquals(ok.result, { help: false, name: "x", steps: 3, mode: "b" });
  assertEquals(ok.out + ok.err, "");
  for (const flag of ["--help", "-h"]) {
    const help = run([flag]);
    assertEquals(help.result, 0);
    assertEquals(help.out, USAGE);
    assertEquals(help.err, "");
  }
});

Deno.test("commandLine: a mistake exits 2 naming the flag, then the usage", () => {
  const cases: [string[], string][] = [
    [["x", "--bogus"], "Unknown option '--bogus'"],
    [["x", "--steps"], "Option '--steps <value>' argument missing"],
    [["x", "--steps", "2.5"], "--steps must be an integer ≥ 1, got '2.5'"],
    [["x", "--steps", "0"], "--steps must be an integer ≥ 1, got '0'"],
    [["x", "--mode", "c"], "--mode must be 'a' or 'b', got 'c'"],
    [[], "one NAME is needed"],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assertEquals(r.result, 2, args.join(" "));
    assertEquals(r.out, "");
    assertEquals(r.err, `demo: ${message}\n\n${USAGE}`, args.join(" "));
  }
});

Deno.test("commandLine: errors other than UsageError propagate", () => {
  assertThrows(
    () =>
      commandLine([], {
        prefix: "demo",
        usage: USAGE,
        parse: () => {
          throw new TypeError("a bug");
        },
      }),
    TypeError,
    "a bug",
  );
});

Deno.test("parseFlags: strict, no bare arguments unless asked", () => {
  assertThrows(
    () => parseFlags(["name"], { options: {} }),
    UsageError,
    "Unexpected argument 'name'",
  );
  const { values } = parseFlags(["-h"], { options: {} });
  assertTrue(values.help);
});

Deno.test("intFlag and choiceFlag: absent stays undefined; the messages", () => {
  assertEquals(intFlag("seed", undefined), undefined);
  assertEquals(intFlag("seed", "-4"), -4);
  assertThrows(() => intFlag("seed", "x"), UsageError, "--seed");
  assertThrows(() => intFlag("seed", "1e3"), UsageError, "got '1e3'");
  assertEquals(choiceFlag("k", undefined, { choices: ["a"] }), undefined);
  assertThrows(
    () => choiceFlag("k", "z", { choices: ["a", "b", "c"] }),
    UsageError,
    "--k must be one of a, b, c, got 'z'",
  );
});
