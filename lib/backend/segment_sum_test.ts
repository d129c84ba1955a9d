import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertThrows,
  TEST_BACKENDS,
} from "../testing.ts";
import { initBackend } from "./init.ts";
import { segmentSumInto } from "./segment_sum.ts";

Deno.test("segmentSumInto sums duplicate ids and drops negative ids", () => {
  const out = new Float32Array(6);
  out.fill(9); // must be overwritten
  segmentSumInto([1, 2, 3, 4, 5, 6, 7, 8], [2, -1, 2, 0], out);
  assertEquals(Array.from(out), [7, 8, 0, 0, 6, 8]);
  assertThrows(
    () => segmentSumInto([1, 2], [3], new Float32Array(6)),
    RangeError,
    "not below numSegments 3",
  );
});

for (const backend of TEST_BACKENDS) {
  Deno.test(`gather gradient with duplicate ids [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    const before = tf.memory().numTensors;
    const dyValues = [
      [1, 2, 3],
      [10, 20, 30],
      [0.5, -1, 2],
      [-4, 0.25, 7],
    ];
    const grad = tf.tidy(() => {
      const table = tf.tensor2d(
        Array.from({ length: 12 }, (_, i) => i * 0.1),
        [4, 3],
      );
      const ids = tf.tensor1d([1, 3, 1, 1], "int32");
      const dy = tf.tensor2d(dyValues);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), dy));
      return tf.grad(f)(table);
    });
    // Row 1 is gathered at positions 0, 2, 3; row 3 at position 1.
    const row1 = [0, 1, 2].map((k) =>
      dyValues[0][k] + dyValues[2][k] + dyValues[3][k]
    );
    assertEquals(grad.shape, [4, 3]);
    assertClose(
      grad.dataSync(),
      [0, 0, 0, ...row1, 0, 0, 0, ...dyValues[1]],
      1e-6,
    );
    grad.dispose();
    assertEquals(tf.memory().numTensors, before);
  });

  Deno.test(`UnsortedSegmentSum on 3-D x with an empty segment [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    // x: [4, 2, 2]; ids send rows to segments 2, 0, 2, 4; segments 1, 3 empty.
    const x = Array.from({ length: 16 }, (_, i) => i + 1);
    const ids = [2, 0, 2, 4];
    const expected = new Array(5 * 4).fill(0);
    for (let i = 0; i < 4; i++) {
      for (let k = 0; k < 4; k++) expected[ids[i] * 4 + k] += x[i * 4 + k];
    }
    const out = tf.tidy(() =>
      tf.unsortedSegmentSum(
        tf.tensor3d(x, [4, 2, 2]),
        tf.tensor1d(ids, "int32"),
        5,
      )
    );
    assertEquals(out.shape, [5, 2, 2]);
    assertEquals(out.dtype, "float32");
    assertClose(out.dataSync(), expected, 0);
    out.dispose();

    const outInt = tf.tidy(() =>
      tf.unsortedSegmentSum(
        tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], "int32"),
        tf.tensor1d([1, 1, 0], "int32"),
        3,
      )
    );
    assertEquals(outInt.dtype, "int32");
    assertEquals(Array.from(outInt.dataSync()), [5, 6, 4, 6, 0, 0]);
    outInt.dispose();
  });

  Deno.test(`our kernel is the registered one [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    // The built-in cpu kernel silently ignores an id ≥ numSegments; ours
    // throws, which shows the override is active.
    assertThrows(
      () =>
        tf.tidy(() =>
          tf.unsortedSegmentSum(
            tf.tensor1d([1, 2]),
            tf.tensor1d([0, 3], "int32"),
            3,
          )
        ),
      RangeError,
      "segment id 3",
    );
  });
}
