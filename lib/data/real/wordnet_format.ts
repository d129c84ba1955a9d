/**
 * The WordNet 3.0 database files (`data.noun`, `data.verb`, `data.adj`,
 * `data.adv`; format wndb(5WN)) read into plain records: one
 * {@link WordnetSynset} per line, with its words, pointers and gloss. No
 * index files are needed: every synset is a line of a data file, and a
 * pointer names its target by byte offset and part of speech.
 *
 * @module
 */

import { DataError } from "../io.ts";

/** A data file's part of speech: noun, verb, adjective, adverb. */
export type WordnetPos = "n" | "v" | "a" | "r";

/** A synset's type: a part of speech, or `s` for an adjective satellite. */
export type SynsetType = WordnetPos | "s";

/** Parts of speech in the order their files are read. */
export const WORDNET_POS: readonly WordnetPos[] = ["n", "v", "a", "r"];

/** The data file of each part of speech. */
export const WORDNET_DATA_FILES: Readonly<Record<WordnetPos, string>> = {
  n: "data.noun",
  v: "data.verb",
  a: "data.adj",
  r: "data.adv",
};

/**
 * The 45 lexicographer files by number (lexnames(5WN)). WordNet ships this
 * list as a file named `lexnames`; Debian's `wordnet-base` leaves that file
 * out (the library has the list compiled in), so it is written out here.
 */
export const LEXNAMES: readonly string[] = [
  "adj.all",
  "adj.pert",
  "adv.all",
  "noun.Tops",
  "noun.act",
  "noun.animal",
  "noun.artifact",
  "noun.attribute",
  "noun.body",
  "noun.cognition",
  "noun.communication",
  "noun.event",
  "noun.feeling",
  "noun.food",
  "noun.group",
  "noun.location",
  "noun.motive",
  "noun.object",
  "noun.person",
  "noun.phenomenon",
  "noun.plant",
  "noun.possession",
  "noun.process",
  "noun.quantity",
  "noun.relation",
  "noun.shape",
  "noun.state",
  "noun.substance",
  "noun.time",
  "verb.body",
  "verb.change",
  "verb.cognition",
  "verb.communication",
  "verb.competition",
  "verb.consumption",
  "verb.contact",
  "verb.creation",
  "verb.emotion",
  "verb.motion",
  "verb.perception",
  "verb.possession",
  "verb.social",
  "verb.stative",
  "verb.weather",
  "adj.ppl",
];

/** One pointer of a synset: a relation to another synset (or its word). */
export interface WordnetPointer {
  /** Pointer symbol, e.g. `@` hypernym, `@i` instance hypernym, `&` similar. */
  symbol: string;
  /** Byte offset of the target synset in its data file. */
  offset: number;
  /** The target's data file (`s` in the file is read as `a`). */
  pos: WordnetPos;
  /** Word number in this synset (1-based); 0 for a relation of synsets. */
  source: number;
  /** Word number in the target synset (1-based); 0 for synsets. */
  target: number;
}

/** One line of a data file. */
export interface WordnetSynset {
  /** Byte offset of the line in its data file (the synset's id there). */
  offset: number;
  /** The data file it is in. */
  pos: WordnetPos;
  /** Its type: `pos`, or `s` for an adjective satellite. */
  type: SynsetType;
  /** Lexicographer file number, an index into {@link LEXNAMES}. */
  lexFile: number;
  /** Its words as written in the file (underscores, adjective markers). */
  words: string[];
  /** Its pointers, in file order. */
  pointers: WordnetPointer[];
  /** The gloss: definition and example sentences, as written. */
  gloss: string;
}

const TYPES: Record<string, WordnetPos> = {
  n: "n",
  v: "v",
  a: "a",
  s: "a",
  r: "r",
};

/**
 * Parses one synset line of a data file (wndb(5WN)):
 * `offset lex_filenum ss_type w_cnt word lex_id … p_cnt ptr… [frames] | gloss`.
 * Throws a `SyntaxError` naming the field that does not parse, or when the
 * line's type does not belong in the data file of `pos`.
 */
export function parseSynsetLine(line: string, pos: WordnetPos): WordnetSynset {
  const bar = line.indexOf("|");
  if (bar < 0) throw new SyntaxError("no '|' before the gloss");
  const f = line.slice(0, bar).trim().split(" ");
  let k = 0;
  const next = (what: string, re: RegExp): string => {
    const v = f[k++];
    if (v === undefined || !re.test(v)) {
      throw new SyntaxError(
        `field ${k} (${what}): expected ${re.source}, got '${v ?? ""}'`,
      );
    }
    return v;
  };
  const offset = Number(next("synset_offset", /^\d{8}$/));
  const lexFile = Number(next("lex_filenum", /^\d{2}$/));
  if (lexFile >= LEXNAMES.length) {
    throw new SyntaxError(`lex_filenum ${lexFile} is not a lexicographer file`);
  }
  const type = next("ss_type", /^[nvasr]$/) as SynsetType;
  if (TYPES[type] !== pos) {
    throw new SyntaxError(`ss_type '${type}' in the ${pos} data file`);
  }
  const wordCount = parseInt(next("w_cnt", /^[0-9a-fA-F]{2}$/), 16);
  if (wordCount === 0) throw new SyntaxError("w_cnt is 0");
  const words: string[] = [];
  for (let w = 0; w < wordCount; w++) {
    words.push(next("word", /^\S+$/));
    next("lex_id", /^[0-9a-fA-F]$/);
  }
  const pointerCount = Number(next("p_cnt", /^\d{3}$/));
  const pointers: WordnetPointer[] = [];
  for (let p = 0; p < pointerCount; p++) {
    const symbol = next("pointer_symbol", /^[!@~#%=+;\-*>^$&<\\][a-z]?$/);
    const target = Number(next("synset_offset", /^\d{8}$/));
    const tpos = TYPES[next("pos", /^[nvasr]$/)];
    const st = next("source/target", /^[0-9a-fA-F]{4}$/);
    pointers.push({
      symbol,
      offset: target,
      pos: tpos,
      source: parseInt(st.slice(0, 2), 16),
      target: parseInt(st.slice(2), 16),
    });
  }
  if (pos === "v" && k < f.length) {
    // Verb frames: f_cnt, then f_cnt times "+ f_num w_num".
    const frames = Number(next("f_cnt", /^\d{2}$/));
    for (let i = 0; i < frames; i++) {
      next("frame", /^\+$/);
      next("f_num", /^\d{2}$/);
      next("w_num", /^[0-9a-fA-F]{2}$/);
    }
  }
  if (k < f.length) {
    throw new SyntaxError(`unexpected '${f[k]}' before the gloss`);
  }
  return {
    offset,
    pos,
    type,
    lexFile,
    words,
    pointers,
    gloss: line.slice(bar + 1).trim(),
  };
}

/**
 * Parses a whole data file: skips the licence lines at its top (they start
 * with two spaces) and blank lines, and throws a {@link DataError} naming
 * the file and line of the first synset line that does not parse.
 */
export function parseDataFile(
  text: string,
  options: { file: string; pos: WordnetPos },
): WordnetSynset[] {
  const out: WordnetSynset[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line.startsWith("  ") || line.trim() === "") continue;
    try {
      out.push(parseSynsetLine(line, options.pos));
    } catch (err) {
      throw new DataError(
        options.file,
        `line ${i + 1}: ${(err as Error).message}`,
      );
    }
  }
  return out;
}

/**
 * The WordNet version a data file's licence header names (`WordNet 3.0
 * Copyright …` gives "3.0"), or null when it names none.
 */
export function headerVersion(text: string): string | null {
  for (const line of text.slice(0, 4096).split("\n")) {
    if (!line.startsWith("  ")) break;
    const m = /WordNet (\d+(?:\.\d+)+)/.exec(line);
    if (m) return m[1];
  }
  return null;
}

/**
 * A synset's id as other WordNet tools write it: the 8-digit offset, a dash
 * and its type (`02084071-n`; satellites `-s`).
 */
export function synsetId(synset: Pick<WordnetSynset, "offset" | "type">) {
  return `${String(synset.offset).padStart(8, "0")}-${synset.type}`;
}

/**
 * A word as text: the adjective syntactic marker (`(a)`, `(p)`, `(ip)`)
 * dropped, underscores made spaces.
 */
export function lemmaText(word: string): string {
  return word.replace(/\((?:a|p|ip)\)$/, "").replaceAll("_", " ");
}

/**
 * The definition part of a gloss, without its example sentences: the text
 * before the first quotation mark that follows a `;`, `:` or `,` (examples
 * are quoted and usually introduced so), with a trailing `;`, `:` or `,`
 * dropped and whitespace collapsed. A gloss that is only examples gives "".
 * A few glosses quote an example without such a mark; theirs stays in.
 */
export function glossDefinition(gloss: string): string {
  const g = gloss.trim();
  if (g.startsWith('"')) return "";
  const m = /[;:,]\s*"/.exec(g);
  const head = m ? g.slice(0, m.index) : g;
  return head.replace(/\s+/g, " ").replace(/[\s;:,]+$/, "").trim();
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;

/**
 * Whether a text names one of the lemmas verbatim: a lemma's whole text,
 * case-insensitive, not inside a longer word (`dog` is in "a dog's bark",
 * not in "dogma").
 */
export function namesLemma(text: string, lemmas: readonly string[]): boolean {
  const t = text.toLowerCase();
  return lemmas.some((lemma) => {
    const l = lemma.toLowerCase();
    if (l.length === 0) return false;
    for (let at = t.indexOf(l); at >= 0; at = t.indexOf(l, at + 1)) {
      const before = t[at - 1] ?? "";
      const after = t[at + l.length] ?? "";
      if (!WORD_CHAR.test(before) && !WORD_CHAR.test(after)) {
        return true;
      }
    }
    return false;
  });
}

/**
 * The synset a sister group hangs from: a noun's or verb's first hypernym
 * (`@`, or `@i` for an instance), an adjective satellite's head (`&`); null
 * for the others (head adjectives, adverbs, the roots of the hierarchies).
 */
export function parentPointer(synset: WordnetSynset): WordnetPointer | null {
  const symbols = synset.type === "s"
    ? ["&"]
    : synset.pos === "n" || synset.pos === "v"
    ? ["@", "@i"]
    : [];
  return synset.pointers.find((p) =>
    p.source === 0 && symbols.includes(p.symbol)
  ) ?? null;
}
