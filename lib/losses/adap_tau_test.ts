import * as tf from "@tensorflow/tfjs-core";
import { assertClose, assertEquals, assertThrows } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import {
  ADAP_TAU_WARMUP_GAP,
  AdapTau,
  type AdapTauDataStats,
  adapTauGlobalScale,
  adapTauLoss,
  adapTauScales,
  adapTauStatistics,
} from "./adap_tau.ts";
import { lambertW } from "./lambert_w.ts";
import { LossError } from "./types.ts";
import {
  checkLossGradient,
  dot,
  Q3,
  refSoftmax,
  type Rows,
  t,
  V3,
} from "./test_util.ts";

const STATS: AdapTauDataStats = {
  anchors: 80,
  items: 1000,
  interactions: 2000,
  meanPositive: 0.6,
  meanToItemCentroid: 0.1,
};

Deno.test("adapTauGlobalScale: formula, warm-up, and the code's quadratic root", () => {
  const numerator = Math.log(0.5) + Math.log(80 * 1000) - Math.log(2000);
  assertClose(adapTauGlobalScale(STATS), numerator / 0.5, 1e-12);
  const warm = adapTauGlobalScale(STATS, { warmup: true });
  assertClose(warm, numerator / 0.7, 1e-12);
  // Official warm-up code: w0 = (−b − √(b² − a·c)) / a, a = 1e-10, b = −0.7,
  // c = 2·numerator; equal to numerator/0.7 up to its rounding.
  const a = 1e-10;
  const b = -ADAP_TAU_WARMUP_GAP;
  const c = 2 * numerator;
  const code = (-b - Math.sqrt(Math.min(Math.max(b * b - a * c, 0), 1e5))) / a;
  assertClose(code / warm, 1, 1e-5);
  assertThrows(
    () => adapTauGlobalScale({ ...STATS, meanToItemCentroid: 0.7 }),
    LossError,
    "not positive",
  );
  assertThrows(
    () => adapTauGlobalScale({ anchors: 80, items: 1000, interactions: 2000 }),
    LossError,
    "meanPositive",
  );
  assertThrows(
    () => adapTauGlobalScale({ ...STATS, items: 0 }),
    LossError,
    "stats.items",
  );
});

Deno.test("adapTauStatistics: 20% quantile, U', D', p̄ and ā by hand", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  // Counts: id 0 → 3, id 1 → 2, id 2 → 1, id 3 → 4. Sorted [1, 2, 3, 4]; the
  // 20% quantile is 1 + 0.6·(2 − 1) = 1.6, so U' = {0, 1, 3}, |D'| = 9.
  const anchorIds = [0, 0, 0, 1, 1, 2, 3, 3, 3, 3];
  const itemIds = [0, 1, 2, 0, 3, 4, 1, 2, 3, 4];
  const A: Rows = [[3, 4], [1, 0], [0, 2], [-1, 1]];
  const I: Rows = [[1, 0], [0, 1], [1, 1], [-2, 0], [1, -1]];
  const norm = (x: number[]) => x.map((c) => c / Math.hypot(...x));
  const An = A.map(norm);
  const In = I.map(norm);
  let p = 0;
  let count = 0;
  anchorIds.forEach((u, k) => {
    if (u !== 2) {
      p += dot(An[u], In[itemIds[k]]);
      count++;
    }
  });
  const centroid = [0, 1].map((k) => In.reduce((s, r) => s + r[k], 0) / 5);
  const aBar = [0, 1, 3].reduce((s, u) => s + dot(An[u], centroid), 0) / 3;
  const ae = t(A);
  const ie = t(I);
  const stats = adapTauStatistics({ anchorIds, itemIds }, {
    anchorEmbeddings: ae,
    itemEmbeddings: ie,
  });
  assertEquals(
    [stats.anchors, stats.items, stats.interactions],
    [3, 5, 9],
  );
  assertEquals(count, 9);
  assertClose(stats.meanPositive!, p / 9, 1e-6);
  assertClose(stats.meanToItemCentroid!, aBar, 1e-6);
  const countsOnly = adapTauStatistics({ anchorIds, itemIds }, { numItems: 5 });
  assertEquals(countsOnly.meanPositive, undefined);
  tf.dispose([ae, ie]);
});

Deno.test("adapTauScales: per-id scale by hand", () => {
  // Losses [1, 2, 3, unseen, 10], mean over seen = 4, t = 4:
  // z = [−0.75 → −1/e, −0.5 → −1/e, −0.25, –, 1.5].
  const scales = adapTauScales([1, 2, 3, NaN, 10], { globalScale: 5, t: 4 });
  const wMinus025 = -0.357402956181389; // W(−0.25)
  const w15 = 0.725861357766226; // W(1.5)
  assertClose(wMinus025 * Math.exp(wMinus025), -0.25, 1e-14);
  assertClose(w15 * Math.exp(w15), 1.5, 1e-14);
  assertClose(
    Array.from(scales),
    [5 * Math.E, 5 * Math.E, 5 * Math.exp(-wMinus025), 5, 5 * Math.exp(-w15)],
    1e-5,
  );
  assertThrows(
    () => adapTauScales([1], { globalScale: 1, t: 0 }),
    LossError,
    `"t"`,
  );
});

function refAdapTau(
  scale: number[],
  global: number,
  positiveInDenominator: boolean,
): number {
  return refSoftmax(
    Q3,
    V3,
    (b) => dot(Q3[b], V3[b]) * global,
    (b, c) => dot(Q3[b], c) * scale[b],
    { positiveInDenominator },
  );
}

Deno.test("adapTauLoss: value, recorded losses → next epoch's per-id scales", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const before = tf.memory().numTensors;
  const adapTau = new AdapTau(4, { t: 0.5 });
  adapTau.startEpoch(0, STATS);
  const g0 = adapTauGlobalScale(STATS, { warmup: true });
  assertClose(adapTau.globalScale, g0, 1e-12);
  const q = t(Q3);
  const v = t(V3);
  const ids = [2, 0, 2];
  // Epoch 0: every id on the global scale; denominator over negatives only.
  const r0 = adapTauLoss(q, v, { ids, adapTau, stats: true });
  assertClose(r0.loss.dataSync()[0], refAdapTau([g0, g0, g0], g0, false), 1e-4);
  assertClose(r0.stats!.query.mean, 1 / g0, 1e-6);
  assertClose(r0.stats!.query.positiveTemperature!, 1 / g0, 1e-6);
  // Epoch 1 (still warm-up): per-id scales from the recorded scale-1 losses.
  adapTau.startEpoch(1, STATS);
  const unscaled = [0, 1, 2].map((b) =>
    refSoftmax(
      [Q3[b]],
      [V3[b], ...V3.filter((_, j) => j !== b)],
      () => dot(Q3[b], V3[b]),
      (_, c) => dot(Q3[b], c),
      { positiveInDenominator: false },
    )
  );
  const perId = [unscaled[1], NaN, (unscaled[0] + unscaled[2]) / 2, NaN];
  const mean = (perId[0] + perId[2]) / 2;
  const expectedScale = (l: number) =>
    Number.isNaN(l)
      ? g0
      : g0 * Math.exp(-lambertW(Math.max(-1 / Math.E, (l - mean) / 0.5)));
  assertClose(Array.from(adapTau.scales), perId.map(expectedScale), 1e-4);
  const scale = ids.map((id) => expectedScale(perId[id]));
  const r1 = adapTauLoss(q, v, { ids, adapTau, record: false });
  assertClose(r1.loss.dataSync()[0], refAdapTau(scale, g0, false), 1e-4);
  const r2 = adapTauLoss(q, v, {
    ids,
    adapTau,
    record: false,
    positiveInDenominator: true,
  });
  assertClose(r2.loss.dataSync()[0], refAdapTau(scale, g0, true), 1e-4);
  // After warm-up the data term p̄ − ā is used.
  adapTau.startEpoch(10, STATS);
  assertClose(adapTau.globalScale, adapTauGlobalScale(STATS), 1e-12);
  tf.dispose([q, v, r0.loss, r1.loss, r2.loss]);
  adapTau.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("adapTauLoss: gradient matches finite differences; perId off", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const adapTau = new AdapTau(3, { perId: false });
  adapTau.startEpoch(0, { anchors: 3, items: 3, interactions: 2 });
  checkLossGradient(
    (q, v) =>
      adapTauLoss(q, v, { ids: [0, 1, 2], adapTau, record: false }).loss,
    Q3,
    V3,
    { h: 5e-3 },
  );
  const q = t(Q3);
  const v = t(V3);
  adapTauLoss(q, v, { ids: [0, 1, 1], adapTau }).loss.dispose();
  adapTau.startEpoch(1, { anchors: 3, items: 3, interactions: 2 });
  const g = adapTau.globalScale;
  assertClose(Array.from(adapTau.scales), [g, g, g], 1e-6);
  tf.dispose([q, v]);
  adapTau.dispose();
});

Deno.test("adapTauLoss needs ids and a started AdapTau", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const q = t(Q3);
  const v = t(V3);
  const adapTau = new AdapTau(3);
  assertThrows(
    () => adapTauLoss(q, v, { adapTau } as never),
    LossError,
    `option "ids" is required`,
  );
  assertThrows(
    () => adapTauLoss(q, v, { ids: [0, 1, 2], adapTau }),
    LossError,
    "call startEpoch()",
  );
  adapTau.startEpoch(0, STATS);
  assertThrows(
    () => adapTauLoss(q, v, { ids: [0, 1], adapTau }),
    LossError,
    `"ids" has 2 entries for a batch of 3`,
  );
  assertThrows(
    () => adapTauLoss(q, v, { ids: [0, 1, 3], adapTau }),
    LossError,
    "ids[2] = 3",
  );
  assertThrows(
    () => adapTauLoss(q, v, { ids: [0, 1, 2] } as never),
    LossError,
    `option "adapTau"`,
  );
  tf.dispose([q, v]);
  adapTau.dispose();
});

Deno.test("AdapTau: losses recorded as values or tensors give the same scales; the state round-trips", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const fromValues = new AdapTau(3, { t: 0.5 });
  const fromTensors = new AdapTau(3, { t: 0.5 });
  for (const a of [fromValues, fromTensors]) a.startEpoch(0, STATS);
  fromValues.recordValues([0, 2, 0], [1, 3, 2]);
  fromTensors.record([0, 2, 0], tf.tensor1d([1, 3, 2]));
  const state = fromTensors.getState();
  assertEquals(state.sums, [3, 0, 3]);
  assertEquals(state.counts, [2, 0, 1]);
  const restored = new AdapTau(3, { t: 0.5 });
  restored.setState(state);
  for (const a of [fromValues, fromTensors, restored]) a.startEpoch(1, STATS);
  assertEquals(Array.from(fromTensors.scales), Array.from(fromValues.scales));
  assertEquals(Array.from(restored.scales), Array.from(fromValues.scales));
  assertEquals(restored.getState(), fromValues.getState());
  assertThrows(() => new AdapTau(4).setState(state), LossError, "4 ids");
});
