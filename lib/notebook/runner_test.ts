import {
  assertEquals,
  assertRejects,
  assertTrue,
  withTempDir,
} from "../testing.ts";
import { repoRoot } from "./context.ts";
import { type Notebook, NotebookError, readNotebook } from "./notebook.ts";
import { FILES_KEY, runNotebook } from "./runner.ts";
import {
  CAN_RUN,
  codeCell,
  fixture,
  MOD_URL,
  nbJson,
} from "./testdata/helpers.ts";

const ignore = !CAN_RUN; // needs --allow-run (deno task test has it)
const CONFIG = `${repoRoot()}/deno.json`;

/** A test of the runner (skipped without --allow-run) in a fresh temporary folder. */
function runnerTest(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({ name, ignore, fn: () => withTempDir("runner_test_", fn) });
}

async function tempNotebook(
  dir: string,
  name: string,
  cells: Record<string, unknown>[],
): Promise<string> {
  const path = `${dir}/${name}.ipynb`;
  await Deno.writeTextFile(path, nbJson(cells));
  return path;
}

runnerTest(
  "runNotebook: 3-cell fixture — outputs in the right cells, shared names, env",
  async (out) => {
    const run = await runNotebook(fixture("basic.ipynb"), {
      out,
      profile: "full",
      seed: 7,
    });
    assertTrue(run.ok, run.failure?.message);
    assertEquals(run.executedPath, `${out}/basic.ipynb`);
    assertEquals(
      run.cells.map((c) => [c.id, c.index, c.executionCount]),
      [["setup", 1, 1], ["show", 2, 2], ["table", 3, 3]],
    );
    assertTrue(run.cells.every((c) => c.ms !== null && c.ms >= 0));

    const input = await readNotebook(fixture("basic.ipynb"));
    const nb: Notebook = await readNotebook(run.executedPath);
    // Ids, order and sources unchanged by the run.
    assertEquals(nb.cells.map((c) => c.id), input.cells.map((c) => c.id));
    assertEquals(
      nb.cells.map((c) => c.source),
      input.cells.map((c) => c.source),
    );
    const [, setup, show, table] = nb.cells;
    assertEquals(setup.execution_count, 1);
    assertEquals(setup.outputs, [
      { output_type: "stream", name: "stdout", text: ["answer is 21\n"] },
      {
        output_type: "display_data",
        data: { "text/markdown": "answer = 21", "text/plain": "answer = 21" },
        metadata: { [FILES_KEY]: { files: ["basic/setup.md"] } },
      },
    ]);
    // `answer` declared in cell "setup" is visible in cell "show".
    assertEquals(show.outputs, [
      { output_type: "stream", name: "stderr", text: ["to stderr\n"] },
      {
        output_type: "display_data",
        data: { "text/markdown": "**42**", "text/plain": "**42**" },
        metadata: { [FILES_KEY]: { files: ["basic/show.md"] } },
      },
    ]);
    assertEquals(
      table.outputs!.map((o) => o.output_type),
      ["stream", "display_data", "display_data"],
    );
    assertEquals(table.outputs![0], {
      output_type: "stream",
      name: "stdout",
      text: ["profile=full seed=7\n"],
    });
    // Artefacts under <out>/<notebook>/<cell-id>[-n].<ext>.
    assertEquals(run.cells.flatMap((c) => c.files), [
      "basic/setup.md",
      "basic/show.md",
      "basic/table.md",
      "basic/table.html",
      "basic/table-2.svg",
      "basic/table-2.png",
    ]);
    assertEquals(await Deno.readTextFile(`${out}/basic/show.md`), "**42**");
    assertEquals(
      await Deno.readTextFile(`${out}/basic/table.md`),
      "| k | v |\n| --- | ---: |\n| a | 1.5 |\n| b | 2 |\n",
    );
    assertTrue(
      (await Deno.readTextFile(`${out}/basic/table-2.svg`)).startsWith(
        "<svg",
      ),
    );
    assertEquals(
      await Deno.readFile(`${out}/basic/table-2.png`),
      new Uint8Array([137, 80, 78, 71]),
    );
  },
);

runnerTest(
  "runNotebook: a failing cell stops the run and is named",
  async (out) => {
    const run = await runNotebook(fixture("failing.ipynb"), { out });
    assertEquals(run.ok, false);
    assertEquals(run.failure!.cellId, "boom");
    assertEquals(
      run.failure!.message,
      "notebook failing.ipynb failed in cell 'boom' (index 1): RangeError: bad value 3",
    );
    const nb = await readNotebook(`${out}/failing.ipynb`);
    const [ok, boom, never] = nb.cells;
    assertEquals(ok.outputs, [
      { output_type: "stream", name: "stdout", text: ["before 3\n"] },
    ]);
    assertEquals(boom.execution_count, 2);
    const err = boom.outputs![1];
    assertEquals(err.output_type, "error");
    if (err.output_type !== "error") throw new Error("unreachable");
    assertEquals([err.ename, err.evalue], ["RangeError", "bad value 3"]);
    // Stack locations point into the notebook's cells.
    assertTrue(
      err.traceback.some((l) => l.includes("failing.ipynb#boom:2:")),
      err.traceback.join("\n"),
    );
    assertEquals(never.execution_count, null);
    assertEquals(never.outputs, []);
  },
);

runnerTest(
  "runNotebook: missing and duplicate cell ids are refused before running",
  async (dir) => {
    const cases: [string, Record<string, unknown>[], string][] = [
      [
        "missing",
        [codeCell("a", "1"), { cell_type: "code", source: "2" }],
        "missing.ipynb: cell 1: code cell has no id",
      ],
      [
        "dup",
        [codeCell("a", "1"), codeCell("a", "2")],
        "dup.ipynb: cell 1 (id 'a'): duplicate id: already used by cell 0",
      ],
      [
        "redeclared",
        [codeCell("a", "const x = 1;"), codeCell("b", "const x = 2;")],
        "first declared in cell 'a'",
      ],
    ];
    for (const [name, cells, message] of cases) {
      const path = await tempNotebook(dir, name, cells);
      await assertRejects(
        () => runNotebook(path, { out: `${dir}/out` }),
        NotebookError,
        message,
      );
    }
    // Nothing ran: no executed notebook.
    assertEquals(
      await Deno.stat(`${dir}/out/missing.ipynb`).then(
        () => true,
        () => false,
      ),
      false,
    );
  },
);

runnerTest(
  "runNotebook: load errors, Deno.exit and timeouts are attributed to their cell",
  async (dir) => {
    const opts = { out: `${dir}/out`, config: CONFIG };
    // Each notebook fails in cell `cell` (with `message` or `ename`).
    const cases: {
      name: string;
      cells: Record<string, unknown>[];
      cell: string;
      cellTimeoutMs?: number;
      message?: string;
      ename?: string;
    }[] = [
      {
        name: "syntax",
        cells: [
          codeCell("fine", "const a = 1;"),
          codeCell("broken", "const b = a +;"),
        ],
        cell: "broken",
      },
      {
        name: "exit",
        cells: [
          codeCell("first", 'console.log("hi");'),
          codeCell("quits", "Deno.exit(3);"),
        ],
        cell: "quits",
        message: "exited with code 3",
      },
      {
        name: "slow",
        cells: [
          codeCell(
            "sleepy",
            "await new Promise((r) => setTimeout(r, 20000));",
          ),
        ],
        cell: "sleepy",
        cellTimeoutMs: 300,
        ename: "TimeoutError",
      },
    ];
    for (const c of cases) {
      const path = await tempNotebook(dir, c.name, c.cells);
      const run = await runNotebook(path, {
        ...opts,
        cellTimeoutMs: c.cellTimeoutMs,
      });
      assertEquals([run.ok, run.failure?.cellId], [false, c.cell]);
      if (c.message) assertTrue(run.failure!.message.includes(c.message));
      if (c.ename) assertEquals(run.failure!.ename, c.ename);
    }
  },
);

runnerTest(
  "runNotebook: display ids name artefacts; a rejected promise fails its cell",
  async (dir) => {
    const opts = { out: `${dir}/out`, config: CONFIG };
    const path = await tempNotebook(dir, "ids", [
      codeCell(
        "figs",
        `import { display, md } from ${JSON.stringify(MOD_URL)};\n` +
          'await display(md("a"), { id: "first" });\nawait display(md("b"));\nawait display(md("c"));',
      ),
      codeCell("rejects", 'await Promise.reject(new TypeError("nope"));'),
    ]);
    const run = await runNotebook(path, opts);
    assertEquals(run.cells[0].files, [
      "ids/figs-first.md",
      "ids/figs.md",
      "ids/figs-2.md",
    ]);
    assertEquals(await Deno.readTextFile(`${dir}/out/ids/figs-2.md`), "c");
    assertEquals(run.failure?.cellId, "rejects");
    assertEquals(
      run.failure?.message,
      "notebook ids.ipynb failed in cell 'rejects' (index 1): TypeError: nope",
    );
  },
);
