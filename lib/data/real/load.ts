/**
 * One entry point for all real datasets, for the CLI: the downloadable ones
 * of {@link SOURCE_NAMES} and WordNet, which comes from a system package.
 *
 * @module
 */

import { optionsDocument, type OptionTable } from "../options.ts";
import type { Dataset } from "../schema.ts";
import {
  loadMovielens,
  MOVIELENS_OPTIONS,
  type MovielensOptions,
} from "./movielens.ts";
import {
  loadScifact,
  SCIFACT_OPTIONS,
  type ScifactOptions,
} from "./scifact.ts";
import {
  SOURCE_NAMES,
  sourceHint,
  type SourceName,
  type SourceStatus,
  sourceStatus,
} from "./source.ts";
import { loadWands, WANDS_OPTIONS, type WandsOptions } from "./wands.ts";
import {
  loadWordnet,
  WORDNET_OPTIONS,
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

/** Each real loader's option table, by dataset name. */
export const LOADER_OPTIONS: Readonly<Record<RealName, OptionTable>> = {
  wands: WANDS_OPTIONS,
  scifact: SCIFACT_OPTIONS,
  movielens: MOVIELENS_OPTIONS,
  wordnet: WORDNET_OPTIONS,
};

/**
 * docs/loader_options.md: each real loader's options, from
 * {@link LOADER_OPTIONS}.
 */
export function loaderOptionsMarkdown(): string {
  return optionsDocument({
    title: "Real dataset loaders' options",
    source:
      "loaderOptionsMarkdown() from LOADER_OPTIONS (lib/data/real/load.ts)",
    test: "lib/data/real/load_test.ts",
    intro:
      "What the loaders of the real datasets (`loadWands`, `loadScifact`, `loadMovielens`, `loadWordnet`, or `loadRealDataset` by name) take besides `source`, the dataset's folder ([where the files are looked for](datasets.md#where)). `deno task data <name>` builds each dataset with the defaults. An option left out takes its default; a bad value is refused by name before any file is read.",
    sections: REAL_NAMES.map((name) => ({
      name,
      table: LOADER_OPTIONS[name],
    })),
  });
}
