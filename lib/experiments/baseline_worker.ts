/**
 * Web Worker entry of the baseline grids (`baselines.ts`): serves
 * {@link baselineRunTask} to the experiments' worker pool (`workers.ts`),
 * each run on this worker's own tfjs backend. Not meant to be imported.
 *
 * @module
 */

import { baselineRunTask } from "./baseline_runs.ts";
import { serveTasks } from "./workers.ts";

serveTasks(baselineRunTask);
