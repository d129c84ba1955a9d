/**
 * Reading and writing datasets as Arrow IPC files.
 *
 * Writers never leave a half-written file: each file is written under a
 * temporary name in the same directory and renamed into place. Readers
 * validate everything they load and name the file and column at fault.
 *
 * @module
 */

import {
  type Data,
  DataType,
  Field,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Type,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { createHash } from "node:crypto";
import {
  arrowSchema,
  columnField,
  COLUMNS,
  type ColumnSpec,
  type Dataset,
  type DatasetMeta,
  type ItemsTable,
  MAX_HISTORY,
  type PairsTable,
  type QueriesTable,
  type Split,
  SPLITS,
  type TableName,
  type UsersTable,
} from "./schema.ts";

/** A problem with a data file: names the file and, where known, the column. */
export class DataError extends Error {
  /** The file at fault. */
  readonly file: string;
  /** The column at fault, if any. */
  readonly column?: string;

  /** Builds the message `file[: column column]: detail`. */
  constructor(file: string, detail: string, column?: string) {
    super(`${file}${column ? `: column '${column}'` : ""}: ${detail}`);
    this.name = "DataError";
    this.file = file;
    this.column = column;
  }
}

/** Hex SHA-256 of bytes or of a string's UTF-8 encoding. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `text` as a file-name part: each run of other characters becomes `_`. */
export function fileSlug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Joins path segments with `/` without importing a path library. */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join("/").replace(/\/+/g, "/");
}

/**
 * Writes bytes to `path` atomically: a temporary sibling file, then a rename.
 * An existing file at `path` is untouched until the new one is complete.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes `chunks` one after another to `path` atomically (see
 * {@link writeFileAtomic}) without joining them in memory first, and
 * returns the hex SHA-256 of the whole file. For large outputs such as
 * checkpoints, whose parts would otherwise be copied into one buffer.
 */
export async function writeChunksAtomic(
  path: string,
  chunks: Iterable<Uint8Array>,
): Promise<string> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const hash = createHash("sha256");
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      for (const chunk of chunks) {
        hash.update(chunk);
        for (let done = 0; done < chunk.length;) {
          done += await file.write(chunk.subarray(done));
        }
      }
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return hash.digest("hex");
}

/** Writes UTF-8 text atomically (see {@link writeFileAtomic}). */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, new TextEncoder().encode(text));
}

function stringVector(values: string[]) {
  return vectorFromArray(values, new Utf8());
}

function int32WithNulls(values: Int32Array): Data<Int32> {
  // -1 in memory means "unknown"; in the file it is a proper null.
  const n = values.length;
  const validity = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] >= 0) validity[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return makeData({
    type: new Int32(),
    length: n,
    nullCount: nulls,
    data: values,
    nullBitmap: nulls > 0 ? validity : undefined,
  });
}

function listOfInt32(lists: Int32Array[]): Data<List<Int32>> {
  const offsets = new Int32Array(lists.length + 1);
  for (let i = 0; i < lists.length; i++) {
    offsets[i + 1] = offsets[i] + lists[i].length;
  }
  const flat = new Int32Array(offsets[lists.length]);
  for (let i = 0; i < lists.length; i++) flat.set(lists[i], offsets[i]);
  const child = makeData({
    type: new Int32(),
    length: flat.length,
    data: flat,
  });
  return makeData({
    type: new List(new Field("item", new Int32(), false)),
    length: lists.length,
    nullCount: 0,
    valueOffsets: offsets,
    child,
  });
}

function tableOf(name: TableName, columns: Record<string, Data>): Table {
  const schema: Schema = arrowSchema(name);
  const length = Object.values(columns)[0]?.length ?? 0;
  const children = schema.fields.map((f) => columns[f.name]);
  const data = makeData({
    type: new Struct(schema.fields),
    length,
    nullCount: 0,
    children,
  });
  return new Table(schema, [new RecordBatch(schema, data)]);
}

function dataOf<T extends DataType>(
  v: { readonly data: readonly Data<T>[] },
): Data<T> {
  return v.data[0];
}

/**
 * One in-memory column as Arrow data of its declared type: strings as
 * UTF-8, lists as lists of int32, a nullable int32 column with −1 as null,
 * any other typed array as it is.
 */
function columnData(spec: ColumnSpec, values: unknown): Data {
  const { type } = spec;
  if (DataType.isUtf8(type)) return dataOf(stringVector(values as string[]));
  if (DataType.isList(type)) return listOfInt32(values as Int32Array[]);
  if (spec.nullable) return int32WithNulls(values as Int32Array);
  const data = values as Int32Array | Int8Array | Float32Array;
  return makeData({ type: type as Int32, length: data.length, data });
}

/** The Arrow table `name` of an in-memory table, column by {@link COLUMNS}. */
function toArrow(name: TableName, table: object): Table {
  const t = table as Record<string, unknown>;
  return tableOf(
    name,
    Object.fromEntries(
      COLUMNS[name].map((c) => [c.name, columnData(c, t[columnField(c.name)])]),
    ),
  );
}

/** Builds the Arrow table of an items column set. */
export function itemsToArrow(t: ItemsTable): Table {
  return toArrow("items", t);
}

/** Builds the Arrow table of a queries column set. */
export function queriesToArrow(t: QueriesTable): Table {
  return toArrow("queries", t);
}

/** Builds the Arrow table of a pairs column set. */
export function pairsToArrow(t: PairsTable): Table {
  return toArrow("pairs", t);
}

/** Builds the Arrow table of a users column set. */
export function usersToArrow(t: UsersTable): Table {
  return toArrow("users", t);
}

/** Options of {@link writeDataset}. */
export interface WriteOptions {
  /** Also write `meta.json` (default true). */
  meta?: boolean;
}

/**
 * Writes a dataset into `dir` as `items.arrow`, `queries.arrow`,
 * `pairs.arrow`, optionally `users.arrow`, and `meta.json`. The dataset is
 * validated first, so an invalid one never reaches the disk.
 */
export async function writeDataset(
  dir: string,
  ds: Dataset,
  options: WriteOptions = {},
): Promise<string[]> {
  validateDataset(ds, dir);
  await Deno.mkdir(dir, { recursive: true });
  const files: [string, Table][] = [
    ["items", itemsToArrow(ds.items)],
    ["queries", queriesToArrow(ds.queries)],
    ["pairs", pairsToArrow(ds.pairs)],
  ];
  if (ds.users) files.push(["users", usersToArrow(ds.users)]);
  const written: string[] = [];
  for (const [name, table] of files) {
    const path = joinPath(dir, `${name}.arrow`);
    await writeFileAtomic(path, tableToIPC(table, "file"));
    written.push(path);
  }
  if (!ds.users) {
    await Deno.remove(joinPath(dir, "users.arrow")).catch(() => {});
  }
  if (options.meta ?? true) {
    const path = joinPath(dir, "meta.json");
    await writeTextAtomic(path, stableJson(ds.meta) + "\n");
    written.push(path);
  }
  return written;
}

/** JSON with sorted keys, so equal objects give equal bytes. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>).sort().map((k) => [
          k,
          sort((v as Record<string, unknown>)[k]),
        ]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

/**
 * A short key of `value`: the first 12 hex digits of the SHA-256 of its
 * {@link stableJson}, so equal values give equal keys whatever their key
 * order. A training config's hash and an experiment's run key are this.
 */
export function stableHash(value: unknown): string {
  return sha256Hex(stableJson(value)).slice(0, 12);
}

function typeLabel(t: DataType): string {
  return String(t);
}

function sameType(actual: DataType, expected: DataType): boolean {
  if (expected.typeId === Type.Utf8) {
    // Strings may also come dictionary-encoded (pandas, tableFromArrays).
    if (actual.typeId === Type.Utf8 || actual.typeId === Type.LargeUtf8) {
      return true;
    }
    if (actual.typeId === Type.Dictionary) {
      const dict = (actual as unknown as { dictionary: DataType }).dictionary;
      return dict.typeId === Type.Utf8 || dict.typeId === Type.LargeUtf8;
    }
    return false;
  }
  if (expected.typeId === Type.List) {
    if (actual.typeId !== Type.List) return false;
    const a = (actual as List).children[0].type;
    return a.typeId === Type.Int && (a as Int32).bitWidth === 32 &&
      (a as Int32).isSigned;
  }
  if (expected.typeId === Type.Int) {
    const e = expected as Int32;
    const a = actual as Int32;
    return actual.typeId === Type.Int && a.bitWidth === e.bitWidth &&
      a.isSigned === e.isSigned;
  }
  return actual.typeId === expected.typeId &&
    String(actual) === String(expected);
}

/**
 * Reads an Arrow IPC file and checks it against the table's schema:
 * presence and type of every column, nulls, and a non-empty table. Extra
 * columns are allowed and ignored.
 */
export async function readArrowTable(
  path: string,
  name: TableName,
): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new DataError(path, `file not found (expected the ${name} table)`);
    }
    throw err;
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new DataError(
      path,
      `not an Arrow IPC file (${(err as Error).message})`,
    );
  }
  if (table.schema.fields.length === 0) {
    throw new DataError(path, "not an Arrow IPC file (no columns found)");
  }
  for (const spec of COLUMNS[name]) {
    const field = table.schema.fields.find((f) => f.name === spec.name);
    if (!field) {
      const have = table.schema.fields.map((f) => f.name).join(", ");
      throw new DataError(
        path,
        `missing (the ${name} table needs ${
          COLUMNS[name].map((c) => c.name).join(", ")
        }; found ${have})`,
        spec.name,
      );
    }
    if (!sameType(field.type, spec.type)) {
      throw new DataError(
        path,
        `has type ${typeLabel(field.type)}, expected ${typeLabel(spec.type)}`,
        spec.name,
      );
    }
    if (!spec.nullable) {
      const col = table.getChild(spec.name)!;
      if (col.nullCount > 0) {
        throw new DataError(
          path,
          `has ${col.nullCount} null value(s); nulls are not allowed`,
          spec.name,
        );
      }
    }
  }
  if (table.numRows === 0) throw new DataError(path, "table is empty");
  return table;
}

function int32Column(t: Table, name: string, nullAs = -1): Int32Array {
  const col = t.getChild(name)!;
  if (col.nullCount === 0) return Int32Array.from(col.toArray() as Int32Array);
  const out = new Int32Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    out[i] = v === null ? nullAs : v;
  }
  return out;
}

function stringColumn(t: Table, name: string): string[] {
  const col = t.getChild(name)!;
  const out = new Array<string>(col.length);
  for (let i = 0; i < col.length; i++) out[i] = String(col.get(i));
  return out;
}

function splitColumn(t: Table, path: string): Split[] {
  const values = stringColumn(t, "split");
  for (let i = 0; i < values.length; i++) {
    if (!SPLITS.includes(values[i] as Split)) {
      throw new DataError(
        path,
        `row ${i}: '${values[i]}' is not one of ${SPLITS.join(", ")}`,
        "split",
      );
    }
  }
  return values as Split[];
}

/**
 * One column of a checked Arrow table in memory, by its declared type:
 * UTF-8 as strings (a `split` column checked against {@link SPLITS}), int32
 * as `Int32Array` (null as −1), int8 and float32 as their typed arrays, a
 * list as the users' histories.
 */
function columnValues(t: Table, spec: ColumnSpec, path: string): unknown {
  const { name, type } = spec;
  if (DataType.isUtf8(type)) {
    return name === "split" ? splitColumn(t, path) : stringColumn(t, name);
  }
  if (DataType.isList(type)) return historyColumn(t, name, path);
  if (DataType.isInt(type) && type.bitWidth === 32) return int32Column(t, name);
  const values = t.getChild(name)!.toArray() as Int8Array | Float32Array;
  return DataType.isInt(type)
    ? Int8Array.from(values)
    : Float32Array.from(values);
}

/** The in-memory table `name` of a checked Arrow table, column by {@link COLUMNS}. */
function fromArrow(name: TableName, t: Table, path: string): unknown {
  return Object.fromEntries(
    COLUMNS[name].map((c) => [columnField(c.name), columnValues(t, c, path)]),
  );
}

/** Reads and validates an items file. */
export async function readItems(path: string): Promise<ItemsTable> {
  const t = await readArrowTable(path, "items");
  return fromArrow("items", t, path) as ItemsTable;
}

/** Reads and validates a queries file. */
export async function readQueries(path: string): Promise<QueriesTable> {
  const t = await readArrowTable(path, "queries");
  // In memory -1 stands for a null user; a negative value in the file would
  // silently become "no user", so it is refused here, where the two differ.
  const users = t.getChild("user_id")!;
  for (let i = 0; i < users.length; i++) {
    const u = users.get(i);
    if (u !== null && u < 0) {
      throw new DataError(path, `row ${i}: negative id ${u}`, "user_id");
    }
  }
  return fromArrow("queries", t, path) as QueriesTable;
}

/** Reads and validates a pairs file. */
export async function readPairs(path: string): Promise<PairsTable> {
  const t = await readArrowTable(path, "pairs");
  return fromArrow("pairs", t, path) as PairsTable;
}

/** Reads and validates a users file. */
export async function readUsers(path: string): Promise<UsersTable> {
  const t = await readArrowTable(path, "users");
  return fromArrow("users", t, path) as UsersTable;
}

/** A list column of item ids (the users' histories); a null element is refused. */
function historyColumn(t: Table, name: string, path: string): Int32Array[] {
  const col = t.getChild(name)!;
  const history = new Array<Int32Array>(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    if (v && v.nullCount > 0) {
      // toArray() would read a null element as item 0.
      let k = 0;
      while (v.get(k) !== null) k++;
      throw new DataError(
        path,
        `row ${i}: position ${k} is null; histories hold item ids only`,
        name,
      );
    }
    history[i] = v
      ? Int32Array.from(v.toArray() as Int32Array)
      : new Int32Array();
  }
  return history;
}

/**
 * Reads a dataset folder written by {@link writeDataset} (or by hand in the
 * same schemas) and validates it, including cross-table references.
 */
export async function readDataset(dir: string): Promise<Dataset> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw new DataError(dir, "dataset folder not found");
  }
  if (!info.isDirectory) {
    throw new DataError(dir, "expected a dataset folder (items.arrow, …)");
  }
  const items = await readItems(joinPath(dir, "items.arrow"));
  const queries = await readQueries(joinPath(dir, "queries.arrow"));
  const pairs = await readPairs(joinPath(dir, "pairs.arrow"));
  let users: UsersTable | undefined;
  const usersPath = joinPath(dir, "users.arrow");
  if (await pathExists(usersPath)) users = await readUsers(usersPath);
  let meta: DatasetMeta = { name: dir.split("/").filter(Boolean).pop() ?? dir };
  const metaPath = joinPath(dir, "meta.json");
  if (await pathExists(metaPath)) {
    try {
      meta = JSON.parse(await Deno.readTextFile(metaPath));
    } catch (err) {
      throw new DataError(metaPath, `invalid JSON (${(err as Error).message})`);
    }
  }
  const ds: Dataset = { items, queries, pairs, users, meta };
  validateDataset(ds, dir);
  return ds;
}

/** Parses the JSON file at `path`; throws if it cannot be read or parsed. */
export async function readJson<T = unknown>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

/**
 * Parses the JSON file at `path`, or null when there is none or it is not
 * valid JSON (a file cut short by a crash); any other error (e.g. no
 * permission) is thrown.
 */
export async function readJsonIfPresent<T = unknown>(
  path: string,
): Promise<T | null> {
  try {
    return await readJson<T>(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof SyntaxError) {
      return null;
    }
    throw err;
  }
}

/**
 * Whether anything exists at `path`. Only "not found" reads as false; any
 * other error (e.g. no permission) is thrown, not taken for absence.
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Whether a regular file is there to read at `path`: false when it is
 * missing or cannot be looked at (a folder the task may not read), which
 * callers treat alike, as a file to bring or to skip.
 */
export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Whether a folder is there at `path`, as {@link fileExists} for files. */
export async function directoryExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

function uniqueIds(
  ids: Int32Array,
  file: string,
  column: string,
): Set<number> {
  const seen = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0) {
      throw new DataError(file, `row ${i}: negative id ${id}`, column);
    }
    if (seen.has(id)) {
      throw new DataError(file, `row ${i}: duplicate id ${id}`, column);
    }
    seen.add(id);
  }
  return seen;
}

function checkLengths(
  file: string,
  cols: Record<string, { length: number }>,
): void {
  const entries = Object.entries(cols);
  const n = entries[0][1].length;
  for (const [name, col] of entries) {
    if (col.length !== n) {
      throw new DataError(
        file,
        `has ${col.length} rows, but the table has ${n}`,
        name,
      );
    }
  }
  if (n === 0) throw new DataError(file, "table is empty");
}

/**
 * Validates a dataset in memory: equal column lengths, unique ids, relevance
 * in 0–3, pair splits equal to their query's split, sequences no longer than
 * {@link MAX_HISTORY}, and no dangling ids between tables. `dir` is used to
 * name files in error messages.
 */
export function validateDataset(ds: Dataset, dir = "<memory>"): void {
  const f = (name: TableName) => joinPath(dir, `${name}.arrow`);
  const { items, queries, pairs, users } = ds;
  checkLengths(f("items"), {
    item_id: items.itemId,
    source_id: items.sourceId,
    title: items.title,
    category: items.category,
    brand: items.brand,
    attributes: items.attributes,
    popularity: items.popularity,
  });
  checkLengths(f("queries"), {
    query_id: queries.queryId,
    text: queries.text,
    user_id: queries.userId,
    split: queries.split,
  });
  checkLengths(f("pairs"), {
    query_id: pairs.queryId,
    item_id: pairs.itemId,
    relevance: pairs.relevance,
    split: pairs.split,
  });
  const itemIds = uniqueIds(items.itemId, f("items"), "item_id");
  const queryIds = uniqueIds(queries.queryId, f("queries"), "query_id");
  for (let i = 0; i < items.popularity.length; i++) {
    const p = items.popularity[i];
    if (!(p >= 0) || !Number.isFinite(p)) {
      throw new DataError(
        f("items"),
        `row ${i}: popularity must be finite and >= 0, got ${p}`,
        "popularity",
      );
    }
  }
  const querySplit = new Map<number, Split>();
  for (let i = 0; i < queries.queryId.length; i++) {
    if (!SPLITS.includes(queries.split[i])) {
      throw new DataError(
        f("queries"),
        `row ${i}: '${queries.split[i]}' is not one of ${SPLITS.join(", ")}`,
        "split",
      );
    }
    querySplit.set(queries.queryId[i], queries.split[i]);
  }
  for (let i = 0; i < pairs.queryId.length; i++) {
    const q = pairs.queryId[i];
    if (!queryIds.has(q)) {
      throw new DataError(
        f("pairs"),
        `row ${i}: query id ${q} is not in queries.arrow`,
        "query_id",
      );
    }
    if (!itemIds.has(pairs.itemId[i])) {
      throw new DataError(
        f("pairs"),
        `row ${i}: item id ${pairs.itemId[i]} is not in items.arrow`,
        "item_id",
      );
    }
    const r = pairs.relevance[i];
    if (r < 0 || r > 3) {
      throw new DataError(
        f("pairs"),
        `row ${i}: relevance ${r} is outside 0–3`,
        "relevance",
      );
    }
    if (pairs.split[i] !== querySplit.get(q)) {
      throw new DataError(
        f("pairs"),
        `row ${i}: split '${pairs.split[i]}' differs from its query's split '${
          querySplit.get(q)
        }'`,
        "split",
      );
    }
  }
  if (users) {
    checkLengths(f("users"), { user_id: users.userId, history: users.history });
    const userIds = uniqueIds(users.userId, f("users"), "user_id");
    for (let i = 0; i < users.history.length; i++) {
      const h = users.history[i];
      if (h.length > MAX_HISTORY) {
        throw new DataError(
          f("users"),
          `row ${i}: ${h.length} items, at most ${MAX_HISTORY} allowed`,
          "history",
        );
      }
      for (const id of h) {
        if (!itemIds.has(id)) {
          throw new DataError(
            f("users"),
            `row ${i}: item id ${id} is not in items.arrow`,
            "history",
          );
        }
      }
    }
    for (let i = 0; i < queries.userId.length; i++) {
      const u = queries.userId[i];
      if (u >= 0 && !userIds.has(u)) {
        throw new DataError(
          f("queries"),
          `row ${i}: user id ${u} is not in users.arrow`,
          "user_id",
        );
      }
    }
  }
}
