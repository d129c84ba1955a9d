/**
 * The experiments layer: what the notebooks call to train, evaluate and
 * compare models. One driver per notebook's experiment (the collapse of
 * notebook 02, the adaptive method of notebook 03, the baselines of
 * notebooks 04–05c, the main experiments of notebook 06), the full model
 * evaluation behind `deno task eval` (`evaluateModel`), the run cache, the
 * worker pool, and the statistics the verdicts are written from.
 *
 * ```ts
 * import { baselineGrid, runBaselineGrid } from "./mod.ts";
 * const rows = await runBaselineGrid(baselineGrid("dssm", { data: "d" }), {
 *   runsDir: "out/runs/04_baseline_dssm",
 * });
 * ```
 *
 * @module
 */

export {
  EXPERIMENTS_CATALOGUE_KNOBS,
  experimentsAvailableRealDatasets,
  experimentsBenchmark,
  experimentsCatalogue,
  experimentsCatalogueRows,
  type ExperimentsData,
  experimentsDatasetRows,
  experimentsDatasetsLabel,
  type ExperimentsDatasetSpec,
  experimentsLoadDataset,
  type ExperimentsProfile,
  type ExperimentsRealData,
  experimentsRealDatasets,
  experimentsSeeds,
  type ExperimentsSettings,
  experimentsSettings,
} from "./benchmark.ts";
export {
  EXPERIMENTS_VERSION,
  type ExperimentsConfig,
  experimentsResolveFor,
  type ExperimentsRun,
  experimentsRunKey,
  experimentsRunTask,
  type ExperimentsTask,
  experimentsTrainConfig,
  runExperimentGrid,
  type RunGridOptions,
} from "./grid.ts";
export {
  EXPERIMENTS_RELATIONS,
  experimentsPairKind,
  type ExperimentsPairValues,
  experimentsPairValues,
  type PairValueExtractOptions,
} from "./pair_values.ts";
export {
  experimentsMethodGrid,
  experimentsPairPlotRows,
  experimentsPairSummary,
  type ExperimentsPairSummaryRow,
  experimentsPairVerdict,
} from "./adaptive_method.ts";
export {
  type AggregateOptions,
  EXPERIMENTS_METRICS,
  experimentsAggregate,
  experimentsCompare,
  type ExperimentsCompareMetric,
  type ExperimentsComparison,
  experimentsCorpusClause,
  experimentsCurveRows,
  experimentsHasCorpusValues,
  experimentsHealthRows,
  experimentsHits,
  experimentsMetric,
  experimentsMetricsTable,
  experimentsPendingVerdict,
  type ExperimentsRow,
  experimentsRunRows,
  experimentsSensitivityRows,
  experimentsVerdict,
  experimentsVerdictList,
  type ExperimentsVerdictOptions,
  experimentsWideTable,
  type IntervalColumn,
} from "./aggregate.ts";
export {
  type ConvergenceRow,
  type CurveBudget,
  experimentsConvergenceRows,
  experimentsConvergenceTable,
  experimentsConvergenceVerdicts,
  experimentsCurveBudget,
  experimentsCurveGrid,
} from "./learning_curves.ts";
export {
  EXPERIMENTS_ALPHAS,
  EXPERIMENTS_DELTA0S,
  EXPERIMENTS_SWEEP_DATASETS,
  EXPERIMENTS_TAU0S,
  experimentsKnobChart,
  experimentsKnobGrid,
  experimentsKnobRows,
  experimentsKnobSeries,
  experimentsKnobSpreads,
  experimentsKnobVerdicts,
  experimentsRealSweep,
  type KnobChartOptions,
  type KnobRow,
  type KnobSeries,
  type KnobSpread,
} from "./knob_sensitivity.ts";
export {
  experimentsSoftmaxFormGrid,
  experimentsSoftmaxFormName,
  experimentsSoftmaxFormRows,
  experimentsSoftmaxFormVerdict,
  SOFTMAX_FORM_REFERENCE,
  type SoftmaxFormRow,
  type SoftmaxFormVerdictOptions,
} from "./softmax_forms.ts";
export {
  EXPERIMENTS_DELTAS,
  EXPERIMENTS_TAUS,
  experimentsAblationGrid,
  experimentsAblationPendings,
  experimentsAblationVerdicts,
  experimentsBestFixed,
  experimentsMainPendings,
  experimentsMainTableGrid,
  experimentsMainVerdicts,
  experimentsProtocolRows,
  experimentsSensitivityGrid,
  experimentsSensitivityPending,
  experimentsSensitivityPendings,
  experimentsSensitivityVerdict,
  experimentsSensitivityVerdicts,
  experimentsVerdictSections,
  type SensitivityVerdictOptions,
  type VerdictSection,
} from "./main_experiments.ts";
export {
  familyOutcome,
  holm,
  holmNote,
  type HolmResult,
  intervalText,
  type PairedDifference,
  pairedDifference,
  pairedTTest,
  type PendingVerdict,
  pHolmText,
  pText,
  seedInterval,
  signed,
  type SignedOptions,
  type StatedTest,
  STUDENT_T95,
  studentTwoSided,
  type TTest,
  writeFamily,
  type WrittenFamily,
} from "./statistics.ts";
export { EXPERIMENTS_WORKERS_ENV, experimentsWorkers } from "./workers.ts";
export {
  COLLAPSE_FORMAT,
  COLLAPSE_RESULT_FILE,
  type CollapsedInitOptions,
  collapsedInitWeights,
  CollapseError,
  collapseHealthItems,
  type CollapseHealthRow,
  type CollapseInit,
  collapseItemHealth,
  collapseRun,
  type CollapseRunOptions,
  type CollapseRunResult,
  type CollapseVariant,
  type CollapseVariantOptions,
  collapseVariants,
} from "./collapse.ts";
export {
  type CollapseExperiment,
  collapseExperiment,
  collapseRowsOf,
  collapseRunsTable,
  collapseSummary,
  type CollapseSummaryRow,
  collapseVerdict,
  type CollapseVerdictOptions,
} from "./collapse_report.ts";
export {
  ADAP_TAU_BASELINE_WARMUP,
  BASELINE_BUCKETS,
  BASELINE_EVAL_VERSION,
  BASELINE_NAMES,
  BASELINE_PER_QUERY_FILE,
  BASELINE_VARIANTS,
  baselineGrid,
  type BaselineGridOptions,
  baselineGridTable,
  type BaselineName,
  type BaselineRole,
  type BaselineRow,
  type BaselineRunSpec,
  type BaselineVariant,
  runBaselineGrid,
  type RunBaselineGridOptions,
} from "./baselines.ts";
export {
  BASELINE_METRIC_TITLES,
  type BaselineChartOptions,
  baselineChartRows,
  type BaselineComparison,
  baselineComparisons,
  baselineCurveRows,
  type BaselineDifference,
  baselineDifferences,
  baselineHealthTable,
  type BaselineMetric,
  baselinePendingVerdict,
  baselineTable,
  type BaselineTableOptions,
  baselineVerdict,
  baselineVerdictMarkdown,
  type BaselineVerdictOptions,
  baselineVerdicts,
} from "./baseline_report.ts";
export {
  BASELINE_HEALTH_CAPTION,
  baselineCurvesChart,
  type BaselineCurvesChartOptions,
  type BaselineDatasetRead,
  baselineResultsChart,
  type BaselineResultsChartOptions,
  baselineRunsNote,
  type BaselineSection,
  type BaselineSectionOptions,
  baselineSetupNote,
  readBaselineDataset,
  runBaselineSection,
} from "./baseline_notebook.ts";
export {
  EVAL_CORPUS_KS,
  evaluateModel,
  type EvaluateModelOptions,
  evaluateModelPerQuery,
  evaluateRun,
  type EvaluateRunOptions,
  type ModelOnData,
  type PerQueryValues,
  searchWithModel,
} from "./evaluate.ts";
