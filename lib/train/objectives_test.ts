import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  accidentalHitMask,
  batchLogQ,
  makeBatches,
  type MaskedBatch,
  trainingPairs,
} from "../data/mod.ts";
import { initBackend } from "../backend/mod.ts";
import {
  FEW_BUCKETS,
  PLAIN_TOWER,
  SMALLER_SIZES,
  smallSynthetic,
} from "../fixtures.ts";
import { AdapTau, adapTauLoss, adapTauStatistics } from "../losses/mod.ts";
import { createTower } from "../towers/mod.ts";
import { resolveLoss } from "./config.ts";
import { createObjective, type Objective, stepRng } from "./objectives.ts";

await initBackend({ backend: "wasm", quiet: true });

const ds = smallSynthetic(9, SMALLER_SIZES);
const pairs = trainingPairs(ds);
const model = createTower(PLAIN_TOWER, { seed: 4, dataset: ds });
const inputs = model.prepare(ds);
const batches = makeBatches(pairs, {
  batchSize: 48,
  seed: 1,
  epoch: 0,
  dropLast: true,
});
const masked = (i: number): MaskedBatch => ({
  ...batches[i],
  mask: accidentalHitMask(pairs, batches[i]),
  logQ: batchLogQ(pairs, batches[i]),
});
// The fixture must contain accidental hits, or the mask is not exercised.
assertTrue(
  masked(0).mask.some((x) => x === 1),
  "batch 0 has no accidental hit",
);

function objective(
  loss: Record<string, unknown>,
  scorePath = false,
): Objective {
  return createObjective(resolveLoss(loss), {
    model,
    inputs,
    ds,
    pairs,
    seed: 3,
    scorePath,
  });
}

function lossAndGrad(o: Objective, batch: MaskedBatch) {
  let stats = null as ReturnType<Objective["forward"]>["stats"];
  const { value, grads } = tf.variableGrads(() => {
    const out = o.forward(batch, { step: 1, stats: true });
    stats = out.stats;
    out.record?.dispose();
    return out.loss;
  }, model.variables());
  const loss = value.dataSync()[0];
  const g = tf.tidy(() =>
    tf.concat(Object.values(grads).map((x) => tf.reshape(x, [-1]))).dataSync()
  );
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, stats, grad: g };
}

const kinds: Record<string, unknown>[] = [
  { kind: "margin" },
  { kind: "softmax" },
  { kind: "softmax", logQ: true, temperature: 0.1 },
  { kind: "adaptive-margin" },
  {
    kind: "adaptive-margin",
    symmetricFrom: "item",
    combine: "convex",
    form: "half",
  },
  { kind: "adaptive-margin", symmetric: false, stopGradient: false },
  { kind: "adaptive-softmax" },
  { kind: "adaptive-softmax", logQ: true, form: "multiplicative", w: 0.3 },
  { kind: "adaptive-margin", trainable: true },
  { kind: "dssm-softmax" },
  { kind: "dpsr-hinge", randomNegatives: 16 },
];

Deno.test("objectives: the score path equals the loss functions on a single-head tower", () => {
  const batch = masked(0);
  for (const k of kinds) {
    const a = objective(k), b = objective(k, true);
    const ra = lossAndGrad(a, batch), rb = lossAndGrad(b, batch);
    const label = JSON.stringify(k);
    assertTrue(Number.isFinite(ra.loss) && ra.loss > 0, label);
    assertClose(rb.loss, ra.loss, 1e-5 * Math.max(1, ra.loss), label);
    const scale = Array.from(ra.grad).reduce(
      (m, x) => Math.max(m, Math.abs(x)),
      1,
    );
    assertClose(rb.grad, ra.grad, 1e-5 * scale, `${label} gradient`);
    const sa = ra.stats!, sb = rb.stats!;
    assertClose(sb.query.mean, sa.query.mean, 1e-5, `${label} mean`);
    assertClose(sb.query.min, sa.query.min, 1e-5, `${label} min`);
    assertClose(sb.query.max, sa.query.max, 1e-5, `${label} max`);
    assertEquals(sb.query.negatives, sa.query.negatives, label);
    assertEquals(sb.item === null, sa.item === null, label);
    a.dispose();
    b.dispose();
  }
});

Deno.test("objectives: trainable α and δ0 are variables that get gradients", () => {
  const o = objective({
    kind: "adaptive-margin",
    trainable: true,
    alpha: 0.4,
    delta0: 0.02,
  });
  const vars = o.variables();
  assertEquals(vars.length, 2);
  assertEquals(Object.keys(o.getWeights()), ["loss/alpha", "loss/delta0"]);
  assertClose(o.getWeights()["loss/alpha"].data[0], 0.4, 1e-7);
  const { grads, value } = tf.variableGrads(
    () => o.forward(masked(1), { step: 1, stats: false }).loss,
    vars,
  );
  for (const v of vars) assertTrue(grads[v.name].dataSync()[0] !== 0, v.name);
  tf.dispose([value, ...Object.values(grads)]);
  o.setWeights({
    "loss/alpha": { shape: [], data: Float32Array.of(0.1) },
    "loss/delta0": { shape: [], data: Float32Array.of(0.3) },
  });
  assertClose(o.getWeights()["loss/delta0"].data[0], 0.3, 1e-7);
  o.dispose();
});

Deno.test("objectives: Adap-τ matches the losses module's adapTauLoss, per-query scales included", () => {
  const cfg = { kind: "adap-tau", warmupEpochs: 5, t: 0.5 };
  const o = objective(cfg);
  const ref = new AdapTau(ds.queries.queryId.length, {
    t: 0.5,
    warmupEpochs: 5,
  });
  const stats = adapTauStatistics(
    { anchorIds: pairs.queryRow, itemIds: pairs.itemRow },
    { numItems: ds.items.itemId.length },
  );
  for (const epoch of [0, 1]) {
    o.startEpoch(epoch);
    ref.startEpoch(epoch, stats);
    for (let i = 0; i < batches.length; i++) {
      const b = masked(i);
      const ours = tf.tidy(() => {
        const out = o.forward(b, { step: 1, stats: false });
        const rec = out.record!.dataSync() as Float32Array;
        out.record!.dispose();
        o.afterStep(b, Float32Array.from(rec));
        return out.loss.dataSync()[0];
      });
      const theirs = tf.tidy(() => {
        const q = model.encodeQueries(inputs, b.queryRow);
        const v = model.encodeItems(inputs, b.itemRow);
        return adapTauLoss(q, v, {
          ids: b.queryRow,
          adapTau: ref,
          mask: tf.tensor2d(b.mask, [b.itemRow.length, b.itemRow.length]),
        }).loss.dataSync()[0];
      });
      assertClose(
        ours,
        theirs,
        1e-4 * Math.max(1, Math.abs(theirs)),
        `epoch ${epoch} batch ${i}`,
      );
    }
  }
  // Epoch 1 used per-query scales: they differ between queries.
  const s = (o.getState() as { scales: number[] }).scales;
  assertTrue(new Set(s.map((x) => x.toFixed(6))).size > 10);
  assertClose(Float32Array.from(s), ref.scales, 1e-3);
  ref.dispose();
  o.dispose();
});

Deno.test("objectives: MGDSPR mixed negatives on multi-head towers are refused", () => {
  const dpsr = createTower({
    kind: "dpsr",
    dim: 8,
    embedDim: 8,
    hidden: 8,
    ...FEW_BUCKETS,
  }, { seed: 1 });
  const i2 = dpsr.prepare(ds);
  assertThrows(
    () =>
      createObjective(resolveLoss({ kind: "mgdspr" }), {
        model: dpsr,
        inputs: i2,
        ds,
        pairs,
        seed: 1,
      }),
    Error,
    "single-vector",
  );
  dpsr.dispose();
});

Deno.test("stepRng depends only on (seed, step)", () => {
  assertEquals(stepRng(3, 10).uint32(), stepRng(3, 10).uint32());
  assertTrue(stepRng(3, 10).uint32() !== stepRng(3, 11).uint32());
  assertTrue(stepRng(3, 10).uint32() !== stepRng(4, 10).uint32());
});
