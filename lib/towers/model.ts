/**
 * The interface every tower implements, and the base class with what they
 * share (input checks, weights, default cosine score).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Dataset } from "../data/mod.ts";
import type {
  DpsrConfig,
  PlainConfig,
  TowerConfig,
  TowerKind,
} from "./config.ts";
import { buildInputs, type InputSpec, type TowerInputs } from "./inputs.ts";
import { checkRows, matMul } from "./ops.ts";
import { Params, type Weights } from "./params.ts";

/** The two sides of a two-tower model, queries first. */
export const TOWER_SIDES = ["query", "item"] as const;

/** One side of a two-tower model. */
export type TowerSide = (typeof TOWER_SIDES)[number];

/** Options of `encodeQueries` / `encodeItems`. */
export interface EncodeOptions {
  /**
   * Training mode. No tower has dropout or other train-only behaviour at
   * present, so the flag changes nothing; it is accepted so that a
   * training loop can pass it once such a layer exists.
   */
  training?: boolean;
}

/**
 * A two-tower retrieval model. A training loop uses it as
 *
 * ```ts
 * const inputs = model.prepare(ds);                       // once
 * const { value, grads } = tf.variableGrads(() => {
 *   const q = model.encodeQueries(inputs, batch.queryRow, { training: true });
 *   const v = model.encodeItems(inputs, batch.itemRow, { training: true });
 *   return anyLoss(q, v, model.scores(q, v));             // [B, B] scores
 * }, model.variables());
 * ```
 *
 * Any loss can sit on top of any tower: losses that need vectors take
 * `q`, `v`; losses that only need similarities take `scores(q, v)`, which
 * is q·vᵀ (cosine, both sides L2-normalised) for every tower except DPSR,
 * whose queries are `heads` vectors and whose score is the multi-head
 * attention score. A loss meant for all towers should use `scores`.
 */
export interface TwoTowerModel {
  /** Tower kind. */
  readonly kind: TowerKind;
  /** Resolved, JSON-serialisable configuration. */
  readonly config: TowerConfig;
  /** Output dimension d of one vector. */
  readonly dim: number;
  /** Vectors per query (DPSR: m heads; others 1). Query rows are `heads·dim` wide. */
  readonly heads: number;
  /** Featurises every query and item of `ds` once (hashing, histories). */
  prepare(ds: Dataset): TowerInputs;
  /**
   * Query vectors of `queryRows` (rows of `ds.queries`): `[B, heads·dim]`,
   * each `dim`-block L2-normalised (DPSR: head k is columns k·d … (k+1)·d−1).
   */
  encodeQueries(
    inputs: TowerInputs,
    queryRows: Int32Array,
    opts?: EncodeOptions,
  ): tf.Tensor2D;
  /** Item vectors of `itemRows` (rows of `ds.items`): `[B, dim]`, L2-normalised. */
  encodeItems(
    inputs: TowerInputs,
    itemRows: Int32Array,
    opts?: EncodeOptions,
  ): tf.Tensor2D;
  /** s(q_b, v_j) for all b, j: `[Bq, Bv]` from `encodeQueries` / `encodeItems` outputs. */
  scores(q: tf.Tensor, v: tf.Tensor2D): tf.Tensor2D;
  /** Trainable variables (pass to `tf.variableGrads` / an optimiser). */
  variables(): tf.Variable[];
  /**
   * Names of the weights read only through row lookups (embedding tables),
   * which an optimiser may update row-sparsely; see `Params.rowSparse`.
   */
  rowSparse(): string[];
  /** The weights' names, in the order of {@link variables} (no copy of their values). */
  weightNames(): string[];
  /** Copies of the weights by name, for checkpoints. */
  getWeights(): Weights;
  /** Restores weights from {@link getWeights} of a model with the same config. */
  setWeights(w: Weights): void;
  /** Frees the weights; the model cannot be used afterwards. */
  dispose(): void;
}

/** Shared implementation of {@link TwoTowerModel}. */
export abstract class BaseTower<C extends TowerConfig>
  implements TwoTowerModel {
  /** Resolved configuration. */
  readonly config: C;
  /** Named weights. */
  protected readonly params: Params;
  /** Featurisation this tower needs. */
  protected readonly spec: InputSpec;
  readonly #signature: string;

  /** Stores the config and creates the (empty) weight set. */
  constructor(config: C, seed: number, spec: InputSpec) {
    this.config = config;
    this.spec = spec;
    this.params = new Params(seed, config.kind);
    this.#signature = JSON.stringify({
      kind: config.kind,
      spec,
      numItems: this.idRows(),
    });
  }

  /** Tower kind. */
  get kind(): TowerKind {
    return this.config.kind;
  }

  /** Output dimension. */
  get dim(): number {
    return this.config.dim;
  }

  /** Vectors per query. */
  get heads(): number {
    return 1;
  }

  /**
   * The hashed-unit tables of a text tower, `embedDim` wide: per family,
   * `query/<family>` and, unless the sides share them, `item/<family>`.
   */
  protected textEmbeddings(
    config: Pick<
      DpsrConfig | PlainConfig,
      "families" | "shareEmbeddings" | "embedDim" | "features"
    >,
  ): void {
    for (const f of config.families) {
      const rows = config.features.buckets[f];
      this.params.embedding(`query/${f}`, rows, config.embedDim);
      if (!config.shareEmbeddings) {
        this.params.embedding(`item/${f}`, rows, config.embedDim);
      }
    }
  }

  /** Item-id table rows (padding excluded) the tower has; 0 for none. */
  protected idRows(): number {
    return 0;
  }

  /** Featurises the dataset; checks its item ids against the id table. */
  prepare(ds: Dataset): TowerInputs {
    const rows = this.idRows();
    const inputs = buildInputs(ds, {
      kind: this.kind,
      signature: this.#signature,
      spec: this.spec,
    });
    if (rows > 0) {
      // The id table is keyed by item_id (row item_id + 1); an id past its
      // end has no learned row.
      const outside = (id: number) => id < 0 || id >= rows;
      const r = inputs.itemIds.findIndex(outside);
      const h = inputs.queries.history?.ids.findIndex((x) => x > rows) ?? -1;
      if (r >= 0 || h >= 0) {
        const what = r >= 0
          ? `item_id ${inputs.itemIds[r]} (items row ${r})`
          : `history item_id ${inputs.queries.history!.ids[h] - 1} (query row ${
            Math.floor(h / inputs.queries.history!.maxLen)
          })`;
        throw new RangeError(
          `${this.kind} tower: its item-id table has config.numItems = ${rows} rows (item_id 0–${
            rows - 1
          }), but dataset '${ds.meta.name}' has ${what}, which has no row in it (a tower for this dataset: towerConfig(..., { dataset }))`,
        );
      }
    }
    return inputs;
  }

  #check(inputs: TowerInputs, rows: Int32Array, side: TowerSide) {
    if (inputs.signature !== this.#signature) {
      throw new RangeError(
        `${this.kind} tower: these inputs were prepared by a ${inputs.kind} model with other settings; call prepare() of this model`,
      );
    }
    if (!(rows instanceof Int32Array)) {
      throw new TypeError(`${side} rows must be an Int32Array`);
    }
    checkRows(
      rows,
      side === "query" ? inputs.numQueries : inputs.numItems,
      `${this.kind} ${side} rows`,
    );
  }

  /** See {@link TwoTowerModel.encodeQueries}. */
  encodeQueries(
    inputs: TowerInputs,
    queryRows: Int32Array,
    opts: EncodeOptions = {},
  ): tf.Tensor2D {
    this.#check(inputs, queryRows, "query");
    return tf.tidy(() => this.queryTower(inputs, queryRows, opts));
  }

  /** See {@link TwoTowerModel.encodeItems}. */
  encodeItems(
    inputs: TowerInputs,
    itemRows: Int32Array,
    opts: EncodeOptions = {},
  ): tf.Tensor2D {
    this.#check(inputs, itemRows, "item");
    return tf.tidy(() => this.itemTower(inputs, itemRows, opts));
  }

  /** The query tower proper (inputs already checked). */
  protected abstract queryTower(
    inputs: TowerInputs,
    rows: Int32Array,
    opts: EncodeOptions,
  ): tf.Tensor2D;

  /** The item tower proper (inputs already checked). */
  protected abstract itemTower(
    inputs: TowerInputs,
    rows: Int32Array,
    opts: EncodeOptions,
  ): tf.Tensor2D;

  /** Cosine similarity of L2-normalised vectors: q·vᵀ. */
  scores(q: tf.Tensor, v: tf.Tensor2D): tf.Tensor2D {
    if (q.rank !== 2 || q.shape[1] !== v.shape[1]) {
      throw new RangeError(
        `scores: q [${q.shape}] and v [${v.shape}] must both be [*, ${this.dim}]`,
      );
    }
    return tf.tidy(() => matMul(q as tf.Tensor2D, v, { transposeB: true }));
  }

  /** See {@link TwoTowerModel.variables}. */
  variables(): tf.Variable[] {
    return this.params.variables();
  }

  /** See {@link TwoTowerModel.rowSparse}. */
  rowSparse(): string[] {
    return this.params.rowSparse();
  }

  /** See {@link TwoTowerModel.weightNames}. */
  weightNames(): string[] {
    return this.params.names();
  }

  /** See {@link TwoTowerModel.getWeights}. */
  getWeights(): Weights {
    return this.params.getWeights();
  }

  /** See {@link TwoTowerModel.setWeights}. */
  setWeights(w: Weights): void {
    this.params.setWeights(w);
  }

  /** See {@link TwoTowerModel.dispose}. */
  dispose(): void {
    this.params.dispose();
  }
}
