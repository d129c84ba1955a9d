import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { assertEquals, assertTrue } from "../testing.ts";
import { formatMemory, memorySample, processCpuMs } from "./memory.ts";

Deno.test("memory: a sample sees the process's peak and the tfjs tensors", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const before = memorySample();
  const t = tf.zeros([1000, 1000]);
  const after = memorySample();
  t.dispose();
  assertTrue(before.rssBytes > 0 && after.rssBytes > 0);
  assertTrue(after.peakRssBytes >= after.rssBytes, "peak below RSS now");
  assertTrue(after.peakRssBytes >= before.peakRssBytes, "peak went down");
  assertEquals(after.tensors - before.tensors, 1);
  assertEquals(after.tensorBytes - before.tensorBytes, 4e6);
  assertTrue((after.wasmHeapBytes ?? 0) >= 4e6, "wasm heap not read");
  const line = formatMemory(after);
  for (const word of ["peak RSS", "GB", "tfjs tensors", "wasm heap"]) {
    assertTrue(line.includes(word), `'${line}' lacks '${word}'`);
  }
  const cpu0 = processCpuMs();
  let x = 0;
  for (let i = 0; i < 2e7; i++) x += Math.sqrt(i);
  assertTrue(x > 0 && processCpuMs() > cpu0, "CPU time did not advance");
});
