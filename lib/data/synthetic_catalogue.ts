/**
 * The synthetic catalogue's items and users (see `synthetic.ts` for how
 * they are made): the sub-categories with their title slots, the products
 * with near-duplicate families and Zipf popularity, and users with
 * behaviour sequences. Internal to the generator.
 *
 * @module
 */

import { cumulative, type Rng } from "./rng.ts";
import type { ResolvedSyntheticOptions } from "./synthetic_options.ts";
import { CATEGORIES, COLORS, COMPLEMENTS } from "./synthetic_vocab.ts";

// ------------------------------------------------------------- vocabulary

/** Title slots, in title order; the noun goes between slot 2 and slot 3. */
const BRAND = 0, SIZE = 1, MATERIAL = 2;
/** The feature slot (queries put the noun before it). */
export const FEATURE = 3;
/** The colour slot. */
export const COLOR = 4;
/** How many slots a product has. */
export const SLOTS = 5;
const ATTR_SLOTS = [SIZE, MATERIAL, FEATURE, COLOR];

/** The `attributes` column's keys, in its order, and the slot each reads. */
const ATTRIBUTE_SLOTS = {
  color: COLOR,
  material: MATERIAL,
  size: SIZE,
  feature: FEATURE,
} as const;

/** Attribute keys, in the order they appear in the `attributes` column. */
export const ATTRIBUTE_KEYS = Object.keys(ATTRIBUTE_SLOTS) as readonly (
  keyof typeof ATTRIBUTE_SLOTS
)[];
/** Which attribute a near-duplicate variant changes, with weights. */
const VARIANT_SLOTS = [COLOR, MATERIAL, SIZE, FEATURE];
const VARIANT_WEIGHTS = cumulative([0.4, 0.25, 0.2, 0.15]);

/** A sub-category as the generator uses it. */
export interface Sub {
  cat: number;
  path: string;
  noun: string;
  nounWords: string[];
  /** Vocabulary of each slot. */
  values: (readonly string[])[];
  complements: number[];
  /** Unrelated sub-categories that look related (hard irrelevant). */
  lookalikes: number[];
}

function buildSubs(): Sub[] {
  const subs: Sub[] = [];
  for (let c = 0; c < CATEGORIES.length; c++) {
    const cat = CATEGORIES[c];
    for (const s of cat.subCategories) {
      subs.push({
        cat: c,
        path: `${cat.name} > ${s.name}`,
        noun: s.noun,
        nounWords: s.noun.split(" "),
        values: [cat.brands, cat.sizes, cat.materials, s.features, COLORS],
        complements: [],
        lookalikes: [],
      });
    }
  }
  const byNoun = new Map(subs.map((s, i) => [s.noun, i]));
  for (const [a, b] of COMPLEMENTS) {
    const i = byNoun.get(a), j = byNoun.get(b);
    if (i === undefined || j === undefined) {
      throw new Error(`synthetic_vocab: complement ${a} ↔ ${b} names no noun`);
    }
    if (!subs[i].complements.includes(j)) subs[i].complements.push(j);
    if (!subs[j].complements.includes(i)) subs[j].complements.push(i);
  }
  for (let i = 0; i < subs.length; i++) {
    const head = subs[i].nounWords[subs[i].nounWords.length - 1];
    for (let j = 0; j < subs.length; j++) {
      if (j === i || subs[i].complements.includes(j)) continue;
      if (subs[j].cat === subs[i].cat || subs[j].nounWords.includes(head)) {
        subs[i].lookalikes.push(j);
      }
    }
  }
  return subs;
}

/** The sub-categories, numbered in vocabulary order. */
export const SUBS: Sub[] = buildSubs();

/** Radix of each slot in the packed signature; the top value is "masked". */
const RADIX = Array.from(
  { length: SLOTS },
  (_, k) => Math.max(...SUBS.map((s) => s.values[k].length)) + 1,
);

// ------------------------------------------------------------ catalogue

/** The generated products, indexed by item id, with their draw weights. */
export interface Catalogue {
  /** Number of items. */
  n: number;
  /** Sub-category number of each item. */
  sub: Int32Array;
  /** Per slot, the index of each item's value in its sub-category's list. */
  slot: Int32Array[];
  /** Near-duplicate family of each item (−1: none). */
  family: Int32Array;
  /** Number of families. */
  families: number;
  /** Title of each item. */
  title: string[];
  /** `Category > Sub-category` of each item. */
  category: string[];
  /** Brand of each item. */
  brand: string[];
  /** The `attributes` column. */
  attributes: string[];
  /** Expected click count of each item. */
  popularity: Float32Array;
  /** Zipf weight of each item (popularity up to a factor). */
  weight: Float64Array;
  /** Item ids of each sub-category. */
  subItems: Int32Array[];
  /** Cumulative weights over `subItems`, per sub-category. */
  subCum: Float64Array[];
  /** Total weight of each sub-category. */
  subMass: Float64Array;
  /** Items and cumulative weights per `sub · RADIX[BRAND] + brand`. */
  brandItems: Map<number, { ids: Int32Array; cum: Float64Array }>;
  /** Cumulative weights over all items. */
  globalCum: Float64Array;
}

function pack(s: number, v: ArrayLike<number>, masked = -1): number {
  let code = s;
  for (let k = 0; k < SLOTS; k++) {
    code = code * RADIX[k] + (k === masked ? RADIX[k] - 1 : v[k]);
  }
  return code;
}

/** Splits `total` over weights, every part ≥ 1, by largest remainder. */
function allocate(total: number, weights: number[]): number[] {
  const n = weights.length;
  const sum = weights.reduce((a, b) => a + b, 0);
  const free = total - n;
  const exact = weights.map((w) => (w / sum) * free);
  const parts = exact.map((x) => 1 + Math.floor(x));
  const order = exact
    .map((x, i) => [x - Math.floor(x), i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = total - parts.reduce((a, b) => a + b, 0);
  for (let r = 0; left > 0; r++, left--) parts[order[r % n][1]]++;
  return parts;
}

/** Family sizes summing to about `share · n`, each in [2, maxSize]. */
function familySizes(
  rng: Rng,
  n: number,
  share: number,
  maxSize: number,
): number[] {
  let dup = Math.round(share * n);
  if (dup === 1) dup = share >= 0.5 || n === 2 ? 2 : 0;
  if (maxSize === 2 && dup % 2 === 1) dup = dup + 1 <= n ? dup + 1 : dup - 1;
  const sizes: number[] = [];
  let rem = dup;
  while (rem > 0) {
    let k: number;
    if (rem <= maxSize) k = rem;
    else {
      k = 2 + rng.int(maxSize - 1);
      if (rem - k === 1) k = k > 2 ? k - 1 : k + 1;
    }
    sizes.push(k);
    rem -= k;
  }
  return sizes;
}

/** Draws the products (`rng`) and their popularity ranking (`popRng`). */
export function buildCatalogue(
  o: ResolvedSyntheticOptions,
  rng: Rng,
  popRng: Rng,
): Catalogue {
  const subWeights = SUBS.map(() => rng.uniform(0.5, 1.5));
  const perSub = allocate(o.numItems, subWeights);
  const N = o.numItems;
  // Generation order: sub-category by sub-category; rows are shuffled later.
  const gSub = new Int32Array(N);
  const gSlot = Array.from({ length: SLOTS }, () => new Int32Array(N));
  const gFamily = new Int32Array(N).fill(-1);
  const exact = new Set<number>();
  const buckets = new Map<number, number[]>();
  let count = 0;
  let families = 0;
  const v = new Int32Array(SLOTS);

  const add = (s: number, fam: number) => {
    const i = count++;
    gSub[i] = s;
    for (let k = 0; k < SLOTS; k++) gSlot[k][i] = v[k];
    gFamily[i] = fam;
    exact.add(pack(s, v));
    for (const k of ATTR_SLOTS) {
      const key = pack(s, v, k);
      const b = buckets.get(key);
      if (b) b.push(i);
      else buckets.set(key, [i]);
    }
  };
  // True when v has no same-brand item at attribute distance <= 1 outside
  // family `fam` (fam = -1: no such item at all).
  const isolated = (s: number, fam: number) => {
    for (const k of ATTR_SLOTS) {
      const b = buckets.get(pack(s, v, k));
      if (!b) continue;
      for (const j of b) if (fam < 0 || gFamily[j] !== fam) return false;
    }
    return true;
  };

  for (let s = 0; s < SUBS.length; s++) {
    const vals = SUBS[s].values;
    const brandCum = cumulative(
      vals[BRAND].map(() => rng.uniform(0.1, 1) ** 2),
    );
    const fresh = () => {
      v[BRAND] = rng.weighted(brandCum);
      for (const k of ATTR_SLOTS) v[k] = rng.int(vals[k].length);
    };
    // Draws until `ok` holds (strict), then settles for any unused signature.
    const draw = (make: () => void, ok: () => boolean) => {
      for (let attempt = 0; attempt < 2000; attempt++) {
        make();
        if (exact.has(pack(s, v))) continue;
        if (attempt >= 60 || ok()) return;
      }
      throw new RangeError(
        `numItems ${o.numItems} is too large for the vocabulary of ${
          SUBS[s].path
        }`,
      );
    };
    const sizes = familySizes(
      rng,
      perSub[s],
      o.nearDuplicateShare,
      o.maxFamilySize,
    );
    for (const size of sizes) {
      const fam = families++;
      draw(fresh, () => isolated(s, -1));
      const base = Int32Array.from(v);
      add(s, fam);
      const variant = () => {
        v.set(base);
        const k = VARIANT_SLOTS[rng.weighted(VARIANT_WEIGHTS)];
        v[k] = (base[k] + 1 + rng.int(vals[k].length - 1)) % vals[k].length;
      };
      for (let j = 1; j < size; j++) {
        draw(variant, () => isolated(s, fam));
        add(s, fam);
      }
    }
    const singles = perSub[s] - sizes.reduce((a, b) => a + b, 0);
    for (let j = 0; j < singles; j++) {
      draw(fresh, () => isolated(s, -1));
      add(s, -1);
    }
  }

  // Shuffle rows so that families and sub-categories are not contiguous.
  const order = rng.permutation(N);
  const sub = new Int32Array(N);
  const slot = Array.from({ length: SLOTS }, () => new Int32Array(N));
  const family = new Int32Array(N);
  const title = new Array<string>(N);
  const category = new Array<string>(N);
  const brand = new Array<string>(N);
  const attributes = new Array<string>(N);
  for (let id = 0; id < N; id++) {
    const g = order[id];
    const s = gSub[g];
    sub[id] = s;
    family[id] = gFamily[g];
    for (let k = 0; k < SLOTS; k++) slot[k][id] = gSlot[k][g];
    const w = (k: number) => SUBS[s].values[k][slot[k][id]];
    title[id] = [
      w(BRAND),
      w(SIZE),
      w(MATERIAL),
      SUBS[s].noun,
      w(FEATURE),
      w(COLOR),
    ].join(" ");
    category[id] = SUBS[s].path;
    brand[id] = w(BRAND);
    attributes[id] = ATTRIBUTE_KEYS.map((k) => `${k}=${w(ATTRIBUTE_SLOTS[k])}`)
      .join(";");
  }

  // Zipf popularity over a random ranking of the items.
  const rank = popRng.permutation(N);
  const weight = new Float64Array(N);
  let total = 0;
  for (let i = 0; i < N; i++) {
    weight[i] = (rank[i] + 1) ** -o.popularitySkew;
    total += weight[i];
  }
  const popularity = new Float32Array(N);
  for (let i = 0; i < N; i++) popularity[i] = 20 * N * weight[i] / total;

  const lists: number[][] = SUBS.map(() => []);
  for (let id = 0; id < N; id++) lists[sub[id]].push(id);
  const brandLists = Map.groupBy(
    Array.from({ length: N }, (_, id) => id),
    (id) => sub[id] * RADIX[BRAND] + slot[BRAND][id],
  );
  const subItems = lists.map((l) => Int32Array.from(l));
  const weightsOf = (ids: Int32Array) =>
    cumulative(Array.from(ids, (i) => weight[i]));
  const subCum = subItems.map(weightsOf);
  const subMass = Float64Array.from(subCum, (c) => c[c.length - 1]);
  const brandItems = new Map<number, { ids: Int32Array; cum: Float64Array }>();
  for (const [key, l] of brandLists) {
    const ids = Int32Array.from(l);
    brandItems.set(key, { ids, cum: weightsOf(ids) });
  }
  return {
    n: N,
    sub,
    slot,
    family,
    families,
    title,
    category,
    brand,
    attributes,
    popularity,
    weight,
    subItems,
    subCum,
    subMass,
    brandItems,
    globalCum: cumulative(weight),
  };
}

// ----------------------------------------------------------------- users

/** The generated users, indexed by user id. */
export interface Users {
  /** Sub-category numbers each user is interested in. */
  interests: Int32Array[];
  /** Behaviour sequence (item ids) of each user. */
  history: Int32Array[];
}

/** Draws users with interests and histories over the catalogue. */
export function buildUsers(
  o: ResolvedSyntheticOptions,
  cat: Catalogue,
  rng: Rng,
): Users {
  const subCum = cumulative(cat.subMass);
  const interests: Int32Array[] = [];
  const history: Int32Array[] = [];
  for (let u = 0; u < o.numUsers; u++) {
    const want = Math.min(1 + rng.int(o.interestsPerUser), SUBS.length);
    const mine: number[] = [];
    for (let tries = 0; mine.length < want && tries < 50 * want; tries++) {
      const s = rng.weighted(subCum);
      if (!mine.includes(s)) mine.push(s);
    }
    // A preferred brand: the brand of a popular product of the sub-category.
    const brandOf = mine.map((s) =>
      rng.bernoulli(0.7)
        ? cat.slot[BRAND][cat.subItems[s][rng.weighted(cat.subCum[s])]]
        : -1
    );
    const len = o.minHistory + rng.int(o.maxHistory - o.minHistory + 1);
    const h = new Int32Array(len);
    for (let e = 0; e < len; e++) {
      if (rng.bernoulli(o.interestConsistency)) {
        const j = rng.int(mine.length);
        const s = mine[j];
        const b = brandOf[j];
        if (b >= 0 && rng.bernoulli(o.brandLoyalty)) {
          const l = cat.brandItems.get(s * RADIX[BRAND] + b)!;
          h[e] = l.ids[rng.weighted(l.cum)];
        } else {
          h[e] = cat.subItems[s][rng.weighted(cat.subCum[s])];
        }
      } else {
        h[e] = rng.weighted(cat.globalCum);
      }
    }
    interests.push(Int32Array.from(mine));
    history.push(h);
  }
  return { interests, history };
}
