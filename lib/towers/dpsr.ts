/**
 * DPSR-style towers (Zhang et al., SIGIR 2020, JD): m query heads and the
 * multi-head attention score (its shared random negatives are in
 * lib/losses/negatives.ts).
 *
 * Query tower: x_q = concat over `families` of the mean embedding of the
 * query's units; head k = L2-normalise(W2_k · tanh(W1_k x_q + b1_k) + b2_k).
 * `encodeQueries` returns `[B, m·d]`: head k is columns k·d … (k+1)·d − 1
 * (reshape to `[B, m, d]` for {@link dpsrScore}).
 *
 * Item tower: x_s = concat over `itemFields` × `families` of mean
 * embeddings (title, brand and category each pooled on its own, so the MLP
 * knows which field a token came from); g = L2-normalise(W2 · tanh(W1 x_s +
 * b1) + b2).
 *
 * Score: f(q, s) = Σ_k softmax_k(z_k / β) · z_k with z_k = e_kᵀg. The loss
 * (hinge over random + in-batch negatives) is built by the caller from
 * `scores`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { DpsrConfig } from "./config.ts";
import { itemKey, type TowerInputs } from "./inputs.ts";
import { BaseTower } from "./model.ts";
import { glorotLimit } from "./params.ts";
import { dense, embeddingBag, flatBag, l2Normalize, matMul } from "./ops.ts";

/**
 * DPSR's score of every query against every item: `[B, N]` with
 * f(q_b, s_n) = Σ_k softmax_k(z_bnk / β) · z_bnk, z_bnk = e_bkᵀ g_n.
 * `heads` is `[B, m, d]`, `items` `[N, d]`. As β → 0 it tends to max_k z_k;
 * as β → ∞ to the mean over heads.
 */
export function dpsrScore(
  heads: tf.Tensor3D,
  items: tf.Tensor2D,
  options: { beta: number },
): tf.Tensor2D {
  const [, m, d] = heads.shape;
  const beta = options.beta;
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new RangeError(
      `dpsrScore: beta must be a finite number > 0, got ${beta}`,
    );
  }
  if (items.shape[1] !== d) {
    throw new RangeError(
      `dpsrScore: heads [${heads.shape}] and items [${items.shape}] disagree on d`,
    );
  }
  return tf.tidy(() => {
    // One [B, N] matrix per head and element-wise ops: a softmax over a
    // last axis of size m (and its gradient) is slow on wasm.
    const itemsT = tf.transpose(items);
    const z = tf.unstack(heads, 1).map((e) => matMul(e as tf.Tensor2D, itemsT));
    let zMax = z[0];
    for (let k = 1; k < m; k++) zMax = tf.maximum(zMax, z[k]);
    const e = z.map((zk) => tf.exp(tf.mul(tf.sub(zk, zMax), 1 / beta)));
    const num = tf.addN(e.map((ek, k) => tf.mul(ek, z[k])));
    return tf.div(num, tf.addN(e)) as tf.Tensor2D;
  });
}

/** The DPSR-style tower pair. */
export class DpsrTower extends BaseTower<DpsrConfig> {
  /** Creates the weights from `seed`. */
  constructor(config: DpsrConfig, seed: number) {
    super(config, seed, {
      queryFamilies: config.families,
      itemFamilies: config.families,
      itemFields: config.itemFields,
      historyLen: 0,
      features: config.features,
    });
    const { embedDim: e, hidden: h, dim: d, heads: m } = config;
    const p = this.params;
    this.textEmbeddings(config);
    const qIn = config.families.length * e;
    // Each head is its own MLP; W1 of all heads side by side, W2 per head.
    p.uniform("query/w1", [qIn, m * h], glorotLimit(qIn, h));
    p.zeros("query/b1", [m * h]);
    p.uniform("query/w2", [m, h, d], glorotLimit(h, d));
    p.zeros("query/b2", [m, d]);
    const sIn = config.itemFields.length * config.families.length * e;
    p.glorot("item/w1", sIn, h);
    p.zeros("item/b1", [h]);
    p.glorot("item/w2", h, d);
    p.zeros("item/b2", [d]);
  }

  /** m query vectors per query. */
  override get heads(): number {
    return this.config.heads;
  }

  #means(
    parts: { table: string; ids: Parameters<typeof flatBag>[0] }[],
    rows: Int32Array,
  ) {
    return tf.concat(
      parts.map((p) =>
        embeddingBag(this.params.matrix(p.table), flatBag(p.ids, rows), {
          mode: "mean",
        })
      ),
      1,
    ) as tf.Tensor2D;
  }

  /** The query heads `[B, m·d]`. */
  protected queryTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    const m = this.config.heads;
    const x = this.#means(
      this.config.families.map((f) => ({
        table: `query/${f}`,
        ids: [inputs.queries[f]],
      })),
      rows,
    );
    const hid = dense(
      x,
      this.params.matrix("query/w1"),
      this.params.vector("query/b1"),
      { tanh: true },
    ); // [B, m·h]
    // One 2-D product per head: wasm's batched BatchMatMul is several times
    // slower than the same work as separate 2-D products.
    const w2 = tf.unstack(this.params.get("query/w2"));
    const b2 = tf.unstack(this.params.get("query/b2"));
    const heads = tf.split(hid, m, 1).map((hk, k) =>
      l2Normalize(tf.add(matMul(hk as tf.Tensor2D, w2[k]), b2[k]))
    ); // m × [B, d]
    return tf.concat(heads, 1) as tf.Tensor2D;
  }

  /** The item tower `[B, d]`. */
  protected itemTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    const share = this.config.shareEmbeddings;
    const parts = [];
    for (const field of this.config.itemFields) {
      for (const f of this.config.families) {
        parts.push({
          table: `${share ? "query" : "item"}/${f}`,
          ids: [inputs.items[itemKey(field, f)]],
        });
      }
    }
    const x = this.#means(parts, rows);
    const hid = dense(
      x,
      this.params.matrix("item/w1"),
      this.params.vector("item/b1"),
      { tanh: true },
    );
    return l2Normalize(
      dense(
        hid,
        this.params.matrix("item/w2"),
        this.params.vector("item/b2"),
        { tanh: false },
      ),
    );
  }

  /** The multi-head score (see {@link dpsrScore}) with the config's β. */
  override scores(q: tf.Tensor, v: tf.Tensor2D): tf.Tensor2D {
    const { heads: m, dim: d } = this.config;
    if (q.rank !== 2 || q.shape[1] !== m * d || v.shape[1] !== d) {
      throw new RangeError(
        `scores: q [${q.shape}] must be [*, ${
          m * d
        }] (m·d) and v [${v.shape}] [*, ${d}]`,
      );
    }
    return tf.tidy(() =>
      dpsrScore(tf.reshape(q, [q.shape[0], m, d]), v, {
        beta: this.config.beta,
      })
    );
  }
}
