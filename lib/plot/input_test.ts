import { assertEquals, assertThrows } from "../testing.ts";
import { BuilderRows, PlotInputError } from "./input.ts";

interface Options {
  step?: string;
  series?: string;
  lo?: string;
  hi?: string;
  logY?: boolean;
}

const ROWS = [
  { step: 1, it: 10, run: "a", lo: 0.1, hi: 0.3 },
  { step: 2, it: 20, run: "b", lo: 0.2, hi: 0.4 },
];

Deno.test("BuilderRows: an option selects its field, by default its own name", () => {
  const plain = new BuilderRows<Options>(ROWS, "demo", {});
  assertEquals(plain.field("step"), "step");
  assertEquals(plain.numbers("step"), [1, 2]);
  assertEquals(plain.named("step"), false);
  const renamed = new BuilderRows<Options>(ROWS, "demo", { step: "it" });
  assertEquals(renamed.field("step"), "it");
  assertEquals(renamed.numbers("step"), [10, 20]);
  assertEquals(renamed.named("step"), true);
});

Deno.test("BuilderRows: an optional column is read when named or present", () => {
  const rows = new BuilderRows<Options>(ROWS, "demo", {});
  // series' default field is "run" here; with no such field it is absent.
  assertEquals(rows.optionalKeys("series", "run"), ["a", "b"]);
  assertEquals(rows.optionalKeys("series"), undefined);
  assertEquals(rows.wants("series"), false);
  assertEquals(rows.intervals("all").los, [0.1, 0.2]);
  const named = new BuilderRows<Options>(ROWS, "demo", { series: "group" });
  assertThrows(
    () => named.optionalKeys("series", "run"),
    PlotInputError,
    'demo: field "group" (options.series) is missing from every row',
  );
});

Deno.test("BuilderRows: a field option that is not a name is refused by name", () => {
  const bad = { step: 3 } as unknown as Options;
  const rows = new BuilderRows<Options>(ROWS, "demo", bad);
  assertThrows(
    () => rows.numbers("step"),
    PlotInputError,
    "demo: options.step must name a field, got 3",
  );
  const empty = new BuilderRows<Options>(ROWS, "demo", { step: "" });
  assertThrows(
    () => empty.field("step"),
    PlotInputError,
    'options.step must name a field, got ""',
  );
});
