/**
 * WANDS (Wayfair product search) converted into this package's tables.
 *
 * Two variants:
 * - `subset` (what `shared/datasets/wands` holds): the 480 official queries
 *   plus the 3,000 binary-labelled (query, product name) pairs of the
 *   "ChatGPT goes shopping" subset. There is no catalogue, so the items are
 *   the distinct product names in those pairs.
 * - `full` (after `deno task download wands` on a machine with
 *   internet): `product.csv` + `label.csv` with WANDS's three grades.
 *
 * @module
 */

import { choice, type OptionTable, type Resolved } from "../options.ts";
import { DataError, fileExists, joinPath } from "../io.ts";
import type { Dataset, ItemsTable, Split } from "../schema.ts";
import { anyColumnIndex, type CsvTable, intCell, sourceCsv } from "./csv.ts";
import {
  readSourceFile,
  requireSourceDir,
  resolveSource,
  type SourceBytes,
  type SourceOptions,
} from "./source.ts";
import {
  fraction,
  loaderOptions,
  pickFraction,
  shuffledKeys,
  sortedPairs,
  SPLIT_SEED,
  splitQueryId,
  VALID_FRACTION,
} from "./split.ts";
import {
  queriesTable,
  type QueryRow,
  realDataset,
  textItems,
  trainPopularity,
} from "./tables.ts";

/**
 * WANDS label → relevance grade. `Exact`→3 and `Irrelevant`→0 as in ESCI;
 * `Partial`→2 because a partial match plays the role of an ESCI
 * "substitute". The subset files carry only `Relevant`/`Not relevant` (how
 * their authors folded `Partial` in is not documented), so they are treated
 * as binary: `Relevant`→3, `Not relevant`→0.
 */
export const WANDS_LABELS: Readonly<Record<string, number>> = {
  Exact: 3,
  Partial: 2,
  Irrelevant: 0,
  Relevant: 3,
  "Not relevant": 0,
};

/** Subset files, relative to the WANDS folder. */
export const WANDS_SUBSET_FILES = {
  train: "chatgpt-goes-shopping-subset/wands_200_train_partial.csv",
  test: "chatgpt-goes-shopping-subset/wands_2800_test_partial.csv",
} as const;

/** The WANDS loader's options, each declared once. */
export const WANDS_OPTIONS = {
  variant: choice({
    choices: ["auto", "subset", "full"],
    default: "auto",
    doc:
      "auto: full when product.csv and label.csv are both in the folder, else subset",
  }),
  seed: SPLIT_SEED,
  validFraction: VALID_FRACTION,
  testFraction: fraction(
    0.2,
    "full variant only: share of all queries put in test",
  ),
  unlabelled: choice({
    choices: ["train", "drop"],
    default: "train",
    doc:
      "WANDS queries that have no pair: train keeps them as train queries without pairs (all 480 query texts present, no metric computed on them); drop leaves them out",
  }),
} as const satisfies OptionTable;

/** Options of {@link loadWands} ({@link WANDS_OPTIONS}). */
export type WandsOptions =
  & SourceOptions
  & Partial<Resolved<typeof WANDS_OPTIONS>>;

type Unlabelled = Resolved<typeof WANDS_OPTIONS>["unlabelled"];

/**
 * Key under which query and product strings are matched: lower case, runs
 * of anything but letters and digits collapsed to one space. The subset
 * strips `"`, `''` and parentheses from some rows (mostly the negatives), so
 * e.g. `48" sliding …` and `48 sliding …` must meet.
 */
export function matchKey(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

interface WandsQuery {
  id: number;
  text: string;
}

function readQueries(src: SourceBytes): {
  byKey: Map<string, WandsQuery>;
  all: WandsQuery[];
} {
  const { table: t, at: [idCol, textCol] } = sourceCsv(src, {
    delimiter: "\t",
    columns: ["query_id", "query"],
  });
  const byKey = new Map<string, WandsQuery>();
  const all: WandsQuery[] = [];
  const ids = new Set<number>();
  for (let r = 0; r < t.rows.length; r++) {
    const id = intCell(t, r, idCol);
    if (id < 0 || ids.has(id)) {
      throw new DataError(
        src.path,
        `row ${r + 1}: query id ${id} is negative or repeated`,
        "query_id",
      );
    }
    ids.add(id);
    const q = { id, text: t.rows[r][textCol] };
    all.push(q);
    const key = matchKey(q.text);
    if (!byKey.has(key)) byKey.set(key, q);
  }
  return { byKey, all };
}

function labelOf(t: CsvTable, row: number, col: number): number {
  const raw = t.rows[row][col].trim();
  const r = WANDS_LABELS[raw];
  if (r === undefined) {
    throw new DataError(
      t.file,
      `row ${row + 1}: unknown label '${raw}' (expected one of ${
        Object.keys(WANDS_LABELS).join(", ")
      })`,
      t.header[col],
    );
  }
  return r;
}

interface SubsetRow {
  qKey: string;
  qText: string;
  iKey: string;
  name: string;
  rel: number;
}

function readSubsetFile(src: SourceBytes): SubsetRow[] {
  const { table: t, at: [qCol, nCol] } = sourceCsv(src, {
    columns: ["query", "name"],
  });
  const lCol = anyColumnIndex(t, ["label", "target"]);
  return t.rows.map((row, r) => ({
    qKey: matchKey(row[qCol]),
    qText: row[qCol],
    iKey: matchKey(row[nCol]),
    name: row[nCol],
    rel: labelOf(t, r, lCol),
  }));
}

/** Longest variant wins (the un-stripped spelling); ties: smallest string. */
function better(a: string, b: string): boolean {
  return a.length > b.length || (a.length === b.length && a < b);
}

/**
 * Loads WANDS as a {@link Dataset}.
 *
 * Subset variant:
 * - items: one per distinct product name after {@link matchKey} (2,836 raw
 *   names are 2,825 products); title = the longest spelling; category,
 *   brand and attributes empty (the subset has no product fields);
 *   popularity = number of positive train pairs.
 * - queries: matched to `query.csv` by {@link matchKey}, text from
 *   `query.csv`; one query row per (WANDS query, split), id =
 *   `3 · query_id + split index` (see `splitQueryId`).
 * - splits: the subset's test file → test (all 2,800 pairs kept); its train
 *   file → train, minus the pairs that are also in the test file (50), and
 *   `validFraction` of its queries → valid. Most train queries also occur in
 *   test with other products; the pairs themselves are disjoint.
 * - labels: {@link WANDS_LABELS}.
 *
 * Full variant: items = `product.csv` (id = product_id, category =
 * category_hierarchy with `" > "`, attributes = `class=<product_class>`),
 * pairs = `label.csv`, queries split at random by query (`testFraction`
 * test, `validFraction` valid, rest train).
 */
export async function loadWands(options: WandsOptions = {}): Promise<Dataset> {
  const dir = resolveSource("wands", options);
  const resolved = loaderOptions(WANDS_OPTIONS, options);
  const { seed, validFraction, variant, unlabelled } = resolved;
  const full = ["product.csv", "label.csv"];
  const expected = variant === "full"
    ? ["query.csv", ...full]
    : ["query.csv", WANDS_SUBSET_FILES.train, WANDS_SUBSET_FILES.test];
  await requireSourceDir("wands", dir, expected);
  let useFull = variant === "full";
  if (variant === "auto") {
    useFull = (await fileExists(joinPath(dir, "product.csv"))) &&
      (await fileExists(joinPath(dir, "label.csv")));
  }
  return useFull
    ? await loadFull(dir, seed, validFraction, unlabelled, resolved)
    : await loadSubset(dir, seed, validFraction, unlabelled);
}

async function loadSubset(
  dir: string,
  seed: number,
  validFraction: number,
  unlabelled: Unlabelled,
): Promise<Dataset> {
  const qSrc = await readSourceFile("wands", dir, "query.csv");
  const trSrc = await readSourceFile("wands", dir, WANDS_SUBSET_FILES.train);
  const teSrc = await readSourceFile("wands", dir, WANDS_SUBSET_FILES.test);
  const { byKey, all } = readQueries(qSrc);
  const trainRows = readSubsetFile(trSrc);
  const testRows = readSubsetFile(teSrc);

  // Queries of the subset that are not in query.csv get ids after its last.
  let nextId = all.reduce((m, q) => Math.max(m, q.id), -1) + 1;
  const queryOf = new Map<string, WandsQuery>(byKey);
  const unmatched: WandsQuery[] = [];
  const queryVariants = new Map<string, Set<string>>();
  for (const row of [...trainRows, ...testRows]) {
    let v = queryVariants.get(row.qKey);
    if (!v) queryVariants.set(row.qKey, v = new Set());
    v.add(row.qText);
  }
  for (const key of [...queryVariants.keys()].sort()) {
    if (queryOf.has(key)) continue;
    let text = "";
    for (const t of queryVariants.get(key)!) if (better(t, text)) text = t;
    const q = { id: nextId++, text };
    queryOf.set(key, q);
    unmatched.push(q);
  }

  // Items: one per product key, spelled as its longest variant.
  const nameOf = new Map<string, string>();
  let rawNames = 0;
  const seenRaw = new Set<string>();
  for (const row of [...trainRows, ...testRows]) {
    if (!seenRaw.has(row.name)) {
      seenRaw.add(row.name);
      rawNames++;
    }
    const cur = nameOf.get(row.iKey);
    if (cur === undefined || better(row.name, cur)) {
      nameOf.set(row.iKey, row.name);
    }
  }
  const itemKeys = [...nameOf.keys()].sort();
  const itemIdOf = new Map(itemKeys.map((k, i) => [k, i]));

  // Deduplicate (query, product) per file; conflicting labels keep the max.
  let conflicts = 0;
  const collect = (rows: SubsetRow[]) => {
    const m = new Map<string, { q: number; i: number; r: number }>();
    for (const row of rows) {
      const q = queryOf.get(row.qKey)!.id;
      const i = itemIdOf.get(row.iKey)!;
      const k = `${q}:${i}`;
      const prev = m.get(k);
      if (prev) {
        if (prev.r !== row.rel) conflicts++;
        prev.r = Math.max(prev.r, row.rel);
      } else m.set(k, { q, i, r: row.rel });
    }
    return m;
  };
  const testPairs = collect(testRows);
  const trainPairs = collect(trainRows);
  let overlap = 0;
  for (const k of testPairs.keys()) {
    if (trainPairs.delete(k)) overlap++;
  }
  const trainQueries = new Set([...trainPairs.values()].map((p) => p.q));
  const validQueries = pickFraction(trainQueries, validFraction, seed);

  const rows: { q: number; i: number; r: number; s: Split }[] = [];
  const querySplits = new Set<string>();
  const add = (p: { q: number; i: number; r: number }, s: Split) => {
    rows.push({ q: splitQueryId(p.q, s), i: p.i, r: p.r, s });
    querySplits.add(`${p.q}:${s}`);
  };
  for (const p of trainPairs.values()) {
    add(p, validQueries.has(p.q) ? "valid" : "train");
  }
  for (const p of testPairs.values()) add(p, "test");
  const pairs = sortedPairs(rows);

  const labelled = new Set(
    [...querySplits].map((k) => Number(k.split(":")[0])),
  );
  const allQueries = [...all, ...unmatched];
  const qRows: QueryRow[] = [];
  let unlabelledCount = 0;
  for (const q of allQueries) {
    for (const s of ["train", "valid", "test"] as Split[]) {
      if (querySplits.has(`${q.id}:${s}`)) {
        qRows.push({ id: splitQueryId(q.id, s), text: q.text, split: s });
      }
    }
    if (!labelled.has(q.id)) {
      unlabelledCount++;
      if (unlabelled === "train") {
        qRows.push({
          id: splitQueryId(q.id, "train"),
          text: q.text,
          split: "train",
        });
      }
    }
  }
  const queries = queriesTable(qRows);
  const n = itemKeys.length;
  const names = itemKeys.map((k) => nameOf.get(k)!);
  const items = textItems(
    { sourceId: names, title: names },
    pairs,
  );

  return realDataset({ items, queries, pairs }, {
    name: "wands",
    variant: "subset",
    source: dir,
    files: {
      "query.csv": qSrc.sha256,
      [WANDS_SUBSET_FILES.train]: trSrc.sha256,
      [WANDS_SUBSET_FILES.test]: teSrc.sha256,
    },
    labels: {
      Relevant: WANDS_LABELS.Relevant,
      "Not relevant": WANDS_LABELS["Not relevant"],
      note: "subset labels are binary; full WANDS maps Exact→3, " +
        "Partial→2 (ESCI substitute-like), Irrelevant→0",
    },
    splits: "test = subset test file; train = subset train file minus " +
      "(query, product) pairs also in the test file; valid = " +
      `${validFraction} of train queries (seed ${seed}); query_id = ` +
      "3·WANDS query_id + (0 train, 1 valid, 2 test); queries without " +
      (unlabelled === "train"
        ? "pairs are train queries without pairs"
        : "pairs are dropped"),
    popularity: "number of positive train pairs of the item",
    seed,
    validFraction,
    counts: {
      items: n,
      rawProductNames: rawNames,
      wandsQueries: all.length,
      subsetQueriesNotInQueryCsv: unmatched.length,
      unlabelledQueries: unlabelledCount,
      subsetRows: { train: trainRows.length, test: testRows.length },
      trainPairsDroppedAsInTest: overlap,
      conflictingDuplicateLabels: conflicts,
    },
  });
}

function categoryPath(s: string): string {
  return s.split("/").map((p) => p.trim()).filter((p) => p.length > 0)
    .join(" > ");
}

async function loadFull(
  dir: string,
  seed: number,
  validFraction: number,
  unlabelled: Unlabelled,
  options: Resolved<typeof WANDS_OPTIONS>,
): Promise<Dataset> {
  const { testFraction } = options;
  if (testFraction + validFraction >= 1) {
    throw new RangeError(
      `testFraction + validFraction must be < 1, got ${
        testFraction + validFraction
      }`,
    );
  }
  const qSrc = await readSourceFile("wands", dir, "query.csv");
  const pSrc = await readSourceFile("wands", dir, "product.csv");
  const lSrc = await readSourceFile("wands", dir, "label.csv");
  const { all } = readQueries(qSrc);

  const { table: pt, at: [pid, pname, pclass] } = sourceCsv(pSrc, {
    delimiter: "\t",
    columns: ["product_id", "product_name", "product_class"],
  });
  const pcat = pt.header.indexOf("category_hierarchy");
  const products = pt.rows.map((row, r) => ({
    id: intCell(pt, r, pid),
    name: row[pname],
    cls: row[pclass].replace(/[;=]/g, ","),
    cat: pcat >= 0 ? categoryPath(row[pcat]) : "",
  }));
  products.sort((a, b) => a.id - b.id);
  const productIds = new Set<number>();
  for (const p of products) {
    if (p.id < 0 || productIds.has(p.id)) {
      throw new DataError(
        pSrc.path,
        `product id ${p.id} is negative or repeated`,
        "product_id",
      );
    }
    productIds.add(p.id);
  }

  const { table: lt, at: [lq, lp, ll] } = sourceCsv(lSrc, {
    delimiter: "\t",
    columns: ["query_id", "product_id", "label"],
  });
  const queryIds = new Set(all.map((q) => q.id));
  const judged = new Map<string, { q: number; i: number; r: number }>();
  for (let r = 0; r < lt.rows.length; r++) {
    const q = intCell(lt, r, lq);
    const i = intCell(lt, r, lp);
    if (!queryIds.has(q)) {
      throw new DataError(
        lSrc.path,
        `row ${r + 1}: query id ${q} is not in query.csv`,
        "query_id",
      );
    }
    if (!productIds.has(i)) {
      throw new DataError(
        lSrc.path,
        `row ${r + 1}: product id ${i} is not in product.csv`,
        "product_id",
      );
    }
    const rel = labelOf(lt, r, ll);
    const k = `${q}:${i}`;
    const prev = judged.get(k);
    if (prev) prev.r = Math.max(prev.r, rel);
    else judged.set(k, { q, i, r: rel });
  }

  const labelled = new Set([...judged.values()].map((p) => p.q));
  const shuffled = shuffledKeys(labelled, seed);
  const nTest = Math.round(testFraction * shuffled.length);
  const nValid = Math.round(validFraction * shuffled.length);
  const splitOf = new Map<number, Split>();
  shuffled.forEach((q, k) =>
    splitOf.set(q, k < nTest ? "test" : k < nTest + nValid ? "valid" : "train")
  );

  const rows = [...judged.values()].map((p) => {
    const s = splitOf.get(p.q)!;
    return { q: splitQueryId(p.q, s), i: p.i, r: p.r, s };
  });
  const pairs = sortedPairs(rows);
  const queries = queriesTable(
    all
      .filter((q) => labelled.has(q.id) || unlabelled === "train")
      .map((q) => {
        const s = splitOf.get(q.id) ?? "train";
        return { id: splitQueryId(q.id, s), text: q.text, split: s };
      }),
  );
  const index = new Map(products.map((p, k) => [p.id, k]));
  const popularity = trainPopularity(pairs, {
    items: products.length,
    row: (id) => index.get(id)!,
  });
  const items: ItemsTable = {
    itemId: Int32Array.from(products, (p) => p.id),
    sourceId: products.map((p) => String(p.id)),
    title: products.map((p) => p.name),
    category: products.map((p) => p.cat),
    brand: products.map(() => ""),
    attributes: products.map((p) => (p.cls ? `class=${p.cls}` : "")),
    popularity,
  };
  return realDataset({ items, queries, pairs }, {
    name: "wands",
    variant: "full",
    source: dir,
    files: {
      "query.csv": qSrc.sha256,
      "product.csv": pSrc.sha256,
      "label.csv": lSrc.sha256,
    },
    labels: { Exact: 3, Partial: 2, Irrelevant: 0 },
    splits: `queries shuffled with seed ${seed}: ${testFraction} test, ` +
      `${validFraction} valid, rest train; query_id = 3·WANDS query_id + ` +
      "(0 train, 1 valid, 2 test)",
    popularity: "number of positive train pairs of the item",
    seed,
    validFraction,
    testFraction,
    counts: {
      items: items.itemId.length,
    },
  });
}
