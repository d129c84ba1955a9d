import { assertClose, assertEquals, assertThrows } from "../testing.ts";
import {
  intervalText,
  pairedDifference,
  seedInterval,
  signed,
} from "./statistics.ts";

Deno.test("seed interval: Student t by hand", () => {
  const r = seedInterval([0.5, 0.7, 0.6]);
  // mean 0.6, sd 0.1, t(0.975, 2) = 4.303 → half-width 0.4303/√3.
  assertClose(r.mean, 0.6, 1e-12);
  assertClose(r.hi - r.mean, 4.303 * 0.1 / Math.sqrt(3), 1e-9);
  assertClose(r.mean - r.lo, 4.303 * 0.1 / Math.sqrt(3), 1e-9);
  assertEquals(seedInterval([0.4]), { mean: 0.4, lo: 0.4, hi: 0.4 });
  assertThrows(() => seedInterval([]), RangeError);
});

Deno.test("pairedDifference: the mean difference, its interval and the outcome", () => {
  const same = pairedDifference([1, 0, 1, 0], [1, 0, 1, 0], { samples: 50 });
  assertEquals(same.difference, { mean: 0, lo: 0, hi: 0 });
  assertEquals(same.outcome, "unclear");
  const up = pairedDifference([1, 1, 1, 1], [0, 0, 0, 0], { samples: 50 });
  assertEquals([up.difference.mean, up.outcome, up.n], [1, "better", 4]);
  assertEquals(pairedDifference([0, 0], [1, 1]).outcome, "worse");
  assertThrows(() => pairedDifference([1], [1, 2]), RangeError);
  assertThrows(() => pairedDifference([], []), RangeError);
});

// The verdict writers formatted numbers with their own helpers before they
// shared these: the expected strings below are what the helpers of
// lib/eval/experiments.ts (`signed`, `fmt`) and lib/eval/baselines.ts
// (`signed`, `fmtInterval`) returned for the same inputs. (For a non-finite
// interval the experiments' `fmt` wrote "NaN [NaN, NaN]"; its comparisons
// never had one, since `bootstrapCI` refuses non-finite values.)
Deno.test("signed and intervalText write what the former verdict helpers wrote", () => {
  const cases: [number, string, string, string][] = [
    // x, plain (3 digits), plain (2 digits), typeset
    [0, "+0.000", "+0.00", "+0.000"],
    [-0, "+0.000", "+0.00", "+0.000"],
    [0.1234, "+0.123", "+0.12", "+0.123"],
    [-0.1234, "-0.123", "-0.12", "−0.123"],
    [0.0004, "+0.000", "+0.00", "+0.0004"],
    [-0.0004, "-0.000", "-0.00", "−0.0004"],
    [0.0005, "+0.001", "+0.00", "+0.001"],
    [-0.0005, "-0.001", "-0.00", "−0.001"],
    [0.00049, "+0.000", "+0.00", "+0.0005"],
    [1e-9, "+0.000", "+0.00", "+1e-9"],
    [-1e-9, "-0.000", "-0.00", "−1e-9"],
    [2.5, "+2.500", "+2.50", "+2.500"],
    [-0.0001, "-0.000", "-0.00", "−0.0001"],
    [0.00001, "+0.000", "+0.00", "+0.00001"],
    [-0.00049999, "-0.000", "-0.00", "−0.0005"],
    [NaN, "NaN", "NaN", "−NaN"],
  ];
  for (const [x, plain3, plain2, typeset] of cases) {
    assertEquals(signed(x), plain3, `plain ${x}`);
    assertEquals(signed(x, { digits: 2 }), plain2, `plain/2 ${x}`);
    assertEquals(signed(x, { style: "typeset" }), typeset, `typeset ${x}`);
  }
  const intervals: [
    { mean: number; lo: number; hi: number },
    string,
    string,
  ][] = [
    // interval, 3 digits (both former helpers), 2 digits
    [
      { mean: 0.5, lo: 0.4, hi: 0.61234 },
      "0.500 [0.400, 0.612]",
      "0.50 [0.40, 0.61]",
    ],
    [{ mean: NaN, lo: NaN, hi: NaN }, "–", "–"],
    [{ mean: 0.5, lo: NaN, hi: 0.7 }, "0.500 [–, 0.700]", "0.50 [–, 0.70]"],
    [
      { mean: -0.0001, lo: -0.2, hi: 0.3 },
      "-0.000 [-0.200, 0.300]",
      "-0.00 [-0.20, 0.30]",
    ],
  ];
  for (const [i, three, two] of intervals) {
    assertEquals(intervalText(i), three);
    assertEquals(intervalText(i, { digits: 2 }), two);
  }
});
