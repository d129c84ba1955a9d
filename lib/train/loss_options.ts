/**
 * The loss section of the training config: the loss kinds, each kind's
 * option table ({@link LOSS_DEFAULTS}: the losses' own tables plus the
 * baselines' recipes), the resolved config's type and the tables as
 * Markdown (docs/loss_options.md). Declarations only: `config.ts` resolves
 * and checks a config against them (`resolveLoss`).
 *
 * @module
 */

import {
  ADAP_TAU_LOSS_OPTIONS,
  ADAP_TAU_OPTIONS,
  ADAPTIVE_MARGIN_LOSS_OPTIONS,
  ADAPTIVE_TEMPERATURE_OPTIONS,
  MARGIN_LOSS_OPTIONS,
  MGDSPR_MIX,
  SOFTMAX_LOSS_OPTIONS,
  SYMMETRIC_OPTIONS,
} from "../losses/mod.ts";
import {
  flag,
  integer,
  number,
  optionsDocument,
  type OptionTable,
  type Resolved,
} from "../data/mod.ts";
/** The loss families a run can train with. */
export type LossKind =
  | "margin"
  | "softmax"
  | "adaptive-margin"
  | "adaptive-softmax"
  | "adap-tau"
  | "dssm-softmax"
  | "mgdspr"
  | "dpsr-hinge";

/** All loss kinds, in a fixed order. */
export const LOSS_KINDS: readonly LossKind[] = [
  "margin",
  "softmax",
  "adaptive-margin",
  "adaptive-softmax",
  "adap-tau",
  "dssm-softmax",
  "mgdspr",
  "dpsr-hinge",
];

/** A loss option's value. */
export type OptionValue = number | boolean | string;

/** A loss config as written: the kind and any of its options. */
export type LossConfigInput = { kind: LossKind; [option: string]: OptionValue };

// The config's own switch of the softmax kinds: the losses take the logQ
// offsets as tensors, the config says whether to use the batch's.
const LOGQ = flag({
  default: false,
  doc:
    "subtract the batch's logQ (log-probability of each item entering a batch) from the logits (sampling-bias correction)",
});

/**
 * The option table of every loss kind: each option's type, default, range
 * and meaning, declared once (lib/data/options.ts). The method's and the
 * fixed losses' options are the loss functions' own tables (the paper's
 * margin 0.1, τ = 1/30, α = 0.5, δ0 = 0.01, τ0 = 1/30, w = 0.05, and the
 * reconstruction's open choices); docs/loss_options.md is generated from
 * this table ({@link lossOptionsMarkdown}). Baselines:
 *
 * - `dssm-softmax`: DSSM's softmax over the clicked item and `negatives`
 *   = 4 items drawn uniformly from the catalogue (seeded; redrawn when one
 *   is the positive or labelled relevant), with smoothing factor γ
 *   (`gamma`). DSSM sets γ "empirically" on held-out data; 10 is our
 *   choice: on cosine scores in [−1, 1] it allows a probability ratio of
 *   e^20 between a perfect and an opposite item, softer than the paper's
 *   1/τ = 30.
 * - `mgdspr`: in-batch softmax with τ = 2 on cosine scores plus MGDSPR's
 *   mixed hard negatives: for each query the `hardNegatives` highest-scoring
 *   in-batch items are mixed with its positive, a ~ U(`mixLow`, `mixHigh`).
 * - `dpsr-hinge`: DPSR's hinge with margin `margin` over the in-batch
 *   negatives plus `randomNegatives` items drawn uniformly from the
 *   catalogue and shared by the batch, scored with the tower's `scores`
 *   (DPSR's multi-head attention score for the DPSR tower).
 * - `adap-tau`: Adap-τ's softmax (official code form): positive logit at
 *   the global scale 1/τ0 (from data statistics), negatives at the
 *   per-query scale 1/τ_q from the previous epoch's mean loss of that query
 *   (first epoch, or `perId: false`: 1/τ0); the denominator holds only the
 *   negatives unless `positiveInDenominator`. For `warmupEpochs` epochs
 *   (official `cnt_lr` = 10) the global scale uses the constant gap 0.7;
 *   `t` is the code's `temperature_2`.
 */
export const LOSS_DEFAULTS = {
  margin: MARGIN_LOSS_OPTIONS,
  softmax: { ...SOFTMAX_LOSS_OPTIONS, logQ: LOGQ },
  "adaptive-margin": ADAPTIVE_MARGIN_LOSS_OPTIONS,
  "adaptive-softmax": {
    ...ADAPTIVE_TEMPERATURE_OPTIONS,
    ...SYMMETRIC_OPTIONS,
    logQ: LOGQ,
  },
  "adap-tau": { ...ADAP_TAU_OPTIONS, ...ADAP_TAU_LOSS_OPTIONS },
  "dssm-softmax": {
    gamma: number({
      default: 10,
      min: 0,
      strict: true,
      doc: "DSSM's smoothing factor γ = 1/τ",
    }),
    negatives: integer({
      default: 4,
      min: 1,
      max: 10_000,
      doc: "unclicked items drawn from the catalogue per query (DSSM's 4)",
    }),
  },
  mgdspr: {
    temperature: number({
      default: 2,
      min: 0,
      strict: true,
      doc: "MGDSPR's softmax temperature τ (its 2)",
    }),
    hardNegatives: integer({
      default: 8,
      min: 0,
      max: 10_000,
      doc: "highest-scoring in-batch items mixed with the positive, per query",
    }),
    mixLow: number({
      default: MGDSPR_MIX[0],
      min: 0,
      max: 1,
      doc: "lower end of the positive's mixing weight a ~ U(mixLow, mixHigh)",
      check: (lo: number, o) =>
        lo > (o.mixHigh as number)
          ? `(${lo}) must not exceed loss.mixHigh (${o.mixHigh})`
          : null,
    }),
    mixHigh: number({
      default: MGDSPR_MIX[1],
      min: 0,
      max: 1,
      doc: "upper end of the positive's mixing weight",
    }),
  },
  "dpsr-hinge": {
    margin: MARGIN_LOSS_OPTIONS.margin,
    randomNegatives: integer({
      default: 32,
      min: 0,
      max: 100_000,
      doc: "items drawn uniformly from the catalogue, shared by the batch",
    }),
  },
} as const satisfies Record<LossKind, OptionTable>;

/** The resolved config of loss kind `K`: the kind and every option set. */
export type LossConfigOf<K extends LossKind> =
  & { kind: K }
  & Resolved<(typeof LOSS_DEFAULTS)[K]>;

/** A resolved loss config, discriminated by `kind` (see {@link LOSS_DEFAULTS}). */
export type LossConfig = { [K in LossKind]: LossConfigOf<K> }[LossKind];

/**
 * The option tables as Markdown, one section per loss kind: the text of
 * docs/loss_options.md (config_test.ts checks that the file matches).
 */
export function lossOptionsMarkdown(): string {
  return optionsDocument({
    title: "Loss options",
    source:
      "lossOptionsMarkdown() from LOSS_DEFAULTS (lib/train/loss_options.ts)",
    test: "lib/train/config_test.ts",
    intro:
      "The `loss` section of a training config: `kind` and any of the options below; an option left out takes its default. Each table is declared once, in `lib/losses` for the losses' own options and in `lib/train/loss_options.ts` for the baselines' recipes; the equations are in [reconstruction.md](reconstruction.md).",
    sections: LOSS_KINDS.map((kind) => ({
      name: kind,
      table: LOSS_DEFAULTS[kind],
    })),
  });
}
