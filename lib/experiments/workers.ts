/**
 * The worker pool every grid trains in (the experiments' runs, `grid.ts`,
 * and the baselines', `baselines.ts`): tasks go to up to
 * {@link experimentsWorkers} Web Workers (one wasm thread each), each
 * worker taking the next task when it finishes one; results do not depend
 * on the number of workers. A worker script serves tasks with
 * {@link serveTasks}.
 *
 * @module
 */

import { readEnv } from "../data/mod.ts";

/** Environment variable that sets the default number of workers. */
export const EXPERIMENTS_WORKERS_ENV = "ADAPTIVE_RETRIEVAL_WORKERS";

/**
 * Default number of parallel training workers: `ADAPTIVE_RETRIEVAL_WORKERS`
 * when set, else min(2, CPU count); 1 runs everything in this thread.
 */
export function experimentsWorkers(): number {
  const fromEnv = readEnv(EXPERIMENTS_WORKERS_ENV);
  const n = Number(fromEnv);
  if (fromEnv && Number.isInteger(n) && n >= 1) return n;
  return Math.max(1, Math.min(2, navigator.hardwareConcurrency ?? 1));
}

interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** Options of {@link runInWorkers}. */
export interface WorkerPoolOptions<T, R> {
  /** The worker script (one that calls {@link serveTasks}). */
  script: URL;
  /**
   * Number of workers (default {@link experimentsWorkers}), at most one per
   * task; 1 runs every task in this thread.
   */
  workers?: number;
  /** Runs a task in this thread, when no worker can be started. */
  runHere: (task: T) => Promise<R>;
  /** Names a task in error messages. */
  describe: (task: T) => string;
  /** Called with every finished task's index and result, as they finish. */
  done: (index: number, result: R) => void;
}

/**
 * Runs `tasks` in a pool of workers (or, with one worker, or when workers
 * cannot be started, one after the other in this thread). The first
 * failure stops handing out tasks and rejects with the task's name and the
 * error.
 */
export async function runInWorkers<T, R>(
  tasks: readonly T[],
  options: WorkerPoolOptions<T, R>,
): Promise<void> {
  const { describe, done } = options;
  const workers = Math.min(
    options.workers ?? experimentsWorkers(),
    tasks.length,
  );
  const here = async () => {
    for (let i = 0; i < tasks.length; i++) {
      done(i, await options.runHere(tasks[i]));
    }
  };
  if (workers <= 1) return await here();
  const pool: WorkerLike[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      pool.push(
        new Worker(options.script, { type: "module" }) as unknown as WorkerLike,
      );
    }
  } catch {
    pool.forEach((w) => w.terminate());
    return await here();
  }
  let next = 0;
  try {
    await Promise.all(pool.map((w) =>
      new Promise<void>((resolve, reject) => {
        let current = -1;
        const go = () => {
          if (next >= tasks.length) return resolve();
          current = next++;
          w.postMessage({ index: current, task: tasks[current] });
        };
        w.onmessage = (e: MessageEvent) => {
          const msg = e.data as { index: number; result?: R; error?: string };
          if (msg.error !== undefined) {
            next = tasks.length; // stop handing out work
            reject(
              new Error(
                `experiments: ${describe(tasks[msg.index])}: ${msg.error}`,
              ),
            );
            return;
          }
          done(msg.index, msg.result as R);
          go();
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          next = tasks.length;
          reject(
            new Error(
              `experiments: worker failed on ${
                current >= 0 ? describe(tasks[current]) : "start"
              }: ${e.message}`,
            ),
          );
        };
        go();
      })
    ));
  } finally {
    pool.forEach((w) => w.terminate());
  }
}

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

/**
 * Makes this Web Worker serve {@link runInWorkers}: it receives
 * `{ index, task }`, runs `run(task)` and answers `{ index, result }` or
 * `{ index, error }` (the error's stack).
 */
export function serveTasks<T, R>(run: (task: T) => Promise<R>): void {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = async (e: MessageEvent) => {
    const { index, task } = e.data as { index: number; task: T };
    try {
      scope.postMessage({ index, result: await run(task) });
    } catch (err) {
      const error = err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
      scope.postMessage({ index, error });
    }
  };
}
