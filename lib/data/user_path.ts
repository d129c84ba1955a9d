/**
 * Paths typed on a command line, resolved where the user typed them.
 *
 * `deno task` runs a task with the working directory set to the folder of
 * `deno.json` (the repository root) and passes the directory it was
 * started from in the environment variable `INIT_CWD`. A relative path
 * such as `--out runs/a` typed in `notebooks/` therefore means
 * `notebooks/runs/a`, not `runs/a` of the root. Paths inside config files
 * are not command-line paths: they stay relative to the working directory.
 *
 * @module
 */

import {
  basename,
  dirname,
  isAbsolute,
  join,
  relative,
  resolve,
} from "node:path";
import { readEnv } from "./env.ts";

/** Options of {@link userPath} (both default to the real process's). */
export interface UserPathOptions {
  /** The working directory (default `Deno.cwd()`). */
  cwd?: string;
  /** Reads an environment variable (default `Deno.env.get`, undefined without permission). */
  env?: (name: string) => string | undefined;
}

/**
 * `path` made absolute against the working directory and normalised (no
 * `.`, `..` or doubled slashes): `node:path`'s `resolve`.
 */
export function absolutePath(path: string): string {
  return resolve(path);
}

/**
 * `path` absolute, with the symbolic links of its existing part resolved
 * (`Deno.realPath` of the longest prefix that exists, the rest appended):
 * where a folder really is, also before it is created.
 */
export async function resolvedPath(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await Deno.realPath(abs);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await resolvedPath(parent), basename(abs));
  }
}

/**
 * How folder `a` relates to folder `b` (both absolute, resolved): `is`,
 * `contains` (b lies inside a), `is inside` (a lies inside b), or null.
 */
export function pathRelation(
  a: string,
  b: string,
): "is" | "contains" | "is inside" | null {
  return a === b
    ? "is"
    : b.startsWith(`${a}/`) || a === "/"
    ? "contains"
    : a.startsWith(`${b}/`) || b === "/"
    ? "is inside"
    : null;
}

/**
 * A command-line path as the process can open it: absolute paths and, when
 * `INIT_CWD` is unset or is the working directory, every path unchanged;
 * otherwise the path resolved against `INIT_CWD`, written relative to the
 * working directory when it lies inside it (short and machine-independent,
 * e.g. in a run's `config.json`), else absolute.
 */
export function userPath(path: string, options: UserPathOptions = {}): string {
  if (isAbsolute(path)) return path;
  const cwd = options.cwd ?? Deno.cwd();
  const init = (options.env ?? readEnv)("INIT_CWD");
  if (!init || resolve(init) === resolve(cwd)) return path;
  const full = resolve(init, path);
  const rel = relative(cwd, full);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? full : rel;
}

/**
 * The inverse for output: a path the process uses, as the user would type
 * it where they started the task (relative to `INIT_CWD`); unchanged
 * outside `deno task`, and for absolute paths.
 */
export function shownPath(path: string, options: UserPathOptions = {}): string {
  if (isAbsolute(path)) return path;
  const cwd = options.cwd ?? Deno.cwd();
  const init = (options.env ?? readEnv)("INIT_CWD");
  if (!init || resolve(init) === resolve(cwd)) return path;
  return relative(init, resolve(cwd, path)) || ".";
}
