/**
 * The layer map in lib/README.md is the one the imports draw. From every
 * `.ts` file under lib/ (tests included) the folder-level import graph is
 * derived (relative `import`/`export … from` specifiers and dynamic
 * `import()`s that name an existing file) and checked:
 *
 * - it equals the map in lib/README.md (the fenced block under "## Layers",
 *   one `folder → folders it imports` line per folder), so neither can
 *   drift from the other;
 * - the folders form no cycle (layers import only downward);
 * - every import of another folder goes through that folder's `mod.ts`;
 * - the notebooks' code cells import lib/ only through `mod.ts` files.
 *
 * Files directly in lib/ (`testing.ts` and the repository-wide tests) are
 * not a layer; their imports are checked for the `mod.ts` rule only.
 *
 * @module
 */

import { assertEquals, assertTrue } from "./testing.ts";

const LIB = new URL("./", import.meta.url);
const LIB_PATH = decodeURIComponent(LIB.pathname);
const ROOT = "(lib)";

/** Every `.ts` file under lib/, as paths relative to lib/. */
async function sourceFiles(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, LIB))) {
    const rel = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await sourceFiles(`${rel}/`));
    else if (e.isFile && e.name.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

const STATIC =
  /^[ \t]*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|^[ \t]*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Relative specifiers of a source text's imports and re-exports. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(STATIC)) out.push(m[1] ?? m[2]);
  for (const m of text.matchAll(DYNAMIC)) out.push(m[1]);
  return out.filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/** The layer (top folder under lib/) of a lib-relative path. */
function folderOf(rel: string): string {
  const i = rel.indexOf("/");
  return i < 0 ? ROOT : rel.slice(0, i);
}

async function exists(url: URL): Promise<boolean> {
  try {
    return (await Deno.stat(url)).isFile;
  } catch {
    return false;
  }
}

interface Graph {
  /** Folder → the other folders it imports. */
  edges: Map<string, Set<string>>;
  /** Imports of another folder that do not name its mod.ts. */
  bypassing: string[];
}

async function importGraph(): Promise<Graph> {
  const edges = new Map<string, Set<string>>();
  const bypassing: string[] = [];
  for (const rel of await sourceFiles()) {
    const from = folderOf(rel);
    if (from !== ROOT && !edges.has(from)) edges.set(from, new Set());
    const file = new URL(rel, LIB);
    for (const spec of specifiers(await Deno.readTextFile(file))) {
      const target = new URL(spec, file);
      // Example code in strings and comments names files that do not exist.
      if (!(await exists(target))) continue;
      const path = decodeURIComponent(target.pathname);
      if (!path.startsWith(LIB_PATH)) continue;
      const to = folderOf(path.slice(LIB_PATH.length));
      if (to === from || to === ROOT) continue;
      if (from !== ROOT) edges.get(from)!.add(to);
      if (path.slice(LIB_PATH.length) !== `${to}/mod.ts`) {
        bypassing.push(`lib/${rel} imports ${spec}`);
      }
    }
  }
  return { edges, bypassing };
}

/** The map of lib/README.md: folder → the folders it imports. */
async function readmeMap(): Promise<Map<string, Set<string>>> {
  const text = await Deno.readTextFile(new URL("README.md", LIB));
  const section = text.split(/^## Layers$/m)[1] ?? "";
  const block = /```[^\n]*\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const map = new Map<string, Set<string>>();
  for (const line of block.split("\n")) {
    const m = /^\s*([a-z_]+)\s*→\s*(.*)$/.exec(line);
    if (!m) continue;
    const targets = m[2].trim() === "—"
      ? []
      : m[2].split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    map.set(m[1], new Set(targets));
  }
  return map;
}

function sorted(map: Map<string, Set<string>>): Record<string, string[]> {
  return Object.fromEntries(
    [...map.keys()].sort().map((k) => [k, [...map.get(k)!].sort()]),
  );
}

Deno.test("lib/README.md's layer map is the folder graph the imports draw", async () => {
  const { edges } = await importGraph();
  const map = await readmeMap();
  assertTrue(map.size > 0, "lib/README.md has no map under ## Layers");
  assertEquals(sorted(edges), sorted(map));
});

Deno.test("the layers form no cycle: each imports only layers below it", async () => {
  const { edges } = await importGraph();
  const done = new Set<string>();
  const order: string[] = [];
  // Kahn's algorithm: a folder is placed once every folder it imports is.
  while (done.size < edges.size) {
    const ready = [...edges.keys()].filter((f) =>
      !done.has(f) && [...edges.get(f)!].every((t) => done.has(t))
    ).sort();
    assertTrue(
      ready.length > 0,
      `import cycle among ${
        [...edges.keys()].filter((f) => !done.has(f)).join(", ")
      }`,
    );
    for (const f of ready) {
      done.add(f);
      order.push(f);
    }
  }
  assertEquals(order.length, edges.size);
});

Deno.test("imports of another folder go through its mod.ts", async () => {
  const { bypassing } = await importGraph();
  assertEquals(bypassing, []);
});

Deno.test("notebooks import lib/ only through mod.ts files", async () => {
  const notebooks = new URL("../notebooks/", LIB);
  const found: string[] = [];
  for await (const e of Deno.readDir(notebooks)) {
    if (!e.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(
      await Deno.readTextFile(new URL(e.name, notebooks)),
    ) as { cells: { cell_type: string; id?: string; source: string[] }[] };
    for (const cell of nb.cells) {
      if (cell.cell_type !== "code") continue;
      for (const spec of specifiers(cell.source.join(""))) {
        if (
          spec.startsWith("../lib/") &&
          !/^\.\.\/lib\/[a-z_]+\/mod\.ts$/.test(spec)
        ) {
          found.push(`notebooks/${e.name}#${cell.id}: ${spec}`);
        }
      }
    }
  }
  assertEquals(found.sort(), []);
});
