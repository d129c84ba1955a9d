import { assertEquals, assertThrows } from "../testing.ts";
import { resolveStepRun, SOFTMAX_TAU, stepParams } from "./steps.ts";
import { DEFAULT_OPTIMIZER } from "../train/mod.ts";

const DEFAULTS = {
  full: { steps: 20, warmup: 2 },
  quick: { steps: 3, warmup: 1 },
};

Deno.test("resolveStepRun: defaults per profile, the caller's values, recorded with lr and τ", () => {
  assertEquals(resolveStepRun({}, DEFAULTS), {
    profile: "full",
    steps: 20,
    warmup: 2,
    batchSize: 350,
    seed: 1,
  });
  const run = resolveStepRun(
    { profile: "quick", batchSize: 8, seed: 3, warmup: 0 },
    DEFAULTS,
  );
  assertEquals(run, {
    profile: "quick",
    steps: 3,
    warmup: 0,
    batchSize: 8,
    seed: 3,
  });
  assertEquals(stepParams(run), {
    ...run,
    lr: DEFAULT_OPTIMIZER.lr,
    softmaxTemperature: SOFTMAX_TAU,
  });
});

Deno.test("resolveStepRun: a bad option is named in a RangeError", () => {
  for (
    const [options, text] of [
      [{ steps: 0 }, 'option "steps" must be an integer ≥ 1, got 0'],
      [{ warmup: -1 }, 'option "warmup" must be an integer ≥ 0, got -1'],
      [{ batchSize: 1 }, 'option "batch" must be an integer ≥ 2, got 1'],
      [{ seed: 1.5 }, 'option "seed" must be an integer, got 1.5'],
      [{ items: 0 }, 'option "items" must be an integer ≥ 1, got 0'],
    ] as const
  ) {
    assertThrows(() => resolveStepRun(options, DEFAULTS), RangeError, text);
  }
});
