import { assertEquals } from "../testing.ts";
import { optionsTable, param, valueLabel } from "./options.ts";

Deno.test("valueLabel: the paper's 1/30 as the sources write it, other numbers as printed", () => {
  assertEquals(valueLabel(1 / 30), "1/30");
  // 1/3 − 0.3 is 0.033333333333333326, not the double 1/30 is.
  assertEquals(1 / 3 - 0.3 === 1 / 30, false);
  assertEquals(valueLabel(1 / 3 - 0.3), "1/30");
  assertEquals(valueLabel(0.0333), "0.0333");
  assertEquals(valueLabel(0.5), "0.5");
  assertEquals(valueLabel(1e-7), "1e-7");
});

Deno.test("optionsTable: a number default is shown by valueLabel", () => {
  const table = optionsTable({
    tau: param({ default: 1 / 30, min: 0, strict: true, doc: "temperature" }),
  });
  assertEquals(table.includes("| 1/30 |"), true, table);
});
