import { assertEquals, assertRejects, assertTrue } from "../testing.ts";
import { importMapVersions, sha256 } from "./hash.ts";
import { readNotebook } from "./notebook.ts";
import {
  prepareData,
  realDatasetNotes,
  reproduce,
  ReproduceError,
  type ReproduceOptions,
} from "./reproduce.ts";
import {
  DATASETS_ENV,
  pathExists,
  realSourceStatus,
  WORDNET_SYSTEM_DIR,
} from "../data/mod.ts";
import { repoRoot } from "./context.ts";
import {
  anchors,
  checkIndexLinks,
  codeCell,
  fixture,
  MOD_URL,
  nbJson,
} from "./testdata/helpers.ts";

/** Whether this process may start `command` (the test task scopes --allow-run). */
function mayRun(command: string): boolean {
  return Deno.permissions.querySync({ name: "run", command }).state ===
    "granted";
}

// The runner starts this Deno binary (deno task test allows it).
const ignore = !mayRun(Deno.execPath());
const IMPORT = `import { display, md, table } from ${
  JSON.stringify(MOD_URL)
};\n`;

function notebookA(): string {
  return nbJson([
    { cell_type: "markdown", id: "title", source: "# Notebook A" },
    codeCell("data", `${IMPORT}const rows = [{ k: "x", v: 1 }];`),
    codeCell("tbl", `${IMPORT}await display(table(rows));`),
  ]);
}

function notebookB(extra = ""): string {
  return nbJson([
    { cell_type: "markdown", id: "title", source: "# Notebook B" },
    codeCell("say", `${IMPORT}await display(md("b"));${extra}`),
  ]);
}

/**
 * A temporary folder whose `notebooks/` holds `files` (notebook name →
 * JSON), written in that order; returns the folder and `notebooks/`.
 */
async function notebooksFolder(
  files: Record<string, string>,
): Promise<{ dir: string; nbDir: string }> {
  const dir = await Deno.makeTempDir();
  const nbDir = `${dir}/notebooks`;
  await Deno.mkdir(nbDir);
  for (const [name, json] of Object.entries(files)) {
    await Deno.writeTextFile(`${nbDir}/${name}.ipynb`, json);
  }
  return { dir, nbDir };
}

Deno.test({
  name:
    "reproduce: runs notebooks, writes report/manifest, skips unchanged, re-runs changed",
  ignore,
  async fn() {
    const { dir, nbDir } = await notebooksFolder({
      a: notebookA(),
      b: notebookB(),
    });
    const out = `${dir}/out`;
    const lines: string[] = [];
    const opts: ReproduceOptions = {
      notebooks: nbDir,
      out,
      skipData: true,
      seed: 3,
      log: (l) => lines.push(l),
    };
    const statuses = async (o: Partial<ReproduceOptions> = {}) => {
      const r = await reproduce({ ...opts, ...o });
      assertTrue(r.ok, r.failure);
      return r.notebooks.map((n) => `${n.name}:${n.status}`);
    };
    try {
      assertEquals(await statuses(), ["a:ran", "b:ran"]);

      // Outputs: executed notebooks, artefacts, report pages, manifest.
      const a = await readNotebook(`${out}/a.ipynb`);
      assertEquals(a.cells.map((c) => c.id), ["title", "data", "tbl"]);
      assertEquals(
        await Deno.readTextFile(`${out}/a/tbl.md`),
        "| k | v |\n| --- | ---: |\n| x | 1 |\n",
      );
      const index = await Deno.readTextFile(`${out}/report.html`);
      const pages = {
        "a.html": await Deno.readTextFile(`${out}/a.html`),
        "b.html": await Deno.readTextFile(`${out}/b.html`),
      };
      assertTrue(checkIndexLinks(index, pages) >= 4);
      for (const id of ["title", "data", "tbl"]) {
        assertTrue(anchors(pages["a.html"]).has(id), id);
      }
      const md = await Deno.readTextFile(`${out}/report.md`);
      for (
        const id of ["a--title", "a--data", "a--tbl", "b--title", "b--say"]
      ) {
        assertTrue(md.includes(`<a id="${id}"></a>`), id);
      }
      const manifest = JSON.parse(
        await Deno.readTextFile(`${out}/manifest.json`),
      );
      assertEquals([manifest.profile, manifest.seed], ["quick", 3]);
      assertEquals(manifest.versions.deno, Deno.version.deno);
      assertEquals(manifest.versions.npm, await importMapVersions(repoRoot()));
      assertTrue(typeof manifest.backend.name === "string");
      assertTrue(typeof manifest.inputs.lib === "string");
      const ma = manifest.notebooks[0];
      assertEquals(
        ma.input,
        await sha256(await Deno.readFile(`${nbDir}/a.ipynb`)),
      );
      assertEquals(ma.cells.map((c: { id: string }) => c.id), ["data", "tbl"]);
      assertTrue(ma.cells.every((c: { ms: number }) => c.ms >= 0));
      assertEquals(ma.files, ["a/tbl.md", "a/tbl.html"]);

      // Unchanged → skipped; executed notebook untouched.
      const before = (await Deno.stat(`${out}/a.ipynb`)).mtime?.getTime();
      assertEquals(await statuses(), ["a:unchanged", "b:unchanged"]);
      assertEquals(
        (await Deno.stat(`${out}/a.ipynb`)).mtime?.getTime(),
        before,
      );
      assertTrue(lines.some((l) => l.startsWith("notebook a: unchanged")));

      // A changed notebook re-runs; the other is still skipped.
      await Deno.writeTextFile(
        `${nbDir}/b.ipynb`,
        notebookB('\nconsole.log("changed");'),
      );
      assertEquals(await statuses(), ["a:unchanged", "b:ran"]);
      // A different seed changes every key; --force runs regardless.
      assertEquals(await statuses({ seed: 4 }), ["a:ran", "b:ran"]);
      assertEquals(await statuses({ seed: 4, force: true }), [
        "a:ran",
        "b:ran",
      ]);
      // A missing artefact makes the outputs incomplete.
      await Deno.remove(`${out}/a/tbl.md`);
      assertEquals(await statuses({ seed: 4 }), ["a:ran", "b:unchanged"]);
      // --only: the other notebook keeps its (up-to-date) outputs.
      assertEquals(
        await statuses({ seed: 4, only: ["b"], force: true }),
        ["a:unchanged", "b:ran"],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function cli(args: string[], perms: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...perms,
      new URL("./reproduce.ts", import.meta.url).pathname,
      ...args,
    ],
    env: { NO_COLOR: "1" },
  }).output();
  return { code: r.code, stderr: new TextDecoder().decode(r.stderr) };
}

const PERMS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
];

Deno.test({
  name:
    "reproduce CLI: a failing cell exits non-zero naming notebook and cell; --allow-run required",
  ignore,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const nbDir = fixture("");
      const common = ["--notebooks", nbDir, "--out", out, "--skip-data"];
      let r = await cli([...common, "--only", "failing"], [
        ...PERMS,
        "--allow-run",
      ]);
      assertEquals(r.code, 1);
      assertTrue(
        r.stderr.includes(
          "error: notebook failing.ipynb failed in cell 'boom' (index 1): RangeError: bad value 3",
        ),
        r.stderr,
      );
      r = await cli([...common, "--only", "nope"], [...PERMS, "--allow-run"]);
      assertEquals(r.code, 1);
      assertTrue(
        r.stderr.includes("--only: no notebook named 'nope'"),
        r.stderr,
      );
      r = await cli(common, PERMS);
      assertEquals(r.code, 1);
      assertTrue(r.stderr.includes("--allow-run"), r.stderr);
      r = await cli(["--profile", "huge"], PERMS);
      assertEquals(r.code, 2);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

// A notebook whose one cell waits `ms`, with scheduling metadata.
function sleeper(ms: number, meta?: Record<string, unknown>): string {
  const nb = JSON.parse(nbJson([
    codeCell("wait", `await new Promise((r) => setTimeout(r, ${ms}));`),
  ]));
  if (meta) nb.metadata.adaptive_retrieval = meta;
  return JSON.stringify(nb, null, 1);
}

Deno.test({
  name:
    "reproduce --jobs: notebooks run side by side; `after` waits, `threads` reserves cores",
  ignore,
  async fn() {
    // a is slow; b runs next to it; c must wait for a; d takes both slots.
    const { dir, nbDir } = await notebooksFolder({
      a: sleeper(1500),
      b: sleeper(10),
      c: sleeper(10, { after: ["a"] }),
      d: sleeper(10, { threads: 2 }),
    });
    const lines: string[] = [];
    try {
      const r = await reproduce({
        notebooks: nbDir,
        out: `${dir}/out`,
        skipData: true,
        jobs: 2,
        log: (l) => lines.push(l),
      });
      assertTrue(r.ok, r.failure);
      assertEquals(r.notebooks.map((n) => `${n.name}:${n.status}`), [
        "a:ran",
        "b:ran",
        "c:ran",
        "d:ran",
      ]);
      const at = (prefix: string) => {
        const i = lines.findIndex((l) => l.startsWith(prefix));
        assertTrue(i >= 0, `no line '${prefix}' in\n${lines.join("\n")}`);
        return i;
      };
      // b started and finished while a was still running.
      assertTrue(at("notebook b: ok") < at("notebook a: ok"), lines.join("\n"));
      // c started only after a; d only when no other notebook ran.
      assertTrue(at("notebook c: running") > at("notebook a: ok"));
      assertTrue(at("notebook d: running") > at("notebook b: ok"));
      assertTrue(at("notebook d: running") > at("notebook a: ok"));
      // Cell lines name their notebook when several run at once.
      assertTrue(lines.some((l) => l.startsWith("  [a 1/1] wait")));

      await Deno.writeTextFile(
        `${nbDir}/b.ipynb`,
        sleeper(10, { after: ["c"] }),
      );
      await assertRejects(
        () =>
          reproduce({
            notebooks: nbDir,
            out: `${dir}/out`,
            skipData: true,
            log: () => {},
          }),
        ReproduceError,
        "metadata.adaptive_retrieval.after must list notebooks of the folder that come before it",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("reproduce refuses an --out that is, contains or is inside the notebooks or lib/", async () => {
  const root = repoRoot();
  const dir = await Deno.makeTempDir({ prefix: "reproduce_out_" });
  try {
    await Deno.symlink(`${root}/notebooks`, `${dir}/link`);
    const cases: [string, string][] = [
      [`${root}/notebooks`, "is the source folder"],
      [`${root}/notebooks/`, "is the source folder"],
      [`${root}/notebooks/../notebooks`, "is the source folder"],
      [root, "contains the source folder"],
      [`${root}/lib`, `is the source folder ${root}/lib`],
      [`${root}/lib/new`, "is inside the source folder"],
      [`${root}/notebooks/run`, "is inside the source folder"],
      [`${dir}/link`, "is the source folder"],
      ["/", "contains the source folder"],
    ];
    for (const [out, message] of cases) {
      await assertRejects(
        () => reproduce({ out, log: () => {} }),
        ReproduceError,
        message,
      );
    }
    // Nothing was written: the refusal comes before any work.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["link"]);
    assertEquals(
      [...Deno.readDirSync(`${root}/notebooks`)].filter((e) =>
        !e.name.endsWith(".ipynb")
      ),
      [],
    );
    // The repository's notebooks are protected whatever --notebooks says.
    await assertRejects(
      () =>
        reproduce({
          out: `${root}/notebooks`,
          notebooks: `${dir}/none`,
          skipData: true,
          log: () => {},
        }),
      ReproduceError,
      "is the source folder",
    );
    // The CLI says so and exits 1 (a temporary folder, in case it did not).
    await Deno.mkdir(`${dir}/nb`);
    const r = await cli(
      ["--out", `${dir}/nb`, "--notebooks", `${dir}/nb`, "--skip-data"],
      PERMS,
    );
    assertEquals(r.code, 1);
    assertTrue(
      r.stderr.includes(
        `error: --out ${dir}/nb: refused, it is the source folder ${dir}/nb;`,
      ),
      r.stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareData: without real source files, synthetic is built and each real dataset skipped with one line naming the command", async () => {
  const root = await Deno.makeTempDir({ prefix: "reproduce_data_" });
  const saved = Deno.env.get(DATASETS_ENV);
  Deno.env.set(DATASETS_ENV, `${root}/none`);
  try {
    const lines: string[] = [];
    const statuses = await prepareData(root, {
      profile: "quick",
      seed: 1,
      log: (l) => lines.push(l),
    });
    assertTrue(await pathExists(`${root}/data/synthetic-quick/items.arrow`));
    // WordNet's source is a system package: built where it is installed.
    const wordnet = (await realSourceStatus("wordnet")).present
      ? "built"
      : "skipped";
    assertEquals(
      statuses.map((s) => `${s.name}:${s.status}`),
      [
        "wands:skipped",
        "scifact:skipped",
        "movielens:skipped",
        `wordnet:${wordnet}`,
      ],
    );
    for (const name of ["wands", "scifact", "movielens"]) {
      const mine = lines.filter((l) => l.startsWith(`data ${name}:`));
      assertEquals(mine.length, 1, lines.join("\n"));
      assertTrue(
        mine[0].startsWith(
          `data ${name}: SKIPPED, the notebooks run without it: source folder ${root}/none/`,
        ),
        mine[0],
      );
      assertTrue(mine[0].includes(`\`deno task download ${name}\``));
    }
    const notes = realDatasetNotes(statuses);
    assertEquals(
      notes[0],
      wordnet === "built"
        ? "Real datasets the notebooks ran on: wordnet; not on wands, scifact, movielens, which every table and verdict leaves out."
        : "Real datasets the notebooks ran on: none; not on wands, scifact, movielens, wordnet, which every table and verdict leaves out.",
    );
    assertTrue(notes[1].startsWith("Skipped wands: source folder"), notes[1]);

    // --skip-data: only looks at data/; an earlier build counts.
    await Deno.mkdir(`${root}/data/scifact`);
    await Deno.copyFile(
      `${root}/data/synthetic-quick/items.arrow`,
      `${root}/data/scifact/items.arrow`,
    );
    const kept = await prepareData(root, {
      profile: "quick",
      seed: 1,
      skipData: true,
      log: () => {},
    });
    assertEquals(
      kept.map((s) => `${s.name}:${s.status}`),
      [
        "wands:skipped",
        "scifact:present",
        "movielens:skipped",
        `wordnet:${wordnet === "built" ? "present" : "skipped"}`,
      ],
    );
    assertTrue(
      kept[0].reason.startsWith(
        `wands: \`${root}/data/wands\` has not been built`,
      ),
      kept[0].reason,
    );
    assertEquals(
      realDatasetNotes(kept)[0],
      wordnet === "built"
        ? "Real datasets the notebooks ran on: scifact, wordnet; not on wands, movielens, which every table and verdict leaves out."
        : "Real datasets the notebooks ran on: scifact; not on wands, movielens, wordnet, which every table and verdict leaves out.",
    );
    // A rebuild without files keeps that earlier build and says so.
    const earlier = await prepareData(root, {
      profile: "quick",
      seed: 1,
      log: () => {},
    });
    assertEquals(earlier[1].status, "earlier");
    assertTrue(
      earlier[1].reason.startsWith(
        `scifact: using the earlier build in ${root}/data/scifact`,
      ),
      earlier[1].reason,
    );
  } finally {
    if (saved === undefined) Deno.env.delete(DATASETS_ENV);
    else Deno.env.set(DATASETS_ENV, saved);
    await Deno.remove(root, { recursive: true });
  }
});

// The fresh-clone check: the repository's files copied into an empty
// temporary folder (so nothing is beside the copy, as in a user's first
// clone), $ADAPTIVE_RETRIEVAL_DATASETS unset, and `deno task reproduce` run
// there on one notebook that uses a real dataset. 05c is the cheapest such
// notebook (about a minute). The full quick reproduce in a fresh clone takes
// minutes more and is run by hand (README).
const FRESH_NOTEBOOK = "05c_baseline_adap_tau";

/** The repository's files as a clone has them, or why they cannot be listed. */
async function repoFiles(): Promise<string[] | string> {
  if (!mayRun(Deno.execPath()) || !mayRun("git")) {
    return "needs --allow-run for this Deno binary and git";
  }
  try {
    const r = await new Deno.Command("git", {
      args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      cwd: repoRoot(),
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (r.code !== 0) {
      return `git ls-files failed: ${new TextDecoder().decode(r.stderr)}`;
    }
    return new TextDecoder().decode(r.stdout).split("\0").filter((f) => f);
  } catch (err) {
    return `git is not available (${(err as Error).message})`;
  }
}

const FILES = await repoFiles();

Deno.test({
  name:
    `reproduce in a fresh copy with no datasets beside it runs ${FRESH_NOTEBOOK} to the end and names the skipped datasets` +
    (typeof FILES === "string" ? ` [skipped: ${FILES}]` : ""),
  ignore: typeof FILES === "string",
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "fresh_clone_" });
    const clone = `${tmp}/clone`;
    try {
      // Working-tree files (uncommitted work included), not a `git clone`,
      // so a change is tested before it is committed.
      for (const f of FILES as string[]) {
        const from = `${repoRoot()}/${f}`;
        if (!(await pathExists(from))) continue; // deleted, not committed
        await Deno.mkdir(`${clone}/${f}`.replace(/\/[^/]*$/, ""), {
          recursive: true,
        });
        await Deno.copyFile(from, `${clone}/${f}`);
      }
      const env = Deno.env.toObject();
      delete env[DATASETS_ENV];
      env.NO_COLOR = "1";
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "task",
          "reproduce",
          "--profile",
          "quick",
          "--only",
          FRESH_NOTEBOOK,
        ],
        cwd: clone,
        clearEnv: true,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(r.stdout);
      const all = `${stdout}\n${new TextDecoder().decode(r.stderr)}`;
      assertEquals(r.code, 0, all);

      const names = ["wands", "scifact", "movielens"];
      for (const name of names) {
        // One line each, naming the folder looked at and the command.
        const lines = stdout.split("\n").filter((l) =>
          l.startsWith(`data ${name}: SKIPPED`)
        );
        assertEquals(lines.length, 1, all);
        assertTrue(lines[0].includes(`${tmp}/shared/datasets/`), lines[0]);
        assertTrue(
          lines[0].includes(`\`deno task download ${name}\``),
          lines[0],
        );
      }
      const out = `${clone}/out`;
      const md = await Deno.readTextFile(`${out}/report.md`);
      // WordNet's source is a system package, not a folder beside the
      // clone: built wherever it is installed (as under CI).
      const wordnet = await pathExists(`${WORDNET_SYSTEM_DIR}/data.noun`);
      assertTrue(
        md.includes(
          wordnet
            ? "- Real datasets the notebooks ran on: wordnet; not on wands, scifact, movielens, which"
            : "- Real datasets the notebooks ran on: none; not on wands, scifact, movielens, wordnet, which",
        ),
        md.slice(0, 2000),
      );
      const html = await Deno.readTextFile(`${out}/report.html`);
      for (const name of names) {
        assertTrue(md.includes(`- Skipped ${name}: source folder`), name);
        assertTrue(html.includes(`Skipped ${name}: source folder`), name);
      }
      const manifest = JSON.parse(
        await Deno.readTextFile(`${out}/manifest.json`),
      );
      assertEquals(manifest.ok, true);
      assertEquals(
        manifest.realDatasets.map((d: { name: string; status: string }) =>
          `${d.name}:${d.status}`
        ),
        [
          ...names.map((n) => `${n}:skipped`),
          `wordnet:${wordnet ? "built" : "skipped"}`,
        ],
      );
      // The notebook ran to its end and says why its SciFact part is empty.
      const nb = await readNotebook(`${out}/${FRESH_NOTEBOOK}.ipynb`);
      const code = nb.cells.filter((c) => c.cell_type === "code");
      assertTrue(code.every((c) => typeof c.execution_count === "number"));
      const text = JSON.stringify(nb.cells.map((c) => c.outputs ?? []));
      assertTrue(text.includes("Not available, so this section does not run"));
      assertTrue(text.includes("deno task download scifact"));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
