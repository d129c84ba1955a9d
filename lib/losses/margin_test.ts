import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import { adaptiveMarginLoss, marginLoss } from "./margin.ts";
import { LossError } from "./types.ts";
import {
  checkCombinations,
  checkLossGradient,
  dot,
  EXTRA3,
  lossValue as value,
  Q3,
  refHinge,
  refValue,
  type Rows,
  t,
  TEST_BACKENDS as BACKENDS,
  unit,
  V3,
} from "./test_util.ts";

/** L^q and L^v of the adaptive margin loss in plain JS. */
function refAdaptive(
  Q: Rows,
  V: Rows,
  o: {
    alpha?: number;
    delta0?: number;
    form?: string;
    from?: "query" | "item";
  } = {},
  masked?: Set<string>,
): { lq: number; lv: number } {
  const alpha = o.alpha ?? 0.5;
  const d0 = o.delta0 ?? 0.01;
  const form = o.form ?? "linear";
  const lq = refHinge(
    Q,
    V,
    V,
    (b, c) => refValue(dot(V[b], c), d0, alpha, form),
    { masked },
  );
  const lv = refHinge(
    V,
    Q,
    V,
    (b, c) =>
      refValue(
        (o.from ?? "query") === "query" ? dot(Q[b], c) : dot(V[b], c),
        d0,
        alpha,
        form,
      ),
    { masked },
  );
  return { lq, lv };
}

for (const backend of BACKENDS) {
  Deno.test(`marginLoss: closed form and tiny batch [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    // B = 2: anchor 0 has s(q,v) = 0.5, s(q, v_1) = 0; anchor 1 has
    // s(q,v) = 1, s(q, v_0) = √3/2. With δ = 0.6 both hinges are active.
    const q2 = [[1, 0], [0, 1]];
    const v2 = [unit(60), [0, 1]];
    assertClose(
      value(marginLoss(t(q2), t(v2), { margin: 0.6 })),
      (0.6 - 0.5 + 0 + 0.6 - 1 + Math.sqrt(3) / 2) / 2,
      1e-6,
    );
    // B = 3 against the plain-JS formula; default δ = 0.1: three of the six
    // hinges are active (0.466, 0.366, 0.401), the others ≤ −1.
    const expected = refHinge(Q3, V3, V3, () => 0.1);
    assertClose(expected, (0.466 + 0.366 + 0.401) / 3, 2e-3);
    assertClose(value(marginLoss(t(Q3), t(V3))), expected, 1e-6);
  });

  Deno.test(`adaptiveMarginLoss against plain JS, all forms and modes [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    checkCombinations(adaptiveMarginLoss, {
      forms: ["linear", "half", "clipped"],
      ref: (form, from) => refAdaptive(Q3, V3, { form, from }),
      w: 0.3,
      tol: 1e-6,
    });
    // One value by hand: δ(v0,v1) = 0.01 + 0.5·(1 − cos 90°) = 0.51 etc.;
    // active L^q hinges: (1,0) 0.51 − cos60 + cos30, (1,2) δ(cos20) − cos60
    // + cos40, (2,1) δ(cos20) − cos70 + cos50.
    const c = (deg: number) => Math.cos((deg * Math.PI) / 180);
    const d20 = 0.01 + 0.5 * (1 - c(20));
    const hand = (0.51 - c(60) + c(30) + d20 - c(60) + c(40) + d20 - c(70) +
      c(50)) / 3;
    assertClose(refAdaptive(Q3, V3).lq, hand, 1e-12);
  });

  Deno.test(`margin losses: gradients match finite differences [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    // Every hinge argument of this batch is ≥ 0.25 away from its kink.
    checkLossGradient((q, v) => marginLoss(q, v).loss, Q3, V3);
    checkLossGradient(
      (q, v) => adaptiveMarginLoss(q, v, { stopGradient: false }).loss,
      Q3,
      V3,
    );
    checkLossGradient(
      (q, v) =>
        adaptiveMarginLoss(q, v, { stopGradient: false, form: "half" }).loss,
      Q3,
      V3,
    );
  });
}

Deno.test("adaptiveMarginLoss with alpha = 0 is marginLoss with margin delta0", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  for (const delta0 of [0.01, 0.1, 0.4]) {
    const q = t(Q3);
    const v = t(V3);
    const a = value(
      adaptiveMarginLoss(q, v, { alpha: 0, delta0, symmetric: false }),
    );
    const m = value(marginLoss(q, v, { margin: delta0 }));
    assertClose(a, m, 1e-7, `delta0 ${delta0}`);
    tf.dispose([q, v]);
  }
});

Deno.test("stopGradient: false adds exactly the −α·Σ v_j collapse term to ∂L/∂v", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const alpha = 0.5;
  const B = Q3.length;
  const grads = (stop: boolean) =>
    tf.tidy(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        adaptiveMarginLoss(a as tf.Tensor2D, b as tf.Tensor2D, {
          alpha,
          symmetric: false,
          stopGradient: stop,
        }).loss
      )([t(Q3), t(V3)]).map((g) => g.arraySync() as Rows)
    );
  const [gqOn, gvOn] = grads(true);
  const [gqOff, gvOff] = grads(false);
  // Active hinges of L^q, in plain JS.
  const active: [number, number][] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < B; j++) {
      if (j === b) continue;
      const delta = refValue(dot(V3[b], V3[j]), 0.01, alpha);
      if (delta - dot(Q3[b], V3[b]) + dot(Q3[b], V3[j]) > 0) {
        active.push([b, j]);
      }
    }
  }
  assertEquals(active, [[1, 0], [1, 2], [2, 1]]);
  // δ_bj depends on v_b·v_j: v_b gains −α·v_j (as the positive) and v_j gains
  // −α·v_b (as the negative), each divided by B (mean over anchors).
  const expected: Rows = V3.map(() => [0, 0]);
  for (const [b, j] of active) {
    for (let k = 0; k < 2; k++) {
      expected[b][k] -= (alpha / B) * V3[j][k];
      expected[j][k] -= (alpha / B) * V3[b][k];
    }
  }
  for (let r = 0; r < B; r++) {
    assertClose(
      [gvOff[r][0] - gvOn[r][0], gvOff[r][1] - gvOn[r][1]],
      expected[r],
      1e-6,
      `v${r}`,
    );
    assertClose(gqOff[r], gqOn[r], 1e-7, `q${r} unchanged`);
  }
  // With the stop-gradient, ∂L/∂v is the plain hinge gradient:
  // −Σ_j q_b over the anchor's active hinges, +q_i where v is a negative.
  const plain: Rows = V3.map(() => [0, 0]);
  for (const [b, j] of active) {
    for (let k = 0; k < 2; k++) {
      plain[b][k] -= Q3[b][k] / B;
      plain[j][k] += Q3[b][k] / B;
    }
  }
  for (let r = 0; r < B; r++) assertClose(gvOn[r], plain[r], 1e-6);
});

Deno.test("masked pairs contribute nothing to loss or gradient", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  // (1, 0) is an active hinge of L^q; masking it removes its term.
  const maskRows = [[0, 0, 0], [1, 0, 0], [0, 0, 0]];
  const masked = new Set(["1,0"]);
  const { lq, lv } = refAdaptive(Q3, V3, {}, masked);
  const unmasked = refAdaptive(Q3, V3);
  assertTrue(Math.abs(lq - unmasked.lq) > 0.1);
  const q = t(Q3);
  const v = t(V3);
  const mask = t(maskRows);
  assertClose(value(adaptiveMarginLoss(q, v, { mask })), lq + 0.05 * lv, 1e-6);
  assertClose(
    value(marginLoss(q, v, { mask })),
    refHinge(Q3, V3, V3, () => 0.1, { masked }),
    1e-6,
  );
  // ∂L^q/∂q_1 = (1/B)·Σ_{active, unmasked j} (v_j − v_1): only j = 2 remains.
  const g = tf.tidy(() =>
    tf.grad((a: tf.Tensor) =>
      adaptiveMarginLoss(a as tf.Tensor2D, v, { mask, symmetric: false }).loss
    )(q).arraySync() as Rows
  );
  assertClose(
    g[1],
    [(V3[2][0] - V3[1][0]) / 3, (V3[2][1] - V3[1][1]) / 3],
    1e-6,
  );
  // A diagonal entry in the mask changes nothing (the positive is never a
  // negative anyway).
  const diag = tf.eye(3);
  assertClose(
    value(marginLoss(q, v, { mask: diag })),
    value(marginLoss(q, v)),
    0,
  );
  tf.dispose([q, v, mask, diag]);
});

Deno.test("stats: δ over unmasked negatives and active share", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const before = tf.memory().numTensors;
  const q = t(Q3);
  const v = t(V3);
  const r = adaptiveMarginLoss(q, v, { stats: true });
  const deltas: number[] = [];
  const deltasV: number[] = [];
  for (let b = 0; b < 3; b++) {
    for (let j = 0; j < 3; j++) {
      if (j === b) continue;
      deltas.push(refValue(dot(V3[b], V3[j]), 0.01, 0.5));
      deltasV.push(refValue(dot(Q3[b], V3[j]), 0.01, 0.5));
    }
  }
  const s = r.stats!;
  const { lq, lv } = refAdaptive(Q3, V3);
  assertClose(s.loss, lq + 0.05 * lv, 1e-6);
  assertClose(s.query.loss, lq, 1e-6);
  assertEquals(s.query.parameter, "margin");
  assertClose(s.query.mean, deltas.reduce((a, b) => a + b) / 6, 1e-6);
  assertClose(s.query.min, Math.min(...deltas), 1e-6);
  assertClose(s.query.max, Math.max(...deltas), 1e-6);
  assertClose(s.query.activeShare!, 3 / 6, 1e-7);
  assertEquals(s.query.negatives, 6);
  assertEquals(s.query.positiveTemperature, null);
  assertClose(s.item!.loss, lv, 1e-6);
  assertClose(s.item!.mean, deltasV.reduce((a, b) => a + b) / 6, 1e-6);
  assertClose(s.item!.activeShare!, 5 / 6, 1e-7);
  const plain = adaptiveMarginLoss(q, v);
  assertEquals(plain.stats, null);
  plain.loss.dispose();
  const fixed = marginLoss(q, v, { stats: true });
  assertClose(
    [fixed.stats!.query.mean, fixed.stats!.query.min],
    [0.1, 0.1],
    1e-7,
  );
  assertClose(fixed.stats!.query.activeShare!, 0.5, 1e-7);
  assertEquals(fixed.stats!.item, null);
  tf.dispose([q, v, r.loss, fixed.loss]);
  // Nothing leaked, stats included.
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("trainable alpha and delta0: gradients by closed form, or none", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const alpha = tf.variable(tf.scalar(0.5));
  const delta0 = tf.variable(tf.scalar(0.01));
  const q = t(Q3);
  const v = t(V3);
  const run = (trainable: boolean) =>
    tf.variableGrads(() =>
      adaptiveMarginLoss(q, v, { alpha, delta0, trainable, symmetric: false })
        .loss
    );
  const on = run(true);
  // dL/dα = (1/B)·Σ_active (1 − s(v_b, v_j)); dL/dδ0 = (#active)/B.
  const active = [[1, 0], [1, 2], [2, 1]];
  const dAlpha = active.reduce((s, [b, j]) => s + 1 - dot(V3[b], V3[j]), 0) / 3;
  assertClose(on.grads[alpha.name].dataSync(), [dAlpha], 1e-6);
  assertClose(on.grads[delta0.name].dataSync(), [1], 1e-6);
  const off = run(false);
  assertClose(off.grads[alpha.name].dataSync(), [0], 0);
  assertClose(on.value.dataSync(), off.value.dataSync(), 1e-7);
  tf.dispose([
    q,
    v,
    alpha,
    delta0,
    on.value,
    off.value,
    ...Object.values(on.grads),
    ...Object.values(off.grads),
  ]);
});

Deno.test("marginLoss with extra negatives, shared and per anchor", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const extra = [unit(30), unit(200)];
  const perAnchor = EXTRA3;
  const q = t(Q3);
  const v = t(V3);
  const e = t(extra);
  const p = tf.tensor3d(perAnchor);
  assertClose(
    value(marginLoss(q, v, { margin: 0.3, extraNegatives: e })),
    refHinge(Q3, V3, V3, () => 0.3, { extra }),
    1e-6,
  );
  assertClose(
    value(marginLoss(q, v, { margin: 0.3, extraNegatives: p })),
    refHinge(Q3, V3, V3, () => 0.3, { extraPerAnchor: perAnchor }),
    1e-6,
  );
  assertClose(
    value(marginLoss(q, v, {
      margin: 0.3,
      extraNegatives: p,
      inBatchNegatives: false,
    })),
    refHinge(Q3, V3, V3, () => 0.3, {
      extraPerAnchor: perAnchor,
      inBatch: false,
    }),
    1e-6,
  );
  // Adaptive margins of extra negatives come from s(v_b, e).
  const lq = refHinge(
    Q3,
    V3,
    V3,
    (b, c) => refValue(dot(V3[b], c), 0.01, 0.5),
    { extraPerAnchor: perAnchor },
  );
  assertClose(
    value(adaptiveMarginLoss(q, v, { extraNegatives: p, symmetric: false })),
    lq,
    1e-6,
  );
  tf.dispose([q, v, e, p]);
});

Deno.test("margin losses reject bad options with the option's name", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const q = t(Q3);
  const v = t(V3);
  const bad: [Record<string, unknown>, string][] = [
    [{ alpha: -1 }, `option "alpha"`],
    [{ delta0: NaN }, `option "delta0"`],
    [{ form: "quadratic" }, `option "form"`],
    [{ form: "multiplicative" }, `option "form"`],
    [{ combine: "mul" }, `option "combine"`],
    [{ w: 2, combine: "convex" }, `option "w"`],
    [{ symmetricFrom: "x" }, `option "symmetricFrom"`],
    [{ alhpa: 1 }, `option "alhpa" is unknown`],
    [
      { mask: tf.zeros([2, 2]) },
      `option "mask" must be a tensor of shape [3, 3]`,
    ],
    [{ inBatchNegatives: false }, `option "inBatchNegatives"`],
    [{ extraNegatives: tf.zeros([2, 5]) }, `option "extraNegatives"`],
  ];
  for (const [options, text] of bad) {
    assertThrows(
      () => adaptiveMarginLoss(q, v, options as never),
      LossError,
      text,
    );
  }
  assertThrows(
    () => marginLoss(q, v, { margin: Infinity }),
    LossError,
    `"margin"`,
  );
  assertThrows(
    () => marginLoss(q, tf.zeros([2, 2]) as tf.Tensor2D),
    LossError,
    "same shape",
  );
  tf.dispose([q, v]);
});
