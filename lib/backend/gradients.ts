/**
 * Gradient definitions for the tfjs kernels this package trains through.
 *
 * `@tensorflow/tfjs-core` registers no gradients at all: tfjs ships them only
 * in the `@tensorflow/tfjs` union bundle, and the per-kernel ES modules under
 * `tfjs-core/dist/gradients/` cannot be loaded in Deno (extensionless relative
 * imports). Measured here: with tfjs-core + cpu/wasm only, `tf.grad` fails with
 * "gradient function not found for Sum". (The union bundle does get loaded as
 * a side effect of trying tfjs-node, even when that import fails, so "auto"
 * happened to have gradients and an explicit "wasm" or "cpu" did not.)
 * Re-measured with the union bundle imported on purpose (tfjs 4.22): of the
 * kernels listed here it has no gradient for 11 (DPSR's step runs `Less`),
 * fails on broadcast inputs for 4 and differs by design for 3, and its
 * BatchMatMul backward is 2–4× slower on wasm; so it could replace at most
 * half of this file, for a second copy of tfjs-core in every process
 * (docs/environment.md#gradients).
 *
 * These are written from the calculus, one entry per kernel, and
 * {@link registerGradients} installs them for every kernel in
 * {@link GRADIENT_KERNELS}, replacing any registered before, so training
 * computes the same gradients whichever way the backend was selected. A kernel
 * outside the list fails loudly in `tf.grad` ("gradient function not found
 * for X"): add it here, with a finite-difference test in gradients_test.ts.
 * No entry for `LogSoftmax` or `BroadcastTo`: tfjs-core 4.22's
 * `tf.logSoftmax` is a `customGrad` of other kernels and `tf.broadcastTo`
 * runs `Tile`, so no op records either kernel on the tape.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

type T = tf.Tensor;
type Attrs = tf.NamedAttrMap;
type GradMap = Record<string, () => T>;
type Config = Parameters<typeof tf.registerGradient>[0];

// --- shape helpers --------------------------------------------------------

/** Non-negative, sorted, distinct axes; null/undefined means all axes. */
function axesOf(axis: unknown, rank: number): number[] {
  if (axis === null || axis === undefined) {
    return Array.from({ length: rank }, (_, i) => i);
  }
  const list = Array.isArray(axis) ? axis as number[] : [axis as number];
  const out = list.map((a) => (a < 0 ? a + rank : a));
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Sums a broadcast gradient back to `shape` (leading and size-1 axes). */
function unbroadcast(g: T, shape: readonly number[]): T {
  let out = g;
  const lead = out.rank - shape.length;
  if (lead > 0) {
    out = tf.sum(out, Array.from({ length: lead }, (_, i) => i));
  }
  const axes: number[] = [];
  shape.forEach((s, i) => {
    if (s === 1 && out.shape[i] !== 1) axes.push(i);
  });
  if (axes.length > 0) out = tf.sum(out, axes, true);
  if (!tf.util.arraysEqual(out.shape, [...shape])) {
    out = tf.reshape(out, [...shape]);
  }
  return out === g ? tf.clone(g) : out;
}

/** dy of a reduction over `axes`, spread back over x's shape. */
function spread(dy: T, xShape: number[], axes: number[]): T {
  const kept = xShape.map((s, i) => (axes.includes(i) ? 1 : s));
  const g = tf.reshape(dy, kept);
  // Measured (256×256 from 256×1): on wasm a broadcasting multiply takes ~1 ms
  // against ~11 ms for BroadcastTo (Tile); on cpu Tile is ~3× the faster one.
  return tf.getBackend() === "wasm"
    ? tf.mul(tf.ones(xShape), g)
    : tf.broadcastTo(g, xShape);
}

/**
 * op(a)·op(b), like `tf.matMul(a, b, transposeA, transposeB)`. For 2-D
 * operands the transposes are made explicit: wasm's BatchMatMul with a
 * transpose flag measured ~10× slower than a transpose followed by a plain
 * product (256×128 by 128×256: ~20 ms against ~2–5 ms).
 */
export function matMulT(
  a: T,
  b: T,
  transposeA = false,
  transposeB = false,
): T {
  if (a.rank !== 2 || b.rank !== 2) {
    return tf.matMul(a, b, transposeA, transposeB);
  }
  return tf.matMul(
    transposeA ? tf.transpose(a) : a,
    transposeB ? tf.transpose(b) : b,
  );
}

// tf.fill, not tf.zeros: tfjs-core's zeros builds the array in JavaScript
// and uploads it (a [350, 100, 128] condition's zero gradient was 18 MB of
// upload per step in MGDSPR's backward; docs/performance.md#profile).
function zerosOf(x: T): T {
  return tf.fill(x.shape, 0, "float32");
}

function asFloat(x: T): T {
  return x.dtype === "float32" ? x : tf.cast(x, "float32");
}

function single(dy: T | T[]): T {
  return Array.isArray(dy) ? dy[0] : dy;
}

function list(dy: T | T[]): T[] {
  return Array.isArray(dy) ? dy : [dy];
}

// --- definitions ----------------------------------------------------------

const configs: Config[] = [];

/** Kernel whose only input `x` gets dx = f(dy, saved x). */
function unaryX(kernelName: string, f: (dy: T, x: T, attrs: Attrs) => T) {
  configs.push({
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => ({
      x: () => f(single(dy), saved[0], attrs),
    }),
  });
}

/** Kernel whose only input `x` gets dx = f(dy, saved output y). */
function unaryY(kernelName: string, f: (dy: T, y: T) => T) {
  configs.push({
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => f(single(dy), saved[0]) }),
  });
}

/** Broadcasting binary kernel (inputs a, b). */
function binary(
  kernelName: string,
  da: (dy: T, a: T, b: T) => T,
  db: (dy: T, a: T, b: T) => T,
) {
  configs.push({
    kernelName,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const g = single(dy);
      return {
        a: () => unbroadcast(da(g, a, b), a.shape),
        b: () => unbroadcast(db(g, a, b), b.shape),
      };
    },
  });
}

/** Kernel that is piecewise constant in all `inputs`: zero gradients. */
function zero(kernelName: string, inputs: string[]) {
  configs.push({
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) =>
      Object.fromEntries(
        inputs.map((name, i) => [name, () => zerosOf(saved[i])]),
      ),
  });
}

// Elementwise, in terms of the input x.
unaryX("Abs", (dy, x) => tf.mul(dy, tf.sign(asFloat(x))));
unaryX("Log", (dy, x) => tf.div(dy, x));
unaryX("Log1p", (dy, x) => tf.div(dy, tf.add(x, 1)));
unaryX("Square", (dy, x) => tf.mul(dy, tf.mul(x, 2)));
unaryX("Reciprocal", (dy, x) => tf.neg(tf.div(dy, tf.square(x))));
unaryX("Relu", (dy, x) => tf.mul(dy, asFloat(tf.greater(x, 0))));
unaryX(
  "Relu6",
  (dy, x) =>
    tf.mul(dy, asFloat(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)))),
);
unaryX(
  "LeakyRelu",
  (dy, x, attrs) =>
    tf.mul(dy, tf.where(tf.greater(x, 0), 1, Number(attrs.alpha))),
);
unaryX("Softplus", (dy, x) => tf.mul(dy, tf.sigmoid(x)));
unaryX(
  "Erf",
  (dy, x) =>
    tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI))),
);
unaryX("Sin", (dy, x) => tf.mul(dy, tf.cos(x)));
unaryX("Cos", (dy, x) => tf.neg(tf.mul(dy, tf.sin(x))));
unaryX("ClipByValue", (dy, x, attrs) => {
  const inside = tf.logicalAnd(
    tf.greaterEqual(x, Number(attrs.clipValueMin)),
    tf.lessEqual(x, Number(attrs.clipValueMax)),
  );
  return tf.mul(dy, asFloat(inside));
});
unaryX("Neg", (dy) => tf.neg(dy));
unaryX("Identity", (dy) => tf.clone(dy));
unaryX("Cast", (dy, x) => x.dtype === "float32" ? tf.clone(dy) : zerosOf(x));
unaryX("Reshape", (dy, x) => tf.reshape(dy, x.shape));

// Elementwise, in terms of the output y.
unaryY("Exp", (dy, y) => tf.mul(dy, y));
unaryY("Sqrt", (dy, y) => tf.div(dy, tf.mul(y, 2)));
unaryY("Rsqrt", (dy, y) => tf.mul(dy, tf.mul(tf.pow(y, 3), -0.5)));
unaryY("Tanh", (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y))));
unaryY("Sigmoid", (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y))));
unaryY(
  "Elu",
  (dy, y) => tf.mul(dy, tf.where(tf.greater(y, 0), 1, tf.add(y, 1))),
);

// Broadcasting binary.
binary("Add", (dy) => dy, (dy) => dy);
binary("Sub", (dy) => dy, (dy) => tf.neg(dy));
binary("Multiply", (dy, _a, b) => tf.mul(dy, b), (dy, a) => tf.mul(dy, a));
binary(
  "RealDiv",
  (dy, _a, b) => tf.div(dy, b),
  (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
);
binary(
  "Maximum",
  (dy, a, b) => tf.mul(dy, asFloat(tf.greaterEqual(a, b))),
  (dy, a, b) => tf.mul(dy, asFloat(tf.less(a, b))),
);
binary(
  "Minimum",
  (dy, a, b) => tf.mul(dy, asFloat(tf.lessEqual(a, b))),
  (dy, a, b) => tf.mul(dy, asFloat(tf.greater(a, b))),
);
binary(
  "SquaredDifference",
  (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(a, b), 2)),
  (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(b, a), 2)),
);
binary(
  "Pow",
  (dy, a, b) => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
  // d/db a^b = a^b log a, taken as 0 where a <= 0 (log undefined).
  (dy, a, b) => {
    const positive = tf.greater(a, 0);
    const logA = tf.where(positive, tf.log(tf.where(positive, a, 1)), 0);
    return tf.mul(dy, tf.mul(tf.pow(a, b), logA));
  },
);

// Piecewise constant: zero gradients (so they may sit on a gradient path).
for (const name of ["Equal", "NotEqual", "Greater", "GreaterEqual", "Less"]) {
  zero(name, ["a", "b"]);
}
for (const name of ["LessEqual", "LogicalAnd", "LogicalOr", "FloorDiv"]) {
  zero(name, ["a", "b"]);
}
for (const name of ["Sign", "Floor", "Ceil", "Round", "Step", "IsNan"]) {
  zero(name, ["x"]);
}
for (
  const name of ["LogicalNot", "ArgMax", "ArgMin", "ZerosLike", "OnesLike"]
) {
  zero(name, ["x"]);
}
zero("OneHot", ["indices"]);

configs.push({
  kernelName: "AddN",
  saveAllInputs: true,
  gradFunc: (dy, saved) =>
    Object.fromEntries(
      saved.map((_, i) => [String(i), () => tf.clone(single(dy))]),
    ),
});

// Reductions.
for (const [kernelName, axisAttr] of [["Sum", "axis"], ["Mean", "axis"]]) {
  configs.push({
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const axes = axesOf(attrs[axisAttr], x.rank);
      return {
        x: () => {
          const g = spread(single(dy), x.shape, axes);
          if (kernelName === "Sum") return g;
          const count = axes.reduce((n, a) => n * x.shape[a], 1);
          return tf.div(g, count);
        },
      };
    },
  });
}
for (
  const [kernelName, axisAttr] of [["Max", "reductionIndices"], ["Min", "axis"]]
) {
  // Every element equal to the extreme gets the full dy (as in TensorFlow).
  configs.push({
    kernelName,
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const axes = axesOf(attrs[axisAttr], x.rank);
      return {
        x: () => {
          const hit = asFloat(tf.equal(x, spread(y, x.shape, axes)));
          return tf.mul(spread(single(dy), x.shape, axes), hit);
        },
      };
    },
  });
}
configs.push({
  kernelName: "Softmax",
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const y = saved[0];
    const axis = axesOf(attrs.dim ?? -1, y.rank);
    return {
      logits: () => {
        const g = single(dy);
        return tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), axis, true)));
      },
    };
  },
});
configs.push({
  kernelName: "Cumsum",
  gradFunc: (dy, _saved, attrs) => ({
    x: () =>
      tf.cumsum(
        single(dy),
        Number(attrs.axis),
        Boolean(attrs.exclusive),
        !attrs.reverse,
      ),
  }),
});

// Matrix product, batch dimensions broadcast.
configs.push({
  kernelName: "BatchMatMul",
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const g = single(dy);
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    // y = op(a)·op(b); da, db follow from dy for each transpose combination.
    const da = () => !tA ? matMulT(g, b, false, !tB) : matMulT(b, g, tB, true);
    const db = () => !tB ? matMulT(a, g, !tA, false) : matMulT(g, a, true, tA);
    return {
      a: () => unbroadcast(da(), a.shape),
      b: () => unbroadcast(db(), b.shape),
    };
  },
});

// Shape manipulation.
configs.push({
  kernelName: "ExpandDims",
  inputsToSave: ["input"],
  gradFunc: (dy, saved) => ({
    input: () => tf.reshape(single(dy), saved[0].shape),
  }),
});
configs.push({
  kernelName: "Transpose",
  gradFunc: (dy, _saved, attrs) => {
    const perm = attrs.perm as number[];
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return { x: () => tf.transpose(single(dy), inverse) };
  },
});
configs.push({
  kernelName: "Slice",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0];
    const beginList = typeof attrs.begin === "number"
      ? [attrs.begin]
      : attrs.begin as number[];
    const sizeList = typeof attrs.size === "number"
      ? [attrs.size]
      : attrs.size as number[];
    const paddings = x.shape.map((dim, i): [number, number] => {
      const begin = beginList[i] ?? 0;
      const rawSize = sizeList[i] ?? -1;
      const size = rawSize === -1 ? dim - begin : rawSize;
      return [begin, dim - begin - size];
    });
    return { x: () => tf.pad(single(dy), paddings) };
  },
});
configs.push({
  kernelName: "PadV2",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0];
    const begin = (attrs.paddings as [number, number][]).map((p) => p[0]);
    return { x: () => tf.slice(single(dy), begin, x.shape) };
  },
});
configs.push({
  kernelName: "Reverse",
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.reverse(single(dy), attrs.dims as number | number[]),
  }),
});
configs.push({
  kernelName: "Tile",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0];
    const reps = attrs.reps as number[];
    return {
      x: () => {
        // View dy as [r0, s0, r1, s1, ...] and sum over the repetition axes.
        const interleaved = x.shape.flatMap((s, i) => [reps[i], s]);
        const repAxes = x.shape.map((_, i) => 2 * i);
        return tf.reshape(
          tf.sum(tf.reshape(single(dy), interleaved), repAxes),
          x.shape,
        );
      },
    };
  },
});
configs.push({
  kernelName: "Concat",
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const axis = axesOf(attrs.axis, saved[0].rank)[0];
    const sizes = saved.map((t) => t.shape[axis]);
    const parts = tf.split(single(dy), sizes, axis);
    return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
  },
});
configs.push({
  kernelName: "Pack",
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const parts = tf.unstack(single(dy), Number(attrs.axis));
    return Object.fromEntries(saved.map((_, i) => [String(i), () => parts[i]]));
  },
});
configs.push({
  kernelName: "Unpack",
  gradFunc: (dy, _saved, attrs) => ({
    value: () => tf.stack(list(dy), Number(attrs.axis)),
  }),
});
configs.push({
  kernelName: "SplitV",
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.concat(list(dy), Number(attrs.axis)),
  }),
});

// Indexing.
configs.push({
  kernelName: "GatherV2",
  inputsToSave: ["x", "indices"],
  gradFunc: (dy, saved, attrs) => {
    const [x, indices] = saved;
    if (Number(attrs.batchDims ?? 0) !== 0) {
      throw new Error(
        "gradients.ts: the gradient of tf.gather with batchDims != 0 is not implemented",
      );
    }
    const axis = axesOf(attrs.axis ?? 0, x.rank)[0];
    return {
      x: () => gatherGrad(single(dy), x.shape, indices, axis),
      indices: () => zerosOf(indices),
    };
  },
});

// dy has shape x[:axis] + indices.shape + x[axis+1:]; rows of dy are summed
// into the gathered rows of x (duplicates add up) via UnsortedSegmentSum.
function gatherGrad(dy: T, xShape: number[], indices: T, axis: number): T {
  const outer = xShape.slice(0, axis);
  const inner = xShape.slice(axis + 1);
  const idxRank = indices.rank;
  const perm = [
    ...Array.from({ length: idxRank }, (_, i) => axis + i),
    ...Array.from({ length: axis }, (_, i) => i),
    ...Array.from({ length: inner.length }, (_, i) => axis + idxRank + i),
  ];
  const moved = axis === 0 ? dy : tf.transpose(dy, perm);
  const rows = tf.reshape(moved, [indices.size, ...outer, ...inner]);
  const ids = tf.reshape(tf.cast(indices, "int32"), [
    indices.size,
  ]) as tf.Tensor1D;
  const summed = tf.unsortedSegmentSum(rows, ids, xShape[axis]);
  if (axis === 0) return summed;
  // summed: [N, outer..., inner...] → [outer..., N, inner...]
  const back = [
    ...Array.from({ length: axis }, (_, i) => i + 1),
    0,
    ...Array.from({ length: inner.length }, (_, i) => axis + 1 + i),
  ];
  return tf.transpose(summed, back);
}

configs.push({
  kernelName: "UnsortedSegmentSum",
  inputsToSave: ["segmentIds"],
  gradFunc: (dy, saved) => {
    const ids = saved[0];
    return {
      x: () => {
        const g = single(dy);
        // Negative ids were dropped in the forward pass: zero gradient there.
        const valid = tf.greaterEqual(ids, 0);
        const picked = tf.gather(g, tf.maximum(ids, tf.scalar(0, "int32")));
        const mask = tf.reshape(
          asFloat(valid),
          [...ids.shape, ...new Array(picked.rank - ids.rank).fill(1)],
        );
        return tf.mul(picked, mask);
      },
      segmentIds: () => zerosOf(ids),
    };
  },
});
configs.push({
  kernelName: "GatherNd",
  inputsToSave: ["params", "indices"],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved;
    return {
      params: () =>
        tf.scatterND(tf.cast(indices, "int32"), single(dy), params.shape),
      indices: () => zerosOf(indices),
    };
  },
});
configs.push({
  kernelName: "ScatterNd",
  inputsToSave: ["indices"],
  gradFunc: (dy, saved) => {
    const indices = saved[0];
    return {
      updates: () => tf.gatherND(single(dy), indices),
      indices: () => zerosOf(indices),
    };
  },
});
configs.push({
  kernelName: "Select",
  inputsToSave: ["condition"],
  gradFunc: (dy, saved) => {
    const condition = saved[0];
    const g = single(dy);
    return {
      condition: () => zerosOf(condition),
      t: () => tf.where(condition, g, tf.zerosLike(g)),
      e: () => tf.where(condition, tf.zerosLike(g), g),
    };
  },
});
configs.push({
  kernelName: "TopK",
  inputsToSave: ["x"],
  outputsToSave: [false, true],
  gradFunc: (dys, saved) => {
    const [x, indices] = saved;
    const dValues = list(dys)[0];
    return {
      x: () => {
        // Scatter each row's k value-gradients back to their positions.
        const n = x.shape[x.rank - 1];
        const hot = tf.oneHot(tf.cast(indices, "int32"), n); // [..., k, n]
        const g = tf.mul(asFloat(hot), tf.expandDims(dValues, -1));
        return tf.sum(g, -2);
      },
    };
  },
});

/** Kernels whose gradients {@link registerGradients} installs. */
export const GRADIENT_KERNELS: readonly string[] = Object.freeze(
  configs.map((c) => c.kernelName),
);

/**
 * Registers the gradients of {@link GRADIENT_KERNELS} with tfjs, replacing
 * any registered earlier (e.g. by the union bundle that a tfjs-node import
 * loads), so every backend path uses the same gradient code. Idempotent and
 * cheap; called by `initBackend` after each backend selection.
 */
export function registerGradients(): void {
  for (const config of configs) {
    const existing = tf.getGradient(config.kernelName);
    if (existing === config) continue;
    if (existing) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}
