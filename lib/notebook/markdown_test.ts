import { assertEquals } from "../testing.ts";
import { renderInline, renderMarkdown } from "./markdown.ts";

Deno.test("renderInline: emphasis, code, links, math kept, HTML escaped", () => {
  assertEquals(
    renderInline("**b** *i* _j_ snake_case `a<b` [l](https://x.org) $a_b$"),
    '<strong>b</strong> <em>i</em> <em>j</em> snake_case <code>a&lt;b</code> <a href="https://x.org">l</a> <span class="math">$a_b$</span>',
  );
  assertEquals(
    renderInline("<script>alert(1)</script> [x](javascript:alert(1)) \\*"),
    '&lt;script&gt;alert(1)&lt;/script&gt; <a href="#">x</a>) *',
  );
});

Deno.test("renderMarkdown: blocks", () => {
  const md = [
    "## Head",
    "",
    "para one",
    "line two",
    "",
    "- a",
    "- b",
    "  - c",
    "",
    "1. x",
    "",
    "| k | v |",
    "|---|--:|",
    "| a | 1 |",
    "",
    "```ts",
    "const x = 1 < 2;",
    "```",
    "",
    "$$",
    "x_1",
    "$$",
    "",
    "> quoted",
  ].join("\n");
  assertEquals(renderMarkdown(md).split("\n"), [
    "<h2>Head</h2>",
    "<p>para one",
    "line two</p>",
    "<ul><li>a</li><li>b",
    "<ul><li>c</li></ul></li></ul>",
    "<ol><li>x</li></ol>",
    '<table><thead><tr><th>k</th><th style="text-align:right">v</th></tr></thead><tbody><tr><td>a</td><td style="text-align:right">1</td></tr></tbody></table>',
    '<pre><code class="language-ts">const x = 1 &lt; 2;</code></pre>',
    '<div class="math">$$',
    "x_1",
    "$$</div>",
    "<blockquote><p>quoted</p></blockquote>",
  ]);
});
