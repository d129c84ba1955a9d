/**
 * Experiment driver behind `notebooks/02_gradient_collapse.ipynb`: trains
 * variants of the adaptive loss (stop-gradient on/off × symmetric term
 * on/off × a normal or a collapsed start) and records the health of the
 * item embeddings (mean item–item cosine, uniformity, effective rank, see
 * `lib/eval`'s `health.ts`) every `every` steps; the summary table and the
 * verdict sentence computed from the numbers are `collapse_report.ts`'s.
 *
 * Measuring during training. `train` does not hand out the live model
 * while it runs, so a run is trained in segments: `onStep` aborts the loop
 * at every multiple of `every`, `train` checkpoints and returns the model
 * (`keepModel`), the health is measured, and the next segment resumes from
 * the checkpoint. Resuming is exact (`train`'s guarantee; the tests check
 * it here too), so a segmented run ends with the weights of an
 * uninterrupted one; the price is one model rebuild per segment.
 *
 * The collapsed start ({@link collapsedInitWeights}). The paper warns that
 * a bad initialisation, where s(q, v) ≤ s(q, v_j), can collapse even with
 * the stop-gradient. Construction: the item tower's output layer keeps its
 * random weights but shrunk by `scale` (default 0.01), the item-id table
 * likewise, and its bias is one shared random vector of norm `biasNorm`
 * (default 1). Every item's pre-normalisation output is then that shared
 * vector plus a small item-specific part, so all items start at cosine ≈ 1
 * with each other (the step-0 row shows it) and every query scores its
 * positive about as high as every negative. The query tower and everything
 * else keep the normal initialisation, and the optimiser may move every
 * weight, the shared bias included. The modified weights are written as a
 * step-0 checkpoint that `train` then resumes from.
 *
 * Caching (the run cache of `run_cache.ts`). A run lives in
 * `<outDir>/<name>-<key>/`, `key` hashing the
 * resolved config, the start, `every`, the health options and the dataset
 * contents. A finished run leaves `collapse.json`; a later call with the
 * same key reads it instead of training. An interrupted run resumes from
 * its last segment. The checkpoint files are deleted when a run finishes
 * unless `keepCheckpoint` (they are large and nothing here reads them).
 *
 * @module
 */

import {
  type Dataset,
  joinPath,
  readJsonIfPresent,
  Rng,
  stableJson,
  trainingPairs,
  writeTextAtomic,
} from "../data/mod.ts";
import { initBackend } from "../backend/mod.ts";
import {
  createTower,
  type TowerInputs,
  type TwoTowerModel,
  type Weights,
} from "../towers/mod.ts";
import {
  batchesPerEpoch,
  batchRecallOfModel,
  checkConfigAgainstData,
  CHECKPOINT_FILE,
  configHash,
  datasetContentHash,
  encodeAll,
  hasCheckpoint,
  readManifest,
  resolveConfig,
  type StepRow,
  totalSteps,
  train,
  type TrainConfig,
  type TrainConfigInput,
  writeCheckpoint,
} from "../train/mod.ts";
import { effectiveRank, meanCosine, uniformity } from "../eval/mod.ts";
import { cachedRun, runKey } from "./run_cache.ts";

/** Version of the files a collapse run writes (part of the cache key). */
export const COLLAPSE_FORMAT = 1;

/** Name of a finished run's result file in its folder. */
export const COLLAPSE_RESULT_FILE = "collapse.json";

/** Health rows of an unfinished run, rewritten after every segment. */
const PARTIAL_FILE = "health.json";

/**
 * How a run starts: `"normal"`, the tower's own initialisation, or
 * `"collapsed"`, all items at cosine ≈ 1 ({@link collapsedInitWeights}).
 */
export type CollapseInit = "normal" | "collapsed";

/** One training run of a collapse experiment. */
export interface CollapseVariant {
  /** Label: run folder prefix, legend entry, table row. */
  name: string;
  /** What to train (data label, tower, loss, steps, …). */
  config: TrainConfigInput | TrainConfig;
  /** How it starts (default `"normal"`). */
  init?: CollapseInit;
}

/** Options of {@link collapsedInitWeights}. */
export interface CollapsedInitOptions {
  /** Factor on the item output layer's weights and the item-id table (default 0.01). */
  scale?: number;
  /** Norm of the shared output bias (default 1). */
  biasNorm?: number;
  /** Seed of the bias direction (default 0). */
  seed?: number;
}

/** Options of {@link collapseRun} (and of `collapseExperiment`). */
export interface CollapseRunOptions {
  /** The training data (also evaluated on). */
  dataset: Dataset;
  /** Folder the run folders go into. */
  outDir: string;
  /** Measure the health every this many steps (and at step 0 and the last step). */
  every: number;
  /** Items the health is measured on: all up to this many, else a fixed sample (default 2000). */
  healthItems?: number;
  /** Also record valid batch recall@10 at every measurement (default true). */
  recall?: boolean;
  /** The collapsed start's settings. */
  collapsedInit?: CollapsedInitOptions;
  /** Keep the checkpoint files of a finished run (default false: deleted). */
  keepCheckpoint?: boolean;
  /** Called with every health row once it is saved (progress; a throw stops the run, which a later call resumes). */
  onRow?: (row: CollapseHealthRow) => void;
}

/** The item-embedding health of one run at one step. */
export interface CollapseHealthRow {
  /** Run label. */
  run: string;
  /** How the run started. */
  init: CollapseInit;
  /** Steps trained. */
  step: number;
  /** Mean off-diagonal item–item cosine (1: all items one direction). */
  meanCosine: number;
  /** Item uniformity log E exp(−2‖x − y‖²) (0: all items equal; lower is more spread). */
  uniformity: number;
  /** Effective rank of the item embeddings (1: one direction; at most d). */
  effectiveRank: number;
  /** Mean training loss over the steps since the previous row (null at step 0). */
  loss: number | null;
  /** Valid batch recall@10 (absent when not asked for or the split is empty). */
  recall?: number;
}

/** Result of {@link collapseRun}. */
export interface CollapseRunResult {
  /** Run label. */
  name: string;
  /** How it started. */
  init: CollapseInit;
  /** Run folder. */
  dir: string;
  /** Cache key (hex). */
  key: string;
  /** Resolved training config. */
  config: TrainConfig;
  /** Read from a finished run instead of trained now. */
  cached: boolean;
  /** Health rows in step order, starting at step 0. */
  rows: CollapseHealthRow[];
  /** Test batch recall@10 at the end (train's `eval.json`; null when unavailable). */
  testRecall: number | null;
  /** Steps trained. */
  steps: number;
  /** Wall-clock seconds of the training and measuring (when it was trained). */
  seconds: number;
}

/** Options of {@link collapseVariants}. */
export interface CollapseVariantOptions {
  /** Starts (default both, normal first). */
  inits?: readonly CollapseInit[];
  /** Stop-gradient settings (default off, on). */
  stopGradient?: readonly boolean[];
  /** Symmetric-term settings (default off, on). */
  symmetric?: readonly boolean[];
}

/** An option of the collapse driver is invalid. */
export class CollapseError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CollapseError";
  }
}

const INIT_LABEL: Record<CollapseInit, string> = {
  normal: "normal",
  collapsed: "collapsed",
};

/**
 * The grid of variants of one adaptive-loss config: every start ×
 * stop-gradient × symmetric setting, labelled e.g.
 * `"collapsed · sg + sym"` (`no sg` without the stop-gradient).
 * Throws unless `base.loss.kind` is an adaptive loss.
 */
export function collapseVariants(
  base: TrainConfigInput,
  options: CollapseVariantOptions = {},
): CollapseVariant[] {
  const kind = base.loss?.kind;
  if (kind !== "adaptive-margin" && kind !== "adaptive-softmax") {
    throw new CollapseError(
      `collapseVariants: base.loss.kind must be "adaptive-margin" or "adaptive-softmax", got ${
        JSON.stringify(kind)
      }`,
    );
  }
  const inits = options.inits ?? ["normal", "collapsed"];
  const sgs = options.stopGradient ?? [false, true];
  const syms = options.symmetric ?? [false, true];
  const out: CollapseVariant[] = [];
  for (const init of inits) {
    if (!(init in INIT_LABEL)) {
      throw new CollapseError(
        `collapseVariants: options.inits has ${
          JSON.stringify(init)
        }; expected "normal" or "collapsed"`,
      );
    }
    for (const symmetric of syms) {
      for (const stopGradient of sgs) {
        out.push({
          name: `${INIT_LABEL[init]} · ${stopGradient ? "sg" : "no sg"}${
            symmetric ? " + sym" : ""
          }`,
          init,
          config: {
            ...base,
            loss: { ...base.loss!, stopGradient, symmetric },
          },
        });
      }
    }
  }
  return out;
}

/**
 * The collapsed start: a copy of `weights` (a tower's `getWeights()`) in
 * which the item tower's output layer `item/w<L>` (highest L) and the
 * item-id table `item/id` (when present) are multiplied by `scale`, and
 * the output bias `item/b<L>` is one random vector (seeded) of norm
 * `biasNorm`. Throws for towers without a separate item output layer
 * (MGDSPR, a shared-weight DSSM).
 */
export function collapsedInitWeights(
  weights: Weights,
  options: CollapsedInitOptions = {},
): Weights {
  const scale = options.scale ?? 0.01;
  const biasNorm = options.biasNorm ?? 1;
  if (!(Number.isFinite(scale) && scale >= 0)) {
    throw new CollapseError(
      `collapsedInit.scale must be a finite number ≥ 0, got ${scale}`,
    );
  }
  if (!(Number.isFinite(biasNorm) && biasNorm > 0)) {
    throw new CollapseError(
      `collapsedInit.biasNorm must be a finite number > 0, got ${biasNorm}`,
    );
  }
  let last = 0;
  for (const name of Object.keys(weights)) {
    const m = /^item\/w(\d+)$/.exec(name);
    if (m) last = Math.max(last, Number(m[1]));
  }
  const w = `item/w${last}`, b = `item/b${last}`;
  if (last === 0 || !weights[b]) {
    throw new CollapseError(
      `collapsedInit: the tower has no item output layer item/w<L> with bias item/b<L> (weights: ${
        Object.keys(weights).join(", ")
      }); use the plain, DSSM (shared: false) or DPSR tower`,
    );
  }
  const out: Weights = {};
  for (const [name, value] of Object.entries(weights)) {
    out[name] = {
      shape: [...value.shape],
      data: Float32Array.from(value.data),
    };
  }
  for (const name of [w, "item/id"]) {
    if (out[name]) out[name].data.forEach((x, i, a) => (a[i] = x * scale));
  }
  const rng = new Rng(options.seed ?? 0);
  const bias = out[b].data;
  let norm2 = 0;
  for (let i = 0; i < bias.length; i++) {
    bias[i] = rng.normal();
    norm2 += bias[i] * bias[i];
  }
  const f = biasNorm / Math.sqrt(norm2);
  for (let i = 0; i < bias.length; i++) bias[i] *= f;
  return out;
}

/**
 * The rows of the items the health is measured on: all items when there
 * are at most `max`, else a fixed seeded sample of `max` rows (sorted), the
 * same at every step of every run on that catalogue.
 */
export function collapseHealthItems(numItems: number, max: number): Int32Array {
  if (!Number.isInteger(max) || max < 2) {
    throw new CollapseError(`healthItems must be an integer ≥ 2, got ${max}`);
  }
  if (numItems <= max) {
    return Int32Array.from({ length: numItems }, (_, i) => i);
  }
  return new Rng(0).permutation(numItems).slice(0, max).sort();
}

/** Mean cosine, uniformity and effective rank of `model`'s item embeddings. */
export function collapseItemHealth(
  model: TwoTowerModel,
  inputs: TowerInputs,
  options: { rows: Int32Array },
): { meanCosine: number; uniformity: number; effectiveRank: number } {
  const x = encodeAll(model, inputs, { side: "items", rows: options.rows });
  const d = model.dim;
  return {
    meanCosine: meanCosine(x, { d }),
    uniformity: uniformity(x, { d }),
    effectiveRank: effectiveRank(x, { d }),
  };
}

function checkEvery(every: number) {
  if (!Number.isInteger(every) || every < 1) {
    throw new CollapseError(
      `options.every must be a positive integer, got ${every}`,
    );
  }
}

function slug(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  );
  return s.length > 0 ? s.slice(0, 60) : "run";
}

interface StoredResult {
  format: number;
  key: string;
  init: CollapseInit;
  rows: CollapseHealthRow[];
  testRecall: number | null;
  steps: number;
  seconds: number;
}

// The folders that may hold a finished run with this key, whatever their
// name prefix (a renamed variant reuses its run), in name order.
async function keyFolders(outDir: string, key: string): Promise<string[]> {
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(outDir));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name))
    .filter((e) => e.isDirectory && e.name.endsWith(`-${key}`))
    .map((e) => joinPath(outDir, e.name));
}

function testRecallOf(evalJson: unknown): number | null {
  const r = (evalJson as { batchRecall?: { recall?: Record<string, number> } })
    ?.batchRecall?.recall?.["10"];
  return typeof r === "number" ? r : null;
}

/**
 * Trains one variant in segments of `every` steps and measures its item
 * embeddings at step 0, at every multiple of `every` and at the end (see
 * the module documentation); reuses a finished run with the same key.
 */
export async function collapseRun(
  variant: CollapseVariant,
  options: CollapseRunOptions,
): Promise<CollapseRunResult> {
  const ds = options.dataset;
  checkEvery(options.every);
  const init = variant.init ?? "normal";
  if (!(init in INIT_LABEL)) {
    throw new CollapseError(
      `variant "${variant.name}": init must be "normal" or "collapsed", got ${
        JSON.stringify(init)
      }`,
    );
  }
  // Segments checkpoint anyway; periodic checkpoints would only cost time.
  const config = resolveConfig({ ...variant.config, checkpointEvery: 0 });
  const { tower } = checkConfigAgainstData(config, ds);
  const healthItems = options.healthItems ?? 2000;
  const itemRows = collapseHealthItems(ds.items.itemId.length, healthItems);
  const wantRecall = options.recall ?? true;
  const initOptions = init === "collapsed"
    ? {
      scale: options.collapsedInit?.scale ?? 0.01,
      biasNorm: options.collapsedInit?.biasNorm ?? 1,
      seed: options.collapsedInit?.seed ?? 0,
    }
    : null;
  const key = runKey({
    format: COLLAPSE_FORMAT,
    config,
    init,
    initOptions,
    every: options.every,
    healthItems,
    recall: wantRecall,
    dataset: datasetContentHash(ds),
  });
  const dir = joinPath(options.outDir, `${slug(variant.name)}-${key}`);
  const base = { name: variant.name, init, dir, key, config };

  // Cached: collapse.json with this key and format.
  const read = async (d: string): Promise<CollapseRunResult | null> => {
    const done = await readJsonIfPresent<StoredResult>(
      joinPath(d, COLLAPSE_RESULT_FILE),
    );
    if (!done || done.key !== key || done.format !== COLLAPSE_FORMAT) {
      return null;
    }
    return {
      ...base,
      dir: d,
      cached: true,
      rows: done.rows.map((r) => ({ ...r, run: variant.name })),
      testRecall: done.testRecall,
      steps: done.steps,
      seconds: done.seconds,
    };
  };
  let rows: CollapseHealthRow[] = [];
  let step = 0;
  // Resume an interrupted run only when its rows reach its checkpoint.
  const resume = async (d: string): Promise<boolean> => {
    if (!(await hasCheckpoint(d))) return false;
    const partial = await readJsonIfPresent<
      { key: string; rows: CollapseHealthRow[] }
    >(joinPath(d, PARTIAL_FILE));
    const at = (await readManifest(d).catch(() => null))?.step ?? -1;
    const kept = partial?.key === key
      ? partial.rows.filter((r) => r.step <= at)
      : [];
    if (kept.length === 0 || kept[kept.length - 1].step !== at) return false;
    rows = kept.map((r) => ({ ...r, run: variant.name }));
    step = at;
    return true;
  };
  const run = await cachedRun(async (): Promise<CollapseRunResult> => {
    await initBackend({ backend: config.backend, quiet: true });
    const t0 = performance.now();

    const measure = (
      model: TwoTowerModel,
      inputs: TowerInputs,
      at: number,
      loss: number | null,
    ): CollapseHealthRow => {
      const row: CollapseHealthRow = {
        run: variant.name,
        init,
        step: at,
        ...collapseItemHealth(model, inputs, { rows: itemRows }),
        loss,
      };
      if (wantRecall) {
        try {
          row.recall = batchRecallOfModel(model, { ds, inputs }, {
            split: "valid",
            minRelevance: config.minRelevance,
          }).recall[10];
        } catch {
          // No valid pairs: the row simply has no recall.
        }
      }
      return row;
    };
    // Saved before onRow sees the row, so a run stopped there resumes at it.
    const savePartial = async () => {
      await writeTextAtomic(
        joinPath(dir, PARTIAL_FILE),
        stableJson({ key, rows }) + "\n",
      );
      options.onRow?.(rows[rows.length - 1]);
    };

    if (step === 0) {
      // The model train builds for step 0: same tower config and seed.
      const model = createTower(tower, { seed: config.seed });
      try {
        if (initOptions) {
          model.setWeights(
            collapsedInitWeights(model.getWeights(), initOptions),
          );
        }
        rows = [measure(model, model.prepare(ds), 0, null)];
        if (initOptions) {
          await writeCheckpoint(dir, {
            step: 0,
            totalSteps: plannedSteps(config, ds),
            configHash: configHash(config),
            weights: model.getWeights(),
            optimizer: null,
            objective: null,
          });
        }
      } finally {
        model.dispose();
      }
      await savePartial();
    }

    let total = Infinity;
    let log: StepRow[] = [];
    let evalJson: unknown = null;
    while (step < total) {
      const stop = new AbortController();
      const result = await train(config, {
        dataset: ds,
        outDir: dir,
        quiet: true,
        resume: await hasCheckpoint(dir),
        keepModel: true,
        signal: stop.signal,
        onStep: (r) => {
          if (r.step % options.every === 0) stop.abort();
        },
      });
      const model = result.model as TwoTowerModel;
      try {
        total = result.totalSteps;
        log = result.log;
        evalJson = result.eval;
        const from = step;
        step = result.steps;
        if (step === from) break; // zero-step config
        const seg = log.filter((r) => r.step > from && r.step <= step);
        const loss = seg.reduce((a, r) => a + r.loss, 0) / seg.length;
        rows.push(measure(model, model.prepare(ds), step, loss));
      } finally {
        model.dispose();
      }
      await savePartial();
    }

    const seconds = (performance.now() - t0) / 1000;
    const stored: StoredResult = {
      format: COLLAPSE_FORMAT,
      key,
      init,
      rows,
      testRecall: testRecallOf(evalJson),
      steps: step,
      seconds,
    };
    await writeTextAtomic(
      joinPath(dir, COLLAPSE_RESULT_FILE),
      stableJson(stored) + "\n",
    );
    if (!options.keepCheckpoint) await pruneCheckpoint(dir);
    return {
      ...base,
      cached: false,
      rows,
      testRecall: stored.testRecall,
      steps: step,
      seconds,
    };
  }, {
    dir,
    read,
    lookIn: await keyFolders(options.outDir, key),
    resume,
  });
  return run.result;
}

// The run length as train computes it.
function plannedSteps(config: TrainConfig, ds: Dataset): number {
  const n = trainingPairs(ds, {
    split: "train",
    minRelevance: config.minRelevance,
  }).queryId.length;
  return totalSteps(config, batchesPerEpoch(n, config.batchSize));
}

async function pruneCheckpoint(dir: string) {
  const manifest = await readManifest(dir).catch(() => null);
  if (!manifest) return;
  for (const f of [manifest.weights.file, manifest.optimizer?.file]) {
    if (f) await Deno.remove(joinPath(dir, f)).catch(() => {});
  }
  await Deno.remove(joinPath(dir, CHECKPOINT_FILE)).catch(() => {});
  await Deno.remove(joinPath(dir, PARTIAL_FILE)).catch(() => {});
}
