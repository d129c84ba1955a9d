/**
 * The training configuration: one JSON-serialisable object that says what
 * to train (data, tower, loss), how (optimiser, batch size, steps) and how
 * to record it (evaluation and checkpoint intervals, backend). A run stores
 * its resolved config as `config.json`; {@link configHash} names it.
 *
 * ```json
 * {
 *   "profile": "quick",
 *   "data": "data/synthetic-quick",
 *   "tower": { "kind": "dssm", "dim": 128 },
 *   "loss": { "kind": "adaptive-margin", "alpha": 0.5, "delta0": 0.01 },
 *   "optimizer": { "lr": 0.001 },
 *   "seed": 1
 * }
 * ```
 *
 * Unset fields come from the profile ({@link PROFILES}) and from the loss
 * kind's option table (`LOSS_DEFAULTS` in `loss_options.ts`;
 * docs/loss_options.md). To use a default, leave the field out: `null` is
 * refused (except `steps`/`epochs`, where it means
 * "given in the other"), and so is a number that is not finite (JSON
 * `1e999` reads as Infinity).
 *
 * Early stopping (`earlyStopping`, off by default; options in
 * `EARLY_STOPPING_OPTIONS` and the rule in `early_stopping.ts`): the run
 * stops when valid batch recall at a cut-off has not improved by more than
 * `minDelta` for `patience` valid evaluations (every `evalEvery` steps,
 * which must then be > 0), or at its cap (`steps`, or `epochs`); test
 * metrics come from the best-valid weights. Left out of the resolved
 * config (and its hash) when off, so every config without it keeps its
 * hash.
 *
 * Learning rate. The paper trains with Adam at 5e-5 on JD's logs (millions
 * of steps). At laptop scale (hundreds to a few thousand steps) 5e-5 barely
 * moves the towers away from their initialisation, so both profiles use
 * 1e-3, Adam's usual default, which learns on the synthetic data within the
 * quick profile's 200 steps; set `optimizer.lr` to 5e-5 to follow the paper.
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  type Dataset,
  DEFAULT_BATCH_SIZE,
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  integer,
  number,
  optionProblem,
  type Profile,
  PROFILE_NAMES,
  RELEVANCE,
  resolveOptions,
  stableJson,
  trainingPairs,
  unknownKey,
} from "../data/mod.ts";
import {
  TOWER_KINDS,
  TOWER_OPTIONS,
  type TowerConfig,
  towerConfig,
  type TowerConfigInput,
  type TowerKind,
} from "../towers/mod.ts";
import { BACKEND_REQUESTS, type BackendRequest } from "../backend/mod.ts";
import {
  checkEarlyStoppingData,
  type EarlyStoppingConfig,
  resolveEarlyStopping,
} from "./early_stopping.ts";
import {
  LOSS_DEFAULTS,
  LOSS_KINDS,
  type LossConfig,
  type LossConfigInput,
  type LossConfigOf,
  type LossKind,
} from "./loss_options.ts";

/** A configuration field is missing, unknown or out of range. */
export class ConfigError extends Error {
  /** Dotted path of the offending field, e.g. `loss.kind`. */
  readonly field: string;

  /** Builds the message `config.<field>: <detail>`. */
  constructor(field: string, detail: string) {
    super(`config.${field}: ${detail}`);
    this.name = "ConfigError";
    this.field = field;
  }
}

/** How Adam updates the towers' embedding tables (`optimizer.tables`). */
export type TablesMode = "dense" | "lazy";

/**
 * How two workers share a training step: `towers`, one tower each;
 * `halves`, both towers on half of the batch each (`parallel_towers.ts`).
 */
export type ParallelSplit = "towers" | "halves";

/** Adam settings and gradient clipping. */
export interface OptimizerConfig {
  /** Learning rate (> 0); see the module documentation for the default. */
  lr: number;
  /** Clip gradients to this global L2 norm; 0 turns clipping off (default 3, as MGDSPR). */
  clipNorm: number;
  /** Adam β1 (default 0.9). */
  beta1: number;
  /** Adam β2 (default 0.999). */
  beta2: number;
  /** Adam ε (default 1e-7, tfjs' and Keras' default). */
  epsilon: number;
  /**
   * How Adam updates the towers' embedding tables: `"dense"` (default;
   * tfjs' Adam over the whole table, as every recorded run was trained)
   * or `"lazy"` (row-sparse gradients, only the rows a batch used move;
   * see `lazy_adam.ts`). Left out of the config (and its hash) when dense,
   * so runs cached before the option existed stay valid.
   */
  tables?: TablesMode;
}

/** A resolved training configuration (every field set). */
export interface TrainConfig {
  /** Preset the unset fields came from. */
  profile: Profile;
  /** Dataset folder (`items.arrow`, `queries.arrow`, `pairs.arrow`, …). */
  data: string;
  /** Tower configuration as written; resolved against the data at train time. */
  tower: TowerConfigInput;
  /** Loss and its options. */
  loss: LossConfig;
  /** Optimiser. */
  optimizer: OptimizerConfig;
  /** Seed of the initialisation, batch order and sampled negatives. */
  seed: number;
  /** Pairs per batch (default 350, the paper's); at least 2. */
  batchSize: number;
  /** Training length in steps; null when given in epochs. */
  steps: number | null;
  /** Training length in epochs; null when given in steps. */
  epochs: number | null;
  /** Evaluate batch recall on the valid split every this many steps (0: never). */
  evalEvery: number;
  /**
   * Stop when valid batch recall stops improving; test metrics from the
   * best-valid weights. Absent when off (the default): see
   * `EARLY_STOPPING_OPTIONS` in `early_stopping.ts`.
   */
  earlyStopping?: EarlyStoppingConfig;
  /** Write a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
  /** Read the loss diagnostics (δ/τ statistics) every this many steps. */
  statsEvery: number;
  /** Relevance a pair needs to be a positive (default 3, ESCI "exact"). */
  minRelevance: number;
  /** tfjs backend to ask for. */
  backend: BackendRequest;
}

/** What a caller writes: `data` and `tower` plus anything to change. */
export interface TrainConfigInput {
  /** Preset (default "quick"). */
  profile?: Profile;
  /** Dataset folder. */
  data: string;
  /** Tower configuration (kind plus settings to change). */
  tower: TowerConfigInput;
  /** Loss kind and options to change (default `{ kind: "softmax" }`). */
  loss?: LossConfigInput;
  /** Optimiser settings to change. */
  optimizer?: Partial<OptimizerConfig>;
  /** Seed (default 1). */
  seed?: number;
  /** Pairs per batch. */
  batchSize?: number;
  /** Steps (give steps or epochs, not both). */
  steps?: number | null;
  /** Epochs (give steps or epochs, not both). */
  epochs?: number | null;
  /** Evaluation interval in steps. */
  evalEvery?: number;
  /** Early stopping options to change; `{}`: on with the defaults; null or absent: off. */
  earlyStopping?: Partial<EarlyStoppingConfig> | null;
  /** Checkpoint interval in steps. */
  checkpointEvery?: number;
  /** Diagnostics interval in steps. */
  statsEvery?: number;
  /** Minimum relevance of a positive. */
  minRelevance?: number;
  /** Backend request (default "auto"). */
  backend?: BackendRequest;
}

/**
 * Hash buckets of the quick profile when the tower config does not set
 * them: 4,096 per family (1,024 character unigrams) instead of 30k–50k.
 * The synthetic quick catalogue has a few thousand distinct units, so
 * collisions stay rare, and Adam's dense update over the embedding tables
 * (which dominates a step, see `lib/towers`) shrinks about tenfold.
 */
export const QUICK_BUCKETS: Readonly<Record<string, number>> = Object.freeze({
  charTrigram: 4096,
  word: 4096,
  wordBigram: 4096,
  charUnigram: 1024,
  charBigram: 4096,
});

/** The fields a profile sets. */
export interface ProfileDefaults {
  /** Steps (quick) or null. */
  steps: number | null;
  /** Epochs (full) or null. */
  epochs: number | null;
  /** Learning rate. */
  lr: number;
  /** Evaluation interval. */
  evalEvery: number;
  /** Checkpoint interval. */
  checkpointEvery: number;
  /** Diagnostics interval. */
  statsEvery: number;
  /** Hash buckets filled into `tower.features.buckets` where unset (null: the tower's defaults). */
  buckets: Readonly<Record<string, number>> | null;
}

/**
 * The optimiser of every run whose config does not say otherwise: Adam with
 * Kingma & Ba's β1 and β2, tfjs' ε, learning rate 1e-3 (both profiles'
 * `lr`), and the gradients clipped to global norm 3.
 */
export const DEFAULT_OPTIMIZER: Readonly<
  Omit<OptimizerConfig, "tables">
> = Object.freeze({
  lr: 1e-3,
  clipNorm: 3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
});

/**
 * Profiles. `quick`: 40 steps (≈ 4.4 epochs of the synthetic quick data's
 * ≈ 3.2k training pairs at batch 350) with {@link QUICK_BUCKETS}, no
 * intermediate evaluation, a checkpoint half way: a sanity run that learns
 * (every tower goes from test batch recall@10 ≈ 0.03 untrained to ≈ 0.9 on
 * the synthetic quick data) in 5–25 s per tower on one wasm thread. `full`: 10 epochs with the towers' own
 * sizes, evaluation and checkpoints every 500 steps.
 */
export const PROFILES: Readonly<Record<Profile, Readonly<ProfileDefaults>>> =
  Object.freeze({
    quick: Object.freeze({
      steps: 40,
      epochs: null,
      lr: DEFAULT_OPTIMIZER.lr,
      evalEvery: 0,
      checkpointEvery: 20,
      statsEvery: 1,
      buckets: QUICK_BUCKETS,
    }),
    full: Object.freeze({
      steps: null,
      epochs: 10,
      lr: DEFAULT_OPTIMIZER.lr,
      evalEvery: 500,
      checkpointEvery: 500,
      statsEvery: 10,
      buckets: null,
    }),
  });

const TOP_KEYS = [
  "profile",
  "data",
  "tower",
  "loss",
  "optimizer",
  "seed",
  "batchSize",
  "steps",
  "epochs",
  "evalEvery",
  "earlyStopping",
  "checkpointEvery",
  "statsEvery",
  "minRelevance",
  "backend",
];

const OPTIMIZER_KEYS = [
  "lr",
  "clipNorm",
  "beta1",
  "beta2",
  "epsilon",
  "tables",
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(
  field: string,
  obj: Record<string, unknown>,
  allowed: readonly string[],
) {
  const k = unknownKey(obj, allowed);
  if (k !== null) {
    throw new ConfigError(
      field ? `${field}.${k}` : k,
      `unknown field; expected one of ${allowed.join(", ")}`,
    );
  }
}

// Top-level fields where null is a value: a resolved config gives its
// length in steps or in epochs and sets the other to null; earlyStopping
// null is off, as when absent.
const NULLABLE = new Set(["steps", "epochs", "earlyStopping"]);

/**
 * Refuses, anywhere in the input, null (which `??` would silently turn into
 * the default) and non-finite numbers (JSON.parse reads 1e999 as Infinity,
 * which JSON.stringify would then print as "null" in a message).
 */
function checkValues(field: string, v: unknown): void {
  if (v === null) {
    if (NULLABLE.has(field)) return;
    throw new ConfigError(
      field,
      "is null; give a value, or leave the option out to use its default",
    );
  }
  if (typeof v === "number" && !Number.isFinite(v)) {
    throw new ConfigError(
      field,
      `must be a finite number, got ${v} (a JSON number too large for a double reads as Infinity)`,
    );
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkValues(`${field}[${i}]`, x));
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      checkValues(field ? `${field}.${k}` : k, x);
    }
  }
}

// Top-level fields, checked with the loss options' wording (options.ts).
function int(field: string, v: unknown, lo: number, hi = 2 ** 31 - 1): number {
  const spec = integer({ default: lo, min: lo, max: hi, doc: "" });
  const problem = optionProblem(spec, v);
  if (problem !== null) throw new ConfigError(field, problem);
  return v as number;
}

function num(
  field: string,
  v: unknown,
  bounds: { min: number; strict?: boolean; max?: number },
): number {
  const spec = number({ default: bounds.min, doc: "", ...bounds });
  const problem = optionProblem(spec, v);
  if (problem !== null) throw new ConfigError(field, problem);
  return v as number;
}

function choice<T extends string>(
  field: string,
  v: unknown,
  choices: readonly T[],
): T {
  const problem = optionProblem(
    { type: "choice", choices, default: choices[0], doc: "" },
    v,
  );
  if (problem !== null) throw new ConfigError(field, problem);
  return v as T;
}

// Generic in the kind, so that each call returns its own member of the union.
function resolveKind<K extends LossKind>(
  kind: K,
  input: Record<string, unknown>,
): LossConfigOf<K> {
  const options = resolveOptions(LOSS_DEFAULTS[kind], input, {
    fail: (name, problem) => {
      throw new ConfigError(`loss.${name}`, problem);
    },
  });
  return { kind, ...options };
}

type Resolvers = {
  [K in LossKind]: (input: Record<string, unknown>) => LossConfigOf<K>;
};

// One entry per kind: indexed by a kind, it returns that kind's member of
// the union, which TypeScript cannot infer from the generic resolveKind.
const RESOLVE: Resolvers = {
  margin: (input) => resolveKind("margin", input),
  softmax: (input) => resolveKind("softmax", input),
  "adaptive-margin": (input) => resolveKind("adaptive-margin", input),
  "adaptive-softmax": (input) => resolveKind("adaptive-softmax", input),
  "adap-tau": (input) => resolveKind("adap-tau", input),
  "dssm-softmax": (input) => resolveKind("dssm-softmax", input),
  mgdspr: (input) => resolveKind("mgdspr", input),
  "dpsr-hinge": (input) => resolveKind("dpsr-hinge", input),
};

/** Fills in a loss kind's defaults and checks every option. */
export function resolveLoss(input: unknown): LossConfig {
  if (input === undefined) input = { kind: "softmax" };
  if (!isObject(input)) {
    throw new ConfigError("loss", "must be an object with a 'kind'");
  }
  const kind = choice("loss.kind", input.kind, LOSS_KINDS);
  checkKeys("loss", input, ["kind", ...Object.keys(LOSS_DEFAULTS[kind])]);
  return RESOLVE[kind](input);
}

/**
 * Checks a tower input without a dataset (a placeholder item count stands
 * in for `numItems`); returns it unchanged. Errors are re-raised as
 * {@link ConfigError}s on `tower`.
 */
function checkTower(input: unknown): TowerConfigInput {
  if (!isObject(input)) {
    throw new ConfigError("tower", "must be an object with a 'kind'");
  }
  if (!TOWER_KINDS.includes(input.kind as never)) {
    throw new ConfigError(
      "tower.kind",
      `unknown tower ${JSON.stringify(input.kind)}; expected one of ${
        TOWER_KINDS.join(", ")
      }`,
    );
  }
  // The kinds with an item count take it from the dataset, absent here.
  const probe = "numItems" in TOWER_OPTIONS[input.kind as TowerKind] &&
      input.numItems === undefined
    ? { ...input, numItems: 1 }
    : input;
  try {
    towerConfig(probe as unknown as TowerConfigInput);
  } catch (err) {
    throw new ConfigError("tower", (err as Error).message);
  }
  return structuredClone(input) as unknown as TowerConfigInput;
}

function withProfileBuckets(tower: unknown, preset: ProfileDefaults): unknown {
  if (preset.buckets === null || !isObject(tower)) return tower;
  const features = tower.features ?? {};
  if (!isObject(features)) return tower;
  const given = features.buckets ?? {};
  if (!isObject(given)) return tower;
  return {
    ...tower,
    features: { ...features, buckets: { ...preset.buckets, ...given } },
  };
}

/**
 * Fills in the profile's and the loss kind's defaults and validates every
 * field; throws a {@link ConfigError} naming the first bad field. Accepts
 * a resolved config too (`resolveConfig(resolveConfig(x))` equals
 * `resolveConfig(x)`). Dataset-dependent checks are in
 * {@link checkConfigAgainstData}.
 */
export function resolveConfig(input: unknown): TrainConfig {
  if (!isObject(input)) {
    throw new ConfigError("(root)", "must be a JSON object");
  }
  checkKeys("", input, TOP_KEYS);
  checkValues("", input);
  const profile = choice(
    "profile",
    input.profile ?? DEFAULT_PROFILE,
    PROFILE_NAMES,
  );
  const preset = PROFILES[profile];
  if (typeof input.data !== "string" || input.data.length === 0) {
    throw new ConfigError(
      "data",
      "must be a dataset folder path (a non-empty string)",
    );
  }
  if (input.tower === undefined) {
    throw new ConfigError("tower", 'is required, e.g. { "kind": "dssm" }');
  }
  const tower = checkTower(withProfileBuckets(input.tower, preset));
  const loss = resolveLoss(input.loss);
  const opt = input.optimizer ?? {};
  if (!isObject(opt)) throw new ConfigError("optimizer", "must be an object");
  checkKeys("optimizer", opt, OPTIMIZER_KEYS);
  const optimizer: OptimizerConfig = {
    lr: num("optimizer.lr", opt.lr ?? preset.lr, { min: 0, strict: true }),
    clipNorm: num(
      "optimizer.clipNorm",
      opt.clipNorm ?? DEFAULT_OPTIMIZER.clipNorm,
      { min: 0 },
    ),
    beta1: num("optimizer.beta1", opt.beta1 ?? DEFAULT_OPTIMIZER.beta1, {
      min: 0,
      max: 0.999999,
    }),
    beta2: num("optimizer.beta2", opt.beta2 ?? DEFAULT_OPTIMIZER.beta2, {
      min: 0,
      max: 0.999999,
    }),
    epsilon: num(
      "optimizer.epsilon",
      opt.epsilon ?? DEFAULT_OPTIMIZER.epsilon,
      {
        min: 0,
        strict: true,
      },
    ),
  };
  const tables = opt.tables ?? "dense";
  if (tables !== "dense" && tables !== "lazy") {
    throw new ConfigError(
      "optimizer.tables",
      `must be "dense" or "lazy", got ${JSON.stringify(tables)}`,
    );
  }
  if (tables === "lazy") optimizer.tables = "lazy";
  let steps = (input.steps ?? null) as unknown;
  let epochs = (input.epochs ?? null) as unknown;
  if (steps !== null && epochs !== null) {
    throw new ConfigError("steps", "give steps or epochs, not both");
  }
  if (steps === null && epochs === null) {
    steps = preset.steps;
    epochs = preset.epochs;
  }
  if (steps !== null) steps = int("steps", steps, 0);
  if (epochs !== null) epochs = int("epochs", epochs, 0);
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  if (
    typeof batchSize === "number" && Number.isInteger(batchSize) &&
    batchSize < 2
  ) {
    throw new ConfigError(
      "batchSize",
      `must be at least 2 (in-batch negatives need a second pair), got ${batchSize}`,
    );
  }
  const config: TrainConfig = {
    profile,
    data: input.data,
    tower,
    loss,
    optimizer,
    seed: int("seed", input.seed ?? DEFAULT_SEED, -(2 ** 31)),
    batchSize: int("batchSize", batchSize, 2, 1_000_000),
    steps: steps as number | null,
    epochs: epochs as number | null,
    evalEvery: int("evalEvery", input.evalEvery ?? preset.evalEvery, 0),
    checkpointEvery: int(
      "checkpointEvery",
      input.checkpointEvery ?? preset.checkpointEvery,
      0,
    ),
    statsEvery: int("statsEvery", input.statsEvery ?? preset.statsEvery, 1),
    minRelevance: int(
      "minRelevance",
      input.minRelevance ?? RELEVANCE.exact,
      0,
      3,
    ),
    backend: choice("backend", input.backend ?? "auto", BACKEND_REQUESTS),
  };
  const early = resolveEarlyStopping(input.earlyStopping ?? null, {
    config,
    fail: (field, problem) => {
      throw new ConfigError(field, problem);
    },
  });
  if (early !== null) config.earlyStopping = early;
  return config;
}

/**
 * Validates a config: {@link resolveConfig}'s checks, and with a dataset
 * also {@link checkConfigAgainstData}'s. Returns the resolved config and
 * the warnings (things that run but are probably not what was meant).
 */
export function validateConfig(
  input: unknown,
  options: { dataset?: Dataset } = {},
): { config: TrainConfig; warnings: string[] } {
  const config = resolveConfig(input);
  const warnings = options.dataset
    ? checkConfigAgainstData(config, options.dataset).warnings
    : [];
  return { config, warnings };
}

/**
 * Checks a resolved config against the dataset it will train on and
 * resolves the tower (filling `numItems` from the data). Errors: no
 * training pairs at `minRelevance`; a tower option that needs a users
 * table on data without one; more sampled negatives than the catalogue
 * has; early stopping without valid pairs. Warnings: towers that read behaviour sequences on data without
 * users (they see empty sequences); fewer training pairs than `batchSize`;
 * an early-stopping patience that cannot end the run before its cap.
 */
export function checkConfigAgainstData(
  config: TrainConfig,
  ds: Dataset,
): { tower: TowerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const name = ds.meta.name;
  let tower: TowerConfig;
  try {
    tower = towerConfig(config.tower, { dataset: ds });
  } catch (err) {
    throw new ConfigError(
      "tower",
      `${(err as Error).message} (dataset '${name}')`,
    );
  }
  const hasUsers = ds.users !== undefined && ds.users.userId.length > 0;
  if (tower.kind === "plain" && tower.userHistory && !hasUsers) {
    throw new ConfigError(
      "tower.userHistory",
      `is true but dataset '${name}' has no users table (no behaviour sequences); set it to false`,
    );
  }
  if (tower.kind === "mgdspr" && !hasUsers) {
    warnings.push(
      `tower mgdspr reads user behaviour sequences, but dataset '${name}' has no users table: its behaviour attention sees only the zero vector`,
    );
  }
  const pairs = trainingPairs(ds, {
    split: "train",
    minRelevance: config.minRelevance,
  });
  const n = pairs.queryId.length;
  if (n < 2) {
    throw new ConfigError(
      "minRelevance",
      `dataset '${name}' has ${n} training pair(s) with relevance ≥ ${config.minRelevance} in the train split; at least 2 are needed`,
    );
  }
  if (n < config.batchSize) {
    warnings.push(
      `batchSize ${config.batchSize} exceeds the ${n} training pairs of dataset '${name}': every batch is the whole training split`,
    );
  }
  if (config.earlyStopping) {
    const early = { ...config, earlyStopping: config.earlyStopping };
    const perEpoch = n >= config.batchSize
      ? Math.floor(n / config.batchSize)
      : 1;
    warnings.push(...checkEarlyStoppingData(ds, {
      config: early,
      totalSteps: totalSteps(config, perEpoch),
      fail: (field, problem) => {
        throw new ConfigError(field, problem);
      },
    }));
  }
  if (config.loss.kind === "mgdspr" && tower.kind === "dpsr") {
    throw new ConfigError(
      "loss.kind",
      `"mgdspr" mixes hard negatives with single-vector queries; the dpsr tower has ${tower.heads} query heads (use "softmax" with temperature 2, or another tower)`,
    );
  }
  const numItems = ds.items.itemId.length;
  const loss = config.loss;
  const sampled = loss.kind === "dssm-softmax"
    ? loss.negatives
    : loss.kind === "dpsr-hinge"
    ? loss.randomNegatives
    : 0;
  if (sampled >= numItems) {
    throw new ConfigError(
      config.loss.kind === "dssm-softmax"
        ? "loss.negatives"
        : "loss.randomNegatives",
      `(${sampled}) must be smaller than the ${numItems} items of dataset '${name}'`,
    );
  }
  return { tower, warnings };
}

/** sha256 of the config's stable JSON (sorted keys), first 12 hex digits. */
export function configHash(config: TrainConfig): string {
  return createHash("sha256").update(stableJson(config)).digest("hex").slice(
    0,
    12,
  );
}

/** Steps of a run: `steps`, or `epochs` × batches per epoch. */
export function totalSteps(
  config: TrainConfig,
  batchesPerEpoch: number,
): number {
  return config.steps ?? (config.epochs as number) * batchesPerEpoch;
}
