import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import {
  cellAtLine,
  generateModule,
  maskCode,
  patternNames,
  resolveSpecifier,
  scanDeclarations,
} from "./codegen.ts";
import { type Cell, NotebookError } from "./notebook.ts";

function code(id: string, source: string): Cell {
  return { cell_type: "code", id, source, metadata: {}, outputs: [] };
}

const OPTS = {
  notebook: "t.ipynb",
  notebookDir: "/repo/notebooks",
  runtimeUrl: "file:///repo/lib/notebook/runtime.ts",
};

Deno.test("maskCode blanks comments, strings, templates and regexes only", () => {
  const src = [
    'const a = "x // y"; // const b = 1;',
    "/* const c = 2; */ let d = `t ${e + `n`} u`;",
    "const r = /co{2}nst/g, q = x / 2;",
  ].join("\n");
  const masked = maskCode(src);
  assertEquals(masked.length, src.length);
  assertEquals(masked.split("\n").length, 3);
  assertEquals(
    masked.split("\n"),
    [
      'const a = "      ";                ',
      "                   let d = `    e + ` `   `;",
      "const r = /        /g, q = x / 2;",
    ],
  );
});

Deno.test("scanDeclarations: top level only, destructuring, kinds", () => {
  const src = [
    "const a = 1;",
    "let { b, c: d, ...e } = obj;",
    "const [f, [g], h = 2] = arr;",
    "export class K {}",
    "async function run() { const inner = 1; }",
    "function* gen() {}",
    "var v = 1;",
    "if (x) {",
    "  let hidden = 1;",
    "}",
    "for (let i = 0; i < 2; i++) {}",
    "const s = `",
    "const notReal = 1;",
    "`;",
  ].join("\n");
  assertEquals(
    scanDeclarations(src).map((d) => `${d.kind} ${d.name}`),
    [
      "const a",
      "let b",
      "let d",
      "let e",
      "const f",
      "const g",
      "const h",
      "class K",
      "function run",
      "function gen",
      "var v",
      "const s",
    ],
  );
  assertEquals(patternNames("{ a = b, c: { d }, [e]: f }"), ["a", "d", "f"]);
});

Deno.test("resolveSpecifier: relative and absolute paths become file URLs", () => {
  assertEquals(
    resolveSpecifier("../lib/x.ts", "/repo/notebooks"),
    "file:///repo/lib/x.ts",
  );
  assertEquals(
    resolveSpecifier("./a b.ts", "/repo/notebooks"),
    "file:///repo/notebooks/a%20b.ts",
  );
  assertEquals(resolveSpecifier("apache-arrow", "/r"), "apache-arrow");
  assertEquals(resolveSpecifier("npm:x@1", "/r"), "npm:x@1");
});

Deno.test("generateModule: cells bracketed, imports hoisted, deduplicated and resolved", () => {
  const gen = generateModule([
    { cell_type: "markdown", id: "md", source: "# x", metadata: {} },
    code(
      "one",
      'import { display, md } from "../lib/notebook/mod.ts";\nimport * as tf from "@tensorflow/tfjs-core";\nconst x = 1;',
    ),
    code(
      "two",
      'import {\n  display,\n  type Profile,\n} from "../lib/notebook/mod.ts";\nimport "./side.ts";\nconst m = await import("./dyn.ts");\nawait display(x);',
    ),
  ], OPTS);
  const lines = gen.source.split("\n");
  assertEquals(lines.slice(1, 7), [
    'import { __nb } from "file:///repo/lib/notebook/runtime.ts";',
    'import { display } from "file:///repo/lib/notebook/mod.ts";',
    'import { md } from "file:///repo/lib/notebook/mod.ts";',
    'import * as tf from "@tensorflow/tfjs-core";',
    'import type { Profile } from "file:///repo/lib/notebook/mod.ts";',
    'import "file:///repo/notebooks/side.ts";',
  ]);
  assertEquals(lines[7], ';__nb.begin("one");');
  assertTrue(
    gen.source.includes('await import("file:///repo/notebooks/dyn.ts")'),
  );
  assertTrue(gen.source.includes(';await __nb.end("two");'));
  // Line map: each cell's lines keep their numbers (imports became blanks).
  assertEquals(gen.cells.map((c) => [c.id, c.index, c.lines]), [
    ["one", 1, 3],
    ["two", 2, 7],
  ]);
  const two = gen.cells[1];
  assertEquals(lines[two.firstLine - 1 + 6], "await display(x);");
  const at = cellAtLine(gen, two.firstLine + 6)!;
  assertEquals([at.span.id, at.line], ["two", 7]);
  assertEquals(cellAtLine(gen, 1), null);
});

Deno.test("generateModule: a name declared in two cells is refused, naming both", () => {
  assertThrows(
    () =>
      generateModule(
        [code("a", "const x = 1;"), code("b", "let x = 2;")],
        OPTS,
      ),
    NotebookError,
    "t.ipynb: cell 1 (id 'b'): 'x' is declared again (let); first declared in cell 'a'",
  );
  assertThrows(
    () =>
      generateModule([
        code("a", 'import { x } from "./a.ts";'),
        code("b", 'import { y as x } from "./a.ts";'),
      ], OPTS),
    NotebookError,
    "cell 'a' imported it from",
  );
  assertThrows(
    () =>
      generateModule([
        code("a", 'import { x } from "./a.ts";'),
        code("b", "function x() {}"),
      ], OPTS),
    NotebookError,
    "imported in cell 'a'",
  );
  // `var` may be repeated, as in any module, and overloads in one cell.
  generateModule([code("a", "var v = 1;"), code("b", "var v = 2;")], OPTS);
  generateModule([
    code(
      "a",
      "function f(a: string): string;\nfunction f(a: number): number;\nfunction f(a: unknown) {\n  return a;\n}",
    ),
  ], OPTS);
  assertThrows(
    () =>
      generateModule([
        code("a", "function f() {}"),
        code("b", "function f() {}"),
      ], OPTS),
    NotebookError,
    "'f' is declared again (function); first declared in cell 'a'",
  );
});

Deno.test("generateModule: import.meta is refused (kernel cells lack it)", () => {
  assertThrows(
    () =>
      generateModule(
        [code("a", "\nconst u = new URL('.', import.meta.url);")],
        OPTS,
      ),
    NotebookError,
    "cell 0 (id 'a'): line 2: import.meta is not available",
  );
  // Inside a string it is only text.
  generateModule([code("a", 'const s = "import.meta";')], OPTS);
});
