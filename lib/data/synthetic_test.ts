import {
  assertClose,
  assertEquals,
  assertGeneratedDoc,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { joinPath, validateDataset, writeDataset } from "./io.ts";
import { type Dataset, MAX_HISTORY, RELEVANCE } from "./schema.ts";
import {
  generateSynthetic,
  generateSyntheticWithTruth,
  resolveSyntheticOptions,
  SYNTHETIC_OPTIONS,
  SYNTHETIC_PROFILES,
  type SyntheticOptions,
  syntheticOptionsMarkdown,
} from "./synthetic.ts";
import {
  CATEGORIES,
  COLORS,
  COMPLEMENTS,
  SYNONYMS,
} from "./synthetic_vocab.ts";

// Smaller than quick where the profile's size does not matter.
const SMALL: SyntheticOptions = { numQueries: 600, numUsers: 80 };

/** Pair rows grouped by query id. */
function pairsByQuery(ds: Dataset): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let p = 0; p < ds.pairs.queryId.length; p++) {
    const q = ds.pairs.queryId[p];
    const l = m.get(q);
    if (l) l.push(p);
    else m.set(q, [p]);
  }
  return m;
}

/** Share of items with a same-category, same-brand item one attribute away. */
function measuredNearDuplicateShare(ds: Dataset): number {
  const { category, brand, attributes } = ds.items;
  const buckets = new Map<string, number>();
  const keys = (i: number) => {
    const vals = attributes[i].split(";");
    return vals.map((_, k) =>
      [category[i], brand[i], ...vals.map((v, j) => (j === k ? "*" : v))]
        .join("|")
    );
  };
  for (let i = 0; i < category.length; i++) {
    for (const k of keys(i)) buckets.set(k, (buckets.get(k) ?? 0) + 1);
  }
  let near = 0;
  for (let i = 0; i < category.length; i++) {
    if (keys(i).some((k) => buckets.get(k)! >= 2)) near++;
  }
  return near / category.length;
}

function words(s: string): string[] {
  return s.split(" ").filter((w) => w.length > 0);
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / xs.length;
}

Deno.test("same seed gives identical datasets and identical files", async () => {
  const a = generateSynthetic({ seed: 7 });
  const b = generateSynthetic({ seed: 7 });
  assertEquals(a, b);
  const dirA = await Deno.makeTempDir();
  const dirB = await Deno.makeTempDir();
  try {
    const filesA = await writeDataset(dirA, a);
    await writeDataset(dirB, b);
    assertEquals(filesA.length, 5);
    for (const f of filesA) {
      const name = f.slice(dirA.length);
      const bytesA = await Deno.readFile(f);
      const bytesB = await Deno.readFile(joinPath(dirB, name));
      assertTrue(bytesA.length > 0);
      assertEquals(bytesA, bytesB, `${name} differs`);
    }
  } finally {
    await Deno.remove(dirA, { recursive: true });
    await Deno.remove(dirB, { recursive: true });
  }
});

Deno.test("different seeds give different data", () => {
  const a = generateSynthetic({ ...SMALL, seed: 1 });
  const b = generateSynthetic({ ...SMALL, seed: 2 });
  assertTrue(a.items.title.join("\n") !== b.items.title.join("\n"));
  assertTrue(a.queries.text.join("\n") !== b.queries.text.join("\n"));
  assertEquals(a.meta.seed, 1);
  assertEquals(b.meta.seed, 2);
});

Deno.test("stages are independent: users do not change items or queries", () => {
  const a = generateSynthetic({ ...SMALL, numUsers: 10 });
  const b = generateSynthetic({ ...SMALL, numUsers: 200 });
  assertEquals(a.items, b.items);
  assertEquals(a.queries.text, b.queries.text);
  assertEquals(a.pairs, b.pairs);
});

Deno.test("quick profile: valid, sized as promised, meta consistent", () => {
  const ds = generateSynthetic();
  validateDataset(ds);
  const counts = ds.meta.counts as Record<string, unknown>;
  assertEquals(ds.meta.name, "synthetic-quick");
  assertEquals(ds.meta.generator, "synthetic");
  assertEquals(ds.meta.version, 1);
  assertEquals(ds.meta.profile, "quick");
  assertEquals(ds.meta.seed, 1);
  assertEquals(
    ds.meta.options,
    { ...SYNTHETIC_PROFILES.quick } as unknown as Record<string, unknown>,
  );
  assertEquals(ds.items.itemId.length, 1500);
  assertEquals(counts.items, 1500);
  let training = 0;
  for (let p = 0; p < ds.pairs.queryId.length; p++) {
    if (
      ds.pairs.split[p] === "train" &&
      ds.pairs.relevance[p] === RELEVANCE.exact
    ) training++;
  }
  assertEquals(counts.trainingPairs, training);
  assertTrue(
    training >= 2500 && training <= 4500,
    `training pairs ${training}`,
  );
  const test = ds.queries.split.filter((s) => s === "test").length;
  const valid = ds.queries.split.filter((s) => s === "valid").length;
  assertEquals(test, 300);
  assertEquals(valid, 300);
  assertEquals(counts.queries, {
    total: 2500,
    train: 1900,
    valid: 300,
    test: 300,
  });
  assertEquals(
    (counts.pairs as Record<string, number>).total,
    ds.pairs.queryId.length,
  );
  assertEquals(counts.users, 300);
  assertEquals(ds.users!.userId.length, 300);
  // No timestamps or other run-dependent values in meta.
  assertTrue(!/\d{4}-\d\d-\d\dT/.test(JSON.stringify(ds.meta)));
});

Deno.test("items: titles, categories and attributes are well formed", () => {
  const { dataset: ds, truth } = generateSyntheticWithTruth(SMALL);
  const { title, category, brand, attributes } = ds.items;
  assertEquals(new Set(title).size, title.length, "titles are unique");
  const paths = new Set(truth.subCategories);
  const nouns = new Map(
    CATEGORIES.flatMap((c) =>
      c.subCategories.map((sc) => [`${c.name} > ${sc.name}`, sc.noun])
    ),
  );
  assertEquals(paths.size, 69);
  for (let i = 0; i < title.length; i++) {
    assertTrue(paths.has(category[i]), category[i]);
    assertEquals(category[i], truth.subCategories[truth.itemSubCategory[i]]);
    assertTrue(/^[^>]+ > [^>]+$/.test(category[i]), category[i]);
    const m =
      /^color=([^;=]+);material=([^;=]+);size=([^;=]+);feature=([^;=]+)$/
        .exec(attributes[i]);
    assertTrue(m, attributes[i]);
    const [, color, material, size, feature] = m;
    assertTrue(COLORS.includes(color));
    const head = `${brand[i]} ${size} ${material} `;
    const tail = ` ${feature} ${color}`;
    assertTrue(title[i].startsWith(head), title[i]);
    assertTrue(title[i].endsWith(tail), title[i]);
    assertEquals(
      title[i].slice(head.length, title[i].length - tail.length),
      nouns.get(category[i]),
    );
    assertEquals(ds.items.sourceId[i], "");
  }
  // Every sub-category holds products.
  assertEquals(new Set(category).size, 69);
});

Deno.test("every query has an exact item; labels follow the sub-categories", () => {
  const { dataset: ds, truth } = generateSyntheticWithTruth(SMALL);
  const byQuery = pairsByQuery(ds);
  const subOf = (item: number) => truth.itemSubCategory[item];
  assertEquals(byQuery.size, ds.queries.queryId.length);
  for (const [q, rows] of byQuery) {
    const s = truth.querySubCategory[q];
    const items = rows.map((p) => ds.pairs.itemId[p]);
    assertEquals(new Set(items).size, items.length, `query ${q}: duplicates`);
    const exact = rows.filter((p) => ds.pairs.relevance[p] === RELEVANCE.exact);
    assertTrue(exact.length >= 1, `query ${q} has no exact item`);
    assertTrue(
      exact.some((p) => ds.pairs.itemId[p] === truth.queryTarget[q]),
      `query ${q}: its target is not exact`,
    );
    if (truth.queryKind[q] === "product") assertEquals(exact.length, 1);
    assertTrue(exact.length <= 8);
    for (const p of rows) {
      const r = ds.pairs.relevance[p];
      const si = subOf(ds.pairs.itemId[p]);
      if (r >= RELEVANCE.substitute) assertEquals(si, s);
      else if (r === RELEVANCE.complement) {
        assertTrue(truth.complements[s].includes(si), `query ${q} complement`);
      } else {
        assertTrue(si !== s && !truth.complements[s].includes(si));
      }
    }
    // A substitute differs from the intent in at least one named attribute;
    // for product intents that means it is a different product.
    if (truth.queryKind[q] === "product") {
      for (const p of rows) {
        if (ds.pairs.relevance[p] === RELEVANCE.substitute) {
          assertTrue(ds.pairs.itemId[p] !== truth.queryTarget[q]);
        }
      }
    }
  }
});

Deno.test("attribute intents: exact items are exactly the matching products", () => {
  const { dataset: ds, truth } = generateSyntheticWithTruth({
    ...SMALL,
    productIntentShare: 0,
    queryNoise: 0,
  });
  const byQuery = pairsByQuery(ds);
  const attrsOf = (i: number) =>
    new Set([ds.items.brand[i], ...ds.items.attributes[i].split(";")]);
  let checked = 0;
  for (const [q, rows] of byQuery) {
    const exact = rows.filter((p) => ds.pairs.relevance[p] === RELEVANCE.exact)
      .map((p) => ds.pairs.itemId[p]);
    const others = rows.filter((p) =>
      ds.pairs.relevance[p] === RELEVANCE.substitute
    ).map((p) => ds.pairs.itemId[p]);
    // What all exact items share is the intent; no substitute has all of it.
    const shared = [...attrsOf(exact[0])].filter((a) =>
      exact.every((i) => attrsOf(i).has(a))
    );
    const named = truth.queryIntent[q].split(":").slice(1).join(":")
      .split("|").filter((x) => x !== "*").length;
    assertTrue(shared.length >= named, `query ${q}`);
    for (const i of others) {
      assertTrue(!shared.every((a) => attrsOf(i).has(a)), `query ${q}`);
    }
    // The exact list is complete: no other product of the sub-category
    // carries every shared value.
    const s = truth.querySubCategory[q];
    let matching = 0;
    for (let i = 0; i < ds.items.title.length; i++) {
      if (truth.itemSubCategory[i] !== s) continue;
      if (shared.every((a) => attrsOf(i).has(a))) matching++;
    }
    assertEquals(matching, exact.length, `query ${q}`);
    checked++;
  }
  assertEquals(checked, 600);
});

Deno.test("near-duplicate share measured from the columns matches the knob", () => {
  for (const share of [0, 0.3, 0.7]) {
    const { dataset: ds, truth } = generateSyntheticWithTruth({
      numItems: 3000,
      numQueries: 50,
      numUsers: 0,
      nearDuplicateShare: share,
    });
    const measured = measuredNearDuplicateShare(ds);
    assertClose(measured, share, 0.03, `nearDuplicateShare ${share}`);
    const inFamily = truth.itemFamily.filter((f) => f >= 0).length;
    assertClose(inFamily / 3000, share, 0.02);
  }
});

Deno.test("popularity follows Zipf: log-log slope is minus the skew", () => {
  const topShares: number[] = [];
  for (const skew of [0, 0.8, 1.5]) {
    const ds = generateSynthetic({
      ...SMALL,
      numQueries: 3000,
      popularitySkew: skew,
    });
    const pop = Float64Array.from(ds.items.popularity).sort().reverse();
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    const n = pop.length;
    for (let r = 0; r < n; r++) {
      const x = Math.log(r + 1), y = Math.log(pop[r]);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    assertClose(slope, -skew, 0.02, `skew ${skew}`);
    assertClose(mean(pop) / 20, 1, 1e-4, "popularity sums to 20 clicks/item");
    // Query targets follow popularity: the top 1% of items by popularity
    // take a share of the exact labels that grows with the skew.
    const order = Array.from(ds.items.popularity, (p, i) => [p, i])
      .sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((x) => x[1]);
    const top = new Set(order.slice(0, Math.ceil(n / 100)));
    let hits = 0, total = 0;
    for (let p = 0; p < ds.pairs.queryId.length; p++) {
      if (ds.pairs.relevance[p] !== RELEVANCE.exact) continue;
      total++;
      if (top.has(ds.pairs.itemId[p])) hits++;
    }
    topShares.push(hits / total);
  }
  assertTrue(topShares[0] < 0.03, `uniform top-1% share ${topShares[0]}`);
  assertTrue(topShares[1] > topShares[0] + 0.05, String(topShares));
  assertTrue(topShares[2] > topShares[1] + 0.1, String(topShares));
});

Deno.test("queryNoise 0: every query word is in every exact title", () => {
  const ds = generateSynthetic({ ...SMALL, queryNoise: 0 });
  const byQuery = pairsByQuery(ds);
  for (const [q, rows] of byQuery) {
    for (const p of rows) {
      if (ds.pairs.relevance[p] !== RELEVANCE.exact) continue;
      const title = new Set(words(ds.items.title[ds.pairs.itemId[p]]));
      for (const w of words(ds.queries.text[q])) {
        assertTrue(title.has(w), `query ${q} "${ds.queries.text[q]}": ${w}`);
      }
    }
  }
});

Deno.test("queryNoise > 0: some query words are in no title or synonym", () => {
  const ds = generateSynthetic({ ...SMALL, queryNoise: 0.5 });
  const known = new Set<string>();
  for (const t of ds.items.title) for (const w of words(t)) known.add(w);
  for (const c of ds.items.category) {
    for (const w of words(c.toLowerCase())) known.add(w);
  }
  for (const alts of Object.values(SYNONYMS)) {
    for (const a of alts) for (const w of words(a)) known.add(w);
  }
  const byQuery = pairsByQuery(ds);
  let unknown = 0, notInExact = 0;
  for (const [q, rows] of byQuery) {
    const ws = words(ds.queries.text[q]);
    assertTrue(ws.length > 0, `query ${q} is empty`);
    if (ws.some((w) => !known.has(w))) unknown++;
    const exactWords = new Set<string>();
    for (const p of rows) {
      if (ds.pairs.relevance[p] === RELEVANCE.exact) {
        for (const w of words(ds.items.title[ds.pairs.itemId[p]])) {
          exactWords.add(w);
        }
      }
    }
    if (ws.some((w) => !exactWords.has(w))) notInExact++;
  }
  const n = byQuery.size;
  assertTrue(unknown / n > 0.1, `typos in ${unknown}/${n} queries`);
  assertTrue(notInExact / n > unknown / n, "synonyms add more mismatches");
});

Deno.test("hardnessHeterogeneity spreads per-query hardness around the mean", () => {
  const spreadOfText: number[] = [];
  for (const h of [0, 0.5, 1]) {
    const { dataset: ds, truth } = generateSyntheticWithTruth({
      ...SMALL,
      numQueries: 2000,
      queryNoise: 0.3,
      hardNegativeShare: 0.6,
      hardnessHeterogeneity: h,
    });
    assertClose(mean(truth.queryNoise), 0.3, 0.03, `noise mean, h=${h}`);
    assertClose(
      variance(truth.queryNoise),
      h * 0.3 * 0.7,
      0.2 * h * 0.21 + 1e-12,
      `noise variance, h=${h}`,
    );
    assertClose(mean(truth.queryHardShare), 0.6, 0.03);
    assertClose(
      variance(truth.queryHardShare),
      h * 0.6 * 0.4,
      0.2 * h * 0.24 + 1e-12,
    );
    // Observable: the share of a query's words missing from its target's
    // title varies more across queries when hardness is heterogeneous.
    const miss = ds.queries.text.map((t, q) => {
      const title = new Set(words(ds.items.title[truth.queryTarget[q]]));
      const ws = words(t);
      return ws.filter((w) => !title.has(w)).length / ws.length;
    });
    spreadOfText.push(variance(miss));
  }
  assertTrue(spreadOfText[1] > spreadOfText[0] * 1.15, String(spreadOfText));
  assertTrue(spreadOfText[2] > spreadOfText[1] * 1.15, String(spreadOfText));
});

Deno.test("hardNegativeShare controls near-duplicate substitutes", () => {
  const shares: number[] = [];
  for (const hard of [0, 0.5, 1]) {
    const { dataset: ds, truth } = generateSyntheticWithTruth({
      numItems: 4000,
      numQueries: 1000,
      numUsers: 0,
      productIntentShare: 1,
      nearDuplicateShare: 0.9,
      maxFamilySize: 8,
      hardNegativeShare: hard,
      hardnessHeterogeneity: 0,
    });
    const vals = (i: number) => [
      ds.items.brand[i],
      ...ds.items.attributes[i].split(";"),
    ];
    const distance = (a: number, b: number) => {
      const va = vals(a), vb = vals(b);
      return va.filter((x, k) => x !== vb[k]).length;
    };
    // Near-duplicate neighbours of each target, counted from the columns.
    const bySub = new Map<string, number[]>();
    ds.items.category.forEach((c, i) => {
      if (!bySub.has(c)) bySub.set(c, []);
      bySub.get(c)!.push(i);
    });
    const neighbours = (t: number) =>
      bySub.get(ds.items.category[t])!.filter((i) => distance(i, t) === 1)
        .length;
    const cache = new Map<number, number>();
    let near = 0, subs = 0;
    for (let p = 0; p < ds.pairs.queryId.length; p++) {
      if (ds.pairs.relevance[p] !== RELEVANCE.substitute) continue;
      const t = truth.queryTarget[ds.pairs.queryId[p]];
      if (!cache.has(t)) cache.set(t, neighbours(t));
      if (cache.get(t)! < 3) continue;
      subs++;
      if (distance(t, ds.pairs.itemId[p]) === 1) near++;
    }
    assertTrue(
      subs > 300,
      `only ${subs} substitutes of targets with 3 near-dups`,
    );
    shares.push(near / subs);
  }
  assertTrue(shares[0] < 0.2, String(shares));
  assertClose(shares[1], 0.5, 0.1, String(shares));
  assertEquals(shares[2], 1);
});

Deno.test("users: histories follow interests; queries go to interested users", () => {
  const { dataset: ds, truth } = generateSyntheticWithTruth({
    numQueries: 1000,
    numUsers: 400,
    interestConsistency: 0.9,
    userQueryConsistency: 0.9,
    minHistory: 10,
    maxHistory: 60,
  });
  const users = ds.users!;
  let inside = 0, events = 0;
  for (let u = 0; u < users.userId.length; u++) {
    const h = users.history[u];
    assertTrue(h.length >= 10 && h.length <= 60, `length ${h.length}`);
    const mine = new Set(truth.userInterests[u]);
    assertTrue(mine.size >= 1 && mine.size <= 3);
    for (const i of h) {
      events++;
      if (mine.has(truth.itemSubCategory[i])) inside++;
    }
  }
  assertTrue(inside / events > 0.88, `in-interest share ${inside / events}`);
  assertTrue(inside / events < 0.97, `in-interest share ${inside / events}`);
  let fits = 0;
  for (let q = 0; q < ds.queries.queryId.length; q++) {
    const u = ds.queries.userId[q];
    assertTrue(u >= 0 && u < 400);
    if (truth.userInterests[u].includes(truth.querySubCategory[q])) fits++;
  }
  assertTrue(fits / 1000 > 0.85, `queries with an interested user ${fits}`);
  // Full-length histories are allowed up to MAX_HISTORY.
  const full = generateSynthetic({ ...SMALL, minHistory: MAX_HISTORY });
  assertTrue(full.users!.history.every((h) => h.length === MAX_HISTORY));
});

Deno.test("numUsers 0: no users table, every userId is -1", () => {
  const ds = generateSynthetic({ ...SMALL, numUsers: 0 });
  validateDataset(ds);
  assertEquals(ds.users, undefined);
  assertTrue(ds.queries.userId.every((u) => u === -1));
});

Deno.test("splits: by query instance, or by intent with no intent shared", () => {
  const byQ = generateSyntheticWithTruth({ ...SMALL, numQueries: 2000 });
  const byI = generateSyntheticWithTruth({
    ...SMALL,
    numQueries: 2000,
    splitBy: "intent",
  });
  const overlap = (r: typeof byQ) => {
    const train = new Set<string>();
    r.truth.queryIntent.forEach((k, q) => {
      if (r.dataset.queries.split[q] === "train") train.add(k);
    });
    return r.truth.queryIntent.filter((k, q) =>
      r.dataset.queries.split[q] === "test" && train.has(k)
    ).length;
  };
  assertTrue(overlap(byQ) > 0, "popular intents recur across splits");
  assertEquals(overlap(byI), 0);
  const test = byI.dataset.queries.split.filter((s) => s === "test").length;
  assertTrue(test >= 240 && test < 400, `test queries ${test}`);
  validateDataset(byI.dataset);
});

Deno.test("bad options throw a RangeError naming the option", () => {
  assertThrows(
    () => generateSynthetic({ nearDuplicateShare: 2 }),
    RangeError,
    "nearDuplicateShare must be a finite number ≥ 0 and ≤ 1, got 2",
  );
  assertThrows(
    () => generateSynthetic({ numItems: 10.5 }),
    RangeError,
    "numItems must be an integer",
  );
  assertThrows(
    () => generateSynthetic({ numItems: 20 }),
    RangeError,
    "numItems must be an integer in [69, 500000], got 20 (at least one per sub-category)",
  );
  assertThrows(
    () => generateSynthetic({ queryNoise: Number.NaN }),
    RangeError,
    "queryNoise",
  );
  assertThrows(
    () => generateSynthetic({ popularitySkew: -1 }),
    RangeError,
    "popularitySkew must be a finite number ≥ 0 and ≤ 4, got -1",
  );
  assertThrows(
    () => generateSynthetic({ validShare: 0.6, testShare: 0.5 }),
    RangeError,
    "validShare + testShare",
  );
  assertThrows(
    () => generateSynthetic({ minHistory: 50, maxHistory: 10 }),
    RangeError,
    "minHistory",
  );
  assertThrows(
    () => generateSynthetic({ maxHistory: MAX_HISTORY + 1 }),
    RangeError,
    "maxHistory",
  );
  assertThrows(
    () => generateSynthetic({ splitBy: "user" as "query" }),
    RangeError,
    "splitBy",
  );
  assertThrows(
    () => generateSynthetic({ profile: "huge" as "quick" }),
    RangeError,
    'profile must be one of "quick", "full", got "huge"',
  );
  assertThrows(
    () => generateSynthetic({ nearDupShare: 0.1 } as SyntheticOptions),
    RangeError,
    "nearDupShare is unknown; the options are profile, seed,",
  );
  assertThrows(
    () => generateSynthetic({ seed: 1.5 }),
    RangeError,
    "seed",
  );
});

Deno.test("options resolve over the chosen profile", () => {
  const full = resolveSyntheticOptions({ profile: "full", seed: 3 });
  assertEquals(full.numItems, 20000);
  assertEquals(full.seed, 3);
  assertEquals(full.profile, "full");
  const quick = resolveSyntheticOptions({ queryNoise: undefined });
  assertEquals(quick, { ...SYNTHETIC_PROFILES.quick });
  const f = SYNTHETIC_PROFILES.full;
  assertEquals(f.numItems, 20000);
  assertTrue(Math.round(f.numQueries * f.testShare) >= 2000);
});

Deno.test("vocabulary: unique nouns, private brand words, sound relations", () => {
  const nouns = CATEGORIES.flatMap((c) => c.subCategories.map((s) => s.noun));
  assertEquals(new Set(nouns).size, nouns.length);
  const other = new Set<string>();
  for (const c of CATEGORIES) {
    for (const v of [...c.materials, ...c.sizes, c.name.toLowerCase()]) {
      for (const w of words(v)) other.add(w);
    }
    for (const s of c.subCategories) {
      for (const v of [...s.features, s.noun]) {
        for (const w of words(v)) other.add(w);
      }
    }
  }
  for (const w of COLORS) other.add(w);
  for (const c of CATEGORIES) {
    assertEquals(c.brands.length, 10);
    assertEquals(new Set(c.materials).size, c.materials.length);
    assertEquals(new Set(c.sizes).size, c.sizes.length);
    for (const b of c.brands) {
      assertTrue(/^[a-z]+$/.test(b), b);
      assertTrue(!other.has(b), `brand ${b} is also a vocabulary word`);
    }
    for (const s of c.subCategories) {
      assertTrue(s.features.length >= 2);
      assertEquals(new Set(s.features).size, s.features.length, s.noun);
    }
  }
  const { truth } = generateSyntheticWithTruth({ ...SMALL, numQueries: 10 });
  const inRelation = new Set(COMPLEMENTS.flat());
  for (const n of nouns) {
    assertTrue(inRelation.has(n), `${n} has no complement`);
  }
  truth.complements.forEach((cs, s) => {
    for (const c of cs) assertTrue(truth.complements[c].includes(s));
    assertTrue(!cs.includes(s));
  });
  for (const key of Object.keys(SYNONYMS)) {
    assertTrue(other.has(key), `synonym key ${key} is not a title word`);
    assertTrue(!SYNONYMS[key].includes(key));
  }
});

Deno.test("docs/synthetic_options.md holds the profiles' sizes and the option table", async () => {
  const want = await assertGeneratedDoc(
    new URL("../../docs/synthetic_options.md", import.meta.url),
    syntheticOptionsMarkdown,
  );
  assertEquals([...want.keys()], ["profiles", "options"]);
  assertEquals(
    want.get("options")!.slice(1).map((r) => r[0]),
    Object.keys(SYNTHETIC_OPTIONS).map((n) => `\`${n}\``),
  );
  assertEquals(want.get("profiles")![1].slice(0, 2), ["`quick`", "1500"]);
});
