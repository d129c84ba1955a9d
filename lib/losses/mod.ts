/**
 * Losses of the paper and of its baselines, on tfjs tensors.
 *
 * Every loss is a function of a score bundle ({@link BatchScores}: the
 * query–item scores, the item–item scores the adaptive values and the
 * symmetric term need, which candidates are negatives after the
 * accidental-hit mask, and the logQ offsets), named `…FromScores`. Its
 * (q, v) form takes L2-normalised query and positive-item embeddings
 * ([B, d]; the losses do not normalise), builds the bundle with
 * {@link batchScores} and calls it; a multi-head tower (DPSR) builds the
 * bundle with its own score function instead, so each equation exists
 * once. Every loss returns `{ loss, stats }`; `stats` (plain numbers, one
 * device sync) only with `stats: true`. Each loss declares its options once,
 * as a table (options.ts) that gives their types, defaults, checks and
 * documentation. Equation numbers refer
 * to docs/reconstruction.md#method (the reconstructed equations, their
 * sources and open choices; one anchor per equation, e.g.
 * docs/reconstruction.md#eq-4); each equation is one function:
 *
 * | eq. | function |
 * |---|---|
 * | (1), (4), (8) hinge | {@link hingeRankingLoss} |
 * | (2), (6), (10) softmax cross-entropy | {@link softmaxRankingLoss} |
 * | (3), (7) adaptive margin | {@link adaptiveMargin} |
 * | (5), (7) adaptive temperature | {@link adaptiveTemperature} |
 * | (9) total | {@link totalLoss} |
 * | fixed δ / τ baselines | {@link marginLossFromScores}, {@link softmaxLossFromScores} ((q, v): {@link marginLoss}, {@link softmaxLoss}) |
 * | the method | {@link adaptiveMarginLossFromScores}, {@link adaptiveSoftmaxLossFromScores} ((q, v): {@link adaptiveMarginLoss}, {@link adaptiveSoftmaxLoss}) |
 * | baselines' sampled negatives | {@link sampleUnclicked} (DSSM), {@link sampleRandomItems} (DPSR), {@link mgdsprMixedNegatives} (MGDSPR) |
 * | Adap-τ (docs/reconstruction.md#adap-tau) | {@link adapTauLossFromScores} ((q, v): {@link adapTauLoss}), {@link AdapTau}, {@link adapTauGlobalScale}, {@link adapTauScales}, {@link lambertW} |
 *
 * @module
 */

export {
  ADAPTIVE_MARGIN_OPTIONS,
  ADAPTIVE_TEMPERATURE_OPTIONS,
  type AdaptiveForm,
  adaptiveMargin,
  type AdaptiveMarginOptions,
  adaptiveTemperature,
  type AdaptiveTemperatureOptions,
  type AdaptiveValueOptions,
  MARGIN_FORMS,
  TEMPERATURE_FORMS,
  type TemperatureScale,
  temperatureScale,
  type TemperatureScaleOptions,
} from "./adaptive.ts";
export * from "./adap_tau.ts";
export {
  accidentalHitMask,
  type AccidentalHitOptions,
  type BatchScores,
  batchScores,
  type BatchScoresOptions,
  type CandidateOptions,
  disposeScores,
  type LogQOptions,
  type ScoreFunction,
  type StatsOption,
  withBatchScores,
} from "./batch.ts";
export * from "./lambert_w.ts";
export * from "./negatives.ts";
export {
  ADAPTIVE_MARGIN_LOSS_OPTIONS,
  adaptiveMarginLoss,
  adaptiveMarginLossFromScores,
  type AdaptiveMarginLossOptions,
  type AdaptiveMarginScoreOptions,
  MARGIN_LOSS_OPTIONS,
  marginLoss,
  marginLossFromScores,
  type MarginLossOptions,
  type MarginScoreOptions,
} from "./margin.ts";
export * from "./options.ts";
export * from "./ranking.ts";
export {
  ADAPTIVE_SOFTMAX_LOSS_OPTIONS,
  adaptiveSoftmaxLoss,
  adaptiveSoftmaxLossFromScores,
  type AdaptiveSoftmaxLossOptions,
  type AdaptiveSoftmaxScoreOptions,
  SOFTMAX_LOSS_OPTIONS,
  softmaxLoss,
  softmaxLossFromScores,
  type SoftmaxLossOptions,
  type SoftmaxScoreOptions,
} from "./softmax.ts";
export {
  type Combine,
  COMBINE_MODES,
  SYMMETRIC_FROM,
  SYMMETRIC_OPTIONS,
  type SymmetricOptions,
  TOTAL_LOSS_OPTIONS,
  totalLoss,
  type TotalLossOptions,
} from "./total.ts";
export {
  LossError,
  type LossResult,
  type LossStats,
  type LossTerms,
  type Param,
  readStats,
  runLoss,
  type TermStats,
  termStatsTensor,
} from "./types.ts";
