/**
 * Which form of the adaptive temperature (open choice A1, notebook 03):
 * the adaptive softmax with each of `lib/losses`' forms of τ_j at the
 * paper's α = 0.5 and τ0 = 1/30, next to the fixed softmax at τ = 1/30,
 * on the plain tower. The default form is chosen on the valid split, so
 * the sentence this module writes reads valid batch recall@10 only; the
 * test metrics stay for the tables.
 *
 * The runs take the profile's budget (`experimentsSettings`): the full
 * profile trains with early stopping on the valid split, the budget of
 * every other full run, so the runs are shared through the run cache; the
 * quick profile trains its fixed steps on the benchmark only
 * (smoke-scale: it shows the machinery, not the decision).
 *
 * @module
 */

import { mean } from "../eval/mod.ts";
import {
  ADAPTIVE_TEMPERATURE_OPTIONS,
  type AdaptiveForm,
  TEMPERATURE_FORMS,
} from "../losses/mod.ts";
import { byConfigAndDataset } from "./aggregate.ts";
import { checkProfile } from "./benchmark.ts";
import {
  EXPERIMENTS_PLAIN,
  type ExperimentsConfig,
  type ExperimentsRun,
  fixedSoftmaxName,
  gridConfigs,
  PAPER_TAU,
} from "./grid.ts";
import type { Profile } from "../data/mod.ts";

/** Name of the fixed-temperature reference config. */
export const SOFTMAX_FORM_REFERENCE: string = fixedSoftmaxName(PAPER_TAU);

/** The config name of one form: "adaptive softmax (multiplicative)". */
export function experimentsSoftmaxFormName(form: AdaptiveForm): string {
  return `adaptive softmax (${form})`;
}

/**
 * The grid: the adaptive softmax with every form of
 * {@link TEMPERATURE_FORMS} (α and τ0 at their defaults, the paper's) and
 * the fixed softmax at τ = 1/30, plain tower. Quick: benchmark only, the
 * profile's steps; full: every dataset, the full profile's early stopping.
 */
export function experimentsSoftmaxFormGrid(
  profile: Profile,
): ExperimentsConfig[] {
  checkProfile(profile);
  // The budget is the profile's (experimentsSettings): full trains to
  // convergence, quick its smoke-scale steps.
  const c = gridConfigs(
    "softmax-forms",
    profile === "quick" ? { datasets: ["benchmark"] } : {},
  );
  return [
    c(SOFTMAX_FORM_REFERENCE, EXPERIMENTS_PLAIN, {
      kind: "softmax",
      temperature: PAPER_TAU,
    }, {
      family: "softmax",
      value: PAPER_TAU,
    }),
    ...TEMPERATURE_FORMS.map((form) =>
      c(experimentsSoftmaxFormName(form), EXPERIMENTS_PLAIN, {
        kind: "adaptive-softmax",
        form,
      }, { family: "softmax" })
    ),
  ];
}

/** One dataset × config of the form grid, averaged over its seeds. */
export interface SoftmaxFormRow {
  /** Dataset. */
  dataset: string;
  /** Config name. */
  method: string;
  /** Seeds averaged. */
  seeds: number;
  /** Mean best valid batch recall@10 (without early stopping: at the end). */
  valid: number;
  /** Best-valid steps per seed ("–" without early stopping). */
  bestStep: string;
  /** Stop reason and step per seed ("–" without early stopping). */
  stopped: string;
  /** Mean test batch recall@10. */
  "batch@10": number;
  /** Mean full-corpus recall@10. */
  "recall@10": number;
}

// The valid recall the choice is made on: the early-stopping best when the
// run had it (its test metrics come from those weights), else the end's.
function validOf(run: ExperimentsRun): number {
  return run.earlyStopping?.bestValid ?? run.valid?.["10"] ?? NaN;
}

/**
 * One row per dataset × config (skipped runs left out), in the runs'
 * order: mean valid recall@10, where each seed stopped, and the mean test
 * batch and full-corpus recall@10.
 */
export function experimentsSoftmaxFormRows(
  runs: readonly ExperimentsRun[],
): SoftmaxFormRow[] {
  const groups = byConfigAndDataset(runs.filter((r) => r.skipped === null));
  return [...groups.values()].map((rs) => {
    const es = rs.map((r) => r.earlyStopping ?? null);
    return {
      dataset: rs[0].dataset,
      method: rs[0].name,
      seeds: rs.length,
      valid: mean(rs.map(validOf)),
      bestStep: es.every((e) => e === null)
        ? "–"
        : es.map((e) => e?.bestStep ?? "–").join(", "),
      stopped: es.every((e) => e === null)
        ? "–"
        : es.map((e) => `${e?.stopReason ?? "–"} @${e?.stoppedAt ?? "–"}`)
          .join(", "),
      "batch@10": mean(rs.map((r) => r.batch.recall["10"] ?? NaN)),
      "recall@10": mean(rs.map((r) => r.corpus.recall["10"] ?? NaN)),
    };
  });
}

/** Options of {@link experimentsSoftmaxFormVerdict}. */
export interface SoftmaxFormVerdictOptions {
  /** The default form (default: {@link ADAPTIVE_TEMPERATURE_OPTIONS}'). */
  defaultForm?: AdaptiveForm;
  /** Every form at or above this valid recall@10: saturated (default 0.99). */
  saturated?: number;
  /** Runner-up within this of the best: a tie (default 0.005). */
  tie?: number;
}

/**
 * One Markdown bullet per dataset: which form has the best mean valid
 * recall@10, whether that is the default form, and the fixed τ = 1/30
 * beside it; a dataset where every form's valid recall is at or above
 * `saturated` (WANDS' tiny valid split) is called too small to decide and
 * left out of the count, and a runner-up within `tie` is named as a tie.
 * A closing line counts the datasets whose best form is the default.
 */
export function experimentsSoftmaxFormVerdict(
  runs: readonly ExperimentsRun[],
  options: SoftmaxFormVerdictOptions = {},
): string {
  const defaultForm = options.defaultForm ??
    ADAPTIVE_TEMPERATURE_OPTIONS.form.default as AdaptiveForm;
  const saturated = options.saturated ?? 0.99;
  const tie = options.tie ?? 0.005;
  const rows = experimentsSoftmaxFormRows(runs);
  const f = (x: number) => x.toFixed(3);
  const lines: string[] = [];
  let deciding = 0;
  let won = 0;
  for (const dataset of [...new Set(rows.map((r) => r.dataset))]) {
    const of = rows.filter((r) => r.dataset === dataset);
    const forms = TEMPERATURE_FORMS.flatMap((form) => {
      const row = of.find((r) => r.method === experimentsSoftmaxFormName(form));
      return row && Number.isFinite(row.valid) ? [{ form, row }] : [];
    }).sort((a, b) => b.row.valid - a.row.valid);
    if (forms.length === 0) continue;
    const ref = of.find((r) => r.method === SOFTMAX_FORM_REFERENCE);
    const refText = ref ? `; fixed τ = 1/30: ${f(ref.valid)}` : "";
    const seeds = forms[0].row.seeds;
    const all = forms.map((x) => `${x.form} ${f(x.row.valid)}`).join(", ");
    if (forms.every((x) => x.row.valid >= saturated)) {
      lines.push(
        `- **${dataset}**: too small to decide: every form's valid recall@10 is at least ${saturated} (${all}${refText}).`,
      );
      continue;
    }
    deciding++;
    const best = forms[0];
    const isDefault = best.form === defaultForm;
    if (isDefault) won++;
    const tied = forms.slice(1).filter((x) =>
      best.row.valid - x.row.valid <= tie
    );
    const tieText = tied.length > 0
      ? ` (${tied.map((x) => x.form).join(", ")} within ${tie}: a tie)`
      : "";
    lines.push(
      `- **${dataset}**: best valid recall@10 with **${best.form}**${tieText}, ` +
        `${isDefault ? "the default" : `not the default (${defaultForm})`}; ` +
        `mean of ${seeds} seed${seeds === 1 ? "" : "s"}: ${all}${refText}.`,
    );
  }
  if (deciding > 0) {
    lines.push(
      "",
      `The default form (${defaultForm}) has the best valid recall@10 on ${won} of ${deciding} dataset${
        deciding === 1 ? "" : "s"
      } that can decide.`,
    );
  }
  return lines.join("\n");
}
