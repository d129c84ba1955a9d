import { assertEquals, assertRejects, assertTrue } from "../../testing.ts";
import { buildDataset, missingDatasetNote } from "../build.ts";
import { DataError, readDataset } from "../io.ts";
import type { Dataset } from "../schema.ts";
import { hashedSplit } from "./split.ts";
import {
  loadValidated,
  realSource,
  runDataCli,
  withDatasetsRoot,
} from "./testing.ts";
import {
  loadWordnet,
  resolveWordnetSource,
  WORDNET_SYSTEM_DIR,
  wordnetStatus,
} from "./wordnet.ts";
import { WORDNET_DATA_FILES } from "./wordnet_format.ts";

/** Thirteen synsets in WordNet's file layout, words and glosses our own. */
const FIXTURE = decodeURIComponent(
  new URL("./testdata/wordnet", import.meta.url).pathname,
);
const FILES = Object.values(WORDNET_DATA_FILES);
const REAL = await realSource("wordnet");

/** A temporary copy of the fixture (to break), removed after `fn`. */
async function withCopy(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wordnet_test_" });
  try {
    for (const f of FILES) {
      await Deno.copyFile(`${FIXTURE}/${f}`, `${dir}/${f}`);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function pairRows(ds: Dataset) {
  return Array.from(ds.pairs.queryId, (q, k) => [q, ds.pairs.itemId[k]]);
}

Deno.test("loadWordnet: hand-checked tables on the fixture", async () => {
  const { ds, counts: c } = await loadValidated(loadWordnet, {
    source: FIXTURE,
  });
  assertEquals(ds.items.sourceId, [
    "00000176-n",
    "00000312-n",
    "00000488-n",
    "00000675-n",
    "00000787-n",
    "00000915-n",
    "00001039-n",
    "00000176-v",
    "00000317-v",
    "00000437-v",
    "00000176-a",
    "00000274-s",
    "00000176-r",
  ]);
  // Underscores become spaces, the (p) marker goes.
  assertEquals(ds.items.title, [
    "being",
    "creature, beast",
    "hound, dog",
    "house cat, tabby",
    "town",
    "Springfield",
    "sea chest",
    "walk",
    "stroll, amble",
    "saunter",
    "warm",
    "toasty, snug",
    "slowly, at a crawl",
  ]);
  assertEquals(ds.items.category, [
    "noun.Tops",
    ...Array(3).fill("noun.animal"),
    "noun.location",
    "noun.location",
    "noun.artifact",
    ...Array(3).fill("verb.motion"),
    "adj.all",
    "adj.all",
    "adv.all",
  ]);
  // Hypernym (@), instance hypernym (@i) and satellite head (&) as the
  // parent; hound and house cat are sisters, so are stroll and saunter.
  assertEquals(ds.items.attributes, [
    "pos=n",
    "pos=n;parent=00000176-n",
    "pos=n;parent=00000312-n",
    "pos=n;parent=00000312-n",
    "pos=n;parent=00000176-n",
    "pos=n;parent=00000787-n",
    "pos=n;parent=00000176-n",
    "pos=v",
    "pos=v;parent=00000176-v",
    "pos=v;parent=00000176-v",
    "pos=a",
    "pos=s;parent=00000176-a",
    "pos=r",
  ]);
  assertTrue(ds.items.brand.every((b) => b === ""));
  // Stroll and saunter share their definition: one query (id 8), two pairs.
  assertEquals(Array.from(ds.queries.queryId), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    10,
    11,
    12,
  ]);
  assertEquals(ds.queries.text[1], "a living thing that moves about and feeds");
  assertEquals(ds.queries.text[8], "walk slowly and without a goal");
  // Examples after ':' and ',' are cut too; the lemma-naming one is kept.
  assertEquals(
    ds.queries.text[6],
    "a Sea Chest is the wooden box a sailor keeps belongings in",
  );
  assertEquals(ds.queries.text[10], "pleasantly and comfortably warm");
  assertTrue(ds.queries.text.every((t) => !t.includes('"')));
  assertEquals(pairRows(ds), [
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, 6],
    [7, 7],
    [8, 8],
    [8, 9],
    [10, 10],
    [11, 11],
    [12, 12],
  ]);
  assertTrue(Array.from(ds.pairs.relevance).every((r) => r === 3));
  // Each query's split is the hash of its first synset's id.
  assertEquals(
    ds.queries.split,
    Array.from(
      ds.queries.queryId,
      (q) =>
        hashedSplit(ds.items.sourceId[q], { seed: 0, valid: 0.1, test: 0.1 }),
    ),
  );
  const train = new Set(
    Array.from(ds.pairs.itemId).filter((_, k) => ds.pairs.split[k] === "train"),
  );
  assertEquals(
    Array.from(ds.items.popularity),
    Array.from(ds.items.itemId, (i) => train.has(i) ? 1 : 0),
  );
  assertEquals(c.synsets, { n: 7, v: 3, a: 2, r: 1 });
  assertEquals(
    [c.categories, c.definitionNamesLemma, c.withParent, c.sisterGroups],
    [7, 1, 9, { groups: 3, items: 7 }],
  );
  assertEquals(c.sharedDefinitions, { queries: 1, synsets: 2 });
  assertEquals(ds.meta.version, "3.0");
  assertEquals(ds.meta.source, FIXTURE);
  assertEquals(Object.keys(ds.meta.files as object), FILES);
});

Deno.test("loadWordnet: options (lemmaInGloss, partsOfSpeech, fractions, seed)", async () => {
  const { ds: drop, counts } = await loadValidated(loadWordnet, {
    source: FIXTURE,
    lemmaInGloss: "drop",
  });
  assertEquals(drop.queries.queryId.includes(6), false);
  assertEquals(drop.items.itemId.length, 13);
  assertEquals(counts.droppedDefinitionNamesLemma, 1);
  const { ds: nouns } = await loadValidated(loadWordnet, {
    source: FIXTURE,
    partsOfSpeech: ["n"],
  });
  assertEquals(nouns.items.itemId.length, 7);
  assertEquals(Object.keys(nouns.meta.files as object), ["data.noun"]);
  // Read in the fixed order whatever order is asked for.
  const vr = await loadWordnet({ source: FIXTURE, partsOfSpeech: ["r", "v"] });
  assertEquals(vr.items.sourceId[0], "00000176-v");
  const wide = await loadWordnet({
    source: FIXTURE,
    validFraction: 0.3,
    testFraction: 0.3,
    seed: 5,
  });
  assertEquals(new Set(wide.queries.split).size, 3);
  assertEquals(
    await loadWordnet({
      source: FIXTURE,
      seed: 5,
      validFraction: 0.3,
      testFraction: 0.3,
    }),
    wide,
  );
  for (
    const [bad, message] of [
      [{ partsOfSpeech: [] }, "option partsOfSpeech"],
      [{ partsOfSpeech: ["x"] }, "option partsOfSpeech"],
      [{ lemmaInGloss: "maybe" }, "option lemmaInGloss"],
      [{ validFraction: 1 }, "option validFraction"],
      [{ validFraction: 0.6, testFraction: 0.4 }, "must be < 1"],
      [{ seed: 0.5 }, "option seed"],
    ] as const
  ) {
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => loadWordnet({ source: FIXTURE, ...(bad as any) }),
      RangeError,
      message,
    );
  }
});

Deno.test("loadWordnet: missing folder or file, a bad line, a dangling parent", async () => {
  await assertRejects(
    () => loadWordnet({ source: "/nonexistent/wordnet" }),
    DataError,
    "/nonexistent/wordnet: wordnet source folder not found (expected data.noun",
  );
  await withCopy(async (dir) => {
    await Deno.remove(`${dir}/data.adv`);
    const err = await assertRejects(
      () => loadWordnet({ source: dir }),
      DataError,
      `${dir}/data.adv: file not found`,
    );
    assertTrue(err.message.includes("`apt-get install wordnet-base`"));
    // Not needed when adverbs are left out.
    await loadWordnet({ source: dir, partsOfSpeech: ["n", "v", "a"] });
  });
  await withCopy(async (dir) => {
    const path = `${dir}/data.verb`;
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      text.replace(" 38 v 01 walk", " 38 n 01 walk"),
    );
    await assertRejects(
      () => loadWordnet({ source: dir }),
      DataError,
      `${path}: line 4: ss_type 'n' in the v data file`,
    );
  });
  await withCopy(async (dir) => {
    const path = `${dir}/data.noun`;
    const text = await Deno.readTextFile(path);
    // Springfield's instance hypernym points at no synset.
    await Deno.writeTextFile(path, text.replace("@i 00000787", "@i 00000788"));
    await assertRejects(
      () => loadWordnet({ source: dir }),
      DataError,
      "synset 00000915-n: its '@i' pointer targets offset 788 in data.noun",
    );
  });
});

Deno.test("resolveWordnetSource and wordnetStatus: --source, the datasets root, the Debian folder", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "wordnet_test_" });
  try {
    assertEquals(resolveWordnetSource({ source: "/x/wn/" }), "/x/wn");
    await withDatasetsRoot(`${tmp}/sources`, async () => {
      // No wordnet/ under the root: the system package's folder.
      assertEquals(resolveWordnetSource(), WORDNET_SYSTEM_DIR);
      await Deno.mkdir(`${tmp}/sources/wordnet`, { recursive: true });
      assertEquals(resolveWordnetSource(), `${tmp}/sources/wordnet`);
      const empty = await wordnetStatus();
      assertEquals([empty.present, empty.missing], [false, FILES]);
      assertTrue(
        empty.reason.startsWith(
          `wordnet: data.noun, data.verb, data.adj, data.adv not found in ${tmp}/sources/wordnet; install it with \`apt-get install wordnet-base\``,
        ),
        empty.reason,
      );
      assertTrue(!empty.reason.includes("\n"));
      const note = await missingDatasetNote(`${tmp}/data/wordnet`);
      assertTrue(note?.includes("`apt-get install wordnet-base`"), note ?? "");
      for (const f of FILES) {
        await Deno.copyFile(`${FIXTURE}/${f}`, `${tmp}/sources/wordnet/${f}`);
      }
      const found = await wordnetStatus();
      assertEquals([found.present, found.problem, found.reason], [
        true,
        "",
        "",
      ]);
      assertEquals(
        await missingDatasetNote(`${tmp}/data/wordnet`),
        `\`${tmp}/data/wordnet\` has not been built; \`deno task data wordnet\` builds it from ${tmp}/sources/wordnet`,
      );
    });
    const gone = await wordnetStatus(`${tmp}/nope`);
    assertEquals(gone.problem, `source folder ${tmp}/nope not found`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno task data wordnet: the fixture end to end, byte-identical; a missing source names apt-get", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "wordnet_test_" });
  const run = (...args: string[]) =>
    runDataCli(args, { cwd: tmp, env: { NO_COLOR: "1" } });
  try {
    const r = await run("wordnet", "--source", FIXTURE, "--out", "a");
    assertEquals(r.code, 0, r.stderr);
    assertTrue(r.stdout.startsWith("wordnet: wrote a in "), r.stdout);
    assertTrue(r.stdout.includes("items    13 rows"), r.stdout);
    const back = await readDataset(`${tmp}/a`);
    assertEquals(back.items, (await loadWordnet({ source: FIXTURE })).items);
    await buildDataset("wordnet", { source: FIXTURE, out: `${tmp}/b` });
    for (
      const f of ["items.arrow", "queries.arrow", "pairs.arrow", "meta.json"]
    ) {
      assertEquals(
        await Deno.readFile(`${tmp}/a/${f}`),
        await Deno.readFile(`${tmp}/b/${f}`),
        f,
      );
    }
    const missing = await run("wordnet", "--source", `${tmp}/none`);
    assertEquals(missing.code, 1);
    assertTrue(
      missing.stderr.startsWith(
        `error: wordnet: source folder ${tmp}/none not found; install it with \`apt-get install wordnet-base\``,
      ),
      missing.stderr,
    );
    const unknown = await run("wordnets");
    assertEquals(unknown.code, 2);
    assertTrue(
      unknown.stderr.includes(
        "expected one of synthetic, wands, scifact, movielens, all, wordnet",
      ),
      unknown.stderr,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

REAL.test("loadWordnet on the real files: WordNet 3.0's 117,659 synsets, splits, parents", async () => {
  const { ds, counts: c } = await loadValidated(loadWordnet, {
    source: REAL.dir,
  });
  assertEquals(ds.meta.version, "3.0");
  assertEquals(c.synsets, { n: 82115, v: 13767, a: 18156, r: 3621 });
  assertEquals(c.items, 117659);
  assertEquals(c.categories, 45);
  assertEquals(c.withoutDefinition, 0);
  assertEquals(c.definitionNamesLemma, 6744);
  assertEquals(c.sharedDefinitions, { queries: 668, synsets: 1630 });
  assertEquals(c.withParent, 106015);
  assertEquals(c.queriesBySplit, { train: 93384, valid: 11678, test: 11635 });
  assertEquals(c.pairsBySplit, { train: 94121, valid: 11817, test: 11721 });
  // dog.n.01: its first hypernym (canine) is its parent; its definition
  // keeps no example.
  const dog = ds.items.sourceId.indexOf("02084071-n");
  assertEquals(ds.items.title[dog], "dog, domestic dog, Canis familiaris");
  assertEquals(ds.items.category[dog], "noun.animal");
  assertEquals(ds.items.attributes[dog], "pos=n;parent=02083346-n");
  const q = Array.from(ds.queries.queryId).indexOf(dog);
  assertTrue(!ds.queries.text[q].includes('"'), ds.queries.text[q]);
  assertTrue(ds.items.title.every((t) => t.length > 0 && !t.includes("_")));
});
