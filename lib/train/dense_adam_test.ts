import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { assertEquals, assertThrows, TEST_BACKENDS } from "../testing.ts";
import { DenseAdam } from "./dense_adam.ts";

const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

// Deterministic values with a spread of magnitudes (some tiny, some large).
function values(n: number, seed: number): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 10 ** ((i % 5) - 3),
  );
}

for (const backend of TEST_BACKENDS) {
  Deno.test(`DenseAdam equals tf.train.adam bit for bit over 5 clipped steps (${backend})`, async () => {
    await initBackend({ backend, quiet: true });
    const shapes = [[6, 4], [4], [3, 5]];
    const mk = () =>
      shapes.map((s, k) =>
        tf.variable(
          tf.tensor(values(s.reduce((a, b) => a * b), k), s),
          true,
          `w${k}-${crypto.randomUUID()}`,
        )
      );
    const a = mk(), b = mk();
    const ref = tf.train.adam(opts.lr, opts.beta1, opts.beta2, opts.epsilon);
    const named = (vs: tf.Variable[]) =>
      Object.fromEntries(vs.map((v, k) => [`w${k}`, v]));
    const ours = new DenseAdam(named(b), opts);
    for (let step = 1; step <= 5; step++) {
      const grads = shapes.map((s, k) =>
        tf.tensor(values(s.reduce((x, y) => x * y), 10 * step + k), s)
      );
      const scale = tf.scalar(Math.fround(0.3 + step / 10));
      tf.tidy(() =>
        ref.applyGradients(
          a.map((v, k) => ({ name: v.name, tensor: tf.mul(grads[k], scale) })),
        )
      );
      ours.apply(grads, { scale });
      tf.dispose([...grads, scale]);
      a.forEach((v, k) =>
        assertEquals(
          Array.from(b[k].dataSync()),
          Array.from(v.dataSync()),
          `weight ${k} after step ${step}`,
        )
      );
    }
    // The state round-trips: a restored optimiser continues identically.
    const state = ours.getState()!;
    assertEquals(state.iterations, 5);
    assertEquals(Object.keys(state.m), ["w0", "w1", "w2"]);
    const c = b.map((v) => tf.variable(v.clone(), true, `${v.name}-c`));
    const restored = new DenseAdam(named(c), opts);
    restored.setState(state);
    const g = shapes.map((s, k) =>
      tf.tensor(values(s.reduce((x, y) => x * y), 99 + k), s)
    );
    ours.apply(g);
    restored.apply(g);
    b.forEach((v, k) =>
      assertEquals(Array.from(c[k].dataSync()), Array.from(v.dataSync()))
    );
    assertThrows(
      () => new DenseAdam({ other: c[0] }, opts).setState(state),
      Error,
      "no moments for weight 'other'",
    );
    assertEquals(new DenseAdam(named(c), opts).getState(), null);
    const before = tf.memory().numTensors;
    ours.apply(g);
    assertEquals(tf.memory().numTensors, before, "no tensor leaks per step");
    tf.dispose([...a, ...b, ...c, ...g]);
    ref.dispose();
    ours.dispose();
    restored.dispose();
  });
}
