import * as tf from "@tensorflow/tfjs-core";
import { assertClose, assertEquals, assertThrows } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import { adaptiveMargin, adaptiveTemperature } from "./adaptive.ts";
import { accidentalHitMask, batchScores } from "./batch.ts";
import { hingeRankingLoss, softmaxRankingLoss } from "./ranking.ts";
import { totalLoss } from "./total.ts";
import { LossError } from "./types.ts";
import { dot, Q3, t, unit, V3 } from "./test_util.ts";

Deno.test("batchScores: in-batch, shared and per-anchor extra columns", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const extra = [unit(10), unit(250)];
  const perAnchor = [[unit(1)], [unit(2)], [unit(3)]];
  const mask = t([[0, 1, 0], [0, 1, 0], [0, 0, 0]]);
  tf.tidy(() => {
    const s = batchScores(t(Q3), t(V3), {
      mask,
      extraNegatives: t(extra),
      itemScores: true,
    });
    assertEquals([s.inBatch, s.extra], [3, 2]);
    assertClose(s.positive.dataSync(), Q3.map((q, b) => dot(q, V3[b])), 1e-6);
    const cands = [...V3, ...extra];
    assertClose(
      s.query.dataSync(),
      Q3.flatMap((q) => cands.map((c) => dot(q, c))),
      1e-6,
    );
    assertClose(
      s.item!.dataSync(),
      V3.flatMap((v) => cands.map((c) => dot(v, c))),
      1e-6,
    );
    // Diagonal never a negative; (0,1) masked; (1,1) is the diagonal anyway.
    assertEquals(Array.from(s.negatives.dataSync()), [
      0,
      0,
      1,
      1,
      1,
      1,
      0,
      1,
      1,
      1,
      1,
      1,
      0,
      1,
      1,
    ]);
    const p = batchScores(t(Q3), t(V3), {
      extraNegatives: tf.tensor3d(perAnchor),
      inBatchNegatives: false,
    });
    assertEquals(p.query.shape, [3, 1]);
    assertClose(
      p.query.dataSync(),
      Q3.map((q, b) => dot(q, perAnchor[b][0])),
      1e-6,
    );
    assertEquals(p.item, null);
  });
  mask.dispose();
  assertThrows(
    () => batchScores(tf.zeros([3]) as unknown as tf.Tensor2D, t(V3)),
    LossError,
    "q must be a float32 tensor of shape [B, d]",
  );
});

Deno.test("accidentalHitMask: equal ids and relevant items", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const m = accidentalHitMask([7, 8, 7, 9], {
    relevant: [new Set([9]), undefined, undefined, new Set([8])],
  });
  assertEquals(m.arraySync(), [
    [0, 0, 1, 1],
    [0, 0, 0, 0],
    [1, 0, 0, 0],
    [0, 1, 0, 0],
  ]);
  m.dispose();
  assertThrows(
    () => accidentalHitMask([1, 2], { relevant: [new Set()] }),
    LossError,
    `option "relevant"`,
  );
});

Deno.test("ranking primitives and adaptive values by hand", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  tf.tidy(() => {
    const pos = tf.tensor1d([0.5, 0.9]);
    const scores = t([[0.2, 0.7], [0.95, -0.1]]);
    const neg = t([[1, 1], [1, 0]]);
    const h = hingeRankingLoss(pos, scores, { margin: 0.1, negatives: neg });
    // Row 0: max(0, 0.1−0.5+0.2) + max(0, 0.1−0.5+0.7) = 0.3; row 1: 0.15.
    assertClose(h.perAnchor.dataSync(), [0.3, 0.15], 1e-6);
    const ce = softmaxRankingLoss(pos, scores, { negatives: neg });
    assertClose(
      ce.dataSync(),
      [
        Math.log(Math.exp(0.5) + Math.exp(0.2) + Math.exp(0.7)) - 0.5,
        Math.log(Math.exp(0.9) + Math.exp(0.95)) - 0.9,
      ],
      1e-6,
    );
    // Negatives-only denominator; a row without negatives contributes 0.
    const none = softmaxRankingLoss(pos, scores, {
      negatives: t([[1, 1], [0, 0]]),
      positiveInDenominator: false,
    });
    assertClose(
      none.dataSync(),
      [Math.log(Math.exp(0.2) + Math.exp(0.7)) - 0.5, 0],
      1e-6,
    );
    const s = tf.tensor1d([1, 0.5, 0, -1]);
    assertClose(
      adaptiveMargin(s).dataSync(),
      [0.01, 0.26, 0.51, 1.01],
      1e-6,
    );
    assertClose(
      adaptiveMargin(s, { form: "clipped", delta0: 0.1 }).dataSync(),
      [0.1, 0.25, 0.5, 1],
      1e-6,
    );
    assertClose(
      adaptiveTemperature(s, { form: "multiplicative", tau0: 0.1 }).dataSync(),
      [0.1, 0.125, 0.15, 0.2],
      1e-6,
    );
    assertClose(
      adaptiveTemperature(s, { form: "half", alpha: 1, tau0: 0.05 })
        .dataSync(),
      [0.05, 0.3, 0.55, 1.05],
      1e-6,
    );
    assertClose(
      totalLoss(tf.scalar(2), tf.scalar(10)).dataSync(),
      [2.5],
      1e-6,
    );
    assertClose(
      totalLoss(tf.scalar(2), tf.scalar(10), { w: 0.25, combine: "convex" })
        .dataSync(),
      [4],
      1e-6,
    );
  });
  assertThrows(
    () => adaptiveMargin(tf.scalar(0), { form: "multiplicative" }),
    LossError,
    `option "form"`,
  );
});

Deno.test("batchScores: a tower's own score function (multi-head queries)", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  tf.tidy(() => {
    const q = t(Q3);
    const v = t(V3);
    const dotScore = (a: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D =>
      tf.matMul(a, c, false, true);
    // The dot product as the score: the same bundle as the default.
    for (
      const extraNegatives of [
        t([unit(10), unit(250)]),
        tf.tensor3d([[unit(1)], [unit(2)], [unit(3)]]),
      ]
    ) {
      const options = { extraNegatives, itemScores: true, logQ: tf.ones([3]) };
      const a = batchScores(q, v, {
        ...options,
        extraLogQ: tf.zeros([extraNegatives.shape[extraNegatives.rank - 2]]),
      });
      const b = batchScores(q, v, {
        ...options,
        extraLogQ: tf.zeros([extraNegatives.shape[extraNegatives.rank - 2]]),
        score: dotScore,
      });
      for (const k of ["positive", "query", "item", "negatives"] as const) {
        assertClose(b[k]!.dataSync(), a[k]!.dataSync(), 1e-6, k);
      }
      assertClose(b.logQColumns!.dataSync(), a.logQColumns!.dataSync(), 0);
    }
    // Two heads per query, [B, 2·d]; the score is the larger head's.
    const q2 = tf.concat([q, tf.neg(q)], 1) as tf.Tensor2D;
    const twoHeads = (a: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D =>
      tf.maximum(
        dotScore(tf.slice(a, [0, 0], [-1, 2]), c),
        dotScore(tf.slice(a, [0, 2], [-1, 2]), c),
      );
    const s = batchScores(q2, v, { score: twoHeads, itemScores: true });
    const abs = (x: number) => Math.abs(x);
    assertClose(
      s.positive.dataSync(),
      Q3.map((x, b) => abs(dot(x, V3[b]))),
      1e-6,
    );
    assertClose(
      s.query.dataSync(),
      Q3.flatMap((x) => V3.map((c) => abs(dot(x, c)))),
      1e-6,
    );
    assertClose(
      s.item!.dataSync(),
      V3.flatMap((x) => V3.map((c) => dot(x, c))),
      1e-6,
    );
    // Without a score function the widths must agree.
    assertThrows(() => batchScores(q2, v), LossError, "same shape");
  });
});
