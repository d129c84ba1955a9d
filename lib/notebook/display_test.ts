import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  ARTEFACTS,
  artefactsOf,
  chart,
  DISPLAY,
  display,
  DisplayError,
  type DisplaySink,
  html,
  md,
  type MimeBundle,
  plainText,
  SINK_KEY,
  table,
  toBundle,
} from "./display.ts";

Deno.test("toBundle: Deno's display protocol, strings and other values", async () => {
  const custom = { [DISPLAY]: () => ({ "text/html": "<b>x</b>" }) };
  assertEquals(await toBundle(custom), {
    bundle: { "text/html": "<b>x</b>" },
    files: {},
  });
  // A protocol method may be async (Deno awaits it too).
  const asyncOne = {
    [DISPLAY]: () => Promise.resolve({ "text/plain": "later" }),
  };
  assertEquals((await toBundle(asyncOne)).bundle, { "text/plain": "later" });
  assertEquals((await toBundle("plain *text*")).bundle, {
    "text/plain": "plain *text*",
  });
  assertEquals((await toBundle({ a: 1 })).bundle, { "text/plain": "{ a: 1 }" });
  await assertRejects(
    () => toBundle({ [DISPLAY]: () => ({}) }),
    DisplayError,
    "non-empty MIME bundle",
  );
});

Deno.test("md and html build the expected bundles", async () => {
  assertEquals((await toBundle(md("# T"))).bundle, {
    "text/markdown": "# T",
    "text/plain": "# T",
  });
  assertEquals((await toBundle(html("<i>x</i>", { plain: "x" }))).bundle, {
    "text/html": "<i>x</i>",
    "text/plain": "x",
  });
});

Deno.test("table: pipe table with escaped cells, right-aligned numbers, digits", async () => {
  const t = table(
    [{ method: "a|b", recall: 0.41234, n: 3 }, {
      method: "c",
      recall: 0.5,
      n: null,
    }],
    { digits: 2, caption: "Recall" },
  );
  const { bundle, files } = await toBundle(t);
  assertEquals(
    bundle["text/markdown"],
    "Recall\n\n| method | recall | n |\n| --- | ---: | ---: |\n| a\\|b | 0.41 | 3 |\n| c | 0.50 |  |\n",
  );
  assertEquals(bundle["text/plain"], bundle["text/markdown"]);
  assertEquals(
    bundle["text/html"],
    '<table><caption>Recall</caption><thead><tr><th>method</th><th style="text-align:right">recall</th><th style="text-align:right">n</th></tr></thead><tbody><tr><td>a|b</td><td style="text-align:right">0.41</td><td style="text-align:right">3</td></tr><tr><td>c</td><td style="text-align:right">0.50</td><td style="text-align:right"></td></tr></tbody></table>',
  );
  assertEquals(files, {});
  const arrow = new Uint8Array([1, 2, 3]);
  assertEquals(
    (await toBundle(table([{ x: 1 }], { columns: ["x"], arrow }))).files,
    { arrow },
  );
  assertThrows(() => table([]), DisplayError, "no columns");
  assertThrows(() => table([{ x: 1 }], { digits: -1 }), DisplayError, "digits");
});

Deno.test("chart: bundle passed through, png/svg carried as artefacts", async () => {
  const bundle = { "image/svg+xml": "<svg/>", "text/plain": "c" };
  const png = new Uint8Array([137, 80]);
  const d = chart(bundle, { png, extra: { csv: "a\n" } });
  const r = await toBundle(d);
  assertEquals(r.bundle, bundle);
  assertEquals(r.files, { csv: "a\n", png });
  assertTrue(typeof d[ARTEFACTS] === "function");
});

Deno.test("artefactsOf: files derived from a bundle; explicit ones win", () => {
  const spec = { mark: "point" };
  const bundle: MimeBundle = {
    "application/vnd.vegalite.v5+json": spec,
    "image/svg+xml": ["<svg>", "</svg>"],
    "image/png": btoa("\x89PNG"),
    "text/markdown": "m",
    "text/html": "h",
    "text/plain": "p",
  };
  const files = artefactsOf(bundle, { md: "override" });
  assertEquals(files.svg, "<svg></svg>");
  assertEquals(files.png, new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  assertEquals(files.md, "override");
  assertEquals(files.html, "h");
  assertEquals(files.json, JSON.stringify(spec, null, 2) + "\n");
  assertEquals(Object.keys(files).sort(), ["html", "json", "md", "png", "svg"]);
  // text/plain alone gives no file.
  assertEquals(artefactsOf({ "text/plain": "x" }, {}), {});
});

Deno.test("plainText: text/plain, else a note of the MIME types", () => {
  assertEquals(plainText({ "text/plain": ["a", "b"] }), "ab");
  assertEquals(
    plainText({ "image/png": "x", "text/html": "y" }),
    "[display: image/png, text/html]",
  );
});

Deno.test("display: prints text/plain in a plain script", async () => {
  const lines: unknown[][] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a);
  try {
    await display(md("**hi**"));
    await display(42);
  } finally {
    console.log = log;
  }
  assertEquals(lines, [["**hi**"], ["42"]]);
});

Deno.test("display: goes to the headless sink when one is installed", async () => {
  const seen: [MimeBundle, Record<string, unknown>, string | undefined][] = [];
  const sink: DisplaySink = {
    display: (b, f, id) => {
      seen.push([b, f, id]);
      return Promise.resolve();
    },
  };
  const g = globalThis as Record<symbol, unknown>;
  g[SINK_KEY] = sink;
  try {
    await display(md("x"), { id: "fig_a" });
    await display("text");
  } finally {
    delete g[SINK_KEY];
  }
  assertEquals(seen, [
    [{ "text/markdown": "x", "text/plain": "x" }, {}, "fig_a"],
    [{ "text/plain": "text" }, {}, undefined],
  ]);
  await assertRejects(
    () => display("x", { id: "2" }),
    DisplayError,
    "must start with a letter",
  );
});
