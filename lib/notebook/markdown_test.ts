import { assertEquals, assertTrue } from "../testing.ts";
import { renderInline, renderMarkdown } from "./markdown.ts";

Deno.test("renderInline: emphasis, code, links; unsafe links refused", () => {
  assertEquals(
    renderInline("**b** *i* snake_case `a<b` [l](https://x.org)"),
    '<strong>b</strong> <em>i</em> snake_case <code>a&lt;b</code> <a href="https://x.org">l</a>',
  );
  assertTrue(
    !renderInline("[x](javascript:alert(1))").includes(`href="javascript`),
  );
});

Deno.test("renderMarkdown: headings, lists, tables, code", () => {
  const html = renderMarkdown(
    "## Head\n\n- a\n- b\n\n| k | v |\n|---|--:|\n| a | 1 |\n\n```ts\nconst x = 1 < 2;\n```",
  );
  for (
    const part of [
      "<h2>Head</h2>",
      "<li>a</li>",
      '<th style="text-align:right">v</th>',
      '<code class="language-ts">const x = 1 &lt; 2;\n</code>',
    ]
  ) assertTrue(html.includes(part), `${part} missing in ${html}`);
});

Deno.test("math renders to MathML; dollars in code stay literal", () => {
  const html = renderMarkdown(
    "Margin $\\delta_j$ here.\n\n$$\n\\delta_j = \\delta_0 + \\alpha (1 - s)\n$$\n\nCode `$x` and \\$5.",
  );
  assertEquals(html.match(/<math/g)?.length, 2);
  assertTrue(html.includes('display="block"'), html);
  assertTrue(html.includes("<mi>δ</mi>"), html);
  assertTrue(html.includes("<code>$x</code>"), html);
  assertTrue(html.includes("$5"), html);
  assertTrue(!html.includes("MATHSLOT"), html);
});
