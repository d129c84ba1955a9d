/**
 * Environment variables read without asking: the package's settings
 * (`ADAPTIVE_RETRIEVAL_*`, `INIT_CWD`) are optional, so a process that may
 * not read one simply goes without it.
 *
 * @module
 */

/**
 * The variable `name`, or undefined when it is unset, empty, or this
 * process may not read it. The permission is queried first, so a process
 * without `--allow-env` neither throws nor prompts (in a terminal,
 * `Deno.env.get` would ask).
 */
export function readEnv(name: string): string | undefined {
  const env = { name: "env", variable: name } as const;
  if (Deno.permissions.querySync(env).state !== "granted") return undefined;
  const value = Deno.env.get(name);
  return value ? value : undefined;
}
