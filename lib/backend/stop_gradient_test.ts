import * as tf from "@tensorflow/tfjs-core";
import { assertClose, assertEquals, TEST_BACKENDS } from "../testing.ts";
import { initBackend } from "./init.ts";
import { stopGradient } from "./stop_gradient.ts";

for (const backend of TEST_BACKENDS) {
  Deno.test(`stopGradient: forward is identity, d/dx Σ sg(x)·x = x [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, -2, 3.5]);
    const [value, grad] = tf.tidy(() => [
      stopGradient(x),
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stopGradient(t), t)))(x),
    ]);
    assertEquals(Array.from(value.dataSync()), [1, -2, 3.5]);
    // Product rule with the first factor held constant: the gradient is x.
    assertClose(grad.dataSync(), [1, -2, 3.5], 1e-6);
    tf.dispose([x, value, grad]);
    assertEquals(tf.memory().numTensors, before);
  });

  Deno.test(`stopGradient: only the stopped path loses its contribution [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    const x = tf.tensor1d([0.5, -1, 2]);
    const y = tf.tensor1d([3, 4, -5]);
    // f = Σ sg(x)·y + Σ x·y: df/dx = y (path 2 only), df/dy = 2x (both paths).
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.add(tf.sum(tf.mul(stopGradient(a), b)), tf.sum(tf.mul(a, b)));
    const plain = (a: tf.Tensor, b: tf.Tensor) =>
      tf.add(tf.sum(tf.mul(a, b)), tf.sum(tf.mul(a, b)));
    const [dx, dy] = tf.grads(f)([x, y]);
    const [px] = tf.grads(plain)([x, y]);
    assertClose(dx.dataSync(), [3, 4, -5], 1e-6);
    assertClose(dy.dataSync(), [1, -2, 4], 1e-6);
    assertClose(px.dataSync(), [6, 8, -10], 1e-6);
    tf.dispose([x, y, dx, dy, px]);
  });

  Deno.test(`stopGradient on a variable gives it a zero gradient [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    const v = tf.variable(tf.tensor1d([1, 2]));
    const w = tf.variable(tf.tensor1d([3, 4]));
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.mul(stopGradient(v), w)) as tf.Scalar
    );
    assertClose(value.dataSync(), [11], 1e-6);
    assertClose(grads[v.name].dataSync(), [0, 0], 0);
    assertClose(grads[w.name].dataSync(), [1, 2], 1e-6);
    tf.dispose([v, w, value, ...Object.values(grads)]);
  });
}
