/**
 * MovieLens latest-small (user → movie) converted into this package's tables
 * as an implicit-feedback recommendation set with a leave-last-out split.
 *
 * @module
 */

import { number, type OptionTable, type Resolved } from "../options.ts";
import { DataError } from "../io.ts";
import {
  type Dataset,
  type ItemsTable,
  MAX_HISTORY,
  type Split,
  type UsersTable,
} from "../schema.ts";
import { intCell, numberCell, sourceCsv } from "./csv.ts";
import {
  readSourceFile,
  requireSourceDir,
  resolveSource,
  type SourceOptions,
} from "./source.ts";
import { loaderOptions, sortedPairs, splitQueryId } from "./split.ts";
import { queriesTable, realDataset, sortById } from "./tables.ts";

/** The MovieLens loader's options, each declared once. */
export const MOVIELENS_OPTIONS = {
  minRating: number({
    default: 4,
    min: 0.5,
    max: 5,
    doc: "ratings at or above this count as positives",
  }),
} as const satisfies OptionTable;

/** Options of {@link loadMovielens} ({@link MOVIELENS_OPTIONS}). */
export type MovielensOptions =
  & SourceOptions
  & Partial<Resolved<typeof MOVIELENS_OPTIONS>>;

/** Users need this many positives to get a valid and a test item. */
export const MIN_POSITIVES_FOR_HOLDOUT = 3;

const NO_GENRES = "(no genres listed)";

interface Positive {
  item: number;
  time: number;
  movieId: number;
}

/**
 * Loads MovieLens latest-small as a {@link Dataset}.
 *
 * - items: all movies of `movies.csv` in movieId order (item id = position,
 *   sourceId = movieId); title as given (with the year); category = first
 *   genre; attributes = `genres=A|B|C` (both empty for "(no genres
 *   listed)"); popularity = number of ratings of any value, not counting
 *   the held-out valid/test interactions (so it carries no test signal).
 * - positives: ratings ≥ `minRating`, per user in time order, equal
 *   timestamps ordered by movieId.
 * - split (leave-last-out): a user with ≥ 3 positives gives the last one to
 *   test, the second-to-last to valid, the rest to train; users with fewer
 *   keep all their positives in train and have no valid/test query.
 * - queries: one per (user, split) that has pairs; text "" (MovieLens has no
 *   query text); userId = MovieLens userId; query id = `3 · userId + split
 *   index` (train 0, valid 1, test 2).
 * - pairs: grade 3 for every positive (no graded or negative labels).
 * - users: every user who rated something; history = the user's train
 *   positives, oldest first, the last {@link MAX_HISTORY}; it never holds the
 *   user's valid or test item. Train pairs are in the history too, so
 *   training code that wants to avoid target-in-input should mask them.
 */
export async function loadMovielens(
  options: MovielensOptions = {},
): Promise<Dataset> {
  const dir = resolveSource("movielens", options);
  const { minRating } = loaderOptions(MOVIELENS_OPTIONS, options);
  await requireSourceDir("movielens", dir, ["movies.csv", "ratings.csv"]);
  const mSrc = await readSourceFile("movielens", dir, "movies.csv");
  const rSrc = await readSourceFile("movielens", dir, "ratings.csv");

  const { table: mt, at: [midCol, titleCol, genresCol] } = sourceCsv(mSrc, {
    columns: ["movieId", "title", "genres"],
  });
  const movies = mt.rows.map((row, r) => {
    const g = row[genresCol].trim();
    const genres = g === "" || g === NO_GENRES ? [] : g.split("|");
    return { id: intCell(mt, r, midCol), title: row[titleCol], genres };
  });
  const index = sortById(
    movies,
    (id) => new DataError(mSrc.path, `movieId ${id} appears twice`, "movieId"),
  );

  const { table: rt, at: [uCol, iCol, rCol, tCol] } = sourceCsv(rSrc, {
    columns: ["userId", "movieId", "rating", "timestamp"],
  });
  const ratingCount = new Float32Array(movies.length);
  const positives = new Map<number, Positive[]>();
  const seen = new Set<string>();
  for (let r = 0; r < rt.rows.length; r++) {
    const user = intCell(rt, r, uCol);
    if (user < 0) {
      throw new DataError(
        rSrc.path,
        `row ${r + 1}: negative userId ${user}`,
        "userId",
      );
    }
    const movieId = intCell(rt, r, iCol);
    const item = index.get(movieId);
    if (item === undefined) {
      throw new DataError(
        rSrc.path,
        `row ${r + 1}: movieId ${movieId} is not in movies.csv`,
        "movieId",
      );
    }
    const key = `${user}:${movieId}`;
    if (seen.has(key)) {
      // A second rating would let the same movie sit in train and test.
      throw new DataError(
        rSrc.path,
        `row ${r + 1}: user ${user} rated movie ${movieId} twice`,
        "movieId",
      );
    }
    seen.add(key);
    const rating = numberCell(rt, r, rCol);
    const time = intCell(rt, r, tCol);
    ratingCount[item]++;
    let list = positives.get(user);
    if (!list) positives.set(user, list = []);
    if (rating >= minRating) list.push({ item, time, movieId });
  }

  const userIds = [...positives.keys()].sort((a, b) => a - b);
  const pairRows: { q: number; i: number; r: number; s: Split }[] = [];
  const qRows: { id: number; user: number; split: Split }[] = [];
  const history: Int32Array[] = [];
  const popularity = ratingCount.slice();
  let trainOnlyUsers = 0;
  let usersWithoutPositives = 0;
  for (const user of userIds) {
    const list = positives.get(user)!;
    list.sort((a, b) => a.time - b.time || a.movieId - b.movieId);
    let train = list;
    if (list.length >= MIN_POSITIVES_FOR_HOLDOUT) {
      const n = list.length;
      train = list.slice(0, n - 2);
      for (
        const [s, p] of [["valid", list[n - 2]], ["test", list[n - 1]]] as [
          Split,
          Positive,
        ][]
      ) {
        qRows.push({ id: splitQueryId(user, s), user, split: s });
        pairRows.push({ q: splitQueryId(user, s), i: p.item, r: 3, s });
        popularity[p.item]--;
      }
    } else if (list.length > 0) trainOnlyUsers++;
    else usersWithoutPositives++;
    if (train.length > 0) {
      const q = splitQueryId(user, "train");
      qRows.push({ id: q, user, split: "train" });
      for (const p of train) pairRows.push({ q, i: p.item, r: 3, s: "train" });
    }
    history.push(
      Int32Array.from(train.slice(-MAX_HISTORY), (p) => p.item),
    );
  }
  const queries = queriesTable(qRows);
  const pairs = sortedPairs(pairRows);
  const users: UsersTable = { userId: Int32Array.from(userIds), history };
  const items: ItemsTable = {
    itemId: Int32Array.from({ length: movies.length }, (_, i) => i),
    sourceId: movies.map((m) => String(m.id)),
    title: movies.map((m) => m.title),
    category: movies.map((m) => m.genres[0] ?? ""),
    brand: movies.map(() => ""),
    attributes: movies.map((m) =>
      m.genres.length > 0 ? `genres=${m.genres.join("|")}` : ""
    ),
    popularity,
  };
  const totalPositives = [...positives.values()].reduce(
    (s, l) => s + l.length,
    0,
  );
  return realDataset({ items, queries, pairs, users }, {
    name: "movielens",
    source: dir,
    files: { "movies.csv": mSrc.sha256, "ratings.csv": rSrc.sha256 },
    minRating,
    labels: `rating >= ${minRating} → 3 (implicit positive); lower ` +
      "ratings are not pairs",
    splits: "leave-last-out per user by (timestamp, movieId): last " +
      "positive → test, second-to-last → valid, rest → train; users " +
      `with < ${MIN_POSITIVES_FOR_HOLDOUT} positives are train only; ` +
      "query_id = 3·userId + (0 train, 1 valid, 2 test); query text empty",
    history: `train positives, oldest first, last ${MAX_HISTORY}`,
    popularity: "number of ratings (any value) minus held-out " +
      "valid/test interactions",
    counts: {
      items: movies.length,
      users: userIds.length,
      ratings: rt.rows.length,
      positives: totalPositives,
      trainOnlyUsers,
      usersWithoutPositives,
    },
  });
}
