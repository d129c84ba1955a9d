/**
 * Web Worker entry of the experiment runner (`experiments.ts`): receives
 * `{ index, task }`, runs the task with `experimentsRunTask` on this
 * worker's own tfjs backend, and answers `{ index, run }` or
 * `{ index, error }`. Not meant to be imported.
 *
 * @module
 */

import { experimentsRunTask, type ExperimentsTask } from "./experiments.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (e: MessageEvent) => {
  const { index, task } = e.data as { index: number; task: ExperimentsTask };
  try {
    const run = await experimentsRunTask(task);
    scope.postMessage({ index, run });
  } catch (err) {
    const error = err instanceof Error
      ? (err.stack ?? err.message)
      : String(err);
    scope.postMessage({ index, error });
  }
};
