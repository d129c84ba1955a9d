import {
  assertEquals,
  assertGeneratedDoc,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import type { Dataset } from "../data/mod.ts";
import { userlessSynthetic } from "../fixtures.ts";
import {
  batchesPerEpoch,
  checkConfigAgainstData,
  ConfigError,
  configHash,
  PROFILES,
  QUICK_BUCKETS,
  resolveConfig,
  TRAIN_OPTIONS,
  trainOptionsMarkdown,
  validateConfig,
} from "./config.ts";
import {
  LOSS_DEFAULTS,
  LOSS_KINDS,
  lossOptionsMarkdown,
} from "./loss_options.ts";
import { assertConfigFails } from "./fixtures.ts";

const base = { data: "data/x", tower: { kind: "dssm" } };

Deno.test("resolveConfig fills the quick profile and the loss defaults", () => {
  const c = resolveConfig(base);
  assertEquals(c.profile, "quick");
  assertEquals(c.steps, PROFILES.quick.steps);
  assertEquals(c.epochs, null);
  assertEquals(c.batchSize, 350);
  assertEquals(c.minRelevance, 3);
  assertEquals(c.optimizer.lr, 1e-3);
  assertEquals(c.optimizer.clipNorm, 3);
  assertEquals(c.loss, { kind: "softmax", temperature: 1 / 30, logQ: false });
  assertEquals(c.backend, "auto");
  // The quick profile shrinks hash buckets unless the config sets them.
  const f = (c.tower as { features: { buckets: Record<string, number> } })
    .features;
  assertEquals(f.buckets, { ...QUICK_BUCKETS });
  const own = resolveConfig({
    ...base,
    tower: { kind: "dssm", features: { buckets: { charTrigram: 999 } } },
  });
  assertEquals(
    (own.tower as { features: { buckets: Record<string, number> } }).features
      .buckets.charTrigram,
    999,
  );
  const full = resolveConfig({ ...base, profile: "full" });
  assertEquals(full.epochs, 10);
  assertEquals(full.steps, null);
  assertEquals((full.tower as { features?: unknown }).features, undefined);
});

Deno.test("adaptive loss defaults are the paper's values", () => {
  const m = resolveConfig({ ...base, loss: { kind: "adaptive-margin" } }).loss;
  assertTrue(m.kind === "adaptive-margin");
  assertEquals(m.alpha, 0.5);
  assertEquals(m.delta0, 0.01);
  assertEquals(m.w, 0.05);
  assertEquals(m.symmetric, true);
  assertEquals(m.stopGradient, true);
  assertEquals(m.form, "linear");
  const s = resolveConfig({ ...base, loss: { kind: "adaptive-softmax" } }).loss;
  assertTrue(s.kind === "adaptive-softmax");
  assertEquals(s.tau0, 1 / 30);
  // τ's form is relative, the margin's additive (open choice A1).
  assertEquals(s.form, "multiplicative");
  assertEquals(
    resolveConfig({ ...base, loss: { kind: "dssm-softmax" } }).loss,
    {
      kind: "dssm-softmax",
      gamma: 10,
      negatives: 4,
    },
  );
  const g = resolveConfig({ ...base, loss: { kind: "mgdspr" } }).loss;
  assertTrue(g.kind === "mgdspr");
  assertEquals(g.temperature, 2);
});

Deno.test("resolveConfig is idempotent and JSON round-trips", () => {
  const c = resolveConfig({
    ...base,
    loss: { kind: "adaptive-softmax", alpha: 0.3 },
    epochs: 3,
  });
  assertEquals(resolveConfig(c), c);
  assertEquals(resolveConfig(JSON.parse(JSON.stringify(c))), c);
});

Deno.test("validation errors name the field", () => {
  assertConfigFails(
    { ...base, loss: { kind: "hinge" } },
    "loss.kind",
    /"margin"/,
  );
  assertConfigFails(
    { ...base, tower: { kind: "bert" } },
    "tower.kind",
    /dssm, mgdspr/,
  );
  assertConfigFails(
    { ...base, tower: { kind: "dssm", hidden: "x" } },
    "tower",
    /hidden/,
  );
  assertConfigFails({ ...base, batchSize: 1 }, "batchSize", /at least 2/);
  assertConfigFails({ ...base, batchSize: 2.5 }, "batchSize");
  assertConfigFails({ ...base, optimizer: { lr: 0 } }, "optimizer.lr", /> 0/);
  assertConfigFails({ ...base, optimizer: { lr: -1 } }, "optimizer.lr");
  assertConfigFails(
    { ...base, optimizer: { momentum: 0.9 } },
    "optimizer.momentum",
    /unknown/,
  );
  assertConfigFails({ ...base, lr: 0.1 }, "lr", /is unknown; the options are/);
  assertConfigFails({ ...base, steps: 10, epochs: 1 }, "steps", /not both/);
  assertConfigFails({ ...base, steps: -1 }, "steps");
  assertConfigFails(
    { ...base, loss: { kind: "margin", tau: 1 } },
    "loss.tau",
    /margin/,
  );
  assertConfigFails(
    { ...base, loss: { kind: "margin", margin: "big" } },
    "loss.margin",
  );
  assertConfigFails(
    { ...base, loss: { kind: "softmax", temperature: 0 } },
    "loss.temperature",
  );
  assertConfigFails(
    { ...base, loss: { kind: "adaptive-margin", combine: "convex", w: 2 } },
    "loss.w",
  );
  assertConfigFails(
    { ...base, loss: { kind: "mgdspr", mixLow: 0.7 } },
    "loss.mixLow",
  );
  assertConfigFails({ ...base, profile: "huge" }, "profile");
  assertConfigFails({ ...base, backend: "gpu" }, "backend");
  assertConfigFails({ ...base, minRelevance: 4 }, "minRelevance");
  assertConfigFails({ tower: { kind: "dssm" } }, "data");
  assertConfigFails({ data: "x" }, "tower");
  assertConfigFails([], "(root)");
});

Deno.test("checks against the data: users, pairs, towers, sampled negatives", () => {
  const noUsers = userlessSynthetic(3, { numItems: 200, numQueries: 300 });
  const mg = validateConfig({ data: "x", tower: { kind: "mgdspr" } }, {
    dataset: noUsers,
  });
  assertTrue(
    mg.warnings.some((w) => w.includes("zero vector")),
    mg.warnings.join(),
  );
  assertEquals(
    (checkConfigAgainstData(
      resolveConfig({ data: "x", tower: { kind: "mgdspr" } }),
      noUsers,
    )
      .tower as { numItems: number }).numItems,
    200,
  );
  const empty = {
    ...noUsers,
    pairs: {
      ...noUsers.pairs,
      relevance: new Int8Array(noUsers.pairs.relevance.length),
    },
  };
  // Config (less `data`), dataset, the message's text if checked, the field.
  const refused: [object, Dataset, RegExp | undefined, string][] = [
    [
      { tower: { kind: "plain", userHistory: true } },
      noUsers,
      /no users table/,
      "tower.userHistory",
    ],
    [
      { tower: { kind: "dpsr" }, loss: { kind: "mgdspr" } },
      noUsers,
      undefined,
      "loss.kind",
    ],
    [
      {
        tower: { kind: "dssm" },
        loss: { kind: "dpsr-hinge", randomNegatives: 500 },
      },
      noUsers,
      undefined,
      "loss.randomNegatives",
    ],
    [{ tower: { kind: "dssm" } }, empty, /training pair/, "minRelevance"],
  ];
  for (const [input, data, message, field] of refused) {
    const err = assertThrows(
      () =>
        checkConfigAgainstData(resolveConfig({ data: "x", ...input }), data),
      ConfigError,
      message,
    );
    assertEquals(err.field, field);
  }
});

Deno.test("batchesPerEpoch: whole batches when there is one, else one batch of all", () => {
  assertEquals(batchesPerEpoch(10, 4), 2);
  assertEquals(batchesPerEpoch(8, 4), 2);
  assertEquals(batchesPerEpoch(3, 4), 1);
});

Deno.test("configHash: 12 hex digits, independent of key order, sensitive to values", () => {
  const a = resolveConfig({
    data: "d",
    tower: { kind: "plain", dim: 64 },
    seed: 2,
  });
  const b = resolveConfig({
    seed: 2,
    tower: { dim: 64, kind: "plain" },
    data: "d",
  });
  const h = configHash(a);
  assertTrue(/^[0-9a-f]{12}$/.test(h), h);
  assertEquals(configHash(b), h);
  assertTrue(configHash(resolveConfig({ ...a, seed: 3 })) !== h);
  assertTrue(
    configHash(
      resolveConfig({ ...a, optimizer: { ...a.optimizer, lr: 0.002 } }),
    ) !== h,
  );
});

Deno.test("a non-finite number (JSON 1e999) is reported as such, with the option path", () => {
  // JSON.parse turns 1e999 into Infinity; JSON.stringify would print null.
  const input = JSON.parse(
    '{"data":"d","tower":{"kind":"dssm"},"loss":{"kind":"adaptive-margin","alpha":1e999}}',
  );
  assertConfigFails(input, "loss.alpha", "got Infinity");
  assertConfigFails(
    { ...base, optimizer: { lr: -Infinity } },
    "optimizer.lr",
    "-Infinity",
  );
  assertConfigFails({ ...base, seed: NaN }, "seed", "got NaN");
  const err = assertThrows(
    () => resolveConfig({ ...base, tower: { kind: "dssm", dim: Infinity } }),
    ConfigError,
    "got Infinity",
  );
  assertTrue(err.message.includes("dim"), err.message);
});

Deno.test("null is refused for an option instead of meaning its default", () => {
  assertConfigFails(
    { ...base, loss: { kind: "adaptive-margin", alpha: null } },
    "loss.alpha",
    "is null",
  );
  assertConfigFails(
    { ...base, optimizer: { lr: null } },
    "optimizer.lr",
    "is null",
  );
  assertConfigFails({ ...base, batchSize: null }, "batchSize", "is null");
  assertConfigFails(
    { ...base, tower: { kind: "dssm", dim: null } },
    "tower.dim",
    "is null",
  );
  assertConfigFails(
    { ...base, tower: { kind: "dssm", features: { buckets: { word: null } } } },
    "tower.features.buckets.word",
    "is null",
  );
  // steps/epochs: null is how a resolved config says "given in the other".
  assertEquals(resolveConfig({ ...base, steps: 5, epochs: null }).steps, 5);
});

Deno.test("docs/loss_options.md holds the option tables of LOSS_DEFAULTS", async () => {
  const want = await assertGeneratedDoc(
    new URL("../../docs/loss_options.md", import.meta.url),
    lossOptionsMarkdown,
  );
  assertEquals([...want.keys()], [...LOSS_KINDS]);
  for (const kind of LOSS_KINDS) {
    assertEquals(
      want.get(kind)!.slice(1).map((r) => r[0]),
      Object.keys(LOSS_DEFAULTS[kind]).map((n) => `\`${n}\``),
    );
  }
});

Deno.test("docs/train_options.md holds the profiles and the option tables of the training config", async () => {
  const want = await assertGeneratedDoc(
    new URL("../../docs/train_options.md", import.meta.url),
    trainOptionsMarkdown,
  );
  assertEquals([...want.keys()], [
    "profiles",
    "config",
    "optimizer",
    "earlyStopping",
  ]);
  assertEquals(
    want.get("config")!.slice(1).map((r) => r[0]),
    Object.keys(TRAIN_OPTIONS).map((n) => `\`${n}\``),
  );
  // The quick profile's 40 steps, from PROFILES.
  assertEquals(want.get("profiles")![1].slice(0, 2), ["`quick`", "40"]);
});

Deno.test("one declaration per option: the config's defaults are the losses' own", () => {
  // The same spec objects, so a default is written once.
  assertTrue(
    LOSS_DEFAULTS["adaptive-margin"].alpha ===
      LOSS_DEFAULTS["adaptive-softmax"].alpha,
  );
  assertTrue(
    LOSS_DEFAULTS.margin.margin === LOSS_DEFAULTS["dpsr-hinge"].margin,
  );
  assertTrue(
    LOSS_DEFAULTS["adaptive-margin"].w === LOSS_DEFAULTS["adaptive-softmax"].w,
  );
  // Every default passes its own checks.
  for (const kind of LOSS_KINDS) {
    resolveConfig({ ...base, loss: { kind } });
  }
});
