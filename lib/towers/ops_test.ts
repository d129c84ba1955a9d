import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import type { PaddedIds } from "../features/mod.ts";
import {
  assertClose,
  assertEquals,
  assertThrows,
  TEST_BACKENDS,
} from "../testing.ts";
import {
  collectRowGradients,
  embeddingBag,
  flatBag,
  gatherRows,
  l2Normalize,
  lookupPadded,
  maskedMean,
  matMul,
  paddedBatch,
} from "./ops.ts";

function padded(rows: number[][], maxLen: number): PaddedIds {
  const n = rows.length;
  const ids = new Int32Array(n * maxLen);
  const mask = new Float32Array(n * maxLen);
  const lengths = Int32Array.from(rows, (r) => r.length);
  rows.forEach((r, i) =>
    r.forEach((id, t) => {
      ids[i * maxLen + t] = id;
      mask[i * maxLen + t] = 1;
    })
  );
  return { ids, mask, lengths, n, maxLen };
}

Deno.test("flatBag and paddedBatch slice rows, merge parts, trim padding", () => {
  const a = padded([[1, 2], [3], []], 3);
  const b = padded([[4], [], [5, 5]], 2);
  const bag = flatBag([a, b], Int32Array.from([2, 0]));
  assertEquals(Array.from(bag.ids), [5, 5, 1, 2, 4]);
  assertEquals(Array.from(bag.segments), [0, 0, 1, 1, 1]);
  assertEquals(Array.from(bag.counts), [2, 3]);
  const p = paddedBatch(a, Int32Array.from([1, 2]));
  assertEquals([p.len, Array.from(p.ids), Array.from(p.mask)], [1, [3, 0], [
    1,
    0,
  ]]);
  assertEquals(paddedBatch(a, Int32Array.from([2])).len, 0);
});

for (const backend of TEST_BACKENDS) {
  Deno.test(`embeddingBag and gatherRows match tf.gather, values and gradients [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    const table = tf.tensor2d(
      Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      [6, 4],
    );
    // Row 0 repeats id 2; row 2 is empty.
    const p = padded([[2, 5, 2], [1], []], 3);
    const bag = flatBag([p], Int32Array.from([0, 1, 2]));
    const dy = tf.tensor2d(Array.from({ length: 12 }, (_, i) => (i % 5) - 2), [
      3,
      4,
    ]);
    for (const mode of ["sum", "mean"] as const) {
      const ours = tf.valueAndGrad((t: tf.Tensor) =>
        tf.sum(tf.mul(embeddingBag(t as tf.Tensor2D, bag, { mode }), dy))
      )(table);
      const ref = tf.valueAndGrad((t: tf.Tensor) => {
        const rows = tf.gather(t, tf.tensor1d(bag.ids, "int32"));
        let s = tf.unsortedSegmentSum(
          rows,
          tf.tensor1d(bag.segments, "int32"),
          3,
        );
        if (mode === "mean") s = tf.div(s, tf.tensor2d([3, 1, 1], [3, 1]));
        return tf.sum(tf.mul(s, dy));
      })(table);
      assertClose(ours.value.dataSync(), ref.value.dataSync(), 1e-5, mode);
      assertClose(ours.grad.dataSync(), ref.grad.dataSync(), 1e-6, mode);
      // Rows 0, 3, 4 are in no bag: zero gradient.
      const g = ours.grad.arraySync() as number[][];
      for (const r of [0, 3, 4]) assertEquals(g[r], [0, 0, 0, 0]);
      tf.dispose([ours.value, ours.grad, ref.value, ref.grad]);
    }
    const out = embeddingBag(table, bag, { mode: "mean" });
    assertEquals(out.arraySync()[2], [0, 0, 0, 0]);
    // gatherRows with a duplicate id, and the padded lookup built on it.
    const ids = Int32Array.from([3, 0, 3]);
    const dg = tf.tensor2d(Array.from({ length: 12 }, (_, i) => i), [3, 4]);
    const g1 = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, ids), dg))
    )(table);
    const g2 = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, "int32")), dg))
    )(table);
    assertClose(g1.dataSync(), g2.dataSync(), 0);
    const pb = paddedBatch(p, Int32Array.from([0, 1]));
    const look = lookupPadded(table, pb);
    assertEquals(look.shape, [2, 3, 4]);
    const mean = maskedMean(look, pb);
    assertClose(mean.dataSync(), out.dataSync().slice(0, 8), 1e-6);
    assertThrows(
      () => gatherRows(table, Int32Array.from([6])),
      RangeError,
      "id 6 is outside the table's 6 rows",
    );
    tf.dispose([table, dy, out, dg, g1, g2, look, mean]);
  });
}

Deno.test("collectRowGradients: row-sparse gradients equal the dense gradient's rows, lookups merged", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const init = tf.tensor2d(
    Array.from({ length: 24 }, (_, i) => Math.cos(i)),
    [6, 4],
  );
  const table = tf.variable(init, true);
  const other = tf.variable(tf.ones([4, 2]), true);
  const p = padded([[2, 5, 2], [1], []], 3);
  const bag = flatBag([p], Int32Array.from([0, 1, 2]));
  const ids = Int32Array.from([3, 2, 3]);
  const dy = tf.tensor2d(Array.from({ length: 6 }, (_, i) => i - 2.5), [3, 2]);
  // Two lookups of the same table (a mean bag and a row gather), then a
  // dense layer that is differentiated normally.
  const loss = () =>
    tf.sum(
      tf.mul(
        tf.matMul(
          tf.add(
            embeddingBag(table, bag, { mode: "mean" }),
            gatherRows(table, ids),
          ),
          other,
        ),
        dy,
      ),
    ) as tf.Scalar;
  const dense = tf.variableGrads(loss, [table, other]);
  const sparse = collectRowGradients(
    { t: table },
    (probes) => tf.variableGrads(loss, [other, ...probes]),
  );
  assertClose(
    sparse.result.value.dataSync(),
    dense.value.dataSync(),
    0,
    "loss",
  );
  assertClose(
    sparse.result.grads[other.name].dataSync(),
    dense.grads[other.name].dataSync(),
    0,
    "dense weight",
  );
  const rg = sparse.gradients.get("t")!;
  // Distinct rows in the order the backward pass met them: the gather
  // (last lookup, first differentiated) gives 3, 2; the bag adds 5, 1.
  assertEquals(Array.from(rg.ids), [3, 2, 5, 1]);
  const full = dense.grads[table.name].arraySync() as number[][];
  for (let r = 0; r < rg.ids.length; r++) {
    assertClose(
      rg.rows.slice(r * 4, r * 4 + 4),
      full[rg.ids[r]],
      1e-6,
      `row ${rg.ids[r]}`,
    );
  }
  for (const r of [0, 4]) assertEquals(full[r], [0, 0, 0, 0]);
  // Outside the collector the lookups are dense again.
  const again = tf.variableGrads(loss, [table, other]);
  assertClose(
    again.grads[table.name].dataSync(),
    dense.grads[table.name].dataSync(),
    0,
  );
  tf.dispose([init, dy, dense.value, sparse.result.value, again.value]);
  tf.dispose(Object.values(dense.grads));
  tf.dispose(Object.values(sparse.result.grads));
  tf.dispose(Object.values(again.grads));
  table.dispose();
  other.dispose();
});

Deno.test("l2Normalize: unit rows, zero row stays zero", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const x = tf.tensor2d([[3, 4], [0, 0], [1e-3, 0]]);
  const y = l2Normalize(x);
  assertClose(y.dataSync(), [0.6, 0.8, 0, 0, 1, 0], 1e-6);
  tf.dispose([x, y]);
});

Deno.test("matMul: values and gradients match tf.matMul (2-D, transposeB, batched)", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const fill = (shape: number[], k: number) =>
    tf.tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) =>
        Math.cos(i * k)),
      shape,
    );
  const cases: [number[], number[], boolean][] = [
    [[3, 4], [4, 5], false],
    [[3, 4], [5, 4], true],
    [[2, 3, 4], [2, 4, 5], false],
    [[2, 2, 3, 4], [2, 2, 5, 4], true],
  ];
  for (const [sa, sb, tB] of cases) {
    const a = fill(sa, 0.7);
    const b = fill(sb, 1.3);
    const outShape = [
      ...sa.slice(0, -1),
      tB ? sb[sb.length - 2] : sb[sb.length - 1],
    ];
    const dy = fill(outShape, 0.4);
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(matMul(x, y, { transposeB: tB }), dy))
    )([a, b]);
    const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(x, y, false, tB), dy))
    )([a, b]);
    const value = matMul(a, b, { transposeB: tB });
    const refValue = tf.matMul(a, b, false, tB);
    assertEquals(value.shape, refValue.shape);
    assertClose(value.dataSync(), refValue.dataSync(), 1e-5, `${sa} ${sb}`);
    assertClose(ours[0].dataSync(), ref[0].dataSync(), 1e-5, `da ${sa}`);
    assertClose(ours[1].dataSync(), ref[1].dataSync(), 1e-5, `db ${sb}`);
    tf.dispose([a, b, dy, value, refValue, ...ours, ...ref]);
  }
  const a = fill([2, 3, 4], 1);
  const b = fill([1, 4, 5], 1);
  assertThrows(
    () => matMul(a, b),
    RangeError,
    "equal batch dimensions required",
  );
  tf.dispose([a, b]);
});
