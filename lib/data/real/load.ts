/**
 * One entry point for all real datasets, for the CLI: the downloadable ones
 * of {@link SOURCE_NAMES} and WordNet, which comes from a system package.
 *
 * @module
 */

import type { Dataset } from "../schema.ts";
import { loadMovielens, type MovielensOptions } from "./movielens.ts";
import { loadScifact, type ScifactOptions } from "./scifact.ts";
import {
  SOURCE_NAMES,
  sourceHint,
  type SourceName,
  type SourceStatus,
  sourceStatus,
} from "./source.ts";
import { loadWands, type WandsOptions } from "./wands.ts";
import {
  loadWordnet,
  wordnetHint,
  type WordnetOptions,
  type WordnetStatus,
  wordnetStatus,
} from "./wordnet.ts";

/** A real dataset: one of {@link SOURCE_NAMES}, or `wordnet`. */
export type RealName = SourceName | "wordnet";

/** All real dataset names: the downloadable ones, then `wordnet`. */
export const REAL_NAMES: readonly RealName[] = [...SOURCE_NAMES, "wordnet"];

/** Options of {@link loadRealDataset}: the union of the loaders' options. */
export type RealDatasetOptions =
  & WandsOptions
  & ScifactOptions
  & MovielensOptions
  & WordnetOptions;

/**
 * Loads a real dataset by name (`wands`, `scifact`, `movielens` or
 * `wordnet`); options not used by that loader are ignored.
 */
export function loadRealDataset(
  name: RealName,
  options: RealDatasetOptions = {},
): Promise<Dataset> {
  switch (name) {
    case "wands":
      return loadWands(options);
    case "scifact":
      return loadScifact(options);
    case "movielens":
      return loadMovielens(options);
    case "wordnet":
      return loadWordnet(options);
    default:
      throw new RangeError(
        `unknown dataset '${name}'; expected one of ${REAL_NAMES.join(", ")}`,
      );
  }
}

/** Whether a real dataset's files are at hand: `sourceStatus`'s fields. */
export type RealStatus = SourceStatus | WordnetStatus;

/**
 * Checks (without reading them) that a real dataset's required files are in
 * `dir`, or in the folder its loader would read.
 */
export function realSourceStatus(
  name: RealName,
  dir?: string,
): Promise<RealStatus> {
  return name === "wordnet" ? wordnetStatus(dir) : sourceStatus(name, dir);
}

/** The sentence that says how to get a real dataset's files. */
export function realSourceHint(name: RealName): string {
  return name === "wordnet" ? wordnetHint() : sourceHint(name);
}

/** Whether a real dataset's files can be fetched by `deno task download`. */
export function isDownloadable(name: RealName): name is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(name);
}
