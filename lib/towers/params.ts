/**
 * Named trainable weights of a tower, initialised deterministically.
 *
 * Each weight draws from its own {@link Rng}, seeded by
 * MurmurHash3(name, seed), so a weight's initial value depends only on the
 * model seed and its name, not on the order in which weights are created.
 *
 * Initialisers: dense matrices use Glorot/Xavier uniform
 * U(±sqrt(6 / (fan_in + fan_out))), as DSSM does (DSSM's first layer is a
 * dense layer over the trigram count vector, so it is Glorot with fan_in =
 * trigram buckets); lookup tables use U(±0.05) (Keras' embedding default,
 * since Glorot over a 50k-row table would start them near zero); biases
 * start at zero.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../data/mod.ts";
import { murmur3String } from "../features/mod.ts";

/** Scale of the uniform initialiser of lookup tables. */
export const EMBEDDING_INIT_SCALE = 0.05;

/** A weight's values, as stored in checkpoints. */
export interface WeightValue {
  /** Tensor shape. */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** Named weights, see {@link Params.getWeights}. */
export type Weights = Record<string, WeightValue>;

// tfjs variable names are global; a per-instance prefix keeps them unique.
let instances = 0;

/** The Glorot/Xavier uniform bound sqrt(6 / (fanIn + fanOut)). */
export function glorotLimit(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/** The weights of one model: created, looked up, saved and restored by name. */
export class Params {
  readonly #seed: number;
  readonly #prefix: string;
  readonly #vars = new Map<string, tf.Variable>();
  readonly #rowSparse = new Set<string>();
  #disposed = false;

  /** An empty set of weights for a model seeded with `seed`. */
  constructor(seed: number, label: string) {
    if (!Number.isInteger(seed)) {
      throw new RangeError(`seed must be an integer, got ${seed}`);
    }
    this.#seed = seed;
    this.#prefix = `towers/${label}#${++instances}/`;
  }

  #rng(name: string): Rng {
    return new Rng(murmur3String(name, this.#seed >>> 0) | 0);
  }

  #add(name: string, shape: number[], values: Float32Array): tf.Variable {
    if (this.#vars.has(name)) throw new Error(`weight '${name}' defined twice`);
    // The variable shares the initial tensor's data; dropping the initial
    // tensor's reference lets dispose() free the weights.
    const init = tf.tensor(values, shape);
    const v = tf.variable(init, true, this.#prefix + name);
    init.dispose();
    this.#vars.set(name, v);
    return v;
  }

  /** A tensor of `shape` filled with U(−limit, limit) draws of the weight's Rng. */
  uniform(name: string, shape: number[], limit: number): tf.Variable {
    const rng = this.#rng(name);
    const size = tf.util.sizeFromShape(shape);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * limit;
    return this.#add(name, shape, values);
  }

  /**
   * A `[fanIn, fanOut]` matrix with Glorot uniform values. `rowSparse`:
   * the tower reads it only through row lookups (DSSM's first layer over
   * trigram buckets), see {@link Params.rowSparse}.
   */
  glorot(
    name: string,
    fanIn: number,
    fanOut: number,
    options: { rowSparse?: boolean } = {},
  ): tf.Variable {
    const v = this.uniform(name, [fanIn, fanOut], glorotLimit(fanIn, fanOut));
    if (options.rowSparse) this.#rowSparse.add(name);
    return v;
  }

  /**
   * A lookup table `[rows, dim]` with U(±{@link EMBEDDING_INIT_SCALE})
   * values. Row-sparse unless `rowSparse: false` (a table the tower also
   * reads whole, e.g. sliced position embeddings).
   */
  embedding(
    name: string,
    rows: number,
    dim: number,
    options: { rowSparse?: boolean } = {},
  ): tf.Variable {
    const v = this.uniform(name, [rows, dim], EMBEDDING_INIT_SCALE);
    if (options.rowSparse ?? true) this.#rowSparse.add(name);
    return v;
  }

  /**
   * Names of the weights that the towers read only through the row
   * lookups of `ops.ts` (`embeddingBag`, `gatherRows`, `lookupPadded`),
   * in creation order: an optimiser may take their gradients row-sparse
   * ({@link collectRowGradients}) and update only the rows a batch used.
   */
  rowSparse(): string[] {
    return this.names().filter((n) => this.#rowSparse.has(n));
  }

  /** A zero-initialised weight (biases). */
  zeros(name: string, shape: number[]): tf.Variable {
    const size = tf.util.sizeFromShape(shape);
    return this.#add(name, shape, new Float32Array(size));
  }

  /** The weight called `name`; throws if there is none. */
  get(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (!v) throw new Error(`no weight '${name}'`);
    return v;
  }

  /** The weight `name` as a matrix; throws if there is none or it is not 2-D. */
  matrix(name: string): tf.Tensor2D {
    return this.#ofRank(name, 2) as tf.Tensor2D;
  }

  /** The weight `name` as a vector; throws if there is none or it is not 1-D. */
  vector(name: string): tf.Tensor1D {
    return this.#ofRank(name, 1) as tf.Tensor1D;
  }

  #ofRank(name: string, rank: number): tf.Variable {
    const v = this.get(name);
    if (v.rank !== rank) {
      throw new Error(`weight '${name}' has rank ${v.rank}, not ${rank}`);
    }
    return v;
  }

  /** Weight names, in creation order. */
  names(): string[] {
    return [...this.#vars.keys()];
  }

  /** All weights, in creation order. */
  variables(): tf.Variable[] {
    this.#checkAlive();
    return [...this.#vars.values()];
  }

  /** Copies of all weights' values, keyed by name. */
  getWeights(): Weights {
    this.#checkAlive();
    const out: Weights = {};
    for (const [name, v] of this.#vars) {
      out[name] = {
        shape: [...v.shape],
        data: Float32Array.from(v.dataSync() as Float32Array),
      };
    }
    return out;
  }

  /**
   * Overwrites every weight. The names must be exactly this model's and
   * the shapes must match; otherwise a `RangeError` names the first
   * offending weight and nothing is changed.
   */
  setWeights(weights: Weights): void {
    this.#checkAlive();
    const given = Object.keys(weights);
    for (const name of given) {
      if (!this.#vars.has(name)) {
        throw new RangeError(
          `setWeights: unknown weight '${name}'; this model has ${
            this.names().join(", ")
          }`,
        );
      }
    }
    for (const [name, v] of this.#vars) {
      const w = weights[name];
      if (!w) throw new RangeError(`setWeights: weight '${name}' is missing`);
      const size = tf.util.sizeFromShape(v.shape);
      if (
        w.shape.length !== v.shape.length ||
        w.shape.some((s, i) => s !== v.shape[i]) || w.data.length !== size
      ) {
        throw new RangeError(
          `setWeights: weight '${name}' has shape [${w.shape}] (${w.data.length} values); expected [${v.shape}]`,
        );
      }
    }
    for (const [name, v] of this.#vars) {
      const w = weights[name];
      tf.tidy(() => v.assign(tf.tensor(w.data, v.shape)));
    }
  }

  /** Frees every weight. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#vars.values()) v.dispose();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error("the model has been disposed");
  }
}
