/**
 * The notebooks are formatted as `deno fmt` formats them. Checked by piping
 * each notebook through `deno fmt --ext=ipynb -` and comparing bytes, because
 * Deno 2.9.6's `deno fmt --check` reports every notebook with a code cell as
 * "not formatted" (with an empty diff) until its incremental cache has seen
 * the file formatted in place, so on a fresh clone it always fails. The
 * `check` task runs this file instead of `deno fmt --check` on notebooks.
 */

import { assertEquals } from "../testing.ts";
import { repoRoot } from "./context.ts";

const ROOT = repoRoot();

/** `text` as `deno fmt` formats a notebook (the repository's deno.json). */
async function formatted(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=ipynb", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`deno fmt failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

Deno.test("the formatter check itself: a misformatted cell is found", async () => {
  const nb = await Deno.readTextFile(`${ROOT}/notebooks/00_overview.ipynb`);
  // A code line with its spaces removed: `deno fmt` puts them back.
  const spoilt = nb.replace(/"import \{ /, '"import {');
  assertEquals(spoilt === nb, false, "the fixture edit did not apply");
  assertEquals(await formatted(spoilt) === spoilt, false);
});

/** The repository's notebooks: the package's own and the runner's fixtures. */
const FOLDERS = ["notebooks", "lib/notebook/testdata"];

Deno.test("every notebook is formatted as deno fmt formats it", async () => {
  const unformatted: string[] = [];
  for (const folder of FOLDERS) {
    const names = [...Deno.readDirSync(`${ROOT}/${folder}`)]
      .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
      .map((e) => e.name)
      .sort();
    for (const name of names) {
      const text = await Deno.readTextFile(`${ROOT}/${folder}/${name}`);
      if (await formatted(text) !== text) unformatted.push(`${folder}/${name}`);
    }
  }
  assertEquals(
    unformatted,
    [],
    "run `deno fmt` on these (they differ from deno fmt's output)",
  );
});
