import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import type { Dataset, SyntheticTruth } from "../data/mod.ts";
import { adaptiveMarginLoss } from "../losses/mod.ts";
import type { TowerInputs, TwoTowerModel } from "../towers/mod.ts";
import {
  EXPERIMENTS_RELATIONS,
  experimentsPairPlotRows,
  experimentsPairSummary,
  type ExperimentsPairValues,
  experimentsPairValues,
  experimentsPairVerdict,
} from "./mod.ts";

await initBackend({ backend: "auto", quiet: true });

// ---------------------------------------------------------------- pair values

/** A model whose towers return fixed vectors per table row. */
function fixedModel(
  items: number[][],
  queries: number[][],
): TwoTowerModel {
  const d = items[0].length;
  const pick = (m: number[][], rows: Int32Array) =>
    tf.tensor2d(Array.from(rows, (r) => m[r]), [rows.length, d]);
  return {
    kind: "plain",
    config: {} as TwoTowerModel["config"],
    dim: d,
    heads: 1,
    prepare: () => ({}) as TowerInputs,
    encodeQueries: (_i, rows) => pick(queries, rows),
    encodeItems: (_i, rows) => pick(items, rows),
    scores: (q, v) => tf.matMul(q as tf.Tensor2D, v, false, true),
    variables: () => [],
    rowSparse: () => [],
    weightNames: () => [],
    getWeights: () => ({}),
    setWeights: () => {},
    dispose: () => {},
  };
}

function handDataset(): Dataset {
  // Three items and three train queries; query q owns item q. Query 0 also
  // labels item 1 a substitute and item 2 exact (a second positive).
  return {
    items: {
      itemId: Int32Array.from([0, 1, 2]),
      sourceId: ["", "", ""],
      title: ["a", "b", "c"],
      category: ["A > x", "A > x", "B > y"],
      brand: ["", "", ""],
      attributes: ["", "", ""],
      popularity: Float32Array.from([1, 1, 1]),
    },
    queries: {
      queryId: Int32Array.from([0, 1, 2]),
      text: ["a", "b", "c"],
      userId: Int32Array.from([-1, -1, -1]),
      split: ["train", "train", "train"],
    },
    pairs: {
      queryId: Int32Array.from([0, 1, 2, 0, 0]),
      itemId: Int32Array.from([0, 1, 2, 1, 2]),
      relevance: Int8Array.from([3, 3, 3, 2, 3]),
      split: ["train", "train", "train", "train", "train"],
    },
    meta: { name: "hand" },
  };
}

Deno.test("pair values: δ_j and τ_j by hand on three items", () => {
  const v = [[1, 0], [0.8, 0.6], [0, 1]];
  const q = [[1, 0], [0, 1], [0.6, 0.8]];
  const model = fixedModel(v, q);
  const ds = handDataset();
  const truth = {
    itemFamily: Int32Array.from([7, 7, -1]),
  } as unknown as SyntheticTruth;
  const pv = experimentsPairValues(model, { ds, truth }, {
    loss: { kind: "adaptive-margin", alpha: 0.5, delta0: 0.01 },
    step: 5,
  });
  assertEquals(pv.kind, "δ_j");
  assertEquals(pv.step, 5);
  // The relevance-3 pairs make a batch of four: (q0, v0), (q1, v1),
  // (q2, v2), (q0, v2). Masked (b, j): the same item, or an item labelled
  // exact for query b: (0, 2), (0, 3), (2, 3), (3, 0), (3, 2).
  type P = [number, number, number, number, number];
  const got: P[] = Array.from(pv.value, (_, i): P => [
    Math.round(pv.similarity[i] * 1e6) / 1e6,
    Math.round(pv.value[i] * 1e6) / 1e6,
    Math.round(pv.queryScore[i] * 1e6) / 1e6,
    pv.relation[i],
    pv.label[i],
  ]).sort((x, y) => x[0] - y[0] || x[2] - y[2] || x[4] - y[4]);
  // δ = 0.01 + 0.5·(1 − s). Columns: s(v_b, v_j), δ_j, s(q_b, v_j),
  // relation (items 0 and 1 share family 7 → near-duplicate; item 2 is in
  // another category), label of (query b, item j).
  const hand: P[] = [
    [0, 0.51, 0.6, 3, -1], // b = 2, j = 0
    [0.6, 0.21, 0.8, 3, 2], // b = 3 (q0, v2), j = 1: a substitute of q0
    [0.6, 0.21, 0.96, 3, -1], // b = 2, j = 1
    [0.6, 0.21, 1, 3, -1], // b = 1, j = 2
    [0.6, 0.21, 1, 3, -1], // b = 1, j = 3 (v2 again)
    [0.8, 0.11, 0, 0, -1], // b = 1, j = 0
    [0.8, 0.11, 0.8, 0, 2], // b = 0, j = 1: a substitute of q0
  ];
  assertEquals(got, hand);
  assertEquals(EXPERIMENTS_RELATIONS[0], "near-duplicate");

  // The mean equals the loss's own statistic on the same batch and mask
  // (the mean is order-free, so the batch may be in table order here).
  const V = tf.tensor2d([v[0], v[1], v[2], v[2]]);
  const Q = tf.tensor2d([q[0], q[1], q[2], q[0]]);
  const mask = tf.tensor2d([
    [0, 0, 1, 1],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
    [1, 0, 1, 0],
  ]);
  const stats = adaptiveMarginLoss(Q, V, {
    mask,
    stats: true,
    symmetric: false,
  }).stats!;
  const mean = pv.value.reduce((a, b) => a + b, 0) / pv.value.length;
  assertClose(mean, 1.57 / 7, 1e-6);
  assertClose(mean, stats.query.mean, 1e-6);
  tf.dispose([V, Q, mask]);

  const tau = experimentsPairValues(model, { ds, truth }, {
    loss: { kind: "adaptive-softmax", alpha: 0.5, tau0: 0.1, form: "half" },
  });
  assertEquals(tau.kind, "τ_j");
  const sims = Array.from(tau.similarity);
  Array.from(tau.value).forEach((x, i) =>
    assertClose(x, 0.1 + 0.25 * (1 - sims[i]), 1e-6)
  );
  assertThrows(
    () => experimentsPairValues(model, { ds }, { loss: { kind: "softmax" } }),
    RangeError,
  );
});

Deno.test("pair summaries, plot rows and verdict", () => {
  const snap = (step: number, values: number[]): ExperimentsPairValues => ({
    kind: "δ_j",
    step,
    similarity: Float32Array.from(values.map((v) => 1 - v)),
    value: Float32Array.from(values),
    queryScore: new Float32Array(values.length),
    relation: Uint8Array.from(values.map((_, i) => i % 4)),
    label: Int8Array.from(values.map(() => -1)),
  });
  // Relations 0..3 cycle; values rise with the relation index.
  const rising = snap(
    9,
    Array.from({ length: 400 }, (_, i) => 0.5 + (i % 4) / 10),
  );
  const rows = experimentsPairSummary([rising]);
  assertEquals(rows.map((r) => r.group), [...EXPERIMENTS_RELATIONS]);
  assertEquals(rows.map((r) => r.pairs), [100, 100, 100, 100]);
  rows.forEach((r, i) => assertClose(r.meanValue, 0.5 + i / 10, 1e-6));
  assertClose(rows[2].share, 0.25, 1e-12);
  assertTrue(
    experimentsPairVerdict([rising]).endsWith(
      "the closer the negative, the smaller its value, as the paper intends.",
    ),
  );
  const falling = snap(
    9,
    Array.from({ length: 400 }, (_, i) => 1 - (i % 4) / 10),
  );
  assertTrue(experimentsPairVerdict([falling]).includes("NOT ordered"));
  // s = 1 − value: the easiest group at s = 0.2 is fine, at 0.97 bunched.
  const close = snap(
    4,
    Array.from({ length: 400 }, (_, i) => 0.5 + (i % 4) / 10),
  );
  assertTrue(!experimentsPairVerdict([close]).includes("bunched"));
  const near = snap(4, Array.from({ length: 400 }, (_, i) => (i % 4) / 100));
  assertTrue(
    experimentsPairVerdict([near]).endsWith(
      "other category negatives have mean cosine 0.97 to the positive: the item embeddings are bunched together.",
    ),
  );
  const labels = experimentsPairSummary([rising], { by: "label" });
  assertEquals(labels.map((r) => r.group), ["unlabelled"]);
  const plot = experimentsPairPlotRows([rising], { maxPerGroup: 10 });
  assertEquals(plot.length, 10);
  assertTrue(plot.every((r) => r.kind === "δ_j" && r.step === 9));
  const byRel = experimentsPairPlotRows([rising], { panels: "relation" });
  assertEquals(byRel.length, 400);
  assertEquals(
    [...new Set(byRel.map((r) => r.kind))],
    EXPERIMENTS_RELATIONS.map((r) => `δ_j: ${r}`),
  );
});
