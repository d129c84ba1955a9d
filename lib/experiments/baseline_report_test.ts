import { assertEquals, assertTrue } from "../testing.ts";
import { TOY_BASELINE_ROW } from "../fixtures.ts";
import {
  type BaselineRow,
  baselineVerdict,
  baselineVerdictMarkdown,
  baselineVerdicts,
} from "./mod.ts";

/** A finished row whose per-query values are given directly. */
function row(
  name: string,
  variant: BaselineRow["variant"],
  values: { ranks: number[]; ndcg: number[] },
): BaselineRow {
  const iv = { mean: 0.5, lo: 0.4, hi: 0.6 };
  const { ranks, ndcg } = values;
  return {
    ...TOY_BASELINE_ROW,
    name,
    variant,
    role: variant === "own" ? "own" : "adaptive",
    short: name,
    method: name,
    batchRecall: { 1: iv, 5: iv, 10: iv, 50: iv },
    corpusRecall: { 10: iv },
    ndcg10: iv,
    mrr: iv,
    perQuery: {
      batchRanks: Int32Array.from(ranks),
      recall10: Float64Array.from(ndcg),
      ndcg10: Float64Array.from(ndcg),
      mrr: Float64Array.from(ndcg),
    },
    log: [],
  } as BaselineRow;
}

Deno.test("baselineVerdict: batch recall against the full corpus, said when they disagree", () => {
  // 40 queries, each at batch rank `rank` with NDCG `ndcg`.
  const flat = (rank: number, ndcg: number) => ({
    ranks: Array(40).fill(rank),
    ndcg: Array(40).fill(ndcg),
  });
  const own = row("own", "own", flat(20, 0.9));
  const againstOwn = (r: BaselineRow) =>
    baselineVerdict([own, r], { candidate: r.name, reference: "own" });
  // Ranks 1 in every batch, but a worse full-corpus NDCG and MRR.
  const s = againstOwn(row("adaptive", "adaptive-margin", flat(1, 0.1)));
  assertTrue(s.includes(": mixed (better on 2, worse on 2 of 4 metrics)"), s);
  assertTrue(
    s.includes("batch recall@1 +1.000 [+1.000, +1.000] (better), p < 0.001"),
    s,
  );
  assertTrue(
    s.endsWith(
      "Batch recall and the full-corpus metrics disagree in direction: batch recall better, full corpus worse.",
    ),
    s,
  );
  // Agreement: each side is named.
  const t = againstOwn(row("same", "adaptive-softmax", flat(1, 0.9)));
  assertTrue(
    t.endsWith("Batch recall: better; full corpus: not clearly different."),
    t,
  );
});

Deno.test("baselineVerdicts: one Holm family over every comparison and metric", () => {
  const n = 60;
  // 13 vs 8 hits at @1 on 60 queries: raw p ≈ 0.02 < 0.05, but 8 tests.
  const ranks = (better: number) =>
    Array.from({ length: n }, (_, i) => (i < better ? 1 : 20));
  const flat = Array(n).fill(0.5);
  const own = row("own", "own", { ranks: ranks(8), ndcg: flat });
  const am = row("am", "adaptive-margin", { ranks: ranks(13), ndcg: flat });
  const as = row("as", "adaptive-softmax", { ranks: ranks(8), ndcg: flat });
  const alone = baselineVerdict([own, am], {
    candidate: "am",
    reference: "own",
  });
  // Alone: 4 tests, three of them p = 1; 0.02 × 4 > 0.05 already.
  assertTrue(alone.includes("batch recall@1 +0.083"), alone);
  const lines = baselineVerdicts([own, am, as]);
  assertEquals(lines.length, 2);
  assertTrue(lines[0].includes("(no clear difference), p = 0.0"), lines[0]);
  assertTrue(lines[0].includes(": not clearly different"), lines[0]);
  const md = baselineVerdictMarkdown([own, am, as], { footnote: true });
  assertTrue(
    md.includes("Holm-adjusted over the 8 paired tests of this list."),
    md,
  );
  assertEquals(md.split("\n").length, 4);
  assertEquals(
    baselineVerdictMarkdown([own, am, as]).split("\n").length,
    2,
  );
});
