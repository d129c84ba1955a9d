/**
 * An inverted-file index with product-quantised residuals (IVF-PQ; Jégou,
 * Douze & Schmid, TPAMI 2011), the index family the paper serves from
 * (Faiss, nlist 32768), for inner-product search over L2-normalised
 * embeddings.
 *
 * - Coarse quantiser: k-means with `nlist` centroids c; every vector is
 *   filed under its nearest centroid (L2, which minimises the residual).
 * - Residuals r = x − c are cut into `m` sub-vectors of d/m dimensions; each
 *   sub-space has its own k-means codebook of 2^nbits centroids, and a
 *   vector is stored as m one-byte codes.
 * - Search probes the `nprobe` lists whose centroid has the largest q·c and
 *   scores each stored vector by q·(c + r̂) = q·c + Σ_s q_s·codebook_s[code_s].
 *   The table of q_s·codebook_s[·] is computed once per query (codebooks
 *   are shared by all lists), so a candidate costs m lookups.
 *
 * @module
 */

import { Rng } from "../data/mod.ts";
import {
  checkInt,
  innerProducts,
  rowsOf,
  type SearchResult,
  searchResult,
  TopK,
} from "./kernels.ts";
import { assignNearest, kmeans } from "./kmeans.ts";

/** Options for {@link IvfPqIndex.build}. */
export interface IvfPqBuildOptions {
  /** Dimension. */
  d: number;
  /** Number of inverted lists (coarse centroids), 1..n. */
  nlist: number;
  /** Number of sub-quantisers; must divide d. */
  m: number;
  /** Bits per code, 1..8 (2^nbits centroids per sub-quantiser); default 8. */
  nbits?: number;
  /** Seed of sampling and k-means initialisation. */
  seed: number;
  /** Lloyd iterations of every k-means; default 10. */
  kmeansIters?: number;
  /**
   * Vectors the quantisers are trained on (a seeded sample without
   * replacement). Default min(n, 39 · max(nlist, 2^nbits)), so k-means cost
   * stays bounded (Faiss's 39 points per centroid); at least
   * max(nlist, 2^nbits).
   */
  trainSize?: number;
}

/** Options for {@link IvfPqIndex.search}. */
export interface IvfPqSearchOptions {
  /** Results per query. */
  k: number;
  /** Lists probed per query, 1..nlist. */
  nprobe: number;
}

/** Sizes reported by {@link IvfPqIndex.stats}. */
export interface IvfPqStats {
  /** Vectors indexed. */
  n: number;
  /** Dimension. */
  d: number;
  /** Inverted lists. */
  nlist: number;
  /** Sub-quantisers. */
  m: number;
  /** Bits per code. */
  nbits: number;
  /** Vectors per list. */
  listSizes: Int32Array;
  /** Lists without a vector. */
  emptyLists: number;
  /** Largest list. */
  maxListSize: number;
  /** Bytes held, by part. */
  memoryBytes: {
    codes: number;
    ids: number;
    centroids: number;
    codebooks: number;
    total: number;
  };
}

/**
 * How much of exact search an approximate search finds: the share of each
 * query's exact top `k` ids that its approximate top `k` holds, over all
 * queries (recall@k against exact search).
 */
export function overlapAtK(
  approx: SearchResult,
  exact: SearchResult,
  k: number,
): number {
  let hits = 0;
  for (let q = 0; q < exact.nq; q++) {
    const truth = new Set(exact.ids.subarray(q * exact.k, q * exact.k + k));
    for (let j = 0; j < k; j++) {
      if (truth.has(approx.ids[q * approx.k + j])) hits++;
    }
  }
  return hits / (exact.nq * k);
}

/** An IVF-PQ index over the rows of a `[n, d]` matrix (ids = row numbers). */
export class IvfPqIndex {
  /** Dimension. */
  readonly d: number;
  /** Inverted lists. */
  readonly nlist: number;
  /** Sub-quantisers. */
  readonly m: number;
  /** Bits per code. */
  readonly nbits: number;
  /** Vectors indexed. */
  readonly n: number;
  /** Coarse centroids `[nlist, d]`. */
  readonly centroids: Float32Array;
  /** Codebooks `[m, 2^nbits, d/m]`. */
  readonly codebooks: Float32Array;
  /** List s holds entries `listOffsets[s] .. listOffsets[s+1] − 1`. */
  readonly listOffsets: Int32Array;
  /** Row id of every entry, grouped by list, ascending within a list. */
  readonly listIds: Int32Array;
  /** Codes `[n, m]` of every entry, in the order of `listIds`. */
  readonly codes: Uint8Array;

  private constructor(parts: {
    d: number;
    nlist: number;
    m: number;
    nbits: number;
    centroids: Float32Array;
    codebooks: Float32Array;
    listOffsets: Int32Array;
    listIds: Int32Array;
    codes: Uint8Array;
  }) {
    this.d = parts.d;
    this.nlist = parts.nlist;
    this.m = parts.m;
    this.nbits = parts.nbits;
    this.n = parts.listIds.length;
    this.centroids = parts.centroids;
    this.codebooks = parts.codebooks;
    this.listOffsets = parts.listOffsets;
    this.listIds = parts.listIds;
    this.codes = parts.codes;
  }

  /**
   * Trains the quantisers on a seeded sample and encodes every vector.
   * Throws a RangeError naming the offending option (d % m ≠ 0, nlist > n,
   * nbits outside 1..8, too few training vectors, …).
   */
  static build(vectors: Float32Array, options: IvfPqBuildOptions): IvfPqIndex {
    const d = checkInt(options.d, { name: "d", lo: 1 });
    const n = rowsOf(vectors, { d, name: "vectors" });
    if (n === 0) throw new RangeError("vectors: no rows to index");
    const nlist = checkInt(options.nlist, { name: "nlist", lo: 1 });
    if (nlist > n) {
      throw new RangeError(`nlist = ${nlist} exceeds the n = ${n} vectors`);
    }
    const m = checkInt(options.m, { name: "m", lo: 1 });
    if (d % m !== 0) {
      throw new RangeError(`m = ${m} does not divide d = ${d}`);
    }
    const nbits = checkInt(options.nbits ?? 8, { name: "nbits", lo: 1, hi: 8 });
    const ksub = 1 << nbits;
    const iters = checkInt(options.kmeansIters ?? 10, {
      name: "kmeansIters",
      lo: 0,
    });
    checkInt(options.seed, { name: "seed" });
    const minTrain = Math.max(nlist, ksub);
    if (n < minTrain) {
      throw new RangeError(
        `nbits = ${nbits}: 2^nbits = ${ksub} codewords need at least ${ksub} vectors, got n = ${n}`,
      );
    }
    const trainSize = checkInt(
      options.trainSize ?? Math.min(n, 39 * minTrain),
      { name: "trainSize", lo: minTrain, hi: n },
    );
    const dsub = d / m;
    const rng = new Rng(options.seed);

    // Training sample (sorted, for memory locality).
    const sample = trainSize === n ? vectors : gatherRows(vectors, {
      d,
      rows: rng.permutation(n).subarray(0, trainSize).sort(),
    });

    const coarse = kmeans(sample, {
      d,
      k: nlist,
      seed: rng.uint32() | 0,
      iters,
    });
    const centroids = coarse.centroids;
    const trainResiduals = residuals(sample, {
      d,
      centroids,
      assignments: coarse.assignments,
    });

    const codebooks = new Float32Array(m * ksub * dsub);
    for (let s = 0; s < m; s++) {
      const sub = subColumns(trainResiduals, { d, from: s * dsub, dsub });
      const book = kmeans(sub, {
        d: dsub,
        k: ksub,
        seed: rng.uint32() | 0,
        iters,
      });
      codebooks.set(book.centroids, s * ksub * dsub);
    }

    // Encode all vectors in blocks to bound memory.
    const list = new Int32Array(n);
    const rawCodes = new Uint8Array(n * m);
    const block = 4096;
    for (let i0 = 0; i0 < n; i0 += block) {
      const i1 = Math.min(n, i0 + block);
      const x = vectors.subarray(i0 * d, i1 * d);
      const { assignments } = assignNearest(x, centroids, { d });
      list.set(assignments, i0);
      const r = residuals(x, { d, centroids, assignments });
      for (let s = 0; s < m; s++) {
        const book = codebooks.subarray(s * ksub * dsub, (s + 1) * ksub * dsub);
        const sub = subColumns(r, { d, from: s * dsub, dsub });
        const codes = assignNearest(sub, book, { d: dsub }).assignments;
        for (let i = 0; i < i1 - i0; i++) rawCodes[(i0 + i) * m + s] = codes[i];
      }
    }

    // Counting sort into lists; ids ascend within each list.
    const listOffsets = new Int32Array(nlist + 1);
    for (let i = 0; i < n; i++) listOffsets[list[i] + 1]++;
    for (let l = 0; l < nlist; l++) listOffsets[l + 1] += listOffsets[l];
    const fill = listOffsets.slice(0, nlist);
    const listIds = new Int32Array(n);
    const codes = new Uint8Array(n * m);
    for (let i = 0; i < n; i++) {
      const pos = fill[list[i]]++;
      listIds[pos] = i;
      codes.set(rawCodes.subarray(i * m, i * m + m), pos * m);
    }
    return new IvfPqIndex({
      d,
      nlist,
      m,
      nbits,
      centroids,
      codebooks,
      listOffsets,
      listIds,
      codes,
    });
  }

  /**
   * Approximate top-k by inner product. Results are best first, equal
   * scores by lower id; when the probed lists hold fewer than k vectors the
   * rest is padded with id −1 and score −Infinity.
   */
  search(queries: Float32Array, options: IvfPqSearchOptions): SearchResult {
    const { d, m, nlist } = this;
    const k = checkInt(options.k, { name: "k", lo: 1 });
    const nprobe = checkInt(options.nprobe, {
      name: "nprobe",
      lo: 1,
      hi: nlist,
    });
    const nq = rowsOf(queries, { d, name: "queries" });
    const ksub = 1 << this.nbits, dsub = d / m;
    const result = searchResult(nq, k);
    const { codes, listIds: ids, listOffsets: offsets } = this;
    const heap = new TopK(k);
    const probe = new TopK(nprobe);
    const probed = {
      ids: new Int32Array(nprobe),
      scores: new Float32Array(nprobe),
    };
    const block = 256;
    const qc = new Float32Array(block * nlist);
    const lut = new Float32Array(block * m * ksub);
    const part = new Float32Array(block * ksub);
    for (let q0 = 0; q0 < nq; q0 += block) {
      const q1 = Math.min(nq, q0 + block), bq = q1 - q0;
      const qs = queries.subarray(q0 * d, q1 * d);
      innerProducts(qs, this.centroids, { d, out: qc });
      // lut[(q·m + s)·ksub + c] = q_s · codebook_s[c]
      for (let s = 0; s < m; s++) {
        const sub = subColumns(qs, { d, from: s * dsub, dsub });
        const book = this.codebooks.subarray(
          s * ksub * dsub,
          (s + 1) * ksub * dsub,
        );
        innerProducts(sub, book, { d: dsub, out: part });
        for (let q = 0; q < bq; q++) {
          lut.set(
            part.subarray(q * ksub, (q + 1) * ksub),
            (q * m + s) * ksub,
          );
        }
      }
      for (let q = 0; q < bq; q++) {
        for (let l = 0; l < nlist; l++) probe.push(qc[q * nlist + l], l);
        probe.drainInto(probed, 0);
        const table = lut.subarray(q * m * ksub, (q + 1) * m * ksub);
        for (let p = 0; p < nprobe; p++) {
          const l = probed.ids[p];
          scanList(
            { codes, ids, table, m, ksub, heap },
            offsets[l],
            offsets[l + 1],
            qc[q * nlist + l],
          );
        }
        heap.drainInto(result, (q0 + q) * k);
      }
    }
    return result;
  }

  /**
   * The stored approximation c + r̂ of row `id` (what search scores
   * against), for inspecting quantisation error.
   */
  reconstruct(id: number): Float32Array {
    checkInt(id, { name: "id", lo: 0, hi: this.n - 1 });
    const pos = this.listIds.indexOf(id);
    let l = 0;
    while (this.listOffsets[l + 1] <= pos) l++;
    const { d, m } = this;
    const ksub = 1 << this.nbits, dsub = d / m;
    const out = this.centroids.slice(l * d, l * d + d);
    for (let s = 0; s < m; s++) {
      const c = this.codes[pos * m + s];
      const w = (s * ksub + c) * dsub;
      for (let t = 0; t < dsub; t++) out[s * dsub + t] += this.codebooks[w + t];
    }
    return out;
  }

  /** List sizes and memory use. */
  stats(): IvfPqStats {
    const listSizes = new Int32Array(this.nlist);
    for (let l = 0; l < this.nlist; l++) {
      listSizes[l] = this.listOffsets[l + 1] - this.listOffsets[l];
    }
    const codes = this.codes.byteLength;
    const ids = this.listIds.byteLength + this.listOffsets.byteLength;
    const centroids = this.centroids.byteLength;
    const codebooks = this.codebooks.byteLength;
    return {
      n: this.n,
      d: this.d,
      nlist: this.nlist,
      m: this.m,
      nbits: this.nbits,
      listSizes,
      emptyLists: listSizes.filter((s) => s === 0).length,
      maxListSize: Math.max(...listSizes),
      memoryBytes: {
        codes,
        ids,
        centroids,
        codebooks,
        total: codes + ids + centroids + codebooks,
      },
    };
  }
}

// The hot loop of search, kept small so V8 optimises it on its own: score
// entries start..end−1 of one list as base + Σ_s table[s·ksub + code_s].
function scanList(
  ctx: {
    codes: Uint8Array;
    ids: Int32Array;
    table: Float32Array;
    m: number;
    ksub: number;
    heap: TopK;
  },
  start: number,
  end: number,
  base: number,
): void {
  const { codes, ids, table, m, ksub, heap } = ctx;
  const width = m * ksub;
  let threshold = heap.threshold;
  for (let e = start, o = start * m; e < end; e++) {
    let s = base;
    for (let t = 0; t < width; t += ksub) s += table[t + codes[o++]];
    if (s >= threshold) {
      heap.push(s, ids[e]);
      threshold = heap.threshold;
    }
  }
}

function gatherRows(
  x: Float32Array,
  options: { d: number; rows: ArrayLike<number> },
): Float32Array {
  const { d, rows } = options;
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    out.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
  }
  return out;
}

function residuals(
  x: Float32Array,
  options: { d: number; centroids: Float32Array; assignments: Int32Array },
): Float32Array {
  const { d, centroids, assignments } = options;
  const out = new Float32Array(x.length);
  for (let i = 0; i < assignments.length; i++) {
    const c = assignments[i] * d;
    for (let t = 0; t < d; t++) {
      out[i * d + t] = x[i * d + t] - centroids[c + t];
    }
  }
  return out;
}

function subColumns(
  x: Float32Array,
  options: { d: number; from: number; dsub: number },
): Float32Array {
  const { d, from, dsub } = options;
  const n = x.length / d;
  const out = new Float32Array(n * dsub);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dsub; t++) out[i * dsub + t] = x[i * d + from + t];
  }
  return out;
}
