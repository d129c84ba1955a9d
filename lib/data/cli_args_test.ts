import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import {
  commandLine,
  type FlagTable,
  flagUsage,
  parseCommand,
  UsageError,
} from "./cli_args.ts";

/** A small command's flags: one of each kind. */
const DEMO = {
  steps: { type: "integer", arg: "N", min: 1, doc: "steps to take" },
  mode: { type: "choice", choices: ["a", "b"], default: "a", doc: "mode" },
  rate: {
    type: "number",
    arg: "R",
    min: 0,
    strict: true,
    default: 0.5,
    doc: "a rate",
  },
  dryRun: { type: "boolean", doc: "do nothing" },
  only: { type: "strings", arg: "NAME", doc: "only these" },
  tolerance: {
    type: "number",
    flag: "tol",
    arg: "T",
    min: 0,
    default: 0,
    defaultText: "0: exact",
    doc: "tolerance",
  },
} as const satisfies FlagTable;

const USAGE = `usage: demo [options] NAME\n\n${flagUsage(DEMO)}`;

/** The demo command: the flags and one bare argument. */
function parseDemo(args: readonly string[]) {
  const { help, values, positionals } = parseCommand(args, DEMO, {
    positionals: true,
  });
  if (help) return { help: true };
  if (positionals.length !== 1) throw new UsageError("one NAME is needed");
  return { help: false, name: positionals[0], ...values };
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

Deno.test("commandLine: parsed flags with their defaults, --help exits 0 with the usage", () => {
  const ok = run([
    "x",
    "--steps",
    "3",
    "--mode",
    "b",
    "--dry-run",
    "--only",
    "p",
    "--only",
    "q",
    "--tol",
    "1e-6",
  ]);
  assertEquals(ok.result, {
    help: false,
    name: "x",
    steps: 3,
    mode: "b",
    rate: 0.5,
    dryRun: true,
    only: ["p", "q"],
    tolerance: 1e-6,
  });
  assertEquals(ok.out + ok.err, "");
  const bare = run(["x"]);
  assertEquals(bare.result, {
    help: false,
    name: "x",
    steps: undefined,
    mode: "a",
    rate: 0.5,
    dryRun: false,
    only: undefined,
    tolerance: 0,
  });
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
    [["x", "--steps", "1e3"], "--steps must be an integer ≥ 1, got '1e3'"],
    [["x", "--mode", "c"], "--mode must be 'a' or 'b', got 'c'"],
    [["x", "--rate", "0"], "--rate must be a number > 0, got '0'"],
    [["x", "--rate", ""], "--rate must be a number > 0, got ''"],
    [["x", "--tol=-1"], "--tol must be a number ≥ 0, got '-1'"],
    [["x", "--tolerance", "1"], "Unknown option '--tolerance'"],
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

Deno.test("parseCommand: strict, no bare arguments unless asked; what was given", () => {
  assertThrows(
    () => parseCommand(["name"], {}),
    UsageError,
    "Unexpected argument 'name'",
  );
  assertTrue(parseCommand(["-h"], {}).help);
  const { given } = parseCommand(["--mode", "a", "--tol", "0"], DEMO);
  // Given even where the value equals the default; unset booleans are not.
  assertEquals([...given].sort(), ["mode", "tolerance"]);
});

Deno.test("flagUsage: one line a flag, its default, wrapped under a column", () => {
  assertEquals(
    flagUsage({
      seed: { type: "integer", arg: "N", default: 1, doc: "seed" },
      profile: {
        type: "choice",
        choices: ["quick", "full"],
        doc: "a size profile, described at a length that needs a second line",
      },
      verbose: { type: "boolean", doc: "talk" },
    }),
    [
      "  --seed N               seed (default 1)",
      "  --profile quick|full   a size profile, described at a length that needs a",
      "                         second line",
      "  --verbose              talk",
      "  -h, --help             this text",
    ].join("\n"),
  );
  assertEquals(
    flagUsage({ a: { type: "boolean", doc: "x" } }, { help: false }),
    "  --a                    x",
  );
  // A long flag puts its description on the next line.
  assertEquals(
    flagUsage({
      backend: { type: "choice", choices: ["node", "wasm", "cpu"], doc: "b" },
    }, { help: false }),
    "  --backend node|wasm|cpu\n                         b",
  );
});

Deno.test("parseCommand: a malformed line is a syntax error, a bad value is not", () => {
  const error = (args: string[]) => {
    try {
      parseCommand(args, DEMO, { positionals: true });
    } catch (err) {
      return err as UsageError;
    }
    throw new Error("expected a UsageError");
  };
  assertEquals(error(["--bogus"]).syntax, true);
  assertEquals(error(["--steps"]).syntax, true);
  assertEquals(error(["--steps", "0"]).syntax, false);
  assertEquals(error(["--mode", "c"]).syntax, false);
});
