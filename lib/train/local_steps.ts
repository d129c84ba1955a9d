/**
 * A training step on the calling thread: the objective's forward pass and
 * backward pass over every weight, global-norm clipping, then Adam (and
 * lazy Adam on the embedding tables with `optimizer.tables: "lazy"`). The
 * same step split over two workers is `parallel_towers.ts`; both return
 * the same {@link StepResult}.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { MaskedBatch } from "../data/mod.ts";
import type { LossStats } from "../losses/mod.ts";
import type { RowGradient } from "../towers/mod.ts";
import type { DenseAdam } from "./dense_adam.ts";
import { type LazyTableAdam, variableGradsWithTables } from "./lazy_adam.ts";
import type { Objective } from "./objectives.ts";
import type { ParallelStepResult } from "./parallel_towers.ts";
import { clipScale, clipScaleValue } from "./clip.ts";

/** What a step returns: loss, gradient norm, diagnostics, the objective's record. */
export type StepResult = ParallelStepResult;

/** What {@link LocalSteps} trains. */
export interface LocalStepsOptions {
  /** The objective (built on the model). */
  objective: Objective;
  /** The weights Adam updates densely, in the order of its state. */
  denseVars: tf.Variable[];
  /** Lazy Adam over the embedding tables, or null. */
  lazy: LazyTableAdam | null;
  /** Adam over `denseVars`. */
  optimizer: DenseAdam;
  /** Global-norm clipping (0: none). */
  clipNorm: number;
}

/** Training steps on this thread (see the module documentation). */
export class LocalSteps {
  readonly #o: LocalStepsOptions;

  /** Steps over what `options` names. */
  constructor(options: LocalStepsOptions) {
    this.#o = options;
  }

  /** One step on `batch`. */
  step(batch: MaskedBatch, o: { step: number; stats: boolean }): StepResult {
    const { objective, denseVars, lazy, optimizer, clipNorm } = this.#o;
    let stats: LossStats | null = null;
    let record: tf.Tensor1D | null = null;
    let rowGrads = new Map<string, RowGradient>();
    const packed = tf.tidy(() => {
      const lossFn = () => {
        const out = objective.forward(batch, o);
        stats = out.stats;
        record = out.record;
        return out.loss;
      };
      const { value, grads, rows } = variableGradsWithTables(
        lossFn,
        denseVars,
        { tables: lazy?.tables() ?? null },
      );
      rowGrads = rows;
      const list = denseVars.map((v) => grads[v.name] ?? tf.zerosLike(v));
      // Inner tidies and DenseAdam free each [V, D] temporary at once:
      // the wasm heap keeps its peak for the rest of the run.
      const squares = list.map((x) => tf.tidy(() => tf.sum(tf.square(x))));
      if (lazy) squares.push(tf.scalar(lazy.sumSquares(rowGrads)));
      const norm = tf.sqrt(tf.addN(squares));
      optimizer.apply(list, { scale: clipScale(norm, clipNorm) });
      tf.dispose(list);
      return tf.stack([value, norm]);
    });
    const [loss, gradNorm] = packed.dataSync();
    packed.dispose();
    if (lazy) {
      // The same float32 factor the dense weights were scaled by.
      lazy.apply(rowGrads, { scale: clipScaleValue(gradNorm, clipNorm) });
    }
    let recorded: Float32Array | null = null;
    if (record !== null) {
      const r = record as tf.Tensor1D;
      recorded = r.dataSync() as Float32Array;
      r.dispose();
    }
    return { loss, gradNorm, stats: stats as LossStats | null, recorded };
  }
}
