/**
 * DSSM (Huang et al., CIKM 2013): letter-trigram word hashing, tanh MLP
 * 30k → 300 → 300 → 128, cosine similarity.
 *
 * The first layer is an embedding bag: DSSM applies a dense layer to the
 * trigram count vector x, and W₁ᵀx equals the SUM of the rows of W₁ picked
 * by the text's trigrams (repeats counted), so `tanh(Σ rows + b₁)` is that
 * layer exactly without building x. Every layer is tanh (the output layer
 * too, as in the paper), then the output is L2-normalised so that q·vᵀ is
 * the cosine R(Q, D).
 *
 * Size: with the defaults each tower has 30,000 × 300 + 300 × 300 + 300 ×
 * 128 ≈ 9.1M weights, 18.3M for both; Adam's dense update over the two
 * 9M-weight first layers is half of a training step (about 0.5 s at
 * B = 350 on wasm; timings in `mod.ts`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { DssmConfig } from "./config.ts";
import { itemKey, type TowerInputs } from "./inputs.ts";
import { BaseTower, TOWER_SIDES, type TowerSide } from "./model.ts";
import { checkRows, dense, embeddingBag, flatBag, l2Normalize } from "./ops.ts";

/** The DSSM tower pair. */
export class DssmTower extends BaseTower<DssmConfig> {
  /** Creates the weights (Glorot uniform, zero biases) from `seed`. */
  constructor(config: DssmConfig, seed: number) {
    super(config, seed, {
      queryFamilies: ["charTrigram"],
      itemFamilies: ["charTrigram"],
      itemFields: config.itemFields,
      historyLen: 0,
      features: config.features,
    });
    const sizes = [
      config.features.buckets.charTrigram,
      ...config.hidden,
      config.dim,
    ];
    const sides: readonly TowerSide[] = config.shared ? ["query"] : TOWER_SIDES;
    for (const side of sides) {
      for (let l = 0; l + 1 < sizes.length; l++) {
        // Layer 1 is the embedding bag over trigram buckets.
        this.params.glorot(`${side}/w${l + 1}`, sizes[l], sizes[l + 1], {
          rowSparse: l === 0,
        });
        this.params.zeros(`${side}/b${l + 1}`, [sizes[l + 1]]);
      }
    }
  }

  #prefix(side: TowerSide): TowerSide {
    return this.config.shared ? "query" : side;
  }

  #bag(inputs: TowerInputs, rows: Int32Array, side: TowerSide) {
    const parts = side === "query"
      ? [inputs.queries.charTrigram]
      : this.config.itemFields.map((f) =>
        inputs.items[itemKey(f, "charTrigram")]
      );
    return flatBag(parts, rows);
  }

  #first(inputs: TowerInputs, rows: Int32Array, side: TowerSide): tf.Tensor2D {
    const p = this.#prefix(side);
    const w1 = this.params.matrix(`${p}/w1`);
    const b1 = this.params.vector(`${p}/b1`);
    const sum = embeddingBag(w1, this.#bag(inputs, rows, side), {
      mode: "sum",
    });
    return tf.tanh(tf.add(sum, b1));
  }

  #tower(inputs: TowerInputs, rows: Int32Array, side: TowerSide): tf.Tensor2D {
    const p = this.#prefix(side);
    let h = this.#first(inputs, rows, side);
    for (let l = 2; l <= this.config.hidden.length + 1; l++) {
      h = dense(
        h,
        this.params.matrix(`${p}/w${l}`),
        this.params.vector(`${p}/b${l}`),
        { tanh: true },
      );
    }
    return l2Normalize(h);
  }

  /**
   * Output of the first layer, tanh(W₁ᵀx + b₁) with x the trigram count
   * vector of each row: `[B, hidden[0]]`. Exposed for tests.
   */
  firstLayer(
    inputs: TowerInputs,
    rows: Int32Array,
    options: { side: TowerSide },
  ): tf.Tensor2D {
    const n = options.side === "query" ? inputs.numQueries : inputs.numItems;
    checkRows(rows, n, `dssm ${options.side} rows`);
    return tf.tidy(() => this.#first(inputs, rows, options.side));
  }

  /** The query tower. */
  protected queryTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    return this.#tower(inputs, rows, "query");
  }

  /** The item tower. */
  protected itemTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    return this.#tower(inputs, rows, "item");
  }
}
