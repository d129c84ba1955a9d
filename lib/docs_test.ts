/**
 * The package's documentation is self-contained: what a clone of the
 * repository holds (lib/ JSDoc and comments, notebooks, README.md,
 * data/README.md, docs/) cites only files that ship with it.
 *
 * - no absolute machine path (`/work/…`, `/home/…`, `/tmp/…`, …) used as the
 *   location of project files;
 * - no reference to the team's private notes outside docs/ (the notes folder,
 *   the design file, the environment or paper notes): cite
 *   `docs/reconstruction.md#…` or `docs/environment.md#…` instead;
 * - every relative Markdown link (docs/, READMEs, notebooks' Markdown cells)
 *   resolves to a file of the repository, and its `#anchor`, when it points
 *   into a Markdown file or a notebook (the same one included), exists there
 *   (an explicit `id="…"`, a heading, or a notebook cell id);
 * - every `docs/….md#anchor` or `notebooks/….ipynb#cell-id` cited anywhere
 *   (JSDoc included) exists.
 *
 * The files are those git lists (tracked, plus untracked ones not ignored);
 * outside a git checkout the folders are walked instead.
 */

import { assertEquals } from "./testing.ts";

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = decodeURIComponent(ROOT.pathname);
const SELF = "lib/docs_test.ts";
const SCOPE = ["lib", "notebooks", "docs", "README.md", "data/README.md"];
const TEXT_FILE = /\.(ts|md|ipynb|json)$/;

/** A piece of text to scan: a whole file, or one notebook cell. */
interface Unit {
  /** Repository-relative path of the file. */
  file: string;
  /** Cell id for a notebook cell, else null. */
  cell: string | null;
  /** Markdown (a .md file or a notebook's Markdown cell) or not. */
  markdown: boolean;
  text: string;
}

async function gitFiles(): Promise<string[] | null> {
  try {
    const out = await new Deno.Command("git", {
      args: [
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        ...SCOPE,
      ],
      cwd: ROOT_PATH,
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return null;
    return new TextDecoder().decode(out.stdout).split("\0").filter((f) => f);
  } catch {
    return null;
  }
}

async function walk(path: string, into: string[]): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(ROOT_PATH + path);
  } catch {
    return;
  }
  if (info.isFile) {
    into.push(path);
    return;
  }
  for await (const entry of Deno.readDir(ROOT_PATH + path)) {
    await walk(`${path}/${entry.name}`, into);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(ROOT_PATH + path);
    return true;
  } catch {
    return false;
  }
}

async function scopeFiles(): Promise<string[]> {
  let files = await gitFiles();
  if (files === null) {
    files = [];
    for (const p of SCOPE) await walk(p, files);
  }
  const kept: string[] = [];
  for (const f of [...new Set(files)].sort()) {
    if (f === SELF || !TEXT_FILE.test(f)) continue;
    if (await exists(f)) kept.push(f); // deleted but still in the index
  }
  return kept;
}

interface NotebookJson {
  cells: { id?: string; cell_type: string; source: string | string[] }[];
}

function cellSource(source: string | string[]): string {
  return Array.isArray(source) ? source.join("") : source;
}

let unitsCache: Promise<Unit[]> | null = null;

function units(): Promise<Unit[]> {
  unitsCache ??= (async () => {
    const out: Unit[] = [];
    for (const file of await scopeFiles()) {
      const text = await Deno.readTextFile(ROOT_PATH + file);
      if (file.endsWith(".ipynb")) {
        const nb = JSON.parse(text) as NotebookJson;
        nb.cells.forEach((c, i) =>
          out.push({
            file,
            cell: c.id ?? `cell ${i}`,
            markdown: c.cell_type === "markdown",
            text: cellSource(c.source),
          })
        );
      } else {
        out.push({ file, cell: null, markdown: file.endsWith(".md"), text });
      }
    }
    return out;
  })();
  return unitsCache;
}

function where(u: Unit, index: number): string {
  const line = u.text.slice(0, index).split("\n").length;
  return u.cell === null ? `${u.file}:${line}` : `${u.file}#${u.cell}:${line}`;
}

/**
 * Absolute paths that name a location on some machine. The look-behind keeps
 * URL paths (`https://host/home/…`), relative paths (`../tmp/`) and paths
 * under a template variable (`${dir}/root/`) out.
 */
const MACHINE_PATH =
  /(?<![\w.~}-])\/(?:work|home|Users|root|tmp|mnt|scratch)\/[^\s"'`)\]]*/g;

/**
 * Absolute paths that are not locations of project files: made-up values
 * fed to a function under test.
 * `path` matches itself and the paths below it.
 */
const MACHINE_PATH_ALLOWED: { file: string; path: string; why: string }[] = [
  { file: "lib/data/cli_test.ts", path: "/tmp/x", why: "made-up --out" },
  { file: "lib/notebook/context_test.ts", path: "/tmp/x", why: "made-up env" },
  {
    file: "lib/notebook/display_test.ts",
    path: "/tmp/k.json",
    why: "made-up --conn argument",
  },
  {
    file: "lib/notebook/display_test.ts",
    path: "/tmp/a.json",
    why: "made-up --conn argument",
  },
];

/**
 * Files whose subject is machine paths: publish's own scanner lists the
 * prefixes it looks for, and its test feeds it made-up paths to find.
 */
const MACHINE_PATH_SCANNER = new Set([
  "lib/notebook/publish.ts",
  "lib/notebook/publish_test.ts",
]);

Deno.test("docs: no absolute machine paths", async () => {
  const found: string[] = [];
  for (const u of await units()) {
    if (MACHINE_PATH_SCANNER.has(u.file)) continue;
    for (const m of u.text.matchAll(MACHINE_PATH)) {
      const ok = MACHINE_PATH_ALLOWED.some((a) =>
        a.file === u.file &&
        (m[0] === a.path || m[0].startsWith(a.path + "/"))
      );
      if (!ok) found.push(`${where(u, m.index)}: ${m[0]}`);
    }
  }
  assertEquals(found, [], "absolute machine paths:\n" + found.join("\n"));
});

/** The team's private notes, which a clone does not have. */
const PRIVATE_NOTES =
  /shared\/notes|DESIGN\.md|paper\.md|environment(?:\s|\*|\/\/)+notes/gi;

Deno.test("docs: no references to private notes outside docs/", async () => {
  const found: string[] = [];
  for (const u of await units()) {
    if (u.file.startsWith("docs/")) continue;
    for (const m of u.text.matchAll(PRIVATE_NOTES)) {
      found.push(`${where(u, m.index)}: ${m[0].replace(/\s+/g, " ")}`);
    }
  }
  assertEquals(
    found,
    [],
    "references to private notes (cite docs/ instead):\n" + found.join("\n"),
  );
});

/** Blanks fenced code blocks and code spans, keeping offsets and lines. */
function withoutCode(markdown: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, blank)
    .replace(/`[^`\n]*`/g, blank);
}

const INLINE_LINK = /!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_LINK = /^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function normalise(path: string): string | null {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0) return null; // outside the repository
      parts.pop();
    } else parts.push(p);
  }
  return parts.join("/");
}

function dirOf(file: string): string {
  const i = file.lastIndexOf("/");
  return i < 0 ? "" : file.slice(0, i + 1);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces → "-". */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

const anchorCache = new Map<string, Promise<Set<string>>>();

/** Anchors a link may use into a repository file (empty if none known). */
function anchorsOf(file: string): Promise<Set<string>> {
  let p = anchorCache.get(file);
  if (!p) {
    p = (async () => {
      const text = await Deno.readTextFile(ROOT_PATH + file);
      const ids = new Set<string>();
      const markdown: string[] = [];
      if (file.endsWith(".ipynb")) {
        for (const c of (JSON.parse(text) as NotebookJson).cells) {
          if (c.id) ids.add(c.id);
          if (c.cell_type === "markdown") markdown.push(cellSource(c.source));
        }
      } else markdown.push(text);
      for (const md of markdown) {
        for (const m of md.matchAll(/\bid="([^"]+)"/g)) ids.add(m[1]);
        for (const m of withoutCode(md).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
          ids.add(slug(m[1]));
        }
      }
      return ids;
    })();
    anchorCache.set(file, p);
  }
  return p;
}

/** Why `target` (relative to `from`'s folder, or the root) is broken. */
async function brokenTarget(
  target: string,
  base: string,
): Promise<string | null> {
  const [pathPart, anchor] = target.split("#", 2);
  const path = normalise(base + decodeURIComponent(pathPart.split("?")[0]));
  if (path === null) return "points outside the repository";
  if (!(await exists(path))) return "no such file in the repository";
  if (
    anchor && (path.endsWith(".md") || path.endsWith(".ipynb")) &&
    !(await anchorsOf(path)).has(anchor)
  ) {
    return `no anchor #${anchor} in ${path}`;
  }
  return null;
}

Deno.test("docs: relative Markdown links resolve", async () => {
  const found: string[] = [];
  for (const u of await units()) {
    if (!u.markdown) continue;
    const text = withoutCode(u.text);
    for (const re of [INLINE_LINK, REFERENCE_LINK]) {
      for (const m of text.matchAll(re)) {
        const target = m[1];
        if (HAS_SCHEME.test(target)) continue;
        if (target.startsWith("#")) {
          if (!(await anchorsOf(u.file)).has(target.slice(1))) {
            found.push(`${where(u, m.index)}: ${target}: no such anchor`);
          }
          continue;
        }
        if (target.startsWith("/")) {
          found.push(`${where(u, m.index)}: ${target}: absolute path`);
          continue;
        }
        const why = await brokenTarget(target, dirOf(u.file));
        if (why) found.push(`${where(u, m.index)}: ${target}: ${why}`);
      }
    }
  }
  assertEquals(found, [], "broken relative links:\n" + found.join("\n"));
});

/** A root-relative citation of a doc section or a notebook cell. */
const CITATION =
  /(?<![\w./-])((?:docs\/[\w./-]+\.md|notebooks\/[\w.-]+\.ipynb))(?:#([\w-]+))?/g;

Deno.test("docs: cited docs/ sections and notebook cells exist", async () => {
  const found: string[] = [];
  for (const u of await units()) {
    for (const m of u.text.matchAll(CITATION)) {
      const target = m[2] ? `${m[1]}#${m[2]}` : m[1];
      const why = await brokenTarget(target, "");
      if (why) found.push(`${where(u, m.index)}: ${target}: ${why}`);
    }
  }
  assertEquals(found, [], "broken citations:\n" + found.join("\n"));
});
