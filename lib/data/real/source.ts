/**
 * Where the real datasets live, what their files must hash to, and how to
 * download them again on a machine with internet.
 *
 * The table below lists every file with its commit-pinned URL and sha256
 * (provenance and licences: docs/datasets.md), so a download gives the same
 * bytes as the development copies and each is checked. Files whose upstream
 * hash is unknown (the full WANDS catalogue and judgements) have
 * `sha256: null`; they are fetched only when asked for explicitly
 * (`unverified`), because they also change which WANDS the loader reads.
 *
 * @module
 */

import {
  DataError,
  directoryExists,
  fileExists,
  joinPath,
  sha256Hex,
  writeFileAtomic,
} from "../io.ts";
import { dirname } from "node:path";
import { readEnv } from "../env.ts";

/** Names of the real datasets this package converts. */
export type SourceName = "wands" | "scifact" | "movielens";

/** All real dataset names, in a fixed order. */
export const SOURCE_NAMES: readonly SourceName[] = [
  "wands",
  "scifact",
  "movielens",
];

/** One file of a source folder. */
export interface SourceFile {
  /** Path inside the dataset folder. */
  path: string;
  /** Commit-pinned download URL. */
  url: string;
  /** Expected sha256 (lower-case hex), or null when upstream gives none. */
  sha256: string | null;
  /** Whether the loader reads this file (others are licences, extras). */
  read: boolean;
  /** Why the hash is unknown or anything else worth knowing. */
  note?: string;
}

/** A dataset folder: its name under the datasets root and its files. */
export interface SourceSpec {
  /** Dataset name. */
  name: SourceName;
  /** Folder name under the datasets root. */
  folder: string;
  /** The files, with URL and hash. */
  files: SourceFile[];
}

const WANDS_RAW =
  "https://raw.githubusercontent.com/wayfair/WANDS/3b74dcf4ba29ab8ff3e6a50b5b09fc627cb882b5";
const SHOPPING_RAW =
  "https://raw.githubusercontent.com/danimtk/chatGPT-goes-shopping/51dad188cf49f64390ca338448be8b3794d181ed/data/datasets/wands";
const SCIFACT_RAW =
  "https://raw.githubusercontent.com/sumithra-p-v/claimverifier/b42f1c3444b28884ddcfadffafbfe223646c6c37/data";
const MOVIELENS_RAW =
  "https://raw.githubusercontent.com/IvanAziz/QuarentenaDados/7ebf2ef2326948e9c263ff8bf7163f0b06d36c75/Dados/ml-latest-small";

const SUBSET = "chatgpt-goes-shopping-subset";

/**
 * URLs and sha256 of every file (provenance and licences:
 * docs/datasets.md). SciFact and MovieLens point at the carrier repositories named in
 * SOURCE.md because the official downloads (the SciFact JSONL tarball, the
 * GroupLens zip) come in other formats or with other line endings, and have
 * no published hash.
 */
export const SOURCES: Record<SourceName, SourceSpec> = {
  wands: {
    name: "wands",
    folder: "wands",
    files: [
      {
        path: "query.csv",
        url: `${WANDS_RAW}/dataset/query.csv`,
        sha256:
          "63b61660560fecc33ec490804c7e2b81402ee3e7c31a9cbb5e03736639f68e95",
        read: true,
      },
      {
        path: "LICENSE.WANDS.txt",
        url: `${WANDS_RAW}/LICENSE`,
        sha256:
          "e3ce14610132897db9f64e21d7871a7a60c0bc04364ec61e4faa99643c5072d6",
        read: false,
      },
      {
        path: `${SUBSET}/wands_2800_test_partial.csv`,
        url: `${SHOPPING_RAW}/wands_2800_test_partial.csv`,
        sha256:
          "5b764fd78de8596e5253de13bde017436264d8de738cb6a985ecbc19acf7d133",
        read: true,
      },
      {
        path: `${SUBSET}/wands_200_train_partial.csv`,
        url: `${SHOPPING_RAW}/wands_200_train_partial.csv`,
        sha256:
          "84f0536846c172300a89b381a39243538b080206d735b6c1e4b92303531b6e54",
        read: true,
      },
      {
        path: `${SUBSET}/wands_fewshot_partial.csv`,
        url: `${SHOPPING_RAW}/wands_fewshot_partial.csv`,
        sha256:
          "dc8fdcaac83c35283a8a70c1338a04934d07a2b05cc35e09679586f0337783ff",
        read: false,
      },
      {
        path: `${SUBSET}/wands_fewshot_partial.txt`,
        url: `${SHOPPING_RAW}/wands_fewshot_partial.txt`,
        sha256:
          "f8793411206c20132f6150c29f8c545e8121baf004ae7753068a2ef67b70c635",
        read: false,
      },
      {
        path: "product.csv",
        url: `${WANDS_RAW}/dataset/product.csv`,
        sha256: null,
        read: true,
        note: "full WANDS catalogue; not in the shared copy, hash unknown",
      },
      {
        path: "label.csv",
        url: `${WANDS_RAW}/dataset/label.csv`,
        sha256: null,
        read: true,
        note: "full WANDS judgements; not in the shared copy, hash unknown",
      },
    ],
  },
  scifact: {
    name: "scifact",
    folder: "scifact",
    files: [
      {
        path: "scifact.zip",
        url: `${SCIFACT_RAW}/scifact.zip`,
        sha256:
          "a798a7046af0f6fa04476448459ce7cafeea5bd90d4d99c53a0e27dc5e1a4673",
        read: true,
      },
    ],
  },
  movielens: {
    name: "movielens",
    folder: "movielens-latest-small",
    files: [
      {
        path: "ratings.csv",
        url: `${MOVIELENS_RAW}/ratings.csv`,
        sha256:
          "80da8b3393dae325bbba5a31f291a6ba55d8d4f4396de3c456f2c1635b1b70e8",
        read: true,
      },
      {
        path: "movies.csv",
        url: `${MOVIELENS_RAW}/movies.csv`,
        sha256:
          "c47b783f23eb304413307e1bb05335e427737da20ec8d3c0e96335567dd5f3dc",
        read: true,
      },
      {
        path: "tags.csv",
        url: `${MOVIELENS_RAW}/tags.csv`,
        sha256:
          "68eec00a0820c2faa8863a6df7032f13d5899a4462bce9a97213905297ff3d34",
        read: false,
      },
      {
        path: "links.csv",
        url: `${MOVIELENS_RAW}/links.csv`,
        sha256:
          "028a4a1d17751ca9276e0e0718cfc22356350f224a996e1ec348c23274b9209d",
        read: false,
      },
      {
        path: "README.txt",
        url: `${MOVIELENS_RAW}/README.txt`,
        sha256:
          "63d22ac138e80fae37021797ed8e1b9424b5239dc576a137422adf783ae3f404",
        read: false,
        note: "the GroupLens licence; keep it with the data",
      },
    ],
  },
};

/** Environment variable naming the parent folder of all dataset folders. */
export const DATASETS_ENV = "ADAPTIVE_RETRIEVAL_DATASETS";

/** Options shared by every loader: where the dataset folder is. */
export interface SourceOptions {
  /** The dataset folder itself (default: see {@link resolveSource}). */
  source?: string;
}

function specOf(name: string): SourceSpec {
  const spec = (SOURCES as Record<string, SourceSpec | undefined>)[name];
  if (!spec) {
    throw new RangeError(
      `unknown dataset '${name}'; expected one of ${SOURCE_NAMES.join(", ")}`,
    );
  }
  return spec;
}

function envRoot(): string | undefined {
  return readEnv(DATASETS_ENV);
}

/**
 * The folder holding all dataset folders: `$ADAPTIVE_RETRIEVAL_DATASETS` when
 * set, else `<repo>/../shared/datasets`, found from this file's location so
 * it does not depend on the working directory.
 */
export function datasetsRoot(): string {
  const env = envRoot();
  if (env) return env.replace(/\/+$/, "");
  const url = new URL("../../../../shared/datasets", import.meta.url);
  if (url.protocol === "file:") return decodeURIComponent(url.pathname);
  return "../shared/datasets";
}

/**
 * The folder a loader reads: `options.source` when given, else
 * `<datasetsRoot()>/<folder>` (folder names as in {@link SOURCES}).
 */
export function resolveSource(
  name: SourceName,
  options: SourceOptions = {},
): string {
  return givenSource(options) ?? joinPath(datasetsRoot(), specOf(name).folder);
}

/** `options.source` without trailing slashes, or undefined when not given. */
export function givenSource(options: SourceOptions): string | undefined {
  return options.source ? options.source.replace(/(.)\/+$/, "$1") : undefined;
}

/** The hosts the pinned URLs of {@link SOURCES} point at. */
export function sourceHosts(): string[] {
  return [
    ...new Set(
      SOURCE_NAMES.flatMap((n) =>
        SOURCES[n].files.map((f) => new URL(f.url).host)
      ),
    ),
  ].sort();
}

/**
 * Null when this process may download the sources (network access to
 * {@link sourceHosts}), else why not: the `data` and `reproduce` tasks have
 * no network permission, only the `download` task has.
 */
export function downloadDenied(): string | null {
  const hosts = sourceHosts();
  const denied = hosts.filter((host) =>
    Deno.permissions.querySync({ name: "net", host }).state !== "granted"
  );
  return denied.length === 0
    ? null
    : `downloading needs network access to ${denied.join(", ")}, which ` +
      `this task does not have; use \`deno task download <name>\` ` +
      `(or \`all\`), which has it`;
}

/** A file read by a loader, with its hash for the dataset's `meta`. */
export interface SourceBytes {
  /** Full path that was read. */
  path: string;
  /** Its contents. */
  bytes: Uint8Array;
  /** Its sha256 (lower-case hex). */
  sha256: string;
}

/**
 * The commands that bring a dataset's source files, as one sentence for
 * error messages and skip lines: download it, or point at a copy.
 */
export function sourceHint(name: SourceName): string {
  const folder = specOf(name).folder;
  return `get it with \`deno task download ${name}\` (needs ` +
    `internet; checks each file's sha256), or use a copy: ` +
    `\`deno task data ${name} --source DIR\`, or set ` +
    `${DATASETS_ENV}=DIR where DIR holds '${folder}/'`;
}

/**
 * Files a loader cannot do without: the ones it reads that have a known
 * hash (the full WANDS files, hash unknown, are optional extras).
 */
export function requiredSourceFiles(name: SourceName): string[] {
  return specOf(name).files.filter((f) => f.read && f.sha256 !== null)
    .map((f) => f.path);
}

/** Whether a dataset's source files are at hand, from {@link sourceStatus}. */
export interface SourceStatus {
  /** Dataset name. */
  name: SourceName;
  /** The folder looked at. */
  dir: string;
  /** Whether every {@link requiredSourceFiles} file is there. */
  present: boolean;
  /** The required files that are not there. */
  missing: string[];
  /** What is missing, e.g. "source folder DIR not found"; "" when present. */
  problem: string;
  /**
   * When not present, one line saying what is missing and the commands
   * that bring it; "" when present.
   */
  reason: string;
}

/**
 * What the folder checks need to know of a dataset: its name, the files
 * its loader reads, and the sentence that says how to get them.
 */
export interface FolderSpec<N extends string = string> {
  /** The dataset's name, first in every message. */
  name: N;
  /** Files the loader reads, relative to the folder. */
  files: readonly string[];
  /** How to get them ({@link sourceHint}, or WordNet's own). */
  hint: string;
}

/**
 * Checks (without reading them) that the files of `spec` are in `root`:
 * the {@link SourceStatus} of any dataset folder.
 */
export async function folderStatus<N extends string>(
  root: string,
  spec: FolderSpec<N>,
): Promise<Omit<SourceStatus, "name"> & { name: N }> {
  const missing: string[] = [];
  for (const f of spec.files) {
    if (!(await fileExists(joinPath(root, f)))) missing.push(f);
  }
  const problem = missing.length === 0
    ? ""
    : !(await directoryExists(root))
    ? `source folder ${root} not found`
    : `${missing.join(", ")} not found in ${root}`;
  return {
    name: spec.name,
    dir: root,
    present: missing.length === 0,
    missing,
    problem,
    reason: problem && `${spec.name}: ${problem}; ${spec.hint}`,
  };
}

/**
 * Checks (without reading them) that a dataset's required source files are
 * in its folder, `dir` or {@link resolveSource}'s default.
 */
export async function sourceStatus(
  name: SourceName,
  dir?: string,
): Promise<SourceStatus> {
  return await folderStatus(dir ?? resolveSource(name), {
    name,
    files: requiredSourceFiles(name),
    hint: sourceHint(name),
  });
}

/**
 * Checks that a dataset folder exists, with an error that says which files
 * were expected there (`spec.files`) and how to get them.
 */
export async function requireFolder(
  dir: string,
  spec: FolderSpec,
): Promise<void> {
  if (await directoryExists(dir)) return;
  throw new DataError(
    dir,
    `${spec.name} source folder not found (expected ${
      spec.files.join(", ")
    } in it); ${spec.hint}`,
  );
}

/** {@link requireFolder} for a downloadable dataset, expecting `expected`. */
export async function requireSourceDir(
  name: SourceName,
  dir: string,
  expected: readonly string[],
): Promise<void> {
  return await requireFolder(dir, {
    name,
    files: expected,
    hint: sourceHint(name),
  });
}

/** Reads one file of a dataset folder and hashes it. */
export function readSourceFile(
  name: SourceName,
  dir: string,
  file: string,
): Promise<SourceBytes> {
  return readFolderFile(dir, file, { loader: name, hint: sourceHint });
}

/**
 * Reads `file` of the folder `dir` and hashes it; a missing file is a
 * {@link DataError} that names the loader expecting it and, from `hint`,
 * how to get it (the downloads' and WordNet's ways differ).
 */
export async function readFolderFile<L extends string>(
  dir: string,
  file: string,
  options: { loader: L; hint: (loader: L) => string },
): Promise<SourceBytes> {
  const path = joinPath(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new DataError(
        path,
        `file not found (the ${options.loader} loader expects '${file}' in ${dir}); ${
          options.hint(options.loader)
        }`,
      );
    }
    throw err;
  }
  return { path, bytes, sha256: sha256Hex(bytes) };
}

/** What happened to one file in {@link fetchSource} or {@link verifySource}. */
export interface FileReport {
  /** Path inside the dataset folder. */
  path: string;
  /**
   * `ok`: present and hash matches; `downloaded`: fetched and verified (or
   * unverifiable, see `verified`); `present`: already there, not fetched
   * again; `absent`: missing but optional (hash unknown upstream);
   * `unpinned`: not fetched because no hash is pinned for it (see
   * {@link FetchOptions.unverified}).
   */
  status: "ok" | "downloaded" | "present" | "absent" | "unpinned";
  /** sha256 of the file on disk, when there is one. */
  sha256?: string;
  /** False when no expected hash is known for the file. */
  verified: boolean;
}

/** The report of a file on disk whose bytes hash to `sha256`. */
function hashedReport(
  file: SourceFile,
  status: FileReport["status"],
  sha256: string,
): FileReport {
  return { path: file.path, status, sha256, verified: file.sha256 !== null };
}

/** Options of {@link fetchSource}. */
export interface FetchOptions {
  /** Target folder (default: {@link resolveSource}). */
  dir?: string;
  /** The fetch function to use (default: global `fetch`); tests inject one. */
  fetch?: (url: string) => Promise<Response>;
  /** Download again even when a file with the right hash is present. */
  force?: boolean;
  /** Only these paths (default: every file of the dataset). */
  files?: readonly string[];
  /**
   * Also fetch files with no pinned sha256 (default false): their bytes
   * cannot be checked, so a plain download leaves them out.
   */
  unverified?: boolean;
}

/**
 * Downloads a dataset's files from their pinned URLs into a folder and
 * checks each against its expected sha256. Each file is written to a
 * temporary sibling and renamed into place only after the hash matched, so a
 * mismatch (reported as a {@link DataError} naming the file) never replaces
 * an existing file. Files already present with the right hash are skipped.
 */
export async function fetchSource(
  name: SourceName,
  options: FetchOptions = {},
): Promise<FileReport[]> {
  const spec = specOf(name);
  const dir = options.dir ?? resolveSource(name);
  const doFetch = options.fetch ?? ((url: string) => fetch(url));
  const wanted = options.files;
  if (wanted) {
    for (const w of wanted) {
      if (!spec.files.some((f) => f.path === w)) {
        throw new RangeError(
          `fetchSource: '${w}' is not a file of ${name} (files: ${
            spec.files.map((f) => f.path).join(", ")
          })`,
        );
      }
    }
  }
  const reports: FileReport[] = [];
  for (const file of spec.files) {
    if (wanted && !wanted.includes(file.path)) continue;
    if (file.sha256 === null && !options.unverified) {
      reports.push({ path: file.path, status: "unpinned", verified: false });
      continue;
    }
    const path = joinPath(dir, file.path);
    if (!options.force && file.sha256 && await fileExists(path)) {
      const have = sha256Hex(await Deno.readFile(path));
      if (have === file.sha256) {
        reports.push(hashedReport(file, "present", have));
        continue;
      }
    }
    let bytes: Uint8Array;
    try {
      const res = await doFetch(file.url);
      if (!res.ok) {
        throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      }
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw new DataError(
        path,
        `download from ${file.url} failed: ${(err as Error).message}`,
      );
    }
    const got = sha256Hex(bytes);
    if (file.sha256 && got !== file.sha256) {
      throw new DataError(
        path,
        `downloaded bytes from ${file.url} have sha256 ${got}, expected ` +
          `${file.sha256} (pinned in SOURCES); nothing was written`,
      );
    }
    await Deno.mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
    reports.push(hashedReport(file, "downloaded", got));
  }
  return reports;
}

/**
 * Checks a local dataset folder against the hash table: every file with a
 * known hash must exist and match; files with an unknown hash are reported
 * (`absent` or `ok` unverified) but never fail. Throws a {@link DataError}
 * naming the first missing or mismatching file.
 */
export async function verifySource(
  name: SourceName,
  dir?: string,
): Promise<FileReport[]> {
  const spec = specOf(name);
  const root = dir ?? resolveSource(name);
  const reports: FileReport[] = [];
  for (const file of spec.files) {
    const path = joinPath(root, file.path);
    if (!(await fileExists(path))) {
      if (file.sha256 === null) {
        reports.push({ path: file.path, status: "absent", verified: false });
        continue;
      }
      throw new DataError(path, `file not found (${name} needs it)`);
    }
    const got = sha256Hex(await Deno.readFile(path));
    if (file.sha256 !== null && got !== file.sha256) {
      throw new DataError(
        path,
        `sha256 ${got} differs from the expected ${file.sha256} (SOURCE.md)`,
      );
    }
    reports.push(hashedReport(file, "ok", got));
  }
  return reports;
}
