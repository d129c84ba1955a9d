/**
 * Driver behind the baseline notebooks (`04_baseline_dssm`,
 * `05_baseline_mgdspr`, `05b_baseline_dpsr`, `05c_baseline_adap_tau`): for
 * each baseline (DSSM, MGDSPR-style, DPSR-style, Adap-τ) a grid of runs on the
 * same tower, trained with the baseline's own objective, with the paper's
 * adaptive losses, and with the fixed-hyper-parameter losses; every run
 * evaluated with {@link evaluateModel} and cached on disk.
 *
 * ```ts
 * const specs = baselineGrid("dssm", { data: "../data/synthetic-quick" });
 * const rows = await runBaselineGrid(specs, { runsDir: runsDir("04_baseline_dssm") });
 * console.log(baselineVerdicts(rows).join("\n")); // baseline_report.ts
 * ```
 *
 * The grid ({@link baselineGrid}), per baseline:
 *
 * | baseline | tower    | own objective (`loss.kind`)                                   |
 * | -------- | -------- | ------------------------------------------------------------- |
 * | dssm     | `dssm`   | `dssm-softmax`: softmax, γ = 10, clicked item + 4 random ones |
 * | mgdspr   | `mgdspr` | `mgdspr`: in-batch softmax, τ = 2, plus mixed hard negatives  |
 * | dpsr     | `dpsr`   | `dpsr-hinge`: hinge δ = 0.1 over in-batch + 32 random items   |
 * | adap-tau | `plain`  | `adap-tau`: per-query 1/τ_q from last epoch's loss            |
 *
 * and on the same tower `adaptive-margin` and `adaptive-softmax` (the
 * paper's defaults), `margin` (δ = 0.1) and `softmax` (τ = 1/30); Adap-τ
 * also gets `global-only` (`perId: false`: its data-statistics scale
 * without the per-query part). Lengths: the `quick` profile's 40 steps;
 * `full`: the experiments' full profile (`experimentsSettings("full")`:
 * early stopping on valid batch recall@10, evaluated every 25 steps, cap
 * 800 steps; test metrics from the best-valid weights), so that a
 * baseline notebook's full run is judged at convergence like notebook 06's.
 * Both profiles use the quick hash buckets ({@link BASELINE_BUCKETS}).
 * Adap-τ's warm-up is shortened to {@link ADAP_TAU_BASELINE_WARMUP} epoch
 * (official code: 10), so that its data-statistics scale acts within runs
 * of a few epochs.
 *
 * Runs train in the experiments' worker pool (`workers.ts`), like the
 * other grids'. Caching ({@link runBaselineGrid}, through the run cache of
 * `run_cache.ts`): run `name` trains in `<runsDir>/<name>-<config hash>/`
 * (the `lib/train` run folder) and its evaluation is `eval.json` plus
 * `perquery.json` (per-query values for paired comparisons). A folder
 * whose run finished, on the same dataset contents (run.json's hash), with
 * this module's evaluation version and bootstrap size, is read back
 * instead of retrained; any other folder of that name is deleted and the
 * run trained afresh. Tables, charts and verdicts of the rows are
 * `baseline_report.ts`'s.
 *
 * Per-query values come from the same evaluation pass as the metrics
 * (`evaluateModelPerQuery`), so their means are its point estimates.
 *
 * @module
 */

import { DEFAULT_PROFILE, DEFAULT_SEED, type Profile } from "../data/mod.ts";
import type { BackendRequest } from "../backend/mod.ts";
import {
  configHash,
  QUICK_BUCKETS,
  resolveConfig,
  type TrainConfig,
  type TrainConfigInput,
  withDefaultBuckets,
} from "../train/mod.ts";
import {} from "../eval/mod.ts";
import { experimentsSettings } from "./benchmark.ts";
import {} from "./evaluate.ts";

/** All baselines, in notebook order. */
export const BASELINE_NAMES = ["dssm", "mgdspr", "dpsr", "adap-tau"] as const;

/** The baselines this driver knows. */
export type BaselineName = typeof BASELINE_NAMES[number];

/**
 * A run of a baseline's grid: its own objective, the paper's adaptive
 * losses, the fixed losses, and (Adap-τ) its global scale alone.
 */
export type BaselineVariant =
  | "own"
  | "adaptive-margin"
  | "adaptive-softmax"
  | "margin"
  | "softmax"
  | "global-only";

/** What a variant is in the comparison. */
export type BaselineRole = "own" | "adaptive" | "fixed" | "ablation";

/** The variants of each baseline's grid, in table order. */
export const BASELINE_VARIANTS: Readonly<
  Record<BaselineName, readonly BaselineVariant[]>
> = Object.freeze({
  dssm: ["own", "adaptive-margin", "adaptive-softmax", "margin", "softmax"],
  mgdspr: ["own", "adaptive-margin", "adaptive-softmax", "margin", "softmax"],
  dpsr: ["own", "adaptive-margin", "adaptive-softmax", "margin", "softmax"],
  "adap-tau": [
    "own",
    "global-only",
    "adaptive-softmax",
    "adaptive-margin",
    "softmax",
  ],
});

/**
 * Hash buckets of the towers in both profiles (the quick profile's
 * `QUICK_BUCKETS`, 4,096 per family): with the towers' own 30k–50k buckets
 * Adam's dense update over the embedding tables doubles a step on the full
 * catalogue, and the full notebooks would not fit their ~15 minutes.
 */
export const BASELINE_BUCKETS: Readonly<Record<string, number>> = QUICK_BUCKETS;

/**
 * Adap-τ's warm-up epochs in this grid and in notebook 06's main table
 * (official code `cnt_lr`: 10).
 */
export const ADAP_TAU_BASELINE_WARMUP = 1;

/**
 * Adap-τ's own loss as every grid here trains it (the baseline notebooks,
 * notebook 06's main table and learning curves): the official 10 warm-up
 * epochs, one global scale for every query, would outlast the 800-step cap
 * on MovieLens, so the warm-up is {@link ADAP_TAU_BASELINE_WARMUP} epoch.
 */
export const ADAP_TAU_LOSS: Readonly<
  { kind: "adap-tau"; warmupEpochs: number }
> = Object.freeze({ kind: "adap-tau", warmupEpochs: ADAP_TAU_BASELINE_WARMUP });

/** Version of the evaluation files this driver writes (part of the cache check). */
export const BASELINE_EVAL_VERSION = 1;

/** The file of per-query values in a run folder. */
export const BASELINE_PER_QUERY_FILE = "perquery.json";

/** What the grid needs of each baseline: its tower and its own loss. */
interface BaselineSpec {
  /** The tower kind it trains. */
  tower: string;
  /** The tower, as long labels name it. */
  towerLabel: string;
  /** Its own loss config. */
  ownLoss: Record<string, string | number | boolean>;
  /** Its own loss in short labels. */
  ownShort: string;
  /** Its own objective in words (long labels). */
  ownLong: string;
}

const BASELINES: Record<BaselineName, BaselineSpec> = {
  dssm: {
    tower: "dssm",
    towerLabel: "DSSM",
    ownLoss: { kind: "dssm-softmax" },
    ownShort: "own γ-softmax",
    ownLong: "own loss: softmax γ = 10 over the clicked item + 4 random ones",
  },
  mgdspr: {
    tower: "mgdspr",
    towerLabel: "MGDSPR",
    ownLoss: { kind: "mgdspr" },
    ownShort: "own τ=2+mixed",
    ownLong: "own loss: in-batch softmax τ = 2 + mixed hard negatives",
  },
  dpsr: {
    tower: "dpsr",
    towerLabel: "DPSR",
    ownLoss: { kind: "dpsr-hinge" },
    ownShort: "own hinge+rand",
    ownLong: "own loss: hinge δ = 0.1 over in-batch + 32 random negatives",
  },
  "adap-tau": {
    tower: "plain",
    towerLabel: "plain tower",
    ownLoss: { ...ADAP_TAU_LOSS },
    ownShort: "own Adap-τ",
    ownLong: "Adap-τ (own loss: per-query τ from last epoch's loss)",
  },
};

const ROLE: Record<BaselineVariant, BaselineRole> = {
  own: "own",
  "adaptive-margin": "adaptive",
  "adaptive-softmax": "adaptive",
  margin: "fixed",
  softmax: "fixed",
  "global-only": "ablation",
};

/** The other variants' losses in short and long labels. */
const VARIANT_LABELS: Record<
  Exclude<BaselineVariant, "own">,
  { short: string; long: string }
> = {
  "adaptive-margin": {
    short: "adaptive δ_j",
    long: "adaptive margin δ_j (the paper's)",
  },
  "adaptive-softmax": {
    short: "adaptive τ_j",
    long: "adaptive temperature τ_j (the paper's)",
  },
  margin: { short: "fixed δ=0.1", long: "fixed margin δ = 0.1" },
  softmax: { short: "fixed τ=1/30", long: "fixed softmax τ = 1/30" },
  "global-only": {
    short: "Adap-τ global",
    long: "Adap-τ with its global scale only (perId: false)",
  },
};

function lossOf(
  baseline: BaselineName,
  variant: BaselineVariant,
): Record<string, string | number | boolean> {
  switch (variant) {
    case "own":
      return { ...BASELINES[baseline].ownLoss };
    case "global-only":
      return {
        kind: "adap-tau",
        perId: false,
        warmupEpochs: ADAP_TAU_BASELINE_WARMUP,
      };
    default:
      return { kind: variant };
  }
}

/** One run of a grid: names, role and resolved training config. */
export interface BaselineRunSpec {
  /** Unique, file-safe name, `<baseline>-<variant>` (the run folder's prefix). */
  name: string;
  /** Which baseline's grid. */
  baseline: BaselineName;
  /** Which run of it. */
  variant: BaselineVariant;
  /** Its role in the comparison. */
  role: BaselineRole;
  /** Short label for charts and tables, e.g. `"adaptive δ_j"`. */
  short: string;
  /** Long label, e.g. `"DSSM + adaptive margin δ_j (the paper's)"`. */
  method: string;
  /** The resolved training config. */
  config: TrainConfig;
}

// The full profile's length: the experiments' early stopping, from its one
// declaration (benchmark.ts).
function atConvergence(): Partial<TrainConfigInput> {
  const full = experimentsSettings("full");
  return {
    steps: full.steps,
    epochs: null,
    evalEvery: full.evalEvery,
    ...(full.earlyStopping ? { earlyStopping: full.earlyStopping } : {}),
  };
}

/** Options of {@link baselineGrid}. */
export interface BaselineGridOptions {
  /** Dataset folder, recorded in every config (and read when no dataset is given to the runner). */
  data: string;
  /** Size profile (default `"quick"`): quick 40 steps, full early stopping (see the module documentation). */
  profile?: Profile;
  /** Seed of every run (default 1). */
  seed?: number;
  /** Runs to include, in this order (default {@link BASELINE_VARIANTS} of the baseline). */
  variants?: readonly BaselineVariant[];
  /** Steps per run, replacing the profile's length. */
  steps?: number;
  /** Epochs per run, replacing the profile's length. */
  epochs?: number;
  /** Pairs per batch (default 350). */
  batchSize?: number;
  /** Tower settings merged over the baseline's tower (e.g. smaller sizes in tests). */
  tower?: Record<string, unknown>;
  /** Backend request (default `"auto"`). */
  backend?: BackendRequest;
  /** Checkpoint interval (default: the profile's). */
  checkpointEvery?: number;
}

/**
 * The runs of one baseline's comparison (see the module documentation),
 * as resolved training configs; throws a `RangeError` naming the option
 * for an unknown baseline or variant, and `ConfigError`s from
 * `resolveConfig` for bad settings.
 */
export function baselineGrid(
  baseline: BaselineName,
  options: BaselineGridOptions,
): BaselineRunSpec[] {
  if (!BASELINE_NAMES.includes(baseline)) {
    throw new RangeError(
      `baselineGrid: baseline must be one of ${
        BASELINE_NAMES.join(", ")
      }, got ${JSON.stringify(baseline)}`,
    );
  }
  const profile = options.profile ?? DEFAULT_PROFILE;
  const allowed = [...BASELINE_VARIANTS[baseline]];
  const variants = options.variants ?? allowed;
  if (variants.length === 0) {
    throw new RangeError("baselineGrid: option variants must not be empty");
  }
  const seen = new Set<string>();
  for (const v of variants) {
    if (!allowed.includes(v)) {
      throw new RangeError(
        `baselineGrid: variants has ${
          JSON.stringify(v)
        }; the ${baseline} grid has ${allowed.join(", ")}`,
      );
    }
    if (seen.has(v)) {
      throw new RangeError(`baselineGrid: variants lists "${v}" twice`);
    }
    seen.add(v);
  }
  if (options.steps !== undefined && options.epochs !== undefined) {
    throw new RangeError("baselineGrid: give steps or epochs, not both");
  }
  const length = options.steps !== undefined
    ? { steps: options.steps, epochs: null }
    : options.epochs !== undefined
    ? { steps: null, epochs: options.epochs }
    : profile === "full"
    ? atConvergence()
    : {};
  const spec = BASELINES[baseline];
  return variants.map((variant) => {
    const input: TrainConfigInput = {
      profile,
      data: options.data,
      tower: withDefaultBuckets(
        { ...(options.tower ?? {}), kind: spec.tower },
        BASELINE_BUCKETS,
      ) as TrainConfigInput["tower"],
      loss: lossOf(baseline, variant) as TrainConfigInput["loss"],
      seed: options.seed ?? DEFAULT_SEED,
      ...length,
      ...(options.batchSize !== undefined
        ? { batchSize: options.batchSize }
        : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.checkpointEvery !== undefined
        ? { checkpointEvery: options.checkpointEvery }
        : {}),
    };
    const labels = variant === "own"
      ? { short: spec.ownShort, long: spec.ownLong }
      : VARIANT_LABELS[variant];
    return {
      name: `${baseline}-${variant}`,
      baseline,
      variant,
      role: ROLE[variant],
      short: labels.short,
      method: `${spec.towerLabel} + ${labels.long}`,
      config: resolveConfig(input),
    };
  });
}

/**
 * The grid as table rows: run name, tower, loss kind and every loss
 * option, length and config hash (what exactly each run trains).
 */
export function baselineGridTable(
  specs: readonly BaselineRunSpec[],
): Record<string, unknown>[] {
  return specs.map((s) => {
    const { kind, ...opts } = s.config.loss;
    return {
      run: s.name,
      role: s.role,
      tower: (s.config.tower as { kind: string }).kind,
      loss: kind,
      options: Object.entries(opts).map(([k, v]) =>
        `${k}=${typeof v === "number" ? Number(v.toPrecision(4)) : v}`
      ).join(", "),
      length: s.config.steps !== null
        ? `${s.config.steps} steps`
        : `${s.config.epochs} epochs`,
      batch: s.config.batchSize,
      lr: s.config.optimizer.lr,
      config: configHash(s.config),
    };
  });
}
