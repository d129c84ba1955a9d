import { assertEquals, assertThrows } from "../testing.ts";
import {
  NotebookError,
  notebookName,
  onlyNotebookNames,
  parseNotebook,
  splitLines,
} from "./notebook.ts";
import { nbJson } from "./testdata/helpers.ts";

Deno.test("parseNotebook: accepts cells with unique ids", () => {
  const nb = parseNotebook(
    nbJson([
      { cell_type: "markdown", id: "intro", source: ["# T\n", "x"] },
      { cell_type: "code", id: "c-1_a", source: "1", outputs: [] },
    ]),
    "t.ipynb",
  );
  assertEquals(nb.cells.map((c) => c.id), ["intro", "c-1_a"]);
});

/** The error `parseNotebook` throws for a notebook of `cells` at `path`. */
function refusal(
  cells: Record<string, unknown>[],
  options: { path: string; message: string },
): NotebookError {
  return assertThrows(
    () => parseNotebook(nbJson(cells), options.path),
    NotebookError,
    options.message,
  );
}

Deno.test("parseNotebook: a missing id names the notebook and cell index", () => {
  const err = refusal([
    { cell_type: "code", id: "a" },
    { cell_type: "markdown" },
  ], {
    path: "nb/x.ipynb",
    message: "nb/x.ipynb: cell 1: markdown cell has no id",
  });
  assertEquals(err.cellIndex, 1);
});

Deno.test("parseNotebook: a duplicate id names both cells", () => {
  const err = refusal([
    { cell_type: "code", id: "a" },
    { cell_type: "code", id: "b" },
    { cell_type: "code", id: "a" },
  ], {
    path: "x.ipynb",
    message: "x.ipynb: cell 2 (id 'a'): duplicate id: already used by cell 0",
  });
  assertEquals(err.cellId, "a");
});

Deno.test("parseNotebook: other malformed notebooks are refused", () => {
  assertThrows(() => parseNotebook("{", "x.ipynb"), NotebookError, "JSON");
  assertThrows(
    () => parseNotebook(nbJson([{ cell_type: "code", id: "a" }], 4), "x.ipynb"),
    NotebookError,
    "need 4.5",
  );
  refusal([{ cell_type: "code", id: "a b" }], {
    path: "x.ipynb",
    message: 'cell 0: id "a b"',
  });
  refusal([{ cell_type: "heading", id: "a" }], {
    path: "x.ipynb",
    message: "unknown cell_type",
  });
  const py = JSON.parse(nbJson([]));
  py.metadata.kernelspec.name = "python3";
  assertThrows(
    () => parseNotebook(JSON.stringify(py), "x.ipynb"),
    NotebookError,
    "kernelspec 'python3'",
  );
});

Deno.test("notebookName and splitLines", () => {
  assertEquals(notebookName("/a/b/01_derivation.ipynb"), "01_derivation");
  assertThrows(() => notebookName("a b.ipynb"), NotebookError);
  assertThrows(() => notebookName("x.json"), NotebookError);
  assertEquals(splitLines("a\nb\n"), ["a\n", "b\n"]);
  assertEquals(splitLines("a\n\nb"), ["a\n", "\n", "b"]);
  assertEquals(splitLines(""), []);
});

Deno.test("onlyNotebookNames: names, files and comma lists", () => {
  assertEquals(
    onlyNotebookNames([
      "04_baseline_dssm",
      "notebooks/05_baseline_mgdspr.ipynb, 06_experiments.ipynb",
      " ",
    ]),
    ["04_baseline_dssm", "05_baseline_mgdspr", "06_experiments"],
  );
  assertEquals(onlyNotebookNames([]), []);
});
