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
import { checkChoice, checkParam, type Param, paramTensor } from "./types.ts";

/**
 * How the adaptive value depends on h = 1 − s (s: positive–negative
 * similarity), with base b (δ0 or τ0) and slope α:
 * - "linear": b + α·h (the default reading of the paper);
 * - "half": b + α·h/2 (h/2 ∈ [0, 1] for cosines);
 * - "clipped": max(b, α·h);
 * - "multiplicative" (temperature only): b·(1 + α·h).
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

/** Options shared by {@link adaptiveMargin} and {@link adaptiveTemperature}. */
export interface AdaptiveValueOptions {
  /** Slope α (default 0.5). A number, or a scalar tensor / tf.Variable. */
  alpha?: Param;
  /** Functional form (default "linear"). */
  form?: AdaptiveForm;
  /**
   * Stop the gradient through the similarity, eq. (7) (default true). With
   * false the loss can be lowered by pulling items together (collapse,
   * docs/reconstruction.md#collapse).
   */
  stopGradient?: boolean;
  /**
   * Let gradients reach α and the base when they are tensors (default
   * false: tensors are then treated as constants).
   */
  trainable?: boolean;
}

/** Options of {@link adaptiveMargin}. */
export interface AdaptiveMarginOptions extends AdaptiveValueOptions {
  /** δ0, the margin of the hardest negative (default 0.01). */
  delta0?: Param;
}

/** Options of {@link adaptiveTemperature}. */
export interface AdaptiveTemperatureOptions extends AdaptiveValueOptions {
  /** τ0, the temperature of the hardest negative (default 1/30). */
  tau0?: Param;
}

// The single implementation of the forms; the two exported functions below
// fix which base (δ0 or τ0) and which forms apply.
function adaptiveValue(
  similarity: tf.Tensor,
  base: Param,
  options: AdaptiveValueOptions,
): tf.Tensor {
  const trainable = options.trainable ?? false;
  const s = (options.stopGradient ?? true) ? sg(similarity) : similarity;
  const a = paramTensor(options.alpha ?? 0.5, trainable);
  const b = paramTensor(base, trainable);
  const h = tf.sub(1, s);
  switch (options.form ?? "linear") {
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
  const fn = "adaptiveMargin";
  checkChoice(fn, "form", options.form ?? "linear", MARGIN_FORMS);
  checkParam(fn, "alpha", options.alpha ?? 0.5, { min: 0 });
  checkParam(fn, "delta0", options.delta0 ?? 0.01, { min: 0 });
  return adaptiveValue(similarity, options.delta0 ?? 0.01, options);
}

/**
 * Adaptive temperature, eq. (5) with eq. (7): τ_j = τ0 + α·(1 − sg[s(v, v_j)])
 * for the "linear" form ("multiplicative": τ0·(1 + α·(1 − s))). Returns τ of
 * the similarities' shape: hardest negatives get τ0, easy ones a softer τ.
 * With unit vectors every form gives τ0 at s = 1, which is why the positive
 * logit uses τ0.
 */
export function adaptiveTemperature(
  similarity: tf.Tensor,
  options: AdaptiveTemperatureOptions = {},
): tf.Tensor {
  const fn = "adaptiveTemperature";
  checkChoice(fn, "form", options.form ?? "linear", TEMPERATURE_FORMS);
  checkParam(fn, "alpha", options.alpha ?? 0.5, { min: 0 });
  checkParam(fn, "tau0", options.tau0 ?? 1 / 30, { min: 0, strict: true });
  return adaptiveValue(similarity, options.tau0 ?? 1 / 30, options);
}
