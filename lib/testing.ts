/**
 * Test assertions on top of `node:assert/strict` (`jsr:@std/assert` cannot
 * be resolved on machines without JSR access). Only for `*_test.ts` files.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Rng } from "./data/mod.ts";

/**
 * The backends the kernel, gradient and loss tests run on: the two that
 * load on every machine (tfjs-node, where it loads, adds no kernel of ours).
 */
export const TEST_BACKENDS = ["wasm", "cpu"] as const;

/** A row-major `[rows, d]` matrix of standard normal draws from `rng`. */
export function randomMatrix(rng: Rng, rows: number, d: number): Float32Array {
  return Float32Array.from({ length: rows * d }, () => rng.normal());
}

/**
 * Whether the tests run under CI (`CI=true` or `CI=1`), where the real
 * datasets are always beside the clone: a test that would skip for lack of
 * them fails instead.
 */
export function underCi(): boolean {
  try {
    const ci = Deno.env.get("CI");
    return ci === "true" || ci === "1";
  } catch {
    // Without --allow-env the test cannot know; treat it as a user's run.
    return false;
  }
}

/** Deep, strict equality (typed arrays compared element-wise). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

/** Asserts a truthy value. */
export function assertTrue(value: unknown, msg?: string): asserts value {
  assert.ok(value, msg);
}

/** Asserts `|actual − expected| <= tol` (absolute), elementwise for arrays. */
export function assertClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tol = 1e-6,
  msg?: string,
): void {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  assert.equal(
    a.length,
    e.length,
    `${msg ?? ""} length ${a.length} != ${e.length}`,
  );
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= tol)) {
      assert.fail(
        `${msg ? msg + ": " : ""}element ${i}: ${a[i]} != ${e[i]} (tol ${tol})`,
      );
    }
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = new (...args: any[]) => E;

/** Asserts that `fn` throws an instance of `cls`, optionally matching text. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: ErrorClass<E>,
  includes?: string | RegExp,
): E {
  try {
    fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new assert.AssertionError({ message: "expected the call to throw" });
}

/** Asserts that `fn` rejects with an instance of `cls`, optionally matching text. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: ErrorClass<E>,
  includes?: string | RegExp,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new assert.AssertionError({ message: "expected the call to reject" });
}

function checkError<E extends Error>(
  err: unknown,
  cls: ErrorClass<E>,
  includes?: string | RegExp,
): E {
  if (!(err instanceof cls)) {
    throw new assert.AssertionError({
      message: `expected ${cls.name}, got ${String(err)}`,
    });
  }
  if (includes !== undefined) {
    const ok = typeof includes === "string"
      ? err.message.includes(includes)
      : includes.test(err.message);
    if (!ok) {
      throw new assert.AssertionError({
        message: `error message "${err.message}" does not match ${includes}`,
      });
    }
  }
  return err;
}

/**
 * Runs `fn` in a fresh temporary folder (its name starting with `prefix`)
 * and removes the folder afterwards, whatever `fn` did.
 */
export async function withTempDir<T>(
  prefix: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `fn` with the environment variables `vars` set, then puts back what
 * each was before (or its absence), whatever `fn` did.
 */
export async function withEnv<T>(
  vars: Readonly<Record<string, string>>,
  fn: () => Promise<T>,
): Promise<T> {
  const before = Object.keys(vars).map((k) => [k, Deno.env.get(k)] as const);
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of before) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

/**
 * The cells of every Markdown table row under each "## `name`" heading,
 * trimmed (deno fmt pads and re-wraps a generated file; the cells stay the
 * same): how the tests compare a generated document with its source.
 */
function markdownTableCells(markdown: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  let rows: string[][] = [];
  for (const line of markdown.split("\n")) {
    const heading = /^## `(.+)`$/.exec(line);
    if (heading) out.set(heading[1], rows = []);
    else if (line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line)) {
      rows.push(
        line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()),
      );
    }
  }
  return out;
}

/**
 * Checks that the generated document at `path` (docs/*_options.md) holds
 * the tables that `generate()` writes, under the same headings in the same
 * order; with `DOCS_UPDATE=1` it first rewrites the file. Returns the
 * generated tables by heading, for further checks.
 */
export async function assertGeneratedDoc(
  path: URL,
  generate: () => string,
): Promise<Map<string, string[][]>> {
  if (Deno.env.get("DOCS_UPDATE") === "1") {
    await Deno.writeTextFile(path, generate());
  }
  const file = markdownTableCells(await Deno.readTextFile(path));
  const want = markdownTableCells(generate());
  assertEquals([...file.keys()], [...want.keys()], `headings of ${path}`);
  assertEquals(file, want, `tables of ${path}`);
  return want;
}
