/**
 * The synthetic catalogue's queries (see `synthetic.ts` for how they are
 * made): intents drawn from the catalogue, their noisy text, graded labels,
 * and the train / valid / test split. Internal to the generator.
 *
 * @module
 */

import type { Rng } from "./rng.ts";
import { RELEVANCE, type Split } from "./schema.ts";
import {
  type Catalogue,
  COLOR,
  FEATURE,
  SLOTS,
  type Sub,
  SUBS,
} from "./synthetic_catalogue.ts";
import type { ResolvedSyntheticOptions } from "./synthetic_options.ts";
import { SYNONYMS } from "./synthetic_vocab.ts";

// --------------------------------------------------------------- queries

function gamma(rng: Rng, shape: number): number {
  // Marsaglia–Tsang; shapes below 1 through the U^(1/a) boost.
  if (shape < 1) return gamma(rng, shape + 1) * rng.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta draw with the given mean and variance `spread · mean(1 − mean)`. */
function betaAround(rng: Rng, mean: number, spread: number): number {
  if (spread <= 0 || mean <= 0 || mean >= 1) return mean;
  if (spread >= 1) return rng.bernoulli(mean) ? 1 : 0;
  const kappa = 1 / spread - 1;
  const x = gamma(rng, mean * kappa);
  const y = gamma(rng, (1 - mean) * kappa);
  if (!(x + y > 0)) return rng.bernoulli(mean) ? 1 : 0;
  return x / (x + y);
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function typo(rng: Rng, w: string): string {
  const op = rng.int(3);
  if (op === 0) {
    const i = rng.int(w.length - 1);
    return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
  }
  if (op === 1) {
    const i = rng.int(w.length);
    return w.slice(0, i) + w.slice(i + 1);
  }
  const i = rng.int(w.length + 1);
  return w.slice(0, i) + LETTERS[rng.int(26)] + w.slice(i);
}

/** Writes the text of an intent with noise rate `nu`. */
function queryText(
  rng: Rng,
  sub: Sub,
  values: string[],
  mention: boolean[],
  nu: number,
): string {
  // Phrases in title order; null marks where the noun goes.
  let phrases: (string | null)[] = [];
  for (let k = 0; k < SLOTS; k++) {
    if (k === FEATURE) phrases.push(null);
    if (mention[k]) phrases.push(values[k]);
  }
  if (rng.bernoulli(0.3 * nu)) {
    const attrs = phrases.filter((p) => p !== null);
    const keep = attrs.length > 0 && rng.bernoulli(0.5) ? rng.pick(attrs) : "";
    phrases = phrases.filter((p) => p === null || p === keep);
  }
  phrases = phrases.filter((p) => p === null || !rng.bernoulli(0.35 * nu));
  if (rng.bernoulli(0.5 * nu)) rng.shuffle(phrases);
  const noun = sub.nounWords.filter((_w, i, a) =>
    i === a.length - 1 || !rng.bernoulli(0.2 * nu)
  );
  const words: string[] = [];
  for (const p of phrases) {
    for (const w of p === null ? noun : p.split(" ")) {
      const syn = SYNONYMS[w];
      if (syn && rng.bernoulli(0.5 * nu)) {
        words.push(...rng.pick(syn).split(" "));
      } else words.push(w);
    }
  }
  for (let i = 0; i < words.length; i++) {
    if (words[i].length >= 3 && rng.bernoulli(0.2 * nu)) {
      words[i] = typo(rng, words[i]);
    }
  }
  return words.join(" ");
}

/** The generated queries, indexed by query id, and their labelled pairs. */
export interface Queries {
  /** Query text. */
  text: string[];
  /** Intent kind. */
  kind: ("product" | "attribute")[];
  /** Target product (product intent) or seed product (attribute intent). */
  target: Int32Array;
  /** Sub-category number of the intent. */
  sub: Int32Array;
  /** Noise rate ν_q. */
  noise: Float64Array;
  /** Near-duplicate substitute share π_q. */
  hardShare: Float64Array;
  /** Intent key; equal keys mean the same intent. */
  intent: string[];
  /** Query id of each pair. */
  pairQuery: number[];
  /** Item id of each pair. */
  pairItem: number[];
  /** Relevance of each pair. */
  pairRel: number[];
}

/** Removes and returns a random element (order of the rest is not kept). */
function takeRandom(rng: Rng, xs: number[]): number {
  const i = rng.int(xs.length);
  const x = xs[i];
  xs[i] = xs[xs.length - 1];
  xs.pop();
  return x;
}

/** Draws the queries, their text and their labelled pairs. */
export function buildQueries(
  o: ResolvedSyntheticOptions,
  cat: Catalogue,
  rng: Rng,
): Queries {
  const Q = o.numQueries;
  const out: Queries = {
    text: new Array<string>(Q),
    kind: new Array<"product" | "attribute">(Q),
    target: new Int32Array(Q),
    sub: new Int32Array(Q),
    noise: new Float64Array(Q),
    hardShare: new Float64Array(Q),
    intent: new Array<string>(Q),
    pairQuery: [],
    pairItem: [],
    pairRel: [],
  };
  const { slot } = cat;
  const mention = new Array<boolean>(SLOTS);
  const mism = new Int8Array(cat.n);
  for (let q = 0; q < Q; q++) {
    const nu = betaAround(rng, o.queryNoise, o.hardnessHeterogeneity);
    const pi = betaAround(rng, o.hardNegativeShare, o.hardnessHeterogeneity);
    const product = rng.bernoulli(o.productIntentShare);
    const t = rng.weighted(cat.globalCum);
    const s = cat.sub[t];
    const items = cat.subItems[s];
    mention.fill(product);
    const scan = () => {
      let matches = 0;
      for (const i of items) {
        let m = 0;
        for (let k = 0; k < SLOTS; k++) {
          if (mention[k] && slot[k][i] !== slot[k][t]) m++;
        }
        mism[i] = m;
        if (m === 0) matches++;
      }
      return matches;
    };
    if (!product) {
      const order = rng.permutation(SLOTS);
      const first = 1 + rng.int(2);
      for (let j = 0; j < first; j++) mention[order[j]] = true;
      for (let j = first; scan() > o.maxExactPerQuery; j++) {
        mention[order[j]] = true;
      }
    } else {
      scan();
    }
    const values = Array.from(
      { length: SLOTS },
      (_, k) => SUBS[s].values[k][slot[k][t]],
    );
    out.text[q] = queryText(rng, SUBS[s], values, mention, nu);
    out.kind[q] = product ? "product" : "attribute";
    out.target[q] = t;
    out.sub[q] = s;
    out.noise[q] = nu;
    out.hardShare[q] = pi;
    out.intent[q] = product
      ? `p${t}`
      : `a${s}:${values.map((x, k) => (mention[k] ? x : "*")).join("|")}`;

    // Non-exact products of the sub-category by how many named attributes
    // they miss: levels[0] holds the exact ones.
    const levels: number[][] = Array.from({ length: SLOTS + 1 }, () => []);
    for (const i of items) levels[mism[i]].push(i);
    const chosen = new Set<number>();
    const label = (item: number, rel: number) => {
      chosen.add(item);
      out.pairQuery.push(q);
      out.pairItem.push(item);
      out.pairRel.push(rel);
    };
    for (const i of levels[0]) label(i, RELEVANCE.exact);
    let left = items.length - levels[0].length;
    for (let j = 0; j < o.substitutesPerQuery && left > 0; j++, left--) {
      let level = 1;
      if (rng.bernoulli(pi)) {
        // A near-duplicate competitor: the closest product still unused.
        while (levels[level].length === 0) level++;
      } else {
        // Any product of the sub-category, uniformly.
        let r = rng.int(left);
        while (r >= levels[level].length) r -= levels[level++].length;
      }
      label(takeRandom(rng, levels[level]), RELEVANCE.substitute);
    }
    const comps = SUBS[s].complements;
    for (let j = 0; j < o.complementsPerQuery && comps.length > 0; j++) {
      for (let tries = 0; tries < 10; tries++) {
        const c = rng.pick(comps);
        const i = cat.subItems[c][rng.weighted(cat.subCum[c])];
        if (!chosen.has(i)) {
          label(i, RELEVANCE.complement);
          break;
        }
      }
    }
    const looks = SUBS[s].lookalikes;
    for (let j = 0; j < o.irrelevantPerQuery; j++) {
      let pickItem = -1;
      if (looks.length > 0 && rng.bernoulli(o.hardIrrelevantShare)) {
        const c = rng.pick(looks);
        for (let tries = 0; tries < 8; tries++) {
          const i = cat.subItems[c][rng.weighted(cat.subCum[c])];
          if (chosen.has(i)) continue;
          pickItem = i;
          if (
            slot[COLOR][i] === slot[COLOR][t] || cat.brand[i] === cat.brand[t]
          ) break;
        }
      } else {
        for (let tries = 0; tries < 20; tries++) {
          const i = rng.int(cat.n);
          const c = cat.sub[i];
          if (c === s || comps.includes(c) || chosen.has(i)) continue;
          pickItem = i;
          break;
        }
      }
      if (pickItem >= 0) label(pickItem, RELEVANCE.irrelevant);
    }
  }
  return out;
}

/**
 * The split of each query: by query, or (`splitBy: "intent"`) by intent, so
 * that queries of one intent share a split.
 */
export function assignSplits(
  o: ResolvedSyntheticOptions,
  intents: string[],
  rng: Rng,
): Split[] {
  const Q = intents.length;
  const nTest = Math.round(o.testShare * Q);
  const nValid = Math.round(o.validShare * Q);
  const split = new Array<Split>(Q).fill("train");
  if (o.splitBy === "query") {
    const perm = rng.permutation(Q);
    for (let r = 0; r < nTest + nValid; r++) {
      split[perm[r]] = r < nTest ? "test" : "valid";
    }
    return split;
  }
  const groups = Map.groupBy(
    Array.from({ length: Q }, (_, q) => q),
    (q) => intents[q],
  );
  const list = rng.shuffle([...groups.values()]);
  let test = 0, valid = 0;
  for (const g of list) {
    let to: Split = "train";
    if (test < nTest) {
      to = "test";
      test += g.length;
    } else if (valid < nValid) {
      to = "valid";
      valid += g.length;
    }
    for (const q of g) split[q] = to;
  }
  return split;
}
