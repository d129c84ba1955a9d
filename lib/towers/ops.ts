/**
 * Building blocks shared by the towers: embedding bags, padded sequence
 * lookups, dense layers, masked pooling, L2 normalisation.
 *
 * Embedding bags and row lookups read only the non-padding ids of a batch
 * and are computed in JavaScript with a hand-written gradient (see
 * {@link embeddingBag}). By default the gradient of a table is a dense
 * `[V, D]` tensor whose rows not used in the batch are exactly zero, so a
 * dense optimiser updates the whole table. Inside
 * {@link collectRowGradients} the gradient of a registered table is
 * instead handed over as row-sparse `(ids, rows)` — TensorFlow's
 * IndexedSlices — and no `[V, D]` tensor is built; `lib/train`'s lazy
 * Adam uses that.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { PaddedIds } from "../features/mod.ts";
import { readFloat32View, writableFloat32View } from "../backend/mod.ts";

/** The non-padding ids of a batch of rows, flattened, with their row. */
export interface FlatBag {
  /** Ids, row after row. */
  ids: Int32Array;
  /** Batch row (0..B-1) of each id. */
  segments: Int32Array;
  /** Number of ids per batch row. */
  counts: Float32Array;
  /** Batch size B. */
  batch: number;
}

/** Throws if any row is outside `[0, n)`. */
export function checkRows(rows: Int32Array, n: number, what: string): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < n)) {
      throw new RangeError(
        `${what}: row ${r} at position ${i} is outside [0, ${n})`,
      );
    }
  }
}

/**
 * The bag of `rows` over one or more padded id matrices of the same table
 * (e.g. title, brand and category trigrams): ids of all parts add up.
 */
export function flatBag(
  parts: readonly PaddedIds[],
  rows: Int32Array,
): FlatBag {
  const B = rows.length;
  const counts = new Float32Array(B);
  let nnz = 0;
  for (let b = 0; b < B; b++) {
    for (const p of parts) counts[b] += p.lengths[rows[b]];
    nnz += counts[b];
  }
  const ids = new Int32Array(nnz);
  const segments = new Int32Array(nnz);
  let k = 0;
  for (let b = 0; b < B; b++) {
    for (const p of parts) {
      const base = rows[b] * p.maxLen;
      const len = p.lengths[rows[b]];
      // Encoders left-align ids, so the first `len` positions are the units.
      for (let t = 0; t < len; t++) {
        ids[k] = p.ids[base + t];
        segments[k++] = b;
      }
    }
  }
  return { ids, segments, counts, batch: B };
}

// tfjs types the custom function as taking `(Tensor | GradSaveFunc)[]`, which
// a one-tensor signature does not satisfy; the cast is confined to here.
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

function checkIds(ids: Int32Array, rows: number, what: string): void {
  for (let k = 0; k < ids.length; k++) {
    if (!(ids[k] >= 0 && ids[k] < rows)) {
      throw new RangeError(
        `${what}: id ${ids[k]} is outside the table's ${rows} rows`,
      );
    }
  }
}

// out[to[k]] += w[k] · src[from[k]] over rows of width D, into a new
// [rows, D] tensor: the lookups' forward pass (from = ids, to = segments)
// and their dense gradient (from = segments, to = ids).
function scatterRows(
  src: tf.Tensor2D,
  options: {
    from: Int32Array;
    to: Int32Array;
    weights: Float32Array | null;
    rows: number;
  },
): tf.Tensor2D {
  const D = src.shape[1];
  const { from, to, weights, rows } = options;
  // Summed straight into a zeroed backend tensor where the backend allows
  // (wasm, cpu): a JS array (MGDSPR's history [35000, 128] is 18 MB, a
  // DSSM table's gradient 36 MB) is fresh memory each step, which this
  // machine writes at 0.33 GB/s. tf.fill, not tf.zeros: tfjs-core's zeros
  // builds a JS array and uploads it, 111 ms for 30,000 × 300 on wasm here
  // against 2.4 ms (docs/performance.md#profile). Views after the
  // allocation: a wasm heap view is valid until the next one.
  const result = tf.fill([rows, D], 0) as tf.Tensor2D;
  const view = writableFloat32View(result);
  const out = view ?? new Float32Array(rows * D);
  const data = readFloat32View(src);
  for (let k = 0; k < from.length; k++) {
    const s = from[k] * D;
    const d = to[k] * D;
    const w = weights === null ? 1 : weights[k];
    for (let j = 0; j < D; j++) out[d + j] += w * data[s + j];
  }
  if (view) return result;
  result.dispose();
  return tf.tensor2d(out, [rows, D]);
}

/**
 * Weighted sums of table rows, computed in JavaScript with a hand-written
 * gradient: `out[seg[k]] += w[k] · table[ids[k]]`. The gradient of the
 * table is the dense `[V, D]` scatter-add of `w[k] · dy[seg[k]]` into rows
 * `ids[k]` (zero elsewhere).
 *
 * Why not `tf.gather` + `tf.unsortedSegmentSum`: the wasm backend's
 * GatherV2 runs at about 65 ns per gathered value, so a DSSM batch
 * (23k trigrams × 300) spent ~1.2 s per step in gathers alone; this
 * single pass is two orders of magnitude faster and builds no `[nnz, D]`
 * intermediate.
 */
function weightedRowSum(
  table: tf.Tensor2D,
  ids: Int32Array,
  options: { segments: Int32Array; weights: Float32Array | null; rows: number },
): tf.Tensor2D {
  const V = table.shape[0];
  const { segments, weights } = options;
  checkIds(ids, V, "embedding lookup");
  const entry = activeCollector?.get(table.id);
  if (entry) return sparseRowSum(table, ids, { ...options, entry });
  const op = tf.customGrad(
    ((t: tf.Tensor2D) => {
      return {
        value: scatterRows(t, {
          from: ids,
          to: segments,
          weights,
          rows: options.rows,
        }),
        gradFunc: (dy: tf.Tensor) => [
          scatterRows(dy as tf.Tensor2D, {
            from: segments,
            to: ids,
            weights,
            rows: V,
          }),
        ],
      };
    }) as unknown as CustomGradFn,
  );
  return op(table) as tf.Tensor2D;
}

/** Row-sparse gradient of one table: `rows` is `[ids.length, D]`, one row per distinct id. */
export interface RowGradient {
  /** Distinct table rows that received a gradient, in the order the backward pass met them. */
  ids: Int32Array;
  /** Their gradient rows, row-major `[ids.length, D]`. */
  rows: Float32Array;
  /** Row width D. */
  dim: number;
}

interface CollectorEntry {
  probe: tf.Variable;
  parts: RowGradient[];
}

// Tables whose gradients go to the collector, by tensor id; set only while
// `collectRowGradients` runs.
let activeCollector: Map<number, CollectorEntry> | null = null;

/**
 * Runs `fn` (a `tf.variableGrads` / `tf.grads` call) so that the embedding
 * lookups of `tables` hand their gradients over row-sparse instead of as
 * dense `[V, D]` tensors, and returns them by table name (summed over every
 * lookup of the table in the pass; a table no lookup reached is absent).
 *
 * How: a lookup of a registered table also takes that table's `probe`, a
 * scalar variable whose gradient is always 0. Differentiate with respect
 * to the probes instead of the tables (put `probes` in the variable list
 * and leave the tables out): tfjs then calls the lookup's gradient, which
 * records the rows and returns nothing for the table. A table left in the
 * variable list would get no gradient, so that is an error.
 */
export function collectRowGradients<T>(
  tables: Readonly<Record<string, tf.Variable>>,
  fn: (probes: tf.Variable[]) => T,
): { result: T; gradients: Map<string, RowGradient> } {
  if (activeCollector) throw new Error("collectRowGradients cannot nest");
  const byId = new Map<number, CollectorEntry>();
  const names = new Map<number, string>();
  for (const [name, t] of Object.entries(tables)) {
    if (t.rank !== 2) {
      throw new RangeError(`collectRowGradients: '${name}' is not a table`);
    }
    const zero = tf.scalar(0);
    byId.set(t.id, { probe: tf.variable(zero, true), parts: [] });
    zero.dispose();
    names.set(t.id, name);
  }
  const probes = [...byId.values()].map((e) => e.probe);
  activeCollector = byId;
  let result: T;
  try {
    result = fn(probes);
  } finally {
    activeCollector = null;
    for (const p of probes) p.dispose();
  }
  const gradients = new Map<string, RowGradient>();
  for (const [id, e] of byId) {
    if (e.parts.length > 0) gradients.set(names.get(id)!, mergeRows(e.parts));
  }
  return { result, gradients };
}

// Sums row-sparse parts of one table; rows keep the order they were met in.
function mergeRows(parts: RowGradient[]): RowGradient {
  if (parts.length === 1) return parts[0];
  const D = parts[0].dim;
  const slot = new Map<number, number>();
  for (const p of parts) {
    for (const id of p.ids) if (!slot.has(id)) slot.set(id, slot.size);
  }
  const ids = Int32Array.from(slot.keys());
  const rows = new Float32Array(ids.length * D);
  for (const p of parts) {
    for (let r = 0; r < p.ids.length; r++) {
      const dst = slot.get(p.ids[r])! * D;
      for (let j = 0; j < D; j++) rows[dst + j] += p.rows[r * D + j];
    }
  }
  return { ids, rows, dim: D };
}

// weightedRowSum for a table registered with the collector.
function sparseRowSum(
  table: tf.Tensor2D,
  ids: Int32Array,
  options: {
    segments: Int32Array;
    weights: Float32Array | null;
    rows: number;
    entry: CollectorEntry;
  },
): tf.Tensor2D {
  const D = table.shape[1];
  const { segments, weights, entry } = options;
  const op = tf.customGrad(
    ((t: tf.Tensor2D, probe: tf.Tensor) => {
      return {
        value: scatterRows(t, {
          from: ids,
          to: options.segments,
          weights: options.weights,
          rows: options.rows,
        }),
        gradFunc: (dy: tf.Tensor) => {
          // A view, not a copy: nothing below allocates a tensor until
          // the return.
          const g = readFloat32View(dy);
          // Slot of each distinct id, in first-use order.
          const slotOf = new Map<number, number>();
          const slots = new Int32Array(ids.length);
          for (let k = 0; k < ids.length; k++) {
            let s = slotOf.get(ids[k]);
            if (s === undefined) slotOf.set(ids[k], s = slotOf.size);
            slots[k] = s;
          }
          const grad = new Float32Array(slotOf.size * D);
          for (let k = 0; k < ids.length; k++) {
            const dst = slots[k] * D;
            const src = segments[k] * D;
            const w = weights === null ? 1 : weights[k];
            for (let j = 0; j < D; j++) grad[dst + j] += w * g[src + j];
          }
          entry.parts.push({
            ids: Int32Array.from(slotOf.keys()),
            rows: grad,
            dim: D,
          });
          // The table is not differentiated (it is not in the variable
          // list), so tfjs never reads its entry; the probe's is 0.
          return [tf.scalar(0), tf.zerosLike(probe)];
        },
      };
    }) as unknown as CustomGradFn,
  );
  return op(table, entry.probe) as tf.Tensor2D;
}

/**
 * Sum (or mean) of the table rows in each bag: `[B, D]`. An empty bag gives
 * a zero row (for a mean too).
 */
export function embeddingBag(
  table: tf.Tensor2D,
  bag: FlatBag,
  options: { mode: "sum" | "mean" },
): tf.Tensor2D {
  let weights: Float32Array | null = null;
  if (options.mode === "mean") {
    weights = Float32Array.from(
      bag.segments,
      (b) => 1 / Math.max(bag.counts[b], 1),
    );
  }
  return weightedRowSum(table, bag.ids, {
    segments: bag.segments,
    weights,
    rows: bag.batch,
  });
}

/** Rows `ids` of `table`: `[n, D]`, like `tf.gather` but fast on wasm. */
export function gatherRows(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  return weightedRowSum(table, ids, {
    segments: Int32Array.from(ids, (_, k) => k),
    weights: null,
    rows: ids.length,
  });
}

/** Padded ids of a batch, trimmed to the longest row in it. */
export interface PaddedBatch {
  /** Ids `[B, L]` row-major; 0 = padding. */
  ids: Int32Array;
  /** 1 for a real id, 0 for padding, `[B, L]`. */
  mask: Float32Array;
  /** Real ids per row. */
  lengths: Int32Array;
  /** Batch size. */
  batch: number;
  /** Row length L (0 when every row is empty). */
  len: number;
}

/** Slices `rows` of a padded matrix, keeping only as many columns as needed. */
export function paddedBatch(p: PaddedIds, rows: Int32Array): PaddedBatch {
  const B = rows.length;
  let len = 0;
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    lengths[b] = p.lengths[rows[b]];
    if (lengths[b] > len) len = lengths[b];
  }
  const ids = new Int32Array(B * len);
  const mask = new Float32Array(B * len);
  for (let b = 0; b < B; b++) {
    const src = rows[b] * p.maxLen;
    for (let t = 0; t < lengths[b]; t++) {
      ids[b * len + t] = p.ids[src + t];
      mask[b * len + t] = 1;
    }
  }
  return { ids, mask, lengths, batch: B, len };
}

/** Table rows of a padded batch: `[B, L, D]` (padding rows are row 0's values; mask them). */
export function lookupPadded(
  table: tf.Tensor2D,
  p: PaddedBatch,
): tf.Tensor3D {
  const D = table.shape[1];
  return tf.reshape(gatherRows(table, p.ids), [p.batch, p.len, D]);
}

/** Mean over the real positions of `x` `[B, L, D]`; zero for an empty row. */
export function maskedMean(x: tf.Tensor3D, p: PaddedBatch): tf.Tensor2D {
  const mask = tf.tensor3d(p.mask, [p.batch, p.len, 1]);
  const sum = tf.sum(tf.mul(x, mask), 1) as tf.Tensor2D;
  const inv = Float32Array.from(p.lengths, (c) => 1 / Math.max(c, 1));
  return tf.mul(sum, tf.tensor2d(inv, [p.batch, 1]));
}

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

// Forward and backward with explicit transposes (see matMul below).
const matMulOp = tf.customGrad(
  ((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.matMul(dy, swapLast(saved[1])),
        tf.matMul(swapLast(saved[0]), dy),
      ],
    };
  }) as unknown as CustomGradFn,
);

/**
 * `a · b` (or `a · bᵀ` with `transposeB`) for rank 2, or batched with equal
 * leading dimensions (no broadcasting).
 *
 * Why not `tf.matMul` directly: the wasm backend's BatchMatMul is 10–20×
 * slower with a transpose flag set (350×1024 · (128×1024)ᵀ: 128 ms against
 * 8 ms for an explicit transpose then a plain product), and tfjs computes
 * matMul gradients with those flags. This op transposes explicitly in the
 * forward and the backward pass.
 */
export function matMul<T extends tf.Tensor>(
  a: T,
  b: tf.Tensor,
  options: { transposeB?: boolean } = {},
): T {
  const bb = options.transposeB ? swapLast(b) : b;
  if (
    a.rank !== bb.rank || a.rank < 2 ||
    a.shape.slice(0, -2).some((s, i) => s !== bb.shape[i]) ||
    a.shape[a.rank - 1] !== bb.shape[bb.rank - 2]
  ) {
    throw new RangeError(
      `matMul: shapes [${a.shape}] and [${bb.shape}] do not multiply (equal batch dimensions required)`,
    );
  }
  return matMulOp(a, bb) as T;
}

/** `x · W (+ b)`, optionally followed by tanh. */
export function dense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D | null,
  options: { tanh: boolean },
): tf.Tensor2D {
  let y: tf.Tensor2D = matMul(x, w);
  if (b) y = tf.add(y, b);
  return options.tanh ? tf.tanh(y) : y;
}

/** `x` `[..., D]` times `w` `[D, E]` for any leading shape. */
export function project<T extends tf.Tensor>(x: T, w: tf.Tensor2D): T {
  const shape = x.shape;
  const D = shape[shape.length - 1];
  const flat = tf.reshape(x, [-1, D]) as tf.Tensor2D;
  const outShape: number[] = [...shape.slice(0, -1), w.shape[1]];
  return tf.reshape(matMul(flat, w), outShape) as T;
}

/** Smallest squared norm divided by in {@link l2Normalize}. */
export const NORM_EPS = 1e-12;

/** Rows of `x` scaled to unit L2 norm (an all-zero row stays zero). */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  const sq = tf.sum(tf.square(x), -1, true);
  return tf.mul(x, tf.rsqrt(tf.maximum(sq, NORM_EPS))) as T;
}

/**
 * Logit given to a masked position (a padded history step, a candidate that
 * is not a negative): exp(−1e9 − max) underflows to exactly 0 in float32,
 * and unlike −∞ it cannot produce ∞ − ∞ = NaN.
 */
export const MASK_LOGIT = -1e9;
