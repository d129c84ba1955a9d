/**
 * Training steps on two cores: the towers' work in two Deno Workers, the
 * loss on the calling thread.
 *
 * A step of the DSSM reference model spends about 14 ms of its ~720 ms in
 * the loss; the rest is the two towers' forward and backward passes and
 * their Adam updates (docs/performance.md#split). Each worker has its own
 * tfjs backend, a copy of the model and Adam for the weights it owns; the
 * calling thread runs the objective as usual on a stand-in model whose
 * `encodeQueries` / `encodeItems` return the workers' outputs. The work is
 * split one of two ways ({@link workSplit}):
 *
 * - **towers**, when the towers share no weight (DSSM by default): the
 *   query tower in one worker, the item tower in the other, each training
 *   its own weights. Every operation is the one-thread loop's, on the same
 *   kernels and in the same order, so the weights match it bit for bit
 *   (tested), except with lazy tables, where the Σg² of the two towers'
 *   tables are added in float64 in another order, which can move the
 *   clipping norm in its last float32 bit.
 * - **halves**, when they share weights (MGDSPR's item-id table and word
 *   table, DPSR's and the plain tower's shared tables): each worker runs
 *   both towers on its half of the batch's queries and items, and owns
 *   half of the weights (balanced by size); the two trade gradients and
 *   updated weights through a {@link PeerExchange}. The loss still sees the
 *   whole batch, so in-batch negatives stay whole; the gradient of a weight
 *   is the sum of two half-batch sums, equal to the one-thread loop's up to
 *   float rounding (tested to a tolerance).
 *
 * A step:
 *
 * 1. both workers start encoding the batch's queries and items at once
 *    (the rows are known before the objective runs);
 * 2. the objective computes the loss on the outputs and, through tfjs'
 *    tape, the gradient with respect to each output;
 * 3. each worker back-propagates its outputs' gradients (its tape stayed
 *    open, see `tower_channel.ts`), in halves mode adds the other's
 *    gradients of the weights it owns, and reports Σg² per owned weight;
 *    the loop forms the global norm in the order the one-thread loop does,
 *    and each worker clips and applies Adam to its weights (in halves mode
 *    then copies the other's updated weights).
 *
 * Outside a step (evaluation, checkpoints, Adap-τ's statistics) the
 * stand-in model delegates to the caller's model, brought up to date from
 * the workers first ({@link ParallelTowers.sync}).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { BackendRequest } from "../backend/mod.ts";
import type { Dataset, MaskedBatch } from "../data/mod.ts";
import {
  TOWER_SIDES,
  type TowerConfig,
  type TowerInputs,
  type TowerSide,
  type TwoTowerModel,
  type Weights,
} from "../towers/mod.ts";
import type { LossStats } from "../losses/mod.ts";
import type { AdamState } from "./checkpoint.ts";
import { DenseAdam } from "./dense_adam.ts";
import type { LazyAdamOptions, LazyAdamState } from "./lazy_adam.ts";
import type { Objective } from "./objectives.ts";
import { PeerExchange } from "./peer_exchange.ts";
import { Command, TowerChannel } from "./tower_channel.ts";
import type { TowerWorkerInit, TowerWorkerMessage } from "./tower_worker.ts";
import { clipScale } from "./clip.ts";
import type { ParallelSplit } from "./config.ts";

const WORKERS = [0, 1] as const;

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
  const names = model.weightNames();
  const vars = model.variables();
  const used = (side: TowerSide): Set<string> => {
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

/** How two workers share a step (see the module documentation). */
export interface WorkSplit {
  /** `towers`: worker 0 runs the query tower, worker 1 the item tower; `halves`: each runs both on half of the batch. */
  mode: ParallelSplit;
  /**
   * The weights each worker updates, in the model's order. Halves: the
   * lazy tables are in neither; each worker updates the rows of every
   * table whose id has its parity (0 or 1), which splits the rows a batch
   * touched about evenly whatever the table.
   */
  owned: [string[], string[]];
  /** Every weight name, in the model's order. */
  order: string[];
}

/**
 * The split of `model`'s training over two workers: by tower when the
 * towers share no weight (the one-thread numbers bit for bit), else by
 * halves of the batch with the dense weights divided by size and the
 * lazy tables (`options.lazyNames`) by row parity.
 */
export function workSplit(
  model: TwoTowerModel,
  inputs: TowerInputs,
  options: { lazyNames?: readonly string[] } = {},
): WorkSplit {
  const sides = towerSides(model, inputs);
  const lazy = new Set(options.lazyNames ?? []);
  const order = sides?.order ?? model.weightNames();
  const vars = model.variables();
  const sizes = Object.fromEntries(order.map((n, i) => [n, vars[i].size]));
  if (sides) {
    return { mode: "towers", owned: [sides.query, sides.item], order };
  }
  // Largest first to the lighter worker: the updates and the exchange
  // cost about as much on both.
  const load = [0, 0];
  const owner = new Map<string, number>();
  const dense = order.filter((n) => !lazy.has(n));
  for (const n of dense.sort((a, b) => sizes[b] - sizes[a])) {
    const w = load[0] <= load[1] ? 0 : 1;
    owner.set(n, w);
    load[w] += sizes[n];
  }
  return {
    mode: "halves",
    owned: [
      order.filter((n) => owner.get(n) === 0),
      order.filter((n) => owner.get(n) === 1),
    ],
    order,
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
  /** How the workers share the step ({@link workSplit}). */
  split: WorkSplit;
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

// One encoded part: a worker's outputs for some rows of one side.
interface Output {
  values: number;
  dy: Float32Array | null;
}

interface Part {
  values: Float32Array;
  width: number;
  out: Output;
}

// Rows sent to the workers to encode, and what came back.
interface Request {
  rows: Record<TowerSide, Int32Array | null>;
  // Per worker, the rows of each side it was given.
  given: Record<TowerSide, Int32Array>[];
  parts: Record<TowerSide, Part[]> | null;
  used: Record<TowerSide, boolean>;
}

/** Two workers and the stand-in model (see the module documentation). */
export class ParallelTowers {
  readonly #model: TwoTowerModel;
  readonly #names: string[];
  readonly #denseNames: [string[], string[]];
  readonly #workers: Worker[];
  readonly #channels: TowerChannel[];
  readonly #opts: ParallelTowersOptions;
  readonly #probes: Record<TowerSide, tf.Variable>;
  #objective: Objective | null = null;
  #lossAdam: DenseAdam | null = null;
  readonly #proxy: TwoTowerModel;
  #inStep = false;
  #request: Request | null = null;
  #outputs: Output[][] = [[], []];
  #stale = false;

  private constructor(
    model: TwoTowerModel,
    workers: Worker[],
    channels: TowerChannel[],
    opts: ParallelTowersOptions,
  ) {
    this.#model = model;
    this.#names = opts.split.order;
    const lazy = new Set(opts.lazyNames);
    const dense = (names: string[]) => names.filter((n) => !lazy.has(n));
    this.#denseNames = [
      dense(opts.split.owned[0]),
      dense(opts.split.owned[1]),
    ];
    this.#workers = workers;
    this.#channels = channels;
    this.#opts = opts;
    this.#probes = {
      query: tf.tidy(() => tf.variable(tf.scalar(0), true)),
      item: tf.tidy(() => tf.variable(tf.scalar(0), true)),
    };
    this.#proxy = this.#stand_in();
  }

  /** How the workers share the step. */
  get mode(): WorkSplit["mode"] {
    return this.#opts.split.mode;
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
    const { split } = options;
    const peer = split.mode === "halves"
      ? new PeerExchange(exchangeBytes(split, options.lazyNames, model))
      : null;
    const workers: Worker[] = [];
    const channels: TowerChannel[] = [];
    try {
      await Promise.all(WORKERS.map((w) => {
        channels[w] = new TowerChannel(bytes);
        workers[w] = new Worker(
          new URL("./tower_worker.ts", import.meta.url).href,
          { type: "module" },
        );
        const init: TowerWorkerInit = {
          type: "init",
          buffer: channels[w].buffer,
          backend: options.backend,
          tower: options.tower,
          seed: options.seed,
          ds: options.ds,
          weights,
          names: split.owned[w],
          lazyNames: options.lazyNames,
          peer: peer ? { buffer: peer.buffer, index: w } : null,
          optimizer: options.optimizer,
        };
        return request(workers[w], init, "ready").then((m) => {
          // Another backend would compute other numbers.
          if (m.backend !== options.backend) {
            throw new Error(
              `worker ${w}: runs on ${m.backend}, not ${options.backend}`,
            );
          }
        });
      }));
    } catch (err) {
      for (const w of workers) w?.terminate();
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
    this.#outputs = [[], []];
    for (const w of WORKERS) this.#workers[w].postMessage({ type: "step" });
    this.#send({ query: batch.queryRow, item: batch.itemRow });
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
      this.#collect();
      this.#request = null;
    }
    tf.dispose([grads[this.#probes.query.name], grads[this.#probes.item.name]]);

    // The outputs' gradients to their workers; both back-propagate at once.
    for (const w of WORKERS) {
      const outs = this.#outputs[w];
      const total = outs.reduce((a, o) => a + o.values, 0);
      const buf = this.#channels[w].floats(total);
      let offset = 0;
      for (const o of outs) {
        if (o.dy) buf.set(o.dy, offset);
        else buf.fill(0, offset, offset + o.values);
        offset += o.values;
      }
      this.#channels[w].send(Command.backward, total);
    }
    const squares = new Map<string, number>();
    let lazySquares = 0;
    for (const w of WORKERS) {
      const ch = this.#channels[w];
      const n = ch.receive();
      const names = this.#denseNames[w];
      if (n !== names.length) {
        throw new Error(`worker ${w}: ${n} squares for ${names.length}`);
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
      lossAdam.apply(lossGrads, { scale: clipScale(norm, clipNorm) });
      return tf.stack([value, norm]);
    });
    const [loss, gradNorm] = packed.dataSync();
    tf.dispose([packed, value, ...lossGrads]);
    for (const ch of this.#channels) {
      ch.floats(1)[0] = gradNorm;
      ch.send(Command.apply, 1);
    }
    for (const ch of this.#channels) ch.receive();
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
    for (const worker of this.#workers) {
      const m = await request(worker, { type: "weights" }, "weights");
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
    const halves = this.mode === "halves";
    await Promise.all(
      WORKERS.map((w) =>
        request(this.#workers[w], {
          type: "setWeights",
          weights: halves ? weights : pick(weights, this.#opts.split.owned[w]),
        }, "done")
      ),
    );
    this.#stale = false;
  }

  /** Adam's state of every weight, keyed by name (null before the first step). */
  async getState(): Promise<AdamState | null> {
    const dense: AdamState[] = [], lazy: LazyAdamState[] = [];
    for (const worker of this.#workers) {
      const m = await request(worker, { type: "state" }, "state");
      if (m.dense) dense.push(m.dense as AdamState);
      if (m.lazy) lazy.push(m.lazy as LazyAdamState);
    }
    // A worker may own no dense weight; before the first step no dense
    // Adam has moments.
    if (dense.length === 0) return null;
    const own = this.#lossAdam?.getState() ?? null;
    const tables = this.mode === "halves" && lazy.length === 2
      ? [byParity(lazy[0], lazy[1])]
      : lazy;
    const all = [...dense, ...tables, ...(own ? [own] : [])];
    return {
      ...dense[0],
      m: Object.assign({}, ...all.map((p) => p.m)),
      v: Object.assign({}, ...all.map((p) => p.v)),
    };
  }

  /** Restores {@link getState}'s result. */
  async setState(state: AdamState): Promise<void> {
    await Promise.all(
      this.#workers.map((worker) =>
        request(worker, { type: "setState", state }, "done")
      ),
    );
    this.#lossAdam?.setState(state);
  }

  /** Stops the workers and frees what this holds (not the caller's model). */
  dispose(): void {
    for (const worker of this.#workers) {
      worker.postMessage({ type: "close" });
      worker.terminate();
    }
    this.#lossAdam?.dispose();
    tf.dispose([this.#probes.query, this.#probes.item]);
  }

  // Starts encoding `rows` (by side): towers — each side on its worker;
  // halves — the first half of each side's rows on worker 0, the rest on 1.
  #send(rows: Record<TowerSide, Int32Array | null>): Request {
    const empty = new Int32Array(0);
    const given = WORKERS.map((w) => {
      const part = (side: TowerSide): Int32Array => {
        const r = rows[side];
        if (!r) return empty;
        if (this.mode === "towers") return TOWER_SIDES[w] === side ? r : empty;
        const half = Math.ceil(r.length / 2);
        return w === 0 ? r.subarray(0, half) : r.subarray(half);
      };
      return { query: part("query"), item: part("item") };
    });
    WORKERS.forEach((w) => {
      const { query, item } = given[w];
      if (query.length + item.length === 0) return;
      const ch = this.#channels[w];
      const head = ch.ints(2 + query.length + item.length);
      head[0] = query.length;
      head[1] = item.length;
      head.set(query, 2);
      head.set(item, 2 + query.length);
      ch.send(Command.encode, head.length);
    });
    this.#request = {
      rows,
      given,
      parts: null,
      used: { query: false, item: false },
    };
    return this.#request;
  }

  // Waits for the workers' answers to the last request, if not read yet.
  #collect(): void {
    const r = this.#request;
    if (!r || r.parts) return;
    const parts: Record<TowerSide, Part[]> = { query: [], item: [] };
    WORKERS.forEach((w) => {
      const given = r.given[w];
      if (given.query.length + given.item.length === 0) return;
      const ch = this.#channels[w];
      ch.receive();
      const widths = ch.ints(2);
      let at = 2;
      TOWER_SIDES.forEach((side, k) => {
        const n = given[side].length * widths[k];
        if (given[side].length === 0) return;
        const out: Output = { values: n, dy: null };
        this.#outputs[w].push(out);
        parts[side].push({
          values: ch.floats(n, at).slice(),
          width: widths[k],
          out,
        });
        at += n;
      });
    });
    r.parts = parts;
  }

  #encode(side: TowerSide, rows: Int32Array): tf.Tensor2D {
    let r = this.#request;
    const asked = r?.rows[side];
    if (!r || r.used[side] || !asked || !sameRows(asked, rows)) {
      this.#collect();
      r = this.#send(
        side === "query"
          ? { query: rows, item: null }
          : { query: null, item: rows },
      );
    }
    this.#collect();
    r.used[side] = true;
    const parts = r.parts![side];
    const width = parts[0].width;
    const values = parts.length === 1
      ? parts[0].values
      : new Float32Array(rows.length * width);
    if (parts.length > 1) {
      let at = 0;
      for (const p of parts) {
        values.set(p.values, at);
        at += p.values.length;
      }
    }
    const op = tf.customGrad(
      ((p: tf.Tensor) => ({
        value: tf.tensor2d(values, [rows.length, width]),
        gradFunc: (dy: tf.Tensor) => {
          const d = dy.dataSync() as Float32Array;
          let at = 0;
          for (const part of parts) {
            part.out.dy = d.slice(at, at + part.values.length);
            at += part.values.length;
          }
          return [tf.zerosLike(p)];
        },
      })) as unknown as Parameters<typeof tf.customGrad>[0],
    );
    return op(this.#probes[side]) as tf.Tensor2D;
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
      weightNames: () => model.weightNames(),
      getWeights: () => fresh().getWeights(),
      setWeights: (w) => model.setWeights(w),
      dispose: () => model.dispose(),
    };
  }
}

// Room for the largest message either worker writes to the other: the
// gradients of the weights the other owns, or the new values of its own,
// and of each lazy table at most all of its rows with their ids.
function exchangeBytes(
  split: WorkSplit,
  lazyNames: readonly string[],
  model: TwoTowerModel,
): number {
  const vars = model.variables();
  const index = new Map(split.order.map((n, i) => [n, i]));
  const size = (n: string) => vars[index.get(n)!].size;
  const dense = (names: string[]) => names.reduce((a, n) => a + size(n), 0);
  const tables = lazyNames.reduce(
    (a, n) => a + 1 + vars[index.get(n)!].shape[0] + size(n),
    0,
  );
  return 4 * (Math.max(dense(split.owned[0]), dense(split.owned[1])) + tables);
}

// The lazy tables' moments of two halves workers: each row from the
// worker of its parity (the other's copy of that row is stale).
function byParity(a: LazyAdamState, b: LazyAdamState): LazyAdamState {
  const merge = (x: Weights, y: Weights): Weights =>
    Object.fromEntries(
      Object.entries(x).map(([name, w]) => {
        const out = Float32Array.from(w.data);
        const D = w.shape[1];
        for (let r = 1; r * D < out.length; r += 2) {
          out.set(y[name].data.subarray(r * D, (r + 1) * D), r * D);
        }
        return [name, { shape: w.shape, data: out }];
      }),
    );
  return { ...a, m: merge(a.m, b.m), v: merge(a.v, b.v) };
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
        reject(new Error(`worker: ${m.message}`));
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
