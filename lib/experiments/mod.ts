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
  experimentsBudgetText,
  experimentsCatalogue,
  experimentsCatalogueRows,
  type ExperimentsData,
  experimentsDatasetRows,
  experimentsDatasetsLabel,
  type ExperimentsDatasetSpec,
  experimentsLoadDataset,
  experimentsQuickCaveat,
  type ExperimentsRealData,
  experimentsRealDatasets,
  experimentsSeedLabel,
  experimentsSeeds,
  type ExperimentsSettings,
  experimentsSettings,
} from "./benchmark.ts";
export {
  EXPERIMENTS_VERSION,
  type ExperimentsConfig,
  type ExperimentsFamily,
  experimentsFixedConfigs,
  experimentsK,
  type ExperimentsKOption,
  experimentsResolveFor,
  type ExperimentsRun,
  experimentsRunKey,
  experimentsRunTask,
  type ExperimentsTask,
  experimentsTrainConfig,
  fixedMarginName,
  fixedSoftmaxName,
  PAPER_DELTA,
  PAPER_TAU,
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
export * from "./adaptive_method.ts";
export * from "./aggregate.ts";
export * from "./learning_curves.ts";
export * from "./catalogue_study.ts";
export * from "./knob_sensitivity.ts";
export * from "./softmax_forms.ts";
export * from "./main_experiments.ts";
export {
  familyOutcome,
  holm,
  holmNote,
  type HolmResult,
  intervalText,
  type Outcome,
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
export * from "./collapse.ts";
export * from "./collapse_report.ts";
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
  type BaselineRunSpec,
  type BaselineVariant,
} from "./baselines.ts";
export {
  type BaselineRow,
  runBaselineGrid,
  type RunBaselineGridOptions,
} from "./baseline_runs.ts";
export * from "./baseline_report.ts";
export * from "./baseline_notebook.ts";
export * from "./evaluate.ts";
export * from "./wordnet_study.ts";
