/**
 * The static report of a run, built from the executed notebooks:
 *
 * - `<out>/<notebook>.html`, one page per notebook; every cell is a
 *   `<section id="<cell-id>">`, so `<notebook>.html#<cell-id>` is a citable
 *   permalink that stays valid as long as the cell id does;
 * - `<out>/report.html`, the index: each notebook, its status and duration,
 *   and links to its headings and to every cell with a figure or table;
 * - `<out>/report.md`, everything in one Markdown file with an anchor
 *   `<a id="<notebook>--<cell-id>">` before every cell.
 *
 * Figures are shown from their artefact files (`<notebook>/<cell-id>.svg`,
 * or `.png`), not inlined: several Vega SVGs inlined in one page would share
 * clip-path ids. Without a file, a bundle's SVG is inlined.
 *
 * @module
 */

import { escapeHtml } from "../plot/mod.ts";
import { renderMarkdown } from "./markdown.ts";
import {
  type Cell,
  joinSource,
  type Notebook,
  type Output,
} from "./notebook.ts";
import { outputFiles } from "./runner.ts";
import { basename } from "node:path";

/** One notebook in the report. */
export interface ReportEntry {
  /** Notebook name (file name without `.ipynb`). */
  name: string;
  /** The executed notebook, or null when it has not run. */
  notebook: Notebook | null;
  /** Status shown in the index. */
  status: "ran" | "unchanged" | "failed" | "not run";
  /** Wall-clock duration of its last run, ms. */
  ms?: number;
  /** One-line failure message, when failed. */
  failure?: string;
}

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** Report title (default "Reproduction report"). */
  title?: string;
  /** Free-form facts shown under the title (profile, seed, backend, …). */
  facts?: Record<string, string | number>;
  /**
   * Lines (Markdown) shown as a list under the facts, e.g. which real
   * datasets were skipped and the command that brings each.
   */
  notes?: readonly string[];
}

/** The title of a notebook: its first Markdown heading, else its name. */
export function notebookTitle(name: string, nb: Notebook | null): string {
  for (const cell of nb?.cells ?? []) {
    if (cell.cell_type !== "markdown") continue;
    const m = /^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/m.exec(joinSource(cell.source));
    if (m) return m[1];
  }
  return name;
}

function text(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.join("");
  return undefined;
}

function filesOf(o: Output): string[] {
  if (o.output_type !== "display_data" && o.output_type !== "execute_result") {
    return [];
  }
  return outputFiles(o.metadata);
}

function fileWith(files: string[], ext: string): string | undefined {
  return files.find((f) => f.endsWith(`.${ext}`));
}

function href(path: string): string {
  return escapeHtml(path.split("/").map(encodeURIComponent).join("/"));
}

const CSS = `
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
section.cell{position:relative;margin:1rem 0;padding:.25rem 0 .25rem .75rem;border-left:3px solid transparent}
section.cell:target{border-left-color:#d08700;background:#fffbea}
a.permalink{position:absolute;right:0;top:.25rem;font-size:.75rem;color:#999;text-decoration:none}
pre{background:#f6f8fa;padding:.5rem;overflow-x:auto}
pre.input{border-left:3px solid #4c8bf5}
pre.stderr{background:#fff5f5}
pre.error{background:#fde8e8;color:#8b0000}
.prompt{font-family:monospace;font-size:.8rem;color:#4c8bf5}
.outputs img{max-width:100%}
.files{font-size:.8rem;color:#666}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2rem .5rem}
.math{font-family:serif}
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function outputHtml(o: Output): string {
  if (o.output_type === "stream") {
    return `<pre class="stream ${o.name}">${
      escapeHtml(text(o.text) ?? "")
    }</pre>`;
  }
  if (o.output_type === "error") {
    const tb = o.traceback.length > 0
      ? o.traceback.join("\n")
      : `${o.ename}: ${o.evalue}`;
    return `<pre class="error">${escapeHtml(tb)}</pre>`;
  }
  const data = o.data;
  const files = filesOf(o);
  const svgFile = fileWith(files, "svg");
  const pngFile = fileWith(files, "png");
  let shown: string;
  if (svgFile) shown = `<img src="${href(svgFile)}" alt="figure">`;
  else if (text(data["image/svg+xml"]) !== undefined) {
    shown = text(data["image/svg+xml"])!;
  } else if (pngFile) shown = `<img src="${href(pngFile)}" alt="figure">`;
  else if (text(data["image/png"]) !== undefined) {
    shown = `<img src="data:image/png;base64,${
      escapeHtml(text(data["image/png"])!.replace(/\s+/g, ""))
    }" alt="figure">`;
  } else if (text(data["text/html"]) !== undefined) {
    shown = text(data["text/html"])!;
  } else if (text(data["text/markdown"]) !== undefined) {
    shown = renderMarkdown(text(data["text/markdown"])!);
  } else {
    shown = `<pre>${escapeHtml(text(data["text/plain"]) ?? "")}</pre>`;
  }
  const links = files.length > 0
    ? `<p class="files">files: ${
      files.map((f) => `<a href="${href(f)}">${escapeHtml(basename(f))}</a>`)
        .join(" · ")
    }</p>`
    : "";
  return `<div class="display">${shown}${links}</div>`;
}

function cellHtml(cell: Cell): string {
  const id = escapeHtml(cell.id);
  const link =
    `<a class="permalink" href="#${id}" title="permalink">#${id}</a>`;
  const src = joinSource(cell.source);
  if (cell.cell_type === "markdown") {
    return `<section class="cell markdown" id="${id}">${link}\n${
      renderMarkdown(src)
    }\n</section>`;
  }
  if (cell.cell_type === "raw") {
    return `<section class="cell raw" id="${id}">${link}<pre>${
      escapeHtml(src)
    }</pre></section>`;
  }
  const count = cell.execution_count ?? " ";
  const outputs = (cell.outputs ?? []).map(outputHtml).join("\n");
  return `<section class="cell code" id="${id}">${link}<div class="prompt">[${count}]</div><pre class="input"><code class="language-typescript">${
    escapeHtml(src)
  }</code></pre>${
    outputs ? `\n<div class="outputs">\n${outputs}\n</div>` : ""
  }\n</section>`;
}

/** The HTML page of one executed notebook (anchors: the cell ids). */
export function notebookPage(entry: ReportEntry): string {
  const title = notebookTitle(entry.name, entry.notebook);
  const cells = (entry.notebook?.cells ?? []).map(cellHtml).join("\n");
  const failure = entry.failure
    ? `<pre class="error">${escapeHtml(entry.failure)}</pre>\n`
    : "";
  return page(
    title,
    `<p><a href="report.html">← report</a> · <a href="${
      href(entry.name + ".ipynb")
    }">${escapeHtml(entry.name)}.ipynb</a> (executed)</p>\n${failure}${cells}`,
  );
}

/** Cells the index links to: headings, and cells with a figure or table. */
function landmarks(nb: Notebook): { id: string; label: string }[] {
  const out: { id: string; label: string }[] = [];
  for (const cell of nb.cells) {
    if (cell.cell_type === "markdown") {
      const m = /^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/m.exec(joinSource(cell.source));
      if (m) out.push({ id: cell.id, label: m[1] });
    } else if (cell.cell_type === "code") {
      const kinds = new Set<string>();
      for (const o of cell.outputs ?? []) {
        if (o.output_type !== "display_data") continue;
        if (o.data["image/svg+xml"] || o.data["image/png"]) kinds.add("figure");
        else if (o.data["text/html"]) kinds.add("table");
        else if (o.data["text/markdown"]) kinds.add("text");
      }
      if (kinds.size > 0) {
        out.push({ id: cell.id, label: `${[...kinds].join(", ")}` });
      }
    }
  }
  return out;
}

function factsHtml(facts: Record<string, string | number> | undefined): string {
  const rows = Object.entries(facts ?? {});
  return rows.length === 0
    ? ""
    : `<p>${
      rows.map(([k, v]) =>
        `${escapeHtml(k)}: <code>${escapeHtml(String(v))}</code>`
      )
        .join(" · ")
    }</p>\n`;
}

function notesMarkdown(notes: readonly string[] | undefined): string {
  return (notes ?? []).map((n) => `- ${n.replace(/\n/g, " ")}`).join("\n");
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`;
}

/** The index page `report.html`. */
export function indexPage(
  entries: readonly ReportEntry[],
  options: ReportOptions = {},
): string {
  const title = options.title ?? "Reproduction report";
  const items = entries.map((e) => {
    const page = `${e.name}.html`;
    const label = escapeHtml(notebookTitle(e.name, e.notebook));
    // Only executed notebooks have a page.
    const head = `${
      e.notebook ? `<a href="${href(page)}">${label}</a>` : label
    } <code>${escapeHtml(e.name)}.ipynb</code> — ${e.status}${
      e.ms !== undefined ? `, ${seconds(e.ms)}` : ""
    }`;
    const marks = e.notebook ? landmarks(e.notebook) : [];
    const list = marks.length > 0
      ? `<ul>${
        marks.map((m) =>
          `<li><a href="${href(page)}#${escapeHtml(m.id)}">${
            escapeHtml(m.label)
          }</a> <code>#${escapeHtml(m.id)}</code></li>`
        ).join("")
      }</ul>`
      : "";
    const failure = e.failure
      ? `<pre class="error">${escapeHtml(e.failure)}</pre>`
      : "";
    return `<li id="${escapeHtml(e.name)}">${head}${failure}${list}</li>`;
  }).join("\n");
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>\n${factsHtml(options.facts)}${
      options.notes?.length
        ? `<div class="notes">${
          renderMarkdown(notesMarkdown(options.notes))
        }</div>\n`
        : ""
    }<p>Cite a cell as <code>&lt;notebook&gt;.html#&lt;cell-id&gt;</code>; see also <a href="report.md">report.md</a> and <a href="manifest.json">manifest.json</a>.</p>\n<ol>\n${items}\n</ol>`,
  );
}

function fenced(body: string, lang = ""): string {
  const ticks = body.includes("```") ? "````" : "```";
  return `${ticks}${lang}\n${body.replace(/\n$/, "")}\n${ticks}`;
}

/** Demotes Markdown headings (outside code fences) by `by` levels. */
function demote(md: string, by: number): string {
  let fence: string | null = null;
  return md.split("\n").map((line) => {
    const f = /^ {0,3}(```+|~~~+)/.exec(line);
    if (f) {
      if (fence === null) fence = f[1];
      else if (f[1].startsWith(fence)) fence = null;
      return line;
    }
    if (fence !== null) return line;
    return line.replace(
      /^( {0,3})(#{1,6})(\s)/,
      (_, s, h, w) => `${s}${"#".repeat(Math.min(6, h.length + by))}${w}`,
    );
  }).join("\n");
}

function outputMarkdown(o: Output): string {
  if (o.output_type === "stream") return fenced(text(o.text) ?? "", "text");
  if (o.output_type === "error") {
    return fenced(
      o.traceback.length > 0
        ? o.traceback.join("\n")
        : `${o.ename}: ${o.evalue}`,
      "text",
    );
  }
  const files = filesOf(o);
  const svg = fileWith(files, "svg");
  const png = fileWith(files, "png");
  const data = o.data;
  let shown: string;
  if (svg || png) {
    shown = `![figure](${encodeURI((svg ?? png)!)})`;
  } else if (text(data["text/markdown"]) !== undefined) {
    shown = text(data["text/markdown"])!.replace(/\n$/, "");
  } else if (text(data["text/html"]) !== undefined) {
    shown = text(data["text/html"])!;
  } else shown = fenced(text(data["text/plain"]) ?? "", "text");
  const links = files.length > 0
    ? `\n\nfiles: ${
      files.map((f) => `[${basename(f)}](${encodeURI(f)})`).join(" · ")
    }`
    : "";
  return shown + links;
}

/** The single-file Markdown report (anchors `<notebook>--<cell-id>`). */
export function reportMarkdown(
  entries: readonly ReportEntry[],
  options: ReportOptions = {},
): string {
  const title = options.title ?? "Reproduction report";
  const parts: string[] = [`# ${title}`];
  const facts = Object.entries(options.facts ?? {});
  if (facts.length > 0) {
    parts.push(facts.map(([k, v]) => `${k}: \`${v}\``).join(" · "));
  }
  if (options.notes?.length) parts.push(notesMarkdown(options.notes));
  parts.push(
    entries.map((e) =>
      `- [${
        notebookTitle(e.name, e.notebook)
      }](#${e.name}) — \`${e.name}.ipynb\`, ${e.status}${
        e.ms !== undefined ? `, ${seconds(e.ms)}` : ""
      }`
    ).join("\n"),
  );
  for (const e of entries) {
    parts.push(
      `<a id="${e.name}"></a>\n\n## ${
        notebookTitle(e.name, e.notebook)
      } (\`${e.name}.ipynb\`)`,
    );
    if (e.failure) parts.push(fenced(e.failure, "text"));
    for (const cell of e.notebook?.cells ?? []) {
      const anchor = `<a id="${e.name}--${cell.id}"></a>`;
      const src = joinSource(cell.source);
      if (cell.cell_type === "markdown") {
        parts.push(`${anchor}\n\n${demote(src, 2)}`);
      } else if (cell.cell_type === "raw") {
        parts.push(`${anchor}\n\n${fenced(src)}`);
      } else {
        const outs = (cell.outputs ?? []).map(outputMarkdown);
        parts.push(
          [
            `${anchor}\n\n${fenced(src, "ts")}`,
            ...outs,
          ].join("\n\n"),
        );
      }
    }
  }
  return parts.join("\n\n") + "\n";
}

/**
 * Writes `report.html`, `report.md` and one `<notebook>.html` per entry with
 * an executed notebook into `out`. Returns the paths written.
 */
export async function writeReport(
  out: string,
  entries: readonly ReportEntry[],
  options: ReportOptions = {},
): Promise<string[]> {
  await Deno.mkdir(out, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, body: string) => {
    await Deno.writeTextFile(`${out}/${name}`, body);
    written.push(`${out}/${name}`);
  };
  for (const e of entries) {
    if (e.notebook) await write(`${e.name}.html`, notebookPage(e));
  }
  await write("report.html", indexPage(entries, options));
  await write("report.md", reportMarkdown(entries, options));
  return written;
}
