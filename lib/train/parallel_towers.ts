/**
 * Training steps on two cores: each tower of a two-tower model in its own
 * Deno Worker, the loss on the calling thread.
 *
 * A step of the DSSM reference model spends about 14 ms of its ~720 ms in
 * the loss; the rest is the two towers' forward and backward passes and
 * their Adam updates, which share no weights
 * (docs/performance.md#split). So the query tower runs in one worker and
 * the item tower in another, each with its own tfjs backend and its own
 * Adam; the calling thread runs the objective as usual on a stand-in
 * model whose `encodeQueries` / `encodeItems` return the workers' outputs.
 * A step:
 *
 * 1. both workers start encoding the batch's queries and items at once
 *    (the rows are known before the objective runs);
 * 2. the objective computes the loss on the outputs and, through tfjs'
 *    tape, the gradient with respect to each output;
 * 3. each worker back-propagates its outputs' gradients through its tower
 *    (its tape stayed open, see `tower_channel.ts`) and reports Σg² per
 *    weight; the loop forms the global norm in the order the one-thread
 *    loop does, and each worker clips and applies Adam.
 *
 * Every operation is the one-thread loop's, on the same kernels and in the
 * same order, so the weights match it bit for bit (tested) — except with
 * lazy tables, where the Σg² of the two towers' tables are added in float64
 * in another order, which can move the clipping norm in its last float32
 * bit. Outside a step (evaluation, checkpoints, Adap-τ's statistics) the
 * stand-in model delegates to the caller's model, brought up to date from
 * the workers first ({@link ParallelTowers.sync}).
 *
 * Towers that share weights (DSSM `shared`, DPSR's shared tables) cannot be
 * split; {@link towerSides} says so and the caller keeps one thread.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { BackendRequest } from "../backend/mod.ts";
import type { Dataset, MaskedBatch } from "../data/mod.ts";
import type {
  TowerConfig,
  TowerInputs,
  TwoTowerModel,
  Weights,
} from "../towers/mod.ts";
import type { LossStats } from "../losses/mod.ts";
import type { AdamState } from "./checkpoint.ts";
import { DenseAdam } from "./dense_adam.ts";
import type { LazyAdamOptions, LazyAdamState } from "./lazy_adam.ts";
import type { Objective } from "./objectives.ts";
import { Command, TowerChannel } from "./tower_channel.ts";
import type { TowerWorkerInit, TowerWorkerMessage } from "./tower_worker.ts";

type Side = "query" | "item";
const SIDES: readonly Side[] = ["query", "item"];

/** The weights of each tower, by name, and all of them in the model's order. */
export interface TowerSides {
  /** Read by the query tower only. */
  query: string[];
  /** Read by the item tower only. */
  item: string[];
  /** Every weight name, in the model's order (`getWeights`, `variables`). */
  order: string[];
}

/**
 * The names of the weights each tower reads, found by differentiating one
 * query and one item; null when a weight is read by both (shared weights).
 */
export function towerSides(
  model: TwoTowerModel,
  inputs: TowerInputs,
): TowerSides | null {
  const names = Object.keys(model.getWeights());
  const vars = model.variables();
  const used = (side: Side): Set<string> => {
    const row = Int32Array.of(0);
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(
        side === "query"
          ? model.encodeQueries(inputs, row)
          : model.encodeItems(inputs, row),
      ) as tf.Scalar, vars);
    const out = new Set(names.filter((_, i) => grads[vars[i].name]));
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const q = used("query"), i = used("item");
  if ([...q].some((n) => i.has(n))) return null;
  return {
    query: names.filter((n) => q.has(n)),
    item: names.filter((n) => i.has(n)),
    order: names,
  };
}

/** Options of {@link ParallelTowers.start}. */
export interface ParallelTowersOptions {
  /** The model's resolved config and seed (the workers build the same model). */
  tower: TowerConfig;
  seed: number;
  /** The training data. */
  ds: Dataset;
  /** Backend the workers use (the caller's). */
  backend: BackendRequest;
  /** Which weights each tower trains ({@link towerSides}). */
  sides: TowerSides;
  /** Embedding tables that get lazy Adam (empty: dense Adam everywhere). */
  lazyNames: string[];
  /** Adam's settings and the clipping norm. */
  optimizer: LazyAdamOptions & { clipNorm: number };
  /** Payload room per channel in bytes (default 64 MB). */
  channelBytes?: number;
}

/** What one step returns. */
export interface ParallelStepResult {
  /** The loss. */
  loss: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** The loss diagnostics when asked for. */
  stats: LossStats | null;
  /** The objective's per-anchor record, read after the update. */
  recorded: Float32Array | null;
}

interface Output {
  values: number;
  dy: Float32Array | null;
}

/** Two tower workers and the stand-in model (see the module documentation). */
export class ParallelTowers {
  readonly #model: TwoTowerModel;
  readonly #names: string[];
  readonly #denseNames: Record<Side, string[]>;
  readonly #workers: Record<Side, Worker>;
  readonly #channels: Record<Side, TowerChannel>;
  readonly #opts: ParallelTowersOptions;
  readonly #probes: Record<Side, tf.Variable>;
  #objective: Objective | null = null;
  #lossAdam: DenseAdam | null = null;
  readonly #proxy: TwoTowerModel;
  #inStep = false;
  #pending: Record<Side, Int32Array | null> = { query: null, item: null };
  #outputs: Record<Side, Output[]> = { query: [], item: [] };
  #stale = false;

  private constructor(
    model: TwoTowerModel,
    workers: Record<Side, Worker>,
    channels: Record<Side, TowerChannel>,
    opts: ParallelTowersOptions,
  ) {
    this.#model = model;
    // Known from towerSides: no copy of the weights to learn their names.
    this.#names = opts.sides.order;
    const lazy = new Set(opts.lazyNames);
    this.#denseNames = {
      query: opts.sides.query.filter((n) => !lazy.has(n)),
      item: opts.sides.item.filter((n) => !lazy.has(n)),
    };
    this.#workers = workers;
    this.#channels = channels;
    this.#opts = opts;
    this.#probes = {
      query: tf.tidy(() => tf.variable(tf.scalar(0), true)),
      item: tf.tidy(() => tf.variable(tf.scalar(0), true)),
    };
    this.#proxy = this.#stand_in();
  }

  /**
   * The objective the steps train, built on {@link model}; its own weights
   * (α, δ0/τ0 when trainable) are trained on this thread.
   */
  attach(objective: Objective): void {
    const { clipNorm: _, ...adam } = this.#opts.optimizer;
    const names = Object.keys(objective.getWeights());
    const vars = objective.variables();
    this.#lossAdam?.dispose();
    this.#objective = objective;
    this.#lossAdam = new DenseAdam(
      Object.fromEntries(names.map((n, i) => [n, vars[i]])),
      adam,
    );
  }

  /** Starts the two workers with `model`'s current weights. */
  static async start(
    model: TwoTowerModel,
    options: ParallelTowersOptions,
  ): Promise<ParallelTowers> {
    const bytes = options.channelBytes ?? 64 * 2 ** 20;
    const weights = model.getWeights();
    const workers = {} as Record<Side, Worker>;
    const channels = {} as Record<Side, TowerChannel>;
    try {
      await Promise.all(SIDES.map((side) => {
        channels[side] = new TowerChannel(bytes);
        workers[side] = new Worker(
          new URL("./tower_worker.ts", import.meta.url).href,
          { type: "module" },
        );
        const init: TowerWorkerInit = {
          type: "init",
          buffer: channels[side].buffer,
          backend: options.backend,
          side,
          tower: options.tower,
          seed: options.seed,
          ds: options.ds,
          weights,
          names: options.sides[side],
          lazyNames: options.lazyNames.filter((n) =>
            options.sides[side].includes(n)
          ),
          optimizer: options.optimizer,
        };
        return request(workers[side], init, "ready").then((m) => {
          // Another backend would compute other numbers.
          if (m.backend !== options.backend) {
            throw new Error(
              `tower worker ${side}: runs on ${m.backend}, not ${options.backend}`,
            );
          }
        });
      }));
    } catch (err) {
      for (const w of Object.values(workers)) w.terminate();
      throw err;
    }
    return new ParallelTowers(model, workers, channels, options);
  }

  /** The model objectives should be built on (see the module documentation). */
  get model(): TwoTowerModel {
    return this.#proxy;
  }

  /** One training step on `batch` (the objective must be built on {@link model}). */
  step(
    batch: MaskedBatch,
    options: { step: number; stats: boolean },
  ): ParallelStepResult {
    const objective = this.#objective;
    const lossAdam = this.#lossAdam;
    if (!objective || !lossAdam) {
      throw new Error("parallel towers: attach() an objective first");
    }
    this.#stale = true;
    for (const side of SIDES) {
      this.#outputs[side] = [];
      this.#workers[side].postMessage({ type: "step" });
    }
    this.#send("query", batch.queryRow);
    this.#send("item", batch.itemRow);
    let stats: LossStats | null = null;
    let record: tf.Tensor1D | null = null;
    this.#inStep = true;
    let value: tf.Scalar, grads: tf.NamedTensorMap;
    try {
      ({ value, grads } = tf.variableGrads(() => {
        const out = objective.forward(batch, options);
        stats = out.stats;
        record = out.record;
        return out.loss;
      }, [...objective.variables(), this.#probes.query, this.#probes.item]));
    } finally {
      this.#inStep = false;
      // An encode the objective did not ask for still has to be answered.
      for (const side of SIDES) this.#collect(side);
    }
    tf.dispose([grads[this.#probes.query.name], grads[this.#probes.item.name]]);

    // The outputs' gradients to their workers; both back-propagate at once.
    for (const side of SIDES) {
      const outs = this.#outputs[side];
      const total = outs.reduce((a, o) => a + o.values, 0);
      const buf = this.#channels[side].floats(total);
      let offset = 0;
      for (const o of outs) {
        if (o.dy) buf.set(o.dy, offset);
        else buf.fill(0, offset, offset + o.values);
        offset += o.values;
      }
      this.#channels[side].send(Command.backward, total);
    }
    const squares = new Map<string, number>();
    let lazySquares = 0;
    for (const side of SIDES) {
      const ch = this.#channels[side];
      const n = ch.receive();
      const names = this.#denseNames[side];
      if (n !== names.length) {
        throw new Error(
          `tower worker ${side}: ${n} squares for ${names.length}`,
        );
      }
      const sq = ch.floats(n);
      names.forEach((name, i) => squares.set(name, sq[i]));
      lazySquares += ch.doubles(n, 1)[0];
    }

    // The global norm exactly as the one-thread loop forms it.
    const lossVars = objective.variables();
    const lossGrads = lossVars.map((v) => grads[v.name] ?? tf.zerosLike(v));
    const { clipNorm } = this.#opts.optimizer;
    const lazy = this.#opts.lazyNames.length > 0;
    const packed = tf.tidy(() => {
      const list: tf.Tensor[] = [];
      for (const name of this.#names) {
        if (squares.has(name)) list.push(tf.scalar(squares.get(name)!));
      }
      lossGrads.forEach((g) => list.push(tf.sum(tf.square(g))));
      if (lazy) list.push(tf.scalar(lazySquares));
      const norm = tf.sqrt(tf.addN(list));
      const scale = clipNorm > 0
        ? tf.div(clipNorm, tf.maximum(norm, clipNorm)) as tf.Scalar
        : null;
      lossAdam.apply(lossGrads, { scale });
      return tf.stack([value, norm]);
    });
    const [loss, gradNorm] = packed.dataSync();
    tf.dispose([packed, value, ...lossGrads]);
    for (const side of SIDES) {
      this.#channels[side].floats(1)[0] = gradNorm;
      this.#channels[side].send(Command.apply, 1);
    }
    for (const side of SIDES) this.#channels[side].receive();
    let recorded: Float32Array | null = null;
    if (record !== null) {
      const r = record as tf.Tensor1D;
      recorded = r.dataSync() as Float32Array;
      r.dispose();
    }
    return { loss, gradNorm, stats, recorded };
  }

  /** Copies the workers' weights into the caller's model (after steps). */
  async sync(): Promise<void> {
    if (!this.#stale) return;
    const vars = this.#model.variables();
    const index = new Map(this.#names.map((n, i) => [n, i]));
    for (const side of SIDES) {
      const m = await request(
        this.#workers[side],
        { type: "weights" },
        "weights",
      );
      for (const [name, w] of Object.entries(m.weights as Weights)) {
        const v = vars[index.get(name)!];
        tf.tidy(() => v.assign(tf.tensor(w.data, v.shape)));
      }
    }
    this.#stale = false;
  }

  /** Sends the caller's model's weights to the workers (after a restore). */
  async push(): Promise<void> {
    const weights = this.#model.getWeights();
    await Promise.all(
      SIDES.map((side) =>
        request(this.#workers[side], {
          type: "setWeights",
          weights: pick(weights, this.#opts.sides[side]),
        }, "done")
      ),
    );
    this.#stale = false;
  }

  /** Adam's state of every weight, keyed by name (null before the first step). */
  async getState(): Promise<AdamState | null> {
    const parts: AdamState[] = [];
    for (const side of SIDES) {
      const m = await request(this.#workers[side], { type: "state" }, "state");
      const dense = m.dense as AdamState | null;
      const lazy = m.lazy as LazyAdamState | null;
      if (!dense) return null;
      parts.push({
        ...dense,
        m: { ...dense.m, ...lazy?.m },
        v: { ...dense.v, ...lazy?.v },
      });
    }
    const own = this.#lossAdam?.getState() ?? null;
    const all = own ? [...parts, own] : parts;
    return {
      ...parts[0],
      m: Object.assign({}, ...all.map((p) => p.m)),
      v: Object.assign({}, ...all.map((p) => p.v)),
    };
  }

  /** Restores {@link getState}'s result. */
  async setState(state: AdamState): Promise<void> {
    await Promise.all(
      SIDES.map((side) =>
        request(this.#workers[side], { type: "setState", state }, "done")
      ),
    );
    this.#lossAdam?.setState(state);
  }

  /** Stops the workers and frees what this holds (not the caller's model). */
  dispose(): void {
    for (const side of SIDES) {
      this.#workers[side].postMessage({ type: "close" });
      this.#workers[side].terminate();
    }
    this.#lossAdam?.dispose();
    tf.dispose([this.#probes.query, this.#probes.item]);
  }

  // Starts encoding `rows` on `side`'s worker.
  #send(side: Side, rows: Int32Array): void {
    const ch = this.#channels[side];
    ch.ints(rows.length).set(rows);
    ch.send(Command.encode, rows.length);
    this.#pending[side] = rows;
  }

  // Waits for the pending encode of `side`; returns its values.
  #collect(side: Side): Float32Array | null {
    if (!this.#pending[side]) return null;
    const ch = this.#channels[side];
    this.#pending[side] = null;
    const n = ch.receive();
    this.#outputs[side].push({ values: n, dy: null });
    return ch.floats(n).slice();
  }

  #encode(side: Side, rows: Int32Array): tf.Tensor2D {
    const pending = this.#pending[side];
    if (!pending || !sameRows(pending, rows)) {
      this.#collect(side);
      this.#send(side, rows);
    }
    const values = this.#collect(side)!;
    const index = this.#outputs[side].length - 1;
    const out = this.#outputs[side][index];
    const width = values.length / rows.length;
    const probe = this.#probes[side];
    const op = tf.customGrad(
      ((p: tf.Tensor) => ({
        value: tf.tensor2d(values, [rows.length, width]),
        gradFunc: (dy: tf.Tensor) => {
          out.dy = Float32Array.from(dy.dataSync() as Float32Array);
          return [tf.zerosLike(p)];
        },
      })) as unknown as Parameters<typeof tf.customGrad>[0],
    );
    return op(probe) as tf.Tensor2D;
  }

  #stand_in(): TwoTowerModel {
    const model = this.#model;
    // deno-lint-ignore no-this-alias
    const self = this;
    const inStep = (o?: { training?: boolean }) =>
      self.#inStep && (o?.training ?? false);
    const fresh = () => {
      if (self.#stale) {
        throw new Error(
          "parallel towers: await sync() before using the model outside a step",
        );
      }
      return model;
    };
    return {
      get kind() {
        return model.kind;
      },
      get config() {
        return model.config;
      },
      get dim() {
        return model.dim;
      },
      get heads() {
        return model.heads;
      },
      prepare: (ds) => model.prepare(ds),
      encodeQueries: (inputs, rows, o) =>
        inStep(o)
          ? self.#encode("query", rows)
          : fresh().encodeQueries(inputs, rows, o),
      encodeItems: (inputs, rows, o) =>
        inStep(o)
          ? self.#encode("item", rows)
          : fresh().encodeItems(inputs, rows, o),
      scores: (q, v) => model.scores(q, v),
      variables: () => fresh().variables(),
      rowSparse: () => model.rowSparse(),
      getWeights: () => fresh().getWeights(),
      setWeights: (w) => model.setWeights(w),
      dispose: () => model.dispose(),
    };
  }
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pick(w: Weights, names: readonly string[]): Weights {
  return Object.fromEntries(names.map((n) => [n, w[n]]));
}

// Posts `message` and resolves with the worker's next message of `type`.
function request(
  worker: Worker,
  message: TowerWorkerMessage,
  type: string,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
    };
    const onMessage = (e: MessageEvent) => {
      const m = e.data as Record<string, unknown>;
      if (m.type === "error") {
        done();
        reject(new Error(`tower worker: ${m.message}`));
      } else if (m.type === type) {
        done();
        resolve(m);
      }
    };
    const onError = (e: ErrorEvent) => {
      e.preventDefault();
      done();
      reject(new Error(`tower worker: ${e.message}`));
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
    worker.postMessage(message);
  });
}
