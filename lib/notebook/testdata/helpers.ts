/**
 * Helpers shared by the notebook tests: building small notebooks on the fly.
 *
 * @module
 */

import { assertTrue } from "../../testing.ts";
import { main } from "../reproduce.ts";

/** URL of `lib/notebook/mod.ts`, for notebooks written outside the repo. */
export const MOD_URL: string = new URL("../mod.ts", import.meta.url).href;

/** Path of a fixture notebook in this folder. */
export function fixture(name: string): string {
  return decodeURIComponent(new URL(`./${name}`, import.meta.url).pathname);
}

/** Minimal notebook JSON (nbformat 4.5, deno kernel) with the given cells. */
export function nbJson(cells: Record<string, unknown>[], minor = 5): string {
  return JSON.stringify(
    {
      cells: cells.map((c) => ({
        metadata: {},
        source: "",
        ...(c.cell_type === "code"
          ? { outputs: [], execution_count: null }
          : {}),
        ...c,
      })),
      metadata: { kernelspec: { name: "deno", display_name: "Deno" } },
      nbformat: 4,
      nbformat_minor: minor,
    },
    null,
    1,
  );
}

/** Code-cell shorthand for {@link nbJson}. */
export function codeCell(id: string, source: string): Record<string, unknown> {
  return { cell_type: "code", id, source };
}

/**
 * Whether this test process may start this Deno binary (the runner's child
 * processes). Asked per command: the test task scopes `--allow-run`, so the
 * unscoped query says "prompt" even where the runner may start Deno.
 */
export const CAN_RUN: boolean =
  Deno.permissions.querySync({ name: "run", command: Deno.execPath() })
    .state === "granted";

/** Every `id="…"` in an HTML page. */
export function anchors(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
}

/**
 * Checks that every `<page>.html#<id>` link in the index names a page in
 * `pages` holding that anchor; returns the number of links checked.
 */
export function checkIndexLinks(
  index: string,
  pages: Record<string, string>,
): number {
  let n = 0;
  for (const m of index.matchAll(/href="([^"#]+\.html)#([^"]+)"/g)) {
    const page = pages[m[1]];
    assertTrue(page !== undefined, `index links to missing page ${m[1]}`);
    assertTrue(anchors(page).has(m[2]), `${m[1]} has no anchor #${m[2]}`);
    n++;
  }
  return n;
}

/**
 * The published text outputs of a `reproduce` output folder: the executed
 * notebooks, their report pages, `report.md`, `report.html`,
 * `manifest.json` and every text artefact under `<out>/<notebook>/`
 * (not the run folders, nor the runner's own scratch files).
 */
export function publishedTextFiles(
  out: string,
  notebooks: readonly string[],
): string[] {
  const files = ["report.md", "report.html", "manifest.json"].map((f) =>
    `${out}/${f}`
  );
  for (const name of notebooks) {
    files.push(`${out}/${name}.ipynb`, `${out}/${name}.html`);
    try {
      for (const e of Deno.readDirSync(`${out}/${name}`)) {
        if (e.isFile && /\.(md|html|json|svg|txt|csv)$/.test(e.name)) {
          files.push(`${out}/${name}/${e.name}`);
        }
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const present: string[] = [];
  for (const f of files) {
    try {
      if (Deno.statSync(f).isFile) present.push(f);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return present.sort();
}

/** Runs reproduce's `main` with its console output captured. */
export async function reproduceCli(
  args: string[],
): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await main(args), out: lines.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}
