/**
 * Training objectives: one per loss kind of the config, turning a batch into
 * a scalar loss (and its diagnostics) for any tower.
 *
 * Every objective does the same three things: encode the batch, build its
 * score bundle with the losses module's `batchScores` (the in-batch and
 * extra candidates, the accidental-hit mask, the logQ offsets), and call
 * the loss's `…FromScores` function. Single-vector towers (DSSM, MGDSPR,
 * plain) score with the dot product; the multi-head DPSR tower, whose score
 * is not q·v, passes its own `scores` to the bundle. The equations live
 * only in `lib/losses`; this file holds what is specific to training:
 * which negatives each baseline samples, the trainable α and δ0/τ0, and
 * Adap-τ's per-query state (which checkpoints must carry).
 *
 * Sampled negatives (DSSM's 4 random items, DPSR's random items, MGDSPR's
 * mixing weights; the samplers are in lib/losses/negatives.ts) draw from a
 * generator seeded by (run seed, step), so a resumed run draws the same
 * ones.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  type Dataset,
  type MaskedBatch,
  Rng,
  type TrainingPairs,
} from "../data/mod.ts";
import {
  AdapTau,
  type AdapTauDataStats,
  adapTauLossFromScores,
  type AdapTauState,
  adapTauStatistics,
  adaptiveMarginLossFromScores,
  adaptiveSoftmaxLossFromScores,
  type BatchScores,
  type BatchScoresOptions,
  type LossResult,
  type LossStats,
  marginLossFromScores,
  mgdsprMixedNegatives,
  relevantItemRows,
  sampleRandomItems,
  sampleUnclicked,
  type ScoreFunction,
  softmaxLossFromScores,
  withBatchScores,
} from "../losses/mod.ts";
import { stopGradient } from "../backend/mod.ts";
import type { TowerInputs, TwoTowerModel, Weights } from "../towers/mod.ts";
import { LOSS_WEIGHT_PREFIX } from "./checkpoint.ts";
import { ConfigError } from "./config.ts";
import {
  type LossConfig,
  type LossConfigOf,
  type LossKind,
} from "./loss_options.ts";

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
   * Score with `model.scores` even on single-vector towers (default false:
   * the dot product). The two agree; tests compare them.
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

/** A batch's embeddings. */
interface Encoded {
  /** [B, heads·d] queries. */
  q: tf.Tensor2D;
  /** [B, d] positive items. */
  v: tf.Tensor2D;
}

/** What the batch contributes to its bundle besides the embeddings. */
interface BundleOptions {
  /** Apply the batch's accidental-hit mask (default true). */
  mask?: boolean;
  /** Subtract the batch's logQ (default false). */
  logQ?: boolean;
  /** Compute item–item similarities (adaptive losses). */
  itemScores?: boolean;
  /** Extra negatives, [K, d] shared or [B, K, d] per anchor. */
  extraNegatives?: tf.Tensor;
  /** Use the other batch items as negatives (default true). */
  inBatchNegatives?: boolean;
}

/** Encoding and bundling, shared by every objective. */
class Batcher {
  readonly #ctx: ObjectiveContext;
  readonly #score: ScoreFunction | undefined;

  /**
   * `towerScore`: score with `model.scores` whatever the tower (default:
   * only multi-head towers or `ctx.scorePath`; single-vector towers use
   * the dot product, batchScores' default).
   */
  constructor(ctx: ObjectiveContext, options: { towerScore?: boolean } = {}) {
    this.#ctx = ctx;
    const { model } = ctx;
    const dot = model.heads === 1 && !ctx.scorePath && !options.towerScore;
    this.#score = dot ? undefined : (q, items) => model.scores(q, items);
  }

  /** The batch's queries and positives, in training mode. */
  encode(batch: MaskedBatch): Encoded {
    const { model, inputs } = this.#ctx;
    return {
      q: model.encodeQueries(inputs, batch.queryRow, { training: true }),
      v: model.encodeItems(inputs, batch.itemRow, { training: true }),
    };
  }

  /** Item rows encoded in training mode. */
  items(rows: Int32Array): tf.Tensor2D {
    const { model, inputs } = this.#ctx;
    return model.encodeItems(inputs, rows, { training: true });
  }

  /** Runs `loss` on the bundle of `e` and `batch`; no record. */
  loss(
    e: Encoded,
    batch: MaskedBatch,
    options: BundleOptions,
    loss: (s: BatchScores) => LossResult,
  ): ObjectiveOutput {
    const out = withBatchScores(e.q, e.v, this.bundle(batch, options), loss);
    return { ...out, record: null };
  }

  /** The bundle options of `batch`. */
  bundle(batch: MaskedBatch, options: BundleOptions): BatchScoresOptions {
    const B = batch.itemRow.length;
    return {
      mask: (options.mask ?? true)
        ? tf.tensor2d(batch.mask, [B, B])
        : undefined,
      logQ: options.logQ ? tf.tensor1d(batch.logQ) : undefined,
      itemScores: options.itemScores,
      extraNegatives: options.extraNegatives,
      inBatchNegatives: options.inBatchNegatives,
      score: this.#score,
    };
  }
}

/** An objective with no variables and no state, around `forward`. */
function stateless(
  kind: LossKind,
  forward: Objective["forward"],
): Objective {
  return {
    kind,
    variables: () => [],
    getWeights: () => ({}),
    setWeights: () => {},
    startEpoch: () => {},
    forward,
    afterStep: () => {},
    getState: () => null,
    setState: () => {},
    dispose: () => {},
  };
}

/**
 * A stateless objective that runs `loss` on each batch's queries and
 * positives (the other positives as negatives), bundled with `bundle`.
 */
function batchObjective(
  kind: LossKind,
  ctx: ObjectiveContext,
  options: {
    bundle: BundleOptions;
    loss: (s: BatchScores, stats: boolean) => LossResult;
  },
): Objective {
  const b = new Batcher(ctx);
  const { bundle, loss } = options;
  return stateless(
    kind,
    (batch, o) =>
      b.loss(b.encode(batch), batch, bundle, (s) => loss(s, o.stats)),
  );
}

/** Fixed-margin hinge over the in-batch negatives, eq. (1). */
function marginObjective(
  c: LossConfigOf<"margin">,
  ctx: ObjectiveContext,
): Objective {
  return batchObjective(c.kind, ctx, {
    bundle: {},
    loss: (s, stats) => marginLossFromScores(s, { margin: c.margin, stats }),
  });
}

/** Fixed-temperature softmax over the in-batch negatives, eq. (2). */
function softmaxObjective(
  c: LossConfigOf<"softmax">,
  ctx: ObjectiveContext,
): Objective {
  return batchObjective(c.kind, ctx, {
    bundle: { logQ: c.logQ },
    loss: (s, stats) =>
      softmaxLossFromScores(s, { temperature: c.temperature, stats }),
  });
}

/**
 * The paper's adaptive losses (eq. (4)/(8)/(9) and (6)/(10)). With
 * `trainable`, α and the base (δ0 or τ0) are scalar variables named
 * `loss/alpha` and `loss/delta0` or `loss/tau0`.
 */
function adaptiveObjective(
  c: LossConfigOf<"adaptive-margin"> | LossConfigOf<"adaptive-softmax">,
  ctx: ObjectiveContext,
): Objective {
  // With `trainable`, scalar variables stand in for α and the base (δ0 or
  // τ0), keyed by the loss option they replace; their weights are
  // `loss/<option>`.
  const vars: Partial<
    Record<"alpha" | "delta0" | "tau0", tf.Variable<tf.Rank.R0>>
  > = {};
  if (c.trainable) {
    const scalar = (x: number) => tf.variable(tf.scalar(x), true);
    vars.alpha = scalar(c.alpha);
    if (c.kind === "adaptive-margin") vars.delta0 = scalar(c.delta0);
    else vars.tau0 = scalar(c.tau0);
  }
  // The config's options are the loss's own (one table), less the kind and
  // the config's logQ switch; split once, not per step.
  let loss: (s: BatchScores, stats: boolean) => LossResult;
  if (c.kind === "adaptive-margin") {
    const { kind: _kind, ...options } = c;
    loss = (s, stats) =>
      adaptiveMarginLossFromScores(s, { ...options, ...vars, stats });
  } else {
    const { kind: _kind, logQ: _logQ, ...options } = c;
    loss = (s, stats) =>
      adaptiveSoftmaxLossFromScores(s, { ...options, ...vars, stats });
  }
  const logQ = c.kind === "adaptive-softmax" && c.logQ;
  return {
    ...batchObjective(c.kind, ctx, {
      bundle: { itemScores: true, logQ },
      loss,
    }),
    variables: () => Object.values(vars),
    getWeights() {
      const out: Weights = {};
      for (const [n, v] of Object.entries(vars)) {
        out[`${LOSS_WEIGHT_PREFIX}${n}`] = {
          shape: [],
          data: Float32Array.from(v.dataSync() as Float32Array),
        };
      }
      return out;
    },
    setWeights(w: Weights) {
      for (const [option, v] of Object.entries(vars)) {
        const n = `${LOSS_WEIGHT_PREFIX}${option}`;
        if (!w[n]) throw new Error(`checkpoint lacks the loss weight '${n}'`);
        tf.tidy(() => v.assign(tf.scalar(w[n].data[0])));
      }
    },
    dispose() {
      for (const v of Object.values(vars)) v.dispose();
    },
  };
}

/**
 * DSSM: softmax with temperature 1/γ over the clicked item and `negatives`
 * unclicked catalogue items per query; no in-batch negatives.
 */
function dssmObjective(
  c: LossConfigOf<"dssm-softmax">,
  ctx: ObjectiveContext,
): Objective {
  const b = new Batcher(ctx);
  const numItems = ctx.ds.items.itemId.length;
  const rowsOfRelevant = relevantItemRows(ctx.pairs);
  return stateless(c.kind, (batch, o) => {
    const k = c.negatives;
    const rows = sampleUnclicked(stepRng(ctx.seed, o.step), batch, {
      k,
      numItems,
      relevantRows: rowsOfRelevant,
    });
    const e = b.encode(batch);
    const B = batch.itemRow.length;
    const extra = tf.reshape(b.items(rows), [B, k, e.v.shape[1]]);
    return b.loss(
      e,
      batch,
      { mask: false, extraNegatives: extra, inBatchNegatives: false },
      (s) =>
        softmaxLossFromScores(s, { temperature: 1 / c.gamma, stats: o.stats }),
    );
  });
}

/**
 * DPSR: hinge with margin δ over the in-batch negatives plus
 * `randomNegatives` catalogue items shared by the batch.
 */
function dpsrObjective(
  c: LossConfigOf<"dpsr-hinge">,
  ctx: ObjectiveContext,
): Objective {
  const b = new Batcher(ctx);
  const numItems = ctx.ds.items.itemId.length;
  return stateless(c.kind, (batch, o) => {
    const e = b.encode(batch);
    const k = c.randomNegatives;
    const extra = k > 0
      ? b.items(sampleRandomItems(stepRng(ctx.seed, o.step), {
        nItems: numItems,
        k,
        exclude: new Set(batch.itemRow),
      }))
      : undefined;
    return b.loss(
      e,
      batch,
      { extraNegatives: extra },
      (s) => marginLossFromScores(s, { margin: c.margin, stats: o.stats }),
    );
  });
}

/**
 * MGDSPR: in-batch softmax plus each query's positive mixed with its
 * `hardNegatives` highest-scoring in-batch items, as constants.
 */
function mgdsprObjective(
  c: LossConfigOf<"mgdspr">,
  ctx: ObjectiveContext,
): Objective {
  if (ctx.model.heads !== 1) {
    throw new ConfigError(
      "loss.kind",
      `"mgdspr" mixes hard negatives with single-vector queries; the ${ctx.model.kind} tower has ${ctx.model.heads} query heads`,
    );
  }
  const b = new Batcher(ctx);
  return stateless(c.kind, (batch, o) => {
    const e = b.encode(batch);
    const B = batch.itemRow.length;
    const topN = Math.min(c.hardNegatives, B - 1);
    let extra: tf.Tensor3D | undefined;
    if (topN > 0) {
      const exclude = tf.tidy(() =>
        tf.cast(
          tf.logicalOr(
            tf.notEqual(tf.tensor2d(batch.mask, [B, B]), 0),
            tf.cast(tf.eye(B), "bool"),
          ),
          "float32",
        ) as tf.Tensor2D
      );
      // The mixed negatives are constants: a gradient through them would
      // push the positive (mixed in with weight a) away from q.
      const sq = stopGradient(e.q), sv = stopGradient(e.v);
      extra = mgdsprMixedNegatives(sq, sv, {
        bank: sv,
        topN,
        a: [c.mixLow, c.mixHigh],
        rng: stepRng(ctx.seed, o.step),
        exclude,
      }).mixed;
    }
    return b.loss(
      e,
      batch,
      { extraNegatives: extra },
      (s) =>
        softmaxLossFromScores(s, {
          temperature: c.temperature,
          stats: o.stats,
        }),
    );
  });
}

/**
 * Adap-τ (official code form): the positive at the global scale, the
 * negatives at the query's scale from its mean loss in the previous epoch
 * ({@link AdapTau} keeps the scales and the losses recorded after every
 * step; its state goes into checkpoints with the epoch it belongs to).
 */
function adapTauObjective(
  c: LossConfigOf<"adap-tau">,
  ctx: ObjectiveContext,
): Objective {
  const { model, inputs, pairs } = ctx;
  // Adap-τ runs have always been scored with the tower's `scores`; the dot
  // product gives the same losses but gradients that differ in the last
  // bits, so recorded runs would not be reproduced exactly.
  const b = new Batcher(ctx, { towerScore: true });
  const numItems = ctx.ds.items.itemId.length;
  const numQueries = ctx.ds.queries.queryId.length;
  const adapTau = new AdapTau(numQueries, {
    t: c.t,
    warmupEpochs: c.warmupEpochs,
    perId: c.perId,
  });
  let epoch = -1;

  // The data statistics of the global scale: p̄ and ā from the current
  // embeddings after warm-up (DPSR: the mean of its heads).
  function statistics(warm: boolean): AdapTauDataStats {
    const interactions = { anchorIds: pairs.queryRow, itemIds: pairs.itemRow };
    if (warm) return adapTauStatistics(interactions, { numItems });
    const [a, i] = tf.tidy(() => {
      const all = (n: number) => Int32Array.from({ length: n }, (_, r) => r);
      let qa = model.encodeQueries(inputs, all(numQueries));
      if (model.heads > 1) {
        qa = tf.mean(tf.reshape(qa, [numQueries, model.heads, model.dim]), 1);
      }
      return [qa, model.encodeItems(inputs, all(numItems))];
    });
    const stats = adapTauStatistics(interactions, {
      numItems,
      anchorEmbeddings: a,
      itemEmbeddings: i,
    });
    tf.dispose([a, i]);
    return stats;
  }

  return {
    ...stateless(c.kind, (batch, o) => {
      if (epoch < 0) throw new Error("adap-tau: startEpoch() was not called");
      const e = b.encode(batch);
      const scales = adapTau.scales;
      const out = withBatchScores(
        e.q,
        e.v,
        b.bundle(batch, {}),
        (s) =>
          adapTauLossFromScores(s, {
            globalScale: adapTau.globalScale,
            scales: Array.from(batch.queryRow, (r) => scales[r]),
            positiveInDenominator: c.positiveInDenominator,
            unscaled: true,
            stats: o.stats,
          }),
      );
      return { loss: out.loss, stats: out.stats, record: out.unscaled };
    }),
    startEpoch(next: number) {
      if (next === epoch) return;
      adapTau.startEpoch(next, statistics(next < adapTau.warmupEpochs));
      epoch = next;
    },
    afterStep(batch: MaskedBatch, recorded: Float32Array | null) {
      if (recorded !== null) adapTau.recordValues(batch.queryRow, recorded);
    },
    getState: () => ({ epoch, ...adapTau.getState() }),
    setState(state: unknown) {
      const s = state as (AdapTauState & { epoch: number }) | null;
      if (!s || s.sums?.length !== numQueries) {
        throw new Error(
          "adap-tau: checkpoint state does not match the dataset's queries",
        );
      }
      adapTau.setState(s);
      epoch = s.epoch;
    },
    dispose: () => adapTau.dispose(),
  };
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
  switch (config.kind) {
    case "margin":
      return marginObjective(config, ctx);
    case "softmax":
      return softmaxObjective(config, ctx);
    case "adaptive-margin":
    case "adaptive-softmax":
      return adaptiveObjective(config, ctx);
    case "dssm-softmax":
      return dssmObjective(config, ctx);
    case "dpsr-hinge":
      return dpsrObjective(config, ctx);
    case "mgdspr":
      return mgdsprObjective(config, ctx);
    case "adap-tau":
      return adapTauObjective(config, ctx);
  }
}
