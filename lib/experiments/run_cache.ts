/**
 * The run cache every experiment trains through: a run lives in a folder
 * named after a key that hashes everything its numbers depend on (config,
 * data contents, evaluation version, …); a folder that holds a finished
 * result for that key is read back instead of trained; any other folder
 * of that name is wiped (or, where the experiment can, resumed) and the
 * run made afresh.
 *
 * What counts as "a finished result for the key" is each experiment's
 * marker, read by its `read` function: `eval.json`'s `experimentsKey`
 * (adaptive method, main experiments), `run.json`'s status and data hash
 * with `eval.json`'s evaluation version and `perquery.json` (baselines),
 * `collapse.json`'s key and format (collapse). The markers are what the
 * run folders under `out/runs/` already hold, so existing runs stay
 * cached.
 *
 * @module
 */

import { stableHash } from "../data/mod.ts";

/**
 * The key of a run: the {@link stableHash} of `parts`, everything its
 * numbers depend on.
 */
export function runKey(parts: unknown): string {
  return stableHash(parts);
}

/** Options of {@link cachedRun}. */
export interface CachedRunOptions<T> {
  /** The run's folder. */
  dir: string;
  /**
   * The finished result in a folder, or null when the folder holds none
   * for this run (missing, another key, an older format, unreadable).
   */
  read: (dir: string) => Promise<T | null>;
  /**
   * Folders that may already hold the finished run, tried in order
   * (default `[dir]`), e.g. every `<name>-<key>` folder when a renamed
   * run may be reused.
   */
  lookIn?: readonly string[];
  /**
   * Whether an unfinished `dir` may be resumed (kept as it is) instead of
   * wiped before `make` (default: never).
   */
  resume?: (dir: string) => Promise<boolean>;
}

/** Result of {@link cachedRun}. */
export interface CachedRun<T> {
  /** The result, read back or made now. */
  result: T;
  /** The folder it is in. */
  dir: string;
  /** Whether it was read back from a finished folder. */
  cached: boolean;
}

/**
 * Reads the finished run from the first folder of `lookIn` that holds
 * one; otherwise wipes `dir` (unless `resume` keeps it), creates it and
 * returns what `make` returns for it. Errors of `make` propagate; the
 * folder is then left as `make` left it.
 */
export async function cachedRun<T>(
  make: (dir: string) => Promise<T>,
  options: CachedRunOptions<T>,
): Promise<CachedRun<T>> {
  for (const dir of options.lookIn ?? [options.dir]) {
    const result = await options.read(dir);
    if (result !== null) return { result, dir, cached: true };
  }
  const dir = options.dir;
  if (!(await options.resume?.(dir))) {
    await Deno.remove(dir, { recursive: true }).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  await Deno.mkdir(dir, { recursive: true });
  return { result: await make(dir), dir, cached: false };
}
