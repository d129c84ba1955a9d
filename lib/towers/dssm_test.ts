import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { charTrigrams, featureConfig, hashUnit } from "../features/mod.ts";
import { assertClose, assertEquals, assertTrue } from "../testing.ts";
import { towerConfig } from "./config.ts";
import { DssmTower } from "./dssm.ts";
import { TINY_FEATURES, tinyDataset } from "./fixtures.ts";

const BUCKETS = 512;
const H = 16;

/** tanh(W1ᵀx + b1) with x the trigram count vector of `texts`, by hand. */
function byHand(
  w1: Float32Array,
  b1: Float32Array,
  texts: string[],
): number[] {
  const x = new Map<number, number>();
  for (const t of texts) {
    for (const u of charTrigrams(t)) {
      const id = hashUnit(u, "charTrigram", { buckets: BUCKETS });
      x.set(id, (x.get(id) ?? 0) + 1);
    }
  }
  const out: number[] = [];
  for (let j = 0; j < H; j++) {
    let s = b1[j];
    for (const [id, count] of x) s += count * w1[id * H + j];
    out.push(Math.tanh(s));
  }
  return out;
}

Deno.test("dssm: first layer equals tanh(W1ᵀx + b1) for the trigram counts", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = tinyDataset();
  // "red red chair": #re, red, ed# occur twice, so x has counts of 2.
  ds.queries.text[3] = "red red chair";
  assertEquals(charTrigrams("red red chair").length, 11);
  const config = towerConfig({
    kind: "dssm",
    // Room for all 11 trigrams (the tiny config keeps 8 per query).
    features: {
      ...TINY_FEATURES,
      maxLen: { ...TINY_FEATURES.maxLen, query: 16 },
    },
    hidden: [H, 8],
    dim: 8,
  });
  const model = new DssmTower(config, 5);
  const inputs = model.prepare(ds);
  const w = model.getWeights();
  // Non-zero biases, so that a missing bias would show.
  const b1q = Float32Array.from({ length: H }, (_, j) => 0.1 * (j - 8));
  const b1i = Float32Array.from({ length: H }, (_, j) => -0.05 * j);
  w["query/b1"].data.set(b1q);
  w["item/b1"].data.set(b1i);
  model.setWeights(w);

  const rows = Int32Array.from([0, 3]);
  const q = model.firstLayer(inputs, rows, { side: "query" });
  assertEquals(q.shape, [2, H]);
  const wq = w["query/w1"].data;
  assertClose(
    q.dataSync(),
    [...byHand(wq, b1q, ["red chair"]), ...byHand(wq, b1q, ["red red chair"])],
    1e-6,
  );
  // Item 0: title "red chair", brand "Acme", category "Furniture > Chairs".
  const v = model.firstLayer(inputs, Int32Array.from([0]), { side: "item" });
  assertClose(
    v.dataSync(),
    byHand(w["item/w1"].data, b1i, ["red chair", "Acme", "Furniture > Chairs"]),
    1e-6,
  );
  tf.dispose([q, v]);
  model.dispose();
});

Deno.test("dssm: layer sizes, tanh everywhere, shared and separate towers", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = tinyDataset();
  const config = towerConfig({ kind: "dssm", features: TINY_FEATURES });
  assertEquals(
    [config.dim, config.hidden],
    [128, [300, 300]],
  );
  const model = new DssmTower(config, 1);
  const w = model.getWeights();
  assertEquals(w["query/w1"].shape, [BUCKETS, 300]);
  assertEquals(w["query/w2"].shape, [300, 300]);
  assertEquals(w["query/w3"].shape, [300, 128]);
  assertEquals(w["item/w3"].shape, [300, 128]);
  // Glorot bound of the first layer.
  const lim = Math.sqrt(6 / (BUCKETS + 300));
  assertTrue(w["query/w1"].data.every((x) => Math.abs(x) <= lim));
  assertTrue(w["query/w1"].data.some((x) => Math.abs(x) > 0.9 * lim));
  model.dispose();

  const shared = new DssmTower(
    towerConfig({
      kind: "dssm",
      features: TINY_FEATURES,
      hidden: [8],
      dim: 4,
      shared: true,
      itemFields: ["title"],
    }),
    1,
  );
  assertEquals(Object.keys(shared.getWeights()), [
    "query/w1",
    "query/b1",
    "query/w2",
    "query/b2",
  ]);
  // The names without copying the values, in the same order.
  assertEquals(shared.weightNames(), Object.keys(shared.getWeights()));
  // Shared weights and title-only items: query "red chair" and item
  // "red chair" get the same vector.
  const inputs = shared.prepare(ds);
  const q = shared.encodeQueries(inputs, Int32Array.from([0]));
  const v = shared.encodeItems(inputs, Int32Array.from([0]));
  assertClose(q.dataSync(), v.dataSync(), 0);
  // Whole tower by hand: normalise(tanh(h1·W2 + b2)), h1 the first layer.
  const sw = shared.getWeights();
  sw["query/b2"].data.set([0.3, -0.2, 0.1, 0]);
  shared.setWeights(sw);
  const first = shared.firstLayer(inputs, Int32Array.from([0]), {
    side: "query",
  });
  const h1 = first.dataSync();
  const w2 = sw["query/w2"].data;
  const out = [0, 1, 2, 3].map((j) => {
    let s = sw["query/b2"].data[j];
    for (let i = 0; i < 8; i++) s += h1[i] * w2[i * 4 + j];
    return Math.tanh(s);
  });
  const norm = Math.hypot(...out);
  const q2 = shared.encodeQueries(inputs, Int32Array.from([0]));
  assertClose(q2.dataSync(), out.map((x) => x / norm), 1e-6);
  tf.dispose([q, v, q2, first]);
  shared.dispose();
  assertEquals(featureConfig(TINY_FEATURES).buckets.charTrigram, BUCKETS);
});
