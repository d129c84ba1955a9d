import { DEFAULT_FEATURE_CONFIG } from "../features/mod.ts";
import { assertEquals, assertGeneratedDoc, assertThrows } from "../testing.ts";
import {
  TOWER_KINDS,
  TOWER_OPTIONS,
  towerConfig,
  type TowerConfigInput,
  towerOptionsMarkdown,
} from "./config.ts";
import { tinyDataset } from "./fixtures.ts";

Deno.test("towerConfig: defaults of each kind", () => {
  const features = structuredClone(DEFAULT_FEATURE_CONFIG);
  assertEquals(towerConfig({ kind: "dssm" }), {
    kind: "dssm",
    dim: 128,
    features,
    hidden: [300, 300],
    shared: false,
    itemFields: ["title", "brand", "category"],
  });
  assertEquals(towerConfig({ kind: "mgdspr", numItems: 9 }), {
    kind: "mgdspr",
    dim: 128,
    features,
    heads: 2,
    numItems: 9,
    historyLen: 100,
    shareEmbeddings: true,
    itemFields: ["title"],
  });
  assertEquals(towerConfig({ kind: "dpsr" }), {
    kind: "dpsr",
    dim: 128,
    features,
    heads: 4,
    beta: 0.1,
    embedDim: 64,
    hidden: 256,
    families: ["charTrigram", "word"],
    itemFields: ["title", "brand", "category"],
    shareEmbeddings: true,
  });
  assertEquals(towerConfig({ kind: "plain" }, { dataset: tinyDataset() }), {
    kind: "plain",
    dim: 128,
    features,
    families: ["charTrigram", "word"],
    embedDim: 64,
    hidden: [256],
    itemFields: ["title", "brand", "category"],
    itemIdEmbedding: true,
    userHistory: false,
    historyLen: 100,
    // Keyed by item_id: the tiny items are ids 10–14, so ids 0–14.
    numItems: 15,
    shareEmbeddings: true,
  });
  // No id table: numItems is not needed and stored as 0.
  assertEquals(
    towerConfig({ kind: "plain", itemIdEmbedding: false, numItems: 7 })
      .numItems,
    0,
  );
});

Deno.test("towerConfig: idempotent, canonical order, JSON round trip", () => {
  const inputs: TowerConfigInput[] = [
    { kind: "dssm", hidden: [64], itemFields: ["category", "title"] },
    { kind: "mgdspr", numItems: 3, features: { buckets: { word: 99 } } },
    { kind: "dpsr", families: ["word"], beta: 0.5 },
    { kind: "plain", userHistory: true, numItems: 4, hidden: [] },
  ];
  for (const input of inputs) {
    const c = towerConfig(input);
    assertEquals(towerConfig(c as TowerConfigInput), c);
    assertEquals(towerConfig(JSON.parse(JSON.stringify(c))), c);
  }
  assertEquals(
    towerConfig(inputs[0]).kind === "dssm" && towerConfig(inputs[0]),
    {
      ...towerConfig({ kind: "dssm" }),
      hidden: [64],
      itemFields: ["title", "category"],
    },
  );
});

Deno.test("towerConfig: bad options name themselves", () => {
  const bad: [unknown, string][] = [
    [
      { kind: "bert" },
      "TowerConfig.kind must be one of dssm, mgdspr, dpsr, plain",
    ],
    [
      { kind: "dssm", heads: 2 },
      "TowerConfig(dssm).heads is unknown; the options are kind",
    ],
    [{ kind: "dssm", hidden: [] }, "TowerConfig(dssm).hidden must be an array"],
    [
      { kind: "dssm", hidden: [3.5] },
      "TowerConfig(dssm).hidden[0] must be an integer",
    ],
    [{ kind: "dssm", dim: 0 }, "TowerConfig(dssm).dim must be an integer"],
    [
      { kind: "dssm", shared: 1 },
      "TowerConfig(dssm).shared must be true or false",
    ],
    [
      { kind: "dssm", itemFields: ["title", "price"] },
      'itemFields has "price"',
    ],
    [{ kind: "dssm", itemFields: ["title", "title"] }, 'lists "title" twice'],
    [{ kind: "mgdspr" }, "TowerConfig(mgdspr).numItems is required"],
    [
      { kind: "mgdspr", numItems: 4, dim: 10, heads: 3 },
      "heads (3) must divide dim (10)",
    ],
    [
      { kind: "dpsr", beta: 0 },
      "TowerConfig(dpsr).beta must be a finite number > 0",
    ],
    [{ kind: "dpsr", families: ["trigram"] }, 'families has "trigram"'],
    [
      { kind: "plain", userHistory: true, itemIdEmbedding: false },
      "numItems is required",
    ],
    [
      { kind: "plain", numItems: 0 },
      "TowerConfig(plain).numItems must be an integer in [1, 100000000] when itemIdEmbedding or userHistory is on",
    ],
    [
      { kind: "plain", numItems: 3, features: { buckets: { word: 1 } } },
      "buckets.word",
    ],
  ];
  for (const [input, message] of bad) {
    assertThrows(
      () => towerConfig(input as TowerConfigInput),
      RangeError,
      message,
    );
  }
});

Deno.test("docs/tower_options.md holds the option tables of TOWER_OPTIONS and the feature config", async () => {
  const want = await assertGeneratedDoc(
    new URL("../../docs/tower_options.md", import.meta.url),
    towerOptionsMarkdown,
  );
  assertEquals([...want.keys()], [
    ...TOWER_KINDS,
    "features.buckets",
    "features.maxLen",
  ]);
  for (const kind of TOWER_KINDS) {
    assertEquals(
      want.get(kind)!.slice(1).map((r) => r[0]),
      Object.keys(TOWER_OPTIONS[kind]).map((n) => `\`${n}\``),
    );
  }
  // A derived default is documented by its source, not a number.
  assertEquals(
    want.get("plain")!.find((r) => r[0] === "`historyLen`")![2],
    "`features.maxLen.history`",
  );
});
