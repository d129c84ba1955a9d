/**
 * The four tables every dataset of this package is made of, as in-memory
 * column sets, and their Arrow schemas. `data/README.md` documents the same
 * schemas for people who write their own files.
 *
 * Ids are dense-ish non-negative Int32 values chosen by the converter; the
 * original ids of a real dataset stay in `sourceId` so results can be traced
 * back.
 *
 * @module
 */

import {
  type DataType,
  Field,
  Float32,
  Int32,
  Int8,
  List,
  Schema,
  Utf8,
} from "apache-arrow";

/** Which part of the data a query (and its pairs) belongs to. */
export type Split = "train" | "valid" | "test";

/** All valid split names, in their canonical order. */
export const SPLITS: readonly Split[] = ["train", "valid", "test"];

/**
 * Graded relevance as in Amazon ESCI: exact, substitute, complement,
 * irrelevant. The numeric value is also the NDCG gain.
 */
export const RELEVANCE = {
  exact: 3,
  substitute: 2,
  complement: 1,
  irrelevant: 0,
} as const;

/** Maximum length of a user's behaviour sequence (paper: 100). */
export const MAX_HISTORY = 100;

/** Items: the catalogue that is retrieved from. */
export interface ItemsTable {
  /** Unique, non-negative item ids. */
  itemId: Int32Array;
  /** Identifier in the original source (empty for synthetic data). */
  sourceId: string[];
  /** Product title (or document title + text). */
  title: string[];
  /** Category path, levels joined by `" > "` (may be empty). */
  category: string[];
  /** Brand; empty string when unknown. */
  brand: string[];
  /** Attributes as `key=value` pairs joined by `";"` (may be empty). */
  attributes: string[];
  /** Non-negative popularity (e.g. click count); used by logQ correction. */
  popularity: Float32Array;
}

/** Queries: what users typed (or, for recommendation, a user context). */
export interface QueriesTable {
  /** Unique, non-negative query ids. */
  queryId: Int32Array;
  /** Query text (may be empty for pure recommendation data). */
  text: string[];
  /** The user who issued the query, or -1 when unknown (null in Arrow). */
  userId: Int32Array;
  /** Split the query belongs to. */
  split: Split[];
}

/** Labelled query–item pairs with graded relevance. */
export interface PairsTable {
  /** Query id, must exist in the queries table. */
  queryId: Int32Array;
  /** Item id, must exist in the items table. */
  itemId: Int32Array;
  /** 0–3, see {@link RELEVANCE}. */
  relevance: Int8Array;
  /** Split; must equal the split of the pair's query. */
  split: Split[];
}

/** Users with their behaviour sequences. */
export interface UsersTable {
  /** Unique, non-negative user ids. */
  userId: Int32Array;
  /** Item ids the user interacted with, oldest first, at most {@link MAX_HISTORY}. */
  history: Int32Array[];
}

/** Free-form provenance stored next to the tables as `meta.json`. */
export interface DatasetMeta {
  /** Dataset name, e.g. `synthetic-quick` or `wands`. */
  name: string;
  /** Where it came from and how it was built (seed, profile, source hashes…). */
  [key: string]: unknown;
}

/** A whole dataset: items, queries, pairs and optional users. */
export interface Dataset {
  /** The catalogue. */
  items: ItemsTable;
  /** The queries. */
  queries: QueriesTable;
  /** The labelled pairs. */
  pairs: PairsTable;
  /** Users and behaviour sequences, when the data has them. */
  users?: UsersTable;
  /** Provenance. */
  meta: DatasetMeta;
}

/** Names of the tables, which are also their file stems (`items.arrow`, …). */
export type TableName = "items" | "queries" | "pairs" | "users";

/** One column of a table schema: Arrow name, type and nullability. */
export interface ColumnSpec {
  /** Column name in the Arrow file. */
  name: string;
  /** Arrow type the column must have. */
  type: DataType;
  /** Whether nulls are allowed. */
  nullable: boolean;
}

const historyType = new List(new Field("item", new Int32(), false));

/** Column specifications of each table, in file order. */
export const COLUMNS: Record<TableName, ColumnSpec[]> = {
  items: [
    { name: "item_id", type: new Int32(), nullable: false },
    { name: "source_id", type: new Utf8(), nullable: false },
    { name: "title", type: new Utf8(), nullable: false },
    { name: "category", type: new Utf8(), nullable: false },
    { name: "brand", type: new Utf8(), nullable: false },
    { name: "attributes", type: new Utf8(), nullable: false },
    { name: "popularity", type: new Float32(), nullable: false },
  ],
  queries: [
    { name: "query_id", type: new Int32(), nullable: false },
    { name: "text", type: new Utf8(), nullable: false },
    { name: "user_id", type: new Int32(), nullable: true },
    { name: "split", type: new Utf8(), nullable: false },
  ],
  pairs: [
    { name: "query_id", type: new Int32(), nullable: false },
    { name: "item_id", type: new Int32(), nullable: false },
    { name: "relevance", type: new Int8(), nullable: false },
    { name: "split", type: new Utf8(), nullable: false },
  ],
  users: [
    { name: "user_id", type: new Int32(), nullable: false },
    { name: "history", type: historyType, nullable: false },
  ],
};

/**
 * The in-memory table's property holding a column: the column name in camel
 * case (`item_id` → `itemId`).
 */
export function columnField(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The Arrow schema of a table, built from {@link COLUMNS}. */
export function arrowSchema(table: TableName): Schema {
  return new Schema(
    COLUMNS[table].map((c) => new Field(c.name, c.type, c.nullable)),
  );
}
