/**
 * Tower configurations: one JSON-serialisable object per tower kind, with
 * defaults and validation. A trained model records its resolved config so
 * that the same tower (and the same featurisation) can be rebuilt from a
 * checkpoint.
 *
 * @module
 */

import {
  BUCKET_OPTIONS,
  FEATURE_FAMILIES,
  type FeatureConfig,
  featureConfig,
  type FeatureConfigOverrides,
  MAX_LEN_OPTIONS,
} from "../features/mod.ts";
import {
  type Dataset,
  flag,
  integer,
  integers,
  number,
  type OptionContext,
  optionsDocument,
  type OptionTable,
  refuseUnknownKeys,
  type Resolved,
  resolveOptions,
  subset,
} from "../data/mod.ts";

/** All tower kinds, in a fixed order (the one list of their names). */
export const TOWER_KINDS = ["dssm", "mgdspr", "dpsr", "plain"] as const;

/** The four tower kinds. */
export type TowerKind = (typeof TOWER_KINDS)[number];

/** All item text fields, in a fixed order (the one list of their names). */
export const ITEM_FIELDS = ["title", "brand", "category"] as const;

/** Item text columns a tower can read. */
export type ItemField = (typeof ITEM_FIELDS)[number];

// Options several kinds share, each declared once.
const DIM = integer({
  default: 128,
  min: 1,
  max: 4096,
  doc: "output dimension d of the towers",
});
const HISTORY_LEN = integer({
  default: {
    text: "`features.maxLen.history`",
    from: (c) => (c.features as FeatureConfig).maxLen.history,
    missing: "needs the feature config",
  },
  min: 1,
  max: 1e5,
  doc: "items of the behaviour sequence kept (the most recent)",
});
const SHARE_EMBEDDINGS = flag({
  default: true,
  doc: "query and item share the embedding tables",
});
const FAMILIES = subset({
  choices: FEATURE_FAMILIES,
  default: ["charTrigram", "word"],
  doc: "hashed families, each mean-pooled, then concatenated",
});
const EMBED_DIM = integer({
  default: 64,
  min: 1,
  max: 4096,
  doc: "width of the hashed-unit embeddings",
});
const MAX_WIDTH = 1e8;
// The largest item-id space a tower's id table may span.
const MAX_ITEMS = 1e8;

// The id table is keyed by item_id, so it spans the ids, not the rows.
function idSpace(context: OptionContext): number | undefined {
  const ids = (context.dataset as Dataset | undefined)?.items.itemId;
  if (!ids || ids.length === 0) return undefined;
  let max = -1;
  for (const id of ids) max = Math.max(max, id);
  return max + 1;
}

const NUM_ITEMS_MISSING =
  "is required (the dataset's item count); set it or pass options.dataset (with items)";

/**
 * The options of each tower kind, each declared once: type, default,
 * bounds, one line of documentation (docs/tower_options.md is generated
 * from them). Every kind also takes `features` (the feature config's
 * overrides, lib/features).
 */
export const TOWER_OPTIONS = {
  /**
   * DSSM (Huang et al. 2013): letter-trigram bag → tanh layers → cosine.
   * Layer sizes are `buckets.charTrigram → hidden[0] → … → dim`, all tanh.
   */
  dssm: {
    dim: DIM,
    hidden: integers({
      default: [300, 300],
      minLength: 1,
      max: MAX_WIDTH,
      doc: "hidden tanh widths; hidden[0] is the trigram layer",
    }),
    shared: flag({
      default: false,
      doc: "one set of weights for both towers (DSSM: separate)",
    }),
    itemFields: subset({
      choices: ITEM_FIELDS,
      default: ITEM_FIELDS,
      doc:
        "item columns whose trigram counts add up to the item's bag (each field truncated on its own)",
    }),
  },
  /**
   * MGDSPR-style (Li et al. 2021) at laptop scale. Every embedding is
   * `dim`-wide because the query units are summed (q_mix) and fused by
   * attention.
   */
  mgdspr: {
    dim: DIM,
    heads: integer({
      default: 2,
      min: 1,
      max: 64,
      doc: "heads of the self-attention over query words; must divide dim",
      check: (heads, all) =>
        (all.dim as number) % (heads as number) === 0
          ? null
          : `(${heads}) must divide dim (${all.dim})`,
    }),
    numItems: integer({
      default: {
        text: "the dataset's largest item_id + 1",
        from: idSpace,
        missing: NUM_ITEMS_MISSING,
      },
      min: 1,
      max: MAX_ITEMS,
      doc:
        "item-id embedding rows, padding excluded: the id space (ids 0 … n − 1 give n)",
    }),
    historyLen: HISTORY_LEN,
    shareEmbeddings: SHARE_EMBEDDINGS,
    itemFields: subset({
      choices: ITEM_FIELDS,
      default: ["title"],
      doc: "item columns whose words are mean-pooled (MGDSPR: the title)",
    }),
  },
  /** DPSR-style (Zhang et al. 2020): m query heads, attention score. */
  dpsr: {
    dim: DIM,
    heads: integer({
      default: 4,
      min: 1,
      max: 64,
      doc: "number m of query heads",
    }),
    beta: number({
      default: 0.1,
      min: 0,
      strict: true,
      doc: "softmax temperature β of the multi-head score",
    }),
    embedDim: EMBED_DIM,
    hidden: integer({
      default: 256,
      min: 1,
      max: 65536,
      doc: "hidden width of each head's MLP and of the item MLP",
    }),
    families: FAMILIES,
    itemFields: subset({
      choices: ITEM_FIELDS,
      default: ITEM_FIELDS,
      doc: "item columns, each mean-pooled on its own, then concatenated",
    }),
    shareEmbeddings: SHARE_EMBEDDINGS,
  },
  /** Plain two-tower: hashed text bags → MLP, plus item-id embedding. */
  plain: {
    dim: DIM,
    families: FAMILIES,
    embedDim: EMBED_DIM,
    hidden: integers({
      default: [256],
      minLength: 0,
      max: MAX_WIDTH,
      doc: "tanh hidden widths before the linear output layer",
    }),
    itemFields: subset({
      choices: ITEM_FIELDS,
      default: ITEM_FIELDS,
      doc: "item columns merged into one bag per family",
    }),
    itemIdEmbedding: flag({
      default: true,
      doc: "add a learned dim-wide item-id embedding to the item output",
    }),
    userHistory: flag({
      default: false,
      doc:
        "feed the mean item-id embedding of the user's history to the query MLP",
    }),
    historyLen: HISTORY_LEN,
    numItems: integer({
      default: {
        text: "the dataset's largest item_id + 1; 0 without an id table",
        from: (c, o) => needsIds(o) ? idSpace(c) : 0,
        missing: NUM_ITEMS_MISSING,
      },
      min: 0,
      max: MAX_ITEMS,
      doc:
        "item-id rows, padding excluded (the id space); stored as 0 when neither itemIdEmbedding nor userHistory needs the id table",
      check: (n, all) =>
        needsIds(all) && n === 0
          ? `must be an integer in [1, ${MAX_ITEMS}] when itemIdEmbedding or userHistory is on, got 0`
          : null,
    }),
    shareEmbeddings: SHARE_EMBEDDINGS,
  },
} as const satisfies Record<TowerKind, OptionTable>;

// The plain tower needs its id table for the id embedding or the history.
function needsIds(options: Readonly<Record<string, unknown>>): boolean {
  return options.itemIdEmbedding === true || options.userHistory === true;
}

/** A resolved config of one kind: its kind, the feature config and its options. */
type KindConfig<K extends TowerKind> =
  & { kind: K; features: FeatureConfig }
  & Resolved<(typeof TOWER_OPTIONS)[K]>;

/** Settings every tower has: its output dimension d and the feature config. */
export type TowerConfigBase = Pick<KindConfig<TowerKind>, "dim" | "features">;

/** A resolved DSSM config ({@link TOWER_OPTIONS}`.dssm`). */
export type DssmConfig = KindConfig<"dssm">;
/** A resolved MGDSPR-style config ({@link TOWER_OPTIONS}`.mgdspr`). */
export type MgdsprConfig = KindConfig<"mgdspr">;
/** A resolved DPSR-style config ({@link TOWER_OPTIONS}`.dpsr`). */
export type DpsrConfig = KindConfig<"dpsr">;
/** A resolved plain two-tower config ({@link TOWER_OPTIONS}`.plain`). */
export type PlainConfig = KindConfig<"plain">;

/** A resolved tower configuration. */
export type TowerConfig = DssmConfig | MgdsprConfig | DpsrConfig | PlainConfig;

type Input<C extends TowerConfig> =
  & { kind: C["kind"] }
  & Partial<Omit<C, "kind" | "features">>
  & { features?: FeatureConfigOverrides };

/**
 * What a caller writes: the kind plus any settings to change; the feature
 * config may be partial (it goes through `featureConfig`).
 */
export type TowerConfigInput =
  | Input<DssmConfig>
  | Input<MgdsprConfig>
  | Input<DpsrConfig>
  | Input<PlainConfig>;

/** The resolved config type of a kind. */
export type ConfigOf<K extends TowerKind> = Extract<TowerConfig, { kind: K }>;

/** Options of {@link towerConfig}. */
export interface TowerConfigOptions {
  /** Supplies `numItems` (its largest item_id + 1) when the input does not set it. */
  dataset?: Dataset;
}

/**
 * Fills in defaults and validates a tower configuration; unknown keys and
 * bad values throw a `RangeError` naming the option. Accepts a resolved
 * config as well (e.g. one read back from a checkpoint), so
 * `towerConfig(towerConfig(x))` equals `towerConfig(x)`.
 */
export function towerConfig<I extends TowerConfigInput>(
  input: I,
  options: TowerConfigOptions = {},
): ConfigOf<I["kind"]> {
  return resolve(input, options) as ConfigOf<I["kind"]>;
}

function resolve(
  input: TowerConfigInput,
  options: TowerConfigOptions,
): TowerConfig {
  if (typeof input !== "object" || input === null) {
    throw new RangeError("TowerConfig must be an object with a 'kind'");
  }
  const kind = input.kind;
  if (!TOWER_KINDS.includes(kind)) {
    throw new RangeError(
      `TowerConfig.kind must be one of ${TOWER_KINDS.join(", ")}, got ${
        JSON.stringify(kind)
      }`,
    );
  }
  const table: OptionTable = TOWER_OPTIONS[kind];
  const allowed = ["kind", "features", ...Object.keys(table)];
  const fail = (key: string, problem: string): never => {
    throw new RangeError(`TowerConfig(${kind}).${key} ${problem}`);
  };
  refuseUnknownKeys(input, allowed, fail);
  const features = featureConfig(input.features ?? {});
  const resolved = resolveOptions(table, input, {
    fail,
    context: { features, dataset: options.dataset },
  });
  // Without an id table the item count is irrelevant: stored as 0.
  if (kind === "plain" && !needsIds(resolved)) resolved.numItems = 0;
  // The table of `kind` resolved: the config of that kind.
  return { kind, features, ...resolved } as TowerConfig;
}

/**
 * The Markdown of docs/tower_options.md: the option table of every tower
 * kind, then of the feature config (`features.buckets`, `features.maxLen`),
 * each generated from its one declaration (config_test.ts checks that the
 * file matches).
 */
export function towerOptionsMarkdown(): string {
  return optionsDocument({
    title: "Tower options",
    source:
      "towerOptionsMarkdown() from TOWER_OPTIONS, BUCKET_OPTIONS and MAX_LEN_OPTIONS (lib/towers/config.ts)",
    test: "lib/towers/config_test.ts",
    intro:
      "The `tower` section of a training config: `kind`, any of its options below, and `features` (the two feature tables at the end, each option optional); an option left out takes its default. Each table is declared once: the towers' in `lib/towers/config.ts`, the features' in `lib/features/config.ts`. The losses' options are in [loss_options.md](loss_options.md).",
    sections: [
      ...TOWER_KINDS.map((kind) => ({
        name: kind,
        table: TOWER_OPTIONS[kind],
      })),
      { name: "features.buckets", table: BUCKET_OPTIONS },
      { name: "features.maxLen", table: MAX_LEN_OPTIONS },
    ],
  });
}
