import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import type { TowerConfigInput } from "./config.ts";
import { createTower } from "./create.ts";
import { TINY_FEATURES, tinyDataset } from "./fixtures.ts";
import { reversedItems } from "../fixtures.ts";
import type { TowerInputs } from "./inputs.ts";
import type { PaddedIds } from "../features/mod.ts";
import type { TwoTowerModel } from "./model.ts";

const CONFIGS: TowerConfigInput[] = [
  { kind: "dssm", features: TINY_FEATURES, hidden: [16, 12], dim: 8 },
  { kind: "mgdspr", features: TINY_FEATURES, dim: 8, heads: 2 },
  {
    kind: "dpsr",
    features: TINY_FEATURES,
    dim: 8,
    embedDim: 6,
    hidden: 10,
    heads: 3,
  },
  {
    kind: "plain",
    features: TINY_FEATURES,
    dim: 8,
    embedDim: 6,
    hidden: [10],
    userHistory: true,
  },
];

const ALL_Q = Int32Array.from([0, 1, 2, 3]);
const ALL_I = Int32Array.from([0, 1, 2, 3, 4]);

function build(config: TowerConfigInput, seed = 1) {
  const ds = tinyDataset();
  const model = createTower(config, { seed, dataset: ds });
  return { ds, model, inputs: model.prepare(ds) };
}

function outputs(model: TwoTowerModel, inputs: TowerInputs) {
  const q = model.encodeQueries(inputs, ALL_Q);
  const v = model.encodeItems(inputs, ALL_I);
  const out = { q: q.dataSync().slice(), v: v.dataSync().slice() };
  tf.dispose([q, v]);
  return out;
}

/** A lookup table of the tower and the rows of it that `rows` touch. */
function usedRows(
  kind: string,
  inputs: TowerInputs,
  rows: Int32Array,
): [string, Set<number>] {
  const used = new Set<number>();
  const add = (p: PaddedIds) => {
    for (const r of rows) {
      for (let t = 0; t < p.lengths[r]; t++) used.add(p.ids[r * p.maxLen + t]);
    }
  };
  switch (kind) {
    case "dssm":
      add(inputs.queries.charTrigram);
      return ["query/w1", used];
    case "dpsr":
      // Shared word table: query words and every item field's words.
      add(inputs.queries.word);
      for (const key of ["title:word", "brand:word", "category:word"]) {
        add(inputs.items[key]);
      }
      return ["query/word", used];
    default:
      // Item-id table: the batch's items (item_id + 1) and its users'
      // histories.
      for (const r of rows) used.add(inputs.itemIds[r] + 1);
      add(inputs.queries.history);
      return ["item/id", used];
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** −mean of the diagonal of a square score matrix. */
function diagLoss(s: tf.Tensor2D): tf.Scalar {
  return tf.div(tf.neg(tf.sum(tf.mul(s, tf.eye(s.shape[0])))), s.shape[0]);
}

/** In-batch softmax over all 5 items; query b's positive is item b. */
function softmaxLoss(model: TwoTowerModel, inputs: TowerInputs): tf.Scalar {
  const q = model.encodeQueries(inputs, ALL_Q);
  const v = model.encodeItems(inputs, ALL_I);
  const logits = tf.div(model.scores(q, v), 0.1);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 5);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
}

for (const config of CONFIGS) {
  const k = config.kind;

  Deno.test(`${k}: output shapes, unit norms, scores`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const { model, inputs } = build(config);
    const before = tf.memory().numTensors;
    const q = model.encodeQueries(inputs, ALL_Q, { training: true });
    const v = model.encodeItems(inputs, ALL_I);
    const d = model.dim;
    assertEquals(d, 8);
    assertEquals(q.shape, [4, model.heads * d]);
    assertEquals(v.shape, [5, d]);
    const norms = (x: Float32Array, blocks: number) => {
      const out: number[] = [];
      for (let b = 0; b < blocks; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += x[b * d + j] ** 2;
        out.push(Math.sqrt(s));
      }
      return out;
    };
    const qn = norms(q.dataSync() as Float32Array, 4 * model.heads);
    assertClose(qn, qn.map(() => 1), 1e-5);
    assertClose(norms(v.dataSync() as Float32Array, 5), [1, 1, 1, 1, 1], 1e-5);
    const s = model.scores(q, v);
    assertEquals(s.shape, [4, 5]);
    if (k !== "dpsr") {
      const ref = tf.matMul(q, v, false, true);
      assertClose(s.dataSync(), ref.dataSync(), 1e-6);
      ref.dispose();
    }
    tf.dispose([q, v, s]);
    assertEquals(tf.memory().numTensors, before, "no tensor leak");
    model.dispose();
  });

  Deno.test(`${k}: same seed same outputs, other seed other outputs`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const a = build(config, 7);
    const b = build(config, 7);
    const c = build(config, 8);
    const oa = outputs(a.model, a.inputs);
    const ob = outputs(b.model, b.inputs);
    const oc = outputs(c.model, c.inputs);
    assertEquals(oa.q, ob.q);
    assertEquals(oa.v, ob.v);
    assertTrue(maxAbsDiff(oa.q, oc.q) > 1e-3, "seed changes queries");
    assertTrue(maxAbsDiff(oa.v, oc.v) > 1e-3, "seed changes items");
    assertEquals(a.model.config, c.model.config);
    // The resolved config is JSON and rebuilds the same model.
    const again = createTower(
      JSON.parse(JSON.stringify(a.model.config)) as TowerConfigInput,
      { seed: 7 },
    );
    assertEquals(outputs(again, a.inputs).q, oa.q);
    for (const m of [a.model, b.model, c.model, again]) m.dispose();
  });

  Deno.test(`${k}: every variable gets a finite non-zero gradient`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const { model, inputs } = build(config);
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const q = model.encodeQueries(inputs, ALL_Q);
        const v = model.encodeItems(inputs, ALL_Q);
        return diagLoss(model.scores(q, v));
      }) as tf.Scalar, model.variables());
    for (const variable of model.variables()) {
      const g = grads[variable.name];
      assertTrue(g !== undefined, `${variable.name} has a gradient`);
      assertEquals(g.shape, variable.shape);
      const data = g.dataSync();
      assertTrue(data.every(Number.isFinite), `${variable.name} finite`);
      assertTrue(data.some((x) => x !== 0), `${variable.name} non-zero`);
    }
    tf.dispose(grads);
    value.dispose();
    model.dispose();
  });

  Deno.test(`${k}: table rows unused by the batch get a zero gradient`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const { model, inputs } = build(config);
    const rows = Int32Array.from([0, 2]);
    const [table, used] = usedRows(k, inputs, rows);
    const variable = model.variables().find((v) =>
      v.name.endsWith("/" + table)
    )!;
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() =>
        diagLoss(
          model.scores(
            model.encodeQueries(inputs, rows),
            model.encodeItems(inputs, rows),
          ),
        )
      ), model.variables());
    const g = grads[variable.name].dataSync();
    const D = variable.shape[1]!;
    const V = variable.shape[0];
    assertTrue(
      used.size > 0 && used.size < V,
      `${used.size} of ${V} rows used`,
    );
    for (let r = 0; r < V; r++) {
      const row = g.subarray(r * D, (r + 1) * D);
      if (used.has(r)) assertTrue(row.some((x) => x !== 0), `row ${r} used`);
      else assertTrue(row.every((x) => x === 0), `row ${r} unused`);
    }
    tf.dispose(grads);
    value.dispose();
    model.dispose();
  });

  Deno.test(`${k}: getWeights/setWeights round trip`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const a = build(config, 1);
    const b = build(config, 2);
    const w = a.model.getWeights();
    JSON.stringify(Object.keys(w));
    b.model.setWeights(w);
    assertEquals(outputs(b.model, b.inputs), outputs(a.model, a.inputs));
    const name = Object.keys(w)[0];
    const missing = { ...w };
    delete missing[name];
    assertThrows(
      () => b.model.setWeights(missing),
      RangeError,
      `'${name}' is missing`,
    );
    const bad = { ...w, [name]: { shape: [1], data: new Float32Array(1) } };
    assertThrows(
      () => b.model.setWeights(bad),
      RangeError,
      `weight '${name}' has shape`,
    );
    const extra = { ...w, nope: { shape: [1], data: new Float32Array(1) } };
    assertThrows(
      () => b.model.setWeights(extra),
      RangeError,
      "unknown weight 'nope'",
    );
    a.model.dispose();
    b.model.dispose();
  });

  Deno.test(`${k}: 30 Adam steps lower an in-batch softmax loss`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const { model, inputs } = build(config, 3);
    const opt = tf.train.adam(0.01);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const { value, grads } = tf.variableGrads(
        () => softmaxLoss(model, inputs),
        model.variables(),
      );
      // Adam types its argument as variables; gradients work at runtime.
      opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
      losses.push(value.dataSync()[0]);
      tf.dispose(grads);
      value.dispose();
    }
    opt.dispose();
    const [first, last] = [losses[0], losses[losses.length - 1]];
    assertTrue(last < 0.5 * first, `loss ${first} → ${last}`);
    model.dispose();
  });

  Deno.test(`${k}: bad inputs are refused with a clear error`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const { model, inputs } = build(config);
    assertThrows(
      () => model.encodeQueries(inputs, Int32Array.from([0, 4])),
      RangeError,
      "row 4 at position 1 is outside [0, 4)",
    );
    assertThrows(
      () => model.encodeItems(inputs, Int32Array.from([-1])),
      RangeError,
      "outside [0, 5)",
    );
    const other = CONFIGS.find((c) => c.kind !== k)!;
    const o = build(other);
    assertThrows(
      () => model.encodeItems(o.inputs, ALL_I),
      RangeError,
      "call prepare() of this model",
    );
    o.model.dispose();
    model.dispose();
    assertThrows(() => model.variables(), Error, "disposed");
  });
}

Deno.test("towers with an item-id table refuse item ids past its end", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const model = createTower(
    { kind: "mgdspr", features: TINY_FEATURES, dim: 8, numItems: 6 },
  );
  assertThrows(
    () => model.prepare(tinyDataset()),
    RangeError,
    "config.numItems = 6 rows (item_id 0–5), but dataset 'tiny-towers' has item_id 10 (items row 0)",
  );
  model.dispose();
  // Fewer items than the table is fine: the ids still have their rows.
  const wide = createTower(
    { kind: "plain", features: TINY_FEATURES, dim: 8, numItems: 20 },
  );
  assertEquals(wide.prepare(tinyDataset()).itemIds, tinyDataset().items.itemId);
  wide.dispose();
});

Deno.test("a dataset without users: histories are empty, towers still run", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const ds = tinyDataset();
  delete ds.users;
  for (const config of CONFIGS) {
    const model = createTower(config, { seed: 1, dataset: ds });
    const inputs = model.prepare(ds);
    if (inputs.queries.history) {
      assertEquals(Array.from(inputs.queries.history.lengths), [0, 0, 0, 0]);
    }
    const q = model.encodeQueries(inputs, ALL_Q);
    assertTrue(q.dataSync().every(Number.isFinite));
    q.dispose();
    model.dispose();
  }
});

Deno.test("item-id tables and histories are keyed by item_id, not by table row", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const a = tinyDataset();
  const b = reversedItems(tinyDataset());
  for (const config of CONFIGS.filter((c) => c.kind !== "dssm")) {
    const model = createTower(config, { seed: 1, dataset: a });
    const [ia, ib] = [model.prepare(a), model.prepare(b)];
    // Same queries, same users: a query's history must not depend on where
    // its items sit in items.arrow.
    const qa = model.encodeQueries(ia, ALL_Q);
    const qb = model.encodeQueries(ib, ALL_Q);
    assertClose(qb.dataSync(), qa.dataSync(), 1e-6, `${config.kind} queries`);
    // Item with id 10 is row 0 of a and row 4 of b: one vector.
    const va = model.encodeItems(ia, ALL_I);
    const vb = model.encodeItems(ib, Int32Array.from([4, 3, 2, 1, 0]));
    assertClose(vb.dataSync(), va.dataSync(), 1e-6, `${config.kind} items`);
    tf.dispose([qa, qb, va, vb]);
    model.dispose();
  }
});
