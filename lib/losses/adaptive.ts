/**
 * Adaptive margin and temperature from batch similarity, eq. (3), (5) and
 * their stop-gradient versions, eq. (7) (docs/reconstruction.md#eq-3,
 * docs/reconstruction.md#eq-5, docs/reconstruction.md#eq-7). The functional
 * form is a reconstruction (open choice A1, docs/reconstruction.md#a1); the
 * alternatives are options.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { stopGradient as sg } from "../backend/mod.ts";
import {
  lossOptions,
  type Options,
  param,
  type ResolvedArguments,
} from "./options.ts";
import { choice, flag } from "../data/mod.ts";
import { type Param, paramTensor } from "./types.ts";

/**
 * How the adaptive value depends on h = 1 − s (s: positive–negative
 * similarity), with base b (δ0 or τ0) and slope α:
 * - "linear": b + α·h (the margin's default; the paper's literal reading);
 * - "half": b + α·h/2 (h/2 ∈ [0, 1] for cosines);
 * - "clipped": max(b, α·h);
 * - "multiplicative" (temperature only): b·(1 + α·h), the temperature's
 *   default: a temperature divides the score, so one α shared with δ acts
 *   on it relatively (docs/reconstruction.md#eq-5).
 */
export type AdaptiveForm = "linear" | "half" | "clipped" | "multiplicative";

/** Forms {@link adaptiveMargin} accepts. */
export const MARGIN_FORMS: readonly AdaptiveForm[] = [
  "linear",
  "half",
  "clipped",
];

/** Forms {@link adaptiveTemperature} accepts. */
export const TEMPERATURE_FORMS: readonly AdaptiveForm[] = [
  ...MARGIN_FORMS,
  "multiplicative",
];

// Options shared by δ_j and τ_j (declared once, see options.ts).
const VALUE_OPTIONS = {
  alpha: param({
    default: 0.5,
    min: 0,
    doc: "slope α of δ_j and τ_j (the paper's 0.5), eq. (3), (5)",
  }),
  stopGradient: flag({
    default: true,
    doc:
      "stop the gradient through the similarity, eq. (7); false lets the loss pull items together (collapse)",
  }),
  trainable: flag({
    default: false,
    doc: "α and δ0/τ0 are trained (tf.Variables); false: constants",
  }),
};

/** The options of {@link adaptiveMargin}: α, δ0, form, stop-gradient. */
export const ADAPTIVE_MARGIN_OPTIONS = {
  ...VALUE_OPTIONS,
  delta0: param({
    default: 0.01,
    min: 0,
    doc: "δ0, the margin of the hardest negative (the paper's 0.01)",
  }),
  form: choice({
    choices: MARGIN_FORMS,
    default: "linear",
    doc: "how δ_j depends on h = 1 − s(v, v_j) (open choice A1)",
  }),
};

/** The options of {@link adaptiveTemperature}: α, τ0, form, stop-gradient. */
export const ADAPTIVE_TEMPERATURE_OPTIONS = {
  ...VALUE_OPTIONS,
  tau0: param({
    default: 1 / 30,
    min: 0,
    strict: true,
    doc:
      "τ0, the temperature of the hardest negative and of the positive (the paper's 1/30)",
  }),
  // "multiplicative" keeps τ_j within τ0·[1, 1 + 2α]; the additive forms
  // reach 31·τ0 at the paper's α and flatten easy negatives' logits to ±1
  // (notebook 01, softmax-form-scale; measured in notebook 03).
  form: choice({
    choices: TEMPERATURE_FORMS,
    default: "multiplicative",
    doc:
      "how τ_j depends on h = 1 − s(v, v_j): τ0·(1 + α·h) by default (open choice A1)",
  }),
};

/**
 * Options shared by {@link adaptiveMargin} and {@link adaptiveTemperature}:
 * `alpha` (a number or a scalar tensor / tf.Variable), `form`,
 * `stopGradient` (eq. (7)) and `trainable` (gradients reach tensor-valued
 * α and base); defaults in {@link ADAPTIVE_MARGIN_OPTIONS}.
 */
export type AdaptiveValueOptions =
  & Options<typeof VALUE_OPTIONS>
  & { form?: AdaptiveForm };

/** Options of {@link adaptiveMargin}; see {@link ADAPTIVE_MARGIN_OPTIONS}. */
export type AdaptiveMarginOptions = Options<typeof ADAPTIVE_MARGIN_OPTIONS>;

/** Options of {@link adaptiveTemperature}; see {@link ADAPTIVE_TEMPERATURE_OPTIONS}. */
export type AdaptiveTemperatureOptions = Options<
  typeof ADAPTIVE_TEMPERATURE_OPTIONS
>;

// The single implementation of the forms; the two exported functions below
// fix which base (δ0 or τ0) and which forms apply.
function adaptiveValue(
  similarity: tf.Tensor,
  base: Param,
  o: ResolvedArguments<typeof VALUE_OPTIONS> & { form: AdaptiveForm },
): tf.Tensor {
  const s = o.stopGradient ? sg(similarity) : similarity;
  const a = paramTensor(o.alpha, o.trainable);
  const b = paramTensor(base, o.trainable);
  const h = tf.sub(1, s);
  switch (o.form) {
    case "linear":
      return tf.add(b, tf.mul(a, h));
    case "half":
      return tf.add(b, tf.mul(a, tf.mul(h, 0.5)));
    case "clipped":
      return tf.maximum(b, tf.mul(a, h));
    case "multiplicative":
      return tf.mul(b, tf.add(1, tf.mul(a, h)));
  }
}

/**
 * Adaptive margin, eq. (3) with the stop-gradient of eq. (7):
 * δ_j = δ0 + α·(1 − sg[s(v, v_j)]) for the default "linear" form. Takes the
 * positive–negative similarities (any shape) and returns δ of the same
 * shape: the harder the negative (s → 1), the smaller its margin (→ δ0).
 */
export function adaptiveMargin(
  similarity: tf.Tensor,
  options: AdaptiveMarginOptions = {},
): tf.Tensor {
  const o = lossOptions("adaptiveMargin", ADAPTIVE_MARGIN_OPTIONS, options);
  return adaptiveValue(similarity, o.delta0, o);
}

/**
 * Adaptive temperature, eq. (5) with eq. (7): τ_j = τ0·(1 + α·(1 − sg[s(v, v_j)]))
 * for the default "multiplicative" form ("linear": τ0 + α·(1 − s)). Returns
 * τ of the similarities' shape: hardest negatives get τ0, easy ones a softer τ.
 * With unit vectors every form gives τ0 at s = 1, which is why the positive
 * logit uses τ0.
 */
export function adaptiveTemperature(
  similarity: tf.Tensor,
  options: AdaptiveTemperatureOptions = {},
): tf.Tensor {
  const o = lossOptions(
    "adaptiveTemperature",
    ADAPTIVE_TEMPERATURE_OPTIONS,
    options,
  );
  return adaptiveValue(similarity, o.tau0, o);
}

/** What one form of τ_j does to the logits; see {@link temperatureScale}. */
export interface TemperatureScale {
  /** The form. */
  form: AdaptiveForm;
  /** τ_j / τ0 of the hardest negative (s = 1) and of an opposite one (s = −1). */
  ratioRange: [number, number];
  /** The positive's largest logit, 1/τ0 (A7). */
  positiveLogit: number;
  /** τ_j / τ0 at each of `similarities`. */
  ratios: number[];
  /**
   * The largest logit a negative with each of `similarities` can get,
   * 1/τ_j (its score to the query at most 1, unit vectors).
   */
  maxLogits: number[];
}

/** Options of {@link temperatureScale}. */
export interface TemperatureScaleOptions {
  /** Slope α (default {@link ADAPTIVE_TEMPERATURE_OPTIONS}: the paper's 0.5). */
  alpha?: number;
  /** τ0 (default the paper's 1/30). */
  tau0?: number;
  /** Similarities s(v, v_j) to the positive item (default 0.9, 0.5, 0, −1). */
  similarities?: readonly number[];
}

/**
 * What one form of τ_j does to the softmax's scale: the range of τ_j / τ0
 * and the largest logit s(q, v_j)/τ_j a negative can reach given its
 * similarity s(v, v_j) to the positive, next to the positive's 1/τ0. A
 * temperature divides the score, so whether a form keeps the logit scale
 * sane is read off these numbers (notebook 01, "Which form keeps the logit
 * scale sane"). Computed through {@link adaptiveTemperature}, the function
 * the loss calls; `alpha: 0` gives the fixed softmax at τ0.
 */
export function temperatureScale(
  form: AdaptiveForm,
  options: TemperatureScaleOptions = {},
): TemperatureScale {
  const similarities = options.similarities ?? [0.9, 0.5, 0, -1];
  const o = {
    form,
    alpha: options.alpha ?? ADAPTIVE_TEMPERATURE_OPTIONS.alpha.default,
    tau0: options.tau0 ?? ADAPTIVE_TEMPERATURE_OPTIONS.tau0.default,
  };
  const tau = tf.tidy(() =>
    Array.from(
      adaptiveTemperature(tf.tensor1d([1, -1, ...similarities]), o).dataSync(),
    )
  );
  const at = tau.slice(2);
  return {
    form,
    ratioRange: [tau[0] / o.tau0, tau[1] / o.tau0],
    positiveLogit: 1 / o.tau0,
    ratios: at.map((t) => t / o.tau0),
    maxLogits: at.map((t) => 1 / t),
  };
}
