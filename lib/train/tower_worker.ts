/**
 * Web Worker entry of `parallel_towers.ts`: holds a copy of the two-tower
 * model with its own tfjs backend, and runs the forward passes, backward
 * pass and Adam update that the loop gives it in each training step. Not
 * meant to be imported.
 *
 * Two ways to split a step (`parallel_towers.ts` picks): **towers**, where
 * this worker runs one tower and trains its weights alone; or **halves**,
 * where it runs both towers on half of the batch, trains half of the
 * weights, and trades gradients and updated weights with the other worker
 * through a {@link PeerExchange}.
 *
 * Between steps it answers messages (`init`, `step`, `weights`,
 * `setWeights`, `state`, `setState`); during a step it talks only
 * through its {@link TowerChannel} (see there why).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import * as tf from "@tensorflow/tfjs-core";
import {
  type BackendInfo,
  type BackendRequest,
  initBackend,
  readFloat32View,
} from "../backend/mod.ts";
import type { Dataset } from "../data/mod.ts";
import {
  createTower,
  type RowGradient,
  type TowerConfig,
  type TowerInputs,
  type TwoTowerModel,
  type Weights,
} from "../towers/mod.ts";
import { type AdamState, weightsOnRead } from "./checkpoint.ts";
import { DenseAdam } from "./dense_adam.ts";
import {
  type LazyAdamOptions,
  LazyTableAdam,
  variableGradsWithTables,
} from "./lazy_adam.ts";
import { PeerExchange, sumRowGradients } from "./peer_exchange.ts";
import { Command, TowerChannel } from "./tower_channel.ts";
import { clipScale, clipScaleValue } from "./clip.ts";

/** What the loop sends to start a tower worker. */
export interface TowerWorkerInit {
  type: "init";
  /** The channel's shared buffer. */
  buffer: SharedArrayBuffer;
  /** The backend the loop runs on (the worker uses the same). */
  backend: BackendRequest;
  /** The model's resolved config and seed. */
  tower: TowerConfig;
  seed: number;
  /** The training data (structured clone). */
  ds: Dataset;
  /** The model's current weights (all of them). */
  weights: Weights;
  /** Names of the weights this worker updates. */
  names: string[];
  /** The embedding tables that get lazy Adam (of the whole model). */
  lazyNames: string[];
  /**
   * Halves: the exchange with the other worker (this worker back-propagates
   * into every weight and trades gradients and values); null for towers
   * (it back-propagates into its own weights only).
   */
  peer: { buffer: SharedArrayBuffer; index: 0 | 1 } | null;
  /** Adam's settings and the clipping norm (0: none). */
  optimizer: LazyAdamOptions & { clipNorm: number };
}

/** A message to the worker between steps. */
export type TowerWorkerMessage =
  | TowerWorkerInit
  | { type: "step" }
  | { type: "weights" }
  | { type: "setWeights"; weights: Weights }
  | { type: "state" }
  | { type: "setState"; state: AdamState }
  | { type: "close" };

interface Tower {
  channel: TowerChannel;
  peer: PeerExchange | null;
  model: TwoTowerModel;
  inputs: TowerInputs;
  byName: Map<string, tf.Variable>;
  /** Dense weights back-propagated into, and which of them this worker owns. */
  gradNames: string[];
  gradVars: tf.Variable[];
  owned: boolean[];
  /**
   * Lazy tables back-propagated into, by name: its own tower's (towers),
   * or all of them, this worker updating the rows whose id has its parity
   * (halves: the rows a batch touches are split about evenly).
   */
  gradTables: Record<string, tf.Variable>;
  dense: DenseAdam;
  lazy: LazyTableAdam | null;
  clipNorm: number;
}

let tower: Tower | null = null;

async function init(m: TowerWorkerInit): Promise<BackendInfo> {
  const info = await initBackend({ backend: m.backend, quiet: true });
  const model = createTower(m.tower, { seed: m.seed });
  model.setWeights(m.weights);
  const inputs = model.prepare(m.ds);
  const all = model.weightNames();
  const vars = model.variables();
  const byName = new Map(all.map((n, i) => [n, vars[i]]));
  const lazySet = new Set(m.lazyNames);
  const mine = new Set(m.names);
  const reached = m.peer ? all : m.names;
  const gradNames = reached.filter((n) => !lazySet.has(n));
  const tables = reached.filter((n) => lazySet.has(n));
  const ownedDense = gradNames.filter((n) => mine.has(n));
  const { clipNorm, ...adam } = m.optimizer;
  tower = {
    channel: new TowerChannel(m.buffer),
    peer: m.peer
      ? new PeerExchange(m.peer.buffer, { index: m.peer.index })
      : null,
    model,
    inputs,
    byName,
    gradNames,
    gradVars: gradNames.map((n) => byName.get(n)!),
    owned: gradNames.map((n) => mine.has(n)),
    gradTables: Object.fromEntries(tables.map((n) => [n, byName.get(n)!])),
    dense: new DenseAdam(
      Object.fromEntries(ownedDense.map((n) => [n, byName.get(n)!])),
      adam,
    ),
    lazy: tables.length > 0
      ? new LazyTableAdam(
        Object.fromEntries(tables.map((n) => [n, byName.get(n)!])),
        adam,
      )
      : null,
    clipNorm,
  };
  return info;
}

// Encodes the rows of an encode command: its payload is [nQ, nI, query
// rows, item rows]; the answer [width of a query output, width of an item
// output] then the query outputs and the item outputs, as float32.
function encode(t: Tower, length: number, outputs: tf.Tensor2D[]): void {
  const ch = t.channel;
  const head = ch.ints(length);
  const nq = head[0], ni = head[1];
  const q = head.slice(2, 2 + nq), i = head.slice(2 + nq, 2 + nq + ni);
  const parts: tf.Tensor2D[] = [];
  if (nq > 0) {
    parts.push(t.model.encodeQueries(t.inputs, q, { training: true }));
  }
  if (ni > 0) parts.push(t.model.encodeItems(t.inputs, i, { training: true }));
  outputs.push(...parts);
  const widths = [
    nq > 0 ? parts[0].shape[1] : 0,
    ni > 0 ? parts.at(-1)!.shape[1] : 0,
  ];
  ch.ints(2).set(widths);
  let at = 2;
  for (const e of parts) {
    // Straight from the backend's storage: no fresh array per step.
    const values = readFloat32View(e);
    ch.floats(values.length, at).set(values);
    at += values.length;
  }
  ch.answer(at);
}

// One training step, driven command by command through the channel.
function step(t: Tower): void {
  const ch = t.channel;
  const outputs: tf.Tensor2D[] = [];
  const lossFn = (): tf.Scalar => {
    for (;;) {
      const { code, length } = ch.next();
      if (code === Command.encode) {
        try {
          encode(t, length, outputs);
        } catch (err) {
          ch.fail(err instanceof Error ? err.message : String(err));
        }
        continue;
      }
      if (code !== Command.backward) {
        throw new Error(`tower worker: command ${code} inside a step`);
      }
      // Σ_i ⟨e_i, dy_i⟩: its gradient reaches each output as exactly dy_i.
      const dys = ch.floats(length).slice();
      let offset = 0;
      let total: tf.Scalar | null = null;
      for (const e of outputs) {
        const dy = tf.tensor2d(dys.subarray(offset, offset + e.size), e.shape);
        offset += e.size;
        const term = tf.sum(tf.mul(e, dy)) as tf.Scalar;
        total = total === null ? term : tf.add(total, term) as tf.Scalar;
      }
      return total ?? tf.scalar(0);
    }
  };
  const { value, grads, rows } = variableGradsWithTables(
    lossFn,
    t.gradVars,
    { tables: t.gradTables },
  );
  value.dispose();
  let list = t.gradVars.map((v) => grads[v.name] ?? tf.zerosLike(v));
  if (t.peer) list = reduceScatter(t, t.peer, { grads: list, rows });
  // Σg² per weight as the loop would compute it, then the lazy tables'.
  const squares = list.map((x) =>
    tf.tidy(() => tf.sum(tf.square(x)).dataSync()[0])
  );
  ch.floats(squares.length).set(squares);
  ch.doubles(squares.length, 1)[0] = t.lazy ? t.lazy.sumSquares(rows) : 0;
  ch.answer(squares.length);

  const { code, length } = ch.next();
  if (code !== Command.apply || length !== 1) {
    throw new Error(`tower worker: expected the update, got command ${code}`);
  }
  const norm = ch.floats(1)[0];
  const c = t.clipNorm;
  const scale = clipScale(norm, c);
  t.dense.apply(list, { scale });
  scale?.dispose();
  tf.dispose(list);
  t.lazy?.apply(rows, {
    scale: clipScaleValue(norm, c),
  });
  if (t.peer) allGather(t, t.peer, rows);
  ch.answer(0);
}

// Halves: sends the gradients of the weights the other worker owns, adds
// the other's to those of the weights this one owns. Returns the summed
// gradients of the owned dense weights (the others are disposed); `rows`
// is left holding the summed rows of this worker's parity only.
function reduceScatter(
  t: Tower,
  peer: PeerExchange,
  g: { grads: tf.Tensor[]; rows: Map<string, RowGradient> },
): tf.Tensor[] {
  const out = peer.outgoing();
  g.grads.forEach((x, i) => {
    if (!t.owned[i]) out.put(readFloat32View(x));
  });
  const kept = new Map<string, RowGradient>();
  for (const [name, table] of Object.entries(t.gradTables)) {
    const D = table.shape[1] as number;
    const [mine, theirs] = byParity(g.rows.get(name), { dim: D, peer });
    kept.set(name, mine);
    out.count(theirs.ids.length);
    out.put(theirs.ids);
    out.put(theirs.rows);
  }
  peer.barrier();
  const inc = peer.incoming();
  const mine: tf.Tensor[] = [];
  g.grads.forEach((x, i) => {
    if (!t.owned[i]) {
      x.dispose();
      return;
    }
    const other = tf.tensor(inc.floats(x.size), x.shape, "float32");
    mine.push(tf.add(x, other));
    tf.dispose([x, other]);
  });
  g.rows.clear();
  for (const [name, table] of Object.entries(t.gradTables)) {
    const n = inc.count();
    const dim = table.shape[1] as number;
    const other = { ids: inc.ints(n), rows: inc.floats(n * dim), dim };
    g.rows.set(name, sumRowGradients(kept.get(name)!, other));
  }
  return mine;
}

// Halves: sends the new values of the owned weights (and of the rows of
// this worker's parity that moved), then writes the other's into this
// worker's copies.
function allGather(
  t: Tower,
  peer: PeerExchange,
  rows: Map<string, RowGradient>,
): void {
  const out = peer.outgoing();
  t.gradVars.forEach((v, i) => {
    if (t.owned[i]) out.put(readFloat32View(v));
  });
  for (const [name, table] of Object.entries(t.gradTables)) {
    const ids = rows.get(name)!.ids;
    const D = table.shape[1] as number;
    out.count(ids.length);
    out.put(ids);
    const values = readFloat32View(table);
    for (const id of ids) out.put(values.subarray(id * D, (id + 1) * D));
  }
  peer.barrier();
  const inc = peer.incoming();
  t.gradVars.forEach((v, i) => {
    if (!t.owned[i]) assignValues(v, inc.floats(v.size));
  });
  for (const [name, table] of Object.entries(t.gradTables)) {
    const n = inc.count();
    const ids = inc.ints(n);
    // Lazy Adam tracks the table's storage; it writes the rows in place.
    t.lazy!.writeRows(name, ids, inc.floats(n * (table.shape[1] as number)));
  }
}

// Gives the weight `v` the values `data` as a new tensor. Not in place:
// tfjs-wasm caches XNNPACK's packed copy of a matMul operand by tensor id,
// and would go on multiplying by the old values (measured: the third
// step's loss moved).
function assignValues(v: tf.Variable, data: Float32Array): void {
  // The cpu backend keeps the array it is given: not the shared one.
  const own = tf.getBackend() === "wasm" ? data : data.slice();
  tf.tidy(() => v.assign(tf.tensor(own, v.shape)));
}

// A table's gradient rows split into this worker's parity and the other's.
function byParity(
  g: RowGradient | undefined,
  options: { dim: number; peer: PeerExchange },
): [RowGradient, RowGradient] {
  const D = options.dim, p = options.peer.index;
  if (!g) {
    const none = { ids: new Int32Array(0), rows: new Float32Array(0), dim: D };
    return [none, none];
  }
  const parts = [0, 1].map(() => ({ ids: [] as number[], at: [] as number[] }));
  g.ids.forEach((id, r) => {
    const part = parts[id % 2 === p ? 0 : 1];
    part.ids.push(id);
    part.at.push(r);
  });
  return parts.map(({ ids, at }) => {
    const rows = new Float32Array(ids.length * D);
    at.forEach((r, k) => rows.set(g.rows.subarray(r * D, (r + 1) * D), k * D));
    return { ids: Int32Array.from(ids), rows, dim: D };
  }) as [RowGradient, RowGradient];
}

// Copied as the message is cloned, one weight at a time.
function ownedWeights(t: Tower): Weights {
  const names = [
    ...t.gradNames.filter((_, i) => t.owned[i]),
    // Halves: both hold every table whole after a step; one reports it.
    ...(t.peer && t.peer.index !== 0 ? [] : t.lazy?.names() ?? []),
  ];
  return weightsOnRead(names, names.map((n) => t.byName.get(n)!));
}

self.onmessage = async (e: MessageEvent<TowerWorkerMessage>) => {
  const m = e.data;
  try {
    if (m.type === "init") {
      const info = await init(m);
      self.postMessage({ type: "ready", backend: info.name, simd: info.simd });
      return;
    }
    if (!tower) throw new Error("tower worker: not initialised");
    const t = tower;
    switch (m.type) {
      case "step":
        try {
          step(t);
        } catch (err) {
          // The loop is blocked on the channel, not listening to messages;
          // the other worker may be waiting at a barrier.
          t.peer?.abandon();
          t.channel.abandon(err instanceof Error ? err.message : String(err));
        }
        return;
      case "weights":
        self.postMessage({ type: "weights", weights: ownedWeights(t) });
        return;
      case "setWeights":
        for (const [name, w] of Object.entries(m.weights)) {
          const v = t.byName.get(name);
          if (v) tf.tidy(() => v.assign(tf.tensor(w.data, v.shape)));
        }
        self.postMessage({ type: "done" });
        return;
      case "state": {
        const dense = t.dense.getState();
        const lazy = t.lazy?.getState() ?? null;
        self.postMessage({ type: "state", dense, lazy });
        return;
      }
      case "setState":
        t.dense.setState(m.state);
        t.lazy?.setState(m.state);
        self.postMessage({ type: "done" });
        return;
      case "close":
        t.dense.dispose();
        t.model.dispose();
        self.close();
        return;
    }
  } catch (err) {
    self.postMessage({
      type: "error",
      message: err instanceof Error ? err.message : String(err),
    });
  }
};
