/**
 * The table-building steps every real dataset's loader ends with: the
 * queries table from rows, items that are text alone, popularity as
 * positive train pairs, and the split counts its `meta.json` records.
 *
 * @module
 */

import type {
  Dataset,
  DatasetMeta,
  ItemsTable,
  PairsTable,
  QueriesTable,
  Split,
} from "../schema.ts";
import { countBySplit, relevanceBySplit } from "./split.ts";

/** One row of a real dataset's queries table. */
export interface QueryRow {
  /** Query id (see `splitQueryId`). */
  id: number;
  /** Query text (default ""). */
  text?: string;
  /** Asking user (default −1: none). */
  user?: number;
  /** Split. */
  split: Split;
}

/** The queries table of `rows`, in query id order. */
export function queriesTable(rows: readonly QueryRow[]): QueriesTable {
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  return {
    queryId: Int32Array.from(sorted, (q) => q.id),
    text: sorted.map((q) => q.text ?? ""),
    userId: Int32Array.from(sorted, (q) => q.user ?? -1),
    split: sorted.map((q) => q.split),
  };
}

/**
 * Popularity of each of `items` items: the number of its positive
 * (relevance > 0) train pairs. `row` maps a pair's item id to the item's
 * row (default: the id is the row).
 */
export function trainPopularity(
  pairs: PairsTable,
  options: { items: number; row?: (itemId: number) => number },
): Float32Array {
  const row = options.row ?? ((id: number) => id);
  const popularity = new Float32Array(options.items);
  for (let k = 0; k < pairs.itemId.length; k++) {
    if (pairs.split[k] === "train" && pairs.relevance[k] > 0) {
      popularity[row(pairs.itemId[k])]++;
    }
  }
  return popularity;
}

/**
 * An items table of text alone (item id = row; no category, brand or
 * attributes), popularity from the positive train `pairs`
 * ({@link trainPopularity}).
 */
export function textItems(
  columns: { sourceId: string[]; title: string[] },
  pairs: PairsTable,
): ItemsTable {
  const n = columns.title.length;
  const popularity = trainPopularity(pairs, { items: n });
  return {
    itemId: Int32Array.from({ length: n }, (_, i) => i),
    sourceId: columns.sourceId,
    title: columns.title,
    category: new Array(n).fill(""),
    brand: new Array(n).fill(""),
    attributes: new Array(n).fill(""),
    popularity,
  };
}

/**
 * The row of each of `keys` (a source id per row), to look rows up by it;
 * a key met again throws `twice(row)`, the error naming that row's key.
 */
export function rowsByKey<K>(
  keys: readonly K[],
  twice: (row: number) => Error,
): Map<K, number> {
  const index = new Map<K, number>();
  for (const [row, key] of keys.entries()) {
    if (index.has(key)) throw twice(row);
    index.set(key, row);
  }
  return index;
}

/**
 * Sorts `rows` by id, in place, and returns the row of each id; an id met
 * again throws `twice(id)`.
 */
export function sortById<T extends { id: number }>(
  rows: T[],
  twice: (id: number) => Error,
): Map<number, number> {
  rows.sort((a, b) => a.id - b.id);
  return rowsByKey(rows.map((r) => r.id), (k) => twice(rows[k].id));
}

/** The counts of queries and pairs, per split, that every meta records. */
export function splitCounts(
  queries: QueriesTable,
  pairs: PairsTable,
): {
  queries: number;
  pairs: number;
  queriesBySplit: Record<Split, number>;
  pairsBySplit: Record<Split, number>;
  relevanceBySplit: ReturnType<typeof relevanceBySplit>;
} {
  return {
    queries: queries.queryId.length,
    pairs: pairs.queryId.length,
    queriesBySplit: countBySplit(queries.split),
    pairsBySplit: countBySplit(pairs.split),
    relevanceBySplit: relevanceBySplit(pairs),
  };
}

/**
 * A loader's dataset: its tables, and `meta` with the {@link splitCounts}
 * appended to the loader's own `meta.counts` (the key order of `meta` is
 * kept: it is written to `meta.json`, whose bytes the data hash covers).
 */
export function realDataset(
  tables: Omit<Dataset, "meta">,
  meta: DatasetMeta & { counts: Record<string, unknown> },
): Dataset {
  return {
    ...tables,
    meta: {
      ...meta,
      counts: { ...meta.counts, ...splitCounts(tables.queries, tables.pairs) },
    },
  };
}
