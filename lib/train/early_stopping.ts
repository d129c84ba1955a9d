/**
 * Early stopping on the valid split: the `earlyStopping` option of the
 * training config (declared here once: {@link EARLY_STOPPING_OPTIONS}) and
 * the monitor the training loop feeds ({@link EarlyStopping}).
 *
 * ```json
 * { "evalEvery": 5, "steps": 400,
 *   "earlyStopping": { "metric": "recall@10", "patience": 4, "minDelta": 0.002 } }
 * ```
 *
 * Rule. Every valid evaluation (every `evalEvery` steps, and once more at
 * the cap when the cap is not a multiple of `evalEvery`, so that the last
 * weights compete too) reads one batch-recall cut-off of the valid split
 * (`metric`, higher is better). The evaluation improves on the best when
 * `value − minDelta > best` (Keras' `EarlyStopping` rule; the first
 * evaluation always improves): it becomes the best, its step `bestStep`, and
 * its weights are written to the run folder as the best checkpoint
 * (`best-<step>.bin`). Otherwise it counts against `patience`; at the
 * `patience`-th evaluation in a row without improvement the run stops
 * (`stopReason` "patience", also when that evaluation falls on the cap
 * step). A run that reaches its cap (`steps`, or `epochs` × batches per
 * epoch) first stops with `stopReason` "cap". Test metrics (`eval.json`,
 * `options.evaluate`, the returned model) then come from the best
 * weights, and `eval.json`, `run.json` and the result of `train` record
 * {@link EarlyStoppingSummary}: `stoppedAt`, `bestStep`, `bestValid`,
 * `stopReason`.
 *
 * The best weights live on disk, not in memory: a copy of the towers'
 * tables (tens to hundreds of MB for the DSSM trigram tables) is not held
 * for the whole run, and the file is already where a resume needs it. It
 * is written at most once per evaluation, when the metric improves.
 * `checkpoint.json` records the monitor's {@link EarlyStoppingState} (best
 * step and value, evaluations since, the best file and its sha256), so a
 * run resumed from any checkpoint continues the patience window exactly;
 * a best file written after the last checkpoint by a process that was
 * killed is rewritten identically on resume (training is deterministic)
 * and files no checkpoint points to are removed at the next checkpoint.
 *
 * @module
 */

import { DEFAULT_KS } from "../eval/mod.ts";
import {
  choice,
  type Dataset,
  integer,
  isRecord,
  number,
  type OptionTable,
  type Resolved,
  resolveOptions,
  trainingPairs,
} from "../data/mod.ts";
import type { BlobManifest } from "./checkpoint.ts";

/** The valid-split metrics early stopping can monitor: batch recall@k, k in `DEFAULT_KS`. */
export const EARLY_STOPPING_METRICS: readonly string[] = DEFAULT_KS.map((k) =>
  `recall@${k}`
);

/**
 * The options of `earlyStopping` in the training config: each one's type,
 * default, range and meaning, declared once. The whole option is off
 * (absent, or `null`) by default; `{}` turns it on with these defaults.
 */
export const EARLY_STOPPING_OPTIONS = {
  metric: choice({
    choices: EARLY_STOPPING_METRICS,
    default: "recall@10",
    doc: "valid batch recall cut-off that is monitored (higher is better)",
  }),
  patience: integer({
    default: 5,
    min: 1,
    max: 1_000_000,
    doc:
      "valid evaluations in a row without improvement after which the run stops",
  }),
  minDelta: number({
    default: 0,
    min: 0,
    max: 1,
    doc:
      "an evaluation improves on the best only if it exceeds it by more than this (recall is a share in [0, 1]; 0: any increase, a tie is no improvement)",
  }),
} as const satisfies OptionTable;

/** A resolved `earlyStopping` config (every option set). */
export type EarlyStoppingConfig = Resolved<typeof EARLY_STOPPING_OPTIONS>;

/** The config fields early stopping depends on. */
interface CapFields {
  /** Valid evaluation interval (0: none). */
  evalEvery: number;
  /** Cap in steps, or null. */
  steps: number | null;
  /** Cap in epochs, or null. */
  epochs: number | null;
}

/**
 * The config's `earlyStopping` (as written) resolved: null when off (null:
 * then it stays out of the config and its hash), else every option set
 * and checked, and the fields it needs: valid evaluations (`evalEvery` >
 * 0) and a cap of at least one step. `fail(field, problem)` raises the
 * config's error (`field`: `earlyStopping` or `earlyStopping.<option>`).
 */
export function resolveEarlyStopping(
  input: unknown,
  context: {
    config: CapFields;
    fail: (field: string, problem: string) => never;
  },
): EarlyStoppingConfig | null {
  const { config, fail } = context;
  if (input === null) return null;
  if (!isRecord(input)) {
    return fail(
      "earlyStopping",
      `must be an object ({ "metric", "patience", "minDelta" }; {} for the defaults) or null (off), got ${
        JSON.stringify(input)
      }`,
    );
  }
  const early = resolveOptions(
    EARLY_STOPPING_OPTIONS,
    input as Record<string, unknown>,
    {
      strict: {},
      fail: (name, problem) => fail(`earlyStopping.${name}`, problem),
    },
  );
  if (config.evalEvery === 0) {
    return fail(
      "earlyStopping",
      "monitors the valid evaluations, but evalEvery is 0 (no evaluation, the quick profile's default): set evalEvery > 0",
    );
  }
  if (config.steps === 0 || config.epochs === 0) {
    return fail(
      "earlyStopping",
      `needs a cap of at least one step: steps or epochs ≥ 1, got ${
        config.steps === 0 ? "steps" : "epochs"
      } 0`,
    );
  }
  return early;
}

/**
 * Checks early stopping against the data a run trains on: the valid split
 * must hold pairs to evaluate (else `fail`); returns a warning when
 * `patience` evaluations every `evalEvery` steps cannot end the run before
 * its cap of `totalSteps`.
 */
export function checkEarlyStoppingData(
  ds: Dataset,
  context: {
    config: CapFields & {
      earlyStopping: EarlyStoppingConfig;
      minRelevance: number;
    };
    totalSteps: number;
    fail: (field: string, problem: string) => never;
  },
): string[] {
  const { config, totalSteps, fail } = context;
  const { patience } = config.earlyStopping;
  const valid = trainingPairs(ds, {
    split: "valid",
    minRelevance: config.minRelevance,
  });
  if (valid.queryId.length === 0) {
    return fail(
      "earlyStopping",
      `monitors the valid split, but dataset '${ds.meta.name}' has no valid pairs with relevance ≥ ${config.minRelevance}`,
    );
  }
  const earliest = (patience + 1) * config.evalEvery;
  return earliest < totalSteps ? [] : [
    `earlyStopping.patience ${patience} with evalEvery ${config.evalEvery}: the earliest stop is step ${earliest}, not before the cap of ${totalSteps} steps, so the run always trains to its cap`,
  ];
}

/** Why a run with early stopping ended. */
export type StopReason = "patience" | "cap";

/** The monitor's state, saved in `checkpoint.json` (JSON). */
export interface EarlyStoppingState {
  /** Step of the best evaluation so far (null before the first). */
  bestStep: number | null;
  /** Its value of the monitored metric. */
  bestValid: number | null;
  /** Evaluations since the best one, none of which improved on it. */
  sinceBest: number;
  /** The best weights file in the run folder (null before the first evaluation). */
  best: BlobManifest | null;
  /** Why the run stopped (null while it runs). */
  stopReason: StopReason | null;
  /** Step it stopped at (null while it runs). */
  stoppedAt: number | null;
}

/** What `eval.json`, `run.json` and `train`'s result record. */
export interface EarlyStoppingSummary {
  /** Monitored metric, e.g. "recall@10". */
  metric: string;
  /** The config's patience (evaluations). */
  patience: number;
  /** The config's minimum improvement. */
  minDelta: number;
  /** Step the run stopped at (null while it runs). */
  stoppedAt: number | null;
  /** Step whose weights are the result (null before the first evaluation). */
  bestStep: number | null;
  /** The monitored metric at `bestStep`. */
  bestValid: number | null;
  /** "patience" or "cap" (null while it runs). */
  stopReason: StopReason | null;
}

/** The cut-off k of a metric name "recall@k". */
export function metricCutoff(metric: string): number {
  const k = Number(metric.slice("recall@".length));
  if (!metric.startsWith("recall@") || !Number.isInteger(k) || k < 1) {
    throw new RangeError(
      `early stopping metric ${JSON.stringify(metric)}: expected one of ${
        EARLY_STOPPING_METRICS.join(", ")
      }`,
    );
  }
  return k;
}

/** The state before the first evaluation. */
export function initialEarlyStoppingState(): EarlyStoppingState {
  return {
    bestStep: null,
    bestValid: null,
    sinceBest: 0,
    best: null,
    stopReason: null,
    stoppedAt: null,
  };
}

/**
 * The early-stopping monitor of one run (see the module documentation for
 * the rule). Pure bookkeeping: the caller evaluates, writes the best
 * weights when {@link observe} says the value improved, and hands the
 * file's manifest to {@link setBest}.
 */
export class EarlyStopping {
  /** The resolved option. */
  readonly config: EarlyStoppingConfig;
  /** Cut-off of the monitored batch recall. */
  readonly k: number;
  #state: EarlyStoppingState;

  /** A monitor, fresh or continuing a checkpoint's `state`. */
  constructor(
    config: EarlyStoppingConfig,
    state: EarlyStoppingState | null = null,
  ) {
    this.config = config;
    this.k = metricCutoff(config.metric);
    this.#state = structuredClone(state ?? initialEarlyStoppingState());
  }

  /** A copy of the state, for the checkpoint. */
  get state(): EarlyStoppingState {
    return structuredClone(this.#state);
  }

  /** Whether the run has stopped (patience ran out, or {@link finish}). */
  get stopped(): boolean {
    return this.#state.stopReason !== null;
  }

  /**
   * Takes the valid evaluation after `step` (batch recall by cut-off);
   * returns true when it is the new best (the caller then writes the
   * weights and calls {@link setBest}). Sets `stopReason` "patience" when
   * this is the `patience`-th evaluation in a row without improvement.
   */
  observe(step: number, recall: Readonly<Record<number, number>>): boolean {
    const s = this.#state;
    if (s.stopReason !== null) {
      throw new Error(
        `early stopping: evaluation at step ${step} after the stop at ${s.stoppedAt}`,
      );
    }
    const value = recall[this.k];
    if (value === undefined) {
      throw new Error(
        `early stopping: the valid evaluation at step ${step} has no recall@${this.k}`,
      );
    }
    const improved = Number.isFinite(value) &&
      (s.bestValid === null || value - this.config.minDelta > s.bestValid);
    if (improved) {
      s.bestStep = step;
      s.bestValid = value;
      s.sinceBest = 0;
      s.best = null;
    } else {
      s.sinceBest++;
      if (s.sinceBest >= this.config.patience) {
        s.stopReason = "patience";
        s.stoppedAt = step;
      }
    }
    return improved;
  }

  /** Records the file holding the weights of the best step. */
  setBest(blob: BlobManifest): void {
    this.#state.best = structuredClone(blob);
  }

  /** Marks the run finished at `step`: by its cap unless patience ran out. */
  finish(step: number): void {
    if (this.#state.stopReason !== null) return;
    this.#state.stopReason = "cap";
    this.#state.stoppedAt = step;
  }

  /** The summary the run's files and result record. */
  summary(): EarlyStoppingSummary {
    return earlyStoppingSummary(this.config, this.#state);
  }
}

/** {@link EarlyStoppingSummary} of a config and a state. */
export function earlyStoppingSummary(
  config: EarlyStoppingConfig,
  state: EarlyStoppingState,
): EarlyStoppingSummary {
  return {
    metric: config.metric,
    patience: config.patience,
    minDelta: config.minDelta,
    stoppedAt: state.stoppedAt,
    bestStep: state.bestStep,
    bestValid: state.bestValid,
    stopReason: state.stopReason,
  };
}

/**
 * "stopped at step 25 (patience: 3 valid evaluations without recall@10
 * improving); best valid recall@10 0.8123 at step 15", for the console.
 */
export function describeEarlyStopping(s: EarlyStoppingSummary): string {
  const why = s.stopReason === "patience"
    ? `patience: ${s.patience} valid evaluations in a row without ${s.metric} improving${
      s.minDelta > 0 ? ` by more than ${s.minDelta}` : ""
    }`
    : s.stopReason === "cap"
    ? "cap: the configured steps ran out first"
    : "still running";
  const best = s.bestStep === null
    ? "no valid evaluation"
    : `best valid ${s.metric} ${s.bestValid?.toFixed(4)} at step ${s.bestStep}`;
  return `early stopping: stopped at step ${
    s.stoppedAt ?? "?"
  } (${why}); ${best}`;
}
