/**
 * One entry point for all real datasets, for the CLI.
 *
 * @module
 */

import type { Dataset } from "../schema.ts";
import { loadMovielens, type MovielensOptions } from "./movielens.ts";
import { loadScifact, type ScifactOptions } from "./scifact.ts";
import { SOURCE_NAMES, type SourceName } from "./source.ts";
import { loadWands, type WandsOptions } from "./wands.ts";

/** Options of {@link loadRealDataset}: the union of the loaders' options. */
export type RealDatasetOptions =
  & WandsOptions
  & ScifactOptions
  & MovielensOptions;

/**
 * Loads a real dataset by name (`wands`, `scifact` or `movielens`); options
 * not used by that loader are ignored.
 */
export function loadRealDataset(
  name: SourceName,
  options: RealDatasetOptions = {},
): Promise<Dataset> {
  switch (name) {
    case "wands":
      return loadWands(options);
    case "scifact":
      return loadScifact(options);
    case "movielens":
      return loadMovielens(options);
    default:
      throw new RangeError(
        `unknown dataset '${name}'; expected one of ${SOURCE_NAMES.join(", ")}`,
      );
  }
}
