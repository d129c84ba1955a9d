import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { EMBEDDING_INIT_SCALE, glorotLimit, Params } from "./params.ts";

Deno.test("Params: a weight depends on seed and name only, not creation order", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const a = new Params(3, "t");
  a.glorot("x", 20, 30);
  a.embedding("y", 50, 4);
  const b = new Params(3, "t");
  b.embedding("y", 50, 4);
  b.glorot("x", 20, 30);
  const wa = a.getWeights();
  const wb = b.getWeights();
  assertEquals(wa.x, wb.x);
  assertEquals(wa.y, wb.y);
  assertEquals(a.names(), ["x", "y"]);
  const c = new Params(4, "t");
  c.glorot("x", 20, 30);
  assertTrue(c.getWeights().x.data.some((v, i) => v !== wa.x.data[i]));
  // Bounds: Glorot, embedding scale; values fill the range.
  const lim = glorotLimit(20, 30);
  assertTrue(wa.x.data.every((v) => Math.abs(v) <= lim));
  assertTrue(
    Math.max(...wa.x.data) > 0.9 * lim && Math.min(...wa.x.data) < -0.9 * lim,
  );
  assertTrue(wa.y.data.every((v) => Math.abs(v) <= EMBEDDING_INIT_SCALE));
  // Mean near 0, variance near lim²/3.
  const n = wa.x.data.length;
  const mean = wa.x.data.reduce((s, v) => s + v, 0) / n;
  const variance = wa.x.data.reduce((s, v) => s + v * v, 0) / n;
  assertTrue(Math.abs(mean) < 0.1 * lim, `mean ${mean}`);
  assertTrue(
    Math.abs(variance / (lim * lim / 3) - 1) < 0.15,
    `variance ${variance}`,
  );
  for (const p of [a, b, c]) p.dispose();
});

Deno.test("Params: setWeights changes nothing when one weight is bad", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const p = new Params(1, "t");
  p.zeros("b", [3]);
  p.uniform("w", [2, 2], 1);
  const before = p.getWeights();
  const bad = {
    b: { shape: [3], data: Float32Array.from([1, 2, 3]) },
    w: { shape: [4], data: new Float32Array(4) },
  };
  assertThrows(() => p.setWeights(bad), RangeError, "weight 'w' has shape [4]");
  assertEquals(p.getWeights(), before);
  p.setWeights({ ...before, b: bad.b });
  assertEquals(Array.from(p.get("b").dataSync()), [1, 2, 3]);
  assertThrows(() => p.zeros("b", [1]), Error, "defined twice");
  const n = tf.memory().numTensors;
  p.dispose();
  assertEquals(tf.memory().numTensors, n - 2);
  assertThrows(
    () => new Params(1.5, "t"),
    RangeError,
    "seed must be an integer",
  );
});

Deno.test("Params: matrix and vector return a weight of that rank, else throw naming it", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const p = new Params(1, "t");
  p.glorot("w", 3, 2);
  p.zeros("b", [2]);
  assertEquals(p.matrix("w").shape, [3, 2]);
  assertEquals(p.vector("b").shape, [2]);
  assertThrows(() => p.vector("w"), Error, "weight 'w' has rank 2, not 1");
  assertThrows(() => p.matrix("b"), Error, "weight 'b' has rank 1, not 2");
  assertThrows(() => p.matrix("none"), Error, "no weight 'none'");
  p.dispose();
});
