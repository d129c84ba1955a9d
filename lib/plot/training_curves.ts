/**
 * Training curves: loss (and optionally recall) against the training step,
 * one line per run.
 *
 * @module
 */

import { BuilderRows, uniqueInOrder } from "./input.ts";
import { sidePanels, stepLines, type TitleOptions, topLevel } from "./parts.ts";
import {
  panelSize,
  type PanelSizeOptions,
  type VegaLiteSpec,
} from "./theme.ts";

/**
 * One logged point of a run (the default field names; rename them with the
 * options). `recall` may be absent in rows where it was not evaluated.
 */
export interface TrainingCurveRow {
  /** Run / series label, e.g. `"adaptive δ"`; optional for a single run. */
  run?: string;
  /** Training step (x). */
  step: number;
  /** Loss at that step. */
  loss: number;
  /** Evaluation recall at that step, when logged. */
  recall?: number;
}

/** Options for {@link trainingCurves}. */
export interface TrainingCurvesOptions extends TitleOptions, PanelSizeOptions {
  /** Field of the step; default `"step"`. */
  step?: string;
  /** Field of the loss; default `"loss"`. */
  loss?: string;
  /** Field of a recall metric; when set, a second panel shows it. */
  recall?: string;
  /** Field of the run label; default `"run"` (may be absent: one run). */
  series?: string;
  /** Log-scale y for the loss panel (loss must then be > 0). */
  logY?: boolean;
  /** Log-scale step axis (steps must then be > 0): runs of very different lengths. */
  logStep?: boolean;
  /** Y title of the loss panel; default `"Training loss"`. */
  lossTitle?: string;
  /** Y title of the recall panel; default `"Recall"`. */
  recallTitle?: string;
  /** Legend title; default `"Run"`. */
  seriesTitle?: string;
}

/**
 * Loss vs step (one line per run), optionally next to recall vs step.
 * Rows: {@link TrainingCurveRow}; rows lacking a metric are left out of that
 * metric's panel, a field missing from every row is an error.
 */
export function trainingCurves(
  rows: readonly object[],
  options: TrainingCurvesOptions = {},
): VegaLiteSpec {
  const recs = new BuilderRows(rows, "trainingCurves", options);
  const steps = recs.numbers("step", { positive: options.logStep === true });
  const losses = recs.someNumbers("loss", { positive: options.logY === true });
  const recalls = recs.named("recall") ? recs.someNumbers("recall") : undefined;
  const series = recs.optionalKeys("series", "run");
  const panel = (
    values: (number | undefined)[],
    yTitle: string,
    scale: Record<string, unknown>,
  ) =>
    stepLines(values, {
      steps,
      series,
      domain: series ? uniqueInOrder(series) : [],
      seriesTitle: options.seriesTitle ?? "Run",
      yTitle,
      scale,
      logStep: options.logStep,
      ...panelSize(options),
    });

  const panels = [
    panel(
      losses,
      options.lossTitle ?? "Training loss",
      options.logY ? { type: "log", nice: false } : { zero: false },
    ),
  ];
  if (recalls) {
    panels.push(
      panel(recalls, options.recallTitle ?? "Recall", { zero: false }),
    );
  }
  return topLevel(sidePanels(panels), options);
}
