/**
 * Adam for the dense weights, with tfjs' arithmetic and a small memory peak.
 *
 * `tf.train.adam`'s `applyGradients` runs the update of every weight inside
 * one `tf.tidy`, so the dozen temporaries of each update (m·β1, g², m̂, √v̂, …)
 * all stay alive until the last weight is done. On the DSSM reference model
 * (two 30,000 × 300 tables, 36 MB each) that is about 1 GB of temporaries
 * per step, and the wasm heap never shrinks: a 30-step run peaked at 2.3 GB
 * resident (docs/performance.md#memory). This optimiser applies the same
 * operations in the same order, on the same backend kernels, so the weights
 * are bit-for-bit those of `tf.train.adam` (tested), but frees each
 * temporary as soon as the next operation has read it:
 *
 *   m ← m·β1 + g·(1 − β1),   v ← v·β2 + g²·(1 − β2),
 *   θ ← θ + (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε) · (−lr).
 *
 * The gradient may first be scaled (global-norm clipping) by a float32
 * scalar tensor: `g·s` is the product the training loop used to form.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { type AdamState, weightsOnRead } from "./checkpoint.ts";
import type { LazyAdamOptions } from "./lazy_adam.ts";

const f = Math.fround;

/** Adam over named dense weights (see the module documentation). */
export class DenseAdam {
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #options: LazyAdamOptions;
  readonly #weights: [string, tf.Variable][];
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();
  #accBeta1: number;
  #accBeta2: number;
  #iterations = 0;

  /**
   * Adam over `weights` (by name, in the order their gradients will come)
   * with tfjs' hyper-parameter conventions (`tf.train.adam(lr, β1, β2, ε)`).
   */
  constructor(
    weights: Readonly<Record<string, tf.Variable>>,
    options: LazyAdamOptions,
  ) {
    this.#weights = Object.entries(weights);
    this.#options = options;
    this.#beta1 = f(options.beta1);
    this.#beta2 = f(options.beta2);
    // tfjs starts its running β powers at β (float32 variables).
    this.#accBeta1 = this.#beta1;
    this.#accBeta2 = this.#beta2;
  }

  /**
   * One step: `grads[i]` is the gradient of the i-th weight, multiplied by
   * `options.scale` first when given. The gradients are not disposed.
   */
  apply(
    grads: readonly tf.Tensor[],
    options: { scale?: tf.Scalar | null } = {},
  ): void {
    if (grads.length !== this.#weights.length) {
      throw new RangeError(
        `Adam: ${grads.length} gradients for ${this.#weights.length} weights`,
      );
    }
    const { lr, beta1, beta2, epsilon } = this.#options;
    const scale = options.scale ?? null;
    // tfjs: sub(1, accBeta) on float32 scalars.
    const oneMinusAcc1 = tf.scalar(f(1 - this.#accBeta1));
    const oneMinusAcc2 = tf.scalar(f(1 - this.#accBeta2));
    try {
      for (let i = 0; i < grads.length; i++) {
        const [name, variable] = this.#weights[i];
        const gradient = grads[i];
        let m = this.#m.get(name), v = this.#v.get(name);
        if (!m || !v) {
          // tfjs' own moments: zeros, not trainable.
          m = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
          v = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
          this.#m.set(name, m);
          this.#v.set(name, v);
        }
        const g = scale ? tf.mul(gradient, scale) : gradient;
        // m·β1 + g·(1 − β1); each line frees what it consumed, so at most
        // three temporaries of the weight's shape are alive at once.
        let m1 = tf.mul(m, beta1);
        let t = tf.mul(g, 1 - beta1);
        m1 = swap(m1, tf.add(m1, t));
        // v·β2 + g²·(1 − β2)
        t = swap(t, tf.square(g));
        t = swap(t, tf.mul(t, 1 - beta2));
        let v1 = tf.mul(v, beta2);
        v1 = swap(v1, tf.add(v1, t));
        t.dispose();
        if (g !== gradient) g.dispose();
        let mh = tf.div(m1, oneMinusAcc1);
        let vh = tf.div(v1, oneMinusAcc2);
        m.assign(m1);
        v.assign(v1);
        m1.dispose();
        v1.dispose();
        // θ + m̂ / (√v̂ + ε) · (−lr)
        vh = swap(vh, tf.sqrt(vh));
        vh = swap(vh, tf.add(vh, epsilon));
        mh = swap(mh, tf.div(mh, vh));
        vh.dispose();
        mh = swap(mh, tf.mul(mh, -lr));
        const next = tf.add(mh, variable);
        mh.dispose();
        variable.assign(next);
        next.dispose();
      }
    } finally {
      tf.dispose([oneMinusAcc1, oneMinusAcc2]);
    }
    this.#accBeta1 = f(this.#accBeta1 * this.#beta1);
    this.#accBeta2 = f(this.#accBeta2 * this.#beta2);
    this.#iterations++;
  }

  /**
   * The moments and scalars by weight name (null before the first step).
   * Each moment's `data` is copied out of the backend when it is read, so
   * a checkpoint writer holds one at a time, not all of them (146 MB on
   * the DSSM reference model); read them before the next {@link apply}.
   */
  getState(): AdamState | null {
    if (this.#m.size === 0) return null;
    const names = this.#weights.map(([name]) => name);
    const moments = (map: Map<string, tf.Variable>) =>
      names.map((name) => {
        const t = map.get(name);
        if (!t) throw new Error(`Adam has no moments for weight '${name}'`);
        return t;
      });
    const m = weightsOnRead(names, moments(this.#m));
    const v = weightsOnRead(names, moments(this.#v));
    return {
      iterations: this.#iterations,
      accBeta1: this.#accBeta1,
      accBeta2: this.#accBeta2,
      m,
      v,
    };
  }

  /** Restores {@link getState}'s result (every weight must be in it). */
  setState(state: AdamState): void {
    for (const [name, x] of this.#weights) {
      const m = state.m[name], v = state.v[name];
      if (!m || !v) {
        throw new Error(`optimizer state has no moments for weight '${name}'`);
      }
      for (const w of [m, v]) {
        if (w.data.length !== x.size) {
          throw new RangeError(
            `optimizer state: the moments of '${name}' have ${w.data.length} values, the weight ${x.size}`,
          );
        }
      }
    }
    for (const [name] of this.#weights) {
      for (
        const [map, w] of [[this.#m, state.m], [this.#v, state.v]] as const
      ) {
        map.get(name)?.dispose();
        const t = w[name];
        map.set(
          name,
          tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), false)),
        );
      }
    }
    this.#iterations = state.iterations;
    this.#accBeta1 = f(state.accBeta1);
    this.#accBeta2 = f(state.accBeta2);
  }

  /** Frees the moments. */
  dispose(): void {
    for (const x of [...this.#m.values(), ...this.#v.values()]) x.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}

// Returns `next` after freeing `prev` (which `next` was computed from).
function swap(prev: tf.Tensor, next: tf.Tensor): tf.Tensor {
  prev.dispose();
  return next;
}
