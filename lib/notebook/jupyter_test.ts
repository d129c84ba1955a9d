import { assertEquals, assertTrue } from "../testing.ts";
import {
  checkExecution,
  findJupyter,
  lateLogCells,
  lostOutputs,
  runJupyter,
  writeKernelspec,
} from "./jupyter.ts";
import { type Notebook, readNotebook } from "./notebook.ts";
import { runNotebook } from "./runner.ts";
import { CAN_RUN, fixture } from "./testdata/helpers.ts";

const JUPYTER = CAN_RUN ? await findJupyter() : null;

function nb(cells: Partial<Notebook["cells"][number]>[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((c, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: {},
      source: "",
      outputs: [],
      execution_count: i + 1,
      ...c,
    })),
  };
}

const DISPLAY = {
  output_type: "display_data" as const,
  data: { "text/plain": "x" },
  metadata: {},
};
const STDOUT = {
  output_type: "stream" as const,
  name: "stdout" as const,
  text: "x",
};

Deno.test("checkExecution: unexecuted cells, errors, outputs missing vs the reference", () => {
  const reference = nb([
    { outputs: [DISPLAY, DISPLAY] },
    { outputs: [STDOUT] },
    {},
    {},
  ]);
  const executed = nb([
    { outputs: [DISPLAY] },
    { outputs: [] },
    { execution_count: null },
    {
      outputs: [{
        output_type: "error",
        ename: "Error",
        evalue: "boom",
        traceback: [],
      }],
    },
  ]);
  assertEquals(checkExecution(executed, reference), {
    unexecuted: ["c2"],
    missing: [
      { id: "c0", expected: "2 display", found: "1 display", lost: 1 },
      { id: "c1", expected: "0 display + stdout", found: "0 display", lost: 1 },
    ],
    errors: [{ id: "c3", ename: "Error", evalue: "boom" }],
  });
  assertEquals(lostOutputs([checkExecution(executed, reference)]), 2);
  // A cell that failed lacks its display for that reason: not lost.
  const failed = checkExecution(
    nb([{ outputs: executed.cells[3].outputs }]),
    nb([{ outputs: [DISPLAY] }]),
  );
  assertEquals(failed.missing.map((m) => m.id), ["c0"]);
  assertEquals(lostOutputs([failed]), 0);
  assertEquals(lostOutputs([checkExecution(reference, reference)]), 0);
});

Deno.test("lateLogCells: a console call after the cell's last display", () => {
  const late = lateLogCells(nb([
    { id: "log-then-display", source: 'console.log("a");\nawait display(x);' },
    {
      id: "display-then-log",
      source: 'await display(x);\nconsole.error("b");',
    },
    { id: "log-only", source: 'console.log("c");' },
    { id: "quiet", source: "const y = 1;" },
  ]));
  assertEquals(late, ["display-then-log", "log-only"]);
});

Deno.test("lateLogCells: the Jupyter fixture ends every cell with a display", async () => {
  assertEquals(lateLogCells(await readNotebook(fixture("basic.ipynb"))), []);
});

Deno.test("checkExecution: without a reference, display( calls expect output", () => {
  const executed = nb([
    { source: "await display(md('x'));", outputs: [] },
    { source: "await display (x);", outputs: [DISPLAY] },
    { source: "const displayed = 1;", outputs: [] },
  ]);
  assertEquals(checkExecution(executed).missing, [
    { id: "c0", expected: "1 display", found: "0 display", lost: 1 },
  ]);
});

Deno.test("writeKernelspec: project-local spec for this Deno binary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await writeKernelspec(dir);
    assertEquals(path, `${dir}/.jupyter`);
    const spec = JSON.parse(
      await Deno.readTextFile(`${path}/kernels/deno/kernel.json`),
    );
    assertEquals(spec.argv, [
      Deno.execPath(),
      "jupyter",
      "--kernel",
      "--conn",
      "{connection_file}",
    ]);
    assertEquals(spec.language, "typescript");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "runJupyter: the fixture on the Deno kernel — every cell ran, outputs present",
  // Needs Debian's jupyter-nbconvert (CI installs it) and --allow-run.
  ignore: JUPYTER === null,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const headless = await runNotebook(fixture("basic.ipynb"), { out });
      assertTrue(headless.ok);
      const reference = await readNotebook(headless.executedPath);
      const run = await runJupyter(fixture("basic.ipynb"), {
        out,
        root: out,
        reference,
        cellTimeoutS: 120,
      });
      assertEquals(run.executedPath, `${out}/jupyter/basic.ipynb`);
      assertEquals(run.check, { unexecuted: [], missing: [], errors: [] });
      assertTrue(run.ok);
      const executed = await readNotebook(run.executedPath);
      assertEquals(
        executed.cells.map((c) => c.id),
        reference.cells.map((c) => c.id),
      );
      for (const cell of executed.cells) {
        if (cell.cell_type !== "code") continue;
        assertTrue(typeof cell.execution_count === "number", cell.id);
        if (/\bdisplay\(/.test(String(cell.source))) {
          assertTrue(
            cell.outputs!.some((o) => o.output_type === "display_data"),
            `cell ${cell.id} lost its display output`,
          );
        }
      }
      const show = executed.cells.find((c) => c.id === "show")!;
      const md = show.outputs!.find((o) => o.output_type === "display_data");
      assertEquals(
        md?.output_type === "display_data"
          ? [md.data["text/markdown"]].flat().join("")
          : null,
        "**42**",
      );

      const failing = await runJupyter(fixture("failing.ipynb"), {
        out,
        root: out,
        cellTimeoutS: 120,
      });
      assertEquals(failing.ok, false);
      assertEquals(failing.check.errors.map((e) => [e.id, e.ename]), [[
        "boom",
        "RangeError",
      ]]);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
