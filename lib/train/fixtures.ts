/**
 * Helpers for the training loop's own tests.
 *
 * @module
 */

import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import { ConfigError, resolveConfig, type TrainConfigInput } from "./config.ts";
import { train, type TrainOptions, type TrainResult } from "./train.ts";
import type { StepRow } from "./logs.ts";

/**
 * Trains `config` with `options` and stops it after step `stopAfter`, as a
 * kill would (with `checkpointOnAbort: false`) or a caller's abort: the run
 * stays unfinished, for tests of what a resume or a load finds.
 */
export function trainUntil(
  config: TrainConfigInput,
  options: TrainOptions & { stopAfter: number },
): Promise<TrainResult> {
  const { stopAfter, ...rest } = options;
  const stop = new AbortController();
  return train(config, {
    ...rest,
    signal: stop.signal,
    onStep: (row) => {
      if (row.step === stopAfter) stop.abort();
    },
  });
}

/**
 * Asserts that `resolveConfig(input)` refuses the config with a
 * {@link ConfigError} on `field` (its message starting `config.<field>`),
 * whose message matches `text` when given.
 */
export function assertConfigFails(
  input: unknown,
  field: string,
  text?: string | RegExp,
): void {
  const err = assertThrows(() => resolveConfig(input), ConfigError, text);
  assertEquals(err.field, field, err.message);
  assertTrue(err.message.startsWith(`config.${field}`), err.message);
}

/** Step rows without their wall-clock times, to compare two runs' logs. */
export function noMs(rows: readonly StepRow[]): Omit<StepRow, "ms">[] {
  return rows.map(({ ms: _ms, ...r }) => r);
}
