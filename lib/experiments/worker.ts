/**
 * Web Worker entry of the experiment grid runner (`grid.ts`): serves
 * {@link experimentsRunTask} to the pool of `workers.ts`, each task on this
 * worker's own tfjs backend. Not meant to be imported.
 *
 * @module
 */

import { experimentsRunTask } from "./grid.ts";
import { serveTasks } from "./workers.ts";

serveTasks(experimentsRunTask);
