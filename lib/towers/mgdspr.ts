/**
 * MGDSPR-style towers (Li et al., KDD 2021, Taobao) at laptop scale (its
 * mixed hard negatives are in lib/losses/negatives.ts).
 *
 * Query tower (every vector `d = dim` wide):
 * - q_uni, q_bi, q_word: masked means of character-unigram, character-bigram
 *   and word embeddings of the query;
 * - q_seq: one self-attention layer (`heads` heads, learned positions,
 *   residual, no layer norm or feed-forward) over the word embeddings,
 *   mean-pooled over real words;
 * - q_mix = q_uni + q_bi + q_word + q_seq (the paper's q_his, attention over
 *   past queries, has no data here and is left out);
 * - h_user: attention of q_mix·W_u over the user's behaviour sequence
 *   (item-id embeddings, the item tower's table) with a zero vector
 *   prepended as key and value, so a query can attend to nothing; with an
 *   empty history (unknown user, no users table) h_user is exactly 0;
 * - fusion: single-head attention with a learned CLS vector as the query
 *   over [CLS, q_uni, q_bi, q_word, q_seq, q_mix, h_user]:
 *   out = Σ_k softmax_k(cls·(S_k W_k)/√d) · S_k W_v, then L2-normalised.
 *
 * Item tower: H_item = e_id + tanh(W_t · mean of title-word embeddings),
 * L2-normalised (the paper uses the raw inner product; here both towers are
 * normalised, like every tower of this package, so `scores` is a cosine).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { MgdsprConfig } from "./config.ts";
import { itemKey, type TowerInputs } from "./inputs.ts";
import { BaseTower } from "./model.ts";
import {
  embeddingBag,
  flatBag,
  gatherRows,
  l2Normalize,
  lookupPadded,
  MASK_LOGIT,
  maskedMean,
  matMul,
  type PaddedBatch,
  paddedBatch,
  project,
} from "./ops.ts";

/** Number of stacked query units fused by the CLS attention (CLS excluded). */
export const MGDSPR_UNITS = 6;

/** The MGDSPR-style tower pair. */
export class MgdsprTower extends BaseTower<MgdsprConfig> {
  /** Creates the weights from `seed`. */
  constructor(config: MgdsprConfig, seed: number) {
    super(config, seed, {
      queryFamilies: ["charUnigram", "charBigram", "word"],
      itemFamilies: ["word"],
      itemFields: config.itemFields,
      historyLen: config.historyLen,
      features: config.features,
    });
    const d = config.dim;
    const b = config.features.buckets;
    const p = this.params;
    p.embedding("query/charUnigram", b.charUnigram, d);
    p.embedding("query/charBigram", b.charBigram, d);
    p.embedding("query/word", b.word, d);
    p.embedding("query/position", config.features.maxLen.query, d, {
      rowSparse: false,
    });
    for (const m of ["wq", "wk", "wv", "wo"]) p.glorot(`query/attn/${m}`, d, d);
    p.glorot("query/user/wu", d, d);
    p.embedding("query/fusion/cls", 1, d, { rowSparse: false });
    p.glorot("query/fusion/wk", d, d);
    p.glorot("query/fusion/wv", d, d);
    // Keyed by item_id: row item_id + 1; row 0 is the padding row of
    // behaviour sequences.
    p.embedding("item/id", config.numItems + 1, d);
    if (!config.shareEmbeddings) p.embedding("item/word", b.word, d);
    p.glorot("item/wt", d, d);
  }

  /** Item-id rows. */
  protected override idRows(): number {
    return this.config.numItems;
  }

  /** Self-attention over the query words, mean-pooled: q_seq `[B, d]`. */
  #wordAttention(x: tf.Tensor3D, p: PaddedBatch): tf.Tensor2D {
    const { batch: B, len: L } = p;
    const d = this.config.dim;
    const h = this.config.heads;
    const dh = d / h;
    const pos = tf.slice(this.params.matrix("query/position"), [0, 0], [L, d]);
    const xp = tf.add(x, pos) as tf.Tensor3D;
    const split = (w: string) =>
      tf.transpose(
        tf.reshape(project(xp, this.params.matrix(`query/attn/${w}`)), [
          B,
          L,
          h,
          dh,
        ]),
        [0, 2, 1, 3],
      );
    const q = split("wq");
    const k = split("wk");
    const v = split("wv");
    // Padded keys get a large negative logit; padded queries are dropped by
    // the masked mean below.
    const keyPenalty = tf.tensor4d(
      Float32Array.from(p.mask, (m) => (1 - m) * MASK_LOGIT),
      [B, 1, 1, L],
    );
    const logits = tf.add(
      tf.mul(matMul(q, k, { transposeB: true }), 1 / Math.sqrt(dh)),
      keyPenalty,
    );
    const att = matMul(tf.softmax(logits), v); // [B, h, L, dh]
    const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, L, d]);
    const out = tf.add(
      xp,
      project(merged, this.params.matrix("query/attn/wo")),
    );
    return maskedMean(out as tf.Tensor3D, p);
  }

  /**
   * Attention of `qMix` over the behaviour sequence with a zero vector
   * prepended: `[B, d]`, exactly zero for rows with an empty history.
   */
  userAttention(qMix: tf.Tensor2D, hist: PaddedBatch): tf.Tensor2D {
    const { batch: B, len: L } = hist;
    const d = this.config.dim;
    if (L === 0) return tf.zeros([B, d]);
    const r = lookupPadded(this.params.matrix("item/id"), hist); // [B, L, d]
    const u = matMul(qMix, this.params.matrix("query/user/wu")); // [B, d]
    // Per-row products as broadcast multiply + sum: wasm's batched
    // BatchMatMul is slow for these [L, d]·[d, 1] shapes.
    const logits = tf.mul(
      tf.sum(tf.mul(r, tf.expandDims(u, 1)), 2),
      1 / Math.sqrt(d),
    ); // [B, L]
    const penalty = tf.tensor2d(
      Float32Array.from(hist.mask, (m) => (1 - m) * MASK_LOGIT),
      [B, L],
    );
    // Column 0 is the zero vector: logit 0, value 0.
    const all = tf.concat([tf.zeros([B, 1]), tf.add(logits, penalty)], 1);
    const w = tf.slice(tf.softmax(all), [0, 1], [B, L]);
    return tf.sum(tf.mul(tf.expandDims(w, 2), r), 1) as tf.Tensor2D;
  }

  /** The stacked query units `[B, 6, d]`: q_uni, q_bi, q_word, q_seq, q_mix, h_user. */
  queryUnits(inputs: TowerInputs, rows: Int32Array): tf.Tensor3D {
    const mean = (family: string) =>
      embeddingBag(
        this.params.matrix(`query/${family}`),
        flatBag([inputs.queries[family]], rows),
        { mode: "mean" },
      );
    const qUni = mean("charUnigram");
    const qBi = mean("charBigram");
    const wordsPadded = paddedBatch(inputs.queries.word, rows);
    let qWord: tf.Tensor2D;
    let qSeq: tf.Tensor2D;
    if (wordsPadded.len === 0) {
      qWord = tf.zeros([rows.length, this.config.dim]);
      qSeq = qWord;
    } else {
      const x = lookupPadded(this.params.matrix("query/word"), wordsPadded);
      qWord = maskedMean(x, wordsPadded);
      qSeq = this.#wordAttention(x, wordsPadded);
    }
    const qMix = tf.addN([qUni, qBi, qWord, qSeq]);
    const hUser = this.userAttention(
      qMix,
      paddedBatch(inputs.queries.history, rows),
    );
    return tf.stack([qUni, qBi, qWord, qSeq, qMix, hUser], 1) as tf.Tensor3D;
  }

  /** CLS attention over [CLS, units]: `[B, d]` before normalisation. */
  #fuse(units: tf.Tensor3D): tf.Tensor2D {
    const [B, , d] = units.shape;
    const cls = this.params.matrix("query/fusion/cls"); // [1, d]
    const s = tf.concat([tf.tile(tf.expandDims(cls, 0), [B, 1, 1]), units], 1);
    const keys = project(s, this.params.matrix("query/fusion/wk"));
    const values = project(s, this.params.matrix("query/fusion/wv"));
    const logits = tf.mul(
      tf.squeeze(matMul(keys, tf.tile(tf.expandDims(cls, 2), [B, 1, 1])), [
        2,
      ]),
      1 / Math.sqrt(d),
    ); // [B, 7]
    const w = tf.expandDims(tf.softmax(logits), 1); // [B, 1, 7]
    return tf.squeeze(matMul(w, values), [1]) as tf.Tensor2D;
  }

  /** The query tower. */
  protected queryTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    return l2Normalize(this.#fuse(this.queryUnits(inputs, rows)));
  }

  /** The item tower: e_id + tanh(W_t · mean title words). */
  protected itemTower(inputs: TowerInputs, rows: Int32Array): tf.Tensor2D {
    const words = embeddingBag(
      this.params.matrix(
        this.config.shareEmbeddings ? "query/word" : "item/word",
      ),
      flatBag(
        this.config.itemFields.map((f) => inputs.items[itemKey(f, "word")]),
        rows,
      ),
      { mode: "mean" },
    );
    const text = tf.tanh(matMul(words, this.params.matrix("item/wt")));
    const id = gatherRows(
      this.params.matrix("item/id"),
      Int32Array.from(rows, (r) => inputs.itemIds[r] + 1),
    );
    return l2Normalize(tf.add(id, text));
  }
}
