import {
  Field,
  Int32,
  List,
  Table,
  tableFromArrays,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  DataError,
  directoryExists,
  fileExists,
  fileSlug,
  pairsToArrow,
  pathExists,
  readDataset,
  stableHash,
  validateDataset,
  writeDataset,
} from "./io.ts";
import type { Dataset } from "./schema.ts";

export function tinyDataset(): Dataset {
  return {
    items: {
      itemId: Int32Array.from([0, 1, 2]),
      sourceId: ["a", "b", "c"],
      title: ["red chair", "blue chair", "oak table"],
      category: [
        "Furniture > Chairs",
        "Furniture > Chairs",
        "Furniture > Tables",
      ],
      brand: ["acme", "", "oakly"],
      attributes: ["color=red", "color=blue", ""],
      popularity: Float32Array.from([3, 1, 0]),
    },
    queries: {
      queryId: Int32Array.from([10, 11]),
      text: ["red chair", "table"],
      userId: Int32Array.from([5, -1]),
      split: ["train", "test"],
    },
    pairs: {
      queryId: Int32Array.from([10, 10, 11]),
      itemId: Int32Array.from([0, 1, 2]),
      relevance: Int8Array.from([3, 2, 3]),
      split: ["train", "train", "test"],
    },
    users: { userId: Int32Array.from([5]), history: [Int32Array.from([2, 0])] },
    meta: { name: "tiny" },
  };
}

Deno.test("dataset round-trips through Arrow files", async () => {
  const dir = await Deno.makeTempDir();
  const ds = tinyDataset();
  await writeDataset(dir, ds);
  const back = await readDataset(dir);
  assertEquals(back, ds);
});

Deno.test("dangling item id names the file and column", async () => {
  const dir = await Deno.makeTempDir();
  const ds = tinyDataset();
  ds.pairs.itemId[2] = 99;
  const err = await assertRejects(() => writeDataset(dir, ds), DataError);
  assertEquals(err.column, "item_id");
});

async function writtenTiny(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await writeDataset(dir, tinyDataset());
  return dir;
}

Deno.test("a file that is not Arrow is named in the error", async () => {
  const dir = await writtenTiny();
  await Deno.writeTextFile(`${dir}/items.arrow`, "item_id,title\n1,chair\n");
  await assertRejects(
    () => readDataset(dir),
    DataError,
    `${dir}/items.arrow: not an Arrow IPC file`,
  );
});

Deno.test("a missing table file is named in the error", async () => {
  const dir = await writtenTiny();
  await Deno.remove(`${dir}/pairs.arrow`);
  await assertRejects(
    () => readDataset(dir),
    DataError,
    `${dir}/pairs.arrow: file not found (expected the pairs table)`,
  );
});

Deno.test("the wrong table in a file names the missing column", async () => {
  const dir = await writtenTiny();
  await Deno.copyFile(`${dir}/pairs.arrow`, `${dir}/items.arrow`);
  await assertRejects(
    () => readDataset(dir),
    DataError,
    `${dir}/items.arrow: column 'source_id': missing`,
  );
});

Deno.test("a column of the wrong type names the column and both types", async () => {
  const dir = await writtenTiny();
  const t = tableFromArrays({
    query_id: Float64Array.from([1]),
    text: ["x"],
    user_id: Int32Array.from([0]),
    split: ["train"],
  });
  await Deno.writeFile(`${dir}/queries.arrow`, tableToIPC(t, "file"));
  await assertRejects(
    () => readDataset(dir),
    DataError,
    /queries\.arrow: column 'query_id': has type Float64, expected Int32/,
  );
});

Deno.test("an empty table is refused", async () => {
  const dir = await writtenTiny();
  const t = pairsToArrow({
    queryId: new Int32Array(0),
    itemId: new Int32Array(0),
    relevance: new Int8Array(0),
    split: [],
  });
  await Deno.writeFile(`${dir}/pairs.arrow`, tableToIPC(t, "file"));
  await assertRejects(
    () => readDataset(dir),
    DataError,
    `${dir}/pairs.arrow: table is empty`,
  );
});

Deno.test("dangling ids in every reference are refused with file and column", () => {
  const cases: [string, (ds: Dataset) => void, RegExp][] = [
    [
      "pair query",
      (d) => (d.pairs.queryId[0] = 77),
      /pairs\.arrow: column 'query_id': row 0: query id 77 is not in queries/,
    ],
    [
      "pair item",
      (d) => (d.pairs.itemId[1] = 9),
      /pairs\.arrow: column 'item_id': row 1: item id 9 is not in items/,
    ],
    [
      "history item",
      (d) => (d.users!.history[0] = Int32Array.from([4])),
      /users\.arrow: column 'history': row 0: item id 4/,
    ],
    [
      "query user",
      (d) => (d.queries.userId[1] = 6),
      /queries\.arrow: column 'user_id': row 1: user id 6/,
    ],
    [
      "duplicate item",
      (d) => (d.items.itemId[1] = 0),
      /items\.arrow: column 'item_id': row 1: duplicate id 0/,
    ],
    [
      "relevance",
      (d) => (d.pairs.relevance[0] = 4),
      /column 'relevance': row 0: relevance 4 is outside 0–3/,
    ],
    [
      "split",
      (d) => (d.pairs.split[2] = "train"),
      /column 'split': row 2: split 'train' differs/,
    ],
    [
      "popularity",
      (d) => (d.items.popularity[0] = NaN),
      /column 'popularity': row 0/,
    ],
  ];
  for (const [name, mutate, message] of cases) {
    const ds = tinyDataset();
    mutate(ds);
    assertThrows(() => validateDataset(ds, "d"), DataError, message);
    assertTrue(name.length > 0);
  }
});

Deno.test("a bad split value in a file is refused", async () => {
  const dir = await writtenTiny();
  const t = tableFromArrays({
    query_id: Int32Array.from([10, 11]),
    text: ["a", "b"],
    user_id: Int32Array.from([5, 5]),
    split: ["train", "dev"],
  });
  await Deno.writeFile(`${dir}/queries.arrow`, tableToIPC(t, "file"));
  await assertRejects(
    () => readDataset(dir),
    DataError,
    "column 'split': row 1: 'dev' is not one of train, valid, test",
  );
});

Deno.test("an invalid dataset never overwrites existing files", async () => {
  const dir = await writtenTiny();
  const before = await Deno.readFile(`${dir}/items.arrow`);
  const ds = tinyDataset();
  ds.items.title[0] = "changed";
  ds.pairs.itemId[0] = 42;
  await assertRejects(() => writeDataset(dir, ds), DataError);
  assertEquals(await Deno.readFile(`${dir}/items.arrow`), before);
  const leftovers = [...Deno.readDirSync(dir)].filter((e) =>
    e.name.includes(".tmp-")
  );
  assertEquals(leftovers, []);
});

Deno.test("writing the same dataset twice gives identical bytes", async () => {
  const a = await writtenTiny(), b = await writtenTiny();
  for (const f of ["items", "queries", "pairs", "users"]) {
    assertEquals(
      await Deno.readFile(`${a}/${f}.arrow`),
      await Deno.readFile(`${b}/${f}.arrow`),
    );
  }
  assertEquals(
    await Deno.readTextFile(`${a}/meta.json`),
    await Deno.readTextFile(`${b}/meta.json`),
  );
});

/** A List<Int32> column whose elements may be null, as pyarrow writes it. */
function historyColumn(rows: (number | null)[][]) {
  return vectorFromArray(rows, new List(new Field("item", new Int32(), true)));
}

Deno.test("a null inside users.history is refused with file, column and row", async () => {
  const dir = await writtenTiny();
  // pyarrow writes a nullable child by default: [[2, null]] must not read as item 0.
  const t = new Table({
    user_id: vectorFromArray(Int32Array.from([5])),
    history: historyColumn([[2, null]]),
  });
  await Deno.writeFile(`${dir}/users.arrow`, tableToIPC(t, "file"));
  await assertRejects(
    () => readDataset(dir),
    DataError,
    `${dir}/users.arrow: column 'history': row 0: position 1 is null`,
  );
});

Deno.test("a negative user_id is refused in users.arrow and queries.arrow", async () => {
  const dir = await writtenTiny();
  const users = new Table({
    user_id: vectorFromArray(Int32Array.from([-5])),
    history: historyColumn([[2, 0]]),
  });
  await Deno.writeFile(`${dir}/users.arrow`, tableToIPC(users, "file"));
  await assertRejects(
    () => readDataset(dir),
    DataError,
    `${dir}/users.arrow: column 'user_id': row 0: negative id -5`,
  );
  const dir2 = await writtenTiny();
  // -1 is how memory spells "no user"; in a file only a null means that.
  const queries = tableFromArrays({
    query_id: Int32Array.from([10, 11]),
    text: ["red chair", "table"],
    user_id: Int32Array.from([5, -1]),
    split: ["train", "test"],
  });
  await Deno.writeFile(`${dir2}/queries.arrow`, tableToIPC(queries, "file"));
  await assertRejects(
    () => readDataset(dir2),
    DataError,
    `${dir2}/queries.arrow: column 'user_id': row 1: negative id -1`,
  );
});

Deno.test("fileExists, directoryExists and pathExists tell files, folders and nothing apart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a.txt`;
    await Deno.writeTextFile(file, "a");
    assertEquals(
      await Promise.all([file, dir, `${dir}/none`].map(fileExists)),
      [true, false, false],
    );
    assertEquals(
      await Promise.all([file, dir, `${dir}/none`].map(directoryExists)),
      [false, true, false],
    );
    assertEquals(
      await Promise.all([file, dir, `${dir}/none`].map(pathExists)),
      [true, true, false],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stableHash: 12 hex digits of the SHA-256 of the stable JSON, whatever the key order", () => {
  // The stable JSON is indented by two spaces: printf '{\n  "a": 2,\n  "b":
  // [\n    1,\n    {\n      "c": null,\n      "d": "x"\n    }\n  ]\n}' | sha256sum
  const want = "4b6e7e5bdc40";
  assertEquals(stableHash({ a: 2, b: [1, { c: null, d: "x" }] }), want);
  assertEquals(stableHash({ b: [1, { d: "x", c: null }], a: 2 }), want);
  assertTrue(stableHash({ a: 3, b: [1, { c: null, d: "x" }] }) !== want);
});

Deno.test("fileSlug: each run of other characters becomes one underscore", () => {
  assertEquals(fileSlug("synthetic-quick"), "synthetic-quick");
  assertEquals(fileSlug("fixed δ=0.1 / run 2"), "fixed_0.1_run_2");
});
