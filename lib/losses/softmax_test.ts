import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import { adaptiveSoftmaxLoss, softmaxLoss } from "./softmax.ts";
import { LossError } from "./types.ts";
import {
  checkCombinations,
  checkLossGradient,
  dot,
  EXTRA3,
  lossValue as value,
  Q3,
  refSoftmax,
  refValue,
  type Rows,
  t,
  TEST_BACKENDS as BACKENDS,
  unit,
  V3,
} from "./test_util.ts";

interface AdaptiveRef {
  alpha?: number;
  tau0?: number;
  form?: string;
  from?: "query" | "item";
  logQ?: number[];
  masked?: Set<string>;
}

/**
 * The fixed-temperature softmax loss of Q3, V3 in plain JS, every logit
 * `logit(s, j)` of its similarity s and its candidate's column j (b for the
 * positive of anchor b).
 */
function refFixed(
  logit: (s: number, j: number) => number,
  o?: Parameters<typeof refSoftmax>[4],
): number {
  return refSoftmax(
    Q3,
    V3,
    (b) => logit(dot(Q3[b], V3[b]), b),
    (b, c, j) => logit(dot(Q3[b], c), j),
    o,
  );
}

/** L^q and L^v of the adaptive softmax loss in plain JS. */
function refAdaptive(Q: Rows, V: Rows, o: AdaptiveRef = {}) {
  const alpha = o.alpha ?? 0.5;
  const tau0 = o.tau0 ?? 1 / 30;
  const form = o.form ?? "linear";
  const lq0 = (j: number) => (o.logQ && j >= 0 ? o.logQ[j] : 0);
  const lq = refSoftmax(
    Q,
    V,
    (b) => dot(Q[b], V[b]) / tau0 - (o.logQ ? o.logQ[b] : 0),
    (b, c, j) =>
      dot(Q[b], c) / refValue(dot(V[b], c), tau0, alpha, form) - lq0(j),
    { masked: o.masked },
  );
  const lv = refSoftmax(
    V,
    V,
    (b) => dot(V[b], Q[b]) / tau0,
    (b, c, j) =>
      dot(V[b], c) /
        refValue(
          (o.from ?? "query") === "query" ? dot(Q[b], c) : dot(V[b], c),
          tau0,
          alpha,
          form,
        ) - lq0(j),
    { masked: o.masked },
  );
  return { lq, lv };
}

for (const backend of BACKENDS) {
  Deno.test(`softmaxLoss: closed form and tiny batch [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    // Orthogonal pairs, τ = 1: each anchor has logits 1 (positive), 0.
    const e = [[1, 0], [0, 1]];
    assertClose(
      value(softmaxLoss(t(e), t(e), { temperature: 1 })),
      Math.log(1 + Math.exp(-1)),
      1e-6,
    );
    const tau = 1 / 30;
    const expected = refFixed((s) => s / tau);
    assertClose(value(softmaxLoss(t(Q3), t(V3))), expected, 1e-5);
  });

  Deno.test(`adaptiveSoftmaxLoss against plain JS, all forms and modes [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    checkCombinations(adaptiveSoftmaxLoss, {
      forms: ["linear", "half", "clipped", "multiplicative"],
      ref: (form, from) => refAdaptive(Q3, V3, { form, from }),
      w: 0.2,
      tol: 1e-5,
    });
  });

  Deno.test(`softmax losses: gradients match finite differences [${backend}]`, async () => {
    await initBackend({ backend, quiet: true });
    checkLossGradient(
      (q, v) => softmaxLoss(q, v, { temperature: 0.2 }).loss,
      Q3,
      V3,
      { h: 5e-3 },
    );
    checkLossGradient(
      (q, v) =>
        adaptiveSoftmaxLoss(q, v, { tau0: 0.2, stopGradient: false }).loss,
      Q3,
      V3,
      { h: 5e-3 },
    );
    // The default temperature: steeper, so a smaller step.
    checkLossGradient((q, v) => softmaxLoss(q, v).loss, Q3, V3, {
      h: 1e-3,
      tol: 3e-3,
    });
  });
}

Deno.test("adaptiveSoftmaxLoss with alpha = 0 is softmaxLoss with tau0", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  for (const tau0 of [1 / 30, 0.1, 1]) {
    const q = t(Q3);
    const v = t(V3);
    const a = value(
      adaptiveSoftmaxLoss(q, v, { alpha: 0, tau0, symmetric: false }),
    );
    const s = value(softmaxLoss(q, v, { temperature: tau0 }));
    assertClose(a, s, 1e-6 * Math.max(1, s), `tau0 ${tau0}`);
    tf.dispose([q, v]);
  }
});

Deno.test("no NaN at τ = 1/100 with saturated similarities", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const same = [unit(30), unit(30), unit(30)];
  // All logits equal (100): each anchored term is log B; the adaptive loss
  // adds w·L^v = 0.05·log B (τ_j = τ0 since every s = 1).
  const cases: [(q: tf.Tensor2D, v: tf.Tensor2D) => tf.Scalar, number][] = [
    [(q, v) => softmaxLoss(q, v, { temperature: 0.01 }).loss, Math.log(3)],
    [
      (q, v) => adaptiveSoftmaxLoss(q, v, { tau0: 0.01 }).loss,
      1.05 * Math.log(3),
    ],
  ];
  for (const [f, expected] of cases) {
    const [l, gq, gv] = tf.tidy(() => {
      const q = t(same);
      const v = t(same);
      const [a, b] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        f(x as tf.Tensor2D, y as tf.Tensor2D)
      )([q, v]);
      return [f(q, v).dataSync()[0], a.dataSync(), b.dataSync()];
    }) as unknown as [number, Float32Array, Float32Array];
    assertClose(l, expected, 1e-4);
    for (const g of [...gq, ...gv]) assertTrue(Number.isFinite(g));
  }
  // Positive anti-aligned, negatives aligned: logits −100 vs 100, finite.
  const q = t([unit(0), unit(0)]);
  const v = t([unit(180), unit(0)]);
  const l = value(softmaxLoss(q, v, { temperature: 0.01 }));
  // Anchor 0: logits −100 (positive) and 100: loss 200; anchor 1: ≈ 0.
  assertClose(l, 100, 1e-3);
  tf.dispose([q, v]);
});

Deno.test("logQ is subtracted from all L^q logits and the L^v negatives", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const logQValues = [Math.log(0.5), Math.log(0.1), Math.log(0.02)];
  const q = t(Q3);
  const v = t(V3);
  const logQ = tf.tensor1d(logQValues);
  const tau = 0.25;
  const expected = refFixed((s, j) => s / tau - logQValues[j]);
  assertClose(
    value(softmaxLoss(q, v, { temperature: tau, logQ })),
    expected,
    1e-5,
  );
  const { lq, lv } = refAdaptive(Q3, V3, { tau0: tau, logQ: logQValues });
  assertClose(
    value(adaptiveSoftmaxLoss(q, v, { tau0: tau, form: "linear", logQ })),
    lq + 0.05 * lv,
    1e-5,
  );
  // A constant logQ shifts every L^q logit equally: no change.
  const flat = tf.fill([3], -2.5) as tf.Tensor1D;
  assertClose(
    value(softmaxLoss(q, v, { temperature: tau, logQ: flat })),
    value(softmaxLoss(q, v, { temperature: tau })),
    1e-5,
  );
  const extra = t([unit(10)]);
  assertThrows(
    () => softmaxLoss(q, v, { logQ, extraNegatives: extra }),
    LossError,
    `"extraLogQ" is required`,
  );
  assertThrows(
    () => softmaxLoss(q, v, { logQ: tf.zeros([2]) }),
    LossError,
    `option "logQ" must be a tensor of shape [3]`,
  );
  // With extraLogQ, extra columns get their own correction.
  const extraLogQ = tf.tensor1d([Math.log(0.3)]);
  const withExtra = refFixed(
    (s, j) => s / tau - (j >= 0 ? logQValues[j] : Math.log(0.3)),
    { extra: [unit(10)] },
  );
  assertClose(
    value(
      softmaxLoss(q, v, {
        temperature: tau,
        logQ,
        extraNegatives: extra,
        extraLogQ,
      }),
    ),
    withExtra,
    1e-5,
  );
  tf.dispose([q, v, logQ, flat, extra, extraLogQ]);
});

Deno.test("softmax: masked pairs leave the denominator", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const masked = new Set(["0,2", "2,1"]);
  const mask = t([[0, 0, 1], [0, 0, 0], [0, 1, 0]]);
  const q = t(Q3);
  const v = t(V3);
  const tau = 0.2;
  assertClose(
    value(softmaxLoss(q, v, { temperature: tau, mask })),
    refFixed((s) => s / tau, { masked }),
    1e-5,
  );
  const { lq, lv } = refAdaptive(Q3, V3, { tau0: tau, masked });
  assertClose(
    value(adaptiveSoftmaxLoss(q, v, { tau0: tau, form: "linear", mask })),
    lq + 0.05 * lv,
    1e-5,
  );
  // ∂L/∂q_0 by hand, (1/(Bτ))·Σ_c p_c (c − v_0) over the positive and the
  // unmasked negative v_1 only: v_2 no longer enters anchor 0's gradient.
  const g = tf.tidy(() =>
    tf.grad((a: tf.Tensor) =>
      softmaxLoss(a as tf.Tensor2D, v, { temperature: tau, mask }).loss
    )(q).arraySync() as Rows
  );
  const cands = [V3[0], V3[1]];
  const logits = cands.map((c) => dot(Q3[0], c) / tau);
  const z = logits.reduce((s, l) => s + Math.exp(l), 0);
  const expected = [0, 1].map((k) =>
    cands.reduce(
      (s, c, i) => s + (Math.exp(logits[i]) / z) * (c[k] - V3[0][k]),
      0,
    ) / tau / 3
  );
  assertClose(g[0], expected, 1e-5);
  tf.dispose([q, v, mask]);
});

Deno.test("softmaxLoss with extra negatives; DSSM-style (no in-batch)", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const perAnchor = EXTRA3;
  const q = t(Q3);
  const v = t(V3);
  const p = tf.tensor3d(perAnchor);
  const gamma = 10;
  const expected = refFixed((s) => gamma * s, {
    extraPerAnchor: perAnchor,
    inBatch: false,
  });
  assertClose(
    value(
      softmaxLoss(q, v, {
        temperature: 1 / gamma,
        extraNegatives: p,
        inBatchNegatives: false,
      }),
    ),
    expected,
    1e-5,
  );
  const both = refFixed((s) => 5 * s, { extraPerAnchor: perAnchor });
  assertClose(
    value(softmaxLoss(q, v, { temperature: 0.2, extraNegatives: p })),
    both,
    1e-5,
  );
  tf.dispose([q, v, p]);
});

Deno.test("softmax stats and tensor hygiene", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const before = tf.memory().numTensors;
  const q = t(Q3);
  const v = t(V3);
  const logQ = tf.tensor1d([-1, -2, -3]);
  const mask = t([[0, 1, 0], [0, 0, 0], [0, 0, 0]]);
  const r = adaptiveSoftmaxLoss(q, v, {
    form: "linear",
    stats: true,
    logQ,
    mask,
  });
  const taus: number[] = [];
  for (let b = 0; b < 3; b++) {
    for (let j = 0; j < 3; j++) {
      if (j !== b && !(b === 0 && j === 1)) {
        taus.push(refValue(dot(V3[b], V3[j]), 1 / 30, 0.5));
      }
    }
  }
  const s = r.stats!;
  assertEquals(s.query.parameter, "temperature");
  assertEquals(s.query.negatives, 5);
  assertClose(s.query.mean, taus.reduce((a, b) => a + b) / 5, 1e-6);
  assertClose([s.query.min, s.query.max], [
    Math.min(...taus),
    Math.max(...taus),
  ], 1e-6);
  assertClose(s.query.positiveTemperature!, 1 / 30, 1e-7);
  assertEquals(s.query.activeShare, null);
  assertClose(s.loss, r.loss.dataSync()[0], 1e-6);
  assertTrue(s.item !== null);
  const f = softmaxLoss(q, v, { stats: true });
  assertClose(
    [f.stats!.query.mean, f.stats!.query.max],
    [1 / 30, 1 / 30],
    1e-7,
  );
  // Gradient computation inside tf.tidy leaves nothing behind either.
  tf.tidy(() => {
    tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      adaptiveSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, {
        logQ,
        mask,
        stats: true,
      }).loss
    )([q, v]);
  });
  tf.dispose([q, v, logQ, mask, r.loss, f.loss]);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("softmax losses reject bad options with the option's name", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const q = t(Q3);
  const v = t(V3);
  assertThrows(
    () => softmaxLoss(q, v, { temperature: 0 }),
    LossError,
    `"temperature"`,
  );
  assertThrows(
    () => adaptiveSoftmaxLoss(q, v, { tau0: -1 }),
    LossError,
    `option "tau0"`,
  );
  assertThrows(
    () => adaptiveSoftmaxLoss(q, v, { positiveTemperature: "mean" as "tau0" }),
    LossError,
    `option "positiveTemperature"`,
  );
  assertThrows(
    () => adaptiveSoftmaxLoss(q, v, { form: "cubic" as "linear" }),
    LossError,
    `option "form"`,
  );
  tf.dispose([q, v]);
});
