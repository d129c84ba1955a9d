/**
 * Embedding-health diagnostics: alignment and uniformity (Wang & Isola,
 * ICML 2020), mean pairwise cosine, and effective rank (Roy & Vetterli,
 * EUSIPCO 2007), plus the symmetric Jacobi eigen-solver behind the rank.
 *
 * They tell a collapsing model (everything maps to one direction: mean
 * cosine → 1, effective rank → 1, uniformity → 0) from a healthy one before
 * any recall number is computed. Alignment and uniformity assume
 * L2-normalised embeddings, as the paper's towers produce; they are
 * computed on the vectors as given.
 *
 * @module
 */

import { Rng } from "../data/mod.ts";
import { checkInt, innerProducts, rowsOf } from "./kernels.ts";

/** Options for {@link alignment}. */
export interface AlignmentOptions {
  /** Dimension. */
  d: number;
  /** Exponent α of the distance; default 2. */
  alpha?: number;
}

/**
 * Alignment = mean over positive pairs (row i of `x` with row i of `y`) of
 * ‖x_i − y_i‖^α. Lower is better; 0 when every pair coincides.
 */
export function alignment(
  x: Float32Array,
  y: Float32Array,
  options: AlignmentOptions,
): number {
  const { d, alpha = 2 } = options;
  const n = rowsOf(x, { d, name: "x" });
  rowsOf(y, { d, name: "y", n });
  if (n === 0) throw new RangeError("alignment needs at least one pair");
  if (!(alpha > 0)) throw new RangeError(`alpha must be > 0, got ${alpha}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = i * d; t < i * d + d; t++) {
      const diff = x[t] - y[t];
      s += diff * diff;
    }
    sum += alpha === 2 ? s : s ** (alpha / 2);
  }
  return sum / n;
}

/** Options for {@link uniformity}. */
export interface UniformityOptions {
  /** Dimension. */
  d: number;
  /** Temperature t; default 2. */
  t?: number;
  /** Up to this many rows all n(n−1)/2 pairs are used; default 2000. */
  exactMaxN?: number;
  /** Pairs drawn (uniformly, i ≠ j) above `exactMaxN`; default 1,000,000. */
  pairs?: number;
  /** Seed of the pair sampling; default 0. */
  seed?: number;
}

/**
 * Uniformity = log mean over pairs i ≠ j of exp(−t‖x_i − x_j‖²). Lower is
 * more uniform; 0 when all rows coincide; −4t is the floor for unit vectors
 * (antipodal). Exact over all pairs for n ≤ `exactMaxN` (distances from a
 * float32 Gram matrix, error ~1e-7); otherwise a seeded sample of pairs with
 * float64 distances. The log-mean-exp is computed stably.
 */
export function uniformity(
  x: Float32Array,
  options: UniformityOptions,
): number {
  const { d, t = 2, seed = 0 } = options;
  const exactMaxN = checkInt(options.exactMaxN ?? 2000, {
    name: "exactMaxN",
    lo: 2,
  });
  const pairs = checkInt(options.pairs ?? 1_000_000, { name: "pairs", lo: 1 });
  const n = rowsOf(x, { d, name: "x" });
  if (n < 2) throw new RangeError(`uniformity needs n >= 2 rows, got ${n}`);
  if (!(t > 0)) throw new RangeError(`t must be > 0, got ${t}`);
  const acc = new LogMeanExp();
  if (n <= exactMaxN) {
    const block = 256;
    // Squared norms from the same kernel as the cross terms, so identical
    // rows give a distance of exactly 0.
    const sq = new Float64Array(n);
    for (let i0 = 0; i0 < n; i0 += block) {
      const i1 = Math.min(n, i0 + block);
      const rows = x.subarray(i0 * d, i1 * d);
      const g = innerProducts(rows, rows, { d });
      for (let i = 0; i < i1 - i0; i++) sq[i0 + i] = g[i * (i1 - i0) + i];
    }
    for (let i0 = 0; i0 < n; i0 += block) {
      const i1 = Math.min(n, i0 + block);
      const g = innerProducts(x.subarray(i0 * d, i1 * d), x, { d });
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * n;
        for (let j = i + 1; j < n; j++) {
          const dist = Math.max(0, sq[i] + sq[j] - 2 * g[row + j]);
          acc.add(-t * dist);
        }
      }
    }
  } else {
    const rng = new Rng(seed);
    for (let p = 0; p < pairs; p++) {
      const i = rng.int(n);
      let j = rng.int(n - 1);
      if (j >= i) j++;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const diff = x[i * d + c] - x[j * d + c];
        s += diff * diff;
      }
      acc.add(-t * s);
    }
  }
  return acc.value();
}

/** Streaming log(mean(exp(v))) without overflow or underflow. */
class LogMeanExp {
  #max = -Infinity;
  #sum = 0;
  #count = 0;

  add(v: number): void {
    this.#count++;
    if (v <= this.#max) {
      this.#sum += Math.exp(v - this.#max);
    } else {
      this.#sum = this.#sum * Math.exp(this.#max - v) + 1;
      this.#max = v;
    }
  }

  value(): number {
    return this.#max + Math.log(this.#sum / this.#count);
  }
}

/**
 * Mean cosine similarity over all ordered pairs i ≠ j (off-diagonal), in
 * O(n·d): with unit rows u_i, Σ_{i≠j} u_i·u_j = ‖Σ u_i‖² − Σ ‖u_i‖². All-zero
 * rows count as cosine 0. 1 for identical directions, 0 for an orthonormal
 * set, −1/(n−1) at the most spread.
 */
export function meanCosine(x: Float32Array, options: { d: number }): number {
  const { d } = options;
  const n = rowsOf(x, { d, name: "x" });
  if (n < 2) throw new RangeError(`meanCosine needs n >= 2 rows, got ${n}`);
  const sum = new Float64Array(d);
  let self = 0;
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let c = i * d; c < i * d + d; c++) norm += x[c] * x[c];
    if (norm === 0) continue;
    const inv = 1 / Math.sqrt(norm);
    let unit = 0;
    for (let c = 0; c < d; c++) {
      const u = x[i * d + c] * inv;
      sum[c] += u;
      unit += u * u;
    }
    self += unit;
  }
  let total = 0;
  for (let c = 0; c < d; c++) total += sum[c] * sum[c];
  return (total - self) / (n * (n - 1));
}

/** Options for {@link effectiveRank}. */
export interface EffectiveRankOptions {
  /** Dimension (at most 1024; the eigen-solver is O(d³) per sweep). */
  d: number;
  /**
   * Subtract the column means first (rank of the spread around the mean,
   * via the covariance) instead of the raw matrix; default false, so a set
   * of identical rows has rank 1.
   */
  center?: boolean;
}

// Singular values are square roots of Gram eigenvalues, so anything below
// ~sqrt(eps)·σ_max is rounding, not signal.
const SINGULAR_CUTOFF = 1e-7;

/**
 * Effective rank (Roy & Vetterli 2007) of the `[n, d]` matrix: exp of the
 * Shannon entropy of its normalised singular values p_i = σ_i / Σσ. Between
 * 1 (rank one) and d (all singular values equal). Singular values come from
 * the eigenvalues of the d × d Gram matrix XᵀX (float64) via
 * {@link jacobiEigen}; those below 1e-7·σ_max are treated as 0.
 */
export function effectiveRank(
  x: Float32Array,
  options: EffectiveRankOptions,
): number {
  const { d, center = false } = options;
  checkInt(d, { name: "d", lo: 1, hi: 1024 });
  const n = rowsOf(x, { d, name: "x" });
  if (n === 0) throw new RangeError("effectiveRank needs at least one row");
  const g = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) g[row + b] += xa * x[o + b];
    }
  }
  if (center) {
    const mu = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) mu[a] += x[i * d + a] / n;
    }
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) g[a * d + b] -= n * mu[a] * mu[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < a; b++) g[a * d + b] = g[b * d + a];
  }
  const { values } = jacobiEigen(g, { n: d, vectors: false });
  return entropyRank(values);
}

/** exp(entropy) of normalised square roots of non-negative eigenvalues. */
function entropyRank(eigenvalues: Float64Array): number {
  const sigma = Array.from(eigenvalues, (v) => Math.sqrt(Math.max(0, v)));
  const top = Math.max(...sigma);
  if (!(top > 0)) throw new RangeError("effectiveRank: the matrix is zero");
  let total = 0;
  for (const s of sigma) if (s > SINGULAR_CUTOFF * top) total += s;
  let h = 0;
  for (const s of sigma) {
    if (s <= SINGULAR_CUTOFF * top) continue;
    const p = s / total;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** Options for {@link jacobiEigen}. */
export interface JacobiOptions {
  /** Matrix size (the input is `[n, n]`, row-major). */
  n: number;
  /** Stop when the off-diagonal norm ≤ tol · the total norm; default 1e-14. */
  tol?: number;
  /** Most cyclic sweeps; default 100 (typically 6–12 are needed). */
  maxSweeps?: number;
  /** Whether to accumulate eigenvectors; default true. */
  vectors?: boolean;
}

/** Eigen-decomposition of a symmetric matrix. */
export interface EigenResult {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /**
   * Eigenvectors `[n, n]` row-major: column j is the unit eigenvector of
   * `values[j]` (absent with `vectors: false`).
   */
  vectors?: Float64Array;
  /** Sweeps used. */
  sweeps: number;
}

/**
 * Eigenvalues (and vectors) of a real symmetric matrix by the cyclic
 * Jacobi method: sweep over all (p, q) pairs, zeroing a_pq with the plane
 * rotation whose tangent is the smaller root of t² + 2θt − 1 = 0,
 * θ = (a_qq − a_pp) / (2a_pq) (the stable choice). Quadratic convergence;
 * accurate to float64 rounding relative to the matrix norm.
 */
export function jacobiEigen(
  matrix: ArrayLike<number>,
  options: JacobiOptions,
): EigenResult {
  const n = checkInt(options.n, { name: "n", lo: 1 });
  const { tol = 1e-14, vectors = true } = options;
  const maxSweeps = checkInt(options.maxSweeps ?? 100, {
    name: "maxSweeps",
    lo: 1,
  });
  if (matrix.length !== n * n) {
    throw new RangeError(
      `matrix: expected n × n = ${n * n} entries, got ${matrix.length}`,
    );
  }
  const a = Float64Array.from(matrix);
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new RangeError(`matrix: non-finite entry ${a[i]} at ${i}`);
    }
    total += a[i] * a[i];
  }
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      const x = a[p * n + q], y = a[q * n + p];
      if (Math.abs(x - y) > 1e-9 * Math.sqrt(total)) {
        throw new RangeError(
          `matrix is not symmetric: [${p},${q}] = ${x} but [${q},${p}] = ${y}`,
        );
      }
      a[p * n + q] = a[q * n + p] = (x + y) / 2;
    }
  }
  const v = vectors ? new Float64Array(n * n) : null;
  if (v) { for (let i = 0; i < n; i++) v[i * n + i] = 1; }
  const stop = tol * tol * total;
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    let off = 0;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q] * a[p * n + q];
    }
    if (off <= stop) break;
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.abs(theta) > 1e150
          ? 1 / (2 * theta)
          : Math.sign(theta || 1) / (Math.abs(theta) + Math.hypot(theta, 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = a[k * n + p], akq = a[k * n + q];
          const np = c * akp - s * akq, nq = s * akp + c * akq;
          a[k * n + p] = a[p * n + k] = np;
          a[k * n + q] = a[q * n + k] = nq;
        }
        a[p * n + p] = app - t * apq;
        a[q * n + q] = aqq + t * apq;
        a[p * n + q] = a[q * n + p] = 0;
        if (v) {
          for (let k = 0; k < n; k++) {
            const vkp = v[k * n + p], vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
          }
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i)
    .sort((i, j) => a[j * n + j] - a[i * n + i] || i - j);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  if (!v) return { values, sweeps };
  const sorted = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) sorted[k * n + j] = v[k * n + order[j]];
  }
  return { values, vectors: sorted, sweeps };
}

/** Options for {@link embeddingHealth}. */
export interface HealthOptions {
  /** Dimension. */
  d: number;
  /** Uniformity temperature; default 2. */
  t?: number;
  /** Alignment exponent; default 2. */
  alpha?: number;
  /** Seed for sampled uniformity; default 0. */
  seed?: number;
}

/** All diagnostics of {@link embeddingHealth}. */
export interface HealthReport {
  /** Alignment of the positive pairs (query row i, item row i). */
  alignment: number;
  /** Uniformity of the query embeddings. */
  uniformityQueries: number;
  /** Uniformity of the item embeddings. */
  uniformityItems: number;
  /** Mean off-diagonal item–item cosine. */
  meanCosine: number;
  /** Effective rank of the item embeddings (uncentred). */
  effectiveRank: number;
}

/**
 * The diagnostics in one call, for positive pairs given as aligned rows of
 * `queries` and `items`.
 */
export function embeddingHealth(
  queries: Float32Array,
  items: Float32Array,
  options: HealthOptions,
): HealthReport {
  const { d, t, alpha, seed } = options;
  return {
    alignment: alignment(queries, items, { d, alpha }),
    uniformityQueries: uniformity(queries, { d, t, seed }),
    uniformityItems: uniformity(items, { d, t, seed }),
    meanCosine: meanCosine(items, { d }),
    effectiveRank: effectiveRank(items, { d }),
  };
}
