/**
 * SciFact (claims → scientific abstracts, the BEIR `scifact` task) converted
 * into this package's tables, read straight from the CSV export
 * `scifact.zip` described in `shared/datasets/scifact/SOURCE.md`.
 *
 * @module
 */

import { unzipSync } from "fflate";
import {
  choice,
  integer,
  type OptionTable,
  type Resolved,
} from "../options.ts";
import { DataError } from "../io.ts";
import type { Dataset, Split } from "../schema.ts";
import {
  columnIndex,
  type CsvTable,
  decodeUtf8,
  intCell,
  parseCsv,
} from "./csv.ts";
import {
  readSourceFile,
  requireSourceDir,
  resolveSource,
  type SourceOptions,
} from "./source.ts";
import {
  loaderOptions,
  pickFraction,
  sortedPairs,
  SPLIT_SEED,
  VALID_FRACTION,
} from "./split.ts";
import { queriesTable, realDataset, sortById, textItems } from "./tables.ts";

/** The zip's members that the loader reads. */
export const SCIFACT_MEMBERS = {
  corpus: "corpus_train.csv",
  train: "claims_train.csv",
  dev: "claims_validation.csv",
} as const;

/** Options of {@link loadScifact}. */
/** The SciFact loader's options, each declared once. */
export const SCIFACT_OPTIONS = {
  relevance: choice({
    choices: ["cited", "evidence"],
    default: "cited",
    doc:
      "which documents are relevant to a claim (grade 3): cited, every cited_doc_ids entry (exactly BEIR's qrels: train 809 claims / 919 pairs, test 300 / 339); evidence, only docs with sentence-level evidence (evidence_doc_id), claims without evidence dropped",
  }),
  maxTextChars: integer({
    default: 1000,
    min: 0,
    doc: "item text length cap in characters (0: no cap)",
  }),
  validFraction: VALID_FRACTION,
  seed: SPLIT_SEED,
} as const satisfies OptionTable;

/** Options of {@link loadScifact} ({@link SCIFACT_OPTIONS}). */
export type ScifactOptions =
  & SourceOptions
  & Partial<Resolved<typeof SCIFACT_OPTIONS>>;

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
};

/**
 * Parses the numpy-style repr of a list of strings used by the `abstract`
 * column, e.g. `['First.'\n 'It\'s "second".']`: the string literals in
 * Python syntax (either quote, backslash escapes including `\xHH`, `\uHHHH`
 * and `\UHHHHHHHH`), separated by whitespace or commas. Throws a
 * `SyntaxError` saying where the text stops making sense.
 */
export function parseStringList(repr: string): string[] {
  const s = repr.trim();
  if (s[0] !== "[" || s[s.length - 1] !== "]") {
    throw new SyntaxError("expected a list in [ … ]");
  }
  const out: string[] = [];
  let i = 1;
  const end = s.length - 1;
  while (i < end) {
    const c = s[i];
    if (c === " " || c === "\n" || c === "\r" || c === "\t" || c === ",") {
      i++;
      continue;
    }
    if (c !== "'" && c !== '"') {
      throw new SyntaxError(
        `unexpected '${c}' at offset ${i}, expected a quoted string`,
      );
    }
    const start = i;
    let text = "";
    i++;
    for (;;) {
      if (i >= end) {
        throw new SyntaxError(`string opened at offset ${start} never closes`);
      }
      // Copy the run up to the next quote or backslash in one slice.
      const q = s.indexOf(c, i);
      const b = s.indexOf("\\", i);
      const stop = q < 0 || q >= end
        ? (b < 0 ? end : b)
        : (b >= 0 && b < q ? b : q);
      if (stop > i) {
        text += s.slice(i, Math.min(stop, end));
        i = stop;
        continue;
      }
      const d = s[i];
      if (d === c) {
        i++;
        break;
      }
      const e = s[i + 1];
      const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      if (hex > 0) {
        const h = s.slice(i + 2, i + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(h)) {
          throw new SyntaxError(`bad \\${e} escape at offset ${i}`);
        }
        text += String.fromCodePoint(parseInt(h, 16));
        i += 2 + hex;
      } else if (e in ESCAPES) {
        text += ESCAPES[e];
        i += 2;
      } else {
        // Python keeps unknown escapes verbatim.
        text += d + e;
        i += 2;
      }
    }
    out.push(text);
  }
  return out;
}

/**
 * The item text of a document: `"<title>. <sentences joined>"` (no extra
 * period when the title already ends in punctuation), whitespace collapsed,
 * cut at the last word boundary before `maxChars` (0 = no cap).
 */
export function documentText(
  title: string,
  sentences: readonly string[],
  maxChars: number,
): string {
  const t = title.trim();
  const head = t.length === 0 || /[.?!:]$/.test(t) ? t : `${t}.`;
  const full = [head, ...sentences].join(" ").replace(/\s+/g, " ").trim();
  if (maxChars <= 0 || full.length <= maxChars) return full;
  const cut = full.slice(0, maxChars + 1);
  const space = cut.lastIndexOf(" ");
  return (space > maxChars / 2 ? cut.slice(0, space) : cut.slice(0, maxChars))
    .trim();
}

function unzip(path: string, bytes: Uint8Array): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (err) {
    throw new DataError(
      path,
      `not a valid zip archive (${(err as Error).message})`,
    );
  }
}

function member(
  files: Record<string, Uint8Array>,
  zipPath: string,
  name: string,
): CsvTable & { bytes: number } {
  const bytes = files[name];
  const file = `${zipPath}!${name}`;
  if (!bytes) {
    throw new DataError(
      file,
      `member not found in the zip (it has: ${
        Object.keys(files).join(", ") || "nothing"
      })`,
    );
  }
  return { ...parseCsv(decodeUtf8(bytes, file), file), bytes: bytes.length };
}

function docIdList(t: CsvTable, row: number, col: number): number[] {
  const s = t.rows[row][col].trim();
  if (!/^\[[\d\s,]*\]$/.test(s)) {
    throw new DataError(
      t.file,
      `row ${row + 1}: '${s}' is not a list of doc ids like [1 2]`,
      t.header[col],
    );
  }
  return (s.match(/\d+/g) ?? []).map(Number);
}

interface Claim {
  id: number;
  text: string;
  docs: Set<number>;
}

function readClaims(
  t: CsvTable,
  mode: "cited" | "evidence",
  docIndex: Map<number, number>,
): Map<number, Claim> {
  const idCol = columnIndex(t, "id");
  const textCol = columnIndex(t, "claim");
  const evCol = columnIndex(t, "evidence_doc_id");
  const citedCol = columnIndex(t, "cited_doc_ids");
  const claims = new Map<number, Claim>();
  for (let r = 0; r < t.rows.length; r++) {
    const id = intCell(t, r, idCol);
    const text = t.rows[r][textCol];
    let c = claims.get(id);
    if (!c) claims.set(id, c = { id, text, docs: new Set() });
    else if (c.text !== text) {
      throw new DataError(
        t.file,
        `row ${r + 1}: claim ${id} appears with two different texts`,
        "claim",
      );
    }
    let docs: number[];
    let col: number;
    if (mode === "cited") {
      col = citedCol;
      docs = docIdList(t, r, col);
    } else {
      col = evCol;
      docs = t.rows[r][col].trim() === "" ? [] : [intCell(t, r, col)];
    }
    for (const d of docs) {
      if (!docIndex.has(d)) {
        throw new DataError(
          t.file,
          `row ${r + 1}: doc id ${d} is not in ${SCIFACT_MEMBERS.corpus}`,
          t.header[col],
        );
      }
      c.docs.add(docIndex.get(d)!);
    }
  }
  return claims;
}

/**
 * Loads SciFact as a {@link Dataset}.
 *
 * - items: the 5,183 corpus abstracts in doc_id order (item id = position,
 *   sourceId = doc_id); title = {@link documentText} (title, then the
 *   abstract, capped at `maxTextChars`); category/brand/attributes empty;
 *   popularity = number of positive train pairs.
 * - queries: claims, query id = claim id. `claims_train.csv` → train, with
 *   `validFraction` of its claims moved to valid; `claims_validation.csv`
 *   (the official dev set, BEIR's test) → test. `claims_test.csv` has no
 *   labels and is not used. Claims without a relevant doc under the chosen
 *   `relevance` rule are dropped (counted in `meta`).
 * - pairs: claim → relevant doc, grade 3 (SUPPORT and CONTRADICT alike:
 *   both mean the abstract is the one the claim is about).
 */
export async function loadScifact(
  options: ScifactOptions = {},
): Promise<Dataset> {
  const dir = resolveSource("scifact", options);
  const {
    relevance: mode,
    maxTextChars: maxChars,
    validFraction,
    seed,
  } = loaderOptions(SCIFACT_OPTIONS, options);
  await requireSourceDir("scifact", dir, ["scifact.zip"]);
  const zip = await readSourceFile("scifact", dir, "scifact.zip");
  const files = unzip(zip.path, zip.bytes);

  const corpus = member(files, zip.path, SCIFACT_MEMBERS.corpus);
  const idCol = columnIndex(corpus, "doc_id");
  const titleCol = columnIndex(corpus, "title");
  const absCol = columnIndex(corpus, "abstract");
  const docs = corpus.rows.map((row, r) => {
    let sentences: string[];
    try {
      sentences = parseStringList(row[absCol]);
    } catch (err) {
      throw new DataError(
        corpus.file,
        `row ${r + 1}: cannot parse the sentence list (${
          (err as Error).message
        })`,
        "abstract",
      );
    }
    return {
      id: intCell(corpus, r, idCol),
      text: documentText(row[titleCol], sentences, maxChars),
      sentences: sentences.length,
    };
  });
  const docIndex = sortById(
    docs,
    (id) => new DataError(corpus.file, `doc id ${id} appears twice`, "doc_id"),
  );

  const trainT = member(files, zip.path, SCIFACT_MEMBERS.train);
  const devT = member(files, zip.path, SCIFACT_MEMBERS.dev);
  const train = readClaims(trainT, mode, docIndex);
  const dev = readClaims(devT, mode, docIndex);
  for (const id of dev.keys()) {
    if (train.has(id)) {
      throw new DataError(
        devT.file,
        `claim id ${id} is also in ${SCIFACT_MEMBERS.train}`,
        "id",
      );
    }
  }
  const kept = (m: Map<number, Claim>) =>
    [...m.values()].filter((c) => c.docs.size > 0);
  const trainKept = kept(train);
  const devKept = kept(dev);
  const valid = pickFraction(trainKept.map((c) => c.id), validFraction, seed);

  const claims: { c: Claim; s: Split }[] = [
    ...trainKept.map((c) => ({
      c,
      s: (valid.has(c.id) ? "valid" : "train") as Split,
    })),
    ...devKept.map((c) => ({ c, s: "test" as Split })),
  ];
  const queries = queriesTable(
    claims.map((x) => ({ id: x.c.id, text: x.c.text, split: x.s })),
  );
  const pairs = sortedPairs(
    claims.flatMap((x) =>
      [...x.c.docs].map((i) => ({ q: x.c.id, i, r: 3, s: x.s }))
    ),
  );
  const items = textItems(
    { sourceId: docs.map((d) => String(d.id)), title: docs.map((d) => d.text) },
    pairs,
  );
  return realDataset({ items, queries, pairs }, {
    name: "scifact",
    source: dir,
    files: { "scifact.zip": zip.sha256 },
    relevance: mode,
    labels: mode === "cited"
      ? "claim → each cited_doc_ids entry = 3 (BEIR qrels)"
      : "claim → each evidence_doc_id = 3 (SUPPORT or CONTRADICT)",
    splits: `test = ${SCIFACT_MEMBERS.dev} (official dev, BEIR test); ` +
      `train = ${SCIFACT_MEMBERS.train} minus ${validFraction} of its ` +
      `claims → valid (seed ${seed}); query_id = claim id; claims without ` +
      "a relevant doc are dropped",
    itemText: `"<title>. <abstract sentences>", whitespace collapsed, ` +
      (maxChars > 0 ? `cut at ${maxChars} chars` : "not cut"),
    popularity: "number of positive train pairs of the doc",
    seed,
    validFraction,
    maxTextChars: maxChars,
    counts: {
      items: docs.length,
      claims: { train: train.size, dev: dev.size },
      claimsDroppedWithoutRelevantDoc: {
        train: train.size - trainKept.length,
        dev: dev.size - devKept.length,
      },
      sentences: docs.reduce((s, d) => s + d.sentences, 0),
    },
  });
}
