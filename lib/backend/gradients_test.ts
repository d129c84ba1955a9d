import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertTrue, TEST_BACKENDS } from "../testing.ts";
import { initBackend } from "./init.ts";
import { GRADIENT_KERNELS } from "./gradients.ts";

interface Input {
  shape: number[];
  values: number[];
}

/** Deterministic values in [lo, hi], spaced so that no two are equal. */
function vals(n: number, lo = -1, hi = 1, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => {
    const u = ((i * 0.618034 + seed * 0.4142) % 1 + 1) % 1;
    return lo + (hi - lo) * u;
  });
}

function input(shape: number[], lo = -1, hi = 1, seed = 1): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: vals(n, lo, hi, seed) };
}

/**
 * Compares tf.grads of Σ w ⊙ f(xs) (w fixed, so dy is not all ones) with
 * central differences, step h, in float32: |analytic − numeric| ≤ tol·(1+|numeric|).
 */
function checkGrad(
  name: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Input[],
  { h = 1e-2, tol = 2e-3 } = {},
): void {
  const before = tf.memory().numTensors;
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
  const outShape = tf.tidy(() => f(...xs).shape);
  const w = tf.tensor(
    vals(outShape.reduce((a, b) => a * b, 1), 0.5, 1.5, 7),
    outShape,
  );
  const objective = (...ts: tf.Tensor[]) => tf.sum(tf.mul(f(...ts), w));
  const analytic = tf.tidy(() =>
    tf.grads(objective)(xs).map((g) => Array.from(g.dataSync()))
  );
  const scalar = (values: number[][]) =>
    tf.tidy(() =>
      objective(...values.map((v, i) => tf.tensor(v, inputs[i].shape)))
        .dataSync()[0]
    );
  for (let i = 0; i < inputs.length; i++) {
    const got = analytic[i];
    for (let k = 0; k < inputs[i].values.length; k++) {
      const plus = inputs.map((inp) => [...inp.values]);
      const minus = inputs.map((inp) => [...inp.values]);
      plus[i][k] += h;
      minus[i][k] -= h;
      const numeric = (scalar(plus) - scalar(minus)) / (2 * h);
      if (!(Math.abs(got[k] - numeric) <= tol * (1 + Math.abs(numeric)))) {
        throw new Error(
          `${name}: d/dx${i}[${k}] analytic ${got[k]} vs numeric ${numeric}`,
        );
      }
    }
  }
  tf.dispose([...xs, w]);
  assertEquals(tf.memory().numTensors, before, `${name} leaked tensors`);
}

type Case = [string, (...xs: tf.Tensor[]) => tf.Tensor, Input[]];

const pos = (shape: number[], seed = 1) => input(shape, 0.5, 2, seed);
const m23 = input([2, 3]);

const CASES: Case[] = [
  ["abs", (x) => tf.abs(x), [input([2, 3], 0.2, 1)]],
  ["abs negative", (x) => tf.abs(x), [input([2, 3], -1, -0.2)]],
  ["log", (x) => tf.log(x), [pos([2, 3])]],
  ["log1p", (x) => tf.log1p(x), [pos([2, 3])]],
  ["square", (x) => tf.square(x), [m23]],
  ["reciprocal", (x) => tf.reciprocal(x), [pos([2, 3])]],
  ["relu", (x) => tf.relu(x), [{ shape: [4], values: [-0.7, -0.2, 0.3, 0.9] }]],
  ["relu6", (x) => tf.relu6(x), [{ shape: [4], values: [-0.5, 2, 5.5, 7] }]],
  ["leakyRelu", (x) => tf.leakyRelu(x, 0.1), [
    { shape: [4], values: [-0.7, -0.2, 0.3, 0.9] },
  ]],
  ["softplus", (x) => tf.softplus(x), [m23]],
  ["erf", (x) => tf.erf(x), [m23]],
  ["sin", (x) => tf.sin(x), [m23]],
  ["cos", (x) => tf.cos(x), [m23]],
  ["clipByValue", (x) => tf.clipByValue(x, -0.5, 0.5), [
    { shape: [4], values: [-0.9, -0.3, 0.2, 0.8] },
  ]],
  ["neg", (x) => tf.neg(x), [m23]],
  ["clone", (x) => tf.clone(x), [m23]],
  ["reshape", (x) => tf.reshape(x, [3, 2]), [m23]],
  ["exp", (x) => tf.exp(x), [m23]],
  ["sqrt", (x) => tf.sqrt(x), [pos([2, 3])]],
  ["rsqrt", (x) => tf.rsqrt(x), [pos([2, 3])]],
  ["tanh", (x) => tf.tanh(x), [m23]],
  ["sigmoid", (x) => tf.sigmoid(x), [m23]],
  ["elu", (x) => tf.elu(x), [{ shape: [4], values: [-0.7, -0.2, 0.3, 0.9] }]],
  ["add broadcast", (a, b) => tf.add(a, b), [m23, input([3], -1, 1, 2)]],
  ["sub broadcast", (a, b) => tf.sub(a, b), [
    input([2, 1]),
    input([1, 3], -1, 1, 3),
  ]],
  ["mul broadcast", (a, b) => tf.mul(a, b), [m23, input([2, 1], -1, 1, 2)]],
  ["div broadcast", (a, b) => tf.div(a, b), [m23, pos([3], 2)]],
  ["div scalar", (a, b) => tf.div(a, b), [m23, { shape: [], values: [1.7] }]],
  ["maximum", (a, b) => tf.maximum(a, b), [m23, input([2, 3], -1, 1, 5)]],
  ["minimum", (a, b) => tf.minimum(a, b), [m23, input([3], -1, 1, 5)]],
  ["squaredDifference", (a, b) => tf.squaredDifference(a, b), [
    m23,
    input([3], -1, 1, 4),
  ]],
  ["pow", (a, b) => tf.pow(a, b), [pos([2, 3]), input([3], 0.5, 2.5, 3)]],
  ["addN", (a, b, c) => tf.addN([a, b, c]), [
    m23,
    input([2, 3], -1, 1, 2),
    input([2, 3], -1, 1, 3),
  ]],
  ["sum all", (x) => tf.sum(x), [m23]],
  ["sum axis 1", (x) => tf.sum(x, 1), [input([2, 3, 2])]],
  ["sum axes keepDims", (x) => tf.sum(x, [0, 2], true), [input([2, 3, 2])]],
  ["mean axis -1", (x) => tf.mean(x, -1), [input([2, 3, 2])]],
  ["max axis 1", (x) => tf.max(x, 1), [m23]],
  ["min axis 0", (x) => tf.min(x, 0, true), [m23]],
  ["softmax", (x) => tf.softmax(x), [m23]],
  ["logSoftmax", (x) => tf.logSoftmax(x), [m23]],
  ["logSumExp", (x) => tf.logSumExp(x, 1), [m23]],
  ["cumsum", (x) => tf.cumsum(x, 1), [m23]],
  ["cumsum exclusive reverse", (x) => tf.cumsum(x, 1, true, true), [m23]],
  ["matMul", (a, b) => tf.matMul(a, b), [m23, input([3, 2], -1, 1, 2)]],
  ["matMul tA", (a, b) => tf.matMul(a, b, true, false), [
    input([3, 2]),
    input([3, 4], -1, 1, 2),
  ]],
  ["matMul tB", (a, b) => tf.matMul(a, b, false, true), [
    m23,
    input([4, 3], -1, 1, 2),
  ]],
  ["matMul tA tB", (a, b) => tf.matMul(a, b, true, true), [
    input([3, 2]),
    input([4, 3], -1, 1, 2),
  ]],
  ["matMul batch", (a, b) => tf.matMul(a, b), [
    input([2, 2, 3]),
    input([2, 3, 2], -1, 1, 2),
  ]],
  ["matMul batch broadcast", (a, b) => tf.matMul(a, b), [
    input([2, 2, 3]),
    input([3, 2], -1, 1, 2),
  ]],
  ["expandDims", (x) => tf.expandDims(x, 1), [m23]],
  ["squeeze", (x) => tf.squeeze(x), [input([2, 1, 3])]],
  ["transpose", (x) => tf.transpose(x, [2, 0, 1]), [input([2, 3, 2])]],
  ["slice", (x) => tf.slice(x, [0, 1], [2, -1]), [m23]],
  ["slice 3-D", (x) => tf.slice(x, [1, 0, 1], [1, 2, 1]), [input([2, 3, 2])]],
  ["pad", (x) => tf.pad(x, [[1, 0], [0, 2]]), [m23]],
  ["reverse", (x) => tf.reverse(x, 1), [m23]],
  ["tile", (x) => tf.tile(x, [2, 3]), [m23]],
  ["tile 3-D", (x) => tf.tile(x, [1, 2, 2]), [input([2, 1, 2])]],
  ["broadcastTo", (x) => tf.broadcastTo(x, [2, 4, 3]), [input([4, 1])]],
  ["concat axis 1", (a, b) => tf.concat([a, b], 1), [
    m23,
    input([2, 2], -1, 1, 2),
  ]],
  ["concat axis -1 3-D", (a, b) => tf.concat([a, b], -1), [
    input([2, 2, 1]),
    input([2, 2, 3], -1, 1, 2),
  ]],
  ["stack", (a, b) => tf.stack([a, b], 1), [m23, input([2, 3], -1, 1, 2)]],
  ["unstack (one part used)", (x) => tf.unstack(x, 1)[2], [m23]],
  ["split", (x) => tf.mul(tf.split(x, [1, 2], 1)[1], 2), [m23]],
  [
    "gather duplicates",
    (x) => tf.gather(x, tf.tensor1d([2, 0, 2, 2], "int32")),
    [input([3, 2])],
  ],
  ["gather axis 1", (x) => tf.gather(x, tf.tensor1d([2, 0, 2], "int32"), 1), [
    input([2, 3, 2]),
  ]],
  [
    "gather 2-D indices",
    (x) => tf.gather(x, tf.tensor2d([[1, 0], [1, 1]], [2, 2], "int32")),
    [input([2, 3])],
  ],
  [
    "unsortedSegmentSum",
    (x) => tf.unsortedSegmentSum(x, tf.tensor1d([1, -1, 1], "int32"), 3),
    [input([3, 2])],
  ],
  [
    "gatherND",
    (x) =>
      tf.gatherND(x, tf.tensor2d([[1, 2], [0, 0], [1, 2]], [3, 2], "int32")),
    [m23],
  ],
  [
    "scatterND",
    (u) => tf.scatterND(tf.tensor2d([[1], [0]], [2, 1], "int32"), u, [3, 2]),
    [input([2, 2])],
  ],
  [
    "where via greater",
    (x) => tf.where(tf.greater(x, 0), tf.mul(x, 2), tf.mul(x, -3)),
    [
      { shape: [4], values: [-0.7, -0.2, 0.3, 0.9] },
    ],
  ],
  ["topk values", (x) => tf.topk(x, 2).values, [m23]],
  ["l2 normalise", (x) => tf.div(x, tf.sqrt(tf.sum(tf.square(x), 1, true))), [
    m23,
  ]],
  ["layer-norm style", (x) => {
    const { mean, variance } = tf.moments(x, 1, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3)));
  }, [m23]],
];

for (const backend of TEST_BACKENDS) {
  Deno.test(`gradients match central differences [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    for (const [name, f, inputs] of CASES) {
      try {
        checkGrad(name, f, inputs);
      } catch (err) {
        throw new Error(`case "${name}": ${(err as Error).message}`);
      }
    }
  });

  Deno.test(`gradient of a comparison-gated path is zero through the mask [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    const g = tf.tidy(() =>
      tf.grad((x: tf.Tensor) =>
        tf.sum(tf.mul(x, tf.cast(tf.greater(x, 0), "float32")))
      )(tf.tensor1d([-1, 2, 3])).arraySync()
    );
    assertEquals(g, [0, 1, 1]);
  });
}

Deno.test("registered gradient names are distinct tfjs-core kernel names", () => {
  // Names must be unique, and each is a real kernel name of tfjs-core.
  assertEquals(new Set(GRADIENT_KERNELS).size, GRADIENT_KERNELS.length);
  const known = new Set<unknown>(
    Object.values(tf).filter((v) => typeof v === "string"),
  );
  for (const name of GRADIENT_KERNELS) {
    assertTrue(known.has(name), `${name} is not a tfjs-core kernel name`);
  }
});
