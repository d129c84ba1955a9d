/**
 * A small Markdown → HTML renderer for the static report: headings,
 * paragraphs, emphasis, code spans and fenced code, links and images, lists
 * (nested by indentation), block quotes, pipe tables, rules, and block-level
 * HTML passed through as Jupyter does. Math (`$…$`, `$$…$$`) is kept as text.
 * Everything else is escaped. A full CommonMark library would replace it
 * once one is in the import map.
 *
 * @module
 */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function safeUrl(url: string): string {
  const u = url.trim();
  return /^(javascript|vbscript|data):/i.test(u) && !/^data:image\//i.test(u)
    ? "#"
    : escapeHtml(u);
}

/** Renders inline Markdown (one paragraph's text) to HTML. */
export function renderInline(text: string): string {
  const slots: string[] = [];
  const keep = (html: string) => `\u0000${slots.push(html) - 1}\u0000`;
  let s = text
    // Backslash escapes first, so `\*` stays a literal star.
    .replace(/\\([\\`*_{}[\]()#+\-.!|$<>])/g, (_, c) => keep(escapeHtml(c)))
    .replace(
      /(`+)([\s\S]*?[^`])\1(?!`)/g,
      (_, _t, code) => keep(`<code>${escapeHtml(code.trim())}</code>`),
    )
    .replace(
      /\$\$[\s\S]+?\$\$|\$[^$\n]+\$/g,
      (m) => keep(`<span class="math">${escapeHtml(m)}</span>`),
    )
    .replace(
      /<(https?:\/\/[^\s>]+)>/g,
      (_, u) => keep(`<a href="${safeUrl(u)}">${escapeHtml(u)}</a>`),
    );
  s = escapeHtml(s)
    .replace(
      /!\[([^\]]*)\]\(([^)\s]+)(?:\s+&quot;([^)]*)&quot;)?\)/g,
      (_, alt, src, title) =>
        `<img src="${safeUrl(src)}" alt="${alt}"${
          title ? ` title="${title}"` : ""
        }>`,
    )
    .replace(
      /\[([^\]]+)\]\(([^)\s]+)(?:\s+&quot;([^)]*)&quot;)?\)/g,
      (_, label, href, title) =>
        `<a href="${safeUrl(href)}"${
          title ? ` title="${title}"` : ""
        }>${label}</a>`,
    )
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "<strong>$2</strong>")
    .replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, "<em>$1</em>")
    .replace(/(^|[^\w])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)/g, "$1<em>$2</em>")
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, "<del>$1</del>")
    .replace(/ {2,}\n/g, "<br>\n");
  // deno-lint-ignore no-control-regex
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => slots[Number(i)]);
}

function splitRow(line: string): string[] {
  let t = line.trim();
  if (t.startsWith("|")) t = t.slice(1);
  if (t.endsWith("|") && !t.endsWith("\\|")) t = t.slice(0, -1);
  const cells: string[] = [];
  let cur = "";
  for (let i = 0; i < t.length; i++) {
    if (t[i] === "\\" && t[i + 1] === "|") {
      cur += "\\|";
      i++;
    } else if (t[i] === "|") {
      cells.push(cur.trim());
      cur = "";
    } else cur += t[i];
  }
  cells.push(cur.trim());
  return cells;
}

const TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])\s+(.*)$/;

function isBlockStart(line: string): boolean {
  return /^ {0,3}(#{1,6}\s|```|~~~|>|\$\$)/.test(line) ||
    LIST_ITEM.test(line) || /^ {0,3}([-*_])( *\1){2,} *$/.test(line) ||
    /^ {0,3}<\/?[A-Za-z]/.test(line);
}

/** Renders a Markdown document to HTML. */
export function renderMarkdown(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").replace(/\t/g, "    ")
    .split("\n");
  const html: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = /^ {0,3}(```+|~~~+)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) {
        body.push(lines[i++]);
      }
      i++;
      const cls = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : "";
      html.push(`<pre><code${cls}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    if (/^ {0,3}\$\$/.test(line)) {
      const body = [line];
      // `$$ x $$` on one line is complete; otherwise read to the closing $$.
      if (!line.trim().slice(2).includes("$$")) {
        i++;
        while (i < lines.length && !lines[i].includes("$$")) {
          body.push(lines[i++]);
        }
        if (i < lines.length) body.push(lines[i]);
      }
      i++;
      html.push(`<div class="math">${escapeHtml(body.join("\n"))}</div>`);
      continue;
    }
    const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const n = heading[1].length;
      html.push(`<h${n}>${renderInline(heading[2])}</h${n}>`);
      i++;
      continue;
    }
    if (/^ {0,3}([-*_])( *\1){2,} *$/.test(line)) {
      html.push("<hr>");
      i++;
      continue;
    }
    if (/^ {0,3}>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^ {0,3}>/.test(lines[i])) {
        body.push(lines[i++].replace(/^ {0,3}> ?/, ""));
      }
      html.push(`<blockquote>${renderMarkdown(body.join("\n"))}</blockquote>`);
      continue;
    }
    if (/^ {0,3}<\/?[A-Za-z]/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && lines[i].trim() !== "") body.push(lines[i++]);
      html.push(body.join("\n"));
      continue;
    }
    if (
      line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])
    ) {
      const head = splitRow(line);
      const aligns = splitRow(lines[i + 1]).map((c) =>
        c.endsWith(":") ? (c.startsWith(":") ? "center" : "right") : ""
      );
      const attr = (k: number) =>
        aligns[k] ? ` style="text-align:${aligns[k]}"` : "";
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i].includes("|") && lines[i].trim()) {
        rows.push(splitRow(lines[i++]));
      }
      html.push(
        `<table><thead><tr>${
          head.map((c, k) => `<th${attr(k)}>${renderInline(c)}</th>`).join("")
        }</tr></thead><tbody>${
          rows.map((r) =>
            `<tr>${
              head.map((_, k) =>
                `<td${attr(k)}>${renderInline(r[k] ?? "")}</td>`
              )
                .join("")
            }</tr>`
          ).join("")
        }</tbody></table>`,
      );
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const start = ordered ? parseInt(item[2]) : 1;
      const items: string[][] = [];
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]);
        if (m && /\d/.test(m[2]) === ordered && m[1].length <= item[1].length) {
          items.push([m[3]]);
          i++;
        } else if (
          items.length > 0 && lines[i].trim() !== "" &&
          (/^\s{2,}/.test(lines[i]) || !isBlockStart(lines[i]))
        ) {
          items[items.length - 1].push(lines[i++].replace(/^ {1,4}/, ""));
        } else if (
          lines[i].trim() === "" && i + 1 < lines.length &&
          /^\s{2,}\S/.test(lines[i + 1])
        ) {
          items[items.length - 1].push("");
          i++;
        } else break;
      }
      const tag = ordered ? "ol" : "ul";
      const startAttr = ordered && start !== 1 ? ` start="${start}"` : "";
      html.push(
        `<${tag}${startAttr}>${
          items.map((body) => {
            const inner = renderMarkdown(body.join("\n"));
            // Items without blank lines render without their first <p>.
            return `<li>${
              body.includes("")
                ? inner
                : inner.replace(/^<p>([\s\S]*?)<\/p>/, "$1")
            }</li>`;
          }).join("")
        }</${tag}>`,
      );
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length && lines[i].trim() !== "" &&
      (para.length === 0 || !isBlockStart(lines[i])) &&
      !(lines[i].includes("|") && i + 1 < lines.length &&
        TABLE_SEP.test(lines[i + 1]))
    ) {
      para.push(lines[i++].replace(/^ +/, ""));
    }
    html.push(`<p>${renderInline(para.join("\n"))}</p>`);
  }
  return html.join("\n");
}
