/**
 * WordNet 3.0 as a reverse-dictionary retrieval task: a gloss's definition
 * is the query, its synset (the lemmas) is the item to retrieve from the
 * whole lexicon, about 117k synsets. The files come from a system package
 * (Debian's `wordnet-base` puts them in `/usr/share/wordnet`) or any copy of
 * WordNet 3.0's `dict/` folder; nothing is downloaded. Task definition,
 * sizes and licence: docs/datasets.md#wordnet.
 *
 * @module
 */

import { choice, type OptionTable, type Resolved, subset } from "../options.ts";
import { DataError, joinPath } from "../io.ts";
import type { Dataset, ItemsTable, Split } from "../schema.ts";
import { decodeUtf8 } from "./csv.ts";
import {
  DATASETS_ENV,
  datasetsRoot,
  type FolderSpec,
  folderStatus,
  givenSource,
  readFolderFile,
  requireFolder,
  type SourceOptions,
  type SourceStatus,
} from "./source.ts";
import {
  DEFAULT_VALID_FRACTION,
  fraction,
  hashedSplit,
  loaderOptions,
  sortedPairs,
  SPLIT_SEED,
} from "./split.ts";
import {
  queriesTable,
  realDataset,
  rowsByKey,
  trainPopularity,
} from "./tables.ts";
import {
  glossDefinition,
  headerVersion,
  lemmaText,
  LEXNAMES,
  namesLemma,
  parentPointer,
  parseDataFile,
  synsetId,
  WORDNET_DATA_FILES,
  WORDNET_POS,
  type WordnetSynset,
} from "./wordnet_format.ts";

/** Where Debian's `wordnet-base` package puts the database files. */
export const WORDNET_SYSTEM_DIR = "/usr/share/wordnet";

/** The folder name of a copy under the datasets root. */
export const WORDNET_FOLDER = "wordnet";

/** Options of {@link loadWordnet}. */
/** The WordNet loader's options, each declared once. */
export const WORDNET_OPTIONS = {
  partsOfSpeech: subset({
    choices: WORDNET_POS,
    default: WORDNET_POS,
    doc: "parts of speech to read",
  }),
  lemmaInGloss: choice({
    choices: ["keep", "drop"],
    default: "keep",
    doc:
      "a synset whose definition names one of its own lemmas verbatim (about 6% of them): keep or drop its pair",
  }),
  validFraction: fraction(DEFAULT_VALID_FRACTION, "share of queries in valid"),
  testFraction: fraction(0.1, "share of queries in test"),
  seed: { ...SPLIT_SEED, doc: "seed of the split hash" },
} as const satisfies OptionTable;

/** Options of {@link loadWordnet} ({@link WORDNET_OPTIONS}). */
export type WordnetOptions =
  & SourceOptions
  & Partial<Resolved<typeof WORDNET_OPTIONS>>;

function isDirectorySync(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The folder {@link loadWordnet} reads: `options.source` when given, else
 * `<datasetsRoot()>/wordnet` when that folder exists, else
 * {@link WORDNET_SYSTEM_DIR}.
 */
export function resolveWordnetSource(options: SourceOptions = {}): string {
  const given = givenSource(options);
  if (given !== undefined) return given;
  const own = joinPath(datasetsRoot(), WORDNET_FOLDER);
  return isDirectorySync(own) ? own : WORDNET_SYSTEM_DIR;
}

/** The files the loader needs: the four data files. */
export function wordnetRequiredFiles(): string[] {
  return WORDNET_POS.map((p) => WORDNET_DATA_FILES[p]);
}

/**
 * How to get WordNet, as one sentence for errors and skip lines: the Debian
 * package, or a copy named with `--source` or the datasets root.
 */
export function wordnetHint(): string {
  return "install it with `apt-get install wordnet-base` (Debian, Ubuntu; " +
    `it puts the files in ${WORDNET_SYSTEM_DIR}, where they are looked ` +
    "for; there is nothing to download), or use a copy of WordNet 3.0's " +
    "dict folder: `deno task data wordnet --source DIR`, or set " +
    `${DATASETS_ENV}=DIR where DIR holds '${WORDNET_FOLDER}/'`;
}

/** {@link SourceStatus} for WordNet (its own name, no download). */
export type WordnetStatus = Omit<SourceStatus, "name"> & { name: "wordnet" };

/**
 * Checks (without reading them) that the data files are in `dir`, default
 * {@link resolveWordnetSource}; the same fields as `sourceStatus`.
 */
export async function wordnetStatus(dir?: string): Promise<WordnetStatus> {
  return await folderStatus(dir ?? resolveWordnetSource(), wordnetFolderSpec());
}

// The files and the hint of every WordNet folder check.
function wordnetFolderSpec(): FolderSpec<"wordnet"> {
  return {
    name: "wordnet",
    files: wordnetRequiredFiles(),
    hint: wordnetHint(),
  };
}

async function readDataText(
  dir: string,
  file: string,
): Promise<{ text: string; sha256: string }> {
  const { path, bytes, sha256 } = await readFolderFile(dir, file, {
    loader: "wordnet",
    hint: wordnetHint,
  });
  return { text: decodeUtf8(bytes, path), sha256 };
}

function checkOptions(options: WordnetOptions) {
  const o = loaderOptions(WORDNET_OPTIONS, options);
  if (o.validFraction + o.testFraction >= 1) {
    throw new RangeError(
      `options validFraction + testFraction must be < 1, got ${
        o.validFraction + o.testFraction
      }`,
    );
  }
  return {
    parts: o.partsOfSpeech,
    lemmaInGloss: o.lemmaInGloss,
    valid: o.validFraction,
    test: o.testFraction,
    seed: o.seed,
  };
}

/**
 * Loads WordNet as a {@link Dataset}:
 *
 * - items: every synset of the chosen parts of speech, nouns, verbs,
 *   adjectives, adverbs, each in file (offset) order; item id = position;
 *   sourceId = `<offset>-<type>` (`02084071-n`, satellites `-s`); title =
 *   its lemmas, underscores as spaces, adjective markers dropped, joined by
 *   ", "; category = its lexicographer file (`noun.animal`); brand empty;
 *   attributes `pos=<type>` and, where there is one, `parent=<sourceId>`
 *   (see {@link parentPointer}): items with one parent are sisters, the
 *   natural hard negatives of each other; popularity = positive train pairs.
 * - queries: the definitions ({@link glossDefinition}; examples left out).
 *   Synsets with the same definition text share one query, which has a pair
 *   to each; query id = the smallest of their item ids; split = a seeded
 *   hash of that synset's sourceId ({@link hashedSplit}).
 * - pairs: query → its synset(s), grade 3. With `lemmaInGloss: "drop"` a
 *   synset whose definition names one of its lemmas gets no pair, and a
 *   query left without pairs is dropped.
 */
export async function loadWordnet(
  options: WordnetOptions = {},
): Promise<Dataset> {
  const { parts, lemmaInGloss, valid, test, seed } = checkOptions(options);
  const dir = resolveWordnetSource(options);
  await requireFolder(dir, wordnetFolderSpec());
  const files: Record<string, string> = {};
  const synsets: WordnetSynset[] = [];
  const synsetsByPos: Record<string, number> = {};
  let version: string | null = null;
  for (const pos of parts) {
    const file = WORDNET_DATA_FILES[pos];
    const { text, sha256 } = await readDataText(dir, file);
    files[file] = sha256;
    version ??= headerVersion(text);
    const parsed = parseDataFile(text, { file: joinPath(dir, file), pos });
    parsed.sort((a, b) => a.offset - b.offset);
    synsetsByPos[pos] = parsed.length;
    synsets.push(...parsed);
  }
  const index = rowsByKey(
    synsets.map((s) => `${s.pos}${s.offset}`),
    (i) =>
      new DataError(
        joinPath(dir, WORDNET_DATA_FILES[synsets[i].pos]),
        `synset offset ${synsets[i].offset} appears twice`,
      ),
  );

  const n = synsets.length;
  const sourceId = synsets.map(synsetId);
  const lemmas = synsets.map((s) => [...new Set(s.words.map(lemmaText))]);
  const parent = new Int32Array(n).fill(-1);
  for (const [i, s] of synsets.entries()) {
    const p = parentPointer(s);
    if (!p) continue;
    const j = index.get(`${p.pos}${p.offset}`);
    if (j === undefined) {
      throw new DataError(
        joinPath(dir, WORDNET_DATA_FILES[s.pos]),
        `synset ${sourceId[i]}: its '${p.symbol}' pointer targets offset ` +
          `${p.offset} in ${
            WORDNET_DATA_FILES[p.pos]
          }, which has no such synset`,
      );
    }
    parent[i] = j;
  }

  // One query per distinct definition text, in item order.
  const groups = new Map<string, number[]>();
  let withoutDefinition = 0;
  let namingLemma = 0;
  for (let i = 0; i < n; i++) {
    const def = glossDefinition(synsets[i].gloss);
    if (def === "") {
      withoutDefinition++;
      continue;
    }
    if (namesLemma(def, lemmas[i])) {
      namingLemma++;
      if (lemmaInGloss === "drop") continue;
    }
    const g = groups.get(def);
    if (g) g.push(i);
    else groups.set(def, [i]);
  }
  const qRows: { id: number; text: string; split: Split }[] = [];
  const pairRows: { q: number; i: number; r: number; s: Split }[] = [];
  let shared = 0;
  let sharedSynsets = 0;
  for (const [text, members] of groups) {
    const id = members[0];
    const split = hashedSplit(sourceId[id], { seed, valid, test });
    qRows.push({ id, text, split });
    for (const i of members) pairRows.push({ q: id, i, r: 3, s: split });
    if (members.length > 1) {
      shared++;
      sharedSynsets += members.length;
    }
  }
  const queries = queriesTable(qRows);
  const pairs = sortedPairs(pairRows);
  const popularity = trainPopularity(pairs, { items: n });
  const children = new Map<number, number>();
  for (const p of parent) {
    if (p >= 0) children.set(p, (children.get(p) ?? 0) + 1);
  }
  const sisterGroups = [...children.values()].filter((c) => c >= 2);

  const items: ItemsTable = {
    itemId: Int32Array.from({ length: n }, (_, i) => i),
    sourceId,
    title: lemmas.map((l) => l.join(", ")),
    category: synsets.map((s) => LEXNAMES[s.lexFile]),
    brand: new Array(n).fill(""),
    attributes: synsets.map((s, i) =>
      `pos=${s.type}` + (parent[i] >= 0 ? `;parent=${sourceId[parent[i]]}` : "")
    ),
    popularity,
  };
  return realDataset({ items, queries, pairs }, {
    name: "wordnet",
    source: dir,
    version,
    files,
    partsOfSpeech: parts,
    lemmaInGloss,
    labels: "definition → its synset = 3; synsets sharing a definition " +
      "text share its query (a pair to each)",
    splits: `per query by sha256("<seed>:<sourceId of its first ` +
      `synset>"): test ${test}, valid ${valid}, the rest train (seed ` +
      `${seed}); query_id = item_id of its first synset`,
    itemText: "the synset's lemmas, '_' → ' ', adjective markers " +
      "dropped, joined by ', '",
    queryText: "the gloss's definition: text before the first quote " +
      "after ';', ':' or ',' (the examples), whitespace collapsed",
    category: "lexicographer file (lexnames), e.g. noun.animal",
    attributes: "pos=<n|v|a|s|r>; parent=<sourceId>: first hypernym " +
      "(@ or @i) of a noun or verb, head (&) of an adjective satellite; " +
      "items with one parent are sisters",
    popularity: "number of positive train pairs of the synset",
    seed,
    validFraction: valid,
    testFraction: test,
    counts: {
      synsets: synsetsByPos,
      items: n,
      categories: new Set(items.category).size,
      withoutDefinition,
      definitionNamesLemma: namingLemma,
      droppedDefinitionNamesLemma: lemmaInGloss === "drop" ? namingLemma : 0,
      sharedDefinitions: { queries: shared, synsets: sharedSynsets },
      withParent: parent.filter((p) => p >= 0).length,
      sisterGroups: {
        groups: sisterGroups.length,
        items: sisterGroups.reduce((s, c) => s + c, 0),
      },
    },
  });
}
