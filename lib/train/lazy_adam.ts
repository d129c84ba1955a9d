/**
 * Lazy (row-sparse) Adam for embedding tables: `optimizer.tables: "lazy"`.
 *
 * Dense Adam decays the moments of every row of a table at every step and
 * moves every row whose moments are not zero, so a step costs O(V·D) per
 * table whatever the batch touched. Lazy Adam updates only the rows that
 * received a gradient in this step (their moments and values); the other
 * rows keep their moments and values until they are used again. This is
 * TensorFlow Addons' `LazyAdam` and PyTorch's `SparseAdam`; on the rows it
 * touches it is exactly tfjs' Adam formula, with the bias corrections of
 * the global step:
 *
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²,
 *   θ ← θ − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε).
 *
 * Every operation is rounded to float32 in the order tfjs' `AdamOptimizer`
 * uses, so on a row touched at every step so far the values equal dense
 * Adam's (tested: after the first step, lazy and dense Adam give the same
 * weights). The difference is the rows a batch did not touch: dense Adam
 * still moves them along their old momentum, lazy Adam leaves them alone.
 *
 * On the wasm and cpu backends the touched rows are written in place into
 * the table's own storage (after giving the table storage that no other
 * tensor shares), so a step costs O(rows touched · D) and allocates
 * nothing. Where that storage is out of reach (tfjs-node) the optimiser
 * keeps a float32 copy of each table and uploads it once per step.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ownStorage, writableFloat32View } from "../backend/mod.ts";
import {
  collectRowGradients,
  type RowGradient,
  type Weights,
} from "../towers/mod.ts";

/** Adam's hyper-parameters. */
export interface LazyAdamOptions {
  /** Learning rate. */
  lr: number;
  /** First-moment decay β1. */
  beta1: number;
  /** Second-moment decay β2. */
  beta2: number;
  /** ε added to √v̂. */
  epsilon: number;
}

/** The state {@link LazyTableAdam} saves in checkpoints. */
export interface LazyAdamState {
  /** Running β1ᵗ⁺¹ as float32 (tfjs' `accBeta1`). */
  accBeta1: number;
  /** Running β2ᵗ⁺¹ as float32. */
  accBeta2: number;
  /** First moments by table name. */
  m: Weights;
  /** Second moments by table name. */
  v: Weights;
}

const f = Math.fround;

/** Row-sparse Adam over named embedding tables (see the module documentation). */
export class LazyTableAdam {
  readonly #tables: ReadonlyMap<string, tf.Variable>;
  readonly #m = new Map<string, Float32Array>();
  readonly #v = new Map<string, Float32Array>();
  readonly #values = new Map<string, Float32Array>();
  // The storage each table was given by ownStorage (its dataId).
  readonly #owned = new Map<string, object>();
  readonly #lr: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #oneMinusBeta1: number;
  readonly #oneMinusBeta2: number;
  readonly #epsilon: number;
  #accBeta1: number;
  #accBeta2: number;

  /** Lazy Adam over `tables` (2-D variables, by name). */
  constructor(
    tables: Readonly<Record<string, tf.Variable>>,
    options: LazyAdamOptions,
  ) {
    const map = new Map<string, tf.Variable>();
    for (const [name, t] of Object.entries(tables)) {
      if (t.rank !== 2) {
        throw new RangeError(`lazy Adam: '${name}' is not a 2-D table`);
      }
      map.set(name, t);
      this.#m.set(name, new Float32Array(t.size));
      this.#v.set(name, new Float32Array(t.size));
    }
    this.#tables = map;
    // tfjs turns the numbers into float32 scalars at the same places.
    this.#lr = f(-options.lr);
    this.#beta1 = f(options.beta1);
    this.#beta2 = f(options.beta2);
    this.#oneMinusBeta1 = f(1 - options.beta1);
    this.#oneMinusBeta2 = f(1 - options.beta2);
    this.#epsilon = f(options.epsilon);
    this.#accBeta1 = this.#beta1;
    this.#accBeta2 = this.#beta2;
  }

  /** Table names, in the order given. */
  names(): string[] {
    return [...this.#tables.keys()];
  }

  /** The tables by name (to pass to `collectRowGradients`). */
  tables(): Record<string, tf.Variable> {
    return Object.fromEntries(this.#tables);
  }

  /** Σ g² over the gradient rows (float64), for global-norm clipping. */
  sumSquares(grads: ReadonlyMap<string, RowGradient>): number {
    let s = 0;
    for (const g of grads.values()) {
      const r = g.rows;
      for (let i = 0; i < r.length; i++) s += r[i] * r[i];
    }
    return s;
  }

  /**
   * One Adam step on the rows in `grads`, each gradient first multiplied by
   * `options.scale` (the global-norm clipping factor; 1 = none). Ends the
   * step for every table, touched or not (the bias corrections advance).
   */
  apply(
    grads: ReadonlyMap<string, RowGradient>,
    options: { scale?: number } = {},
  ): void {
    const scale = f(options.scale ?? 1);
    const b1 = this.#beta1, b2 = this.#beta2;
    const c1 = this.#oneMinusBeta1, c2 = this.#oneMinusBeta2;
    const eps = this.#epsilon, lr = this.#lr;
    const oneMinusAcc1 = f(1 - this.#accBeta1);
    const oneMinusAcc2 = f(1 - this.#accBeta2);
    for (const [name, g] of grads) {
      const table = this.#tables.get(name);
      if (!table) throw new Error(`lazy Adam: no table '${name}'`);
      const D = table.shape[1] as number;
      if (g.dim !== D) {
        throw new RangeError(
          `lazy Adam: gradient of '${name}' has width ${g.dim}, the table ${D}`,
        );
      }
      const m = this.#m.get(name)!, v = this.#v.get(name)!;
      const { x, inPlace } = this.#storage(name, table);
      for (let r = 0; r < g.ids.length; r++) {
        const base = g.ids[r] * D;
        const src = r * D;
        for (let j = 0; j < D; j++) {
          const gi = scale === 1 ? g.rows[src + j] : f(g.rows[src + j] * scale);
          const k = base + j;
          const mk = f(f(m[k] * b1) + f(gi * c1));
          const vk = f(f(v[k] * b2) + f(f(gi * gi) * c2));
          m[k] = mk;
          v[k] = vk;
          const mh = f(mk / oneMinusAcc1);
          const vh = f(vk / oneMinusAcc2);
          const step = f(f(mh / f(f(Math.sqrt(vh)) + eps)) * lr);
          x[k] = f(step + x[k]);
        }
      }
      if (!inPlace) this.#upload(name, table, x);
    }
    this.#accBeta1 = f(this.#accBeta1 * b1);
    this.#accBeta2 = f(this.#accBeta2 * b2);
  }

  /**
   * Writes `rows` (row-major `[ids.length, D]`) into the rows `ids` of
   * table `name`, as {@link apply} writes its updates: rows another
   * optimiser updated (the other worker of `parallel_towers.ts`).
   */
  writeRows(name: string, ids: Int32Array, rows: Float32Array): void {
    const table = this.#tables.get(name);
    if (!table) throw new Error(`lazy Adam: no table '${name}'`);
    const D = table.shape[1] as number;
    const { x, inPlace } = this.#storage(name, table);
    for (let k = 0; k < ids.length; k++) {
      x.set(rows.subarray(k * D, (k + 1) * D), ids[k] * D);
    }
    if (!inPlace) this.#upload(name, table, x);
  }

  // The table's values to write rows into: its own storage where the
  // backend allows, else this optimiser's copy.
  #storage(
    name: string,
    table: tf.Variable,
  ): { x: Float32Array; inPlace: boolean } {
    if (this.#owned.get(name) !== table.dataId) {
      this.#owned.set(name, ownStorage(table));
    }
    // Fetched last: a wasm heap view is valid until the next allocation.
    const view = writableFloat32View(table);
    return view
      ? { x: view, inPlace: true }
      : { x: this.#valuesOf(name, table), inPlace: false };
  }

  #upload(name: string, table: tf.Variable, x: Float32Array): void {
    tf.tidy(() =>
      table.assign(tf.tensor2d(x, [table.shape[0], x.length / table.shape[0]]))
    );
    this.#owned.set(name, table.dataId);
  }

  #valuesOf(name: string, table: tf.Variable): Float32Array {
    let x = this.#values.get(name);
    if (!x) {
      x = Float32Array.from(table.dataSync() as Float32Array);
      this.#values.set(name, x);
    }
    return x;
  }

  /**
   * The moments and the running β powers: copies, or with `copy: false`
   * the optimiser's own arrays (no extra 4·V·D floats while a checkpoint
   * is written; valid until the next {@link apply}).
   */
  getState(options: { copy?: boolean } = {}): LazyAdamState {
    const copy = options.copy ?? true;
    const m: Weights = {}, v: Weights = {};
    for (const [name, t] of this.#tables) {
      const [a, b] = [this.#m.get(name)!, this.#v.get(name)!];
      m[name] = { shape: [...t.shape], data: copy ? a.slice() : a };
      v[name] = { shape: [...t.shape], data: copy ? b.slice() : b };
    }
    return { accBeta1: this.#accBeta1, accBeta2: this.#accBeta2, m, v };
  }

  /**
   * Restores {@link getState}'s result (names and shapes must match). The
   * working copies of the tables are re-read at the next update, so
   * restore the weights too (in any order) before training on.
   */
  setState(state: LazyAdamState): void {
    for (const [name, t] of this.#tables) {
      for (const [which, w] of [["m", state.m[name]], ["v", state.v[name]]]) {
        const given = w as Weights[string] | undefined;
        if (!given || given.data.length !== t.size) {
          throw new RangeError(
            `lazy Adam state: ${which} of table '${name}' is missing or has the wrong size`,
          );
        }
      }
    }
    for (const name of this.#tables.keys()) {
      this.#m.set(name, Float32Array.from(state.m[name].data));
      this.#v.set(name, Float32Array.from(state.v[name].data));
    }
    this.#values.clear();
    this.#accBeta1 = f(state.accBeta1);
    this.#accBeta2 = f(state.accBeta2);
  }
}

/** What {@link variableGradsWithTables} returns. */
export interface TableGradients {
  /** The loss. */
  value: tf.Scalar;
  /** Dense gradients by variable name (tfjs' `variableGrads`). */
  grads: tf.NamedTensorMap;
  /** Row-sparse gradients of the tables, by table name (empty without `tables`). */
  rows: Map<string, RowGradient>;
}

/**
 * `tf.variableGrads(lossFn, denseVars)`, and with `tables` (e.g. a lazy
 * Adam's {@link LazyTableAdam.tables}) also the row-sparse gradients of
 * those tables, which must not be among `denseVars`.
 */
export function variableGradsWithTables(
  lossFn: () => tf.Scalar,
  denseVars: tf.Variable[],
  options: { tables: Readonly<Record<string, tf.Variable>> | null },
): TableGradients {
  const { tables } = options;
  if (!tables || Object.keys(tables).length === 0) {
    return { ...tf.variableGrads(lossFn, denseVars), rows: new Map() };
  }
  const c = collectRowGradients(
    tables,
    (probes) => tf.variableGrads(lossFn, [...denseVars, ...probes]),
  );
  return { ...c.result, rows: c.gradients };
}
