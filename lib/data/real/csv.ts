/**
 * CSV/TSV parsing for the real-data converters: `csv-parse` underneath, with
 * errors that name the file, and the column and row where known.
 *
 * @module
 */

import { parse } from "csv-parse/sync";
import { DataError } from "../io.ts";

/** A parsed delimited file: header names and the data rows as strings. */
export interface CsvTable {
  /** File name used in error messages. */
  file: string;
  /** Header row. */
  header: string[];
  /** Data rows (header excluded), each as long as the header. */
  rows: string[][];
}

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** Field separator (default `,`). */
  delimiter?: string;
  /** Columns that must be in the header. */
  columns?: readonly string[];
}

/** Decodes UTF-8 strictly, naming the file on invalid bytes. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      bytes,
    );
  } catch {
    throw new DataError(file, "is not valid UTF-8 text");
  }
}

/**
 * Parses delimited text with a header row. Quoted fields (`"…"`, `""` as an
 * escaped quote) may span lines. Throws a {@link DataError} naming the file
 * on malformed input or a ragged row, and naming the column when a required
 * one is missing.
 */
export function parseCsv(
  text: string,
  file: string,
  options: CsvOptions = {},
): CsvTable {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: options.delimiter ?? ",",
      bom: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (err) {
    throw new DataError(file, `not valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) {
    throw new DataError(file, "is empty (no header row)");
  }
  const header = records[0].map((h) => h.trim());
  const table: CsvTable = { file, header, rows: records.slice(1) };
  for (const c of options.columns ?? []) columnIndex(table, c);
  return table;
}

/**
 * A source file's bytes ({@link decodeUtf8}) parsed as by {@link parseCsv},
 * with the index of each of `options.columns` (which must be there) in
 * that order.
 */
export function sourceCsv(
  src: { bytes: Uint8Array; path: string },
  options: CsvOptions & { columns: readonly string[] },
): { table: CsvTable; at: number[] } {
  const table = parseCsv(decodeUtf8(src.bytes, src.path), src.path, options);
  return { table, at: options.columns.map((c) => table.header.indexOf(c)) };
}

/** Index of a column in the header, or a {@link DataError} naming it. */
export function columnIndex(table: CsvTable, column: string): number {
  const i = table.header.indexOf(column);
  if (i < 0) {
    throw new DataError(
      table.file,
      `missing (header has: ${table.header.join(", ")})`,
      column,
    );
  }
  return i;
}

/**
 * Index of the first of several alternative column names present in the
 * header, or a {@link DataError} naming all of them.
 */
export function anyColumnIndex(
  table: CsvTable,
  columns: readonly string[],
): number {
  for (const c of columns) {
    const i = table.header.indexOf(c);
    if (i >= 0) return i;
  }
  throw new DataError(
    table.file,
    `missing (expected one of ${columns.join(", ")}; header has: ${
      table.header.join(", ")
    })`,
    columns.join("|"),
  );
}

/**
 * Parses an integer cell, or throws a {@link DataError} naming file, column
 * and row (1-based data row, header not counted).
 */
export function intCell(
  table: CsvTable,
  row: number,
  col: number,
): number {
  return numericCell(table, { row, col, integer: true });
}

/** Parses a finite number cell; errors as in {@link intCell}. */
export function numberCell(
  table: CsvTable,
  row: number,
  col: number,
): number {
  return numericCell(table, { row, col, integer: false });
}

function numericCell(
  table: CsvTable,
  at: { row: number; col: number; integer: boolean },
): number {
  const s = table.rows[at.row][at.col].trim();
  const v = Number(s);
  if (s === "" || !(at.integer ? Number.isInteger(v) : Number.isFinite(v))) {
    throw new DataError(
      table.file,
      `row ${at.row + 1}: '${s}' is not ${
        at.integer ? "an integer" : "a number"
      }`,
      table.header[at.col],
    );
  }
  return v;
}
