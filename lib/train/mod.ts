/**
 * Training: the JSON config and its validation, the seeded, resumable
 * training loop with Adam and gradient clipping, per-loss objectives for
 * every tower (including the DSSM, MGDSPR, DPSR and Adap-τ baselines),
 * checkpoints, early stopping on the valid split, Arrow step logs, and the
 * helpers evaluation builds on.
 *
 * ```ts
 * import { train } from "./mod.ts";
 * const run = await train({
 *   data: "data/synthetic-quick",
 *   tower: { kind: "dssm" },
 *   loss: { kind: "adaptive-margin" },
 * }, { outDir: "runs/dssm-adaptive" });
 * console.log(run.eval); // test batch recall@{1,5,10,50}
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./loss_options.ts";
export * from "./lazy_adam.ts";
export * from "./train.ts";
export * from "./evaluate.ts";
export * from "./objectives.ts";
export {
  type AdamScalars,
  type AdamState,
  type BlobManifest,
  CHECKPOINT_FILE,
  CHECKPOINT_FORMAT,
  type CheckpointData,
  type CheckpointManifest,
  getAdamState,
  hasCheckpoint,
  packTensors,
  readBestWeights,
  readCheckpoint,
  readManifest,
  setAdamState,
  type TensorEntry,
  unpackTensors,
  writeBestWeights,
  writeCheckpoint,
} from "./checkpoint.ts";
export {
  checkEarlyStoppingData,
  describeEarlyStopping,
  EARLY_STOPPING_METRICS,
  EARLY_STOPPING_OPTIONS,
  EarlyStopping,
  type EarlyStoppingConfig,
  type EarlyStoppingState,
  type EarlyStoppingSummary,
  earlyStoppingSummary,
  initialEarlyStoppingState,
  metricCutoff,
  resolveEarlyStopping,
  type StopReason,
} from "./early_stopping.ts";
export {
  readSteps,
  readValid,
  STEP_COLUMNS,
  type StepRow,
  stepsTable,
  type ValidRow,
  validTable,
  writeSteps,
  writeValid,
} from "./logs.ts";
export * from "./run_files.ts";
