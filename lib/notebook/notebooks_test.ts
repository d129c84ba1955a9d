/**
 * The package's own notebooks, executed for real: headless in the quick
 * profile, then through Jupyter with the Deno kernel. Training runs are
 * cached under `<out>/runs/` by config hash, so the Jupyter pass (same
 * output folder) reuses them.
 */

import { assertEquals, assertTrue, underCi } from "../testing.ts";
import { repoRoot } from "./context.ts";
import { findJupyter, lateLogCells } from "./jupyter.ts";
import { generateModule } from "./codegen.ts";
import { joinSource, readNotebook } from "./notebook.ts";
import { findMachinePaths, machinePathPatterns } from "./publish.ts";
import { reproduce, type ReproduceResult } from "./reproduce.ts";
import {
  anchors,
  CAN_RUN,
  checkIndexLinks,
  publishedTextFiles,
} from "./testdata/helpers.ts";

const ROOT = repoRoot();
const NOTEBOOKS = `${ROOT}/notebooks`;
const OUT = Deno.makeTempDirSync({ prefix: "notebooks_test_" });
// The output folder holds every quick run (over 1 GB): removed once the
// last test that reads it passed, kept after a failure for inspection.
const removeOut = () => Deno.removeSync(OUT, { recursive: true });

function notebookNames(): string[] {
  return [...Deno.readDirSync(NOTEBOOKS)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => e.name.replace(/\.ipynb$/, ""))
    .sort();
}

async function sourceHashes(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of notebookNames()) {
    out[name] = await Deno.readTextFile(`${NOTEBOOKS}/${name}.ipynb`);
  }
  return out;
}

let headless: ReproduceResult | undefined;

Deno.test({
  name:
    "every notebook type-checks (its cells as the module the runner builds)",
  ignore: !CAN_RUN,
  async fn() {
    // The runner executes without type checking; a wrong import or a
    // changed lib signature should fail here, not halfway through a run.
    const dir = await Deno.makeTempDir({ prefix: "notebooks_check_" });
    try {
      const files: string[] = [];
      for (const name of notebookNames()) {
        const nb = await readNotebook(`${NOTEBOOKS}/${name}.ipynb`);
        const gen = generateModule(nb.cells, {
          notebook: `${name}.ipynb`,
          notebookDir: NOTEBOOKS,
          runtimeUrl: new URL("./runtime.ts", import.meta.url).href,
        });
        files.push(`${dir}/${name}.ts`);
        await Deno.writeTextFile(files[files.length - 1], gen.source);
      }
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--config", `${ROOT}/deno.json`, ...files],
        env: { NO_COLOR: "1" },
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 0, err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("no notebook cell logs after its last display (Jupyter can drop it)", async () => {
  const late: string[] = [];
  for (const name of notebookNames()) {
    const nb = await readNotebook(`${NOTEBOOKS}/${name}.ipynb`);
    late.push(...lateLogCells(nb).map((id) => `${name}#${id}`));
  }
  assertEquals(late, []);
});

Deno.test({
  name: "every notebook executes headless in the quick profile",
  ignore: !CAN_RUN,
  async fn() {
    const before = await sourceHashes();
    headless = await reproduce({
      out: OUT,
      profile: "quick",
      force: true,
      log: () => {},
    });
    assertTrue(headless.ok, headless.failure);
    // Without the real datasets the notebooks still run (on the synthetic
    // catalogues); say so, and under CI, where they are always there, fail.
    const skipped = headless.realDatasets.filter((d) => d.status === "skipped")
      .map((d) => d.name);
    if (skipped.length > 0) {
      const line = `notebooks ran without the real datasets ${
        skipped.join(", ")
      } (files not found; see README, Data)`;
      assertTrue(!underCi(), `under CI: ${line}`);
      console.warn(line);
    }
    assertEquals(
      headless.notebooks.map((n) => n.name),
      notebookNames(),
    );
    const pages: Record<string, string> = {};
    for (const name of notebookNames()) {
      const source = await readNotebook(`${NOTEBOOKS}/${name}.ipynb`);
      const executed = await readNotebook(`${OUT}/${name}.ipynb`);
      const ids = source.cells.map((c) => c.id);
      assertEquals(new Set(ids).size, ids.length, `${name}: duplicate ids`);
      assertEquals(executed.cells.map((c) => c.id), ids, `${name}: ids`);
      for (const cell of executed.cells) {
        if (cell.cell_type !== "code") continue;
        const where = `${name}.ipynb#${cell.id}`;
        assertTrue(typeof cell.execution_count === "number", `${where} ran`);
        if (/\bdisplay\s*\(/.test(joinSource(cell.source))) {
          assertTrue(
            (cell.outputs ?? []).some((o) => o.output_type === "display_data"),
            `${where} displays nothing`,
          );
        }
      }
      const page = await Deno.readTextFile(`${OUT}/${name}.html`);
      const found = anchors(page);
      for (const id of ids) assertTrue(found.has(id), `${name}.html#${id}`);
      pages[`${name}.html`] = page;
    }
    const index = await Deno.readTextFile(`${OUT}/report.html`);
    assertTrue(checkIndexLinks(index, pages) >= notebookNames().length);
    // Executing never rewrites the notebooks (ids are permalinks).
    assertEquals(await sourceHashes(), before);
    // Published outputs name no machine path: not the output folder, not
    // the checkout, not any other absolute location: publish's own scan.
    const patterns = machinePathPatterns({ root: ROOT, folders: [OUT] });
    const leaks: string[] = [];
    for (const file of publishedTextFiles(OUT, notebookNames())) {
      const text = await Deno.readTextFile(file);
      for (const p of findMachinePaths(text, patterns)) {
        leaks.push(`${file.slice(OUT.length + 1)}: ${p}`);
      }
    }
    assertEquals(leaks, [], "machine paths in outputs:\n" + leaks.join("\n"));
    if (jupyter === null) removeOut();
  },
});

const jupyter = CAN_RUN ? await findJupyter() : null;

Deno.test({
  name: "the same notebooks execute through Jupyter with the Deno kernel",
  ignore: jupyter === null,
  async fn() {
    assertTrue(headless?.ok, "the headless run must pass first");
    const r = await reproduce({
      out: OUT,
      profile: "quick",
      skipData: true,
      jupyter: true,
      log: () => {},
    });
    assertTrue(r.ok, r.failure);
    assertEquals(r.jupyter?.map((j) => j.name), notebookNames());
    // No retry: display() waits until the kernel has published each output
    // (docs/jupyter.md), so a missing output is a bug, not a flake.
    for (const run of r.jupyter ?? []) {
      assertEquals(run.check.unexecuted, [], `${run.name}: cells not run`);
      assertEquals(run.check.errors, [], `${run.name}: errors`);
      assertEquals(run.check.missing, [], `${run.name}: outputs missing`);
    }
    removeOut();
  },
});
