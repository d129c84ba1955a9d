import { assertEquals, assertRejects, assertTrue } from "../../testing.ts";
import { DataError, validateDataset } from "../io.ts";
import { loadWands, matchKey, WANDS_SUBSET_FILES } from "./wands.ts";
import { loadValidated, pairRows, realSource, withFiles } from "./testing.ts";

const REAL = await realSource("wands");

const QUERIES = "query_id\tquery\tquery_class\n" +
  "0\tred chair\tChairs\n" +
  '1\t"48"" door"\tDoors\n' +
  "2\toak table\tTables\n" +
  "3\tlonely query\tX\n";

const SUBSET = {
  "query.csv": QUERIES,
  [WANDS_SUBSET_FILES.test]: "query,name,target\n" +
    "red chair,acme red chair,Relevant\n" +
    "red chair,blue sofa,Not relevant\n" +
    "48 door,barn door 48 '' kit,Relevant\n" +
    "new query,oak table x,Relevant\n",
  [WANDS_SUBSET_FILES.train]: "query,name,label\n" +
    "red chair,acme red chair,Relevant\n" +
    "red chair,green chair,Relevant\n" +
    "oak table,oak table x,Relevant\n" +
    "oak table,blue sofa,Not relevant\n" +
    "oak table,barn door 48  kit,Not relevant\n",
};

Deno.test("matchKey ignores case, punctuation and inch marks", () => {
  assertEquals(matchKey('48" Sliding  Track'), "48 sliding track");
  assertEquals(matchKey("teal (prints)"), matchKey("teal prints"));
  assertEquals(matchKey("table 26 '' tall"), matchKey("table 26  tall"));
  assertEquals(matchKey("Kids Wall Décor"), "kids wall décor");
});

Deno.test("loadWands subset: hand-checked tables on a tiny fixture", async () => {
  await withFiles(SUBSET, async (dir) => {
    const { ds, counts } = await loadValidated(loadWands, {
      source: dir,
      validFraction: 0,
    });
    // Items sorted by match key; the longest spelling wins.
    assertEquals(ds.items.title, [
      "acme red chair",
      "barn door 48 '' kit",
      "blue sofa",
      "green chair",
      "oak table x",
    ]);
    assertEquals(Array.from(ds.items.popularity), [0, 0, 0, 1, 1]);
    // id = 3·WANDS id + split; "new query" gets id 4 (after query.csv's 3).
    assertEquals(Array.from(ds.queries.queryId), [0, 2, 5, 6, 9, 14]);
    assertEquals(ds.queries.text, [
      "red chair",
      "red chair",
      '48" door',
      "oak table",
      "lonely query",
      "new query",
    ]);
    assertEquals(ds.queries.split, [
      "train",
      "test",
      "test",
      "train",
      "train",
      "test",
    ]);
    // (red chair, acme red chair) is in both files: kept in test only.
    assertEquals(pairRows(ds), [
      [0, 3, 3, "train"],
      [2, 0, 3, "test"],
      [2, 2, 0, "test"],
      [5, 1, 3, "test"],
      [6, 1, 0, "train"],
      [6, 2, 0, "train"],
      [6, 4, 3, "train"],
      [14, 4, 3, "test"],
    ]);
    assertEquals(counts.trainPairsDroppedAsInTest, 1);
    assertEquals(counts.unlabelledQueries, 1);
    assertEquals(counts.subsetQueriesNotInQueryCsv, 1);
    assertEquals(counts.rawProductNames, 6);

    const dropped = await loadWands({
      source: dir,
      validFraction: 0,
      unlabelled: "drop",
    });
    assertEquals(Array.from(dropped.queries.queryId), [0, 2, 5, 6, 14]);
  });
});

Deno.test("loadWands subset: valid is carved by whole queries, deterministically", async () => {
  await withFiles(SUBSET, async (dir) => {
    const a = await loadWands({ source: dir, validFraction: 0.5, seed: 3 });
    const b = await loadWands({ source: dir, validFraction: 0.5, seed: 3 });
    assertEquals(a, b);
    validateDataset(a);
    const valid = new Set<number>();
    const train = new Set<number>();
    a.pairs.queryId.forEach((q, k) => {
      if (a.pairs.split[k] === "valid") valid.add(Math.floor(q / 3));
      if (a.pairs.split[k] === "train") train.add(Math.floor(q / 3));
    });
    // Two train queries (0 and 2), one of them goes to valid entirely.
    assertEquals(valid.size, 1);
    assertEquals(train.size, 1);
    assertEquals([...valid, ...train].sort(), [0, 2]);
  });
});

Deno.test("loadWands: missing folder, column or label give clear errors", async () => {
  await assertRejects(
    () => loadWands({ source: "/nonexistent/wands" }),
    DataError,
    "/nonexistent/wands: wands source folder not found (expected query.csv, " +
      WANDS_SUBSET_FILES.train,
  );
  await withFiles({
    ...SUBSET,
    [WANDS_SUBSET_FILES.train]: "query,product\nred chair,x\n",
  }, async (dir) => {
    await assertRejects(
      () => loadWands({ source: dir }),
      DataError,
      `${dir}/${WANDS_SUBSET_FILES.train}: column 'name': missing`,
    );
    await Deno.writeTextFile(
      `${dir}/${WANDS_SUBSET_FILES.train}`,
      "query,name,label\nred chair,x,Maybe\n",
    );
    await assertRejects(
      () => loadWands({ source: dir }),
      DataError,
      "column 'label': row 1: unknown label 'Maybe'",
    );
    await Deno.remove(`${dir}/${WANDS_SUBSET_FILES.test}`);
    await assertRejects(
      () => loadWands({ source: dir }),
      DataError,
      `${dir}/${WANDS_SUBSET_FILES.test}: file not found (the wands loader ` +
        `expects '${WANDS_SUBSET_FILES.test}' in ${dir})`,
    );
  });
  await assertRejects(
    () => loadWands({ source: "/x", validFraction: 1 }),
    RangeError,
    "option validFraction must be a finite number ≥ 0 and < 1, got 1",
  );
});

const FULL = {
  "query.csv": QUERIES,
  "product.csv":
    "product_id\tproduct_name\tproduct_class\tcategory_hierarchy\n" +
    "0\tred chair\tChairs\tFurniture / Chairs\n" +
    "7\toak table\tTables\tFurniture / Tables / Dining\n" +
    "3\tsofa\tSofas\t\n",
  "label.csv": "id\tquery_id\tproduct_id\tlabel\n" +
    "0\t0\t0\tExact\n" +
    "1\t0\t3\tPartial\n" +
    "2\t0\t7\tIrrelevant\n" +
    "3\t2\t7\tExact\n",
};

Deno.test("loadWands full: three grades, categories, auto-detected", async () => {
  await withFiles(FULL, async (dir) => {
    const { ds } = await loadValidated(loadWands, {
      source: dir,
      testFraction: 0,
      validFraction: 0,
    });
    assertEquals(ds.meta.variant, "full");
    assertEquals(Array.from(ds.items.itemId), [0, 3, 7]);
    assertEquals(ds.items.category, [
      "Furniture > Chairs",
      "",
      "Furniture > Tables > Dining",
    ]);
    assertEquals(ds.items.attributes, [
      "class=Chairs",
      "class=Sofas",
      "class=Tables",
    ]);
    assertEquals(pairRows(ds), [
      [0, 0, 3, "train"],
      [0, 3, 2, "train"],
      [0, 7, 0, "train"],
      [6, 7, 3, "train"],
    ]);
    assertEquals(Array.from(ds.items.popularity), [1, 1, 1]);
    // All four WANDS queries stay; 1 and 3 have no labels.
    assertEquals(Array.from(ds.queries.queryId), [0, 3, 6, 9]);

    const split = await loadWands({
      source: dir,
      testFraction: 0.5,
      validFraction: 0,
    });
    const test = new Set(
      Array.from(split.pairs.queryId).filter((_, k) =>
        split.pairs.split[k] === "test"
      ).map((q) => Math.floor(q / 3)),
    );
    assertEquals(test.size, 1);

    await Deno.writeTextFile(
      `${dir}/label.csv`,
      "id\tquery_id\tproduct_id\tlabel\n0\t0\t99\tExact\n",
    );
    await assertRejects(
      () => loadWands({ source: dir }),
      DataError,
      `${dir}/label.csv: column 'product_id': row 1: product id 99 is not in product.csv`,
    );
    // Forcing the subset ignores the full files (which the fixture lacks).
    await assertRejects(
      () => loadWands({ source: dir, variant: "subset" }),
      DataError,
      "file not found",
    );
  });
});

REAL.test("loadWands on the real files: counts, labels, no train/test overlap", async () => {
  const { ds, counts } = await loadValidated(loadWands, { source: REAL.dir });
  assertEquals(ds.meta.variant, "subset");
  assertEquals(counts.rawProductNames, 2836);
  assertEquals(ds.items.itemId.length, 2825);
  assertEquals(counts.wandsQueries, 480);
  assertEquals(
    new Set(Array.from(ds.queries.queryId, (q) => Math.floor(q / 3))).size,
    480,
  );
  assertEquals(counts.subsetQueriesNotInQueryCsv, 0);
  assertEquals(counts.subsetRows, { train: 200, test: 2800 });
  assertEquals(counts.trainPairsDroppedAsInTest, 50);
  assertEquals(counts.unlabelledQueries, 71);
  assertEquals(counts.pairsBySplit, { train: 130, valid: 20, test: 2799 });
  assertEquals(counts.relevanceBySplit, {
    train: { "0": 86, "3": 44 },
    valid: { "0": 14, "3": 6 },
    test: { "0": 1399, "3": 1400 },
  });
  assertEquals(ds.meta.files, {
    "query.csv":
      "63b61660560fecc33ec490804c7e2b81402ee3e7c31a9cbb5e03736639f68e95",
    [WANDS_SUBSET_FILES.train]:
      "84f0536846c172300a89b381a39243538b080206d735b6c1e4b92303531b6e54",
    [WANDS_SUBSET_FILES.test]:
      "5b764fd78de8596e5253de13bde017436264d8de738cb6a985ecbc19acf7d133",
  });
  // No (WANDS query, product) pair is labelled in two splits.
  const seen = new Map<string, string>();
  ds.pairs.queryId.forEach((q, k) => {
    const key = `${Math.floor(q / 3)}:${ds.pairs.itemId[k]}`;
    const s = ds.pairs.split[k];
    assertTrue(!seen.has(key) || seen.get(key) === s, key);
    seen.set(key, s);
  });
  // Test queries carry the query.csv spelling, e.g. 48" with its quote.
  assertTrue(
    ds.queries.text.includes(
      '48" sliding single track , barn door for laundry',
    ),
  );
  assertEquals(await loadWands({ source: REAL.dir }), ds);
});
