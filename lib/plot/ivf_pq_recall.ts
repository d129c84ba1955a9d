/**
 * IVF-PQ search quality: recall@k against the number of probed lists, one
 * line per index configuration, optionally with throughput beside it.
 *
 * @module
 */

import { BuilderRows, uniqueInOrder } from "./input.ts";
import {
  seriesColor,
  sidePanels,
  type TitleOptions,
  topLevel,
} from "./parts.ts";
import {
  panelSize,
  type PanelSizeOptions,
  type VegaLiteSpec,
} from "./theme.ts";

/** One (configuration, nprobe) measurement (default field names). */
export interface IvfPqRow {
  /** Configuration label, e.g. `"nlist=256, m=16"`. */
  config: string;
  /** Lists probed per query (> 0). */
  nprobe: number;
  /** Recall@k against exact search. */
  recall: number;
  /** Queries per second (optional; a second panel when present). */
  qps?: number;
}

/** Options for {@link ivfPqRecall}. */
export interface IvfPqRecallOptions extends TitleOptions, PanelSizeOptions {
  /** Field of the configuration; default `"config"`. */
  config?: string;
  /** Field of nprobe; default `"nprobe"`. */
  nprobe?: string;
  /** Field of the recall; default `"recall"`. */
  recall?: string;
  /**
   * Field of queries/s; default `"qps"`. The panel is drawn when the rows
   * have it, unless `showQps` is false.
   */
  qps?: string;
  /** Draw the queries/s panel; default: when the field is present. */
  showQps?: boolean;
  /** k of recall@k, for the y title. */
  k?: number;
  /** Legend title; default `"Index"`. */
  configTitle?: string;
}

/**
 * Recall@k vs nprobe (log₂ x axis), one line per configuration; with
 * queries/s in the rows, a second panel shows throughput vs nprobe (log y).
 * Rows: {@link IvfPqRow}.
 */
export function ivfPqRecall(
  rows: readonly object[],
  options: IvfPqRecallOptions = {},
): VegaLiteSpec {
  const recs = new BuilderRows(rows, "ivfPqRecall", options);
  const configs = recs.keys("config");
  const nprobes = recs.numbers("nprobe", { positive: true });
  const recalls = recs.numbers("recall");
  const showQps = options.showQps ?? recs.wants("qps");
  const qps = showQps ? recs.someNumbers("qps", { positive: true }) : undefined;
  const domain = uniqueInOrder(configs);
  const { width, height } = panelSize(options);
  const color = seriesColor("config", {
    title: options.configTitle ?? "Index",
    domain,
  });
  const x = {
    field: "nprobe",
    type: "quantitative",
    title: "nprobe (lists probed)",
    scale: { type: "log", base: 2 },
    axis: { tickMinStep: 1 },
  };
  const panel = (
    values: (number | undefined)[],
    y: Record<string, unknown>,
  ) => {
    const data: Record<string, unknown>[] = [];
    values.forEach((v, i) => {
      if (v !== undefined) {
        data.push({ config: configs[i], nprobe: nprobes[i], value: v });
      }
    });
    return {
      width,
      height,
      data: { values: data },
      mark: { type: "line", point: true },
      encoding: {
        x,
        y: { field: "value", type: "quantitative", ...y },
        color,
      },
    };
  };
  const recallTitle = options.k === undefined
    ? "Recall@k"
    : `Recall@${options.k}`;
  const panels = [
    panel(recalls, { title: recallTitle, scale: { zero: false } }),
  ];
  if (qps) {
    panels.push(
      panel(qps, { title: "Queries / s", scale: { type: "log", nice: false } }),
    );
  }
  return topLevel(sidePanels(panels), options);
}
