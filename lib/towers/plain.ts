/**
 * The plain two-tower model the method's own runs use.
 *
 * Query: x_q = concat over `families` of the mean embedding of the query's
 * units [+ mean item-id embedding of the user's history when
 * `userHistory`] → `hidden` tanh layers → linear layer to d → L2-normalise.
 *
 * Item: x_s = concat over `families` of the mean embedding of the units of
 * all `itemFields` together (one bag per family) → its own tanh layers →
 * linear to d, plus a learned item-id embedding when `itemIdEmbedding`
 * → L2-normalise. The output layer is linear because tanh would squash the
 * vector before normalisation.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { PlainConfig } from "./config.ts";
import { itemKey, type TowerInputs } from "./inputs.ts";
import { BaseTower, TOWER_SIDES, type TowerSide } from "./model.ts";
import {
  dense,
  embeddingBag,
  flatBag,
  gatherRows,
  l2Normalize,
} from "./ops.ts";

/** The plain tower pair. */
export class PlainTower extends BaseTower<PlainConfig> {
  /** Creates the weights from `seed`. */
  constructor(config: PlainConfig, seed: number) {
    super(config, seed, {
      queryFamilies: config.families,
      itemFamilies: config.families,
      itemFields: config.itemFields,
      historyLen: config.userHistory ? config.historyLen : 0,
      features: config.features,
    });
    const { embedDim: e, dim: d } = config;
    const p = this.params;
    this.textEmbeddings(config);
    if (config.numItems > 0) {
      // Keyed by item_id: row item_id + 1; row 0 is the padding row of
      // behaviour sequences.
      p.embedding("item/id", config.numItems + 1, d);
    }
    const textIn = config.families.length * e;
    for (const side of TOWER_SIDES) {
      const sizes = [
        textIn + (side === "query" && config.userHistory ? d : 0),
        ...config.hidden,
        d,
      ];
      for (let l = 0; l + 1 < sizes.length; l++) {
        p.glorot(`${side}/w${l + 1}`, sizes[l], sizes[l + 1]);
        p.zeros(`${side}/b${l + 1}`, [sizes[l + 1]]);
      }
    }
  }

  /** Item-id rows. */
  protected override idRows(): number {
    return this.config.numItems;
  }

  #mlp(x: tf.Tensor2D, side: TowerSide): tf.Tensor2D {
    const layers = this.config.hidden.length + 1;
    let h = x;
    for (let l = 1; l <= layers; l++) {
      h = dense(
        h,
        this.params.matrix(`${side}/w${l}`),
        this.params.vector(`${side}/b${l}`),
        { tanh: l < layers },
      );
    }
    return h;
  }

  /** The query tower. */
  protected queryTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    const parts = this.config.families.map((f) =>
      embeddingBag(
        this.params.matrix(`query/${f}`),
        flatBag([inputs.queries[f]], rows),
        { mode: "mean" },
      )
    );
    if (this.config.userHistory) {
      // History ids are item_id + 1, which is the id table's row.
      parts.push(
        embeddingBag(
          this.params.matrix("item/id"),
          flatBag([inputs.queries.history], rows),
          { mode: "mean" },
        ),
      );
    }
    return l2Normalize(this.#mlp(tf.concat(parts, 1), "query"));
  }

  /** The item tower. */
  protected itemTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    const prefix = this.config.shareEmbeddings ? "query" : "item";
    const parts = this.config.families.map((f) =>
      embeddingBag(
        this.params.matrix(`${prefix}/${f}`),
        flatBag(
          this.config.itemFields.map((field) =>
            inputs.items[itemKey(field, f)]
          ),
          rows,
        ),
        { mode: "mean" },
      )
    );
    let out = this.#mlp(tf.concat(parts, 1), "item");
    if (this.config.itemIdEmbedding) {
      const ids = Int32Array.from(rows, (r) => inputs.itemIds[r] + 1);
      out = tf.add(out, gatherRows(this.params.matrix("item/id"), ids));
    }
    return l2Normalize(out);
  }
}
