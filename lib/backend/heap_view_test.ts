import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertThrows, TEST_BACKENDS } from "../testing.ts";
import { readFloat32View } from "./heap_view.ts";
import { initBackend } from "./init.ts";

for (const backend of TEST_BACKENDS) {
  Deno.test(`readFloat32View on ${backend} reads the same values as dataSync`, async () => {
    await initBackend({ backend, quiet: true });
    const t = tf.tensor2d([[1.5, -2], [3, 4.25], [0, 7]]);
    assertEquals([...readFloat32View(t)], [...(t.dataSync() as Float32Array)]);
    const i = tf.tensor1d([1, 2], "int32");
    assertThrows(() => readFloat32View(i), TypeError, "int32");
    tf.dispose([t, i]);
  });
}
