/**
 * The training loop: seeded, deterministic on one backend, resumable.
 *
 * - Step t (1-based) trains on batch t − 1 of the run: epoch
 *   ⌊(t − 1)/n⌋, position (t − 1) mod n, with n batches per epoch. Each
 *   epoch's order is a shuffle that depends only on (seed, epoch)
 *   (`makeBatches`); when the split has at least `batchSize` pairs the
 *   smaller last batch is dropped, so every step has a full batch of
 *   in-batch negatives. Sampled negatives depend only on (seed, step).
 *   Nothing random is therefore carried from step to step, and a run
 *   restarted from a checkpoint at step s continues with exactly the
 *   batches and negatives the uninterrupted run would have used.
 * - Adam (`DenseAdam`, tfjs' Adam) on every trainable weight (the towers', plus α
 *   and δ0/τ0 when the adaptive loss has `trainable`), after clipping the
 *   gradient to global L2 norm `clipNorm`. Weights that a batch does not
 *   reach get a zero gradient so Adam's moments stay aligned by position.
 *   With `optimizer.tables: "lazy"` the towers' embedding tables
 *   (`model.rowSparse()`) instead get row-sparse gradients and lazy Adam
 *   (`lazy_adam.ts`): only the rows a batch used are updated, and no
 *   `[V, D]` gradient is built. The clipping norm covers both parts.
 * - One device→host read per step (loss and gradient norm); the loss
 *   diagnostics (δ/τ statistics) cost one more read on every
 *   `statsEvery`-th step.
 * - Logs: `steps.arrow`, written at every checkpoint and at the end;
 *   `valid.arrow` with batch recall on the valid split every `evalEvery`
 *   steps (with early stopping also at the last step). Checkpoints every
 *   `checkpointEvery` steps and at the end (see `checkpoint.ts`), each
 *   written after the logs, so a kill between them never leaves a
 *   checkpoint past its log; a resume whose log does not cover every step
 *   up to the checkpoint is refused. At the end,
 *   `eval.json`: batch recall@{1,5,10,50} on the test split (or what
 *   `options.evaluate` returns), with the config hash, data hash and code
 *   version.
 * - Early stopping (`config.earlyStopping`, `early_stopping.ts`): a new
 *   best valid recall's weights go to `best-<step>.bin`; the loop ends
 *   after `patience` evaluations without improvement or at the cap (the
 *   monitor's state is in every checkpoint, so a resume continues it); the
 *   best weights are restored before `eval.json` (or `options.evaluate`),
 *   and `eval.json`, `run.json` and the result record `stoppedAt`,
 *   `bestStep`, `bestValid` and `stopReason`. The last checkpoint keeps
 *   the weights of the stop step.
 * - Safety: one process at a time trains into a folder (`train.lock`, an
 *   OS file lock, {@link acquireRunLock}); the folder may not be, or lie
 *   inside, the dataset folder; a resume refuses data whose hash differs
 *   from the one `run.json` records; resuming a finished run changes
 *   nothing (`alreadyFinished`), so its `eval.json` is never replaced.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  type Batch,
  type Dataset,
  joinPath,
  makeBatches,
  maskedBatch,
  pathExists,
  readDataset,
  stableJson,
  trainingPairs,
  writeTextAtomic,
} from "../data/mod.ts";
import { type BackendInfo, initBackend } from "../backend/mod.ts";
import {
  createTower,
  type TowerConfig,
  type TowerInputs,
  type TwoTowerModel,
  type Weights,
} from "../towers/mod.ts";
import { DenseAdam } from "./dense_adam.ts";
import { LazyTableAdam } from "./lazy_adam.ts";
import {
  batchesPerEpoch,
  checkConfigAgainstData,
  configHash,
  type ParallelSplit,
  resolveConfig,
  totalSteps,
  type TrainConfig,
  type TrainConfigInput,
} from "./config.ts";
import {
  hasCheckpoint,
  readBestWeights,
  readCheckpoint,
  splitWeights,
  weightsOnRead,
  writeBestWeights,
  writeCheckpoint,
} from "./checkpoint.ts";
import {
  EarlyStopping,
  type EarlyStoppingSummary,
  earlyStoppingSummary,
} from "./early_stopping.ts";
import {
  readSteps,
  readValid,
  statsColumns,
  type StepRow,
  type ValidRow,
  writeSteps,
  writeValid,
} from "./logs.ts";
import { createObjective } from "./objectives.ts";
import { batchRecallOfModel } from "./evaluate.ts";
import { LocalSteps } from "./local_steps.ts";
import { ParallelTowers, workSplit } from "./parallel_towers.ts";
import { acquireRunLock, refuseOutInsideData, TrainError } from "./run_lock.ts";

// Callers import these from here too (they were defined here before).
export {
  acquireRunLock,
  LOCK_FILE,
  type RunLock,
  TrainError,
} from "./run_lock.ts";
import { DEFAULT_KS } from "../eval/mod.ts";
import {
  codeVersion,
  describeDataset,
  readRunInfo,
  RUN_FILES,
  type RunInfo,
  type RunSession,
  sameDataset,
  summarizeDataset,
} from "./run_files.ts";

/** What {@link TrainOptions.evaluate} receives at the end of training. */
export interface EvaluateContext {
  /** The trained model. */
  model: TwoTowerModel;
  /** Its inputs for `ds`. */
  inputs: TowerInputs;
  /** The training data (all splits). */
  ds: Dataset;
  /** The run's config. */
  config: TrainConfig;
  /** Run folder. */
  dir: string;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Run folder (default `runs/<tower>-<loss>-<config hash>`). */
  outDir?: string;
  /** Called after every step with its log row. */
  onStep?: (row: StepRow) => void;
  /** Stops the loop before the next step when aborted. */
  signal?: AbortSignal;
  /** Continue from the folder's checkpoint (default false: the folder must not hold a run). */
  resume?: boolean;
  /** Train on this in-memory dataset instead of reading `config.data`. */
  dataset?: Dataset;
  /** Print a progress line with steps/s to stderr every 2 s (default false). */
  progress?: boolean;
  /** Do not print the backend line (default false). */
  quiet?: boolean;
  /** Write a checkpoint when stopped by `signal` (default true). */
  checkpointOnAbort?: boolean;
  /**
   * Cores for this run (default 1). With 2 the towers' work runs in two
   * workers and the loss here (`parallel_towers.ts`): one tower each, with
   * the one-core loop's numbers bit for bit, or, for towers that share
   * weights, half of each batch each, with its numbers up to float
   * rounding. The tfjs-node backend (threaded already) stays on one core.
   */
  threads?: number;
  /**
   * Replaces the built-in end-of-training evaluation (test batch recall);
   * its result is written to `eval.json` next to the config hash and backend.
   */
  evaluate?: (ctx: EvaluateContext) => unknown | Promise<unknown>;
  /** Return the trained model in the result instead of disposing it. */
  keepModel?: boolean;
}

/** Result of {@link train}. */
export interface TrainResult {
  /** Run folder. */
  dir: string;
  /** Cores the steps ran on (2: two workers; see `threads`). */
  threads: number;
  /** With 2 threads, how the workers split a step (absent with 1). */
  split?: ParallelSplit;
  /** Resolved config. */
  config: TrainConfig;
  /** Its hash. */
  configHash: string;
  /** Resolved tower config. */
  tower: TowerConfig;
  /** Steps completed. */
  steps: number;
  /** Steps the run is configured for. */
  totalSteps: number;
  /** False when stopped by the signal. */
  completed: boolean;
  /**
   * True when `resume` found the run already finished: nothing was
   * trained or written, `eval` is the folder's `eval.json` as it was.
   */
  alreadyFinished: boolean;
  /** The per-step log (all sessions). */
  log: StepRow[];
  /** Contents of `eval.json` (null when stopped early). */
  eval: Record<string, unknown> | null;
  /**
   * With `config.earlyStopping`: the stop step and reason, the best step
   * and its valid value (whose weights `eval` and `model` hold); else null.
   */
  earlyStopping: EarlyStoppingSummary | null;
  /** Backend the run used. */
  backend: BackendInfo;
  /** The model when `keepModel` (caller disposes), else null. */
  model: TwoTowerModel | null;
  /** Warnings about the config/data pairing. */
  warnings: string[];
}

/** A model with given weights (for `keepModel` on a finished run). */
function restoredModel(
  tower: TowerConfig,
  config: TrainConfig,
  weights: Weights,
): TwoTowerModel {
  const model = createTower(tower, { seed: config.seed });
  model.setWeights(splitWeights(weights).model);
  return model;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 90) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${
    String(Math.round(seconds % 60)).padStart(2, "0")
  }s`;
}

/**
 * Trains a model as `config` says and records the run in a folder (see
 * `run_files.ts` for its layout). Deterministic: the same config on the
 * same backend gives the same losses and weights, and a run stopped at any
 * point and resumed (`resume: true`) ends with exactly the weights of an
 * uninterrupted one.
 */
export async function train(
  input: TrainConfigInput | TrainConfig,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const config = resolveConfig(input);
  const hash = configHash(config);
  const backend = await initBackend({
    backend: config.backend,
    quiet: options.quiet,
  });
  const ds = options.dataset ?? await readDataset(config.data);
  const { tower, warnings } = checkConfigAgainstData(config, ds);
  const dir = options.outDir ??
    joinPath("runs", `${tower.kind}-${config.loss.kind}-${hash}`);
  if (!options.dataset) await refuseOutInsideData(dir, config.data);
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireRunLock(dir);
  if (lock.warning) warnings.push(lock.warning);
  try {
    return await trainLocked({
      config,
      hash,
      backend,
      ds,
      tower,
      warnings,
      dir,
    }, options);
  } finally {
    await lock.release();
  }
}

/** The missing steps among 1 … `step`, as ranges ("4–6", "2, 9–10"). */
function missingSteps(rows: readonly StepRow[], step: number): string {
  const have = new Set(rows.map((r) => r.step));
  const ranges: string[] = [];
  for (let s = 1; s <= step; s++) {
    if (have.has(s)) continue;
    let e = s;
    while (e + 1 <= step && !have.has(e + 1)) e++;
    ranges.push(s === e ? `${s}` : `${s}–${e}`);
    s = e;
  }
  return ranges.join(", ");
}

interface Prepared {
  config: TrainConfig;
  hash: string;
  backend: BackendInfo;
  ds: Dataset;
  tower: TowerConfig;
  warnings: string[];
  dir: string;
}

/** {@link train} once its folder is locked. */
async function trainLocked(
  prepared: Prepared,
  options: TrainOptions,
): Promise<TrainResult> {
  const { config, hash, backend, ds, tower, warnings, dir } = prepared;
  const resuming = await hasCheckpoint(dir);
  if (resuming && !options.resume) {
    throw new TrainError(
      `${dir} already holds a run (${RUN_FILES.checkpoint}); resume it (resume: true, --resume) or choose another output folder`,
    );
  }
  const ckpt = resuming ? await readCheckpoint(dir) : null;
  if (ckpt && ckpt.configHash !== hash) {
    throw new TrainError(
      `${dir}: its checkpoint was made with config ${ckpt.configHash}, this config is ${hash}; a run can only be resumed with the config it started with`,
    );
  }
  const datasetSummary = await summarizeDataset(
    ds,
    options.dataset ? null : config.data,
  );
  const previous: RunInfo | null = ckpt
    ? await readRunInfo(dir).catch(() => null)
    : null;
  if (previous && sameDataset(previous.dataset, datasetSummary) !== true) {
    throw new TrainError(
      `${dir}: ${
        describeDataset(datasetSummary)
      } is not the data this run trained on: run.json records ${
        describeDataset(previous.dataset)
      }. Resume it with that data, or train a new run in another folder`,
    );
  }

  const pairs = trainingPairs(ds, {
    split: "train",
    minRelevance: config.minRelevance,
  });
  const n = pairs.queryId.length;
  const dropLast = n >= config.batchSize;
  const perEpoch = batchesPerEpoch(n, config.batchSize);
  const T = totalSteps(config, perEpoch);

  let log: StepRow[] = [];
  let valid: ValidRow[] = [];
  let step = 0;
  if (ckpt) {
    step = ckpt.step;
    const stepsPath = joinPath(dir, RUN_FILES.steps);
    // The log is written before the checkpoint that points past it, so a
    // log that stops short means lost rows: refuse rather than resume with
    // a hole in it.
    if (!(await pathExists(stepsPath))) {
      if (step > 0) {
        throw new TrainError(
          `${stepsPath} is missing but the checkpoint is at step ${step}: resuming would lose steps 1–${step} of the log. Train again in a new folder`,
        );
      }
    } else {
      log = (await readSteps(stepsPath)).filter((r) => r.step <= step);
      const missing = missingSteps(log, step);
      if (missing !== "") {
        const held = log.length > 0
          ? `steps ${log[0].step}–${log[log.length - 1].step}`
          : "no steps";
        throw new TrainError(
          `${stepsPath} holds ${held} but the checkpoint is at step ${step} (missing ${missing}): resuming would leave a hole in the log. Train again in a new folder`,
        );
      }
    }
    const validPath = joinPath(dir, RUN_FILES.valid);
    if (await pathExists(validPath)) {
      valid = (await readValid(validPath)).filter((r) => r.step <= step);
    }
  }
  const evalPath = joinPath(dir, RUN_FILES.eval);
  const stopped = ckpt?.earlyStopping?.stopReason ?? null;
  if (
    ckpt && (step >= T || stopped !== null) &&
    previous?.status === "finished" && await pathExists(evalPath)
  ) {
    // A finished run: nothing to train, and its eval.json (perhaps the
    // full evaluation of `deno task eval`) is kept, not replaced.
    const early = config.earlyStopping && ckpt.earlyStopping
      ? earlyStoppingSummary(config.earlyStopping, ckpt.earlyStopping)
      : null;
    const weights = options.keepModel
      ? (await readBestWeights(dir, ckpt.earlyStopping)) ?? ckpt.weights
      : null;
    return {
      dir,
      threads: 1, // nothing was trained
      config,
      configHash: hash,
      tower,
      steps: step,
      totalSteps: T,
      completed: true,
      alreadyFinished: true,
      log,
      eval: JSON.parse(await Deno.readTextFile(evalPath)),
      earlyStopping: early,
      backend,
      model: weights ? restoredModel(tower, config, weights) : null,
      warnings,
    };
  }
  if (!resuming) {
    for (const f of [RUN_FILES.steps, RUN_FILES.valid, RUN_FILES.eval]) {
      await Deno.remove(joinPath(dir, f)).catch(() => {});
    }
  }
  await writeTextAtomic(
    joinPath(dir, RUN_FILES.config),
    stableJson(config) + "\n",
  );

  const model = createTower(tower, { seed: config.seed });
  const inputs = model.prepare(ds);
  const { lr, beta1, beta2, epsilon, clipNorm } = config.optimizer;
  const workerBackend = backend.name === "wasm" || backend.name === "cpu"
    ? backend.name
    : null;
  const tables = config.optimizer.tables === "lazy" ? model.rowSparse() : [];
  const towers = (options.threads ?? 1) >= 2 && workerBackend
    ? await ParallelTowers.start(model, {
      tower,
      seed: config.seed,
      ds,
      backend: workerBackend,
      split: workSplit(model, inputs, { lazyNames: tables }),
      lazyNames: tables,
      optimizer: { lr, beta1, beta2, epsilon, clipNorm },
    })
    : null;
  const objective = createObjective(config.loss, {
    model: towers?.model ?? model,
    inputs,
    ds,
    pairs,
    seed: config.seed,
  });
  const vars: tf.Variable[] = [...model.variables(), ...objective.variables()];
  const names = [
    ...model.weightNames(),
    ...Object.keys(objective.getWeights()),
  ];
  towers?.attach(objective);
  // `tables: "lazy"`: the model's row-sparse tables leave tfjs' Adam and
  // get row-sparse gradients and lazy Adam (see lazy_adam.ts).
  const lazy = !towers && tables.length > 0
    ? new LazyTableAdam(
      Object.fromEntries(
        tables.map((name) => [name, vars[names.indexOf(name)]]),
      ),
      { lr, beta1, beta2, epsilon },
    )
    : null;
  const lazyNames = new Set(lazy?.names() ?? []);
  const denseVars = vars.filter((_, i) => !lazyNames.has(names[i]));
  const denseNames = names.filter((n) => !lazyNames.has(n));
  // tfjs' Adam, operation for operation, with a smaller memory peak.
  const optimizer = new DenseAdam(
    Object.fromEntries(denseNames.map((n, i) => [n, denseVars[i]])),
    { lr, beta1, beta2, epsilon },
  );

  if (ckpt) {
    const { model: modelW, loss: lossW } = splitWeights(ckpt.weights);
    model.setWeights(modelW);
    objective.setWeights(lossW);
    if (ckpt.optimizer) {
      if (towers) await towers.setState(ckpt.optimizer);
      else optimizer.setState(ckpt.optimizer);
      lazy?.setState(ckpt.optimizer);
    }
    objective.setState(ckpt.objective);
    await towers?.push();
  }
  const stopper = config.earlyStopping
    ? new EarlyStopping(config.earlyStopping, ckpt?.earlyStopping)
    : null;

  const code = await codeVersion();
  const session: RunSession = {
    startedAt: new Date().toISOString(),
    endedAt: null,
    fromStep: step,
    toStep: step,
    durationMs: 0,
    trainMs: 0,
    stepsPerSecond: null,
    backend,
    code,
    threads: towers ? 2 : 1,
    ...(towers ? { split: towers.mode } : {}),
    status: "running",
  };
  const parameters = vars.reduce((a, v) => a + v.size, 0);
  const runInfo = (): RunInfo => ({
    configHash: hash,
    seed: config.seed,
    tower,
    parameters,
    dataset: datasetSummary,
    schedule: { batchesPerEpoch: perEpoch, totalSteps: T, trainPairs: n },
    warnings,
    status: session.status,
    steps: step,
    sessions: [...(previous?.sessions ?? []), session],
    ...(stopper ? { earlyStopping: stopper.summary() } : {}),
  });
  const t0 = performance.now();
  const writeRun = async () => {
    session.toStep = step;
    session.durationMs = performance.now() - t0;
    const trained = step - session.fromStep;
    session.stepsPerSecond = trained > 0 && session.trainMs > 0
      ? trained / (session.trainMs / 1000)
      : null;
    await writeTextAtomic(
      joinPath(dir, RUN_FILES.run),
      stableJson(runInfo()) + "\n",
    );
  };
  await writeRun();

  // Both optimisers' moments in one state, keyed by weight name.
  const optimizerState = () => {
    if (towers) return towers.getState();
    const dense = optimizer.getState();
    if (!lazy || !dense) return dense;
    // Written before the next step: no copies of the tables' moments.
    const sparse = lazy.getState({ copy: false });
    return {
      ...dense,
      m: { ...dense.m, ...sparse.m },
      v: { ...dense.v, ...sparse.v },
    };
  };

  const checkpoint = async () => {
    // Logs first, then the manifest that points past them: a process
    // killed in between leaves a log that covers the old checkpoint.
    await writeSteps(joinPath(dir, RUN_FILES.steps), log);
    if (config.evalEvery > 0) {
      await writeValid(joinPath(dir, RUN_FILES.valid), valid, DEFAULT_KS);
    }
    await towers?.sync();
    await writeCheckpoint(dir, {
      step,
      totalSteps: T,
      configHash: hash,
      weights: allWeights(),
      optimizer: await optimizerState(),
      objective: objective.getState(),
      earlyStopping: stopper?.state,
    });
    await writeRun();
  };
  // Copied as they are written, one weight at a time.
  const allWeights = (): Weights => weightsOnRead(names, vars);
  // Early stopping: the valid row of step t against the best so far; a
  // new best's weights go to disk at once (see early_stopping.ts).
  const observeValid = async (t: number) => {
    const row = valid[valid.length - 1];
    if (stopper === null || row?.step !== t) return;
    if (stopper.observe(t, row.recall)) {
      await towers?.sync();
      const blob = await writeBestWeights(dir, {
        step: t,
        weights: allWeights(),
      });
      stopper.setBest(blob);
    }
  };

  const local = new LocalSteps({
    objective,
    denseVars,
    lazy,
    optimizer,
    clipNorm,
  });

  let epochBatches: Batch[] = [];
  let currentEpoch = -1;
  let lastProgress = performance.now();
  let progressFrom = { step, time: performance.now() };
  let validMissing = false;
  let aborted = false;
  try {
    while (step < T && !stopper?.stopped) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const t = step + 1;
      const g = t - 1;
      const epoch = Math.floor(g / perEpoch);
      const index = g % perEpoch;
      if (epoch !== currentEpoch) {
        epochBatches = makeBatches(pairs, {
          batchSize: config.batchSize,
          seed: config.seed,
          epoch,
          dropLast,
        });
        currentEpoch = epoch;
        await towers?.sync(); // Adap-τ encodes everything at an epoch's start
        objective.startEpoch(epoch);
      }
      const batch = maskedBatch(pairs, epochBatches[index]);
      const wantStats = t === 1 || t % config.statsEvery === 0;
      const start = performance.now();
      const { loss, gradNorm, stats, recorded } = towers
        ? towers.step(batch, { step: t, stats: wantStats })
        : local.step(batch, { step: t, stats: wantStats });
      objective.afterStep(batch, recorded);
      step = t;
      const ms = performance.now() - start;
      session.trainMs += ms;
      const row: StepRow = {
        step: t,
        epoch,
        batch: index,
        loss,
        lossQuery: NaN,
        lossItem: NaN,
        paramMean: NaN,
        paramMin: NaN,
        paramMax: NaN,
        activeShare: NaN,
        positiveTemperature: NaN,
        gradNorm,
        ms,
        ...statsColumns(stats),
      };
      log.push(row);
      options.onStep?.(row);
      if (!Number.isFinite(loss)) {
        throw new TrainError(
          `the loss became ${loss} at step ${t} (epoch ${epoch}, batch ${index}); lower optimizer.lr or check the loss options`,
        );
      }
      const evalNow = t % config.evalEvery === 0 || (stopper && t === T);
      if (config.evalEvery > 0 && evalNow && !validMissing) {
        await towers?.sync();
        try {
          const r = batchRecallOfModel(model, { ds, inputs }, {
            split: "valid",
            minRelevance: config.minRelevance,
          });
          valid.push({ step: t, epoch, recall: r.recall, queries: r.queries });
        } catch (err) {
          if (stopper) throw err; // the config check found valid pairs
          validMissing = true;
          warnings.push(`no validation log: ${(err as Error).message}`);
        }
        await observeValid(t);
      }
      if (
        config.checkpointEvery > 0 && t % config.checkpointEvery === 0 && t < T
      ) {
        await checkpoint();
      }
      const now = performance.now();
      if (options.progress && (now - lastProgress >= 2000 || t === T)) {
        const rate = (t - progressFrom.step) /
          ((now - progressFrom.time) / 1000);
        console.error(
          `step ${t}/${T} (${Math.round((100 * t) / T)}%) epoch ${epoch} loss ${
            loss.toFixed(4)
          } · ${rate.toFixed(2)} steps/s · eta ${formatEta((T - t) / rate)}`,
        );
        lastProgress = now;
        progressFrom = { step: t, time: now };
      }
    }
  } catch (err) {
    session.status = "failed";
    session.error = (err as Error).message;
    session.endedAt = new Date().toISOString();
    await writeSteps(joinPath(dir, RUN_FILES.steps), log).catch(() => {});
    await writeRun().catch(() => {});
    objective.dispose();
    optimizer.dispose();
    towers?.dispose();
    model.dispose();
    throw err;
  }

  let evalResult: Record<string, unknown> | null = null;
  if (aborted) {
    session.status = "aborted";
    if (options.checkpointOnAbort ?? true) await checkpoint();
  } else {
    stopper?.finish(step);
    await checkpoint();
    towers?.dispose();
    // Test metrics from the best-valid weights (read back, sha256 checked).
    const best = await readBestWeights(dir, stopper?.state);
    if (best) model.setWeights(splitWeights(best).model);
    evalResult = await finalEval();
    await writeTextAtomic(
      joinPath(dir, RUN_FILES.eval),
      stableJson(evalResult) + "\n",
    );
    session.status = "finished";
  }
  session.endedAt = new Date().toISOString();
  await writeRun();
  objective.dispose();
  optimizer.dispose();
  towers?.dispose();
  if (!options.keepModel) model.dispose();
  return {
    dir,
    threads: towers ? 2 : 1,
    ...(towers ? { split: towers.mode } : {}),
    config,
    configHash: hash,
    tower,
    steps: step,
    totalSteps: T,
    completed: !aborted,
    alreadyFinished: false,
    log,
    eval: evalResult,
    earlyStopping: stopper?.summary() ?? null,
    backend,
    model: options.keepModel ? model : null,
    warnings,
  };

  async function finalEval(): Promise<Record<string, unknown>> {
    const head = {
      configHash: hash,
      backend: {
        name: backend.name,
        simd: backend.simd,
        threads: backend.threads,
      },
      dataset: datasetSummary.name,
      dataHash: { hash: datasetSummary.hash, hashOf: datasetSummary.hashOf },
      code,
      step,
      ...(stopper ? { earlyStopping: stopper.summary() } : {}),
    };
    if (options.evaluate) {
      const out = await options.evaluate({ model, inputs, ds, config, dir });
      return { ...head, ...(out as Record<string, unknown>) };
    }
    try {
      const r = batchRecallOfModel(model, { ds, inputs }, {
        split: "test",
        minRelevance: config.minRelevance,
      });
      return {
        ...head,
        source: "train",
        batchRecall: {
          split: r.split,
          ks: r.ks,
          recall: r.recall,
          queries: r.queries,
          batches: r.batches,
          batchSize: r.batchSize,
        },
      };
    } catch (err) {
      return {
        ...head,
        source: "train",
        batchRecall: null,
        note: (err as Error).message,
      };
    }
  }
}
