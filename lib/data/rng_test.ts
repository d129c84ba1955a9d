import { assertEquals, assertTrue } from "../testing.ts";
import { cumulative, Rng } from "./rng.ts";

Deno.test("same seed gives the same stream, different seeds differ", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xs = Array.from({ length: 5 }, () => a.uint32());
  assertEquals(xs, Array.from({ length: 5 }, () => b.uint32()));
  assertTrue(xs.some((x) => x !== c.uint32()));
});

Deno.test("uniform draws have mean 1/2 and normals have unit variance", () => {
  const r = new Rng(1);
  let m = 0, v = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) m += r.next() / n;
  for (let i = 0; i < n; i++) v += r.normal() ** 2 / n;
  assertTrue(Math.abs(m - 0.5) < 0.01, `mean ${m}`);
  assertTrue(Math.abs(v - 1) < 0.05, `variance ${v}`);
});

Deno.test("weighted draws follow the weights", () => {
  const r = new Rng(3);
  const c = cumulative([1, 0, 3]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 8000; i++) counts[r.weighted(c)]++;
  assertEquals(counts[1], 0);
  assertTrue(Math.abs(counts[2] / counts[0] - 3) < 0.3, String(counts));
});

Deno.test("permutation is a permutation", () => {
  const p = Array.from(new Rng(5).permutation(100)).sort((a, b) => a - b);
  assertEquals(p, Array.from({ length: 100 }, (_, i) => i));
});
