import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { hashUnit } from "../features/mod.ts";
import { assertClose, assertEquals, assertTrue } from "../testing.ts";
import { towerConfig } from "./config.ts";
import { TINY_FEATURES, tinyDataset } from "./fixtures.ts";
import { MgdsprTower } from "./mgdspr.ts";
import { paddedBatch } from "./ops.ts";

const D = 8;

function build() {
  const ds = tinyDataset();
  const config = towerConfig(
    { kind: "mgdspr", features: TINY_FEATURES, dim: D, heads: 2 },
    { dataset: ds },
  );
  const model = new MgdsprTower(config, 3);
  return { model, inputs: model.prepare(ds) };
}

/** The mean of two words' rows of the word table, by hand. */
function wordMean(words: Float32Array, pair: [string, string]): number[] {
  const ids = pair.map((x) => hashUnit(x, "word", { buckets: 256 }));
  return Array.from(
    { length: D },
    (_, j) => (words[ids[0] * D + j] + words[ids[1] * D + j]) / 2,
  );
}

/** A test on a freshly built tower (wasm backend), disposed after it. */
function towerTest(
  name: string,
  fn: (built: ReturnType<typeof build>) => void,
): void {
  Deno.test(name, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const built = build();
    fn(built);
    built.model.dispose();
  });
}

towerTest(
  "mgdspr: empty history → the user branch is exactly the zero vector",
  ({ model, inputs }) => {
    // Row 0: user 100 (history of 2 items); row 1: user 101 (empty history);
    // row 2: no user. In one batch, so row 1 and 2 sit next to real ids.
    const rows = Int32Array.from([0, 1, 2]);
    const units = model.queryUnits(inputs, rows);
    assertEquals(units.shape, [3, 6, D]);
    const u = units.arraySync();
    assertTrue(u[0][5].some((x) => x !== 0), "user with history");
    assertEquals(u[1][5], new Array(D).fill(0));
    assertEquals(u[2][5], new Array(D).fill(0));
    // q_mix (unit 4) is the sum of the first four.
    for (let b = 0; b < 3; b++) {
      const sum = u[b][4].map((_, j) =>
        u[b][0][j] + u[b][1][j] + u[b][2][j] + u[b][3][j]
      );
      assertClose(u[b][4], sum, 1e-6);
    }
    // A batch with no history at all takes the zero path too.
    const none = model.queryUnits(inputs, Int32Array.from([1, 2])).arraySync();
    assertEquals(none[0][5], new Array(D).fill(0));
    units.dispose();
  },
);

towerTest(
  "mgdspr: behaviour attention and word mean by hand",
  ({ model, inputs }) => {
    const w = model.getWeights();
    const table = w["item/id"].data;
    const wu = w["query/user/wu"].data;
    const rows = Int32Array.from([0]);
    // Query 0's user saw items 11 and 12: id-table rows 12, 13 (item_id + 1).
    const hist = paddedBatch(inputs.queries.history, rows);
    assertEquals(Array.from(hist.ids), [12, 13]);
    const qMix = Array.from({ length: D }, (_, j) => Math.sin(j + 1));
    const u = Array.from({ length: D }, (_, j) => {
      let s = 0;
      for (let i = 0; i < D; i++) s += qMix[i] * wu[i * D + j];
      return s;
    });
    const r = [12, 13].map((id) =>
      Array.from(table.subarray(id * D, (id + 1) * D))
    );
    const logits = [
      0,
      ...r.map((x) => x.reduce((a, xi, j) => a + xi * u[j], 0) / Math.sqrt(D)),
    ];
    const e = logits.map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    const expected = Array.from(
      { length: D },
      (_, j) => (e[1] * r[0][j] + e[2] * r[1][j]) / z,
    );
    const h = tf.tidy(() => model.userAttention(tf.tensor2d([qMix]), hist));
    assertClose(h.dataSync(), expected, 1e-6);
    h.dispose();

    // q_word of "red chair": mean of the two word rows.
    const words = w["query/word"].data;
    const mean = wordMean(words, ["red", "chair"]);
    const units = model.queryUnits(inputs, rows);
    assertClose(units.arraySync()[0][2], mean, 1e-6);
    units.dispose();
  },
);

towerTest(
  "mgdspr: item = id embedding + tanh(W_t · mean title words), normalised",
  ({ model, inputs }) => {
    const w = model.getWeights();
    const words = w["query/word"].data; // shared with the query tower
    const wt = w["item/wt"].data;
    const id = w["item/id"].data;
    // Item row 3: title "red lamp", item_id 13, id-table row 14.
    const m = wordMean(words, ["red", "lamp"]);
    const raw = Array.from({ length: D }, (_, j) => {
      let s = 0;
      for (let i = 0; i < D; i++) s += m[i] * wt[i * D + j];
      return id[14 * D + j] + Math.tanh(s);
    });
    const norm = Math.hypot(...raw);
    const v = model.encodeItems(inputs, Int32Array.from([3]));
    assertClose(v.dataSync(), raw.map((x) => x / norm), 1e-6);
    v.dispose();
  },
);
