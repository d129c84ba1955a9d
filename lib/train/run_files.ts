/**
 * The run folder: file names, `run.json` (provenance and timings), dataset
 * hashes, and loading a trained model back from a folder.
 *
 * ```
 * <run>/
 *   config.json            resolved TrainConfig (stable JSON; its hash names the run)
 *   run.json               config hash, backend, seed, dataset name + hashes, tower,
 *                          sessions with start/end times, durations, code version, status
 *   steps.arrow            per-step log (see logs.ts)
 *   valid.arrow            batch recall on the valid split (only with evalEvery > 0)
 *   checkpoint.json        last checkpoint: step, file layout, Adam scalars, sha256s
 *   weights-<step>.bin     model weights of that checkpoint
 *   optimizer-<step>.bin   Adam moments of that checkpoint
 *   best-<step>.bin        with early stopping: weights of the best valid evaluation
 *   eval.json              evaluation at the end (written by training, then by `deno task eval`)
 *   eval-<split>[-<data>-<hash>].json   `deno task eval` of another split or other data
 *   train.lock             while a process trains into the folder: its pid, host, start
 * ```
 *
 * Only `run.json` holds wall-clock times, so two runs of one config on one
 * backend give identical `config.json`, `steps.arrow` (apart from the `ms`
 * column), checkpoints and `eval.json` values.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Dataset, joinPath, readDataset } from "../data/mod.ts";
import type { BackendInfo } from "../backend/mod.ts";
import {
  createTower,
  type TowerConfig,
  towerConfig,
  type TowerInputs,
  type TwoTowerModel,
} from "../towers/mod.ts";
import {
  checkConfigAgainstData,
  type ParallelSplit,
  resolveConfig,
  type TrainConfig,
} from "./config.ts";
import {
  CHECKPOINT_FILE,
  readBestWeights,
  readCheckpoint,
  splitWeights,
} from "./checkpoint.ts";
import {
  type EarlyStoppingSummary,
  earlyStoppingSummary,
} from "./early_stopping.ts";

/** File names inside a run folder. */
export const RUN_FILES = {
  config: "config.json",
  run: "run.json",
  steps: "steps.arrow",
  valid: "valid.arrow",
  checkpoint: CHECKPOINT_FILE,
  eval: "eval.json",
} as const;

/** One training session (a first run, or a resume). */
export interface RunSession {
  /** ISO start time. */
  startedAt: string;
  /** ISO end time (null while running). */
  endedAt: string | null;
  /** Step the session started from. */
  fromStep: number;
  /** Last step it completed. */
  toStep: number;
  /** Wall time of the session (ms). */
  durationMs: number;
  /** Sum of the step times (ms). */
  trainMs: number;
  /** Steps per second over the session's steps. */
  stepsPerSecond: number | null;
  /** Backend it ran on. */
  backend: BackendInfo;
  /** {@link codeVersion} of the code that ran it (absent in older runs). */
  code?: string;
  /** Cores the steps ran on: 2 with two workers (absent in older runs: 1). */
  threads?: number;
  /** With 2: whether each worker ran one tower or half of each batch (`parallel_towers.ts`). */
  split?: ParallelSplit;
  /** "running", "finished", "aborted" or "failed". */
  status: "running" | "finished" | "aborted" | "failed";
  /** Error message of a failed session. */
  error?: string;
}

/** Contents of `run.json`. */
export interface RunInfo {
  /** Hash of `config.json` ({@link configHash}). */
  configHash: string;
  /** Run seed. */
  seed: number;
  /** The resolved tower configuration. */
  tower: TowerConfig;
  /** Trainable parameters of the model. */
  parameters: number;
  /** Dataset: name (from meta.json), folder, content hash, sizes. */
  dataset: DatasetSummary;
  /** Batches per epoch and total steps. */
  schedule: { batchesPerEpoch: number; totalSteps: number; trainPairs: number };
  /** Things that run but are probably not what was meant. */
  warnings: string[];
  /** Status of the last session. */
  status: RunSession["status"];
  /** Steps completed. */
  steps: number;
  /** Every session, in order. */
  sessions: RunSession[];
  /**
   * With early stopping (absent without): stop step and reason, best step
   * and its valid value, as of the last write.
   */
  earlyStopping?: EarlyStoppingSummary;
}

/** What run.json records about the data. */
export interface DatasetSummary {
  /** `meta.name`. */
  name: string;
  /** Folder it was read from (null for in-memory data). */
  dir: string | null;
  /** sha256 (hex, 16 digits) of the table files, or of the tables' contents for in-memory data. */
  hash: string;
  /** What was hashed. */
  hashOf: "files" | "contents";
  /**
   * {@link datasetContentHash} of the tables, so that a folder and the same
   * data in memory can be compared (absent in runs recorded before it).
   */
  contentHash?: string;
  /** Items. */
  items: number;
  /** Queries. */
  queries: number;
}

/**
 * The {@link DatasetSummary} of data read from `folder` (files hash), or
 * of in-memory data when `folder` is null (contents hash).
 */
export async function summarizeDataset(
  ds: Dataset,
  folder: string | null,
): Promise<DatasetSummary> {
  const contentHash = datasetContentHash(ds);
  return {
    name: ds.meta.name,
    dir: folder,
    hash: folder === null ? contentHash : await datasetFilesHash(folder),
    hashOf: folder === null ? "contents" : "files",
    contentHash,
    items: ds.items.itemId.length,
    queries: ds.queries.queryId.length,
  };
}

function contentHashOf(s: DatasetSummary): string | undefined {
  return s.contentHash ?? (s.hashOf === "contents" ? s.hash : undefined);
}

/**
 * Whether two summaries describe the same data: equal hashes of one kind
 * (files or contents); null when they hold no hash of a common kind (a run
 * recorded before `contentHash` existed, compared with in-memory data).
 */
export function sameDataset(
  a: DatasetSummary,
  b: DatasetSummary,
): boolean | null {
  if (a.hashOf === b.hashOf) return a.hash === b.hash;
  const [ca, cb] = [contentHashOf(a), contentHashOf(b)];
  return ca !== undefined && cb !== undefined ? ca === cb : null;
}

/** "folder F (files hash H)" or "in-memory data 'N' (contents hash H)", for messages. */
export function describeDataset(s: DatasetSummary): string {
  return s.dir === null
    ? `in-memory data '${s.name}' (contents hash ${s.hash})`
    : `dataset folder ${s.dir} ('${s.name}', files hash ${s.hash})`;
}

/**
 * A version of the code that produced a result: sha256 (12 hex digits)
 * over the package's TypeScript sources under `lib/` (tests excluded), in
 * path order; "unknown" when they cannot be read. Computed once per
 * process.
 */
export function codeVersion(): Promise<string> {
  codeVersionCache ??= hashSources().catch(() => "unknown");
  return codeVersionCache;
}

let codeVersionCache: Promise<string> | null = null;

async function hashSources(): Promise<string> {
  const root = new URL("../", import.meta.url);
  if (root.protocol !== "file:") return "unknown";
  const files: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(new URL(rel || ".", root))) {
      const p = rel + e.name;
      if (e.isDirectory) await walk(p + "/");
      else if (
        e.isFile && p.endsWith(".ts") && !p.endsWith("_test.ts")
      ) files.push(p);
    }
  };
  await walk("");
  files.sort();
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f + "\0");
    h.update(await Deno.readFile(new URL(f, root)));
  }
  return h.digest("hex").slice(0, 12);
}

/**
 * sha256 over a dataset folder's files (`*.arrow`, `meta.json`), in name
 * order, each preceded by its name; the first 16 hex digits.
 */
export async function datasetFilesHash(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && (e.name.endsWith(".arrow") || e.name === "meta.json")) {
      names.push(e.name);
    }
  }
  names.sort();
  const h = createHash("sha256");
  for (const n of names) {
    h.update(n + "\0");
    h.update(await Deno.readFile(joinPath(dir, n)));
  }
  return h.digest("hex").slice(0, 16);
}

/** sha256 over the tables' contents (for data that has no folder). */
export function datasetContentHash(ds: Dataset): string {
  const h = createHash("sha256");
  const bytes = (a: ArrayBufferView) =>
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const text = (a: readonly string[]) => h.update(a.join("\u0000") + "\u0001");
  const it = ds.items;
  bytes(it.itemId);
  for (
    const c of [it.sourceId, it.title, it.category, it.brand, it.attributes]
  ) text(c);
  bytes(it.popularity);
  bytes(ds.queries.queryId);
  text(ds.queries.text);
  bytes(ds.queries.userId);
  text(ds.queries.split);
  bytes(ds.pairs.queryId);
  bytes(ds.pairs.itemId);
  bytes(ds.pairs.relevance);
  text(ds.pairs.split);
  if (ds.users) {
    bytes(ds.users.userId);
    for (const hist of ds.users.history) bytes(hist);
  }
  return h.digest("hex").slice(0, 16);
}

/** Reads `run.json` of a run folder. */
export async function readRunInfo(dir: string): Promise<RunInfo> {
  const path = joinPath(dir, RUN_FILES.run);
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** Reads and re-validates `config.json` of a run folder. */
export async function readRunConfig(dir: string): Promise<TrainConfig> {
  const path = joinPath(dir, RUN_FILES.config);
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  return resolveConfig(raw);
}

/** A trained model loaded from a run folder. */
export interface LoadedRun {
  /** The run's config. */
  config: TrainConfig;
  /** The resolved tower config (the one the run trained). */
  tower: TowerConfig;
  /** The data it is evaluated on. */
  ds: Dataset;
  /**
   * The model (caller disposes) with the weights {@link LoadRunOptions.weights}
   * chose: the last checkpoint's, or an early-stopped run's best.
   */
  model: TwoTowerModel;
  /** The model's prepared inputs for `ds`. */
  inputs: TowerInputs;
  /** Step of the loaded checkpoint. */
  step: number;
  /**
   * Steps the run trains for: the configured length, or, once early
   * stopping has ended the run, the step it stopped at (step < totalSteps:
   * not finished).
   */
  totalSteps: number;
  /** Step whose weights `model` holds (`step`, or the best step). */
  weightsStep: number;
  /** Early stopping's summary (null when the run has it off). */
  earlyStopping: EarlyStoppingSummary | null;
  /** Hash of the config. */
  configHash: string;
  /** The data `ds` came from (folder or memory) and its hashes. */
  data: DatasetSummary;
  /** The data the run trained on, as `run.json` records it. */
  runData: DatasetSummary;
  /** Whether `data` is the run's own data (null: the hashes cannot tell). */
  sameData: boolean | null;
}

/** Evaluation data that is not the data the run trained on. */
export class DataMismatchError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DataMismatchError";
  }
}

/** Options of {@link loadRun}. */
export interface LoadRunOptions {
  /** A dataset folder or in-memory dataset replacing the config's. */
  data?: string | Dataset;
  /**
   * Accept data whose hash differs from the one `run.json` records (e.g.
   * transfer to another dataset on purpose); default false: refused.
   */
  allowOtherData?: boolean;
  /**
   * Which weights: "best" (an early-stopped run's best-valid weights, the
   * ones its test metrics come from), "last" (the last checkpoint's), or
   * "auto" (default): "best" once early stopping has ended the run, else
   * "last" (an unfinished run is looked at where it is). "best" on a run
   * without best weights throws.
   */
  weights?: "auto" | "best" | "last";
}

/**
 * Loads a run folder's last checkpoint, or an early-stopped run's best
 * weights (`weights`), into a fresh model. `data`
 * (a folder or an in-memory dataset) replaces the config's dataset, e.g.
 * a copy elsewhere. The data's hash is compared with `run.json`'s: data
 * other than the run's own (or the run's folder changed since training)
 * throws a {@link DataMismatchError} naming both hashes, unless
 * `allowOtherData`. The tower is the one the run trained: its item-id
 * table covers the training data's ids. Call `initBackend` first.
 */
export async function loadRun(
  dir: string,
  options: LoadRunOptions = {},
): Promise<LoadedRun> {
  const config = await readRunConfig(dir);
  const info = await readRunInfo(dir);
  const ckpt = await readCheckpoint(dir);
  const folder = typeof options.data === "object"
    ? null
    : options.data ?? config.data;
  const ds = folder === null
    ? options.data as Dataset
    : await readDataset(folder);
  const data = await summarizeDataset(ds, folder);
  const same = sameDataset(info.dataset, data);
  if (same !== true && !options.allowOtherData) {
    const now = describeDataset(data), then = describeDataset(info.dataset);
    const own = options.data === undefined || options.data === config.data;
    throw new DataMismatchError(
      same === null
        ? `${dir}: cannot tell whether ${now} is the data the run trained on: run.json records only ${then}. Pass --allow-other-data (allowOtherData) to evaluate on it anyway.`
        : own
        ? `${dir}: the ${now} has changed since the run trained on it: run.json records ${then}. Restore that data, or pass --allow-other-data (allowOtherData) to evaluate on the changed data anyway.`
        : `${dir}: ${now} is not the data the run trained on: run.json records ${then}. To evaluate on other data on purpose (e.g. transfer), pass --allow-other-data (allowOtherData); the result then says so.`,
    );
  }
  const early = config.earlyStopping && ckpt.earlyStopping
    ? earlyStoppingSummary(config.earlyStopping, ckpt.earlyStopping)
    : null;
  const which = options.weights ?? "auto";
  const useBest = which === "best" ||
    (which === "auto" && early?.stopReason != null);
  const best = useBest ? await readBestWeights(dir, ckpt.earlyStopping) : null;
  if (useBest && (best === null || early?.bestStep == null)) {
    throw new Error(
      `${dir}: no best-valid weights to load (the run ${
        config.earlyStopping
          ? "has not been evaluated yet"
          : "has no early stopping"
      }); load the last checkpoint (weights: "last")`,
    );
  }
  const checked = checkConfigAgainstData(config, ds);
  // The run's own tower: sized by the training data's ids, not by `ds`'s.
  const tower = info.tower ? towerConfig(info.tower) : checked.tower;
  const model = createTower(tower, { seed: config.seed });
  const weights = splitWeights(best ?? ckpt.weights).model;
  let inputs: TowerInputs;
  try {
    model.setWeights(weights);
    inputs = model.prepare(ds);
  } catch (err) {
    model.dispose();
    const why = same === true
      ? ""
      : ". The run's item-id table covers the ids of the data it trained on; items with other ids cannot be scored by it";
    throw new Error(`${dir}: ${(err as Error).message}${why}`);
  }
  return {
    config,
    tower,
    ds,
    model,
    inputs,
    step: ckpt.step,
    totalSteps: early?.stopReason === "patience" ? ckpt.step : ckpt.totalSteps,
    weightsStep: best ? early?.bestStep as number : ckpt.step,
    earlyStopping: early,
    configHash: ckpt.configHash,
    data,
    runData: info.dataset,
    sameData: same,
  };
}
