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
 * Every option is declared once, in a table that gives its type, default,
 * bounds and documentation: {@link TRAIN_OPTIONS}, {@link OPTIMIZER_OPTIONS}
 * and `EARLY_STOPPING_OPTIONS` (docs/train_options.md), the loss kinds'
 * (`LOSS_DEFAULTS` in `loss_options.ts`; docs/loss_options.md) and the
 * towers' (docs/tower_options.md). Unset fields come from those defaults
 * and from the profile ({@link PROFILES}). To use a default, leave the field out: `null` is
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
 * quick profile's 40 steps; set `optimizer.lr` to 5e-5 to follow the paper.
 *
 * @module
 */

import {
  choice,
  type Dataset,
  DEFAULT_BATCH_SIZE,
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  hasUsers,
  integer,
  isRecord,
  number,
  optionDefaults,
  optionProblem,
  optionsDocument,
  type OptionTable,
  type Profile,
  PROFILE_NAMES,
  profileDefault,
  profilesTable,
  refuseUnknownKeys,
  RELEVANCE,
  type Resolved,
  resolveOptions,
  stableHash,
  trainingPairs,
} from "../data/mod.ts";
import {
  TOWER_KINDS,
  TOWER_OPTIONS,
  type TowerConfig,
  towerConfig,
  type TowerConfigInput,
  type TowerKind,
} from "../towers/mod.ts";
import { BACKEND_REQUESTS } from "../backend/mod.ts";
import {
  checkEarlyStoppingData,
  EARLY_STOPPING_OPTIONS,
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

/** How Adam may update the towers' embedding tables (`optimizer.tables`). */
export const TABLES_MODES = ["dense", "lazy"] as const;

/** How Adam updates the towers' embedding tables (`optimizer.tables`). */
export type TablesMode = (typeof TABLES_MODES)[number];

/**
 * How two workers share a training step: `towers`, one tower each;
 * `halves`, both towers on half of the batch each (`parallel_towers.ts`).
 */
export type ParallelSplit = "towers" | "halves";

/**
 * The optimiser's options (`optimizer` in a config), each declared once:
 * Adam with Kingma & Ba's β1 and β2, tfjs' ε, learning rate 1e-3 (see the
 * module documentation) and the gradients clipped to global norm 3.
 */
export const OPTIMIZER_OPTIONS = {
  lr: number({
    default: 1e-3,
    min: 0,
    strict: true,
    doc: "Adam's learning rate (the paper's is 5e-5, see lib/train/config.ts)",
  }),
  clipNorm: number({
    default: 3,
    min: 0,
    doc:
      "clip the gradients to this global L2 norm, as MGDSPR; 0 turns clipping off",
  }),
  beta1: number({ default: 0.9, min: 0, max: 0.999999, doc: "Adam β1" }),
  beta2: number({ default: 0.999, min: 0, max: 0.999999, doc: "Adam β2" }),
  epsilon: number({
    default: 1e-7,
    min: 0,
    strict: true,
    doc: "Adam ε (tfjs' and Keras' default)",
  }),
  tables: choice({
    choices: TABLES_MODES,
    default: "dense",
    doc:
      "how Adam updates the embedding tables: dense (tfjs' Adam over the whole table, as every recorded run was trained) or lazy (row-sparse gradients, only the rows a batch used move; lazy_adam.ts); left out of the config and its hash when dense, so runs cached before the option existed stay valid",
  }),
} as const satisfies OptionTable;

/** Adam settings and gradient clipping ({@link OPTIMIZER_OPTIONS}). */
export type OptimizerConfig =
  & Omit<Resolved<typeof OPTIMIZER_OPTIONS>, "tables">
  & { tables?: TablesMode };

/**
 * The optimiser of every run whose config does not say otherwise: the
 * defaults of {@link OPTIMIZER_OPTIONS}, dense tables.
 */
export const DEFAULT_OPTIMIZER: Readonly<Omit<OptimizerConfig, "tables">> =
  (() => {
    const { tables: _dense, ...adam } = optionDefaults(OPTIMIZER_OPTIONS);
    return Object.freeze(adam);
  })();

/** The fields of a resolved config that are not in {@link TRAIN_OPTIONS}. */
interface TrainConfigFields {
  /** Dataset folder (`items.arrow`, `queries.arrow`, `pairs.arrow`, …). */
  data: string;
  /** Tower configuration as written; resolved against the data at train time. */
  tower: TowerConfigInput;
  /** Loss and its options. */
  loss: LossConfig;
  /** Optimiser ({@link OPTIMIZER_OPTIONS}). */
  optimizer: OptimizerConfig;
  /** Training length in steps; null when given in epochs. */
  steps: number | null;
  /** Training length in epochs; null when given in steps. */
  epochs: number | null;
  /**
   * Stop when valid batch recall stops improving; test metrics from the
   * best-valid weights. Absent when off (the default): see
   * `EARLY_STOPPING_OPTIONS` in `early_stopping.ts`.
   */
  earlyStopping?: EarlyStoppingConfig;
}

/** A resolved training configuration (every field set). */
export type TrainConfig = Resolved<typeof TRAIN_OPTIONS> & TrainConfigFields;

/** What a caller writes: `data` and `tower` plus anything to change. */
export type TrainConfigInput =
  & Partial<Resolved<typeof TRAIN_OPTIONS>>
  & Pick<TrainConfigFields, "data" | "tower">
  & {
    /** Loss kind and options to change (default `{ kind: "softmax" }`). */
    loss?: LossConfigInput;
    /** Optimiser settings to change. */
    optimizer?: Partial<OptimizerConfig>;
    /** Steps (give steps or epochs, not both). */
    steps?: number | null;
    /** Epochs (give steps or epochs, not both). */
    epochs?: number | null;
    /** Early stopping options to change; `{}`: on with the defaults; null or absent: off. */
    earlyStopping?: Partial<EarlyStoppingConfig> | null;
  };

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
      evalEvery: 0,
      checkpointEvery: 20,
      statsEvery: 1,
      buckets: QUICK_BUCKETS,
    }),
    full: Object.freeze({
      steps: null,
      epochs: 10,
      evalEvery: 500,
      checkpointEvery: 500,
      statsEvery: 10,
      buckets: null,
    }),
  });

/**
 * The training config's scalar options, each declared once; `data`,
 * `tower`, `loss`, `optimizer`, `steps`/`epochs` and `earlyStopping` are
 * described with {@link TrainConfig}.
 */
export const TRAIN_OPTIONS = {
  profile: choice({
    choices: PROFILE_NAMES,
    default: DEFAULT_PROFILE,
    doc: "preset the unset fields come from (lib/train/config.ts, PROFILES)",
  }),
  seed: integer({
    default: DEFAULT_SEED,
    min: -(2 ** 31),
    doc:
      "seed of the initialisation, the batch order and the sampled negatives",
  }),
  batchSize: integer({
    default: DEFAULT_BATCH_SIZE,
    min: 2,
    max: 1_000_000,
    doc: "pairs per batch (the paper's 350)",
    hint: "at least 2: in-batch negatives need a second pair",
  }),
  evalEvery: integer({
    default: profileDefault(PROFILES, "evalEvery"),
    min: 0,
    doc:
      "evaluate batch recall on the valid split every this many steps (0: never)",
  }),
  checkpointEvery: integer({
    default: profileDefault(PROFILES, "checkpointEvery"),
    min: 0,
    doc: "write a checkpoint every this many steps (0: only at the end)",
  }),
  statsEvery: integer({
    default: profileDefault(PROFILES, "statsEvery"),
    min: 1,
    doc: "read the loss diagnostics (δ/τ statistics) every this many steps",
  }),
  minRelevance: integer({
    default: RELEVANCE.exact,
    min: 0,
    max: 3,
    doc: "relevance a pair needs to be a positive (3: ESCI's exact)",
  }),
  backend: choice({
    choices: BACKEND_REQUESTS,
    default: "auto",
    doc: "tfjs backend to ask for",
  }),
} as const satisfies OptionTable;

const TOP_KEYS = [
  ...Object.keys(TRAIN_OPTIONS),
  "data",
  "tower",
  "loss",
  "optimizer",
  "steps",
  "epochs",
  "earlyStopping",
];

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
  } else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) {
      checkValues(field ? `${field}.${k}` : k, x);
    }
  }
}

// steps and epochs (null: given in the other), with the options' wording.
function length(field: "steps" | "epochs", v: unknown): number {
  const problem = optionProblem(integer({ default: 0, min: 0, doc: "" }), v);
  if (problem !== null) throw new ConfigError(field, problem);
  return v as number;
}

// Generic in the kind, so that each call returns its own member of the union.
function resolveKind<K extends LossKind>(
  kind: K,
  input: Record<string, unknown>,
): LossConfigOf<K> {
  const options = resolveOptions(LOSS_DEFAULTS[kind], input, {
    strict: { also: ["kind"] },
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
  if (!isRecord(input)) {
    throw new ConfigError("loss", "must be an object with a 'kind'");
  }
  const problem = optionProblem(
    choice({ choices: LOSS_KINDS, default: "softmax", doc: "" }),
    input.kind,
  );
  if (problem !== null) throw new ConfigError("loss.kind", problem);
  const kind = input.kind as LossKind;
  return RESOLVE[kind](input);
}

/**
 * Checks a tower input without a dataset (a placeholder item count stands
 * in for `numItems`); returns it unchanged. Errors are re-raised as
 * {@link ConfigError}s on `tower`.
 */
function checkTower(input: unknown): TowerConfigInput {
  if (!isRecord(input)) {
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

/**
 * `tower` with `buckets` under any bucket counts it sets itself (none: as
 * it is); a malformed tower comes back unchanged for the checks to name.
 */
export function withDefaultBuckets<T>(
  tower: T,
  buckets: Readonly<Record<string, number>> | null,
): T {
  if (buckets === null || !isRecord(tower)) return tower;
  const features = tower.features ?? {};
  if (!isRecord(features)) return tower;
  const given = features.buckets ?? {};
  if (!isRecord(given)) return tower;
  return {
    ...tower,
    features: { ...features, buckets: { ...buckets, ...given } },
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
  if (!isRecord(input)) {
    throw new ConfigError("(root)", "must be a JSON object");
  }
  const fail = (prefix: string) => (name: string, problem: string): never => {
    throw new ConfigError(`${prefix}${name}`, problem);
  };
  refuseUnknownKeys(input, TOP_KEYS, fail(""));
  checkValues("", input);
  const options = resolveOptions(TRAIN_OPTIONS, input, { fail: fail("") });
  const preset = PROFILES[options.profile];
  if (typeof input.data !== "string" || input.data.length === 0) {
    throw new ConfigError(
      "data",
      "must be a dataset folder path (a non-empty string)",
    );
  }
  if (input.tower === undefined) {
    throw new ConfigError("tower", 'is required, e.g. { "kind": "dssm" }');
  }
  const tower = checkTower(withDefaultBuckets(input.tower, preset.buckets));
  const loss = resolveLoss(input.loss);
  const opt = input.optimizer ?? {};
  if (!isRecord(opt)) throw new ConfigError("optimizer", "must be an object");
  const { tables, ...adam } = resolveOptions(OPTIMIZER_OPTIONS, opt, {
    strict: {},
    fail: fail("optimizer."),
  });
  // Dense tables are left out (see OPTIMIZER_OPTIONS.tables).
  const optimizer: OptimizerConfig = tables === "dense"
    ? adam
    : { ...adam, tables };
  let steps = (input.steps ?? null) as unknown;
  let epochs = (input.epochs ?? null) as unknown;
  if (steps !== null && epochs !== null) {
    throw new ConfigError("steps", "give steps or epochs, not both");
  }
  if (steps === null && epochs === null) {
    steps = preset.steps;
    epochs = preset.epochs;
  }
  if (steps !== null) steps = length("steps", steps);
  if (epochs !== null) epochs = length("epochs", epochs);
  const config: TrainConfig = {
    ...options,
    data: input.data,
    tower,
    loss,
    optimizer,
    steps: steps as number | null,
    epochs: epochs as number | null,
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
  const withUsers = hasUsers(ds);
  if (tower.kind === "plain" && tower.userHistory && !withUsers) {
    throw new ConfigError(
      "tower.userHistory",
      `is true but dataset '${name}' has no users table (no behaviour sequences); set it to false`,
    );
  }
  if (tower.kind === "mgdspr" && !withUsers) {
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
    warnings.push(...checkEarlyStoppingData(ds, {
      config: early,
      totalSteps: totalSteps(config, batchesPerEpoch(n, config.batchSize)),
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

/** The config's {@link stableHash}: its run folder's name and cache key. */
export function configHash(config: TrainConfig): string {
  return stableHash(config);
}

/**
 * Batches in an epoch of `n` training pairs: whole batches only, the last,
 * smaller one dropped, when the split holds at least one; else one batch
 * of all of them.
 */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return n >= batchSize ? Math.floor(n / batchSize) : 1;
}

/** Steps of a run: `steps`, or `epochs` × batches per epoch. */
export function totalSteps(
  config: TrainConfig,
  batchesPerEpoch: number,
): number {
  return config.steps ?? (config.epochs as number) * batchesPerEpoch;
}

/**
 * The Markdown of docs/train_options.md: the profiles, then the option
 * tables of the training config, its optimiser and early stopping, each
 * generated from its one declaration (config_test.ts checks that the file
 * matches).
 */
export function trainOptionsMarkdown(): string {
  const profiles = profilesTable(PROFILES, [
    "steps",
    "epochs",
    "evalEvery",
    "checkpointEvery",
    "statsEvery",
    "buckets",
  ]);
  return optionsDocument({
    title: "Training options",
    source:
      "trainOptionsMarkdown() from PROFILES, TRAIN_OPTIONS, OPTIMIZER_OPTIONS and EARLY_STOPPING_OPTIONS (lib/train/config.ts)",
    test: "lib/train/config_test.ts",
    intro:
      'A training config (`deno task train --config FILE`) is one JSON object: `data` (the dataset folder, relative to the repository root), `tower` ([tower_options.md](tower_options.md)), `loss` ([loss_options.md](loss_options.md); default `{ "kind": "softmax" }`), the options below, and the length: `steps` or `epochs` (one of them; both left out: the profile\'s). An option left out takes its default; `null` is refused except for `steps`/`epochs` ("given in the other") and `earlyStopping` (off).',
    sections: [
      { name: "profiles", table: profiles },
      { name: "config", table: TRAIN_OPTIONS },
      { name: "optimizer", table: OPTIMIZER_OPTIONS },
      {
        name: "earlyStopping",
        note:
          "Off unless the config has `earlyStopping` (`{}`: on with these defaults); needs `evalEvery` > 0.",
        table: EARLY_STOPPING_OPTIONS,
      },
    ],
  });
}
