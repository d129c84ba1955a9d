/**
 * Tower configurations: one JSON-serialisable object per tower kind, with
 * defaults and validation. A trained model records its resolved config so
 * that the same tower (and the same featurisation) can be rebuilt from a
 * checkpoint.
 *
 * @module
 */

import {
  FEATURE_FAMILIES,
  type FeatureConfig,
  featureConfig,
  type FeatureConfigOverrides,
  type FeatureFamily,
} from "../features/mod.ts";
import { type Dataset, unknownKey } from "../data/mod.ts";

/** All tower kinds, in a fixed order (the one list of their names). */
export const TOWER_KINDS = ["dssm", "mgdspr", "dpsr", "plain"] as const;

/** The four tower kinds. */
export type TowerKind = (typeof TOWER_KINDS)[number];

/** All item text fields, in a fixed order (the one list of their names). */
export const ITEM_FIELDS = ["title", "brand", "category"] as const;

/** Item text columns a tower can read. */
export type ItemField = (typeof ITEM_FIELDS)[number];

/** Settings every tower has. */
export interface TowerConfigBase {
  /** Output dimension d of the towers (default 128). */
  dim: number;
  /** How texts become hashed ids (buckets = embedding rows, max lengths). */
  features: FeatureConfig;
}

/**
 * DSSM (Huang et al. 2013): letter-trigram bag → tanh layers → cosine.
 * Layer sizes are `buckets.charTrigram → hidden[0] → … → dim`, all tanh.
 */
export interface DssmConfig extends TowerConfigBase {
  /** Tower kind. */
  kind: "dssm";
  /** Hidden widths (default [300, 300]); hidden[0] is the trigram layer. */
  hidden: number[];
  /** One set of weights for both towers (default false: separate, as DSSM). */
  shared: boolean;
  /**
   * Item columns whose trigrams form the item's bag (default title, brand,
   * category): their trigram counts add up, i.e. the bag of the
   * concatenated text, each field truncated on its own.
   */
  itemFields: ItemField[];
}

/**
 * MGDSPR-style (Li et al. 2021) at laptop scale. Every embedding is
 * `dim`-wide because the query units are summed (q_mix) and fused by
 * attention.
 */
export interface MgdsprConfig extends TowerConfigBase {
  /** Tower kind. */
  kind: "mgdspr";
  /** Heads of the self-attention over query words (default 2). */
  heads: number;
  /**
   * Item-id embedding rows, padding excluded: the id space, largest
   * `item_id` + 1 (the table is keyed by id; ids 0 … n − 1 give n).
   */
  numItems: number;
  /** Items of the behaviour sequence kept (default `features.maxLen.history`). */
  historyLen: number;
  /** Query words and title words share one table (default true). */
  shareEmbeddings: boolean;
  /** Item columns whose words are mean-pooled (default title only, as MGDSPR). */
  itemFields: ItemField[];
}

/** DPSR-style (Zhang et al. 2020): m query heads, attention score. */
export interface DpsrConfig extends TowerConfigBase {
  /** Tower kind. */
  kind: "dpsr";
  /** Number m of query heads (default 4). */
  heads: number;
  /** Softmax temperature β of the multi-head score (default 0.1). */
  beta: number;
  /** Width of the hashed-unit embeddings (default 64). */
  embedDim: number;
  /** Hidden width of each head's MLP and of the item MLP (default 256). */
  hidden: number;
  /** Families mean-pooled for queries and item fields (default word, charTrigram). */
  families: FeatureFamily[];
  /** Item columns, each mean-pooled on its own, then concatenated (default all). */
  itemFields: ItemField[];
  /** Query and item share the embedding tables (default true). */
  shareEmbeddings: boolean;
}

/** Plain two-tower: hashed text bags → MLP, plus item-id embedding. */
export interface PlainConfig extends TowerConfigBase {
  /** Tower kind. */
  kind: "plain";
  /** Families mean-pooled and concatenated (default word, charTrigram). */
  families: FeatureFamily[];
  /** Width of the hashed-unit embeddings (default 64). */
  embedDim: number;
  /** tanh hidden widths before the linear output layer (default [256]). */
  hidden: number[];
  /** Item columns merged into one bag per family (default all). */
  itemFields: ItemField[];
  /** Add a learned `dim`-wide item-id embedding to the item output (default true). */
  itemIdEmbedding: boolean;
  /** Feed the mean item-id embedding of the user's history to the query MLP (default false). */
  userHistory: boolean;
  /** Items of the behaviour sequence kept (default `features.maxLen.history`). */
  historyLen: number;
  /**
   * Item-id rows, padding excluded: the id space, largest `item_id` + 1
   * (the table is keyed by id); always 0 when neither `itemIdEmbedding`
   * nor `userHistory` needs the id table.
   */
  numItems: number;
  /** Query and item share the embedding tables (default true). */
  shareEmbeddings: boolean;
}

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

const KEYS: Record<TowerKind, readonly string[]> = {
  dssm: ["hidden", "shared", "itemFields"],
  mgdspr: ["heads", "numItems", "historyLen", "shareEmbeddings", "itemFields"],
  dpsr: [
    "heads",
    "beta",
    "embedDim",
    "hidden",
    "families",
    "itemFields",
    "shareEmbeddings",
  ],
  plain: [
    "families",
    "embedDim",
    "hidden",
    "itemFields",
    "itemIdEmbedding",
    "userHistory",
    "historyLen",
    "numItems",
    "shareEmbeddings",
  ],
};

function fail(kind: string, key: string, detail: string): never {
  throw new RangeError(`TowerConfig(${kind}).${key} ${detail}`);
}

function posInt(kind: string, key: string, v: unknown, max = 1e8): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    fail(
      kind,
      key,
      `must be an integer in [1, ${max}], got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function bool(kind: string, key: string, v: unknown): boolean {
  if (typeof v !== "boolean") {
    fail(kind, key, `must be true or false, got ${JSON.stringify(v)}`);
  }
  return v;
}

function intList(kind: string, key: string, v: unknown, minLen: number) {
  if (!Array.isArray(v) || v.length < minLen) {
    fail(kind, key, `must be an array of at least ${minLen} positive integers`);
  }
  return v.map((x, i) => posInt(kind, `${key}[${i}]`, x));
}

function subset<T extends string>(
  kind: string,
  key: string,
  v: unknown,
  allowed: readonly T[],
): T[] {
  if (!Array.isArray(v) || v.length === 0) {
    fail(kind, key, `must be a non-empty array of ${allowed.join(", ")}`);
  }
  const seen = new Set<string>();
  for (const x of v) {
    if (!allowed.includes(x as T)) {
      fail(kind, key, `has '${x}'; expected values from ${allowed.join(", ")}`);
    }
    if (seen.has(x)) fail(kind, key, `lists '${x}' twice`);
    seen.add(x);
  }
  // Canonical order, so that equal sets give equal configs.
  return allowed.filter((a) => seen.has(a));
}

function numItemsOf(
  kind: string,
  v: unknown,
  options: TowerConfigOptions,
): number {
  if (v === undefined && options.dataset) {
    const ids = options.dataset.items.itemId;
    if (ids.length < 1) {
      fail(kind, "numItems", "cannot come from a dataset with no items");
    }
    // The id table is keyed by item_id, so it spans the ids, not the rows.
    let max = -1;
    for (const id of ids) max = Math.max(max, id);
    return posInt(kind, "numItems (largest item_id + 1)", max + 1);
  }
  if (v === undefined) {
    fail(
      kind,
      "numItems",
      "is required (the dataset's item count); set it or pass options.dataset",
    );
  }
  return posInt(kind, "numItems", v);
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
  const allowed = ["kind", "dim", "features", ...KEYS[kind]];
  const unknown = unknownKey(input, allowed);
  if (unknown !== null) {
    fail(
      kind,
      unknown,
      `is not an option; expected one of ${allowed.join(", ")}`,
    );
  }
  const i = input as Record<string, unknown>;
  const features = featureConfig(
    (i.features ?? {}) as FeatureConfigOverrides,
  );
  const dim = posInt(kind, "dim", i.dim ?? 128, 4096);
  // Options several kinds share, each default and check written once.
  const shared = {
    historyLen: () =>
      posInt(kind, "historyLen", i.historyLen ?? features.maxLen.history, 1e5),
    shareEmbeddings: () =>
      bool(kind, "shareEmbeddings", i.shareEmbeddings ?? true),
    families: () =>
      subset(
        kind,
        "families",
        i.families ?? ["word", "charTrigram"],
        FEATURE_FAMILIES,
      ),
    embedDim: () => posInt(kind, "embedDim", i.embedDim ?? 64, 4096),
    // The default differs by kind (MGDSPR reads titles only).
    itemFields: (fallback: readonly ItemField[] = ITEM_FIELDS) =>
      subset(kind, "itemFields", i.itemFields ?? fallback, ITEM_FIELDS),
  };
  switch (kind) {
    case "dssm":
      return {
        kind,
        dim,
        features,
        hidden: intList(kind, "hidden", i.hidden ?? [300, 300], 1),
        shared: bool(kind, "shared", i.shared ?? false),
        itemFields: shared.itemFields(),
      };
    case "mgdspr": {
      const heads = posInt(kind, "heads", i.heads ?? 2, 64);
      if (dim % heads !== 0) {
        fail(kind, "heads", `(${heads}) must divide dim (${dim})`);
      }
      return {
        kind,
        dim,
        features,
        heads,
        numItems: numItemsOf(kind, i.numItems, options),
        historyLen: shared.historyLen(),
        shareEmbeddings: shared.shareEmbeddings(),
        itemFields: shared.itemFields(["title"]),
      };
    }
    case "dpsr": {
      const beta = i.beta ?? 0.1;
      if (typeof beta !== "number" || !(beta > 0) || !Number.isFinite(beta)) {
        fail(
          kind,
          "beta",
          `must be a finite number > 0, got ${JSON.stringify(beta)}`,
        );
      }
      return {
        kind,
        dim,
        features,
        heads: posInt(kind, "heads", i.heads ?? 4, 64),
        beta,
        embedDim: shared.embedDim(),
        hidden: posInt(kind, "hidden", i.hidden ?? 256, 65536),
        families: shared.families(),
        itemFields: shared.itemFields(),
        shareEmbeddings: shared.shareEmbeddings(),
      };
    }
    case "plain": {
      const itemIdEmbedding = bool(
        kind,
        "itemIdEmbedding",
        i.itemIdEmbedding ?? true,
      );
      const userHistory = bool(kind, "userHistory", i.userHistory ?? false);
      const needsIds = itemIdEmbedding || userHistory;
      // Without an id table the item count is irrelevant: stored as 0.
      const numItems = needsIds ? numItemsOf(kind, i.numItems, options) : 0;
      return {
        kind,
        dim,
        features,
        families: shared.families(),
        embedDim: shared.embedDim(),
        hidden: i.hidden === undefined
          ? [256]
          : intList(kind, "hidden", i.hidden, 0),
        itemFields: shared.itemFields(),
        itemIdEmbedding,
        userHistory,
        historyLen: shared.historyLen(),
        numItems,
        shareEmbeddings: shared.shareEmbeddings(),
      };
    }
  }
}
