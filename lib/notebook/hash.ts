/**
 * SHA-256 helpers for the run manifest and the resume keys, and the inputs
 * a manifest records: the data files' hashes, the library's hash and the
 * pinned npm versions.
 *
 * @module
 */

import { pathExists, readJsonIfPresent, sha256Hex } from "../data/mod.ts";
import { extname } from "node:path";

/** Hex SHA-256 of bytes or UTF-8 text (async for the callers' convenience). */
export function sha256(data: Uint8Array | string): Promise<string> {
  return Promise.resolve(sha256Hex(data));
}

/** Hex SHA-256 of a file's bytes. */
export async function hashFile(path: string): Promise<string> {
  return await sha256(await Deno.readFile(path));
}

/** Options of {@link listFiles}. */
export interface ListOptions {
  /** Keep only paths (relative to the root) this returns true for. */
  filter?: (relative: string) => boolean;
}

/** A file's extension, lower case, without the dot ("" for none). */
export function fileExtension(path: string): string {
  return extname(path).slice(1).toLowerCase();
}

/** Files under a folder, recursively, as sorted paths relative to it. */
export async function listFiles(
  root: string,
  options: ListOptions = {},
): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(rel ? `${root}/${rel}` : root)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(p);
      else if (e.isFile && (options.filter?.(p) ?? true)) out.push(p);
    }
  };
  await walk("");
  return out.sort();
}

/**
 * One hash over many files: SHA-256 of the sorted lines
 * `<relative path> <sha256 of its bytes>`, so renames count as changes.
 */
export async function hashTree(root: string, files: string[]): Promise<string> {
  const lines: string[] = [];
  for (const f of [...files].sort()) {
    lines.push(`${f} ${await hashFile(`${root}/${f}`)}`);
  }
  return await sha256(lines.join("\n"));
}

/** SHA-256 of every Arrow file under `<root>/data/<dataset>/`. */
export async function datasetHashes(
  root: string,
): Promise<Record<string, Record<string, string>>> {
  const dir = `${root}/data`;
  const out: Record<string, Record<string, string>> = {};
  if (!(await pathExists(dir))) return out;
  for (
    const f of await listFiles(dir, { filter: (p) => p.endsWith(".arrow") })
  ) {
    const slash = f.indexOf("/");
    if (slash < 0) continue;
    const name = f.slice(0, slash);
    (out[name] ??= {})[f.slice(slash + 1)] = await hashFile(`${dir}/${f}`);
  }
  return out;
}

/** Hash of the library sources notebooks can depend on (tests excluded). */
export async function libHash(root: string): Promise<string> {
  const files = await listFiles(`${root}/lib`, {
    filter: (p) =>
      p.endsWith(".ts") && !p.endsWith("_test.ts") && !p.includes("testdata/"),
  });
  return await hashTree(`${root}/lib`, files);
}

/** `npm:` package versions pinned in the import map of `deno.json`. */
export async function importMapVersions(
  root: string,
): Promise<Record<string, string>> {
  const cfg = await readJsonIfPresent<{ imports?: Record<string, string> }>(
    `${root}/deno.json`,
  );
  const out: Record<string, string> = {};
  for (const target of Object.values(cfg?.imports ?? {})) {
    const m = /^npm:(@?[^@/]+(?:\/[^@/]+)?)@([^/]+)/.exec(target);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
