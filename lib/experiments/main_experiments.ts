/**
 * The experiments of notebook 06: the sensitivity of the fixed losses to δ
 * and τ, the main table (ours against the fixed losses and the baselines,
 * on the benchmark and every real dataset that is built) and the
 * ablation, as config grids for `grid.ts`; the verdict sentences of each
 * section, written from paired comparisons (`aggregate.ts`) on batch
 * recall and the full corpus, as families of tests whose p-values are
 * Holm-adjusted together; and the protocol table that says what produced
 * the numbers.
 *
 * @module
 */

import { ADAP_TAU_LOSS } from "./baselines.ts";
import {
  ADAPTIVE_MARGIN_OPTIONS,
  ADAPTIVE_TEMPERATURE_OPTIONS,
  MARGIN_FORMS,
  TEMPERATURE_FORMS,
} from "../losses/mod.ts";
import { type Profile, valueLabel } from "../data/mod.ts";
import type { OptionValue } from "../train/mod.ts";
import { experimentsMethodGrid } from "./adaptive_method.ts";
import {
  experimentsAggregate,
  experimentsCompare,
  type ExperimentsCompareMetric,
  experimentsCorpusClause,
  experimentsHasCorpusValues,
  experimentsPendingVerdict,
  type ExperimentsRow,
} from "./aggregate.ts";
import {
  checkProfile,
  experimentsCatalogue,
  experimentsSeeds,
  experimentsSettings,
} from "./benchmark.ts";
import {
  EXPERIMENTS_PLAIN,
  type ExperimentsConfig,
  type ExperimentsFamily,
  experimentsFixedConfigs,
  experimentsK,
  type ExperimentsKOption,
  type ExperimentsRun,
  fixedMarginName,
  fixedSoftmaxName,
  gridConfigs,
  PAPER_DELTA,
  PAPER_TAU,
} from "./grid.ts";

// The paper's fixed points, which the verdicts compare the adaptive losses
// with.
const PAPER_MARGIN_NAME = fixedMarginName(PAPER_DELTA);
const PAPER_SOFTMAX_NAME = fixedSoftmaxName(PAPER_TAU);
import {
  differenceText,
  familyOutcome,
  holmNote,
  type PendingVerdict,
  pHolmText,
  sentenceOf,
  sentencesOf,
  writeFamily,
} from "./statistics.ts";

/**
 * δ values of the sensitivity sweep (full; quick: 0.01, 0.1, 0.3, 0.5); 1
 * since the best of the others on the benchmark was the largest, 0.5.
 */
export const EXPERIMENTS_DELTAS: readonly number[] = [
  0.01,
  0.05,
  0.1,
  0.2,
  0.3,
  0.5,
  1,
];

/** τ values of the sensitivity sweep (full; quick: 0.01, 1/30, 0.1, 0.5). */
export const EXPERIMENTS_TAUS: readonly number[] = [
  0.01,
  1 / 30,
  0.05,
  0.1,
  0.2,
  0.5,
];

const QUICK_DELTAS = [0.01, 0.1, 0.3, 0.5];
const QUICK_TAUS = [0.01, 1 / 30, 0.1, 0.5];

/**
 * The sensitivity sweep: the fixed margin loss over δ and the fixed softmax
 * over τ (full: {@link EXPERIMENTS_DELTAS}, {@link EXPERIMENTS_TAUS}; quick:
 * δ ∈ {0.01, 0.1, 0.3, 0.5}, τ ∈ {0.01, 1/30, 0.1, 0.5}) plus the adaptive
 * margin and softmax as references; plain tower.
 */
export function experimentsSensitivityGrid(
  profile: Profile,
): ExperimentsConfig[] {
  checkProfile(profile);
  return [
    ...experimentsFixedConfigs({
      deltas: profile === "quick" ? QUICK_DELTAS : EXPERIMENTS_DELTAS,
      taus: profile === "quick" ? QUICK_TAUS : EXPERIMENTS_TAUS,
    }),
    ...experimentsMethodGrid().filter((c) => c.value === undefined).map((
      c,
    ) => ({ ...c, group: "sensitivity" })),
  ];
}

/**
 * The main table's methods. Ours and the fixed losses use the plain tower
 * (on data without query text, with the user history; see
 * {@link experimentsResolveFor}); the baselines use their own towers and
 * losses as `lib/train` defines them, and MGDSPR is also run with the
 * adaptive margin in place of its own loss (the paper applies its method to
 * MGDSPR). "untrained" (0 steps) is the floor. `quick` runs the tower
 * baselines (DSSM, DPSR; a step costs 2–4× a plain one), Adap-τ and the
 * adaptive softmax on the benchmark only and leaves MGDSPR out; `full` runs
 * everything on every dataset (DSSM and DPSR are skipped on MovieLens,
 * whose queries have no text).
 */
export function experimentsMainTableGrid(
  profile: Profile,
): ExperimentsConfig[] {
  checkProfile(profile);
  const quickBench = profile === "quick" ? ["benchmark"] : undefined;
  const m = gridConfigs("main");
  const mgdspr = [
    m("MGDSPR", { kind: "mgdspr" }, { kind: "mgdspr" }),
    m("MGDSPR + adaptive margin", { kind: "mgdspr" }, {
      kind: "adaptive-margin",
    }),
  ];
  return [
    m("untrained", EXPERIMENTS_PLAIN, { kind: "softmax" }, { steps: 0 }),
    m("DSSM", { kind: "dssm" }, { kind: "dssm-softmax" }, {
      datasets: quickBench,
    }),
    m("DPSR", { kind: "dpsr" }, { kind: "dpsr-hinge" }, {
      datasets: quickBench,
    }),
    ...(profile === "full" ? mgdspr : []),
    m("Adap-τ", EXPERIMENTS_PLAIN, { ...ADAP_TAU_LOSS }, {
      datasets: quickBench,
    }),
    m(PAPER_MARGIN_NAME, EXPERIMENTS_PLAIN, {
      kind: "margin",
      margin: PAPER_DELTA,
    }),
    m(PAPER_SOFTMAX_NAME, EXPERIMENTS_PLAIN, {
      kind: "softmax",
      temperature: PAPER_TAU,
    }),
    m("adaptive margin", EXPERIMENTS_PLAIN, { kind: "adaptive-margin" }),
    m("adaptive softmax", EXPERIMENTS_PLAIN, { kind: "adaptive-softmax" }, {
      datasets: quickBench,
    }),
  ];
}

/**
 * The ablation: the adaptive margin and softmax losses with one piece
 * changed at a time (stop-gradient off, symmetric term off, symmetric
 * values from s(v, v_j) instead of s(q, v_j), convex combination, the
 * other functional forms of δ_j and τ_j than the declared defaults);
 * plain tower. `quick` runs the margin variants of the stop-gradient and
 * the symmetric term, and one other softmax form (the linear one, or the
 * multiplicative one when linear is the default); `full` all of them.
 */
export function experimentsAblationGrid(
  profile: Profile,
): ExperimentsConfig[] {
  checkProfile(profile);
  const a = (
    name: string,
    family: ExperimentsFamily,
    options: Record<string, OptionValue>,
  ): ExperimentsConfig => ({
    name,
    group: "ablation",
    family,
    tower: EXPERIMENTS_PLAIN,
    loss: {
      kind: family === "margin" ? "adaptive-margin" : "adaptive-softmax",
      ...options,
    },
  });
  const forms = (
    family: ExperimentsFamily,
    all: readonly string[],
    fallback: string,
  ) =>
    all.filter((f) => f !== fallback).map((form) =>
      a(`${family}, form ${form}`, family, { form })
    );
  const marginDefault = ADAPTIVE_MARGIN_OPTIONS.form.default;
  const softmaxDefault = ADAPTIVE_TEMPERATURE_OPTIONS.form.default;
  const margin = [
    a("adaptive margin", "margin", {}),
    a("margin − stop-gradient", "margin", { stopGradient: false }),
    a("margin − symmetric term", "margin", { symmetric: false }),
    a("margin, symmetric δ from item", "margin", { symmetricFrom: "item" }),
    a("margin, convex combination", "margin", { combine: "convex" }),
    ...forms("margin", MARGIN_FORMS, marginDefault),
  ];
  const softmaxForms = forms("softmax", TEMPERATURE_FORMS, softmaxDefault);
  const quickForm = `softmax, form ${
    softmaxDefault === "linear" ? "multiplicative" : "linear"
  }`;
  const softmax = [
    a("adaptive softmax", "softmax", {}),
    a("softmax − symmetric term", "softmax", { symmetric: false }),
    a("softmax − stop-gradient", "softmax", { stopGradient: false }),
    ...softmaxForms,
  ];
  if (profile === "full") return [...margin, ...softmax];
  const quick = new Set([
    "adaptive margin",
    "margin − stop-gradient",
    "margin − symmetric term",
    "margin, symmetric δ from item",
    "margin, convex combination",
    "adaptive softmax",
    quickForm,
  ]);
  return [...margin, ...softmax].filter((c) => quick.has(c.name));
}

/**
 * The fixed config of a family (margin or softmax) with the best mean
 * valid-split batch recall@k on a dataset: the value a practitioner would
 * pick by tuning, chosen without looking at the test split. Null when none
 * of the runs has a valid recall.
 */
export function experimentsBestFixed(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption & {
    family: ExperimentsFamily;
    dataset: string;
  },
): string | null {
  return experimentsBestOnValid(runs, {
    dataset: options.dataset,
    k: options.k,
    where: (r) => r.family === options.family && r.value !== null,
  });
}

/**
 * Of the configs whose runs pass `where`, the one with the best mean
 * valid-split batch recall@k (default 10) on a dataset: the choice a
 * practitioner makes by tuning, without looking at the test split. Null
 * when none of those runs has a valid recall.
 */
export function experimentsBestOnValid(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption & {
    dataset: string;
    where: (run: ExperimentsRun) => boolean;
  },
): string | null {
  const k = experimentsK(options);
  const rows = experimentsAggregate(
    runs.filter((r) =>
      r.dataset === options.dataset && r.valid !== null && options.where(r)
    ),
    { metric: `valid@${k}`, ci: "seeds" },
  ).filter((r) => Number.isFinite(r.mean));
  if (rows.length === 0) return null;
  return rows.reduce((best, r) => r.mean > best.mean ? r : best).name;
}

/** Options of {@link experimentsSensitivityVerdict}. */
export interface SensitivityVerdictOptions {
  /** The family of fixed losses. */
  family: ExperimentsFamily;
  /** Only the rows of this dataset. */
  dataset?: string;
  /** The runs behind the rows, for a paired best-vs-worst comparison. */
  runs?: readonly ExperimentsRun[];
}

/**
 * A sentence on how much the fixed δ (or τ) matters: the range of the
 * metric over the family's fixed values, the best and worst value, and
 * whether they differ: with `runs` (batch metrics) by a paired comparison
 * ({@link experimentsCompare}; also on the full corpus when the runs keep
 * per-query values), else by whether their intervals overlap; and where
 * the adaptive loss of the family ranks. Its p-values are Holm-adjusted
 * over its own tests; in a list, use
 * {@link experimentsSensitivityPending}.
 */
export const experimentsSensitivityVerdict = sentenceOf(
  experimentsSensitivityPending,
);

/**
 * {@link experimentsSensitivityVerdict} before its family is known: the
 * paired tests of the best against the worst fixed value, and the sentence
 * written from their Holm-adjusted p-values.
 */
export function experimentsSensitivityPending(
  rows: readonly ExperimentsRow[],
  options: SensitivityVerdictOptions,
): PendingVerdict {
  const sym = options.family === "margin" ? "δ" : "τ";
  const fixed = rows.filter((r) =>
    r.family === options.family && r.value !== null && r.skipped === null &&
    (options.dataset === undefined || r.dataset === options.dataset)
  );
  if (fixed.length < 2) {
    const text = `fixed ${sym}: fewer than two values were run`;
    return { tests: [], write: () => text };
  }
  const best = fixed.reduce((x, r) => r.mean > x.mean ? r : x);
  const worst = fixed.reduce((x, r) => r.mean < x.mean ? r : x);
  // With the runs, the best and the worst value are compared paired on the
  // same test queries (more sensitive than the overlap of the cells).
  const batchK = /^batch@(\d+)$/.exec(best.metric);
  const pick = (r: ExperimentsRow) =>
    options.runs?.filter((x) =>
      x.name === r.name && x.dataset === r.dataset && x.skipped === null
    ) ?? [];
  const paired = batchK && pick(best).length > 0 && pick(worst).length > 0;
  const metrics: ExperimentsCompareMetric[] = !paired
    ? []
    : experimentsHasCorpusValues(pick(best)) &&
        experimentsHasCorpusValues(pick(worst))
    ? ["batch", "recall@10", "ndcg@10"]
    : ["batch"];
  const cs = metrics.map((metric) =>
    experimentsCompare(pick(best), pick(worst), {
      k: Number(batchK![1]),
      metric,
    })
  );
  const tests = cs.map((c) => ({
    key: JSON.stringify([
      best.dataset,
      best.name,
      worst.name,
      c.metric === "batch" ? best.metric : c.metric,
    ]),
    p: c.p,
  }));
  const adaptive = rows.find((r) =>
    r.family === options.family && r.value === null && r.skipped === null &&
    (options.dataset === undefined || r.dataset === options.dataset)
  );
  const v = (x: number) =>
    options.family === "softmax" ? valueLabel(x) : String(x);
  const ref = adaptive
    ? `; ${adaptive.name}: ${adaptive.mean.toFixed(3)} [${
      adaptive.lo.toFixed(3)
    }, ${adaptive.hi.toFixed(3)}], ${
      adaptive.mean > best.mean
        ? "above every fixed value"
        : adaptive.mean < worst.mean
        ? "below every fixed value"
        : `between the worst and the best fixed value (rank ${
          1 + fixed.filter((r) => r.mean > adaptive.mean).length
        } of ${fixed.length + 1})`
    }`
    : "";
  const write = (adjusted: readonly number[]) => {
    let separation: string;
    if (cs.length > 0) {
      const c = cs[0];
      const o = familyOutcome(c.difference, { adjustedP: adjusted[0] });
      separation = `best − worst, paired: ${differenceText(c.difference)} (${
        pHolmText(c.p, adjusted[0])
      }; ${o === "better" ? "the choice matters" : "within noise"})${
        experimentsCorpusClause(
          o,
          cs.slice(1).map((x, i) => ({ c: x, adjusted: adjusted[i + 1] })),
        )
      }`;
    } else {
      separation = `the intervals of the worst and best ${
        worst.hi < best.lo ? "do not overlap (the choice matters)" : "overlap"
      }`;
    }
    return `fixed ${sym} (${best.dataset}, ${best.metric}): from ${
      worst.mean.toFixed(3)
    } (${sym} = ${v(worst.value!)}) to ${best.mean.toFixed(3)} (${sym} = ${
      v(best.value!)
    }), spread ${(best.mean - worst.mean).toFixed(3)}; ${separation}${ref}.`;
  };
  return { tests, write };
}

/**
 * The sensitivity section's sentences for one dataset, as pending verdicts
 * of one family ({@link experimentsSensitivityVerdicts} writes them): how
 * much the fixed δ and τ matter, and each adaptive loss against the
 * paper's default fixed value (δ = 0.1, τ = 1/30) and against the best
 * fixed value chosen on the valid split.
 */
export function experimentsSensitivityPendings(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption & { dataset: string },
): PendingVerdict[] {
  const k = experimentsK(options);
  const mine = runs.filter((r) => r.dataset === options.dataset);
  const rows = experimentsAggregate(mine, { metric: `batch@${k}` });
  const lines: PendingVerdict[] = [];
  const families = [
    ["margin", "adaptive margin", PAPER_MARGIN_NAME],
    ["softmax", "adaptive softmax", PAPER_SOFTMAX_NAME],
  ] as const;
  for (const [family, adaptive, paperDefault] of families) {
    if (!rows.some((r) => r.family === family)) continue;
    lines.push(experimentsSensitivityPending(rows, { family, runs: mine }));
    const has = (name: string) =>
      mine.some((r) => r.name === name && r.skipped === null);
    if (!has(adaptive)) continue;
    if (has(paperDefault)) {
      lines.push(
        experimentsPendingVerdict(mine, {
          candidate: adaptive,
          baseline: paperDefault,
          dataset: options.dataset,
          k,
        }),
      );
    }
    const best = experimentsBestFixed(mine, {
      family,
      dataset: options.dataset,
      k,
    });
    if (best !== null && best !== paperDefault) {
      lines.push(
        experimentsPendingVerdict(mine, {
          candidate: adaptive,
          baseline: best,
          dataset: options.dataset,
          k,
          suffix: ` (${best} is the best fixed value on the valid split)`,
        }),
      );
    }
  }
  return lines;
}

/**
 * The sensitivity section's sentences for one dataset
 * ({@link experimentsSensitivityPendings}), Holm-adjusted as one family.
 */
export const experimentsSensitivityVerdicts = sentencesOf(
  experimentsSensitivityPendings,
);

/**
 * The main table's sentences, per dataset, as pending verdicts of one
 * family: the adaptive margin against the fixed margin δ = 0.1, the
 * adaptive softmax against the fixed softmax τ = 1/30, MGDSPR with the
 * adaptive margin against MGDSPR, and the adaptive margin against the
 * strongest other method on the valid split.
 */
export function experimentsMainPendings(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption = {},
): PendingVerdict[] {
  const k = experimentsK(options);
  const lines: PendingVerdict[] = [];
  const ours = new Set([
    "adaptive margin",
    "adaptive softmax",
    "MGDSPR + adaptive margin",
    "untrained",
  ]);
  for (const dataset of new Set(runs.map((r) => r.dataset))) {
    const mine = runs.filter((r) => r.dataset === dataset);
    const has = (name: string) =>
      mine.some((r) => r.name === name && r.skipped === null);
    const pairs: [string, string][] = [
      ["adaptive margin", PAPER_MARGIN_NAME],
      ["adaptive softmax", PAPER_SOFTMAX_NAME],
      ["MGDSPR + adaptive margin", "MGDSPR"],
    ];
    for (const [a, b] of pairs) {
      if (has(a) && has(b)) {
        lines.push(experimentsPendingVerdict(mine, {
          candidate: a,
          baseline: b,
          dataset,
          k,
        }));
      }
    }
    const others = experimentsAggregate(
      mine.filter((r) => !ours.has(r.name) && r.valid !== null),
      { metric: `valid@${k}`, ci: "seeds" },
    ).filter((r) => r.skipped === null && Number.isFinite(r.mean));
    const best = others.length > 0
      ? others.reduce((x, r) => r.mean > x.mean ? r : x)
      : null;
    // Skip when the strongest other method is the fixed margin, already
    // compared above.
    if (
      has("adaptive margin") && best !== null &&
      !(best.name === PAPER_MARGIN_NAME && has(PAPER_MARGIN_NAME))
    ) {
      lines.push(
        experimentsPendingVerdict(mine, {
          candidate: "adaptive margin",
          baseline: best.name,
          dataset,
          k,
          suffix:
            ` (${best.name} is the strongest other method on the valid split)`,
        }),
      );
    }
  }
  return lines;
}

/**
 * The main table's sentences ({@link experimentsMainPendings}),
 * Holm-adjusted as one family.
 */
export const experimentsMainVerdicts = sentencesOf(experimentsMainPendings);

/**
 * The ablation's sentences as pending verdicts of one family: every
 * variant against its family's default ("adaptive margin" or "adaptive
 * softmax") on one dataset, paired.
 */
export function experimentsAblationPendings(
  runs: readonly ExperimentsRun[],
  options: ExperimentsKOption & { dataset: string },
): PendingVerdict[] {
  const k = experimentsK(options);
  const mine = runs.filter((r) => r.dataset === options.dataset);
  const names = [...new Set(mine.map((r) => r.name))];
  const defaults: Record<string, string> = {
    margin: "adaptive margin",
    softmax: "adaptive softmax",
  };
  const lines: PendingVerdict[] = [];
  for (const name of names) {
    const family = mine.find((r) => r.name === name)?.family;
    const base = family ? defaults[family] : undefined;
    if (!base || base === name || !names.includes(base)) continue;
    lines.push(experimentsPendingVerdict(mine, {
      candidate: name,
      baseline: base,
      dataset: options.dataset,
      k,
    }));
  }
  return lines;
}

/**
 * The ablation's sentences ({@link experimentsAblationPendings}),
 * Holm-adjusted as one family.
 */
export const experimentsAblationVerdicts = sentencesOf(
  experimentsAblationPendings,
);

/** One titled list of {@link experimentsVerdictSections}. */
export interface VerdictSection {
  /** Bold title line, e.g. "Main table (benchmark, scifact)". */
  title: string;
  /** The section's pending verdicts. */
  pending: readonly PendingVerdict[];
}

/**
 * Several titled lists of verdicts (for `md()`) as one family: the
 * p-values of every distinct test of every section are Holm-adjusted
 * together (a test stated in two sections counts once), then a footnote
 * says over how many (`scope`, default "these lists").
 */
export function experimentsVerdictSections(
  sections: readonly VerdictSection[],
  options: { scope?: string } = {},
): string {
  const family = writeFamily(sections.flatMap((s) => s.pending));
  const out: string[] = [];
  let i = 0;
  for (const s of sections) {
    if (out.length > 0) out.push("");
    out.push(`**${s.title}**`);
    for (let j = 0; j < s.pending.length; j++) {
      out.push(`- ${family.lines[i++]}`);
    }
  }
  out.push(
    "",
    holmNote({
      tests: family.tests,
      scope: options.scope ?? "these lists",
    }),
  );
  return out.join("\n");
}

/**
 * What produced the numbers of a profile, as table rows: steps, batch,
 * seeds, intervals, the grids' values and methods, the datasets.
 * `options.count`: the training seeds per config, if not the profile's.
 */
export function experimentsProtocolRows(
  profile: Profile,
  seed: number,
  options: { count?: number } = {},
): { item: string; value: string }[] {
  const s = experimentsSettings(profile);
  const cat = experimentsCatalogue(profile, seed);
  const sens = experimentsSensitivityGrid(profile);
  const main = experimentsMainTableGrid(profile);
  const abl = experimentsAblationGrid(profile);
  const values = (family: string) =>
    sens.filter((c) => c.family === family && c.value !== undefined).map((
      c,
    ) => family === "softmax" ? valueLabel(c.value!) : String(c.value)).join(
      ", ",
    );
  const seeds = experimentsSeeds(profile, seed, options);
  return [
    { item: "profile", value: profile },
    {
      item: "training",
      value: `${
        s.earlyStopping
          ? `to convergence: early stopping on valid batch recall@10 (every ${s.evalEvery} steps, patience ${s.earlyStopping.patience} evaluations, min rise ${s.earlyStopping.minDelta}, cap ${s.steps} steps; test metrics from the best-valid weights)`
          : `${s.steps} steps`
      } of batch 350 (Adam, lr 1e-3, clip 3), lib/train's quick hash buckets; plain tower: word + letter-trigram bags → 64-d embeddings → tanh 256 → 128, plus item-id embedding`,
    },
    {
      item: "seeds",
      value: `${
        seeds.join(", ")
      } (training seed; the catalogue seed is ${seed})`,
    },
    {
      item: "intervals",
      value: seeds.length >= 3
        ? "95% Student-t over the seeds (table cells); paired bootstrap over test queries of the seed-averaged hits (comparisons)"
        : "95% percentile bootstrap over test queries, 1,000 resamples (cells and paired comparisons)",
    },
    {
      item: "benchmark",
      value:
        `synthetic, ${cat.numItems} items, ${cat.numQueries} queries, seed ${seed}`,
    },
    { item: "sensitivity: fixed δ", value: values("margin") },
    { item: "sensitivity: fixed τ", value: values("softmax") },
    {
      item: "main table",
      value: main.map((c) =>
        c.datasets ? `${c.name} (${c.datasets.join(", ")} only)` : c.name
      ).join("; "),
    },
    { item: "ablation", value: abl.map((c) => c.name).join("; ") },
  ];
}
