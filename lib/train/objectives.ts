/**
 * Training objectives: one per loss kind of the config, turning a batch into
 * a scalar loss (and its diagnostics) for any tower.
 *
 * Two paths compute the same formulas:
 * - single-vector towers (DSSM, MGDSPR, plain: `heads` = 1) call the losses
 *   module's loss functions on (q, v) directly (`marginLoss`,
 *   `adaptiveSoftmaxLoss`, …, with `extraNegatives` for sampled ones);
 * - the multi-head DPSR tower, whose score is not q·v, goes through
 *   {@link modelScores}: the similarity matrices come from the tower's own
 *   `scores`, and the loss from the losses module's formula functions
 *   (`hingeRankingLoss`, `softmaxRankingLoss`, `adaptiveMargin`,
 *   `adaptiveTemperature`, `totalLoss`), exactly as the loss functions
 *   combine them. `objectives_test.ts` checks that both paths agree on a
 *   single-head tower.
 * - Adap-τ always takes the score path: its per-query state (last epoch's
 *   losses, the scales) must be checkpointed, so it is kept here, computed
 *   with the module's `adapTauGlobalScale`, `adapTauStatistics` and
 *   `adapTauScales`.
 *
 * Sampled negatives (DSSM's 4 random items, DPSR's random items, MGDSPR's
 * mixing weights) draw from a generator seeded by (run seed, step), so a
 * resumed run draws the same ones.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Dataset } from "../data/schema.ts";
import type { MaskedBatch, TrainingPairs } from "../data/batches.ts";
import { Rng } from "../data/rng.ts";
import {
  adapTauGlobalScale,
  adapTauScales,
  adapTauStatistics,
  adaptiveMargin,
  adaptiveMarginLoss,
  adaptiveSoftmaxLoss,
  adaptiveTemperature,
  hingeRankingLoss,
  type LossResult,
  type LossStats,
  marginLoss,
  readStats,
  softmaxLoss,
  softmaxRankingLoss,
  termStatsTensor,
  totalLoss,
} from "../losses/mod.ts";
import { stopGradient } from "../backend/mod.ts";
import {
  mgdsprMixedNegatives,
  sampleRandomItems,
  type TowerInputs,
  type TwoTowerModel,
  type Weights,
} from "../towers/mod.ts";
import { ConfigError, type LossConfig, type LossKind } from "./config.ts";

/** What an objective needs besides the batch. */
export interface ObjectiveContext {
  /** The model being trained. */
  model: TwoTowerModel;
  /** Its prepared inputs for `ds`. */
  inputs: TowerInputs;
  /** The training data. */
  ds: Dataset;
  /** The training pairs (ids, rows, relevance labels). */
  pairs: TrainingPairs;
  /** Run seed (sampled negatives use (seed, step)). */
  seed: number;
  /**
   * Compute every loss from `model.scores` even for single-vector towers
   * (default false: they call the loss functions on q, v). The two paths
   * agree; tests compare them.
   */
  scorePath?: boolean;
}

/** Output of {@link Objective.forward}. */
export interface ObjectiveOutput {
  /** Scalar loss. */
  loss: tf.Scalar;
  /** Diagnostics when asked for. */
  stats: LossStats | null;
  /** Per-anchor values to hand back to {@link Objective.afterStep} (kept). */
  record: tf.Tensor1D | null;
}

/** A loss kind bound to a model and data; see the module documentation. */
export interface Objective {
  /** The loss kind. */
  readonly kind: LossKind;
  /** Trainable hyper-parameters (α, δ0/τ0 with `trainable`); usually none. */
  variables(): tf.Variable[];
  /** Their values by name (`loss/alpha`, …), for checkpoints. */
  getWeights(): Weights;
  /** Restores {@link getWeights}. */
  setWeights(w: Weights): void;
  /** Called before the first step of every epoch (also after a resume). */
  startEpoch(epoch: number): void;
  /** The loss of one batch; call inside `tf.variableGrads`. */
  forward(
    batch: MaskedBatch,
    options: { step: number; stats: boolean },
  ): ObjectiveOutput;
  /** Receives the values of `record` after the update (Adap-τ's per-query losses). */
  afterStep(batch: MaskedBatch, recorded: Float32Array | null): void;
  /** JSON state for checkpoints (null when stateless). */
  getState(): unknown;
  /** Restores {@link getState}. */
  setState(state: unknown): void;
  /** Frees tensors. */
  dispose(): void;
}

/** The generator of a step's sampled negatives: a function of (seed, step). */
export function stepRng(seed: number, step: number): Rng {
  // A fixed label separates this stream from the batch shuffle's.
  return new Rng((seed ^ 0x51ed27) | 0).fork(step);
}

/** Similarities of a batch with its candidates, from the tower's `scores`. */
export interface ModelScores {
  /** [B]: f(q_b, v_b). */
  positive: tf.Tensor1D;
  /** [B, N]: f(q_b, c_j). */
  query: tf.Tensor2D;
  /** [B, N]: v_b·c_j (items are single vectors), or null. */
  item: tf.Tensor2D | null;
  /** [B, N]: 1 where c_j is a negative of b. */
  negatives: tf.Tensor2D;
  /** In-batch candidate columns (B or 0). */
  inBatch: number;
  /** Extra candidate columns. */
  extra: number;
}

/** Options of {@link modelScores}. */
export interface ModelScoresOptions {
  /** [B, B] accidental hits (nonzero: not a negative). */
  mask?: tf.Tensor2D;
  /** Extra negatives: [K, d] shared or [B, K, d] per anchor. */
  extraNegatives?: tf.Tensor;
  /** Use the other batch items as negatives (default true). */
  inBatchNegatives?: boolean;
  /** Also compute item–candidate similarities (default false). */
  itemScores?: boolean;
}

/** f(q_b, E_bk) for per-anchor candidates E [B, K, d], via `model.scores`. */
function perAnchorScores(
  model: TwoTowerModel,
  q: tf.Tensor2D,
  e: tf.Tensor3D,
): tf.Tensor2D {
  const [B, K, d] = e.shape;
  if (model.heads === 1) {
    return tf.reshape(tf.matMul(e, tf.reshape(q, [B, d, 1])), [B, K]);
  }
  // All B·K candidates for every query, then the b-th block of row b.
  const all = tf.reshape(
    model.scores(q, tf.reshape(e, [B * K, d]) as tf.Tensor2D),
    [B, B, K],
  );
  return tf.sum(
    tf.mul(all, tf.reshape(tf.eye(B), [B, B, 1])),
    1,
  ) as tf.Tensor2D;
}

/**
 * The similarity matrices of a batch computed with the tower's own score
 * (multi-head for DPSR), laid out like the losses module's `batchScores`:
 * in-batch candidates first, then the extra negatives. Call inside a tidy.
 */
export function modelScores(
  model: TwoTowerModel,
  qv: { q: tf.Tensor2D; v: tf.Tensor2D },
  options: ModelScoresOptions = {},
): ModelScores {
  const { q, v } = qv;
  const B = v.shape[0];
  const inBatch = options.inBatchNegatives ?? true;
  const full = model.scores(q, v);
  const eye = tf.eye(B);
  const positive = tf.sum(tf.mul(full, eye), 1) as tf.Tensor1D;
  const qs: tf.Tensor2D[] = [], is: tf.Tensor2D[] = [], ns: tf.Tensor2D[] = [];
  if (inBatch) {
    qs.push(full);
    if (options.itemScores) is.push(tf.matMul(v, v, false, true));
    let neg = tf.sub(1, eye) as tf.Tensor2D;
    if (options.mask) {
      neg = tf.mul(
        neg,
        tf.sub(1, tf.cast(tf.notEqual(options.mask, 0), "float32")),
      );
    }
    ns.push(neg);
  }
  let K = 0;
  const e = options.extraNegatives;
  if (e) {
    if (e.rank === 2) {
      K = e.shape[0];
      qs.push(model.scores(q, e as tf.Tensor2D));
      if (options.itemScores) {
        is.push(tf.matMul(v, e as tf.Tensor2D, false, true));
      }
    } else {
      K = e.shape[1] as number;
      qs.push(perAnchorScores(model, q, e as tf.Tensor3D));
      if (options.itemScores) {
        is.push(tf.reshape(
          tf.matMul(e as tf.Tensor3D, tf.expandDims(v, 2)),
          [B, K],
        ));
      }
    }
    ns.push(tf.ones([B, K]));
  }
  if (qs.length === 0) throw new Error("modelScores: no candidates");
  const join = (p: tf.Tensor2D[]) => p.length === 1 ? p[0] : tf.concat(p, 1);
  return {
    positive,
    query: join(qs),
    item: options.itemScores ? join(is) : null,
    negatives: join(ns),
    inBatch: inBatch ? B : 0,
    extra: K,
  };
}

function active(argument: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.greater(argument, 0), "float32");
}

/** The in-batch logQ offsets, laid out like {@link ModelScores} columns. */
function logQColumns(
  s: ModelScores,
  logQ: tf.Tensor1D | null,
): tf.Tensor | null {
  if (logQ === null) return null;
  const parts: tf.Tensor[] = [];
  if (s.inBatch > 0) parts.push(tf.reshape(logQ, [1, s.inBatch]));
  if (s.extra > 0) parts.push(tf.zeros([1, s.extra]));
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

function minus(x: tf.Tensor, off: tf.Tensor | null): tf.Tensor {
  return off === null ? x : tf.sub(x, off);
}

type Term = { loss: tf.Scalar; row: tf.Tensor1D | null };

/** Fixed-margin hinge on score matrices (as `marginLoss`). */
function hingeTerm(
  s: ModelScores,
  margin: number,
  stats: boolean,
): Term {
  const h = hingeRankingLoss(s.positive, s.query, {
    margin,
    negatives: s.negatives,
  });
  const loss = tf.mean(h.perAnchor) as tf.Scalar;
  const row = stats
    ? termStatsTensor(loss, tf.scalar(margin), s.negatives, {
      active: active(h.argument),
    })
    : null;
  return { loss, row };
}

/** Fixed-temperature softmax on score matrices (as `softmaxLoss`). */
function softmaxTerm(
  s: ModelScores,
  tau: number,
  logQ: tf.Tensor1D | null,
  stats: boolean,
): Term {
  const per = softmaxRankingLoss(
    minus(tf.div(s.positive, tau), logQ) as tf.Tensor1D,
    minus(tf.div(s.query, tau), logQColumns(s, logQ)) as tf.Tensor2D,
    { negatives: s.negatives },
  );
  const loss = tf.mean(per) as tf.Scalar;
  const row = stats
    ? termStatsTensor(loss, tf.scalar(tau), s.negatives, {
      positiveTemperature: tf.scalar(tau),
    })
    : null;
  return { loss, row };
}

type ScalarVar = tf.Variable<tf.Rank.R0>;

interface AdaptiveParams {
  alpha: number | ScalarVar;
  base: number | ScalarVar;
  trainable: boolean;
}

/** The paper's adaptive margin loss on score matrices (as `adaptiveMarginLoss`). */
function adaptiveMarginTerms(
  s: ModelScores,
  c: LossConfig,
  p: AdaptiveParams,
  stats: boolean,
): { loss: tf.Scalar; rows: tf.Tensor1D[] } {
  const opts = {
    alpha: p.alpha as number,
    delta0: p.base as number,
    form: c.form as "linear",
    stopGradient: c.stopGradient as boolean,
    trainable: p.trainable,
  };
  const item = s.item as tf.Tensor2D;
  const dq = adaptiveMargin(item, opts);
  const hq = hingeRankingLoss(s.positive, s.query, {
    margin: dq,
    negatives: s.negatives,
  });
  const lq = tf.mean(hq.perAnchor) as tf.Scalar;
  const rows: tf.Tensor1D[] = [];
  if (stats) {
    rows.push(
      termStatsTensor(lq, dq, s.negatives, { active: active(hq.argument) }),
    );
  }
  if (!c.symmetric) return { loss: lq, rows };
  const dv = c.symmetricFrom === "query" ? adaptiveMargin(s.query, opts) : dq;
  const hv = hingeRankingLoss(s.positive, item, {
    margin: dv,
    negatives: s.negatives,
  });
  const lv = tf.mean(hv.perAnchor) as tf.Scalar;
  if (stats) {
    rows.push(
      termStatsTensor(lv, dv, s.negatives, { active: active(hv.argument) }),
    );
  }
  return {
    loss: totalLoss(lq, lv, { w: c.w as number, combine: c.combine as "add" }),
    rows,
  };
}

/** The paper's adaptive softmax loss on score matrices (as `adaptiveSoftmaxLoss`). */
function adaptiveSoftmaxTerms(
  s: ModelScores,
  c: LossConfig,
  p: AdaptiveParams,
  logQ: tf.Tensor1D | null,
  stats: boolean,
): { loss: tf.Scalar; rows: tf.Tensor1D[] } {
  const opts = {
    alpha: p.alpha as number,
    tau0: p.base as number,
    form: c.form as "linear",
    stopGradient: c.stopGradient as boolean,
    trainable: p.trainable,
  };
  const item = s.item as tf.Tensor2D;
  const cols = logQColumns(s, logQ);
  const tauQ = adaptiveTemperature(item, opts);
  const tau0 = typeof p.base === "number"
    ? tf.scalar(p.base)
    : p.trainable
    ? p.base
    : stopGradient(p.base);
  const positive = tf.div(s.positive, tau0) as tf.Tensor1D;
  const lq = tf.mean(softmaxRankingLoss(
    minus(positive, logQ) as tf.Tensor1D,
    minus(tf.div(s.query, tauQ), cols) as tf.Tensor2D,
    { negatives: s.negatives },
  )) as tf.Scalar;
  const rows: tf.Tensor1D[] = [];
  if (stats) {
    rows.push(
      termStatsTensor(lq, tauQ, s.negatives, { positiveTemperature: tau0 }),
    );
  }
  if (!c.symmetric) return { loss: lq, rows };
  const tauV = c.symmetricFrom === "query"
    ? adaptiveTemperature(s.query, opts)
    : tauQ;
  const lv = tf.mean(softmaxRankingLoss(
    positive,
    minus(tf.div(item, tauV), cols) as tf.Tensor2D,
    { negatives: s.negatives },
  )) as tf.Scalar;
  if (stats) {
    rows.push(
      termStatsTensor(lv, tauV, s.negatives, { positiveTemperature: tau0 }),
    );
  }
  return {
    loss: totalLoss(lq, lv, { w: c.w as number, combine: c.combine as "add" }),
    rows,
  };
}

/** Reads the stats rows (one sync) as the loss functions do. */
function finish(
  loss: tf.Scalar,
  rows: tf.Tensor1D[],
  parameter: "margin" | "temperature",
  stats: boolean,
): LossResult {
  if (!stats) return { loss, stats: null };
  return { loss, stats: readStats(loss, rows, parameter) };
}

/**
 * Runs `fn` in a tidy that keeps the loss and the stats rows (so
 * `readStats` can read them afterwards), like the loss functions do.
 */
function tidyTerms(
  fn: () => { loss: tf.Scalar; rows: tf.Tensor1D[] },
): { loss: tf.Scalar; rows: tf.Tensor1D[] } {
  let rows: tf.Tensor1D[] = [];
  const loss = tf.tidy(() => {
    const out = fn();
    rows = out.rows.map((r) => tf.keep(r));
    return out.loss;
  });
  return { loss, rows };
}

/** Draws `k` catalogue rows for each anchor: not its positive, not labelled relevant. */
export function sampleUnclicked(
  rng: Rng,
  batch: { queryId: Int32Array; itemRow: Int32Array },
  options: {
    k: number;
    numItems: number;
    relevantRows: Map<number, Set<number>>;
  },
): Int32Array {
  const { k, numItems, relevantRows } = options;
  const B = batch.itemRow.length;
  const out = new Int32Array(B * k);
  for (let b = 0; b < B; b++) {
    const rel = relevantRows.get(batch.queryId[b]);
    const taken = new Set<number>();
    for (let j = 0; j < k; j++) {
      let r: number;
      let tries = 0;
      do {
        r = rng.int(numItems);
        if (++tries > 10_000) {
          throw new Error(
            `sampleUnclicked: could not draw ${k} unclicked items for query ${
              batch.queryId[b]
            }`,
          );
        }
      } while (r === batch.itemRow[b] || rel?.has(r) || taken.has(r));
      taken.add(r);
      out[b * k + j] = r;
    }
  }
  return out;
}

/** Relevant items per query id as item rows (for sampling unclicked items). */
function relevantRows(pairs: TrainingPairs): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const [q, ids] of pairs.relevant) {
    const rows = new Set<number>();
    for (const id of ids) {
      const r = pairs.itemRowOf.get(id);
      if (r !== undefined) rows.add(r);
    }
    out.set(q, rows);
  }
  return out;
}

/** Adap-τ's checkpointed state. */
interface AdapTauState {
  epoch: number;
  globalScale: number;
  scales: number[];
  sums: number[];
  counts: number[];
}

/**
 * Builds the objective of `config.kind` for a model and its data. Throws a
 * {@link ConfigError} for a loss the tower cannot use (MGDSPR's mixed
 * negatives need single-vector queries).
 */
export function createObjective(
  config: LossConfig,
  ctx: ObjectiveContext,
): Objective {
  const { model, inputs, pairs, seed } = ctx;
  const numItems = ctx.ds.items.itemId.length;
  const single = model.heads === 1 && !ctx.scorePath;
  const kind = config.kind;
  if (kind === "mgdspr" && model.heads !== 1) {
    throw new ConfigError(
      "loss.kind",
      `"mgdspr" mixes hard negatives with single-vector queries; the ${model.kind} tower has ${model.heads} query heads`,
    );
  }
  const encode = (b: MaskedBatch) => ({
    q: model.encodeQueries(inputs, b.queryRow, { training: true }),
    v: model.encodeItems(inputs, b.itemRow, { training: true }),
  });
  const maskOf = (b: MaskedBatch) =>
    tf.tensor2d(b.mask, [b.itemRow.length, b.itemRow.length]);
  const logQOf = (b: MaskedBatch) => config.logQ ? tf.tensor1d(b.logQ) : null;

  // Trainable α and base (δ0 or τ0) of the adaptive losses.
  const vars: Record<string, ScalarVar> = {};
  const adaptive = kind === "adaptive-margin" || kind === "adaptive-softmax";
  const baseName = kind === "adaptive-margin" ? "delta0" : "tau0";
  if (adaptive && config.trainable) {
    vars["loss/alpha"] = tf.variable(tf.scalar(config.alpha as number), true);
    vars[`loss/${baseName}`] = tf.variable(
      tf.scalar(config[baseName] as number),
      true,
    );
  }
  const adaptiveParams = (): AdaptiveParams => ({
    alpha: vars["loss/alpha"] ?? (config.alpha as number),
    base: vars[`loss/${baseName}`] ?? (config[baseName] as number),
    trainable: config.trainable === true,
  });
  const rowsOfRelevant = kind === "dssm-softmax"
    ? relevantRows(pairs)
    : new Map();

  // Adap-τ state: scales per query row, losses of the running epoch.
  const numQueries = ctx.ds.queries.queryId.length;
  const tau: AdapTauState = {
    epoch: -1,
    globalScale: NaN,
    scales: [],
    sums: new Array(numQueries).fill(0),
    counts: new Array(numQueries).fill(0),
  };

  function forward(
    batch: MaskedBatch,
    o: { step: number; stats: boolean },
  ): ObjectiveOutput {
    const stats = o.stats;
    const B = batch.itemRow.length;
    switch (kind) {
      case "margin":
      case "softmax":
      case "adaptive-margin":
      case "adaptive-softmax": {
        const { q, v } = encode(batch);
        const mask = maskOf(batch);
        const logQ = logQOf(batch);
        let out: LossResult;
        if (single) {
          const common = { mask, stats, ...(logQ ? { logQ } : {}) };
          const p = adaptiveParams();
          out = kind === "margin"
            ? marginLoss(q, v, { margin: config.margin as number, mask, stats })
            : kind === "softmax"
            ? softmaxLoss(q, v, {
              temperature: config.temperature as number,
              ...common,
            })
            : kind === "adaptive-margin"
            ? adaptiveMarginLoss(q, v, {
              alpha: p.alpha,
              delta0: p.base,
              form: config.form as "linear",
              stopGradient: config.stopGradient as boolean,
              trainable: p.trainable,
              symmetric: config.symmetric as boolean,
              w: config.w as number,
              combine: config.combine as "add",
              symmetricFrom: config.symmetricFrom as "query",
              mask,
              stats,
            })
            : adaptiveSoftmaxLoss(q, v, {
              alpha: p.alpha,
              tau0: p.base,
              form: config.form as "linear",
              stopGradient: config.stopGradient as boolean,
              trainable: p.trainable,
              symmetric: config.symmetric as boolean,
              w: config.w as number,
              combine: config.combine as "add",
              symmetricFrom: config.symmetricFrom as "query",
              ...common,
            });
        } else {
          const t = tidyTerms(() => {
            const s = modelScores(model, { q, v }, {
              mask,
              itemScores: adaptive,
            });
            if (kind === "margin") {
              const h = hingeTerm(s, config.margin as number, stats);
              return { loss: h.loss, rows: h.row ? [h.row] : [] };
            }
            if (kind === "softmax") {
              const h = softmaxTerm(
                s,
                config.temperature as number,
                logQ,
                stats,
              );
              return { loss: h.loss, rows: h.row ? [h.row] : [] };
            }
            return kind === "adaptive-margin"
              ? adaptiveMarginTerms(s, config, adaptiveParams(), stats)
              : adaptiveSoftmaxTerms(s, config, adaptiveParams(), logQ, stats);
          });
          out = finish(
            t.loss,
            t.rows,
            kind.endsWith("margin") ? "margin" : "temperature",
            stats,
          );
        }
        return { ...out, record: null };
      }
      case "dssm-softmax": {
        const k = config.negatives as number;
        const rows = sampleUnclicked(stepRng(seed, o.step), batch, {
          k,
          numItems,
          relevantRows: rowsOfRelevant,
        });
        const { q, v } = encode(batch);
        const e = tf.reshape(
          model.encodeItems(inputs, rows, { training: true }),
          [B, k, v.shape[1]],
        );
        const tau = 1 / (config.gamma as number);
        if (single) {
          return {
            ...softmaxLoss(q, v, {
              temperature: tau,
              extraNegatives: e,
              inBatchNegatives: false,
              stats,
            }),
            record: null,
          };
        }
        const t = tidyTerms(() => {
          const s = modelScores(model, { q, v }, {
            extraNegatives: e,
            inBatchNegatives: false,
          });
          const h = softmaxTerm(s, tau, null, stats);
          return { loss: h.loss, rows: h.row ? [h.row] : [] };
        });
        return {
          ...finish(t.loss, t.rows, "temperature", stats),
          record: null,
        };
      }
      case "dpsr-hinge": {
        const k = config.randomNegatives as number;
        const { q, v } = encode(batch);
        const mask = maskOf(batch);
        let extra: tf.Tensor2D | undefined;
        if (k > 0) {
          const rows = sampleRandomItems(stepRng(seed, o.step), {
            nItems: numItems,
            k,
            exclude: new Set(batch.itemRow),
          });
          extra = model.encodeItems(inputs, rows, { training: true });
        }
        if (single) {
          return {
            ...marginLoss(q, v, {
              margin: config.margin as number,
              mask,
              stats,
              ...(extra ? { extraNegatives: extra } : {}),
            }),
            record: null,
          };
        }
        const t = tidyTerms(() => {
          const s = modelScores(model, { q, v }, {
            mask,
            extraNegatives: extra,
          });
          const h = hingeTerm(s, config.margin as number, stats);
          return { loss: h.loss, rows: h.row ? [h.row] : [] };
        });
        return { ...finish(t.loss, t.rows, "margin", stats), record: null };
      }
      case "mgdspr": {
        const { q, v } = encode(batch);
        const mask = maskOf(batch);
        const topN = Math.min(config.hardNegatives as number, B - 1);
        let extra: tf.Tensor3D | undefined;
        if (topN > 0) {
          const exclude = tf.tidy(() =>
            tf.cast(
              tf.logicalOr(tf.notEqual(mask, 0), tf.cast(tf.eye(B), "bool")),
              "float32",
            ) as tf.Tensor2D
          );
          // The mixed negatives are constants: a gradient through them
          // would push the positive (mixed in with weight a) away from q.
          const sq = stopGradient(q), sv = stopGradient(v);
          const mixed = mgdsprMixedNegatives(sq, sv, {
            bank: sv,
            topN,
            a: [config.mixLow as number, config.mixHigh as number],
            rng: stepRng(seed, o.step),
            exclude,
          });
          extra = mixed.mixed;
        }
        return {
          ...softmaxLoss(q, v, {
            temperature: config.temperature as number,
            mask,
            stats,
            ...(extra ? { extraNegatives: extra } : {}),
          }),
          record: null,
        };
      }
      case "adap-tau": {
        if (tau.epoch < 0) {
          throw new Error("adap-tau: startEpoch() was not called");
        }
        const { q, v } = encode(batch);
        const mask = maskOf(batch);
        let record: tf.Tensor1D | null = null;
        const t = tidyTerms(() => {
          const s = modelScores(model, { q, v }, { mask });
          const scale = tf.tensor1d(
            Array.from(batch.queryRow, (r) => tau.scales[r]),
          );
          const per = softmaxRankingLoss(
            tf.mul(s.positive, tau.globalScale) as tf.Tensor1D,
            tf.mul(s.query, tf.expandDims(scale, 1)) as tf.Tensor2D,
            {
              negatives: s.negatives,
              positiveInDenominator: config.positiveInDenominator as boolean,
            },
          );
          const loss = tf.mean(per) as tf.Scalar;
          // Per-query loss at scale 1 (the code's detached "loss_").
          record = tf.keep(softmaxRankingLoss(s.positive, s.query, {
            negatives: s.negatives,
            positiveInDenominator: config.positiveInDenominator as boolean,
          }));
          const rows = stats
            ? [
              termStatsTensor(
                loss,
                tf.expandDims(tf.div(1, scale), 1),
                s.negatives,
                {
                  positiveTemperature: tf.scalar(1 / tau.globalScale),
                },
              ),
            ]
            : [];
          return { loss, rows };
        });
        return { ...finish(t.loss, t.rows, "temperature", stats), record };
      }
    }
  }

  function startAdapTau(epoch: number): void {
    if (tau.epoch === epoch) return;
    const warm = epoch < (config.warmupEpochs as number);
    const base = adapTauStatistics(
      { anchorIds: pairs.queryRow, itemIds: pairs.itemRow },
      { numItems },
    );
    let stats = base;
    if (!warm) {
      // p̄ and ā from the current embeddings (DPSR: the mean of its heads).
      const [a, i] = tf.tidy(() => {
        const all = (n: number) => Int32Array.from({ length: n }, (_, r) => r);
        let qa = model.encodeQueries(inputs, all(numQueries));
        if (model.heads > 1) {
          qa = tf.mean(tf.reshape(qa, [numQueries, model.heads, model.dim]), 1);
        }
        return [qa, model.encodeItems(inputs, all(numItems))];
      });
      stats = adapTauStatistics(
        { anchorIds: pairs.queryRow, itemIds: pairs.itemRow },
        { numItems, anchorEmbeddings: a, itemEmbeddings: i },
      );
      tf.dispose([a, i]);
    }
    const global = adapTauGlobalScale(stats, { warmup: warm });
    const recorded = tau.counts.some((c) => c > 0);
    if (config.perId && recorded) {
      const means = tau.sums.map((s, r) =>
        tau.counts[r] > 0 ? s / tau.counts[r] : NaN
      );
      tau.scales = Array.from(
        adapTauScales(means, { globalScale: global, t: config.t as number }),
      );
    } else {
      tau.scales = new Array(numQueries).fill(global);
    }
    tau.globalScale = global;
    tau.epoch = epoch;
    tau.sums.fill(0);
    tau.counts.fill(0);
  }

  return {
    kind,
    variables: () => Object.values(vars),
    getWeights() {
      const out: Weights = {};
      for (const [n, v] of Object.entries(vars)) {
        out[n] = {
          shape: [],
          data: Float32Array.from(v.dataSync() as Float32Array),
        };
      }
      return out;
    },
    setWeights(w: Weights) {
      for (const [n, v] of Object.entries(vars)) {
        if (!w[n]) throw new Error(`checkpoint lacks the loss weight '${n}'`);
        tf.tidy(() => v.assign(tf.scalar(w[n].data[0])));
      }
    },
    startEpoch(epoch: number) {
      if (kind === "adap-tau") startAdapTau(epoch);
    },
    forward,
    afterStep(batch: MaskedBatch, recorded: Float32Array | null) {
      if (kind !== "adap-tau" || recorded === null) return;
      for (let b = 0; b < recorded.length; b++) {
        const r = batch.queryRow[b];
        tau.sums[r] += recorded[b];
        tau.counts[r]++;
      }
    },
    getState() {
      if (kind !== "adap-tau") return null;
      return structuredClone(tau);
    },
    setState(state: unknown) {
      if (kind !== "adap-tau") return;
      const s = state as AdapTauState;
      if (!s || s.sums?.length !== numQueries) {
        throw new Error(
          "adap-tau: checkpoint state does not match the dataset's queries",
        );
      }
      Object.assign(tau, structuredClone(s));
    },
    dispose() {
      for (const v of Object.values(vars)) v.dispose();
    },
  };
}
