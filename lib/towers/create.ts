/**
 * Builds a tower pair from a configuration.
 *
 * @module
 */

import { DpsrTower } from "./dpsr.ts";
import { DssmTower } from "./dssm.ts";
import { MgdsprTower } from "./mgdspr.ts";
import type { TwoTowerModel } from "./model.ts";
import { PlainTower } from "./plain.ts";
import {
  towerConfig,
  type TowerConfigInput,
  type TowerConfigOptions,
} from "./config.ts";

/** Options of {@link createTower}. */
export interface CreateTowerOptions extends TowerConfigOptions {
  /** Seed of the weight initialisation (default 0); same seed, same weights. */
  seed?: number;
}

/**
 * A new model of `config.kind` with freshly initialised weights. The config
 * goes through {@link towerConfig} (defaults, validation; `options.dataset`
 * supplies `numItems` where an item-id table needs it); `model.config` is
 * the resolved one.
 */
export function createTower(
  config: TowerConfigInput,
  options: CreateTowerOptions = {},
): TwoTowerModel {
  const resolved = towerConfig(config, options);
  const seed = options.seed ?? 0;
  switch (resolved.kind) {
    case "dssm":
      return new DssmTower(resolved, seed);
    case "mgdspr":
      return new MgdsprTower(resolved, seed);
    case "dpsr":
      return new DpsrTower(resolved, seed);
    case "plain":
      return new PlainTower(resolved, seed);
  }
}
