import { assertEquals, assertThrows } from "../testing.ts";
import {
  firstRepeat,
  flag,
  integer,
  integers,
  isRecord,
  number,
  optionDefaults,
  optionProblem,
  optionsDocument,
  optionsTable,
  type OptionTable,
  resolveOptions,
  subset,
  valueLabel,
} from "./options.ts";

Deno.test("valueLabel: the paper's 1/30 as the sources write it, other numbers as printed", () => {
  assertEquals(valueLabel(1 / 30), "1/30");
  // 1/3 − 0.3 is 0.033333333333333326, not the double 1/30 is.
  assertEquals(1 / 3 - 0.3 === 1 / 30, false);
  assertEquals(valueLabel(1 / 3 - 0.3), "1/30");
  assertEquals(valueLabel(0.0333), "0.0333");
  assertEquals(valueLabel(0.5), "0.5");
  assertEquals(valueLabel(1e-7), "1e-7");
});

const TABLE = {
  dim: integer({ default: 8, min: 1, max: 64, doc: "width", hint: "a hint" }),
  heads: integer({
    default: 2,
    min: 1,
    doc: "heads",
    check: (v, all) => (v as number) <= (all.dim as number) ? null : "> dim",
  }),
  rate: number({ default: 0.5, min: 0, strict: true, max: 1, doc: "rate" }),
  hidden: integers({ default: [4, 4], minLength: 1, max: 100, doc: "widths" }),
  fields: subset({
    choices: ["a", "b", "c"],
    default: ["a", "c"],
    doc: "fields",
  }),
  length: integer({
    default: {
      text: "context.length",
      from: (c) => c.length as number | undefined,
      missing: "is required here",
    },
    min: 1,
    doc: "a derived default",
  }),
  on: flag({ default: true, doc: "switch" }),
} satisfies OptionTable;

function fail(name: string, problem: string): never {
  throw new RangeError(`t.${name} ${problem}`);
}

Deno.test("resolveOptions: defaults, derived defaults, fresh lists and canonical sets", () => {
  const hidden = [3];
  const r = resolveOptions(TABLE, { hidden, fields: ["c", "b"], on: null }, {
    fail,
    context: { length: 7 },
  });
  assertEquals(r, {
    dim: 8,
    heads: 2,
    rate: 0.5,
    hidden: [3],
    fields: ["b", "c"],
    length: 7,
    on: true,
  });
  hidden.push(9);
  assertEquals(r.hidden, [3], "the resolved list is a copy");
  // Resolving a resolved object gives it back.
  assertEquals(resolveOptions(TABLE, r, { fail }), r);
  // A required resolution takes no defaults.
  assertEquals(resolveOptions(TABLE, r, { fail, required: true }), r);
});

Deno.test("resolveOptions: each problem names the option, in one wording", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ dim: 0 }, "t.dim must be an integer in [1, 64], got 0 (a hint)"],
    [{ dim: 2.5 }, "t.dim must be an integer in [1, 64], got 2.5 (a hint)"],
    [{ heads: 9 }, "t.heads > dim"],
    [{ rate: 0 }, "t.rate must be a finite number > 0 and ≤ 1, got 0"],
    [{ rate: NaN }, "t.rate must be a finite number > 0 and ≤ 1, got NaN"],
    [{ hidden: [] }, "t.hidden must be an array of at least 1 positive"],
    [{ hidden: [2, 0] }, "t.hidden[1] must be an integer in [1, 100], got 0"],
    [{ fields: [] }, "t.fields must be a non-empty array of a, b, c"],
    [{ fields: ["d"] }, 't.fields has "d"; expected values from a, b, c'],
    [{ fields: ["a", "a"] }, 't.fields lists "a" twice'],
    [{ on: "yes" }, 't.on must be true or false, got "yes"'],
  ];
  for (const [input, message] of cases) {
    assertThrows(
      () => resolveOptions(TABLE, input, { fail, context: { length: 1 } }),
      RangeError,
      message,
    );
  }
  assertThrows(
    () => resolveOptions(TABLE, {}, { fail }),
    RangeError,
    "t.length is required here",
  );
  assertThrows(
    () => resolveOptions(TABLE, { length: 1 }, { fail, required: true }),
    RangeError,
    "t.dim must be an integer in [1, 64], got undefined (a hint)",
  );
});

Deno.test("resolveOptions: strict refuses other keys first, by name; otherwise they are ignored", () => {
  const table = { dim: integer({ default: 8, min: 1, doc: "width" }) };
  assertEquals(resolveOptions(table, { dim: 2, other: 1 }, { fail }), {
    dim: 2,
  });
  assertEquals(
    resolveOptions(table, { kind: "x" }, { fail, strict: { also: ["kind"] } }),
    { dim: 8 },
  );
  // The unknown key is named even when a known one is also bad.
  assertThrows(
    () => resolveOptions(table, { dim: 0, dimm: 2 }, { fail, strict: {} }),
    RangeError,
    "t.dimm is unknown; the options are dim",
  );
  assertThrows(
    () =>
      resolveOptions(table, { dimm: 2 }, { fail, strict: { also: ["kind"] } }),
    RangeError,
    "t.dimm is unknown; the options are dim, kind",
  );
});

Deno.test("optionProblem: null when the value fits; a list entry's problem starts with its index", () => {
  assertEquals(optionProblem(TABLE.hidden, [1, 100]), null);
  assertEquals(optionProblem(TABLE.fields, ["b"]), null);
  assertEquals(optionProblem(TABLE.rate, 1), null);
  const share = number({
    default: 0,
    min: 0,
    max: 1,
    strictMax: true,
    doc: "a share",
  });
  assertEquals(optionProblem(share, 0.999), null);
  assertEquals(
    optionProblem(share, 1),
    "must be a finite number ≥ 0 and < 1, got 1",
  );
  assertEquals(
    optionProblem(TABLE.hidden, [1, 0]),
    "[1] must be an integer in [1, 100], got 0",
  );
});

Deno.test("optionsTable: one row per option; numbers by valueLabel, derived defaults by their text", () => {
  const table = optionsTable({
    ...TABLE,
    tau: number({ default: 1 / 30, min: 0, strict: true, doc: "temperature" }),
  });
  const rows = table.split("\n");
  assertEquals(rows.length, 2 + Object.keys(TABLE).length + 1);
  assertEquals(rows[2], "| `dim` | integer in [1, 64] | 8 | width; a hint |");
  assertEquals(
    rows[5],
    "| `hidden` | 1+ integers in [1, 100] | [4, 4] | widths |",
  );
  assertEquals(
    rows[6],
    '| `fields` | set of "a", "b", "c" | ["a", "c"] | fields |',
  );
  assertEquals(
    rows[7],
    "| `length` | integer ≥ 1 | context.length | a derived default |",
  );
  assertEquals(rows.at(-1), "| `tau` | number > 0 | 1/30 | temperature |");
});

Deno.test("optionsDocument: title, generator comment, introduction, one section per table", () => {
  const text = optionsDocument({
    title: "T",
    source: "gen()",
    test: "t_test.ts",
    intro: "Intro.",
    sections: [
      { name: "a", table: { on: flag({ default: true, doc: "switch" }) } },
      { name: "b", note: "Note.", table: "| x |\n| --- |\n| 1 |" },
    ],
  });
  assertEquals(
    text,
    [
      "# T",
      "",
      "<!-- Generated by gen(); t_test.ts checks that the tables match, and with DOCS_UPDATE=1 rewrites this file (then run deno fmt on it). -->",
      "",
      "Intro.",
      "",
      "## `a`",
      "",
      "| option | type | default | meaning |",
      "| --- | --- | --- | --- |",
      "| `on` | boolean | true | switch |",
      "",
      "## `b`",
      "",
      "Note.",
      "",
      "| x |",
      "| --- |",
      "| 1 |",
      "",
    ].join("\n"),
  );
});

Deno.test("optionDefaults: every default, derived ones from the context; a bad default is a bug named", () => {
  assertEquals(optionDefaults(TABLE, { length: 2 }), {
    dim: 8,
    heads: 2,
    rate: 0.5,
    hidden: [4, 4],
    fields: ["a", "c"],
    length: 2,
    on: true,
  });
  assertThrows(
    () => optionDefaults({ n: integer({ default: 0, min: 1, doc: "n" }) }),
    Error,
    "the default of n must be an integer",
  );
});

Deno.test("isRecord and firstRepeat: hand values", () => {
  assertEquals([{}, { a: 1 }, null, [], "x", 3].map(isRecord), [
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
  assertEquals(firstRepeat(["a", "b", "a", "b"]), "a");
  assertEquals(firstRepeat(["a", "b"]), undefined);
});
