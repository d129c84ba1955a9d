/**
 * SHA-256 helpers for the run manifest and the resume keys.
 *
 * @module
 */

import { sha256Hex } from "../data/mod.ts";

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
