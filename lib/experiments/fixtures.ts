/**
 * Test fixtures of the experiments layer: runs made by hand.
 *
 * @module
 */

import type { ExperimentsRun } from "./grid.ts";

/**
 * A run with only what aggregation, comparison and the learning curves
 * read: dataset "d", test ranks `ranks` (batch recall@10 from them), the
 * rest empty unless `extra` sets it.
 */
export function fakeRun(
  name: string,
  seed: number,
  ranks: number[],
  extra: Partial<ExperimentsRun> = {},
): ExperimentsRun {
  const hits10 = ranks.filter((r) => r <= 10).length / ranks.length;
  return {
    name,
    group: "g",
    family: null,
    value: null,
    dataset: "d",
    seed,
    key: "k",
    dir: "/nowhere",
    skipped: null,
    cached: false,
    steps: 1,
    seconds: 0,
    batch: {
      recall: { "10": hits10 },
      ci: { "10": { mean: hits10, lo: hits10 - 0.1, hi: hits10 + 0.1 } },
      queries: ranks.length,
    },
    valid: null,
    corpus: { recall: {}, ndcg: {}, mrr: 0.5, ci: {}, queries: 0 },
    health: {},
    testRanks: ranks,
    log: null,
    validLog: null,
    pairValues: null,
    warnings: [],
    ...extra,
  };
}
