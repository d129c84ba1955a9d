import { assertEquals, assertThrows } from "../testing.ts";
import { PlotInputError } from "./input.ts";
import {
  escapeHtml,
  formatInterval,
  formatNumber,
  tableHtml,
  tableMarkdown,
} from "./table_text.ts";

const ROWS = [
  { method: "adaptive δ", mean: 0.512, lo: 0.49, hi: 0.53, steps: 1000 },
  { method: "fixed | margin", mean: 0.4, lo: 0.3819, hi: 0.4204, steps: 800 },
];

Deno.test("tableMarkdown: two rows, exact text", () => {
  const md = tableMarkdown(ROWS, [
    { field: "method", title: "Method" },
    { field: "mean", title: "Recall@10", lo: "lo", hi: "hi", ciDigits: 2 },
    "steps",
  ]);
  assertEquals(
    md,
    "| Method | Recall@10 | steps |\n" +
      "| --- | ---: | ---: |\n" +
      "| adaptive δ | 0.512 [0.49, 0.53] | 1000 |\n" +
      "| fixed \\| margin | 0.400 [0.38, 0.42] | 800 |\n",
  );
});

Deno.test("tableMarkdown: digits, missing cells, alignment override", () => {
  const md = tableMarkdown(
    [{ m: "a", v: 1 }, { m: "b", v: 0.25 }, { m: "c" }],
    [{ field: "m", align: "right" }, { field: "v", digits: 2 }],
    { missing: "n/a" },
  );
  assertEquals(
    md,
    "| m | v |\n| ---: | ---: |\n| a | 1.00 |\n| b | 0.25 |\n| c | n/a |\n",
  );
  // Mixed integer and fractional values keep 3 decimals for all.
  assertEquals(
    tableMarkdown([{ r: 1 }, { r: 0.5 }], ["r"]),
    "| r |\n| ---: |\n| 1.000 |\n| 0.500 |\n",
  );
});

Deno.test("tableHtml: escaped, aligned, with caption", () => {
  const html = tableHtml(ROWS.slice(0, 1), [
    "method",
    { field: "mean", title: "R<10>", lo: "lo", hi: "hi" },
  ], { caption: "Main & more" });
  assertEquals(
    html,
    "<table>\n<caption>Main &amp; more</caption>\n<thead>\n" +
      '<tr><th style="text-align:left">method</th>' +
      '<th style="text-align:right">R&lt;10&gt;</th></tr>\n' +
      "</thead>\n<tbody>\n" +
      '<tr><td style="text-align:left">adaptive δ</td>' +
      '<td style="text-align:right">0.512 [0.490, 0.530]</td></tr>\n' +
      "</tbody>\n</table>\n",
  );
});

Deno.test("number formatting", () => {
  assertEquals(formatNumber(-0.0001, 3), "0.000");
  assertEquals(formatNumber(-0.0006, 3), "-0.001");
  assertEquals(formatNumber(NaN, 3), "NaN");
  assertEquals(
    formatInterval({ mean: 0.5121, lo: 0.4899, hi: 0.53 }, { ciDigits: 2 }),
    "0.512 [0.49, 0.53]",
  );
});

Deno.test("table errors name the field", () => {
  assertThrows(() => tableMarkdown([], ["a"]), PlotInputError, "rows is empty");
  assertThrows(
    () => tableMarkdown(ROWS, ["method", "recall"]),
    PlotInputError,
    'field "recall"',
  );
  assertThrows(
    () => tableHtml(ROWS, [{ field: "mean", lo: "lo" }]),
    PlotInputError,
    "both lo and hi",
  );
  assertThrows(
    () => tableMarkdown(ROWS, [{ field: "mean", lo: "lo", hi: "upper" }]),
    PlotInputError,
    'field "upper"',
  );
});

Deno.test("escapeHtml escapes & < > and double quotes", () => {
  assertEquals(
    escapeHtml(`<a href="x">&</a>`),
    "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;",
  );
});
