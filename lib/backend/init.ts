/**
 * tfjs backend selection: tfjs-node when its native addon loads, else the
 * wasm backend (SIMD), else the pure-JavaScript cpu backend.
 *
 * tfjs-node needs `tfjs_binding.node`, which its npm install script downloads
 * and Deno does not run by default (docs/environment.md#tfjs-node); where it
 * is missing, the import throws and "auto" carries on with wasm.
 *
 * Loading a native addon needs Deno's `--allow-ffi`, which escapes every
 * other permission, so only the `*:native` tasks grant it. Without it
 * tfjs-node is not even imported (an import would ask for the permission at
 * a terminal prompt) and the attempt records why.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { registerGradients } from "./gradients.ts";
import { registerSegmentSumKernels } from "./segment_sum.ts";

/** What a caller may ask for: a backend, or "auto" (best that loads). */
export type BackendRequest = "node" | "wasm" | "cpu" | "auto";

/** tfjs names of the backends this package can run on. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** Accepted values of {@link InitBackendOptions.backend} and the env var. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = [
  "node",
  "wasm",
  "cpu",
  "auto",
];

/** Environment variable that overrides the default request ("auto"). */
export const BACKEND_ENV_VAR = "ADAPTIVE_RETRIEVAL_BACKEND";

/** One backend tried by {@link initBackend}. */
export interface BackendAttempt {
  /** tfjs name of the backend. */
  readonly name: BackendName;
  /** Whether it initialised. */
  readonly ok: boolean;
  /** Short reason it did not (absent when ok). */
  readonly error?: string;
}

/** The backend in use, for logs and result files. */
export interface BackendInfo {
  /** tfjs name of the active backend. */
  readonly name: BackendName;
  /** What was asked for. */
  readonly requested: BackendRequest;
  /** Where the request came from. */
  readonly requestedBy: "option" | "env" | "default";
  /** wasm only: whether the SIMD binary is used; null for other backends. */
  readonly simd: boolean | null;
  /** Worker threads the backend computes with; null when unknown (tfjs-node). */
  readonly threads: number | null;
  /** Backends tried, in order, the last one being the active one. */
  readonly tried: readonly BackendAttempt[];
  /** `@tensorflow/tfjs-core` version. */
  readonly tfjsVersion: string;
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Overrides `ADAPTIVE_RETRIEVAL_BACKEND`, which overrides "auto". */
  backend?: BackendRequest;
  /** Do not log the one-line summary to stderr. */
  quiet?: boolean;
}

/** A requested backend could not be initialised, or the request is invalid. */
export class BackendError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BackendError";
  }
}

interface Resolved {
  request: BackendRequest;
  by: BackendInfo["requestedBy"];
}

/** Minimal view of `Deno.env` so the env lookup can be tested. */
export interface EnvReader {
  /** Returns the variable's value, or undefined; may throw if not permitted. */
  get(name: string): string | undefined;
}

/**
 * Reads {@link BACKEND_ENV_VAR}; undefined when unset, empty, or when env
 * access is not granted (Deno's PermissionDenied / NotCapable): the default
 * must not depend on a permission the caller did not give.
 */
export function backendFromEnv(env?: EnvReader): string | undefined {
  const reader = env ?? (globalThis as { Deno?: { env: EnvReader } }).Deno?.env;
  if (!reader) return undefined;
  let value: string | undefined;
  try {
    value = reader.get(BACKEND_ENV_VAR);
  } catch (err) {
    if (isPermissionError(err)) return undefined;
    throw err;
  }
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function isPermissionError(err: unknown): boolean {
  const errors = (globalThis as {
    Deno?: { errors: Record<string, new (...a: never[]) => Error> };
  }).Deno?.errors;
  if (!errors) return false;
  return ["PermissionDenied", "NotCapable"].some((name) =>
    errors[name] !== undefined && err instanceof errors[name]
  );
}

function resolveRequest(option: unknown): Resolved {
  if (option !== undefined) {
    return { request: checkRequest(option, `option "backend"`), by: "option" };
  }
  const env = backendFromEnv();
  if (env !== undefined) {
    return {
      request: checkRequest(env, `environment variable ${BACKEND_ENV_VAR}`),
      by: "env",
    };
  }
  return { request: "auto", by: "default" };
}

function checkRequest(value: unknown, where: string): BackendRequest {
  if (BACKEND_REQUESTS.includes(value as BackendRequest)) {
    return value as BackendRequest;
  }
  throw new BackendError(
    `initBackend: ${where} is ${JSON.stringify(value)}; expected one of ${
      BACKEND_REQUESTS.map((r) => `"${r}"`).join(", ")
    }`,
  );
}

const ORDER: Record<BackendRequest, BackendName[]> = {
  auto: ["tensorflow", "wasm", "cpu"],
  node: ["tensorflow"],
  wasm: ["wasm"],
  cpu: ["cpu"],
};

/** Shortens tfjs-node's multi-line addon error to one readable clause. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/tfjs_binding\.node/.test(text) && /can ?not be found/i.test(text)) {
    return "native addon tfjs_binding.node not built (its install script did not run)";
  }
  const line = text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  return line.length > 160 ? line.slice(0, 157) + "..." : line;
}

/** Why tfjs-node is not tried in a process without `--allow-ffi`. */
export const NO_FFI_REASON =
  "not tried: its native addon needs --allow-ffi (use the task's :native variant, e.g. deno task train:native)";

// One import attempt per process: a failed import fails the same way again.
let nodeImport: Promise<string | null> | null = null;

function importTfjsNode(): Promise<string | null> {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return Promise.resolve(NO_FFI_REASON);
  }
  nodeImport ??= import("@tensorflow/tfjs-node").then(
    () => null,
    (err) => shortReason(err),
  );
  return nodeImport;
}

async function tryBackend(name: BackendName): Promise<BackendAttempt> {
  try {
    if (name === "tensorflow") {
      // A failed import still runs tfjs-node's first lines, which register
      // kernels for "tensorflow" and chained ops on the shared engine; the
      // cpu and wasm backends are unaffected (checked in init_test.ts).
      const failure = await importTfjsNode();
      if (failure !== null) return { name, ok: false, error: failure };
    }
    if (!tf.findBackendFactory(name)) {
      return { name, ok: false, error: `backend "${name}" is not registered` };
    }
    if (!(await tf.setBackend(name))) {
      return {
        name,
        ok: false,
        error: `tf.setBackend("${name}") failed (see the warning above)`,
      };
    }
    if (name === "cpu") quietCpuGreeting();
    return { name, ok: true };
  } catch (err) {
    return { name, ok: false, error: shortReason(err) };
  }
}

// The cpu backend prints a multi-line "looks like you are running in Node.js,
// install tfjs-node" banner on first use; our one-line log already says which
// backend runs and why tfjs-node is not used.
function quietCpuGreeting(): void {
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu && cpu.firstUse === true) cpu.firstUse = false;
}

async function describe(
  resolved: Resolved,
  tried: BackendAttempt[],
): Promise<BackendInfo> {
  const name = tried[tried.length - 1].name;
  let simd: boolean | null = null;
  let threads: number | null = name === "cpu" ? 1 : null;
  if (name === "wasm") {
    simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    threads = getThreadsCount();
  }
  return Object.freeze({
    name,
    requested: resolved.request,
    requestedBy: resolved.by,
    simd,
    threads,
    tried: Object.freeze(tried.map((t) => Object.freeze(t))),
    tfjsVersion: tf.version_core,
  });
}

/** The one-line summary {@link initBackend} logs, e.g. for a notebook. */
export function formatBackendInfo(info: BackendInfo): string {
  const threads = info.threads === null
    ? ""
    : `${info.threads} thread${info.threads === 1 ? "" : "s"}`;
  const detail = info.name === "wasm"
    ? `${info.simd ? "simd" : "no simd"}, ${threads}`
    : info.name === "cpu"
    ? `pure JS, ${threads}`
    : "tfjs-node, native";
  const node = info.tried.find((t) => t.name === "tensorflow" && !t.ok);
  const tail = node ? `; tfjs-node unavailable: ${node.error}` : "";
  return `backend: ${info.name} (${detail})${tail}`;
}

// Keyed by request and its source, since the info records both.
const cache = new Map<string, Promise<BackendInfo>>();
let current: BackendInfo | null = null;

/**
 * Selects and initialises the tfjs backend, registers the JavaScript
 * `UnsortedSegmentSum` kernel (gradient of `tf.gather`) for wasm and cpu and
 * the gradients of `gradients.ts` (tfjs-core alone has none), and logs one
 * line to stderr unless `quiet`.
 *
 * The request is `options.backend`, else `ADAPTIVE_RETRIEVAL_BACKEND`, else
 * "auto". "auto" tries tfjs-node, then wasm, then cpu; an explicit request
 * that fails throws a {@link BackendError} naming it and why (no silent
 * fallback). Idempotent: a repeated request returns the same info object
 * (re-activating that backend if something switched away from it meanwhile).
 */
export async function initBackend(
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const resolved = resolveRequest(options.backend);
  const key = `${resolved.request}|${resolved.by}`;
  let pending = cache.get(key);
  const fresh = pending === undefined;
  if (pending === undefined) {
    pending = select(resolved);
    cache.set(key, pending);
    // A failed attempt is not cached, so a later call can try again.
    pending.catch(() => cache.delete(key));
  }
  const info = await pending;
  if (tf.getBackend() !== info.name && !(await tf.setBackend(info.name))) {
    throw new BackendError(
      `initBackend: could not switch back to backend "${info.name}"`,
    );
  }
  current = info;
  if (fresh && !options.quiet) console.error(formatBackendInfo(info));
  return info;
}

async function select(resolved: Resolved): Promise<BackendInfo> {
  registerSegmentSumKernels();
  const tried: BackendAttempt[] = [];
  for (const name of ORDER[resolved.request]) {
    const attempt = await tryBackend(name);
    tried.push(attempt);
    if (attempt.ok) {
      // tfjs-node's import (even a failed one) loads the union bundle, which
      // registers its own gradients; ours replace them for the kernels we
      // define, so all backend paths compute the same gradients.
      registerSegmentSumKernels();
      registerGradients();
      return describe(resolved, tried);
    }
  }
  const where = resolved.by === "option"
    ? `option "backend"`
    : resolved.by === "env"
    ? `environment variable ${BACKEND_ENV_VAR}`
    : "default";
  const reasons = tried.map((t) => `${t.name}: ${t.error}`).join("; ");
  throw new BackendError(
    `initBackend: backend "${resolved.request}" (from ${where}) could not be initialised: ${reasons}` +
      (resolved.request === "auto"
        ? ""
        : `. Ask for "auto" to fall back to the best backend that loads.`),
  );
}

/**
 * The info of the backend selected by the last {@link initBackend} call, for
 * result files. Throws if `initBackend` has not run, or if the active tfjs
 * backend was switched by other code since (the info would be stale).
 */
export function backendInfo(): BackendInfo {
  if (current === null) {
    throw new BackendError(
      "backendInfo: initBackend() has not been called in this process",
    );
  }
  const active = tf.getBackend();
  if (active !== current.name) {
    throw new BackendError(
      `backendInfo: the active tfjs backend is "${active}", but initBackend selected "${current.name}"; call initBackend again`,
    );
  }
  return current;
}
