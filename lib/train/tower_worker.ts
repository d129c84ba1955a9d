/**
 * Web Worker entry of `parallel_towers.ts`: holds one tower of a two-tower
 * model with its own tfjs backend, and runs that tower's forward pass,
 * backward pass and Adam update of each training step. Not meant to be
 * imported.
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
} from "../backend/mod.ts";
import type { Dataset } from "../data/mod.ts";
import {
  createTower,
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
import { Command, TowerChannel } from "./tower_channel.ts";

/** What the loop sends to start a tower worker. */
export interface TowerWorkerInit {
  type: "init";
  /** The channel's shared buffer. */
  buffer: SharedArrayBuffer;
  /** The backend the loop runs on (the worker uses the same). */
  backend: BackendRequest;
  /** Which tower this worker runs. */
  side: "query" | "item";
  /** The model's resolved config and seed. */
  tower: TowerConfig;
  seed: number;
  /** The training data (structured clone). */
  ds: Dataset;
  /** The model's current weights (all of them). */
  weights: Weights;
  /** Names of the weights this tower trains (the others are never read). */
  names: string[];
  /** Of those, the embedding tables that get lazy Adam. */
  lazyNames: string[];
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
  side: "query" | "item";
  channel: TowerChannel;
  model: TwoTowerModel;
  inputs: TowerInputs;
  byName: Map<string, tf.Variable>;
  denseNames: string[];
  denseVars: tf.Variable[];
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
  const all = Object.keys(model.getWeights());
  const vars = model.variables();
  const byName = new Map(all.map((n, i) => [n, vars[i]]));
  const lazySet = new Set(m.lazyNames);
  const denseNames = m.names.filter((n) => !lazySet.has(n));
  const denseVars = denseNames.map((n) => byName.get(n)!);
  const { clipNorm, ...adam } = m.optimizer;
  tower = {
    side: m.side,
    channel: new TowerChannel(m.buffer),
    model,
    inputs,
    byName,
    denseNames,
    denseVars,
    dense: new DenseAdam(
      Object.fromEntries(denseNames.map((n, i) => [n, denseVars[i]])),
      adam,
    ),
    lazy: m.lazyNames.length > 0
      ? new LazyTableAdam(
        Object.fromEntries(m.lazyNames.map((n) => [n, byName.get(n)!])),
        adam,
      )
      : null,
    clipNorm,
  };
  return info;
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
          const rows = ch.ints(length).slice();
          const e = t.side === "query"
            ? t.model.encodeQueries(t.inputs, rows, { training: true })
            : t.model.encodeItems(t.inputs, rows, { training: true });
          outputs.push(e);
          const values = e.dataSync() as Float32Array;
          ch.floats(values.length).set(values);
          ch.answer(values.length);
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
    t.denseVars,
    { lazy: t.lazy },
  );
  value.dispose();
  const list = t.denseVars.map((v) => grads[v.name] ?? tf.zerosLike(v));
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
  const scale = c > 0
    ? tf.tidy(() => tf.div(c, tf.maximum(tf.scalar(norm), c)) as tf.Scalar)
    : null;
  t.dense.apply(list, { scale });
  scale?.dispose();
  tf.dispose(list);
  t.lazy?.apply(rows, {
    scale: c > 0 ? Math.fround(Math.fround(c) / Math.max(norm, c)) : 1,
  });
  ch.answer(0);
}

// Copied as the message is cloned, one weight at a time.
function sideWeights(t: Tower): Weights {
  const names = [...t.denseNames, ...(t.lazy?.names() ?? [])];
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
          // The loop is blocked on the channel, not listening to messages.
          t.channel.abandon(err instanceof Error ? err.message : String(err));
        }
        return;
      case "weights":
        self.postMessage({ type: "weights", weights: sideWeights(t) });
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
