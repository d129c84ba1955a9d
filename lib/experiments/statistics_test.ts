import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  differenceText,
  familyOutcome,
  fixedText,
  holm,
  holmNote,
  intervalText,
  pairedDifference,
  pairedTTest,
  pHolmText,
  pText,
  seedInterval,
  signed,
  STUDENT_T95,
  studentTwoSided,
  writeFamily,
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
Deno.test("fixedText: toFixed, or a dash for what is not a number", () => {
  assertEquals(fixedText(0.12345, 3), "0.123");
  assertEquals(fixedText(2, 1), "2.0");
  assertEquals([NaN, Infinity].map((x) => fixedText(x, 3)), ["–", "–"]);
});

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

Deno.test("differenceText: the mean and both ends signed alike", () => {
  const d = { mean: 0.0123, lo: -0.0031, hi: 0.0274 };
  assertEquals(differenceText(d), "+0.012 [-0.003, +0.027]");
  assertEquals(
    differenceText(d, { style: "typeset", digits: 2 }),
    "+0.01 [−0.003, +0.03]",
  );
});

Deno.test("holm: a hand-computed family (adjusted values, decisions, order kept)", () => {
  // Sorted: 0.005 ×4 = 0.02; 0.01 ×3 = 0.03; 0.03 ×2 = 0.06; 0.04 ×1 =
  // 0.04, raised to 0.06 so that the adjusted values keep the raw order.
  const r = holm([0.01, 0.04, 0.03, 0.005]);
  assertEquals(r.adjusted.map((p) => Number(p.toFixed(12))), [
    0.03,
    0.06,
    0.06,
    0.02,
  ]);
  assertEquals(r.reject, [true, false, false, true]);
  // At alpha 0.1 the step-down goes on: 0.06 ≤ 0.1 rejects all four.
  assertEquals(holm([0.01, 0.04, 0.03, 0.005], { alpha: 0.1 }).reject, [
    true,
    true,
    true,
    true,
  ]);
  // Bonferroni would not reject 0.03 (×4 = 0.12); Holm gives 0.06 at m = 4,
  // and with m = 3 (0.01 ×3, 0.02 ×2, 0.03 ×1 → 0.04) rejects every one.
  const three = holm([0.03, 0.01, 0.02]);
  assertEquals(three.adjusted.map((p) => Number(p.toFixed(12))), [
    0.04,
    0.03,
    0.04,
  ]);
  assertEquals(three.reject, [true, true, true]);
});

Deno.test("holm: the cap at 1, ties, one and no p-values, bad input", () => {
  // 0.5 ×2 = 1; 0.6 ×1 = 0.6, raised to 1.
  assertEquals(holm([0.6, 0.5]).adjusted, [1, 1]);
  // 0.02 ×3 = 0.06; 0.3 ×2 = 0.6; 0.9 ×1 = 0.9.
  assertEquals(
    holm([0.3, 0.9, 0.02]).adjusted.map((p) => Number(p.toFixed(12))),
    [0.6, 0.9, 0.06],
  );
  // Ties: 0.01 ×2 = 0.02 for the first, max(0.02, 0.01 ×1) for the second.
  assertEquals(holm([0.01, 0.01]).adjusted, [0.02, 0.02]);
  assertEquals(holm([0.04]), { adjusted: [0.04], reject: [true] });
  assertEquals(holm([0.05]).reject, [true]);
  assertEquals(holm([]), { adjusted: [], reject: [] });
  assertEquals(holm([0, 1]).adjusted, [0, 1]);
  assertThrows(() => holm([0.1, NaN]), RangeError);
  assertThrows(() => holm([1.2]), RangeError);
  assertThrows(() => holm([-0.1]), RangeError);
});

Deno.test("holm: monotone, between raw p and Bonferroni, never above 1", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let trial = 0; trial < 200; trial++) {
    const m = 1 + Math.floor(rand() * 12);
    const p = Array.from({ length: m }, () => rand() ** 3);
    const { adjusted, reject } = holm(p);
    for (let i = 0; i < m; i++) {
      assertTrue(adjusted[i] >= p[i] && adjusted[i] <= 1, `bounds ${i}`);
      assertTrue(adjusted[i] <= Math.min(1, m * p[i]) + 1e-15, "≤ Bonferroni");
      assertEquals(reject[i], adjusted[i] <= 0.05);
      for (let j = 0; j < m; j++) {
        if (p[i] <= p[j]) assertTrue(adjusted[i] <= adjusted[j], "order");
      }
    }
  }
});

Deno.test("paired t-test: Student t tails by hand", () => {
  // df = 1 is the Cauchy law: P(|T| ≥ 1) = 1/2.
  assertClose(studentTwoSided(1, 1), 0.5, 1e-12);
  // df = 2: P(|T| ≥ t) = 1 − t/√(2 + t²).
  assertClose(studentTwoSided(1, 2), 1 - 1 / Math.sqrt(3), 1e-12);
  assertClose(studentTwoSided(-3, 2), 1 - 3 / Math.sqrt(11), 1e-12);
  // The 97.5% quantiles of STUDENT_T95 give p = 0.05.
  assertClose(studentTwoSided(STUDENT_T95[0], 1), 0.05, 1e-4);
  assertClose(studentTwoSided(STUDENT_T95[9], 10), 0.05, 1e-4);
  assertClose(studentTwoSided(STUDENT_T95[29], 30), 0.05, 1e-4);
  // Large df: the normal law, 1.959964 → 0.05.
  assertClose(studentTwoSided(1.959964, 1e7), 0.05, 1e-6);
  assertEquals(studentTwoSided(0, 5), 1);
  assertEquals(studentTwoSided(Infinity, 5), 0);
  assertThrows(() => studentTwoSided(1, 0), RangeError);
  // Differences 1, 2, 3: mean 2, sd 1, t = 2√3, df 2.
  const r = pairedTTest([1, 2, 3]);
  assertClose(r.t, 2 * Math.sqrt(3), 1e-12);
  assertEquals(r.df, 2);
  assertClose(r.p, 1 - 2 * Math.sqrt(3) / Math.sqrt(14), 1e-12);
  assertEquals(pairedTTest([0, 0, 0]).p, 1);
  assertEquals(pairedTTest([0.5, 0.5]).p, 0);
  assertEquals(pairedTTest([0.5]).p, 1);
  // pairedDifference carries the same p.
  const d = pairedDifference([1, 2, 3, 4], [0, 0, 0, 0], { samples: 50 });
  assertClose(d.p, pairedTTest([1, 2, 3, 4]).p, 1e-15);
});

Deno.test("familyOutcome and pText", () => {
  const up = { mean: 0.1, lo: 0.02, hi: 0.2 };
  assertEquals(familyOutcome(up, { adjustedP: 0.01 }), "better");
  assertEquals(familyOutcome(up, { adjustedP: 0.2 }), "unclear");
  assertEquals(
    familyOutcome({ mean: -0.1, lo: -0.2, hi: -0.01 }, { adjustedP: 0.05 }),
    "worse",
  );
  // The interval must agree too.
  assertEquals(
    familyOutcome({ mean: 0.1, lo: -0.01, hi: 0.2 }, { adjustedP: 0.001 }),
    "unclear",
  );
  assertEquals(pText(0.0004), "p < 0.001");
  assertEquals(pText(0.0341), "p = 0.034");
  assertEquals(pText(0.2149), "p = 0.21");
  assertEquals(pText(0.9999), "p = 1");
  assertEquals(pText(NaN), "p = –");
});

Deno.test("writeFamily: one Holm adjustment over the distinct tests of a list", () => {
  const seen: number[][] = [];
  const pending = (tests: { key: string; p: number }[]) => ({
    tests,
    write: (adjusted: readonly number[]) => {
      seen.push([...adjusted]);
      return tests.map((t) => t.key).join("+");
    },
  });
  // "x" is stated twice and counts once: m = 3 (x 0.01, y 0.04, z 0.02).
  const family = writeFamily([
    pending([{ key: "x", p: 0.01 }, { key: "y", p: 0.04 }]),
    pending([]),
    pending([{ key: "z", p: 0.02 }, { key: "x", p: 0.01 }]),
  ]);
  assertEquals(family.tests, 3);
  assertEquals(family.lines, ["x+y", "", "z+x"]);
  // Sorted 0.01 ×3 = 0.03, 0.02 ×2 = 0.04, 0.04 ×1 → 0.04.
  assertEquals(seen.map((a) => a.map((p) => Number(p.toFixed(12)))), [
    [0.03, 0.04],
    [],
    [0.04, 0.03],
  ]);
  assertEquals(writeFamily([]), { lines: [], tests: 0 });
  assertTrue(
    holmNote({ tests: 3, scope: "this list" }).includes(
      "Holm-adjusted over the 3 paired tests of this list.",
    ),
  );
  assertEquals(pHolmText(0.012, 0.048), "p = 0.012, Holm p = 0.048");
});
