/**
 * Helpers for the training loop's own tests.
 *
 * @module
 */

import type { TrainConfigInput } from "./config.ts";
import { train, type TrainOptions, type TrainResult } from "./train.ts";

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
