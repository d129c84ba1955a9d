import * as tf from "@tensorflow/tfjs-core";
import { assertClose, assertEquals } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import {
  ADAPTIVE_MARGIN_OPTIONS,
  ADAPTIVE_TEMPERATURE_OPTIONS,
  adaptiveTemperature,
  TEMPERATURE_FORMS,
  temperatureScale,
} from "./adaptive.ts";
import { refValue } from "./test_util.ts";

Deno.test("temperatureScale: τ range and logits per form at the paper's values", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const before = tf.memory().numTensors;
  const s = [0.9, 0.5, 0, -1];
  for (const form of TEMPERATURE_FORMS) {
    const r = temperatureScale(form);
    assertEquals(r.form, form);
    const tau = (x: number) => refValue(x, 1 / 30, 0.5, form);
    assertClose(r.ratioRange, [tau(1) * 30, tau(-1) * 30], 1e-5, form);
    assertClose(r.positiveLogit, 30, 1e-6, form);
    assertClose(r.ratios, s.map((x) => tau(x) * 30), 1e-5, form);
    assertClose(r.maxLogits, s.map((x) => 1 / tau(x)), 1e-4, form);
  }
  // By hand: linear τ_j reaches 1/30 + 1 = 31·τ0, so an opposite item's
  // logit stays below 30/31; multiplicative keeps τ_j within τ0·[1, 2].
  const linear = temperatureScale("linear");
  assertClose(linear.ratioRange, [1, 31], 1e-5);
  assertClose(linear.maxLogits[3], 30 / 31, 1e-5);
  assertClose(linear.maxLogits[2], 1 / (1 / 30 + 0.5), 1e-5);
  const mult = temperatureScale("multiplicative");
  assertClose(mult.ratioRange, [1, 2], 1e-6);
  assertClose(mult.maxLogits, [30 / 1.05, 30 / 1.25, 20, 15], 1e-4);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("temperatureScale: α = 0 is the fixed softmax; linear with α·τ0 is multiplicative", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const similarities = [0.99, 0.3, -0.5];
  const fixed = temperatureScale("linear", { alpha: 0, similarities });
  assertClose(fixed.ratioRange, [1, 1], 1e-6);
  assertClose(fixed.maxLogits, [30, 30, 30], 1e-4);
  const relative = temperatureScale("linear", {
    alpha: 0.5 / 30,
    similarities,
  });
  const mult = temperatureScale("multiplicative", { similarities });
  assertClose(relative.ratioRange, mult.ratioRange, 1e-5);
  assertClose(relative.maxLogits, mult.maxLogits, 1e-4);
  const t = temperatureScale("half", { tau0: 0.1, alpha: 1, similarities });
  assertClose(t.positiveLogit, 10, 1e-6);
  assertClose(t.ratioRange, [1, 11], 1e-5);
});

Deno.test("defaults: the temperature is multiplicative, the margin linear (A1)", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  assertEquals(ADAPTIVE_TEMPERATURE_OPTIONS.form.default, "multiplicative");
  assertEquals(ADAPTIVE_MARGIN_OPTIONS.form.default, "linear");
  const s = tf.tensor1d([1, 0.5, -1]);
  assertClose(
    adaptiveTemperature(s).dataSync(),
    [1 / 30, 1.25 / 30, 2 / 30],
    1e-7,
  );
  s.dispose();
});
