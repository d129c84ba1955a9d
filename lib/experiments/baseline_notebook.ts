/**
 * What the four baseline notebooks (`04_baseline_dssm`,
 * `05_baseline_mgdspr`, `05b_baseline_dpsr`, `05c_baseline_adap_tau`)
 * share besides the grid (`baselines.ts`) and its tables and verdicts
 * (`baseline_report.ts`): the setup line, the line on what was trained or
 * read back, the results and training-loss charts, the health table's
 * caption, and the optional section on a real dataset, which runs only
 * when the profile allows it and the dataset is built.
 *
 * @module
 */

import { type BackendInfo, formatBackendInfo } from "../backend/mod.ts";
import {
  type Dataset,
  missingDatasetNote,
  type Profile,
  readDataset,
  RELEVANCE,
} from "../data/mod.ts";
import { mainTable, trainingCurves, type VegaLiteSpec } from "../plot/mod.ts";
import {
  baselineChartRows,
  baselineCurveRows,
  type BaselineMetric,
} from "./baseline_report.ts";
import {
  baselineGrid,
  type BaselineName,
  type BaselineVariant,
} from "./baselines.ts";
import { type BaselineRow, runBaselineGrid } from "./baseline_runs.ts";

/** The caption of the embedding-health table (`baselineHealthTable`). */
export const BASELINE_HEALTH_CAPTION =
  "Embedding health after training (mean item–item cosine; item uniformity, more negative = more spread; effective rank of the items, of d = 128; alignment E‖q − v‖² of test positives)";

/**
 * The setup cell's line: profile, seed, the catalogue with its size, and
 * the backend.
 */
export function baselineSetupNote(
  dataset: Dataset,
  options: { profile: string; seed: number; backend: BackendInfo },
): string {
  return `Profile **${options.profile}**, seed **${options.seed}**: \`${dataset.meta.name}\` with ` +
    `${dataset.items.itemId.length} items and ${dataset.queries.queryId.length} queries. ` +
    `Backend \`${formatBackendInfo(options.backend)}\`.`;
}

/**
 * How many of a grid's runs were trained now and how many read back from
 * `out/runs/<runs>/` (`runs`: the notebook's `runsDir` name).
 */
export function baselineRunsNote(
  rows: readonly BaselineRow[],
  options: { runs: string },
): string {
  return `${rows.length} runs: ${
    rows.filter((r) => !r.cached).length
  } trained now, ` +
    `${
      rows.filter((r) => r.cached).length
    } read back from \`out/runs/${options.runs}/\`.`;
}

/** Options of {@link baselineResultsChart}. */
export interface BaselineResultsChartOptions {
  /** One panel per metric, in this order. */
  metrics: readonly BaselineMetric[];
  /** Chart title. */
  title: string;
  /** Chart subtitle. */
  subtitle: string;
}

/**
 * The results chart: one panel per metric, a bar with its 95% interval per
 * run (`lib/plot`'s `mainTable`).
 */
export function baselineResultsChart(
  rows: readonly BaselineRow[],
  options: BaselineResultsChartOptions,
): VegaLiteSpec {
  return mainTable(
    baselineChartRows(rows, { metrics: options.metrics }),
    {
      dataset: "panel",
      metricTitle: "Test value (95% CI)",
      barStep: 34,
      title: options.title,
      subtitle: options.subtitle,
    },
  );
}

/** Options of {@link baselineCurvesChart}. */
export interface BaselineCurvesChartOptions {
  /** Chart title. */
  title: string;
  /** Chart subtitle. */
  subtitle: string;
  /** A log loss axis, with losses floored at 1e-4 (default true). */
  logY?: boolean;
}

/**
 * The training-loss chart: every run's loss divided by its first-step loss
 * (`baselineCurveRows`), on a log axis unless `logY: false`.
 */
export function baselineCurvesChart(
  rows: readonly BaselineRow[],
  options: BaselineCurvesChartOptions,
): VegaLiteSpec {
  const logY = options.logY ?? true;
  return trainingCurves(
    baselineCurveRows(rows, logY ? { floor: 1e-4 } : {}),
    {
      logY,
      lossTitle: logY ? "Loss / loss at step 1 (log)" : "Loss / loss at step 1",
      seriesTitle: "Run",
      title: options.title,
      subtitle: options.subtitle,
    },
  );
}

/** Result of {@link readBaselineDataset}. */
export interface BaselineDatasetRead {
  /** The dataset, or null when the folder is missing or invalid. */
  dataset: Dataset | null;
  /** One line saying what was read, or why not. */
  note: string;
}

/**
 * Reads a dataset folder for an optional section of a notebook (a real
 * dataset built by `deno task data`): never throws for a missing or
 * invalid folder, but says so in `note`, with the command that builds a
 * missing one (a fresh clone has no real datasets).
 */
export async function readBaselineDataset(
  dir: string,
): Promise<BaselineDatasetRead> {
  const missing = await missingDatasetNote(dir);
  if (missing !== null) {
    return {
      dataset: null,
      note: `**Not available, so this section does not run:** ${missing}.`,
    };
  }
  try {
    const ds = await readDataset(dir);
    const train = ds.pairs.split.filter((s, i) =>
      s === "train" && ds.pairs.relevance[i] >= RELEVANCE.exact
    ).length;
    return {
      dataset: ds,
      note:
        `\`${dir}\` (${ds.meta.name}): ${ds.items.itemId.length} items, ${ds.queries.queryId.length} queries, ${train} training pairs.`,
    };
  } catch (err) {
    return {
      dataset: null,
      note: `\`${dir}\` could not be read (${
        (err as Error).message
      }); build it with \`deno task data\` to run this section.`,
    };
  }
}

/** Options of {@link runBaselineSection}. */
export interface BaselineSectionOptions {
  /** The dataset's folder, e.g. `"../data/scifact"`. */
  data: string;
  /** Its name in the notes, e.g. `"SciFact"`. */
  name: string;
  /**
   * The runs: these variants, `undefined` for the baseline's whole grid,
   * or `null` when this profile leaves the section out (time budget).
   */
  variants: readonly BaselineVariant[] | null | undefined;
  /** The notebook's profile: the runs' length, and named when the section is left out. */
  profile: Profile;
  /** Seed of every run. */
  seed: number;
  /** Folder of the run folders (the notebook's `runsDir(…)`). */
  runsDir: string;
}

/** Result of {@link runBaselineSection}. */
export interface BaselineSection {
  /** The evaluated runs; none when the section is left out or the data is missing. */
  rows: BaselineRow[];
  /** Markdown: what was read and run, or why not. */
  note: string;
  /**
   * Why there are no rows, to end "_No <name> runs …_": `"in this profile"`
   * or `"(<name> is not available, see above)"`.
   */
  none: string;
}

/**
 * A notebook's optional section on a real dataset: unless the profile
 * leaves it out, reads the dataset ({@link readBaselineDataset}) and, when
 * it is built, runs the baseline's grid on it (the profile's length: 40
 * steps, or early stopping in the full profile) through the run cache.
 */
export async function runBaselineSection(
  baseline: BaselineName,
  options: BaselineSectionOptions,
): Promise<BaselineSection> {
  const none = options.variants === null
    ? "in this profile"
    : `(${options.name} is not available, see above)`;
  if (options.variants === null) {
    return {
      rows: [],
      note:
        `Not run in the **${options.profile}** profile (time budget); see the text above.`,
      none,
    };
  }
  const read = await readBaselineDataset(options.data);
  if (read.dataset === null) return { rows: [], note: read.note, none };
  const rows = await runBaselineGrid(
    baselineGrid(baseline, {
      data: options.data,
      profile: options.profile,
      seed: options.seed,
      variants: options.variants,
    }),
    { runsDir: options.runsDir, dataset: read.dataset },
  );
  return {
    rows,
    note: `${read.note} ${rows.length} runs ` +
      `(${rows.filter((r) => r.cached).length} read back from the cache).`,
    none,
  };
}
