/**
 * When does the adaptive margin help? (notebook 07). The paper's method
 * shrinks the margin of a negative that looks like the positive. That is
 * right when the look-alike is interchangeable for the query (the same
 * product from another seller: an unlabelled positive, a false negative in
 * the batch) and wrong when the query must tell them apart (another size,
 * another colour: a true hard negative). This module moves one knob of the
 * benchmark catalogue at a time and measures, on each catalogue, the gain
 * of the adaptive margin over the best fixed δ (chosen on the valid split,
 * as a practitioner would tune it):
 *
 * - `sellerCopyShare`: interchangeable near-duplicates (seller copies);
 * - `nearDuplicateShare`: near-duplicates the query must tell apart;
 * - `hardnessHeterogeneity`: how much query hardness varies (one global δ
 *   should suit a mixed catalogue worst);
 * - `queryNoise`: how noisy queries are;
 * - `numItems`: the catalogue's size (queries per item kept), which
 *   decides how many hard negatives share a batch.
 *
 * Only the margin family is studied: the hypothesis is about the margin
 * shrinking, and the softmax family would double the cost.
 *
 * @module
 */

import { sensitivity, type VegaLiteSpec } from "../plot/mod.ts";
import {
  accidentalHitMask,
  DEFAULT_BATCH_SIZE,
  DEFAULT_SEED,
  makeBatches,
  type Profile,
  SYNTHETIC_PROFILES,
  type SyntheticOptions,
  trainingPairs,
} from "../data/mod.ts";
import {
  experimentsCompare,
  type ExperimentsCompareMetric,
  experimentsPendingVerdict,
} from "./aggregate.ts";
import {
  checkProfile,
  experimentsBenchmark,
  type ExperimentsData,
  type ExperimentsDatasetSpec,
} from "./benchmark.ts";
import {
  type ExperimentsConfig,
  experimentsFixedConfigs,
  type ExperimentsRun,
} from "./grid.ts";
import { experimentsMethodGrid } from "./adaptive_method.ts";
import { experimentsBestFixed } from "./main_experiments.ts";
import { differenceText, type PendingVerdict, signed } from "./statistics.ts";

/** A generator knob the study moves, with its values and why. */
export interface CatalogueStudyKnob {
  /** The synthetic generator's option. */
  knob:
    | "sellerCopyShare"
    | "nearDuplicateShare"
    | "hardnessHeterogeneity"
    | "queryNoise"
    | "numItems";
  /** Panel title and the start of its catalogues' names. */
  label: string;
  /** Values in the full profile (the benchmark's among them). */
  values: readonly number[];
  /** Values in the quick profile. */
  quick: readonly number[];
  /** What the knob stands for, and what the hypothesis expects. */
  why: string;
  /**
   * Options that move with the knob, given its value and the benchmark's
   * options (the catalogue size keeps the queries per item).
   */
  with?: (value: number, base: SyntheticOptions) => SyntheticOptions;
}

/**
 * The knobs of the study. Each varies around the benchmark catalogue
 * (`EXPERIMENTS_CATALOGUE_KNOBS`: near-duplicate share 0.8, heterogeneity
 * 0.9, noise 0.5, no seller copies), so the benchmark is the shared point
 * of every panel and its runs are notebook 06's.
 */
export const EXPERIMENTS_CATALOGUE_STUDY: readonly CatalogueStudyKnob[] = [
  {
    knob: "sellerCopyShare",
    label: "seller copies",
    values: [0, 0.25, 0.5],
    quick: [0, 0.5],
    why:
      "share of products sold by a second seller: the copy has the same text and is an unlabelled positive in training, so the adaptive margin (small for a look-alike) should gain as it grows",
  },
  {
    knob: "nearDuplicateShare",
    label: "near-duplicates",
    values: [0, 0.4, 0.8],
    quick: [0, 0.8],
    why:
      "share of products in a family that differs in one attribute the query names: a true hard negative, for which a shrunken margin is too lenient, so the gain should fall (or turn into a loss) as it grows",
  },
  {
    knob: "hardnessHeterogeneity",
    label: "hardness heterogeneity",
    values: [0, 0.5, 0.9],
    quick: [0, 0.9],
    why:
      "how much the hardness of queries varies: one global δ should suit a mixed catalogue worst, so a per-pair margin should gain most when it is high",
  },
  {
    knob: "queryNoise",
    label: "query noise",
    values: [0.2, 0.5, 0.8],
    quick: [0.5, 0.8],
    why:
      "mean query noise (typos, dropped words, synonyms): noisier queries are further from their positives",
  },
  {
    knob: "numItems",
    label: "catalogue size",
    values: [1500, 6000],
    quick: [1500, 3000],
    why:
      "products in the catalogue, with the queries per product kept: the larger the catalogue, the fewer near-duplicates share a batch of 350, so per-pair margins should matter less",
    with: (value, base) => ({
      numQueries: Math.round(value * base.numQueries! / base.numItems!),
    }),
  },
];

/**
 * Fixed δ the best fixed margin is chosen from (full; quick: 0.1, 0.5): the
 * paper's 0.1, and values around the benchmark's best (0.5), with 1 above
 * it so that the chosen δ is not the grid's edge.
 */
export const CATALOGUE_STUDY_DELTAS: readonly number[] = [0.1, 0.3, 0.5, 1];

/** One catalogue of the study: a knob at one value (or the benchmark). */
export interface CatalogueVariant {
  /** The knob moved. */
  knob: CatalogueStudyKnob["knob"];
  /** Its value here. */
  value: number;
  /** The dataset spec; named "benchmark" where every knob is the benchmark's. */
  spec: ExperimentsDatasetSpec;
}

/**
 * Every (knob, value) of the study as a dataset spec: the benchmark
 * catalogue of `profile` and `seed` with one knob moved. A point where the
 * knob has the benchmark's value is the benchmark itself (its spec and
 * name), so its runs are shared by every panel and with notebook 06.
 */
export function experimentsCatalogueVariants(
  profile: Profile,
  seed: number,
): CatalogueVariant[] {
  checkProfile(profile);
  const benchmark = experimentsBenchmark(profile, seed);
  const base = (benchmark as { synthetic: SyntheticOptions }).synthetic;
  const out: CatalogueVariant[] = [];
  for (const k of EXPERIMENTS_CATALOGUE_STUDY) {
    // A knob the benchmark leaves unset has the generator's default.
    const at = base[k.knob] ?? SYNTHETIC_PROFILES.quick[k.knob];
    for (const value of profile === "quick" ? k.quick : k.values) {
      out.push({
        knob: k.knob,
        value,
        spec: value === at ? benchmark : {
          name: `${k.label} ${value}`,
          synthetic: {
            ...base,
            [k.knob]: value,
            ...k.with?.(value, base),
          },
        },
      });
    }
  }
  return out;
}

/** The distinct dataset specs of the variants (the benchmark once). */
export function experimentsCatalogueSpecs(
  variants: readonly CatalogueVariant[],
): ExperimentsDatasetSpec[] {
  const seen = new Map<string, ExperimentsDatasetSpec>();
  for (const v of variants) {
    if (!seen.has(v.spec.name)) seen.set(v.spec.name, v.spec);
  }
  return [...seen.values()];
}

/**
 * The study's configs: the adaptive margin and the fixed margin at
 * {@link CATALOGUE_STUDY_DELTAS} (quick: 0.1, 0.5), plain tower; the
 * configs the sensitivity grid builds (`experimentsFixedConfigs` and the
 * method grid: same names and run keys), so the benchmark's
 * points are notebook 06's runs.
 */
export function experimentsCatalogueGrid(
  profile: Profile,
): ExperimentsConfig[] {
  checkProfile(profile);
  const deltas = profile === "quick" ? [0.1, 0.5] : CATALOGUE_STUDY_DELTAS;
  return [
    ...experimentsFixedConfigs({ deltas, taus: [] }),
    ...experimentsMethodGrid().filter((c) => c.name === "adaptive margin"),
  ].map((c) => ({ ...c, group: "catalogue" }));
}

/** One point of the gain figure. */
export interface CatalogueGainRow {
  /** Panel: the knob's label. */
  family: string;
  /** The knob's value. */
  value: number;
  /** Catalogue (dataset name). */
  dataset: string;
  /** The fixed config chosen on the valid split. */
  bestFixed: string;
  /** "batch recall@10" or "full-corpus recall@10". */
  series: string;
  /** Adaptive margin minus the best fixed δ (mean over test queries). */
  recall: number;
  /** 95% paired-bootstrap interval of the difference. */
  lo: number;
  /** Upper end. */
  hi: number;
}

const GAIN_METRICS: readonly [ExperimentsCompareMetric, string][] = [
  ["batch", "batch recall@10"],
  ["recall@10", "full-corpus recall@10"],
];

/**
 * The gain of the adaptive margin over the best fixed δ on every variant
 * (paired over test queries, {@link experimentsCompare}), on batch
 * recall@10 and full-corpus recall@10. Variants without runs are left out.
 */
export function experimentsCatalogueGains(
  runs: readonly ExperimentsRun[],
  variants: readonly CatalogueVariant[],
): CatalogueGainRow[] {
  // The benchmark stands in every panel: compare each catalogue once.
  const gains = new Map<string, Omit<CatalogueGainRow, "family" | "value">[]>();
  const gainsOf = (dataset: string) => {
    const best = experimentsBestFixed(runs, { family: "margin", dataset });
    const of = (name: string) =>
      runs.filter((r) => r.dataset === dataset && r.name === name);
    const adaptive = of("adaptive margin");
    if (best === null || adaptive.length === 0) return [];
    return GAIN_METRICS.map(([metric, series]) => {
      const c = experimentsCompare(adaptive, of(best), { metric });
      return {
        dataset,
        bestFixed: best,
        series,
        recall: c.difference.mean,
        lo: c.difference.lo,
        hi: c.difference.hi,
      };
    });
  };
  const rows: CatalogueGainRow[] = [];
  for (const v of variants) {
    const dataset = v.spec.name;
    if (!gains.has(dataset)) gains.set(dataset, gainsOf(dataset));
    const label = EXPERIMENTS_CATALOGUE_STUDY.find((k) => k.knob === v.knob)!
      .label;
    for (const g of gains.get(dataset)!) {
      rows.push({ family: label, value: v.value, ...g });
    }
  }
  return rows;
}

/** Options of {@link experimentsCatalogueChart}. */
export interface CatalogueChartOptions {
  /** Chart title. */
  title: string;
  /** Subtitle: profile, seeds. */
  subtitle: string;
}

/**
 * The gain figure: one panel per knob, x = the knob's value, y = the
 * adaptive margin's gain over the best fixed δ with its 95% interval, one
 * line per metric, a dashed rule at 0 (no gain).
 */
export function experimentsCatalogueChart(
  rows: readonly CatalogueGainRow[],
  options: CatalogueChartOptions,
): VegaLiteSpec {
  const panels = [...new Set(rows.map((r) => r.family))];
  return sensitivity(rows, {
    // Short: a long y title widened the first panel and left a gap.
    recallTitle: "Gain over the best fixed δ",
    seriesTitle: "Metric",
    xTitles: Object.fromEntries(panels.map((p) => [p, p])),
    reference: panels.map((p) => ({ family: p, recall: 0, label: "no gain" })),
    // One panel per knob side by side: narrower than the default 480 px.
    width: 260,
    height: 240,
    title: options.title,
    subtitle: options.subtitle,
  });
}

/**
 * The comparisons the study states, one per catalogue (the adaptive margin
 * against that catalogue's best fixed δ, on batch and full-corpus
 * metrics), for `experimentsVerdictList`, which adjusts them as one family
 * (Holm).
 */
export function experimentsCataloguePendings(
  runs: readonly ExperimentsRun[],
  variants: readonly CatalogueVariant[],
): PendingVerdict[] {
  return experimentsCatalogueSpecs(variants).flatMap((spec) => {
    const best = experimentsBestFixed(runs, {
      family: "margin",
      dataset: spec.name,
    });
    return best === null ? [] : [
      experimentsPendingVerdict(runs, {
        candidate: "adaptive margin",
        baseline: best,
        dataset: spec.name,
        suffix: " (best fixed δ on the valid split)",
      }),
    ];
  });
}

/**
 * One sentence per knob: how the gain moves from its lowest to its highest
 * value, on batch and full-corpus recall@10, and whether the two ends'
 * intervals overlap (the per-catalogue tests are in
 * {@link experimentsCataloguePendings}).
 */
export function experimentsCatalogueTrends(
  rows: readonly CatalogueGainRow[],
): string[] {
  const out: string[] = [];
  for (const k of EXPERIMENTS_CATALOGUE_STUDY) {
    const mine = rows.filter((r) => r.family === k.label);
    if (mine.length === 0) continue;
    const parts = GAIN_METRICS.map(([, series]) => {
      const pts = mine.filter((r) => r.series === series).sort((a, b) =>
        a.value - b.value
      );
      if (pts.length < 2) return `${series}: one value only`;
      const [a, b] = [pts[0], pts[pts.length - 1]];
      const move = b.recall - a.recall;
      const apart = b.lo > a.hi || a.lo > b.hi;
      const path = pts.map((p) => `${signed(p.recall)} at ${p.value}`).join(
        ", ",
      );
      return `${series} ${path} (${
        apart
          ? `${move > 0 ? "rises" : "falls"} by ${
            Math.abs(move).toFixed(3)
          }: the ends' intervals do not overlap`
          : "the ends' intervals overlap: no trend shown"
      })`;
    });
    out.push(
      `**${k.label}** (gain of the adaptive margin over the best fixed δ): ${
        parts.join("; ")
      }.`,
    );
  }
  return out;
}

/**
 * The gains as a table: one row per catalogue, with the knob, its value,
 * the fixed δ chosen on the valid split and the gain on each metric
 * (difference with its 95% interval).
 */
export function experimentsCatalogueTable(
  rows: readonly CatalogueGainRow[],
): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  for (const r of rows) {
    const gain = `gain, ${r.series}`;
    const text = differenceText({ mean: r.recall, lo: r.lo, hi: r.hi });
    const row = out.find((o) => o.knob === r.family && o.value === r.value);
    if (row) row[gain] = text;
    else {
      out.push({
        knob: r.family,
        value: r.value,
        catalogue: r.dataset,
        "best fixed (valid)": r.bestFixed,
        [gain]: text,
      });
    }
  }
  return out;
}

/** What the training batches of a catalogue hold, from {@link experimentsBatchLookalikes}. */
export interface BatchLookalikes {
  /** Training rows looked at (pairs × epochs). */
  rows: number;
  /**
   * Share of rows whose batch holds the other offer of their positive as
   * an unmasked negative: a false negative (seller copies).
   */
  otherOffer: number;
  /**
   * Share of rows whose batch holds another product of their positive's
   * near-duplicate family as a negative: a true hard negative.
   */
  nearDuplicate: number;
}

/**
 * How often the two kinds of look-alike meet a pair in its training batch
 * (batches of `batchSize`, default 350, shuffled as training shuffles them,
 * over `epochs` epochs, default 3): the mechanism the study's hypothesis
 * rests on, measured on the data rather than assumed. Needs the generator's
 * truth.
 */
export function experimentsBatchLookalikes(
  data: ExperimentsData,
  options: { batchSize?: number; epochs?: number; seed?: number } = {},
): BatchLookalikes {
  const truth = data.truth;
  if (truth === null) {
    throw new RangeError(
      `experimentsBatchLookalikes: ${data.name} has no generator truth (synthetic data only)`,
    );
  }
  const product = (item: number) =>
    truth.itemCopyOf[item] >= 0 ? truth.itemCopyOf[item] : item;
  const family = truth.itemFamily;
  const pairs = trainingPairs(data.ds);
  let rows = 0, otherOffer = 0, nearDuplicate = 0;
  for (let epoch = 0; epoch < (options.epochs ?? 3); epoch++) {
    const batches = makeBatches(pairs, {
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      seed: options.seed ?? DEFAULT_SEED,
      epoch,
    });
    for (const batch of batches) {
      const mask = accidentalHitMask(pairs, batch);
      const B = batch.itemId.length;
      for (let b = 0; b < B; b++) {
        const own = batch.itemId[b];
        let offer = false, near = false;
        for (let j = 0; j < B && !(offer && near); j++) {
          if (j === b || mask[b * B + j] !== 0) continue;
          const other = batch.itemId[j];
          if (product(other) === product(own)) offer = true;
          else if (family[own] >= 0 && family[other] === family[own]) {
            near = true;
          }
        }
        rows++;
        if (offer) otherOffer++;
        if (near) nearDuplicate++;
      }
    }
  }
  return {
    rows,
    otherOffer: otherOffer / rows,
    nearDuplicate: nearDuplicate / rows,
  };
}
