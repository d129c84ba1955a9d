/**
 * Memory of the bench process, sampled between measurements: the process's
 * peak resident set (`getrusage`'s `ru_maxrss` through `node:process`,
 * which needs no permission; `/proc/self/status` would need `--allow-all`
 * under Deno), the resident set now, the live tfjs tensors and, on wasm,
 * the size of the wasm heap (which never shrinks, so a process keeps its
 * largest heap).
 *
 * @module
 */

import process from "node:process";
import * as tf from "@tensorflow/tfjs-core";

/** Memory at one moment of a bench run. */
export interface MemorySample {
  /**
   * Peak resident set of the process since it started, bytes. From
   * `getrusage` where available (`peakSource: "getrusage"`), otherwise the
   * largest `rssBytes` sampled so far in this process (`"sampled"`), which
   * misses peaks between samples.
   */
  peakRssBytes: number;
  /** Where `peakRssBytes` comes from. */
  peakSource: "getrusage" | "sampled";
  /** Resident set now (`Deno.memoryUsage().rss`), bytes. */
  rssBytes: number;
  /** Bytes of live tfjs tensors (`tf.memory().numBytes`). */
  tensorBytes: number;
  /** Live tfjs tensors. */
  tensors: number;
  /** Size of the wasm heap, bytes (null on other backends). */
  wasmHeapBytes: number | null;
}

let sampledPeak = 0;

// ru_maxrss is in kilobytes on Linux (bytes on macOS).
function rusagePeak(): number | null {
  try {
    const kb = process.resourceUsage().maxRSS;
    if (!Number.isFinite(kb) || kb <= 0) return null;
    return Deno.build.os === "darwin" ? kb : kb * 1024;
  } catch {
    return null;
  }
}

function wasmHeap(): number | null {
  if (tf.getBackend() !== "wasm") return null;
  const heap = (tf.backend() as unknown as {
    wasm?: { HEAPU8?: Uint8Array };
  }).wasm?.HEAPU8;
  return heap ? heap.byteLength : null;
}

/** Samples the process's memory now (see {@link MemorySample}). */
export function memorySample(): MemorySample {
  const rss = Deno.memoryUsage().rss;
  sampledPeak = Math.max(sampledPeak, rss);
  const peak = rusagePeak();
  const m = tf.memory();
  return {
    peakRssBytes: peak === null ? sampledPeak : Math.max(peak, rss),
    peakSource: peak === null ? "sampled" : "getrusage",
    rssBytes: rss,
    tensorBytes: m.numBytes,
    tensors: m.numTensors,
    wasmHeapBytes: wasmHeap(),
  };
}

/** CPU time of the whole process (all threads, user + system) so far, ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const gb = (b: number) => (b / 1e9).toFixed(2);
const mb = (b: number) => (b / 1e6).toFixed(0);

/**
 * One line: `peak RSS 1.05 GB (getrusage), RSS now 0.81 GB, tfjs tensors
 * 209 MB in 120 tensors, wasm heap 515 MB`.
 */
export function formatMemory(m: MemorySample): string {
  const heap = m.wasmHeapBytes === null
    ? ""
    : `, wasm heap ${mb(m.wasmHeapBytes)} MB`;
  const source = m.peakSource === "getrusage"
    ? "process peak so far, getrusage"
    : "largest sampled so far";
  return `peak RSS ${gb(m.peakRssBytes)} GB (${source}), RSS now ${
    gb(m.rssBytes)
  } GB, tfjs tensors ${mb(m.tensorBytes)} MB in ${m.tensors}${heap}`;
}
