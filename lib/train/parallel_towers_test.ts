import { SMALL_TOWERS, smallSynthetic } from "../fixtures.ts";
import { assertEquals, assertTrue } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import { createTower } from "../towers/mod.ts";
import type { TrainConfigInput } from "./config.ts";
import { towerSides, workSplit } from "./parallel_towers.ts";
import { train } from "./train.ts";
import { trainUntil } from "./fixtures.ts";

// Two towers in two workers must give the one-thread loop's numbers bit
// for bit: same kernels, same order (see parallel_towers.ts).

const ds = smallSynthetic(5, { numUsers: 30 });

async function run(
  cfg: Record<string, unknown>,
  options: { threads: number; steps: number; resumeAt?: number },
) {
  const dir = await Deno.makeTempDir({ prefix: "parallel_towers_test_" });
  try {
    const config = {
      data: "memory",
      batchSize: 40,
      steps: options.steps,
      evalEvery: 3,
      checkpointEvery: options.resumeAt ?? 0,
      backend: "wasm",
      ...cfg,
    } as TrainConfigInput;
    const common = { dataset: ds, outDir: dir, quiet: true, keepModel: true };
    if (options.resumeAt) {
      // Stop after the first checkpoint, then resume.
      await trainUntil(config, {
        ...common,
        keepModel: false,
        threads: options.threads,
        stopAfter: options.resumeAt,
      });
    }
    const r = await train(config, {
      ...common,
      threads: options.threads,
      resume: options.resumeAt !== undefined,
    });
    assertEquals(r.threads, options.threads, "the parallel path ran");
    const split = options.threads > 1 ? r.split : null;
    const weights = r.model!.getWeights();
    r.model!.dispose();
    const steps = await Deno.readTextFile(`${dir}/eval.json`);
    return {
      log: r.log,
      weights,
      eval: JSON.parse(steps).batchRecall,
      split,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertSame(
  a: Awaited<ReturnType<typeof run>>,
  b: Awaited<ReturnType<typeof run>>,
  what: string,
) {
  assertEquals(
    b.log.map((r) => [r.step, r.loss, r.gradNorm]),
    a.log.map((r) => [r.step, r.loss, r.gradNorm]),
    `${what}: losses and gradient norms`,
  );
  for (const [name, w] of Object.entries(a.weights)) {
    assertTrue(
      w.data.every((x, i) => x === b.weights[name].data[i]),
      `${what}: weight ${name} differs`,
    );
  }
  assertEquals(b.eval, a.eval, `${what}: eval.json`);
}

const dssm = SMALL_TOWERS.dssm;
const CASES: [string, Record<string, unknown>][] = [
  ["dssm, adaptive margin", { tower: dssm, loss: { kind: "adaptive-margin" } }],
  [
    "dssm, adaptive softmax with trainable α and τ0 (weights on the loss side)",
    { tower: dssm, loss: { kind: "adaptive-softmax", trainable: true } },
  ],
  [
    "dssm, Adap-τ (encodes everything at each epoch's start)",
    { tower: dssm, loss: { kind: "adap-tau", warmupEpochs: 0 } },
  ],
  [
    "plain with separate tables, fixed softmax",
    {
      tower: { ...SMALL_TOWERS.plain, shareEmbeddings: false },
      loss: { kind: "softmax" },
    },
  ],
];

for (const [what, cfg] of CASES) {
  Deno.test(`parallel towers: ${what} — 2 workers give the one-thread numbers bit for bit`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const one = await run(cfg, { threads: 1, steps: 7 });
    const two = await run(cfg, { threads: 2, steps: 7 });
    assertSame(one, two, what);
  });
}

Deno.test("parallel towers: a run resumed from a checkpoint continues exactly", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const cfg = { tower: dssm, loss: { kind: "adaptive-margin" } };
  const one = await run(cfg, { threads: 1, steps: 7 });
  const resumed = await run(cfg, { threads: 2, steps: 7, resumeAt: 4 });
  assertSame(one, resumed, "resumed at step 4");
});

Deno.test("parallel towers: lazy tables train on two workers (the clipping norm may differ in its last bit)", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const cfg = {
    tower: dssm,
    loss: { kind: "adaptive-margin" },
    optimizer: { tables: "lazy" },
  };
  const one = await run(cfg, { threads: 1, steps: 5 });
  const two = await run(cfg, { threads: 2, steps: 5 });
  one.log.forEach((r, i) => {
    const o = two.log[i];
    assertTrue(Math.abs(o.loss - r.loss) <= 1e-5 * Math.abs(r.loss), "loss");
    assertTrue(
      Math.abs(o.gradNorm - r.gradNorm) <= 1e-5 * r.gradNorm,
      "gradient norm",
    );
  });
});

Deno.test("towerSides: separate towers split by name; shared weights cannot be split", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const sep = createTower(dssm as never, { seed: 1, dataset: ds });
  const sides = towerSides(sep, sep.prepare(ds))!;
  assertEquals(sides.query.every((n) => n.startsWith("query/")), true);
  assertEquals(sides.item.every((n) => n.startsWith("item/")), true);
  assertEquals(
    sides.query.length + sides.item.length,
    Object.keys(sep.getWeights()).length,
  );
  sep.dispose();
  const shared = createTower(
    { ...dssm, shared: true } as never,
    { seed: 1, dataset: ds },
  );
  assertEquals(towerSides(shared, shared.prepare(ds)), null);
  shared.dispose();
});

// Towers that share weights train on halves of each batch: the same
// model up to float rounding (a weight's gradient is the sum of two
// half-batch sums), and a resume continues exactly.
function assertClose(
  a: Awaited<ReturnType<typeof run>>,
  b: Awaited<ReturnType<typeof run>>,
  what: string,
  tolerance: number,
) {
  a.log.forEach((r, i) => {
    const o = b.log[i];
    const near = (x: number, y: number) =>
      Math.abs(x - y) <= tolerance * Math.max(Math.abs(x), Math.abs(y));
    assertTrue(
      near(o.loss, r.loss),
      `${what}: loss at step ${r.step}: ${o.loss} vs ${r.loss}`,
    );
    assertTrue(near(o.gradNorm, r.gradNorm), `${what}: norm at ${r.step}`);
  });
  let worst = 0;
  for (const [name, w] of Object.entries(a.weights)) {
    const v = b.weights[name].data;
    w.data.forEach((x, i) => {
      worst = Math.max(worst, Math.abs(x - v[i]));
    });
  }
  // Adam moves a weight by about lr = 1e-3 a step; rounding by far less.
  assertTrue(worst < 1e-4, `${what}: weights differ by up to ${worst}`);
}

const HALVES: [string, Record<string, unknown>][] = [
  ["mgdspr (item-id table in both towers)", {
    tower: SMALL_TOWERS.mgdspr,
    loss: { kind: "adaptive-margin" },
  }],
  ["dpsr, lazy tables", {
    tower: SMALL_TOWERS.dpsr,
    loss: { kind: "adaptive-softmax" },
    optimizer: { tables: "lazy" },
  }],
  ["dssm with shared towers, trainable α", {
    tower: { ...dssm, shared: true },
    loss: { kind: "adaptive-margin", trainable: true },
  }],
];

for (const [what, cfg] of HALVES) {
  Deno.test(`parallel towers, halves: ${what} — the one-thread numbers up to rounding`, async () => {
    await initBackend({ backend: "wasm", quiet: true });
    const one = await run(cfg, { threads: 1, steps: 6 });
    const two = await run(cfg, { threads: 2, steps: 6 });
    assertEquals(two.split, "halves");
    assertClose(one, two, what, 1e-4);
  });
}

Deno.test("parallel towers, halves: a resumed run continues exactly (lazy tables)", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const cfg = {
    tower: SMALL_TOWERS.mgdspr,
    loss: { kind: "adaptive-margin" },
    optimizer: { tables: "lazy" },
  };
  const straight = await run(cfg, { threads: 2, steps: 7 });
  const resumed = await run(cfg, { threads: 2, steps: 7, resumeAt: 4 });
  assertSame(straight, resumed, "halves resumed at step 4");
});

Deno.test("workSplit: separate towers by tower; shared weights by halves, balanced by size", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const model = createTower(SMALL_TOWERS.mgdspr as never, {
    seed: 1,
    dataset: ds,
  });
  const split = workSplit(model, model.prepare(ds));
  assertEquals(split.mode, "halves");
  const sizes = new Map(
    Object.entries(model.getWeights()).map(([n, w]) => [n, w.data.length]),
  );
  const load = split.owned.map((names) =>
    names.reduce((a, n) => a + sizes.get(n)!, 0)
  );
  assertEquals(
    [...split.owned[0], ...split.owned[1]].sort(),
    [...split.order].sort(),
    "every weight has one owner",
  );
  assertTrue(
    Math.abs(load[0] - load[1]) <= Math.max(...sizes.values()),
    `loads ${load}`,
  );
  model.dispose();
  const sep = createTower(dssm as never, { seed: 1, dataset: ds });
  assertEquals(workSplit(sep, sep.prepare(ds)).mode, "towers");
  sep.dispose();
});
