/**
 * For tests that read a real dataset: find its source files the way the
 * package does ({@link resolveSource}: `$ADAPTIVE_RETRIEVAL_DATASETS`, else
 * `../shared/datasets` beside the clone; WordNet also in
 * `/usr/share/wordnet`) and, when they are not there, skip
 * the test with the reason in its name (so `deno test` prints it) and one
 * console line, or fail it under CI (`CI=true`), where the files are always
 * beside the clone. Only for `*_test.ts` files.
 *
 * ```ts
 * const src = await realSource("wands");
 * src.test("loadWands on the real files", async () => {
 *   const ds = await loadWands({ source: src.dir });
 * });
 * ```
 *
 * @module
 */

import { underCi } from "../../testing.ts";
import { isDownloadable, type RealName, realSourceStatus } from "./load.ts";
import { DATASETS_ENV } from "./source.ts";
import type { Dataset } from "../schema.ts";
import { validateDataset } from "../io.ts";

/** A real dataset's source folder as a test sees it. */
export interface RealSource {
  /** The folder (absolute unless the env var is relative). */
  dir: string;
  /** Whether its required files are there. */
  present: boolean;
  /** Whether the test must be ignored (files missing, not under CI). */
  ignore: boolean;
  /** Appended to the test name: the skip reason when ignored, else "". */
  skipNote: string;
  /** Throws the reason when the files are missing (call first in `fn`). */
  require: () => void;
  /**
   * Registers a test that needs the files: `name` with the skip note,
   * ignored as {@link RealSource.ignore} says, `fn` after `require`.
   */
  test: (name: string, fn: () => Promise<void>) => void;
}

export { underCi } from "../../testing.ts";

const warned = new Set<string>();

/**
 * Looks up a real dataset's source folder for a test module (call at the
 * module's top level, before `Deno.test`).
 */
export async function realSource(name: RealName): Promise<RealSource> {
  const status = await realSourceStatus(name);
  const ci = underCi();
  if (!status.present && !ci && !warned.has(name)) {
    warned.add(name);
    console.warn(
      `skipping the tests on the real ${name} files: ${status.reason}`,
    );
  }
  const ignore = !status.present && !ci;
  // Short, so the summary line stays readable; the console line above has
  // the whole hint.
  const skipNote = ignore
    ? ` [skipped: ${name} ${status.problem}; ${
      isDownloadable(name)
        ? `\`deno task download ${name}\``
        : "`apt-get install wordnet-base`"
    } or ${DATASETS_ENV}=DIR]`
    : "";
  const require = () => {
    if (!status.present) {
      throw new Error(
        `CI=true, where the real datasets must be beside the clone, but ${status.reason}`,
      );
    }
  };
  return {
    dir: status.dir,
    present: status.present,
    ignore,
    skipNote,
    require,
    test: (testName, fn) =>
      Deno.test({
        name: testName + skipNote,
        ignore,
        fn: async () => {
          require();
          await fn();
        },
      }),
  };
}

/** A dataset's pairs as rows `[query_id, item_id, relevance, split]`, for comparing by hand. */
export function pairRows(ds: Dataset): (number | string)[][] {
  return Array.from(ds.pairs.queryId, (q, k) => [
    q,
    ds.pairs.itemId[k],
    ds.pairs.relevance[k],
    ds.pairs.split[k],
  ]);
}

/**
 * `load(options)`, checked by `validateDataset`, with its meta's counts (the
 * first steps of every loader's test).
 */
export async function loadValidated<O>(
  load: (options: O) => Promise<Dataset>,
  options: O,
): Promise<{ ds: Dataset; counts: Record<string, unknown> }> {
  const ds = await load(options);
  validateDataset(ds);
  return { ds, counts: ds.meta.counts as Record<string, unknown> };
}

/**
 * Writes `files` (path in the folder → text or bytes; parent folders are
 * made) into a new temporary folder, runs `fn` on the folder and removes it
 * afterwards, whether `fn` passed or threw.
 */
export async function withFiles(
  files: Record<string, string | Uint8Array>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [path, data] of Object.entries(files)) {
      const file = `${dir}/${path}`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), {
        recursive: true,
      });
      if (typeof data === "string") await Deno.writeTextFile(file, data);
      else await Deno.writeFile(file, data);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `fn` with `$ADAPTIVE_RETRIEVAL_DATASETS` set to `root`, then puts it back. */
export async function withDatasetsRoot<T>(
  root: string,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Deno.env.get(DATASETS_ENV);
  Deno.env.set(DATASETS_ENV, root);
  try {
    return await fn();
  } finally {
    if (saved === undefined) Deno.env.delete(DATASETS_ENV);
    else Deno.env.set(DATASETS_ENV, saved);
  }
}

/** What a command printed, and its exit status. */
export interface CliOutput {
  /** Exit status. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

const DATA_CLI = decodeURIComponent(
  new URL("../cli.ts", import.meta.url).pathname,
);

/** Runs `deno task data` on `args` in a subprocess, in `options.cwd` with `options.env`. */
export async function runDataCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliOutput> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      DATA_CLI,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
