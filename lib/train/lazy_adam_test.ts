import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { SMALL_TOWERS, SMALLER_SIZES, smallSynthetic } from "../fixtures.ts";
import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { LazyTableAdam } from "./lazy_adam.ts";
import { train } from "./train.ts";
import { configHash, resolveConfig, type TrainConfigInput } from "./config.ts";

const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

// Adam in float64 for one row element, over a gradient sequence.
function adamRef(x: number, gs: number[]): number {
  let m = 0, v = 0;
  gs.forEach((g, i) => {
    const t = i + 1;
    m = opts.beta1 * m + (1 - opts.beta1) * g;
    v = opts.beta2 * v + (1 - opts.beta2) * g * g;
    const mh = m / (1 - opts.beta1 ** t);
    const vh = v / (1 - opts.beta2 ** t);
    x -= opts.lr * mh / (Math.sqrt(vh) + opts.epsilon);
  });
  return x;
}

Deno.test("lazy Adam: touched rows follow Adam, untouched rows and their moments stay", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const x0 = Array.from({ length: 12 }, (_, i) => 0.1 * i - 0.5);
  const table = tf.variable(tf.tensor2d(x0, [4, 3]), true);
  const adam = new LazyTableAdam({ t: table }, opts);
  const g1 = [0.3, -0.2, 0.1, 1, 2, -3]; // rows 2 and 0
  adam.apply(
    new Map([["t", {
      ids: Int32Array.from([2, 0]),
      rows: Float32Array.from(g1),
      dim: 3,
    }]]),
  );
  // Step 2: row 0 only, clipped by half.
  const g2 = [0.5, 0.5, -0.5];
  adam.apply(
    new Map([["t", {
      ids: Int32Array.from([0]),
      rows: Float32Array.from(g2),
      dim: 3,
    }]]),
    { scale: 0.5 },
  );
  const x = table.dataSync();
  for (let j = 0; j < 3; j++) {
    // Row 0: two updates, the second with the step-2 bias corrections.
    assertClose([x[j]], [adamRef(x0[j], [g1[3 + j], 0.5 * g2[j]])], 1e-6);
    // Row 2: its step-1 update only (dense Adam would move it again).
    assertClose([x[6 + j]], [adamRef(x0[6 + j], [g1[j]])], 1e-6);
    // Rows 1 and 3: untouched, exactly.
    assertEquals(x[3 + j], Math.fround(x0[3 + j]));
    assertEquals(x[9 + j], Math.fround(x0[9 + j]));
  }
  const st = adam.getState();
  assertEquals(Array.from(st.m.t.data.slice(3, 6)), [0, 0, 0]);
  assertTrue(st.m.t.data[6] !== 0 && st.v.t.data[0] !== 0);
  assertEquals(
    st.accBeta1,
    Math.fround(
      Math.fround(Math.fround(0.9) * Math.fround(0.9)) * Math.fround(0.9),
    ),
  );
  assertThrows(
    () => adam.setState({ ...st, m: {} }),
    RangeError,
    "m of table 't' is missing",
  );
  table.dispose();
});

Deno.test("lazy Adam: one step equals tfjs' dense Adam bit for bit", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const x0 = Array.from({ length: 20 }, (_, i) => Math.sin(i));
  const a = tf.variable(tf.tensor2d(x0, [5, 4]), true);
  const b = tf.variable(tf.tensor2d(x0, [5, 4]), true);
  const ids = Int32Array.from([4, 1]);
  const rows = Float32Array.from({ length: 8 }, (_, i) => Math.cos(3 * i));
  const dense = new Float32Array(20);
  ids.forEach((id, r) => dense.set(rows.subarray(4 * r, 4 * r + 4), 4 * id));
  const scale = Math.fround(0.37);
  const tfAdam = tf.train.adam(opts.lr, opts.beta1, opts.beta2, opts.epsilon);
  tf.tidy(() =>
    tfAdam.applyGradients([{
      name: a.name,
      tensor: tf.mul(tf.tensor2d(dense, [5, 4]), scale),
    }])
  );
  new LazyTableAdam({ b }, opts).apply(
    new Map([["b", { ids, rows, dim: 4 }]]),
    { scale },
  );
  assertEquals(Array.from(b.dataSync()), Array.from(a.dataSync()));
  tfAdam.dispose();
  a.dispose();
  b.dispose();
});

const ds = smallSynthetic(3, SMALLER_SIZES);
const TOWERS: Record<string, Record<string, unknown>> = {
  ...SMALL_TOWERS,
  plain: { ...SMALL_TOWERS.plain, itemIdEmbedding: true },
};

for (const [kind, tower] of Object.entries(TOWERS)) {
  Deno.test(`lazy Adam: after one step a ${kind} tower equals dense Adam's; later the tables differ`, async () => {
    const run = async (tables: "dense" | "lazy", steps: number) => {
      const dir = await Deno.makeTempDir({ prefix: "lazy_adam_test_" });
      try {
        const cfg = {
          data: "memory",
          tower,
          loss: { kind: "adaptive-margin" },
          batchSize: 50,
          steps,
          checkpointEvery: 0,
          backend: "wasm",
          optimizer: { tables },
        } as TrainConfigInput;
        const r = await train(cfg, {
          dataset: ds,
          outDir: dir,
          quiet: true,
          keepModel: true,
        });
        const w = r.model!.getWeights();
        const sparse = r.model!.rowSparse();
        r.model!.dispose();
        return { w, sparse, log: r.log };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    };
    const [d1, l1] = [await run("dense", 1), await run("lazy", 1)];
    assertTrue(l1.sparse.length > 0, `${kind} declares no row-sparse table`);
    assertEquals(l1.log[0].loss, d1.log[0].loss);
    // Same norm up to summation order.
    assertClose(
      [l1.log[0].gradNorm],
      [d1.log[0].gradNorm],
      1e-6 * d1.log[0].gradNorm,
    );
    for (const [name, v] of Object.entries(d1.w)) {
      // A table wrongly declared row-sparse (read by a dense op too) would
      // lose that gradient here.
      assertClose(l1.w[name].data, v.data, 1e-6, `${kind} ${name}`);
    }
    const [d3, l3] = [await run("dense", 3), await run("lazy", 3)];
    const moved = l3.sparse.some((n) =>
      l3.w[n].data.some((x, i) => x !== d3.w[n].data[i])
    );
    assertTrue(moved, `${kind}: lazy and dense Adam agree after 3 steps`);
  });
}

Deno.test("config: optimizer.tables — dense is left out of the hash, lazy is in it, bad values named", async () => {
  const base = {
    data: "d",
    tower: { kind: "dssm" },
    loss: { kind: "margin" },
  } as TrainConfigInput;
  const plain = resolveConfig(base);
  const dense = resolveConfig(
    { ...base, optimizer: { tables: "dense" } } as TrainConfigInput,
  );
  const lazy = resolveConfig(
    { ...base, optimizer: { tables: "lazy" } } as TrainConfigInput,
  );
  assertEquals("tables" in plain.optimizer, false);
  assertEquals(await configHash(dense), await configHash(plain));
  assertTrue((await configHash(lazy)) !== (await configHash(plain)));
  assertThrows(
    () =>
      resolveConfig(
        {
          ...base,
          optimizer: { tables: "sparse" },
        } as unknown as TrainConfigInput,
      ),
    Error,
    'config.optimizer.tables: must be one of "dense", "lazy"',
  );
});
