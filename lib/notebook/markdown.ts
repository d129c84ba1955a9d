/**
 * Markdown → HTML for the static report: CommonMark plus tables through
 * `markdown-it`, with TeX math (`$…$`, `$$…$$`) rendered by KaTeX to MathML,
 * which browsers display without fonts or style sheets (the report must work
 * offline). Raw HTML in markdown cells passes through, as Jupyter shows it.
 *
 * @module
 */

// @ts-types="npm:@types/markdown-it@14.1.2"
import MarkdownIt from "markdown-it";
import katex from "katex";

const md = new MarkdownIt({ html: true, linkify: false, typographer: false });

function tex(source: string, displayMode: boolean): string {
  return katex.renderToString(source, {
    displayMode,
    output: "mathml",
    throwOnError: false,
    strict: "ignore",
  });
}

/**
 * Replaces math with placeholders markdown-it leaves alone, skipping code
 * spans and fenced code so `$` inside code stays literal.
 */
function protectMath(text: string): { text: string; math: string[] } {
  const math: string[] = [];
  const slot = (html: string) => `MATHSLOT${math.push(html) - 1}X`;
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("```", i) && (i === 0 || text[i - 1] === "\n")) {
      const end = text.indexOf("\n```", i + 3);
      const stop = end < 0 ? text.length : text.indexOf("\n", end + 4);
      const j = stop < 0 ? text.length : stop;
      out += text.slice(i, j);
      i = j;
    } else if (text[i] === "`") {
      let ticks = 1;
      while (text[i + ticks] === "`") ticks++;
      const fence = "`".repeat(ticks);
      const end = text.indexOf(fence, i + ticks);
      const j = end < 0 ? i + ticks : end + ticks;
      out += text.slice(i, j);
      i = j;
    } else if (text[i] === "\\" && text[i + 1] === "$") {
      out += "\\$";
      i += 2;
    } else if (text.startsWith("$$", i)) {
      const end = text.indexOf("$$", i + 2);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      out += "\n\n" + slot(tex(text.slice(i + 2, end).trim(), true)) + "\n\n";
      i = end + 2;
    } else if (text[i] === "$") {
      const end = text.indexOf("$", i + 1);
      const body = end < 0 ? "" : text.slice(i + 1, end);
      if (end < 0 || body.includes("\n\n") || body.trim() !== body || !body) {
        out += "$";
        i++;
      } else {
        out += slot(tex(body, false));
        i = end + 1;
      }
    } else {
      out += text[i++];
    }
  }
  return { text: out, math };
}

function restoreMath(html: string, math: string[]): string {
  return html
    .replace(/<p>MATHSLOT(\d+)X<\/p>/g, (_, n) => math[Number(n)])
    .replace(/MATHSLOT(\d+)X/g, (_, n) => math[Number(n)]);
}

/** Renders a Markdown document (a markdown cell) to HTML. */
export function renderMarkdown(text: string): string {
  const { text: safe, math } = protectMath(text);
  return restoreMath(md.render(safe), math).trimEnd();
}

/** Renders inline Markdown (one paragraph's text) to HTML, without `<p>`. */
export function renderInline(text: string): string {
  const { text: safe, math } = protectMath(text);
  return restoreMath(md.renderInline(safe), math);
}
