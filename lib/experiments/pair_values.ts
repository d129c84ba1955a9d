/**
 * The per-pair δ_j / τ_j an adaptive loss assigns to the negatives of a
 * batch for a trained model (notebook 03's question: do closer negatives
 * get smaller values?), and the files a run folder keeps them in.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import {
  accidentalHitMask,
  type Dataset,
  DEFAULT_BATCH_SIZE,
  joinPath,
  pathExists,
  readJson,
  RELEVANCE,
  type Split,
  stableJson,
  type SyntheticTruth,
  writeFileAtomic,
  writeTextAtomic,
} from "../data/mod.ts";
import { adaptiveMargin, adaptiveTemperature } from "../losses/mod.ts";
import type { TowerInputs, TwoTowerModel } from "../towers/mod.ts";
import {
  evaluationBatches,
  type LossKind,
  type OptionValue,
} from "../train/mod.ts";

/** Per-pair values the adaptive loss assigns on one batch (see {@link experimentsPairValues}). */
export interface ExperimentsPairValues {
  /** "δ_j" (adaptive margin) or "τ_j" (adaptive softmax). */
  kind: string;
  /** Training step of the model. */
  step: number;
  /** s(v_b, v_j) of every unmasked (positive b, negative j) pair. */
  similarity: Float32Array;
  /** δ_j or τ_j of the pair, from `adaptiveMargin` / `adaptiveTemperature`. */
  value: Float32Array;
  /** s(q_b, v_j): the negative's score for the query. */
  queryScore: Float32Array;
  /** Index into {@link EXPERIMENTS_RELATIONS}: how item j relates to item b. */
  relation: Uint8Array;
  /** Relevance label of (query b, item j) in the split; −1 unlabelled. */
  label: Int8Array;
}

const PAIR_FILE = "pair-values.arrow";
const PAIR_META = "pair-values.json";

/** Pair-value kind of a loss: "δ_j", "τ_j", or null (no per-pair value). */
export function experimentsPairKind(kind: LossKind): string | null {
  return kind === "adaptive-margin"
    ? "δ_j"
    : kind === "adaptive-softmax"
    ? "τ_j"
    : null;
}

/**
 * Writes per-pair values of several snapshots into a run folder
 * (`pair-values.arrow` and `pair-values.json`).
 */
export async function writePairValues(
  dir: string,
  list: ExperimentsPairValues[],
): Promise<void> {
  const total = list.reduce((a, p) => a + p.value.length, 0);
  const step = new Int32Array(total);
  const cols = {
    similarity: new Float32Array(total),
    value: new Float32Array(total),
    query_score: new Float32Array(total),
    relation: new Int8Array(total),
    label: new Int8Array(total),
  };
  let o = 0;
  for (const p of list) {
    step.fill(p.step, o, o + p.value.length);
    cols.similarity.set(p.similarity, o);
    cols.value.set(p.value, o);
    cols.query_score.set(p.queryScore, o);
    cols.relation.set(p.relation, o);
    cols.label.set(p.label, o);
    o += p.value.length;
  }
  const table = tableFromArrays({ step, ...cols });
  await writeFileAtomic(joinPath(dir, PAIR_FILE), tableToIPC(table, "file"));
  await writeTextAtomic(
    joinPath(dir, PAIR_META),
    stableJson({
      kind: list[0]?.kind ?? null,
      steps: list.map((p) => p.step),
      relations: EXPERIMENTS_RELATIONS,
    }) + "\n",
  );
}

/** The per-pair values a run folder holds, or null when it holds none. */
export async function readPairValues(
  dir: string,
): Promise<ExperimentsPairValues[] | null> {
  const metaPath = joinPath(dir, PAIR_META);
  if (!(await pathExists(metaPath))) return null;
  const meta = await readJson<{ kind: string; steps: number[] }>(metaPath);
  const table = tableFromIPC(await Deno.readFile(joinPath(dir, PAIR_FILE)));
  const col = <T>(name: string) => table.getChild(name)!.toArray() as T;
  const step = col<Int32Array>("step");
  const sim = col<Float32Array>("similarity");
  const value = col<Float32Array>("value");
  const qs = col<Float32Array>("query_score");
  const rel = col<Int8Array>("relation");
  const label = col<Int8Array>("label");
  return meta.steps.map((s) => {
    const idx: number[] = [];
    for (let i = 0; i < step.length; i++) if (step[i] === s) idx.push(i);
    const pick = <A extends Float32Array | Int8Array | Uint8Array>(
      a: ArrayLike<number>,
      make: (n: number) => A,
    ) => {
      const out = make(idx.length);
      idx.forEach((i, k) => (out[k] = a[i]));
      return out;
    };
    return {
      kind: meta.kind,
      step: s,
      similarity: pick(sim, (n) => new Float32Array(n)),
      value: pick(value, (n) => new Float32Array(n)),
      queryScore: pick(qs, (n) => new Float32Array(n)),
      relation: pick(rel, (n) => new Uint8Array(n)),
      label: pick(label, (n) => new Int8Array(n)),
    };
  });
}

/**
 * How a negative item j relates to the positive item b, from the hardest
 * to the easiest: the same near-duplicate family (synthetic truth), the
 * same category path, the same top-level category, anything else.
 */
export const EXPERIMENTS_RELATIONS: readonly string[] = [
  "near-duplicate",
  "same sub-category",
  "same category",
  "other category",
];

/** Options of {@link experimentsPairValues}. */
export interface PairValueExtractOptions {
  /** The adaptive loss config (kind, alpha, delta0/tau0, form). */
  loss: { kind: LossKind; [option: string]: OptionValue };
  /** Split whose evaluation batches are used (default "train"). */
  split?: Split;
  /** Number of batches (default 1: 350 pairs, ≈122k negative pairs). */
  batches?: number;
  /** Pairs per batch (default 350). */
  batchSize?: number;
  /** Relevance of a positive (default 3). */
  minRelevance?: number;
  /** Step recorded in the result (default 0). */
  step?: number;
}

function relationOf(
  ds: Dataset,
  truth: SyntheticTruth | null,
  rowB: number,
  rowJ: number,
): number {
  if (truth) {
    const fb = truth.itemFamily[ds.items.itemId[rowB]];
    if (fb >= 0 && fb === truth.itemFamily[ds.items.itemId[rowJ]]) return 0;
  }
  const cb = ds.items.category[rowB];
  const cj = ds.items.category[rowJ];
  if (cb !== "" && cb === cj) return 1;
  const top = (c: string) => c.split(" > ")[0];
  if (cb !== "" && top(cb) === top(cj)) return 2;
  return 3;
}

/**
 * The per-pair δ_j (adaptive margin) or τ_j (adaptive softmax) that the
 * loss would use for a model: the items of the first `batches` evaluation
 * batches of a split are encoded, s(v_b, v_j) = v_b·v_j is passed to
 * `adaptiveMargin` / `adaptiveTemperature` (the functions the loss calls,
 * with the loss config's α, δ0/τ0 and form), and every pair the training
 * mask keeps (j ≠ b, not the same item, not labelled relevant to query b)
 * is returned with its similarity, its query score s(q_b, v_j), its
 * relation to the positive ({@link EXPERIMENTS_RELATIONS}) and its label.
 */
export function experimentsPairValues(
  model: TwoTowerModel,
  data: { ds: Dataset; inputs?: TowerInputs; truth?: SyntheticTruth | null },
  options: PairValueExtractOptions,
): ExperimentsPairValues {
  const kind = experimentsPairKind(options.loss.kind);
  if (kind === null) {
    throw new RangeError(
      `experimentsPairValues: loss "${options.loss.kind}" has no per-pair value (use adaptive-margin or adaptive-softmax)`,
    );
  }
  const ds = data.ds;
  const truth = data.truth ?? null;
  const inputs = data.inputs ?? model.prepare(ds);
  const split = options.split ?? "train";
  const { pairs, batches } = evaluationBatches(ds, {
    split,
    minRelevance: options.minRelevance ?? RELEVANCE.exact,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
  });
  const nb = options.batches ?? 1;
  if (!Number.isInteger(nb) || nb < 1) {
    throw new RangeError(
      `experimentsPairValues: option "batches" must be a positive integer, got ${nb}`,
    );
  }
  const labels = new Map<number, Map<number, number>>();
  for (let i = 0; i < ds.pairs.queryId.length; i++) {
    if (ds.pairs.split[i] !== split) continue;
    const q = ds.pairs.queryId[i];
    let m = labels.get(q);
    if (!m) labels.set(q, m = new Map());
    m.set(ds.pairs.itemId[i], ds.pairs.relevance[i]);
  }
  const loss = options.loss;
  const out = {
    similarity: [] as number[],
    value: [] as number[],
    queryScore: [] as number[],
    relation: [] as number[],
    label: [] as number[],
  };
  for (const batch of batches.slice(0, nb)) {
    const B = batch.itemRow.length;
    const [sim, val, qs] = tf.tidy(() => {
      const v = model.encodeItems(inputs, batch.itemRow);
      const q = model.encodeQueries(inputs, batch.queryRow);
      const s = tf.matMul(v, v, false, true);
      const values = kind === "δ_j"
        ? adaptiveMargin(s, {
          alpha: loss.alpha as number | undefined,
          delta0: loss.delta0 as number | undefined,
          form: loss.form as "linear" | undefined,
        })
        : adaptiveTemperature(s, {
          alpha: loss.alpha as number | undefined,
          tau0: loss.tau0 as number | undefined,
          form: loss.form as "linear" | undefined,
        });
      return [s, values, model.scores(q, v)];
    });
    const s = sim.dataSync() as Float32Array;
    const d = val.dataSync() as Float32Array;
    const qv = qs.dataSync() as Float32Array;
    tf.dispose([sim, val, qs]);
    const mask = accidentalHitMask(pairs, batch);
    for (let b = 0; b < B; b++) {
      const lab = labels.get(batch.queryId[b]);
      for (let j = 0; j < B; j++) {
        if (j === b || mask[b * B + j] !== 0) continue;
        out.similarity.push(s[b * B + j]);
        out.value.push(d[b * B + j]);
        out.queryScore.push(qv[b * B + j]);
        out.relation.push(
          relationOf(ds, truth, batch.itemRow[b], batch.itemRow[j]),
        );
        out.label.push(lab?.get(batch.itemId[j]) ?? -1);
      }
    }
  }
  return {
    kind,
    step: options.step ?? 0,
    similarity: Float32Array.from(out.similarity),
    value: Float32Array.from(out.value),
    queryScore: Float32Array.from(out.queryScore),
    relation: Uint8Array.from(out.relation),
    label: Int8Array.from(out.label),
  };
}
