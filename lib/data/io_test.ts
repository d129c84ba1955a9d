import { assertEquals, assertRejects } from "../testing.ts";
import { DataError, readDataset, writeDataset } from "./io.ts";
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
