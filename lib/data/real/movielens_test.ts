import { assertEquals, assertRejects, assertTrue } from "../../testing.ts";
import { DataError } from "../io.ts";
import { MAX_HISTORY } from "../schema.ts";
import { loadMovielens } from "./movielens.ts";
import { loadValidated, pairRows, realSource, withFiles } from "./testing.ts";

const REAL = await realSource("movielens");

const MOVIES = "movieId,title,genres\n" +
  '10,"Ten, The (1990)",Action|Comedy\n' +
  "2,Two (1995),(no genres listed)\n" +
  "30,Thirty (2000),Drama\n" +
  "4,Four (1999),Comedy\n";
const RATINGS = "userId,movieId,rating,timestamp\n" +
  "1,10,5.0,100\n" +
  "1,2,4.0,100\n" + // same time as movie 10: movieId 2 comes first
  "1,30,3.5,50\n" +
  "1,4,4.5,200\n" +
  "2,30,4.0,10\n" +
  "2,4,1.0,20\n" +
  "3,2,2.0,5\n";

/** The fixture's files, for {@link withFiles}. */
function fixture(movies = MOVIES, ratings = RATINGS): Record<string, string> {
  return { "movies.csv": movies, "ratings.csv": ratings };
}

Deno.test("loadMovielens: hand-checked leave-last-out on a tiny fixture", async () => {
  await withFiles(fixture(), async (dir) => {
    const { ds, counts: c } = await loadValidated(loadMovielens, {
      source: dir,
    });
    // Items in movieId order: 2, 4, 10, 30.
    assertEquals(ds.items.sourceId, ["2", "4", "10", "30"]);
    assertEquals(ds.items.title[2], "Ten, The (1990)");
    assertEquals(ds.items.category, ["", "Comedy", "Action", "Drama"]);
    assertEquals(ds.items.attributes, [
      "",
      "genres=Comedy",
      "genres=Action|Comedy",
      "genres=Drama",
    ]);
    // Ratings per movie 2, 2, 1, 2 minus user 1's held-out 10 and 4.
    assertEquals(Array.from(ds.items.popularity), [2, 1, 0, 2]);
    // User 1: positives 2 (t100), 10 (t100), 4 (t200) → train 2, valid 10,
    // test 4. User 2: one positive → train only. User 3: none.
    assertEquals(Array.from(ds.queries.queryId), [3, 4, 5, 6]);
    assertEquals(Array.from(ds.queries.userId), [1, 1, 1, 2]);
    assertEquals(ds.queries.text, ["", "", "", ""]);
    assertEquals(ds.queries.split, ["train", "valid", "test", "train"]);
    assertEquals(pairRows(ds), [
      [3, 0, 3, "train"],
      [4, 2, 3, "valid"],
      [5, 1, 3, "test"],
      [6, 3, 3, "train"],
    ]);
    assertEquals(Array.from(ds.users!.userId), [1, 2, 3]);
    assertEquals(ds.users!.history.map((h) => Array.from(h)), [[0], [3], []]);
    assertEquals([c.trainOnlyUsers, c.usersWithoutPositives], [1, 1]);

    // minRating 3.5 adds movie 30 (t50) to user 1's train history.
    const loose = await loadMovielens({ source: dir, minRating: 3.5 });
    assertEquals(loose.users!.history.map((h) => Array.from(h)), [
      [3, 0],
      [3],
      [],
    ]);
    assertEquals(pairRows(loose).filter((r) => r[0] === 3), [
      [3, 0, 3, "train"],
      [3, 3, 3, "train"],
    ]);
  });
});

Deno.test("loadMovielens: history keeps the last MAX_HISTORY train positives", async () => {
  const n = MAX_HISTORY + 5;
  let movies = "movieId,title,genres\n";
  let ratings = "userId,movieId,rating,timestamp\n";
  for (let m = 0; m < n; m++) {
    movies += `${m},M${m},Drama\n`;
    // Timestamps run backwards so time order is the reverse of id order.
    ratings += `9,${m},5,${1000 - m}\n`;
  }
  await withFiles(fixture(movies, ratings), async (dir) => {
    const { ds } = await loadValidated(loadMovielens, { source: dir });
    const h = Array.from(ds.users!.history[0]);
    // Time order = ids n-1 … 0; test = 0, valid = 1; train = n-1 … 2.
    assertEquals(h.length, MAX_HISTORY);
    assertEquals(h[0], n - 1 - 3);
    assertEquals(h[h.length - 1], 2);
    assertEquals(pairRows(ds).filter((r) => r[3] !== "train"), [
      [28, 1, 3, "valid"],
      [29, 0, 3, "test"],
    ]);
  });
});

Deno.test("loadMovielens: bad input names file, column and row", async () => {
  await assertRejects(
    () => loadMovielens({ source: "/nonexistent/ml" }),
    DataError,
    "/nonexistent/ml: movielens source folder not found (expected movies.csv, ratings.csv",
  );
  await withFiles(
    fixture(MOVIES, "userId,movieId,rating\n1,2,4\n"),
    async (dir) => {
      await assertRejects(
        () => loadMovielens({ source: dir }),
        DataError,
        `${dir}/ratings.csv: column 'timestamp': missing`,
      );
    },
  );
  await withFiles(fixture(MOVIES, RATINGS + "5,99,4,1\n"), async (dir) => {
    await assertRejects(
      () => loadMovielens({ source: dir }),
      DataError,
      `${dir}/ratings.csv: column 'movieId': row 8: movieId 99 is not in movies.csv`,
    );
    await Deno.writeTextFile(`${dir}/ratings.csv`, RATINGS + "1,10,2,300\n");
    await assertRejects(
      () => loadMovielens({ source: dir }),
      DataError,
      "row 8: user 1 rated movie 10 twice",
    );
    await Deno.writeTextFile(`${dir}/ratings.csv`, RATINGS + "5,2,good,1\n");
    await assertRejects(
      () => loadMovielens({ source: dir }),
      DataError,
      "column 'rating': row 8: 'good' is not a number",
    );
    await assertRejects(
      () => loadMovielens({ source: dir, minRating: 6 }),
      RangeError,
      "option minRating must be a finite number ≥ 0.5 and ≤ 5, got 6",
    );
  });
});

REAL.test("loadMovielens on the real files: counts, no leakage, determinism", async () => {
  const { ds, counts: c } = await loadValidated(loadMovielens, {
    source: REAL.dir,
  });
  assertEquals(ds.items.itemId.length, 9742);
  assertEquals(ds.users!.userId.length, 610);
  assertEquals(c.ratings, 100836);
  assertEquals(c.positives, 48580);
  assertEquals([c.trainOnlyUsers, c.usersWithoutPositives], [1, 1]);
  assertEquals(c.queriesBySplit, { train: 609, valid: 608, test: 608 });
  assertEquals(c.pairsBySplit, { train: 47364, valid: 608, test: 608 });
  // Popularity counts every rating except the 2 × 608 held-out ones.
  assertEquals(
    ds.items.popularity.reduce((s, x) => s + x, 0),
    100836 - 2 * 608,
  );
  // User 1's last two positives in ratings.csv by time: 2012, then 2492.
  const movie = (split: string, user: number) => {
    const k = ds.pairs.queryId.findIndex((q, k) =>
      q === 3 * user + (split === "valid" ? 1 : 2) &&
      ds.pairs.split[k] === split
    );
    return ds.items.sourceId[ds.pairs.itemId[k]];
  };
  assertEquals([movie("valid", 1), movie("test", 1)], ["2012", "2492"]);

  // No leakage: a user's history and train pairs never hold the user's
  // valid or test item; histories are train positives only.
  const heldOut = new Map<number, Set<number>>();
  const train = new Map<number, Set<number>>();
  ds.pairs.queryId.forEach((q, k) => {
    const user = Math.floor(q / 3);
    const m = ds.pairs.split[k] === "train" ? train : heldOut;
    if (!m.has(user)) m.set(user, new Set());
    m.get(user)!.add(ds.pairs.itemId[k]);
  });
  let longest = 0;
  ds.users!.userId.forEach((u, i) => {
    const h = ds.users!.history[i];
    longest = Math.max(longest, h.length);
    const out = heldOut.get(u) ?? new Set();
    for (const item of h) {
      assertTrue(!out.has(item), `user ${u} history holds held-out ${item}`);
      assertTrue(train.get(u)!.has(item));
    }
    for (const item of train.get(u) ?? []) assertTrue(!out.has(item));
  });
  assertEquals(longest, MAX_HISTORY);

  assertEquals(await loadMovielens({ source: REAL.dir }), ds);
});
