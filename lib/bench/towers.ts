/**
 * Times one training step (forward + backward with `tf.variableGrads`,
 * then Adam) of each tower at batch size 350 on the synthetic `full`
 * dataset, with an in-batch softmax over `scores`. Prints a table; asserts
 * nothing (timings depend on the machine and its load).
 *
 * ```sh
 * deno run -A lib/bench/towers.ts [--backend wasm] [--steps 5] \
 *   [--kinds dssm,mgdspr,dpsr,plain] [--config '{"hidden":[128,128]}']
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { median } from "../eval/mod.ts";
import { type BackendRequest, initBackend } from "../backend/mod.ts";
import {
  type Dataset,
  DEFAULT_BATCH_SIZE,
  generateSynthetic,
  makeBatches,
  trainingPairs,
} from "../data/mod.ts";
import {
  createTower,
  type TowerConfigInput,
  type TowerKind,
} from "../towers/mod.ts";
import { DEFAULT_OPTIMIZER } from "../train/mod.ts";

/** Timings of one tower. */
export interface StepTiming {
  /** Tower kind. */
  kind: TowerKind;
  /** Trainable weights. */
  params: number;
  /** Median ms of forward + backward. */
  fwdBwdMs: number;
  /** Median ms of the Adam update. */
  adamMs: number;
  /** Loss before the first and after the last timed step. */
  loss: [number, number];
}

/** Options of {@link timeStep}. */
export interface TimeStepOptions {
  /** Settings added to the kind's defaults. */
  overrides?: Record<string, unknown>;
  /** Timed steps after 2 warm-up steps (default 5). */
  steps?: number;
  /** Batch size (default 350). */
  batchSize?: number;
}

/** Times training steps of one tower kind on `ds`. */
export function timeStep(
  ds: Dataset,
  kind: TowerKind,
  options: TimeStepOptions = {},
): StepTiming {
  const model = createTower(
    { kind, ...options.overrides } as TowerConfigInput,
    { seed: 1, dataset: ds },
  );
  const inputs = model.prepare(ds);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const batches = makeBatches(trainingPairs(ds), { batchSize, dropLast: true });
  const opt = tf.train.adam(DEFAULT_OPTIMIZER.lr);
  const labels = tf.eye(batchSize);
  const steps = options.steps ?? 5;
  const fwd: number[] = [];
  const adam: number[] = [];
  const losses: number[] = [];
  for (let s = 0; s < steps + 2; s++) {
    const b = batches[s % batches.length];
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const q = model.encodeQueries(inputs, b.queryRow, { training: true });
        const v = model.encodeItems(inputs, b.itemRow, { training: true });
        const logits = tf.div(model.scores(q, v), 0.05);
        return tf.neg(
          tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)),
        ) as tf.Scalar;
      }), model.variables());
    const loss = value.dataSync()[0];
    const t1 = performance.now();
    // Adam types its argument as variables; gradients work at runtime.
    opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
    // Reading a weight waits for the update on asynchronous backends: the
    // last one, updated last and small (not a 36 MB table).
    model.variables().at(-1)!.dataSync();
    const t2 = performance.now();
    tf.dispose(grads);
    value.dispose();
    if (s >= 2) {
      fwd.push(t1 - t0);
      adam.push(t2 - t1);
      losses.push(loss);
    }
  }
  const params = model.variables().reduce((n, v) => n + v.size, 0);
  opt.dispose();
  labels.dispose();
  model.dispose();
  return {
    kind,
    params,
    fwdBwdMs: median(fwd),
    adamMs: median(adam),
    loss: [losses[0], losses[losses.length - 1]],
  };
}

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

if (import.meta.main) {
  const info = await initBackend({
    backend: (arg("backend") ?? "wasm") as BackendRequest,
  });
  const kinds = (arg("kinds") ?? "dssm,mgdspr,dpsr,plain").split(
    ",",
  ) as TowerKind[];
  const overrides = JSON.parse(arg("config") ?? "{}");
  const steps = Number(arg("steps") ?? 5);
  const ds = generateSynthetic({ profile: "full" });
  console.log(
    `backend ${info.name}; ${ds.items.itemId.length} items, B=350, overrides ${
      JSON.stringify(overrides)
    }`,
  );
  console.log("kind    params(M)  fwd+bwd ms  adam ms  step ms  loss");
  for (const kind of kinds) {
    const t = timeStep(ds, kind, { overrides, steps });
    console.log(
      `${kind.padEnd(7)} ${(t.params / 1e6).toFixed(2).padStart(9)} ${
        t.fwdBwdMs.toFixed(0).padStart(11)
      } ${t.adamMs.toFixed(0).padStart(8)} ${
        (t.fwdBwdMs + t.adamMs).toFixed(0).padStart(8)
      }  ${t.loss[0].toFixed(3)} → ${t.loss[1].toFixed(3)}`,
    );
  }
}
