import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { createTower } from "./create.ts";
import { dpsrScore } from "./dpsr.ts";
import { TINY_FEATURES, tinyDataset } from "./fixtures.ts";

function softmaxScore(z: number[], beta: number): number {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp((x - m) / beta));
  const s = e.reduce((a, b) => a + b, 0);
  return z.reduce((acc, x, k) => acc + (e[k] / s) * x, 0);
}

Deno.test("dpsrScore: hand-computed value with 2 heads in 2-d", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  // Heads e1 = (1, 0), e2 = (0.6, 0.8); items g1 = (0.8, 0.6), g2 = (0, 1).
  const heads = tf.tensor3d([[[1, 0], [0.6, 0.8]]]);
  const items = tf.tensor2d([[0.8, 0.6], [0, 1]]);
  const s = dpsrScore(heads, items, { beta: 0.1 });
  assertEquals(s.shape, [1, 2]);
  // g1: z = (0.8, 0.96), w = softmax(8, 9.6) = (1, e^1.6)/(1 + e^1.6).
  const w2 = Math.exp(1.6) / (1 + Math.exp(1.6));
  const f1 = (1 - w2) * 0.8 + w2 * 0.96;
  assertClose(f1, 0.93312, 1e-4);
  // g2: z = (0, 0.8).
  const f2 = 0.8 * Math.exp(8) / (1 + Math.exp(8));
  assertClose(s.dataSync(), [f1, f2], 1e-5);
  // β → 0: the maximum over heads; β → ∞: the mean.
  const sMax = dpsrScore(heads, items, { beta: 1e-4 });
  assertClose(sMax.dataSync(), [0.96, 0.8], 1e-5);
  const sMean = dpsrScore(heads, items, { beta: 1e6 });
  assertClose(sMean.dataSync(), [0.88, 0.4], 1e-5);
  assertThrows(() => dpsrScore(heads, items, { beta: 0 }), RangeError, "beta");
  tf.dispose([heads, items, s, sMax, sMean]);
});

Deno.test("dpsr: model.scores is the multi-head score of its own heads", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = tinyDataset();
  const model = createTower({
    kind: "dpsr",
    features: TINY_FEATURES,
    dim: 4,
    heads: 3,
    embedDim: 5,
    hidden: 6,
    beta: 0.5,
  }, { seed: 2 });
  assertEquals(model.heads, 3);
  const inputs = model.prepare(ds);
  const q = model.encodeQueries(inputs, Int32Array.from([0, 1]));
  const v = model.encodeItems(inputs, Int32Array.from([0, 1, 2]));
  assertEquals(q.shape, [2, 12]);
  const qa = q.dataSync();
  const va = v.dataSync();
  const expected: number[] = [];
  for (let b = 0; b < 2; b++) {
    for (let n = 0; n < 3; n++) {
      const z = [0, 1, 2].map((k) => {
        let dot = 0;
        for (let j = 0; j < 4; j++) {
          dot += qa[b * 12 + k * 4 + j] * va[n * 4 + j];
        }
        return dot;
      });
      expected.push(softmaxScore(z, 0.5));
    }
  }
  const s = model.scores(q, v);
  assertClose(s.dataSync(), expected, 1e-5);
  // The heads differ (separate MLPs).
  assertTrue(Math.abs(qa[0] - qa[4]) > 1e-4);
  assertThrows(() => model.scores(v, v), RangeError, "m·d");
  tf.dispose([q, v, s]);
  model.dispose();
});
