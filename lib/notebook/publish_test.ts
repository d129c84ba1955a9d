import {
  assertEquals,
  assertRejects,
  assertTrue,
  withTempDir,
} from "../testing.ts";
import { compareOutputs } from "./check.ts";
import { listFiles } from "./hash.ts";
import {
  dropUnpublishedLinks,
  findMachinePaths,
  machinePathPatterns,
  PublishError,
  publishOutputs,
} from "./publish.ts";
import { parseReproduceArgs } from "./reproduce_args.ts";
import { repoRoot } from "./context.ts";
import { codeCell, nbJson, reproduceCli } from "./testdata/helpers.ts";

const TABLE = `| method | recall@10 | train s |
| --- | ---: | ---: |
| adaptive | 0.912 | 3.4 |
| fixed | 0.874 | 3.1 |
`;

/** What a fake run writes; `edit` changes the manifest or the files. */
interface FakeRun {
  profile?: string;
  /** The manifest's `seedCount` (`reproduce --seeds`; absent: null). */
  seedCount?: number;
  ok?: boolean;
  status?: string;
  /** Extra or replaced files, relative to the output folder. */
  files?: Record<string, string>;
}

const ARTEFACTS = [
  "nb/table.md",
  "nb/table.html",
  "nb/chart.svg",
  "nb/chart.json",
  "nb/chart.png",
];

/**
 * A small output folder of reproduce: one notebook `nb` with a table cell
 * and a chart cell (its artefacts, a `.png` among them), the report, the
 * manifest, and what must never be published (`runs/`, `.runner/`, the
 * HTML pages).
 */
async function writeRun(dir: string, run: FakeRun = {}): Promise<void> {
  const manifest = {
    profile: run.profile ?? "full",
    seed: 1,
    seedCount: run.seedCount ?? null,
    finishedAt: "2026-01-02T03:04:05.678Z",
    ok: run.ok ?? true,
    failure: run.ok === false
      ? "notebook nb.ipynb failed in cell 'chart'"
      : null,
    versions: { deno: "2.9.6" },
    backend: { name: "wasm" },
    datasets: { "synthetic-full": { "items.arrow": "ab12" } },
    realDatasets: [],
    notebooks: [{
      name: "nb",
      status: run.status ?? "ran",
      input: "f00d",
      key: "beef",
      ms: 1234.5678,
      cells: [{ id: "table", ms: 12.345 }, { id: "chart", ms: 45.6 }],
      files: ARTEFACTS,
    }],
    jupyter: null,
  };
  const output = (files: string[], data: Record<string, string>) => ({
    output_type: "display_data",
    data,
    metadata: { adaptive_retrieval: { files } },
  });
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", id: "title", metadata: {}, source: "# nb" },
      {
        cell_type: "code",
        id: "table",
        metadata: {},
        execution_count: 1,
        source: "await display(table(rows));",
        outputs: [
          output(ARTEFACTS.slice(0, 2), { "text/markdown": TABLE }),
          { output_type: "stream", name: "stdout", text: "best: 0.912\n" },
        ],
      },
      {
        cell_type: "code",
        id: "chart",
        metadata: {},
        execution_count: 2,
        source: "await display(chart);",
        outputs: [output(ARTEFACTS.slice(2), { "image/svg+xml": "<svg/>" })],
      },
    ],
  };
  const files: Record<string, string> = {
    "manifest.json": JSON.stringify(manifest, null, 2) + "\n",
    "nb.ipynb": JSON.stringify(notebook, null, 1) + "\n",
    "report.md":
      "# Reproduction report\n\n![figure](nb/chart.svg)\n\nfiles: [chart.svg](nb/chart.svg) · [chart.json](nb/chart.json) · [chart.png](nb/chart.png)\n",
    "report.html": "<html>report</html>",
    "nb.html": "<html>nb</html>",
    "nb/table.md": TABLE,
    "nb/table.html":
      "<table><tr><th>method</th></tr><tr><td>adaptive</td></tr></table>",
    "nb/chart.svg":
      '<svg xmlns="http://www.w3.org/2000/svg"><text>0.9</text></svg>',
    "nb/chart.json": JSON.stringify({ data: { values: [{ x: 0.912 }] } }),
    "runs/nb/run-1/config.json": "{}",
    ".runner/nb.ts": `import "${repoRoot()}/lib/notebook/mod.ts";`,
    ...run.files,
  };
  for (const [f, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${f}`.replace(/\/[^/]*$/, ""), {
      recursive: true,
    });
    await Deno.writeTextFile(`${dir}/${f}`, text);
  }
  await Deno.writeFile(
    `${dir}/nb/chart.png`,
    new Uint8Array([137, 80, 78, 71]),
  );
}

const PUBLISHED = [
  "manifest.json",
  "nb.ipynb",
  "nb/chart.json",
  "nb/chart.svg",
  "nb/table.html",
  "nb/table.md",
  "report.md",
];

/** Every file under a folder with its text, for before/after comparison. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await listFiles(dir)) {
    out[f] = await Deno.readTextFile(`${dir}/${f}`);
  }
  return out;
}

/** The names in a folder (to see that no temporary sibling is left). */
const names = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("publishOutputs: the manifest, report.md, notebooks and text artefacts; no .png, runs/, .runner/ or HTML pages", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/out`);
    const r = await publishOutputs(`${dir}/out`, `${dir}/results/full`);
    assertEquals(r.files, PUBLISHED);
    assertEquals(r.skipped, ["nb/chart.png"]);
    assertEquals(r.profile, "full");
    assertEquals(r.replaced, false);
    assertEquals(await listFiles(`${dir}/results/full`), PUBLISHED);
    assertEquals(names(`${dir}/results`), ["full"]);
    // Notebooks and artefacts byte for byte.
    for (const f of ["nb.ipynb", "nb/table.md", "nb/chart.svg"]) {
      assertEquals(
        await Deno.readTextFile(`${dir}/results/full/${f}`),
        await Deno.readTextFile(`${dir}/out/${f}`),
      );
    }
    // The manifest without per-cell timings, notebook ms rounded.
    const m = JSON.parse(
      await Deno.readTextFile(`${dir}/results/full/manifest.json`),
    );
    assertEquals(m.notebooks[0].cells, [{ id: "table" }, { id: "chart" }]);
    assertEquals(m.notebooks[0].ms, 1235);
    assertEquals(m.finishedAt, "2026-01-02T03:04:05.678Z");
    assertEquals(m.notebooks[0].files, ARTEFACTS);
    // report.md links only what is published.
    assertEquals(
      await Deno.readTextFile(`${dir}/results/full/report.md`),
      "# Reproduction report\n\n![figure](nb/chart.svg)\n\nfiles: [chart.svg](nb/chart.svg) · [chart.json](nb/chart.json)\n",
    );
    // The bytes counted are the bytes written.
    let bytes = 0;
    for (const f of PUBLISHED) {
      bytes += (await Deno.stat(`${dir}/results/full/${f}`)).size;
    }
    assertEquals(r.bytes, bytes);
  });
});

Deno.test("publishOutputs: check finds no difference between the published folder and the run, and the moved number after a change", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/out`);
    await publishOutputs(`${dir}/out`, `${dir}/full`);
    const c = await compareOutputs(`${dir}/full`, `${dir}/out`);
    assertEquals(c.differences, []);
    assertTrue(c.compared >= 5, `${c.compared} numbers compared`);
    await writeRun(`${dir}/fresh`, {
      files: { "nb/table.md": TABLE.replace("0.874", "0.881") },
    });
    const d = await compareOutputs(`${dir}/full`, `${dir}/fresh`);
    assertEquals(d.compared, c.compared);
    assertEquals(
      d.differences.map((x) => [x.location, x.baseline, x.fresh]),
      [['table.md row "fixed" / column "recall@10"', 0.874, 0.881]],
    );
  });
});

Deno.test("publishOutputs: refuses a folder without a manifest, a failed run, and notebooks not from this run", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await Deno.mkdir(`${dir}/empty`);
    await assertRejects(
      () => publishOutputs(`${dir}/empty`, `${dir}/full`),
      PublishError,
      `output folder ${dir}/empty has no manifest.json`,
    );
    await writeRun(`${dir}/failed`, { ok: false });
    await assertRejects(
      () => publishOutputs(`${dir}/failed`, `${dir}/full`),
      PublishError,
      `output folder ${dir}/failed: its manifest.json says the run failed (ok: false: notebook nb.ipynb failed in cell 'chart')`,
    );
    await writeRun(`${dir}/stale`, { status: "not run" });
    await assertRejects(
      () => publishOutputs(`${dir}/stale`, `${dir}/full`),
      PublishError,
      `output folder ${dir}/stale: the outputs of nb (not run) are not from this run's code`,
    );
    await writeRun(`${dir}/incomplete`);
    await Deno.remove(`${dir}/incomplete/nb/table.md`);
    await assertRejects(
      () => publishOutputs(`${dir}/incomplete`, `${dir}/full`),
      PublishError,
      `output folder ${dir}/incomplete is incomplete, missing: nb/table.md`,
    );
    // Nothing was written, not even the target.
    assertEquals(names(dir), ["empty", "failed", "incomplete", "stale"]);
    // force publishes a stale run on purpose.
    const r = await publishOutputs(`${dir}/stale`, `${dir}/full`, {
      force: true,
    });
    assertEquals(r.files, PUBLISHED);
  });
});

Deno.test("publishOutputs: a published full result is not replaced by a quick one unless forced; a full one replaces it", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/full_out`);
    await writeRun(`${dir}/quick_out`, {
      profile: "quick",
      files: { "nb/table.md": TABLE.replace("0.912", "0.5") },
    });
    await publishOutputs(`${dir}/full_out`, `${dir}/results/full`);
    const before = await snapshot(`${dir}/results/full`);
    await assertRejects(
      () => publishOutputs(`${dir}/quick_out`, `${dir}/results/full`),
      PublishError,
      `publish target ${dir}/results/full holds a published 'full' result; refusing to replace it with a 'quick' one (a result is never replaced by a lesser one)`,
    );
    assertEquals(await snapshot(`${dir}/results/full`), before);
    // A quick result may replace a quick one, and a full one a quick one.
    await publishOutputs(`${dir}/quick_out`, `${dir}/results/quick`);
    const r = await publishOutputs(`${dir}/quick_out`, `${dir}/results/quick`);
    assertEquals(r.replaced, true);
    await publishOutputs(`${dir}/full_out`, `${dir}/results/quick`);
    // force replaces full with quick; files the new run lacks are gone.
    await Deno.remove(`${dir}/quick_out/nb/table.html`);
    const m = JSON.parse(
      await Deno.readTextFile(`${dir}/quick_out/manifest.json`),
    );
    m.notebooks[0].files = ARTEFACTS.filter((a) => a !== "nb/table.html");
    await Deno.writeTextFile(
      `${dir}/quick_out/manifest.json`,
      JSON.stringify(m),
    );
    const f = await publishOutputs(`${dir}/quick_out`, `${dir}/results/full`, {
      force: true,
    });
    assertEquals(f.replaced, true);
    assertEquals(
      await listFiles(`${dir}/results/full`),
      PUBLISHED.filter((p) => p !== "nb/table.html"),
    );
    assertTrue(
      (await Deno.readTextFile(`${dir}/results/full/nb/table.md`)).includes(
        "0.5",
      ),
    );
    assertEquals(names(`${dir}/results`), ["full", "quick"]);
  });
});

Deno.test("publishOutputs: a result run with --seeds N is replaced only by one with at least N seeds unless forced", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/five`, { seedCount: 5 });
    await writeRun(`${dir}/three`, { seedCount: 3 });
    await writeRun(`${dir}/default`);
    await publishOutputs(`${dir}/five`, `${dir}/results/full`);
    const before = await snapshot(`${dir}/results/full`);
    await assertRejects(
      () => publishOutputs(`${dir}/three`, `${dir}/results/full`),
      PublishError,
      "run with --seeds 5; refusing to replace it with one run with --seeds 3",
    );
    await assertRejects(
      () => publishOutputs(`${dir}/default`, `${dir}/results/full`),
      PublishError,
      "with the profile's own seed count",
    );
    assertEquals(await snapshot(`${dir}/results/full`), before);
    assertEquals(
      (await publishOutputs(`${dir}/five`, `${dir}/results/full`)).replaced,
      true,
    );
    await publishOutputs(`${dir}/three`, `${dir}/results/full`, {
      force: true,
    });
    // Over a default-count result any explicit count is accepted.
    await publishOutputs(`${dir}/default`, `${dir}/results/other`);
    await publishOutputs(`${dir}/three`, `${dir}/results/other`);
  });
});

Deno.test("publishOutputs: refuses a target that is no earlier publish, or is, holds or lies inside the output folder", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/out`);
    await Deno.mkdir(`${dir}/docs`);
    await Deno.writeTextFile(`${dir}/docs/notes.md`, "mine");
    await assertRejects(
      () => publishOutputs(`${dir}/out`, `${dir}/docs`),
      PublishError,
      `publish target ${dir}/docs exists and has no manifest.json`,
    );
    assertEquals(await Deno.readTextFile(`${dir}/docs/notes.md`), "mine");
    await writeRun(`${dir}/other_out`);
    await assertRejects(
      () => publishOutputs(`${dir}/out`, `${dir}/other_out`),
      PublishError,
      `publish target ${dir}/other_out holds runs/ or .runner/`,
    );
    await publishOutputs(`${dir}/out`, `${dir}/full`);
    await Deno.writeTextFile(`${dir}/full/README.md`, "about these results");
    await assertRejects(
      () => publishOutputs(`${dir}/out`, `${dir}/full`),
      PublishError,
      `publish target ${dir}/full holds files a publish does not write (README.md)`,
    );
    for (
      const [target, relation] of [
        [`${dir}/out`, "is"],
        [`${dir}/out/published`, "is inside"],
        [dir, "contains"],
      ]
    ) {
      await assertRejects(
        () => publishOutputs(`${dir}/out`, target),
        PublishError,
        `publish target ${target}: refused, it ${relation} the output folder ${dir}/out`,
      );
    }
    // An empty folder is fine.
    await Deno.mkdir(`${dir}/fresh`);
    await publishOutputs(`${dir}/out`, `${dir}/fresh`);
    assertEquals(await listFiles(`${dir}/fresh`), PUBLISHED);
  });
});

Deno.test("publishOutputs: a machine path in a published file is refused, each file and line listed, and the previous publish is left intact", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/out`);
    await publishOutputs(`${dir}/out`, `${dir}/results/full`);
    const before = await snapshot(`${dir}/results/full`);
    const home = Deno.env.get("HOME")!;
    await writeRun(`${dir}/out`, {
      files: {
        "nb/table.md": `${TABLE}| run folder | ${dir}/out/runs/nb/run-1 |\n`,
        "nb/chart.json": JSON.stringify({ font: `${home}/.fonts/a.ttf` }),
        "report.md":
          "# Report\n\nsee /tmp/scratch/x and https://example.org/tmp/ok\n" +
          `lib at ${repoRoot()}/lib\n`,
      },
    });
    const err = await assertRejects(
      () => publishOutputs(`${dir}/out`, `${dir}/results/full`),
      PublishError,
      `output folder ${dir}/out: 4 line(s) of the files to publish name a machine path`,
    );
    const lines = err.message.split("\n").slice(1).map((l) =>
      l.trim().split(":")[0]
    );
    assertEquals(lines, [
      "nb/chart.json line 1",
      "nb/table.md line 5",
      "report.md line 3",
      "report.md line 4",
    ]);
    // The previous publish is as it was; no temporary folder is left.
    assertEquals(await snapshot(`${dir}/results/full`), before);
    assertEquals(names(`${dir}/results`), ["full"]);
    // Into a new folder: nothing is left, not even the parent it made.
    await assertRejects(
      () => publishOutputs(`${dir}/out`, `${dir}/new/full`),
      PublishError,
      "4 line(s)",
    );
    assertEquals(names(dir), ["out", "results"]);
  });
});

Deno.test("machinePathPatterns: folders at the start of a path only, not in URLs or words", () => {
  // Made-up home folders, built from pieces so that no user's path is
  // written out in the repository.
  const home = (user: string) => ["", "home", user].join("/");
  const patterns = machinePathPatterns({
    root: "/srv/clone/repo",
    folders: ["/data/out"],
    env: (n) => (n === "HOME" ? home("ann") : undefined),
  });
  const hits = (text: string) => findMachinePaths(text, patterns).length;
  for (
    const bad of [
      "at /srv/clone/repo/lib/x.ts",
      "datasets in /srv/clone/shared",
      "(/data/out)",
      `${home("ann")}/.cache`,
      home("bob"),
      "/Users/carol/x",
      "/tmp/x",
      "/mnt/disk/o",
      "see /var/folders/ab/T/o/x.md",
      '"/root/.deno"',
      "file:///x",
    ]
  ) assertEquals(hits(bad), 1, bad);
  for (
    const fine of [
      "https://example.org/tmp/x",
      "see out/runs/02/normal",
      "/data/outer",
      "τ=1/30 and 0.5/1",
      '<svg xmlns="http://www.w3.org/2000/svg">',
      "a/tmp/b",
    ]
  ) assertEquals(hits(fine), 0, fine);
});

Deno.test("dropUnpublishedLinks: only the files: lines' links to unpublished files go", () => {
  const report =
    "![figure](nb/a%20b.png)\n\nfiles: [a b.svg](nb/a%20b.svg) · [a b.png](nb/a%20b.png)\nfiles: [c.png](nb/c.png)\n";
  assertEquals(
    dropUnpublishedLinks(report, new Set(["nb/a b.png", "nb/c.png"])),
    "![figure](nb/a%20b.png)\n\nfiles: [a b.svg](nb/a%20b.svg)\nfiles: (none published)\n",
  );
});

Deno.test("reproduce --check PUBLISHED --against OUT: a published folder is a baseline", async () => {
  await withTempDir("publish_test_", async (dir) => {
    await writeRun(`${dir}/out`);
    await publishOutputs(`${dir}/out`, `${dir}/results/full`);
    const r = await reproduceCli([
      "--check",
      `${dir}/results/full`,
      "--against",
      `${dir}/out`,
    ]);
    assertEquals(r.code, 0, r.out);
    assertTrue(/^check: \d+ numbers compared, 0 differ/.test(r.out), r.out);
  });
});

Deno.test("reproduce --publish: refused before running inside lib/ or the notebooks, at the output folder, or over a full result with quick", async () => {
  await withTempDir("publish_test_", async (dir) => {
    const root = repoRoot();
    for (
      const [target, message] of [
        [`${root}/lib/results`, "is inside the source folder"],
        [`${root}/notebooks`, "is the source folder"],
        [root, "contains the source folder"],
      ]
    ) {
      const r = await reproduceCli([
        "--publish",
        target,
        "--out",
        `${dir}/out`,
      ]);
      assertEquals(r.code, 2, r.out);
      assertTrue(
        r.out.startsWith(`error: --publish ${target}: refused, it ${message}`),
        r.out,
      );
    }
    let r = await reproduceCli([
      "--publish",
      `${dir}/out/pub`,
      "--out",
      `${dir}/out`,
    ]);
    assertEquals(r.code, 2, r.out);
    assertTrue(r.out.includes("is inside the output folder"), r.out);
    await writeRun(`${dir}/out`);
    await publishOutputs(`${dir}/out`, `${dir}/full`);
    r = await reproduceCli([
      "--publish",
      `${dir}/full`,
      "--out",
      `${dir}/quick`,
    ]);
    assertEquals(r.code, 2, r.out);
    assertTrue(r.out.includes("refusing to replace it with a 'quick' one"));
    // Nothing ran: no quick output folder.
    assertEquals(names(dir), ["full", "out"]);
  });
});

Deno.test("reproduce arguments: --publish DIR, not with --against", () => {
  const p = parseReproduceArgs([
    "--profile",
    "full",
    "--publish",
    "results/full",
  ]);
  assertTrue(p.kind === "ok" && p.args.publish === "results/full");
  const q = parseReproduceArgs([
    "--check",
    "a",
    "--against",
    "b",
    "--publish",
    "c",
  ]);
  assertTrue(
    q.kind === "error" &&
      q.message.startsWith(
        "--publish publishes the output folder of this run; --against runs nothing",
      ),
  );
});

Deno.test({
  name:
    "reproduce --publish DIR: a real run is published, then checked against and re-published",
  // The runner starts this Deno binary (deno task test allows it).
  ignore: Deno.permissions.querySync({ name: "run", command: Deno.execPath() })
    .state !== "granted",
  async fn() {
    await withTempDir("publish_test_", async (dir) => {
      // Imported relatively, as the repository's notebooks do (a file URL
      // in a cell's source would be a machine path, and refused).
      await Deno.symlink(`${repoRoot()}/lib`, `${dir}/lib`);
      const code = `import { display, table } from "../lib/notebook/mod.ts";
await display(table([{ k: "x", v: 0.25 }]));`;
      await Deno.mkdir(`${dir}/notebooks`);
      await Deno.writeTextFile(
        `${dir}/notebooks/a.ipynb`,
        nbJson([codeCell("tbl", code)]),
      );
      const args = [
        "--notebooks",
        `${dir}/notebooks`,
        "--out",
        `${dir}/out`,
        "--skip-data",
        "--jobs",
        "1",
      ];
      let r = await reproduceCli([
        ...args,
        "--publish",
        `${dir}/results/quick`,
      ]);
      assertEquals(r.code, 0, r.out);
      assertTrue(r.out.includes("published 5 files"), r.out);
      assertEquals(await listFiles(`${dir}/results/quick`), [
        "a.ipynb",
        "a/tbl.html",
        "a/tbl.md",
        "manifest.json",
        "report.md",
      ]);
      // Unchanged: compared with the published result, then re-published.
      r = await reproduceCli([
        ...args,
        "--check",
        `${dir}/results/quick`,
        "--publish",
        `${dir}/results/quick`,
      ]);
      assertEquals(r.code, 0, r.out);
      assertTrue(/check: \d+ numbers compared, 0 differ/.test(r.out), r.out);
      assertEquals(names(`${dir}/results`), ["quick"]);
      // A machine path in a cell's source is found in the notebook and the
      // report, and the publish refused; the published folder stays.
      const before = await snapshot(`${dir}/results/quick`);
      await Deno.writeTextFile(
        `${dir}/notebooks/a.ipynb`,
        nbJson([codeCell("tbl", `${code}\n// ${dir}/notebooks`)]),
      );
      r = await reproduceCli([...args, "--publish", `${dir}/results/quick`]);
      assertEquals(r.code, 1, r.out);
      assertTrue(r.out.includes("2 line(s) of the files to publish"), r.out);
      assertTrue(r.out.includes("  a.ipynb line "), r.out);
      assertTrue(r.out.includes("  report.md line "), r.out);
      assertEquals(await snapshot(`${dir}/results/quick`), before);
    });
  },
});
