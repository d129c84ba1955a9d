import { assertEquals, assertThrows } from "../../testing.ts";
import { DataError } from "../io.ts";
import {
  glossDefinition,
  headerVersion,
  lemmaText,
  LEXNAMES,
  namesLemma,
  parentPointer,
  parseDataFile,
  parseSynsetLine,
  synsetId,
  type WordnetPos,
} from "./wordnet_format.ts";

// Lines in the layout of wndb(5WN), words of our own.
const NOUN =
  '00000312 05 n 02 creature 0 beast 1 003 @ 00000176 n 0000 ~ 00000488 n 0000 + 00000317 v 0201 | a living thing that moves about; "it hid"  ';
const VERB =
  "00000317 38 v 01 stroll 0 002 @ 00000176 v 0000 + 00000488 n 0102 02 + 02 00 + 22 01 | walk slowly  ";
const SATELLITE =
  "00000274 00 s 02 toasty(p) 0 snug 1 001 & 00000176 s 0000 | comfortably warm  ";

Deno.test("LEXNAMES: the 45 lexicographer files of lexnames(5WN)", () => {
  assertEquals(LEXNAMES.length, 45);
  assertEquals(
    [LEXNAMES[0], LEXNAMES[3], LEXNAMES[5], LEXNAMES[29], LEXNAMES[44]],
    ["adj.all", "noun.Tops", "noun.animal", "verb.body", "adj.ppl"],
  );
});

Deno.test("parseSynsetLine: fields, pointers, word numbers, verb frames", () => {
  assertEquals(parseSynsetLine(NOUN, "n"), {
    offset: 312,
    pos: "n",
    type: "n",
    lexFile: 5,
    words: ["creature", "beast"],
    pointers: [
      { symbol: "@", offset: 176, pos: "n", source: 0, target: 0 },
      { symbol: "~", offset: 488, pos: "n", source: 0, target: 0 },
      { symbol: "+", offset: 317, pos: "v", source: 2, target: 1 },
    ],
    gloss: 'a living thing that moves about; "it hid"',
  });
  const verb = parseSynsetLine(VERB, "v");
  assertEquals(verb.pointers.map((p) => [p.symbol, p.source, p.target]), [
    ["@", 0, 0],
    ["+", 1, 2],
  ]);
  assertEquals(verb.gloss, "walk slowly");
  const sat = parseSynsetLine(SATELLITE, "a");
  assertEquals([sat.type, sat.pos, sat.words], ["s", "a", [
    "toasty(p)",
    "snug",
  ]]);
  // A pointer to a satellite names it `s`; its file is data.adj.
  assertEquals(sat.pointers[0].pos, "a");
  // w_cnt is hexadecimal: 0a = 10 words.
  const words = Array.from({ length: 10 }, (_, i) => `w${i} 0`).join(" ");
  const many = parseSynsetLine(`00000100 03 n 0a ${words} 000 | ten`, "n");
  assertEquals(many.words.length, 10);
});

Deno.test("parseSynsetLine: a malformed line names the field", () => {
  // Each case: the line, the data file's part of speech, what the error says.
  const cases: [string, WordnetPos, string][] = [
    ["00000312 05 n 01 x 0 000", "n", "no '|' before the gloss"],
    ["312 05 n 01 x 0 000 | g", "n", "field 1 (synset_offset)"],
    [
      "00000312 45 n 01 x 0 000 | g",
      "n",
      "lex_filenum 45 is not a lexicographer file",
    ],
    [NOUN, "v", "ss_type 'n' in the v data file"],
    [
      "00000312 05 n 02 x 0 001 | g",
      "n",
      "field 8 (lex_id): expected ^[0-9a-fA-F]$, got ''",
    ],
    [
      "00000312 05 n 01 x 0 001 ? 00000176 n 0000 | g",
      "n",
      "field 8 (pointer_symbol)",
    ],
    // Frames belong to verbs only.
    [
      "00000312 05 n 01 x 0 000 01 + 02 00 | g",
      "n",
      "unexpected '01' before the gloss",
    ],
  ];
  for (const [line, type, message] of cases) {
    assertThrows(() => parseSynsetLine(line, type), SyntaxError, message);
  }
});

Deno.test("parseDataFile: skips the licence lines, names file and line of an error", () => {
  const head = "  1 a licence line  \n  2 WordNet 3.0 Copyright x  \n";
  const text = `${head}${NOUN}\r\n\n`;
  const parsed = parseDataFile(text, { file: "data.noun", pos: "n" });
  assertEquals(parsed.map((s) => s.offset), [312]);
  assertEquals(headerVersion(text), "3.0");
  assertEquals(headerVersion(NOUN), null);
  assertThrows(
    () =>
      parseDataFile(`${text}${SATELLITE}\n`, {
        file: "dir/data.noun",
        pos: "n",
      }),
    DataError,
    "dir/data.noun: line 5: ss_type 's' in the n data file",
  );
});

Deno.test("synsetId and lemmaText", () => {
  assertEquals(synsetId({ offset: 2084071, type: "n" }), "02084071-n");
  assertEquals(synsetId({ offset: 274, type: "s" }), "00000274-s");
  assertEquals(lemmaText("toasty(p)"), "toasty");
  assertEquals(lemmaText("out_of_reach(ip)"), "out of reach");
  assertEquals(lemmaText("sea_chest"), "sea chest");
  assertEquals(lemmaText("(a)b"), "(a)b");
});

Deno.test("glossDefinition: the definition without its examples", () => {
  assertEquals(
    glossDefinition('move on foot; "we walk"; "walk the dog"'),
    "move on foot",
  );
  assertEquals(glossDefinition('a box: "his chest held shirts"'), "a box");
  assertEquals(
    glossDefinition('pleasantly warm, "a toasty room"'),
    "pleasantly warm",
  );
  // Two definition parts are kept; a quote inside the definition too.
  assertEquals(
    glossDefinition('a place; a spot (as in the phrase "on the  spot"); "x"'),
    'a place; a spot (as in the phrase "on the spot")',
  );
  assertEquals(glossDefinition("a thing;"), "a thing");
  assertEquals(glossDefinition('"only an example"'), "");
  assertEquals(glossDefinition("  plain  "), "plain");
});

Deno.test("namesLemma: a whole lemma, case-insensitive, not inside a word", () => {
  assertEquals(namesLemma("a Sea Chest is a box", ["sea chest"]), true);
  assertEquals(namesLemma("the dog's bark", ["cat", "dog"]), true);
  assertEquals(namesLemma("a belief held as dogma", ["dog"]), false);
  assertEquals(namesLemma("hotdogs and dog", ["dog"]), true);
  assertEquals(namesLemma("a chest by the sea", ["sea chest"]), false);
  assertEquals(namesLemma("anything", [""]), false);
  assertEquals(namesLemma("café au lait", ["café"]), true);
  assertEquals(namesLemma("cafés", ["café"]), false);
});

Deno.test("parentPointer: first hypernym, instance hypernym, satellite head", () => {
  const noun = parseSynsetLine(NOUN, "n");
  assertEquals(parentPointer(noun)?.offset, 176);
  const instance = parseSynsetLine(
    "00000915 15 n 01 Springfield 0 002 + 00000001 v 0101 @i 00000787 n 0000 | a town",
    "n",
  );
  assertEquals(parentPointer(instance)?.symbol, "@i");
  assertEquals(parentPointer(parseSynsetLine(VERB, "v"))?.offset, 176);
  assertEquals(parentPointer(parseSynsetLine(SATELLITE, "a"))?.symbol, "&");
  const head = parseSynsetLine(
    "00000176 00 a 01 warm 0 001 & 00000274 s 0000 | fairly hot",
    "a",
  );
  assertEquals(parentPointer(head), null);
  const adverb = parseSynsetLine(
    "00000176 02 r 01 slowly 0 001 \\ 00000176 a 0101 | at a low speed",
    "r",
  );
  assertEquals(parentPointer(adverb), null);
  const root = parseSynsetLine(
    "00000176 03 n 01 being 0 001 ~ 00000312 n 0000 | whatever exists",
    "n",
  );
  assertEquals(parentPointer(root), null);
});
