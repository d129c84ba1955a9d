/**
 * Pre-computed model inputs: every query and item of a dataset featurised
 * once (padded hashed ids per family and field, behaviour sequences), then
 * sliced per batch by table row.
 *
 * @module
 */

import { type Dataset, rowIndex } from "../data/mod.ts";
import {
  encodeFamilies,
  encodeSequences,
  type FeatureConfig,
  type FeatureFamily,
  type PaddedIds,
} from "../features/mod.ts";
import type { ItemField, TowerKind } from "./config.ts";

/**
 * A dataset's inputs for one model, built by `TwoTowerModel.prepare` and
 * read by `encodeQueries` / `encodeItems`. Rows are table rows
 * (`ds.queries` / `ds.items` order), as in `lib/data/batches.ts`.
 *
 * Keys of `queries`: a feature family (`"word"`, `"charTrigram"`, …) for
 * the query text, and `"history"` for the behaviour sequence of the query's
 * user (ids are item_id + 1, 0 = padding; an unknown user or a dataset
 * without users gives an empty row). Keys of `items`: `"<field>:<family>"`,
 * e.g. `"title:charTrigram"`.
 *
 * Item-id tables are keyed by `item_id` (row `item_id + 1`), never by
 * table row: the same items in another row order, or a dataset with other
 * rows around them, meet the same learned rows.
 */
export interface TowerInputs {
  /** Kind of the model that built them. */
  readonly kind: TowerKind;
  /** Settings that decided the inputs; a model refuses inputs with another signature. */
  readonly signature: string;
  /** Rows of the queries table. */
  readonly numQueries: number;
  /** Rows of the items table. */
  readonly numItems: number;
  /** `item_id` of each items-table row (what item-id tables are keyed by). */
  readonly itemIds: Int32Array;
  /** Per-query padded ids. */
  readonly queries: Readonly<Record<string, PaddedIds>>;
  /** Per-item padded ids. */
  readonly items: Readonly<Record<string, PaddedIds>>;
}

/** What a tower needs featurised. */
export interface InputSpec {
  /** Families of the query text. */
  queryFamilies: readonly FeatureFamily[];
  /** Families of each item field. */
  itemFamilies: readonly FeatureFamily[];
  /** Item fields read. */
  itemFields: readonly ItemField[];
  /** Behaviour sequence length; 0 = no histories. */
  historyLen: number;
  /** Hashing configuration. */
  features: FeatureConfig;
}

/** Key of an item field's family in {@link TowerInputs.items}. */
export function itemKey(field: ItemField, family: FeatureFamily): string {
  return `${field}:${family}`;
}

/** The behaviour sequence (item ids, oldest first) of every query's user. */
export function queryHistories(ds: Dataset): Int32Array[] {
  const empty = new Int32Array(0);
  const q = ds.queries;
  if (!ds.users) return Array.from(q.userId, () => empty);
  const userRow = rowIndex(ds.users.userId, {
    table: "users",
    column: "user_id",
  });
  const out: Int32Array[] = [];
  for (let i = 0; i < q.userId.length; i++) {
    const u = q.userId[i];
    const r = u < 0 ? undefined : userRow.get(u);
    // A query whose user has no row is treated like an unknown user.
    out.push(r === undefined ? empty : ds.users.history[r]);
  }
  return out;
}

/** Featurises a dataset as `spec` asks. */
export function buildInputs(
  ds: Dataset,
  options: { kind: TowerKind; signature: string; spec: InputSpec },
): TowerInputs {
  const { spec } = options;
  const config = spec.features;
  const queries: Record<string, PaddedIds> = {};
  const items: Record<string, PaddedIds> = {};
  if (spec.queryFamilies.length > 0) {
    Object.assign(
      queries,
      encodeFamilies(ds.queries.text, spec.queryFamilies, {
        field: "query",
        config,
      }),
    );
  }
  for (const field of spec.itemFields) {
    const enc = encodeFamilies(ds.items[field], spec.itemFamilies, {
      field: "title",
      config,
    });
    for (const f of spec.itemFamilies) items[itemKey(field, f)] = enc[f]!;
  }
  if (spec.historyLen > 0) {
    try {
      // No rowOf: the padded ids are item_id + 1, the id table's keys.
      queries.history = encodeSequences(queryHistories(ds), {
        maxLen: spec.historyLen,
      });
    } catch (err) {
      throw new RangeError(
        `users.history: ${(err as Error).message} (query order)`,
      );
    }
  }
  return {
    kind: options.kind,
    signature: options.signature,
    numQueries: ds.queries.queryId.length,
    numItems: ds.items.itemId.length,
    itemIds: Int32Array.from(ds.items.itemId),
    queries,
    items,
  };
}
