/**
 * The channel between the headless runner (parent) and a notebook running in
 * a child `deno run` process: environment variable names and the JSON-lines
 * events the child writes to its stdout.
 *
 * Each event is one line `"\x1e" + JSON`. The record separator marks it off
 * from anything cell code writes to stdout directly (which the parent keeps
 * as that cell's stdout); `JSON.stringify` escapes every control character,
 * so the marker never occurs inside an event.
 *
 * @module
 */

import { DEFAULT_PROFILE, DEFAULT_SEED } from "../data/mod.ts";

/** Environment variable holding the run profile (`quick` or `full`). */
export const PROFILE_ENV = "ADAPTIVE_RETRIEVAL_PROFILE";
/** Environment variable holding the output folder of a run. */
export const OUT_ENV = "ADAPTIVE_RETRIEVAL_OUT";
/** Environment variable holding the run's seed. */
export const SEED_ENV = "ADAPTIVE_RETRIEVAL_SEED";
/**
 * Environment variable holding the training seeds per config of the
 * experiment notebooks (unset: the profile's own count).
 */
export const SEEDS_ENV = "ADAPTIVE_RETRIEVAL_SEEDS";
/** Environment variable holding the notebook name (set by the runner only). */
export const NOTEBOOK_ENV = "ADAPTIVE_RETRIEVAL_NOTEBOOK";

/**
 * The run context as the child's environment, the one place both the
 * headless runner and the Jupyter run write it: profile (default quick),
 * seed (default 1), output folder, and the training seeds per config only
 * when given (unset: the profile's count).
 */
export function contextEnv(context: {
  profile?: string;
  seed?: number;
  seeds?: number;
  out: string;
}): Record<string, string> {
  return {
    [PROFILE_ENV]: context.profile ?? DEFAULT_PROFILE,
    [SEED_ENV]: String(context.seed ?? DEFAULT_SEED),
    ...(context.seeds === undefined
      ? {}
      : { [SEEDS_ENV]: String(context.seeds) }),
    [OUT_ENV]: context.out,
  };
}

/** Marks the start of an event line on the child's stdout. */
export const EVENT_MARK = "\x1e";

/** A Jupyter MIME bundle: MIME type → data (string, or JSON for `+json`). */
export type MimeBundle = Record<string, unknown>;

/** A cell started. */
export interface BeginEvent {
  /** Event type. */
  t: "begin";
  /** Cell id. */
  cell: string;
}

/** Text a cell printed through `console`. */
export interface StreamEvent {
  /** Event type. */
  t: "stream";
  /** Cell id. */
  cell: string;
  /** Jupyter stream name. */
  name: "stdout" | "stderr";
  /** The text, newline included. */
  text: string;
}

/** A cell called `display()`. */
export interface DisplayEvent {
  /** Event type. */
  t: "display";
  /** Cell id. */
  cell: string;
  /** The MIME bundle, as the Jupyter kernel would have sent it. */
  data: MimeBundle;
  /** Artefact files written, relative to the output folder. */
  files: string[];
}

/** A cell finished. */
export interface EndEvent {
  /** Event type. */
  t: "end";
  /** Cell id. */
  cell: string;
  /** Wall-clock duration of the cell in milliseconds. */
  ms: number;
}

/** The notebook failed: in a cell, or (cell null) while loading its module. */
export interface ErrorEvent {
  /** Event type. */
  t: "error";
  /** Cell that was running, or null before the first cell began. */
  cell: string | null;
  /** Error class name. */
  ename: string;
  /** Error message. */
  evalue: string;
  /** Stack trace, as the child saw it. */
  stack: string;
}

/** Every cell ran. */
export interface DoneEvent {
  /** Event type. */
  t: "done";
}

/** Any event of the protocol. */
export type RunEvent =
  | BeginEvent
  | StreamEvent
  | DisplayEvent
  | EndEvent
  | ErrorEvent
  | DoneEvent;

/** Encodes an event as one line (marker, JSON, newline). */
export function encodeEvent(event: RunEvent): string {
  return EVENT_MARK + JSON.stringify(event) + "\n";
}

/**
 * Splits one stdout line (without its newline) into raw text and an event:
 * text before the marker is raw output; a line without a marker, or whose
 * JSON does not parse, is all raw.
 */
export function decodeLine(line: string): { raw: string; event?: RunEvent } {
  const at = line.indexOf(EVENT_MARK);
  if (at < 0) return { raw: line };
  try {
    const event = JSON.parse(line.slice(at + 1)) as RunEvent;
    if (event && typeof event === "object" && typeof event.t === "string") {
      return { raw: line.slice(0, at), event };
    }
  } catch {
    // Not an event after all: keep the text.
  }
  return { raw: line };
}
