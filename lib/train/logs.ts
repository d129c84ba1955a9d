/**
 * Per-step training logs, kept in memory as columns and written as an Arrow
 * IPC file (`steps.arrow`), plus the periodic validation log
 * (`valid.arrow`).
 *
 * `steps.arrow` columns (one row per optimiser step; NaN where a value was
 * not measured, e.g. δ/τ statistics on steps without diagnostics or for
 * losses without a per-pair value):
 *
 * | column | type | meaning |
 * |---|---|---|
 * | step | Int32 | 1-based step: the row describes the update that made it |
 * | epoch | Int32 | epoch of the batch |
 * | batch | Int32 | position of the batch in its epoch |
 * | loss | Float64 | loss of the batch before the update |
 * | loss_query | Float64 | query-anchored term L^q |
 * | loss_item | Float64 | item-anchored term L^v (NaN without one) |
 * | param_mean / param_min / param_max | Float64 | δ or τ over the unmasked negatives of L^q |
 * | active_share | Float64 | margin losses: share of active hinges |
 * | positive_temperature | Float64 | softmax losses: τ of the positive logit |
 * | grad_norm | Float64 | global L2 norm of the gradient before clipping |
 * | ms | Float64 | wall time of the step (milliseconds) |
 *
 * @module
 */

import {
  type Table,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
} from "apache-arrow";
import { writeFileAtomic } from "../data/mod.ts";
import type { LossStats } from "../losses/mod.ts";

/** The loss diagnostics' columns of a step row (none without diagnostics). */
export function statsColumns(s: LossStats | null): Partial<StepRow> {
  if (s === null) return {};
  return {
    lossQuery: s.query.loss,
    lossItem: s.item ? s.item.loss : NaN,
    paramMean: s.query.mean,
    paramMin: s.query.min,
    paramMax: s.query.max,
    activeShare: s.query.activeShare ?? NaN,
    positiveTemperature: s.query.positiveTemperature ?? NaN,
  };
}

/** One row of `steps.arrow`. */
export interface StepRow {
  /** 1-based step. */
  step: number;
  /** Epoch of the batch. */
  epoch: number;
  /** Batch position within the epoch. */
  batch: number;
  /** Loss before the update. */
  loss: number;
  /** Query-anchored term. */
  lossQuery: number;
  /** Item-anchored term (NaN if none). */
  lossItem: number;
  /** Mean δ/τ of L^q's negatives. */
  paramMean: number;
  /** Minimum δ/τ. */
  paramMin: number;
  /** Maximum δ/τ. */
  paramMax: number;
  /** Share of active hinges (margin losses). */
  activeShare: number;
  /** Temperature of the positive logit (softmax losses). */
  positiveTemperature: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
  /** Milliseconds the step took. */
  ms: number;
}

/** Arrow column name of each {@link StepRow} field, in file order. */
export const STEP_COLUMNS: Readonly<Record<keyof StepRow, string>> = {
  step: "step",
  epoch: "epoch",
  batch: "batch",
  loss: "loss",
  lossQuery: "loss_query",
  lossItem: "loss_item",
  paramMean: "param_mean",
  paramMin: "param_min",
  paramMax: "param_max",
  activeShare: "active_share",
  positiveTemperature: "positive_temperature",
  gradNorm: "grad_norm",
  ms: "ms",
};

const INT_FIELDS = new Set<keyof StepRow>(["step", "epoch", "batch"]);

/** One row of `valid.arrow`: batch recall on the valid split at a step. */
export interface ValidRow {
  /** Step after which the model was evaluated. */
  step: number;
  /** Epoch of that step. */
  epoch: number;
  /** Batch recall@k, by k. */
  recall: Record<number, number>;
  /** Queries evaluated. */
  queries: number;
}

/** Rows as columns, in step order. */
function toColumns<R>(
  rows: readonly R[],
  fields: readonly (keyof R)[],
  names: (f: keyof R) => string,
  isInt: (f: keyof R) => boolean,
): Record<string, Int32Array | Float64Array> {
  const cols: Record<string, Int32Array | Float64Array> = {};
  for (const f of fields) {
    const col = isInt(f)
      ? new Int32Array(rows.length)
      : new Float64Array(rows.length);
    rows.forEach((r, i) => col[i] = r[f] as number);
    cols[names(f)] = col;
  }
  return cols;
}

/** The rows as an Arrow table with the {@link STEP_COLUMNS} columns. */
export function stepsTable(rows: readonly StepRow[]): Table {
  const fields = Object.keys(STEP_COLUMNS) as (keyof StepRow)[];
  return tableFromArrays(
    toColumns(rows, fields, (f) => STEP_COLUMNS[f], (f) => INT_FIELDS.has(f)),
  );
}

/** Writes `steps.arrow` (Arrow IPC file format) atomically. */
export async function writeSteps(
  path: string,
  rows: readonly StepRow[],
): Promise<void> {
  await writeFileAtomic(path, tableToIPC(stepsTable(rows), "file"));
}

/** Reads `steps.arrow` back into rows; throws naming the file and column. */
export async function readSteps(path: string): Promise<StepRow[]> {
  const table = tableFromIPC(await Deno.readFile(path));
  const fields = Object.keys(STEP_COLUMNS) as (keyof StepRow)[];
  const cols = new Map<keyof StepRow, ArrayLike<number>>();
  for (const f of fields) {
    const col = table.getChild(STEP_COLUMNS[f]);
    if (col === null) {
      throw new Error(`${path}: column '${STEP_COLUMNS[f]}' is missing`);
    }
    cols.set(f, col.toArray() as ArrayLike<number>);
  }
  const rows: StepRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row = {} as StepRow;
    for (const f of fields) row[f] = Number(cols.get(f)![i]);
    rows.push(row);
  }
  return rows;
}

/** The rows as an Arrow table: step, epoch, queries, recall_<k> per k. */
export function validTable(
  rows: readonly ValidRow[],
  ks: readonly number[],
): Table {
  const cols: Record<string, Int32Array | Float64Array> = {
    step: Int32Array.from(rows, (r) => r.step),
    epoch: Int32Array.from(rows, (r) => r.epoch),
    queries: Int32Array.from(rows, (r) => r.queries),
  };
  for (const k of ks) {
    cols[`recall_${k}`] = Float64Array.from(rows, (r) => r.recall[k] ?? NaN);
  }
  return tableFromArrays(cols);
}

/** Writes `valid.arrow` atomically. */
export async function writeValid(
  path: string,
  rows: readonly ValidRow[],
  ks: readonly number[],
): Promise<void> {
  await writeFileAtomic(path, tableToIPC(validTable(rows, ks), "file"));
}

/** Reads `valid.arrow` back. */
export async function readValid(path: string): Promise<ValidRow[]> {
  const table = tableFromIPC(await Deno.readFile(path));
  const ks = table.schema.fields.map((f) => f.name).filter((n) =>
    n.startsWith("recall_")
  ).map((n) => Number(n.slice(7)));
  const get = (name: string) => {
    const c = table.getChild(name);
    if (c === null) throw new Error(`${path}: column '${name}' is missing`);
    return c.toArray() as ArrayLike<number>;
  };
  const step = get("step"), epoch = get("epoch"), queries = get("queries");
  const rec = ks.map((k) => get(`recall_${k}`));
  const rows: ValidRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const recall: Record<number, number> = {};
    ks.forEach((k, j) => recall[k] = Number(rec[j][i]));
    rows.push({ step: step[i], epoch: epoch[i], queries: queries[i], recall });
  }
  return rows;
}
