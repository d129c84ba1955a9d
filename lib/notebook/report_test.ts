import { assertEquals, assertTrue } from "../testing.ts";
import type { Notebook } from "./notebook.ts";
import {
  indexPage,
  notebookPage,
  notebookTitle,
  type ReportEntry,
  reportMarkdown,
  writeReport,
} from "./report.ts";
import { FILES_KEY } from "./runner.ts";
import { anchors, checkIndexLinks } from "./testdata/helpers.ts";

const NB: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    {
      cell_type: "markdown",
      id: "intro",
      metadata: {},
      source: "# Gradient collapse\n\nWhy *τ* matters.",
    },
    {
      cell_type: "code",
      id: "fig-tau",
      metadata: {},
      source: "await display(chart(b));",
      execution_count: 1,
      outputs: [{
        output_type: "display_data",
        data: { "image/svg+xml": "<svg/>", "text/plain": "chart" },
        metadata: {
          [FILES_KEY]: { files: ["grad/fig-tau.svg", "grad/fig-tau.png"] },
        },
      }],
    },
    {
      cell_type: "code",
      id: "tbl",
      metadata: {},
      source: "await display(table(rows));",
      execution_count: 2,
      outputs: [
        { output_type: "stream", name: "stdout", text: ["<done>\n"] },
        {
          output_type: "display_data",
          data: { "text/html": "<table></table>", "text/markdown": "| a |\n" },
          metadata: {},
        },
      ],
    },
    {
      cell_type: "code",
      id: "no-output",
      metadata: {},
      source: "const x = 1;",
      execution_count: 3,
      outputs: [],
    },
  ],
};

const ENTRIES: ReportEntry[] = [
  { name: "grad", notebook: NB, status: "ran", ms: 1234 },
  { name: "later", notebook: null, status: "not run" },
];

Deno.test("notebookPage: an anchor per cell, figures from artefact files", () => {
  const page = notebookPage(ENTRIES[0]);
  for (const c of NB.cells) assertTrue(anchors(page).has(c.id), c.id);
  assertTrue(page.includes('<img src="grad/fig-tau.svg" alt="figure">'));
  assertTrue(page.includes('<a href="grad/fig-tau.png">fig-tau.png</a>'));
  assertTrue(page.includes('<pre class="stream stdout">&lt;done&gt;\n</pre>'));
  assertTrue(page.includes("<h1>Gradient collapse</h1>"));
  assertTrue(page.includes("<em>τ</em>"));
});

Deno.test("indexPage: every link resolves to an existing anchor", () => {
  const index = indexPage(ENTRIES, { facts: { profile: "quick" } });
  const n = checkIndexLinks(index, { "grad.html": notebookPage(ENTRIES[0]) });
  // The heading, the figure cell and the table cell are linked.
  assertEquals(n, 3);
  assertTrue(index.includes('href="grad.html#fig-tau"'));
  assertTrue(!index.includes("later.html"), "no page for a notebook not run");
});

Deno.test("reportMarkdown: anchors <notebook>--<cell-id>, demoted headings", () => {
  const md = reportMarkdown(ENTRIES);
  for (const c of NB.cells) {
    assertTrue(md.includes(`<a id="grad--${c.id}"></a>`), c.id);
  }
  assertTrue(md.includes("### Gradient collapse"));
  assertTrue(md.includes("![figure](grad/fig-tau.svg)"));
  assertTrue(md.includes("| a |"));
  assertTrue(
    md.includes("- [Gradient collapse](#grad) — `grad.ipynb`, ran, 1.2 s"),
  );
});

Deno.test("notebookTitle and writeReport", async () => {
  assertEquals(notebookTitle("grad", NB), "Gradient collapse");
  assertEquals(notebookTitle("x", null), "x");
  const dir = await Deno.makeTempDir();
  try {
    const written = await writeReport(dir, ENTRIES);
    assertEquals(
      written.map((p) => p.slice(dir.length + 1)),
      ["grad.html", "report.html", "report.md"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report notes (e.g. skipped datasets) appear in report.html and report.md", () => {
  const notes = [
    "Real datasets the notebooks ran on: scifact; not on wands.",
    "Skipped wands: folder not found; get it with `deno task data wands --download`",
  ];
  const html = indexPage(ENTRIES, { notes });
  assertTrue(html.includes('<div class="notes">'), html);
  assertTrue(
    html.includes("get it with <code>deno task data wands --download</code>"),
    html,
  );
  const md = reportMarkdown(ENTRIES, { facts: { profile: "quick" }, notes });
  assertTrue(md.includes(`\n\n- ${notes[0]}\n- ${notes[1]}\n\n`), md);
  assertTrue(!indexPage(ENTRIES).includes('class="notes"'));
});
