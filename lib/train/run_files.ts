/**
 * The run folder: file names, `run.json` (provenance and timings), dataset
 * hashes, and loading a trained model back from a folder.
 *
 * ```
 * <run>/
 *   config.json            resolved TrainConfig (stable JSON; its hash names the run)
 *   run.json               config hash, backend, seed, dataset name + hash, tower,
 *                          sessions with start/end times and durations, status
 *   steps.arrow            per-step log (see logs.ts)
 *   valid.arrow            batch recall on the valid split (only with evalEvery > 0)
 *   checkpoint.json        last checkpoint: step, file layout, Adam scalars, sha256s
 *   weights-<step>.bin     model weights of that checkpoint
 *   optimizer-<step>.bin   Adam moments of that checkpoint
 *   eval.json              evaluation at the end (written by training, then by `deno task eval`)
 * ```
 *
 * Only `run.json` holds wall-clock times, so two runs of one config on one
 * backend give identical `config.json`, `steps.arrow` (apart from the `ms`
 * column), checkpoints and `eval.json` values.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { joinPath, readDataset } from "../data/io.ts";
import type { Dataset } from "../data/schema.ts";
import type { BackendInfo } from "../backend/mod.ts";
import {
  createTower,
  type TowerConfig,
  type TowerInputs,
  type TwoTowerModel,
} from "../towers/mod.ts";
import {
  checkConfigAgainstData,
  resolveConfig,
  type TrainConfig,
} from "./config.ts";
import { readCheckpoint } from "./checkpoint.ts";

/** File names inside a run folder. */
export const RUN_FILES = {
  config: "config.json",
  run: "run.json",
  steps: "steps.arrow",
  valid: "valid.arrow",
  checkpoint: "checkpoint.json",
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
  /** Items. */
  items: number;
  /** Queries. */
  queries: number;
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
  /** The resolved tower config. */
  tower: TowerConfig;
  /** The data it is evaluated on. */
  ds: Dataset;
  /** The model with the last checkpoint's weights (caller disposes). */
  model: TwoTowerModel;
  /** The model's prepared inputs for `ds`. */
  inputs: TowerInputs;
  /** Step of the loaded checkpoint. */
  step: number;
  /** Hash of the config. */
  configHash: string;
}

/**
 * Loads the last checkpoint of a run folder into a fresh model. `data`
 * (a folder or an in-memory dataset) replaces the config's dataset, e.g.
 * to evaluate on a copy elsewhere; it must have the same catalogue size
 * when the tower has an item-id table. Call `initBackend` first.
 */
export async function loadRun(
  dir: string,
  options: { data?: string | Dataset } = {},
): Promise<LoadedRun> {
  const config = await readRunConfig(dir);
  const ckpt = await readCheckpoint(dir);
  const ds = typeof options.data === "object"
    ? options.data
    : await readDataset(options.data ?? config.data);
  const { tower } = checkConfigAgainstData(config, ds);
  const model = createTower(tower, { seed: config.seed });
  const modelNames = new Set(
    Object.keys(ckpt.weights).filter((n) => !n.startsWith("loss/")),
  );
  const weights = Object.fromEntries(
    Object.entries(ckpt.weights).filter(([n]) => modelNames.has(n)),
  );
  try {
    model.setWeights(weights);
  } catch (err) {
    model.dispose();
    throw new Error(`${dir}: ${(err as Error).message}`);
  }
  return {
    config,
    tower,
    ds,
    model,
    inputs: model.prepare(ds),
    step: ckpt.step,
    configHash: ckpt.configHash,
  };
}
