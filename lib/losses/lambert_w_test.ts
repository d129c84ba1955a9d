import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { LAMBERT_W_MIN, lambertW } from "./lambert_w.ts";

Deno.test("lambertW at known points", () => {
  assertEquals(lambertW(0), 0);
  assertClose(lambertW(Math.E), 1, 1e-15);
  assertClose(lambertW(LAMBERT_W_MIN), -1, 0);
  assertClose(lambertW(1), 0.5671432904097838, 1e-15); // omega constant
  assertClose(lambertW(2 * Math.exp(2)), 2, 1e-14);
  assertClose(
    lambertW(-Math.exp(-1) + 1e-12),
    -1 + Math.sqrt(2 * Math.E * 1e-12),
    1e-10,
  );
  assertTrue(Number.isNaN(lambertW(NaN)));
});

Deno.test("lambertW(x)·e^lambertW(x) = x on a grid from −1/e to 1000", () => {
  const xs: number[] = [];
  for (let i = 0; i <= 200; i++) xs.push(LAMBERT_W_MIN + (i / 200) ** 3 * 1.5);
  for (let i = 0; i <= 300; i++) xs.push(1.1 + (i / 300) ** 2 * 999);
  xs.sort((a, b) => a - b);
  let previous = -Infinity;
  for (const x of xs) {
    const w = lambertW(x);
    assertTrue(w >= -1, `W(${x}) = ${w} < −1`);
    assertTrue(w >= previous, `W not increasing at ${x}`);
    previous = w;
    const residual = Math.abs(w * Math.exp(w) - x);
    assertTrue(
      residual <= 1e-13 * Math.max(1, Math.abs(x)),
      `W(${x}) = ${w}: residual ${residual}`,
    );
  }
});

Deno.test("lambertW below the branch point", () => {
  assertClose(lambertW(LAMBERT_W_MIN - 1e-17), -1, 0);
  assertThrows(() => lambertW(-0.5), RangeError, "below −1/e");
});
