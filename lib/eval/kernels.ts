/**
 * Shared building blocks of the evaluation code: blocked inner products
 * (WebAssembly SIMD when available, a register-tiled JavaScript loop
 * otherwise), a bounded top-k selector, and input checks for row-major
 * `[n, d]` matrices.
 *
 * @module
 */

import { simdAvailable, simdInnerProducts, simdNearest } from "./simd.ts";

/** A row-major matrix check: returns the number of rows, or throws. */
export function rowsOf(
  x: Float32Array,
  options: { d: number; name: string; n?: number; finite?: boolean },
): number {
  const { d, name, n } = options;
  if (!(x instanceof Float32Array)) {
    throw new TypeError(`${name} must be a Float32Array`);
  }
  if (!Number.isInteger(d) || d < 1) {
    throw new RangeError(`d must be a positive integer, got ${d}`);
  }
  if (x.length % d !== 0) {
    throw new RangeError(
      `${name}: length ${x.length} is not a multiple of d = ${d}`,
    );
  }
  const rows = x.length / d;
  if (n !== undefined && n !== rows) {
    throw new RangeError(
      `${name}: expected n = ${n} rows of d = ${d}, got ${rows}`,
    );
  }
  if (options.finite !== false) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        throw new RangeError(
          `${name}: non-finite value ${x[i]} at row ${
            Math.floor(i / d)
          }, column ${i % d}`,
        );
      }
    }
  }
  return rows;
}

/** Throws a RangeError naming `name` unless `v` is an integer in [lo, hi]. */
export function checkInt(
  v: number,
  options: { name: string; lo?: number; hi?: number },
): number {
  const { name, lo = -Infinity, hi = Infinity } = options;
  if (!Number.isInteger(v) || v < lo || v > hi) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi}]`;
    throw new RangeError(`${name} must be an integer ${range}, got ${v}`);
  }
  return v;
}

/** Which implementation {@link innerProducts} uses. */
export type KernelChoice = "auto" | "wasm" | "js";

/** Options for {@link innerProducts}. */
export interface InnerProductOptions {
  /** Dimension of every row. */
  d: number;
  /** Output `[rows of a, rows of b]`; allocated when absent. */
  out?: Float32Array;
  /** Implementation; "auto" (default) prefers WebAssembly SIMD. */
  kernel?: KernelChoice;
}

// Rows of `a` per kernel call, so the kernel's scratch memory stays bounded
// (at most ~16 MB of output per call) whatever the sizes.
const MAX_OUT_FLOATS = 1 << 22;

/** Whether `kernel` runs on the WebAssembly SIMD kernels ("auto": if they load). */
function wantsSimd(kernel: KernelChoice): boolean {
  return kernel === "wasm" || (kernel === "auto" && simdAvailable());
}

/**
 * All inner products between the rows of `a` `[na, d]` and of `b` `[nb, d]`,
 * row-major `[na, nb]`. Float32 accumulation (relative error ~1e-6 for
 * d = 128); callers that need exact sums use Float64 loops instead.
 */
export function innerProducts(
  a: Float32Array,
  b: Float32Array,
  options: InnerProductOptions,
): Float32Array {
  const { d, kernel = "auto" } = options;
  const na = a.length / d, nb = b.length / d;
  const out = options.out ?? new Float32Array(na * nb);
  if (out.length < na * nb) {
    throw new RangeError(`out: needs ${na * nb} floats, has ${out.length}`);
  }
  if (na === 0 || nb === 0) return out;
  const useWasm = wantsSimd(kernel);
  if (!useWasm) {
    jsInnerProducts(a, b, d, out);
    return out;
  }
  const chunk = Math.max(4, Math.floor(MAX_OUT_FLOATS / nb) & ~3);
  for (let i0 = 0; i0 < na; i0 += chunk) {
    const i1 = Math.min(na, i0 + chunk);
    simdInnerProducts(a.subarray(i0 * d, i1 * d), b, {
      d,
      out: out.subarray(i0 * nb, i1 * nb),
    });
  }
  return out;
}

/** Options for {@link nearestRows}. */
export interface NearestOptions {
  /** Dimension of every row. */
  d: number;
  /** Implementation; "auto" (default) prefers WebAssembly SIMD. */
  kernel?: KernelChoice;
}

/**
 * For every row of `a`, the index of the nearest row of `b` in squared L2,
 * ranked by ‖b_j‖² − 2 a·b_j (float32). Ties keep the lower index.
 */
export function nearestRows(
  a: Float32Array,
  b: Float32Array,
  options: NearestOptions,
): Int32Array {
  const { d, kernel = "auto" } = options;
  const na = a.length / d, nb = b.length / d;
  if (nb === 0) throw new RangeError("nearestRows: b has no rows");
  const norms = new Float32Array(nb);
  for (let j = 0; j < nb; j++) {
    let s = 0;
    for (let t = j * d; t < j * d + d; t++) s += b[t] * b[t];
    norms[j] = s;
  }
  const out = new Int32Array(na);
  const useWasm = wantsSimd(kernel);
  // Chunks bound the kernel's scratch memory (and the JS score block).
  const chunk = useWasm ? 8192 : Math.max(4, Math.floor(MAX_OUT_FLOATS / nb));
  const scores = useWasm ? null : new Float32Array(Math.min(na, chunk) * nb);
  for (let i0 = 0; i0 < na; i0 += chunk) {
    const i1 = Math.min(na, i0 + chunk);
    const rows = a.subarray(i0 * d, i1 * d);
    if (scores === null) {
      simdNearest(rows, b, { d, norms, out: out.subarray(i0, i1) });
      continue;
    }
    jsInnerProducts(rows, b, d, scores);
    for (let i = 0; i < i1 - i0; i++) {
      let best = 0, bestScore = Infinity;
      for (let j = 0; j < nb; j++) {
        const s = norms[j] - 2 * scores[i * nb + j];
        if (s < bestScore) {
          bestScore = s;
          best = j;
        }
      }
      out[i0 + i] = best;
    }
  }
  return out;
}

// 2 × 2 register tiles; remainders handled by the generic loop.
function jsInnerProducts(
  a: Float32Array,
  b: Float32Array,
  d: number,
  out: Float32Array,
): void {
  const na = a.length / d, nb = b.length / d;
  const na2 = na & ~1, nb2 = nb & ~1;
  for (let i = 0; i < na2; i += 2) {
    const r0 = i * d, r1 = r0 + d;
    for (let j = 0; j < nb2; j += 2) {
      const c0 = j * d, c1 = c0 + d;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let t = 0; t < d; t++) {
        const x0 = b[c0 + t], x1 = b[c1 + t];
        const y0 = a[r0 + t], y1 = a[r1 + t];
        s00 += y0 * x0;
        s01 += y0 * x1;
        s10 += y1 * x0;
        s11 += y1 * x1;
      }
      out[i * nb + j] = s00;
      out[i * nb + j + 1] = s01;
      out[(i + 1) * nb + j] = s10;
      out[(i + 1) * nb + j + 1] = s11;
    }
  }
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
    out[i * nb + j] = s;
  };
  for (let i = 0; i < na2; i++) for (let j = nb2; j < nb; j++) dot(i, j);
  for (let i = na2; i < na; i++) for (let j = 0; j < nb; j++) dot(i, j);
}

/**
 * Keeps the `k` best `(score, id)` pairs seen: higher score first, and on
 * equal scores the lower id first, so results never depend on scan order.
 * A binary min-heap whose root is the current worst kept pair.
 */
export class TopK {
  /** Capacity. */
  readonly k: number;
  #scores: Float64Array;
  #ids: Int32Array;
  #size = 0;

  /** An empty selector of capacity `k` (>= 1). */
  constructor(k: number) {
    this.k = checkInt(k, { name: "k", lo: 1 });
    this.#scores = new Float64Array(k);
    this.#ids = new Int32Array(k);
  }

  /** Number of pairs kept so far. */
  get size(): number {
    return this.#size;
  }

  /** Empties the selector for reuse. */
  clear(): void {
    this.#size = 0;
  }

  /** The score a new pair must beat (−Infinity until full). */
  get threshold(): number {
    return this.#size < this.k ? -Infinity : this.#scores[0];
  }

  /** Offers a pair; kept if it is among the k best so far. NaN is ignored. */
  push(score: number, id: number): void {
    if (score !== score) return;
    const s = this.#scores, ids = this.#ids;
    if (this.#size < this.k) {
      let i = this.#size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(score, id, s[p], ids[p])) break;
        s[i] = s[p];
        ids[i] = ids[p];
        i = p;
      }
      s[i] = score;
      ids[i] = id;
      return;
    }
    if (!worse(s[0], ids[0], score, id)) return;
    // Replace the root and sift down.
    const n = this.#size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      if (l + 1 < n && worse(s[l + 1], ids[l + 1], s[l], ids[l])) c = l + 1;
      if (!worse(s[c], ids[c], score, id)) break;
      s[i] = s[c];
      ids[i] = ids[c];
      i = c;
    }
    s[i] = score;
    ids[i] = id;
  }

  /**
   * Writes the kept pairs best-first into `ids`/`scores` starting at
   * `offset`, padding up to `k` entries with id −1 and score −Infinity.
   */
  drainInto(
    out: { ids: Int32Array; scores: Float32Array },
    offset: number,
  ): void {
    const n = this.#size;
    const order = Array.from({ length: n }, (_, i) => i);
    const s = this.#scores, ids = this.#ids;
    order.sort((x, y) => s[y] - s[x] || ids[x] - ids[y]);
    for (let r = 0; r < this.k; r++) {
      out.ids[offset + r] = r < n ? ids[order[r]] : -1;
      out.scores[offset + r] = r < n ? s[order[r]] : -Infinity;
    }
    this.#size = 0;
  }
}

/** Whether pair (s1, id1) ranks below (s2, id2). */
function worse(s1: number, id1: number, s2: number, id2: number): boolean {
  return s1 < s2 || (s1 === s2 && id1 > id2);
}

/** A search result: per query the `k` best item ids and their scores. */
export interface SearchResult {
  /** Number of queries. */
  nq: number;
  /** Results per query (rows of `ids`/`scores`). */
  k: number;
  /** Item row indices `[nq, k]`, best first; −1 pads missing results. */
  ids: Int32Array;
  /** Scores `[nq, k]` matching `ids`; −Infinity pads missing results. */
  scores: Float32Array;
}

/**
 * A {@link SearchResult} of `nq` queries × `k` results to fill, one query
 * after another, with {@link TopK.drainInto}.
 */
export function searchResult(nq: number, k: number): SearchResult {
  return {
    nq,
    k,
    ids: new Int32Array(nq * k),
    scores: new Float32Array(nq * k),
  };
}
