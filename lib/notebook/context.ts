/**
 * What a notebook cell needs to know about the run it is part of: the
 * profile, the seed, the output folder and where its training runs go. The runner passes them in
 * environment variables; in a Jupyter kernel (or a plain script) without
 * them, the defaults apply.
 *
 * ```ts
 * import { outDir, profile, runsDir, seed } from "../lib/notebook/mod.ts";
 * const epochs = profile() === "full" ? 20 : 2;
 * ```
 *
 * @module
 */

import { OUT_ENV, PROFILE_ENV, SEED_ENV, SEEDS_ENV } from "./protocol.ts";
import {
  DEFAULT_PROFILE,
  DEFAULT_SEED,
  isProfile,
  type Profile,
  profileChoices,
  readEnv,
} from "../data/mod.ts";

export type { Profile } from "../data/mod.ts";

/** A run setting read from the environment is malformed. */
export class ContextError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ContextError";
  }
}

/** Reads an env var, trimmed; undefined when unset, empty or not permitted. */
function env(name: string): string | undefined {
  return readEnv(name)?.trim() || undefined;
}

/**
 * The run profile from `ADAPTIVE_RETRIEVAL_PROFILE` (`quick` when unset).
 * Throws a {@link ContextError} naming the variable for any other value.
 */
export function profile(): Profile {
  const v = env(PROFILE_ENV) ?? DEFAULT_PROFILE;
  if (!isProfile(v)) {
    throw new ContextError(
      `${PROFILE_ENV} must be ${profileChoices("'")}, got '${v}'`,
    );
  }
  return v;
}

/**
 * The run seed from `ADAPTIVE_RETRIEVAL_SEED` (1 when unset). Throws a
 * {@link ContextError} when it is not an integer.
 */
export function seed(): number {
  const v = env(SEED_ENV) ?? String(DEFAULT_SEED);
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw new ContextError(`${SEED_ENV} must be an integer, got '${v}'`);
  }
  return n;
}

/**
 * The training seeds per config that `reproduce --seeds N` asked for
 * (`ADAPTIVE_RETRIEVAL_SEEDS`), or `undefined` when unset: the experiment
 * notebooks then take their profile's count. Throws a {@link ContextError}
 * unless it is an integer ≥ 1.
 */
export function seedCount(): number | undefined {
  const v = env(SEEDS_ENV);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    throw new ContextError(`${SEEDS_ENV} must be an integer ≥ 1, got '${v}'`);
  }
  return n;
}

/** Absolute path of the repository root (the folder holding `lib/`). */
export function repoRoot(): string {
  return decodeURIComponent(new URL("../../", import.meta.url).pathname)
    .replace(/\/$/, "");
}

/**
 * The run's output folder from `ADAPTIVE_RETRIEVAL_OUT`, else `<repo>/out`
 * (absolute, so it does not depend on the kernel's working directory).
 */
export function outDir(): string {
  return env(OUT_ENV) ?? defaultOutDir(repoRoot());
}

/** The file in an output folder that says what produced it. */
export const MANIFEST_FILE = "manifest.json";

/** The output folder of a checkout at `root` when none is named: `<root>/out`. */
export function defaultOutDir(root: string): string {
  return `${root}/out`;
}

/**
 * Where a notebook caches its training runs: `<out>/runs/<name>` (see
 * {@link outDir}). Inside the output folder, so `deno task reproduce`
 * writes nowhere else but `data/`, and one `--out` keeps its runs together.
 */
export function runsDir(name: string): string {
  if (!/^[\w.-]+$/.test(name)) {
    throw new ContextError(
      `runsDir: '${name}' is not a plain folder name (letters, digits, _ . -)`,
    );
  }
  return `${outDir()}/runs/${name}`;
}
