/**
 * Losses of the paper and of its baselines, on tfjs tensors.
 *
 * Inputs: L2-normalised query and positive-item embeddings `q`, `v` ([B, d];
 * the losses do not normalise), optional accidental-hit `mask` ([B, B]) and
 * extra negatives. Every loss returns `{ loss, stats }`; `stats` (plain
 * numbers, one device sync) only with `stats: true`. Equation numbers refer
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
 * | fixed δ / τ baselines | {@link marginLoss}, {@link softmaxLoss} |
 * | the method | {@link adaptiveMarginLoss}, {@link adaptiveSoftmaxLoss} |
 * | Adap-τ (docs/reconstruction.md#adap-tau) | {@link adapTauLoss}, {@link AdapTau}, {@link adapTauGlobalScale}, {@link adapTauScales}, {@link lambertW} |
 *
 * @module
 */

export {
  type AdaptiveForm,
  adaptiveMargin,
  type AdaptiveMarginOptions,
  adaptiveTemperature,
  type AdaptiveTemperatureOptions,
  type AdaptiveValueOptions,
  MARGIN_FORMS,
  TEMPERATURE_FORMS,
} from "./adaptive.ts";
export {
  ADAP_TAU_WARMUP_GAP,
  AdapTau,
  type AdapTauDataStats,
  adapTauGlobalScale,
  type AdapTauGlobalScaleOptions,
  adapTauLoss,
  type AdapTauLossOptions,
  type AdapTauOptions,
  adapTauScales,
  type AdapTauScalesOptions,
  adapTauStatistics,
  type AdapTauStatisticsOptions,
} from "./adap_tau.ts";
export {
  accidentalHitMask,
  type AccidentalHitOptions,
  type BatchScores,
  batchScores,
  type BatchScoresOptions,
  type CandidateOptions,
} from "./batch.ts";
export { LAMBERT_W_MIN, lambertW } from "./lambert_w.ts";
export {
  adaptiveMarginLoss,
  type AdaptiveMarginLossOptions,
  marginLoss,
  type MarginLossOptions,
} from "./margin.ts";
export {
  type HingeRanking,
  hingeRankingLoss,
  type HingeRankingOptions,
  MASKED_LOGIT,
  softmaxRankingLoss,
  type SoftmaxRankingOptions,
} from "./ranking.ts";
export {
  adaptiveSoftmaxLoss,
  type AdaptiveSoftmaxLossOptions,
  type LogQOptions,
  softmaxLoss,
  type SoftmaxLossOptions,
} from "./softmax.ts";
export {
  type Combine,
  COMBINE_MODES,
  SYMMETRIC_FROM,
  type SymmetricOptions,
  totalLoss,
  type TotalLossOptions,
} from "./total.ts";
export {
  LossError,
  type LossResult,
  type LossStats,
  type Param,
  readStats,
  type TermStats,
  termStatsTensor,
} from "./types.ts";
