/**
 * Retrieval towers: DSSM, MGDSPR-style, DPSR-style and a plain two-tower
 * model behind one interface, {@link TwoTowerModel}.
 *
 * Usage (the training loop lives in `lib/train`):
 *
 * ```ts
 * const model = createTower({ kind: "plain" }, { seed: 1, dataset: ds });
 * const inputs = model.prepare(ds);             // featurise once
 * const q = model.encodeQueries(inputs, batch.queryRow);   // [B, heads·d]
 * const v = model.encodeItems(inputs, batch.itemRow);      // [B, d]
 * const s = model.scores(q, v);                            // [B, B]
 * ```
 *
 * **Any loss on any tower.** Every tower returns L2-normalised vectors, and
 * `scores(q, v)` gives the similarity matrix the towers are trained for:
 * the cosine q·vᵀ, except DPSR, whose query is m head vectors and whose
 * score is the multi-head attention score ({@link dpsrScore}). A loss
 * written on `scores` works with all four; a loss that needs the vectors
 * themselves (e.g. item–item similarities for adaptive margins) takes `q`
 * and `v` and works with the three single-head towers.
 *
 * **Weights.** `variables()` for optimisers, `getWeights()`/`setWeights()`
 * (plain `{shape, data}` per name) for checkpoints; `config` is
 * JSON-serialisable and, with the seed, rebuilds the same model.
 * Initialisation is deterministic per seed (dense layers Glorot uniform,
 * lookup tables U(±0.05), biases 0).
 *
 * **Embedding gradients.** Lookups are computed in JavaScript with a
 * hand-written gradient (the wasm `GatherV2` is ~65 ns per value, too slow
 * for trigram bags); a table's gradient is dense `[V, D]` with zero rows
 * for ids absent from the batch. Optimisers such as Adam still update the
 * whole table, O(V·D) per step: DSSM's two 30,000 × 300 first layers
 * (18M weights in all) make its Adam update the slowest.
 *
 * **Step time** (`lib/bench/towers.ts`: synthetic `full` data, 20k items,
 * B = 350, in-batch softmax over `scores`, `tf.variableGrads` + Adam, wasm
 * SIMD single thread on a shared 2-core machine; medians of 8 steps, two
 * runs, ±15% between runs):
 *
 * | tower (defaults) | weights | fwd+bwd | Adam | step |
 * |---|---|---|---|---|
 * | dssm 300-300-128 | 18.3M | 220–240 ms | 250–265 ms | 0.47–0.50 s |
 * | dssm `hidden: [128, 128]` | 7.8M | 150 ms | 135 ms | 0.29 s |
 * | mgdspr | 14.2M | 680–740 ms | 190–220 ms | 0.90–0.93 s |
 * | dpsr (m = 4) | 5.5M | 280–290 ms | 75 ms | 0.36 s |
 * | plain | 7.8M | 110–140 ms | 105 ms | 0.22–0.25 s |
 *
 * DSSM keeps the paper's 300-300-128 by default since its step stays
 * under a second.
 *
 * @module
 */

export {
  type DpsrConfig,
  type DssmConfig,
  ITEM_FIELDS,
  type ItemField,
  type MgdsprConfig,
  type PlainConfig,
  TOWER_KINDS,
  TOWER_OPTIONS,
  type TowerConfig,
  towerConfig,
  type TowerConfigBase,
  type TowerConfigInput,
  type TowerConfigOptions,
  type TowerKind,
  towerOptionsMarkdown,
} from "./config.ts";
export * from "./create.ts";
export {
  type EncodeOptions,
  TOWER_SIDES,
  type TowerSide,
  type TwoTowerModel,
} from "./model.ts";
export { type TowerInputs } from "./inputs.ts";
export {
  EMBEDDING_INIT_SCALE,
  glorotLimit,
  type Weights,
  type WeightValue,
} from "./params.ts";
export { DssmTower } from "./dssm.ts";
export { MgdsprTower } from "./mgdspr.ts";
export * from "./dpsr.ts";
export * from "./plain.ts";
export {
  collectRowGradients,
  gatherRows,
  l2Normalize,
  MASK_LOGIT,
  matMul,
  type RowGradient,
} from "./ops.ts";
