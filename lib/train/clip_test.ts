import * as tf from "@tensorflow/tfjs-core";
import { assertEquals } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import { clipScale, clipScaleValue } from "./clip.ts";

await initBackend({ backend: "wasm", quiet: true });

Deno.test("clipScale: c / max(‖g‖, c), 1 below the threshold, off at c = 0", () => {
  const at = (norm: number, c: number) => {
    const s = clipScale(tf.scalar(norm), c);
    const v = s === null ? null : s.dataSync()[0];
    s?.dispose();
    return v;
  };
  assertEquals(at(6, 3), 0.5);
  assertEquals(at(2, 3), 1);
  assertEquals(at(3, 3), 1);
  assertEquals(at(6, 0), null);
  assertEquals(clipScaleValue(6, 3), 0.5);
  assertEquals(clipScaleValue(2, 3), 1);
  assertEquals(clipScaleValue(6, 0), 1);
});

Deno.test("clipScaleValue is the float32 value of clipScale's tensor", () => {
  for (const c of [3, 0.1, 1 / 3]) {
    for (const norm of [0.05, 0.1, 0.7, 2.9999, 3, 3.0001, 17.3, 1e6]) {
      const n32 = Math.fround(norm);
      const s = clipScale(n32, c)!;
      assertEquals(clipScaleValue(n32, c), s.dataSync()[0], `${norm}, ${c}`);
      s.dispose();
    }
  }
});
