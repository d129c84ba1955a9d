import { zipSync } from "fflate";
import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../../testing.ts";
import { DataError } from "../io.ts";
import {
  documentText,
  loadScifact,
  parseStringList,
  SCIFACT_MEMBERS,
} from "./scifact.ts";
import { loadValidated, pairRows, realSource, withFiles } from "./testing.ts";

const REAL = await realSource("scifact");

Deno.test("parseStringList: numpy repr with both quote styles and escapes", () => {
  assertEquals(parseStringList("['First.'\n 'Second.']"), [
    "First.",
    "Second.",
  ]);
  assertEquals(parseStringList(`["It's" 'x']`), ["It's", "x"]);
  assertEquals(parseStringList(`['both \\' and "']`), [`both ' and "`]);
  assertEquals(parseStringList(`['back\\\\slash' 'a\\nb']`), [
    "back\\slash",
    "a\nb",
  ]);
  assertEquals(parseStringList(`['\\xe9\\u00e9\\U0001F600']`), ["éé😀"]);
  assertEquals(parseStringList(`['keep \\d']`), ["keep \\d"]);
  assertEquals(parseStringList(`['a', 'b']`), ["a", "b"]);
  assertEquals(parseStringList("[]"), []);
  assertEquals(parseStringList(" ['[x]'] "), ["[x]"]);
});

Deno.test("parseStringList: malformed input says where", () => {
  assertThrows(() => parseStringList("'a'"), SyntaxError, "expected a list");
  assertThrows(
    () => parseStringList("['open]"),
    SyntaxError,
    "string opened at offset 1 never closes",
  );
  assertThrows(
    () => parseStringList("['a' b]"),
    SyntaxError,
    "unexpected 'b' at offset 5",
  );
  assertThrows(
    () => parseStringList("['\\xZZ']"),
    SyntaxError,
    "bad \\x escape",
  );
});

Deno.test("documentText: title, period, whitespace, word-boundary cut", () => {
  assertEquals(
    documentText("Alpha", ["One.", "Two\n two."], 0),
    "Alpha. One. Two two.",
  );
  assertEquals(documentText("Why?", ["One."], 0), "Why? One.");
  assertEquals(documentText("Gamma", [], 0), "Gamma.");
  assertEquals(
    documentText("Alpha study?", ["It's here."], 12),
    "Alpha study?",
  );
  assertEquals(
    documentText("Alpha study?", ["It's here."], 16),
    "Alpha study?",
  );
  assertEquals(
    documentText("Alpha study?", ["It's here."], 18),
    "Alpha study? It's",
  );
  // One long word: hard cut.
  assertEquals(documentText("Abcdefghij", [], 4), "Abcd");
});

const enc = (s: string) => new TextEncoder().encode(s);

const CORPUS = "doc_id,title,abstract,structured\n" +
  `20,Beta,"['First sentence.'\n 'Second ""quoted"" one.']",False\n` +
  `5,Alpha study?,"[""It's here."" 'Caf\\xe9.']",True\n` +
  "9,Gamma,[],False\n";
const HEAD =
  "id,claim,evidence_doc_id,evidence_label,evidence_sentences,cited_doc_ids\n";
const TRAIN = HEAD +
  "1,c one,20,SUPPORT,[0],[20 5]\n" +
  "1,c one,20,SUPPORT,[1],[20 5]\n" +
  "2,c two,,,[],[9]\n" +
  "3,c three,,,[],[]\n";
const DEV = HEAD +
  "4,c four,5,CONTRADICT,[0],[5]\n" +
  "6,c six,,,[],[20]\n";

/** A zip of `members` (name → text), the loader's `scifact.zip`. */
function zipOf(members: Record<string, string>): Uint8Array {
  return zipSync(
    Object.fromEntries(Object.entries(members).map(([k, v]) => [k, enc(v)])),
  );
}

const MEMBERS = {
  [SCIFACT_MEMBERS.corpus]: CORPUS,
  [SCIFACT_MEMBERS.train]: TRAIN,
  [SCIFACT_MEMBERS.dev]: DEV,
};

Deno.test("loadScifact: hand-checked tables on a tiny zip", async () => {
  await withFiles({ "scifact.zip": zipOf(MEMBERS) }, async (dir) => {
    const { ds } = await loadValidated(loadScifact, {
      source: dir,
      validFraction: 0,
    });
    assertEquals(ds.items.sourceId, ["5", "9", "20"]);
    assertEquals(ds.items.title, [
      "Alpha study? It's here. Café.",
      "Gamma.",
      'Beta. First sentence. Second "quoted" one.',
    ]);
    // cited (default): claim 3 has no cited doc and is dropped.
    assertEquals(Array.from(ds.queries.queryId), [1, 2, 4, 6]);
    assertEquals(ds.queries.split, ["train", "train", "test", "test"]);
    assertEquals(ds.queries.text, ["c one", "c two", "c four", "c six"]);
    assertEquals(pairRows(ds), [
      [1, 0, 3, "train"],
      [1, 2, 3, "train"],
      [2, 1, 3, "train"],
      [4, 0, 3, "test"],
      [6, 2, 3, "test"],
    ]);
    assertEquals(Array.from(ds.items.popularity), [1, 1, 1]);

    const { ds: ev, counts } = await loadValidated(loadScifact, {
      source: dir,
      validFraction: 0,
      relevance: "evidence",
      maxTextChars: 12,
    });
    assertEquals(ev.items.title[0], "Alpha study?");
    assertEquals(Array.from(ev.queries.queryId), [1, 4]);
    assertEquals(pairRows(ev), [[1, 2, 3, "train"], [4, 0, 3, "test"]]);
    assertEquals(counts.claimsDroppedWithoutRelevantDoc, { train: 2, dev: 1 });
  });
});

Deno.test("loadScifact: corrupted zip, missing member/column, bad ids", async () => {
  await assertRejects(
    () => loadScifact({ source: "/nonexistent/scifact" }),
    DataError,
    "/nonexistent/scifact: scifact source folder not found (expected scifact.zip",
  );
  const good = zipOf(MEMBERS);
  await withFiles({ "scifact.zip": good }, async (dir) => {
    const zip = `${dir}/scifact.zip`;
    // Each case: the zip's bytes, then what the error must say.
    const cases: [Uint8Array, string][] = [
      [good.slice(0, good.length - 30), `${zip}: not a valid zip archive`],
      [
        enc("PK\x03\x04 this is not a zip at all"),
        `${zip}: not a valid zip archive`,
      ],
      [
        zipOf({
          [SCIFACT_MEMBERS.corpus]: CORPUS,
          [SCIFACT_MEMBERS.train]: TRAIN,
        }),
        `${zip}!${SCIFACT_MEMBERS.dev}: member not found in the zip`,
      ],
      [
        zipOf({
          ...MEMBERS,
          [SCIFACT_MEMBERS.corpus]: "doc_id,title,structured\n1,t,False\n",
        }),
        `${zip}!${SCIFACT_MEMBERS.corpus}: column 'abstract': missing`,
      ],
      [
        zipOf({
          ...MEMBERS,
          [SCIFACT_MEMBERS.corpus]: "doc_id,title,abstract\n1,t,['open]\n",
        }),
        "column 'abstract': row 1: cannot parse the sentence list",
      ],
      [
        zipOf({ ...MEMBERS, [SCIFACT_MEMBERS.dev]: HEAD + "7,c,,,[],[77]\n" }),
        `${zip}!${SCIFACT_MEMBERS.dev}: column 'cited_doc_ids': row 1: doc id 77 is not in corpus_train.csv`,
      ],
      [
        zipOf({ ...MEMBERS, [SCIFACT_MEMBERS.dev]: HEAD + "1,c,,,[],[5]\n" }),
        "claim id 1 is also in claims_train.csv",
      ],
    ];
    for (const [bytes, message] of cases) {
      await Deno.writeFile(zip, bytes);
      await assertRejects(
        () => loadScifact({ source: dir }),
        DataError,
        message,
      );
    }
  });
});

REAL.test("loadScifact on the real files: BEIR counts, evidence counts, determinism", async () => {
  const { ds, counts: c } = await loadValidated(loadScifact, {
    source: REAL.dir,
  });
  assertEquals(ds.items.itemId.length, 5183);
  assertEquals(c.claims, { train: 809, dev: 300 });
  assertEquals(c.claimsDroppedWithoutRelevantDoc, { train: 0, dev: 0 });
  // BEIR scifact: train 809 queries / 919 qrels, test 300 / 339.
  assertEquals(c.queriesBySplit, { train: 728, valid: 81, test: 300 });
  assertEquals(c.pairsBySplit, { train: 826, valid: 93, test: 339 });
  assertEquals(c.sentences, 45952);
  assertEquals(ds.meta.files, {
    "scifact.zip":
      "a798a7046af0f6fa04476448459ce7cafeea5bd90d4d99c53a0e27dc5e1a4673",
  });
  const k = ds.items.sourceId.indexOf("4983");
  assertTrue(
    ds.items.title[k].startsWith(
      "Microstructural development of human newborn cerebral white matter " +
        "assessed in vivo by diffusion tensor magnetic resonance imaging. " +
        "Alterations of the architecture",
    ),
  );
  assertTrue(ds.items.title.every((t) => t.length <= 1000));

  const { counts: e } = await loadValidated(loadScifact, {
    source: REAL.dir,
    relevance: "evidence",
  });
  assertEquals(e.claimsDroppedWithoutRelevantDoc, { train: 304, dev: 112 });
  const q = e.queriesBySplit as Record<string, number>;
  const p = e.pairsBySplit as Record<string, number>;
  assertEquals([q.train + q.valid, q.test], [505, 188]);
  assertEquals([p.train + p.valid, p.test], [564, 209]);

  assertEquals(await loadScifact({ source: REAL.dir }), ds);
});
