import { assertEquals, assertThrows } from "../../testing.ts";
import { DataError } from "../io.ts";
import {
  anyColumnIndex,
  columnIndex,
  decodeUtf8,
  intCell,
  numberCell,
  parseCsv,
} from "./csv.ts";

Deno.test("parseCsv: quotes, doubled quotes, multi-line fields, BOM", () => {
  const t = parseCsv(
    '\uFEFFa,b\n"x, y","say ""hi"""\n"two\nlines",3\n',
    "f.csv",
    { columns: ["a", "b"] },
  );
  assertEquals(t.header, ["a", "b"]);
  assertEquals(t.rows, [["x, y", 'say "hi"'], ["two\nlines", "3"]]);
});

Deno.test("parseCsv: tab-separated with a quoted inch mark", () => {
  const t = parseCsv('id\tq\n285\t"48"" door"\n', "q.tsv", {
    delimiter: "\t",
  });
  assertEquals(t.rows, [["285", '48" door']]);
});

Deno.test("parseCsv: a missing column names the file and the column", () => {
  assertThrows(
    () => parseCsv("a,b\n1,2\n", "dir/f.csv", { columns: ["a", "c"] }),
    DataError,
    "dir/f.csv: column 'c': missing (header has: a, b)",
  );
  const t = parseCsv("query,name\nq,n\n", "s.csv");
  assertEquals(columnIndex(t, "name"), 1);
  assertThrows(
    () => anyColumnIndex(t, ["label", "target"]),
    DataError,
    "s.csv: column 'label|target': missing (expected one of label, target",
  );
});

Deno.test("parseCsv: ragged rows, open quotes and empty files are errors", () => {
  const cases = [
    ["a,b\n1,2,3\n", "r.csv", "r.csv: not valid CSV"],
    ['a,b\n"1,2\n', "q.csv", "q.csv: not valid CSV"],
    ["", "e.csv", "e.csv: is empty"],
  ];
  for (const [text, file, message] of cases) {
    assertThrows(() => parseCsv(text, file), DataError, message);
  }
});

Deno.test("intCell/numberCell name file, column and row", () => {
  const t = parseCsv("id,x\n1,2.5\nz,\n", "n.csv");
  assertEquals(intCell(t, 0, 0), 1);
  assertEquals(numberCell(t, 0, 1), 2.5);
  assertThrows(
    () => intCell(t, 1, 0),
    DataError,
    "n.csv: column 'id': row 2: 'z' is not an integer",
  );
  assertThrows(
    () => intCell(t, 0, 1),
    DataError,
    "'2.5' is not an integer",
  );
  assertThrows(
    () => numberCell(t, 1, 1),
    DataError,
    "n.csv: column 'x': row 2: '' is not a number",
  );
});

Deno.test("decodeUtf8 rejects invalid bytes, naming the file", () => {
  assertEquals(decodeUtf8(new TextEncoder().encode("décor"), "f"), "décor");
  assertThrows(
    () => decodeUtf8(new Uint8Array([0x61, 0xff, 0x62]), "bad.csv"),
    DataError,
    "bad.csv: is not valid UTF-8",
  );
});
