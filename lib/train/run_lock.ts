/**
 * The guards of a run folder: one training process at a time
 * ({@link acquireRunLock}, an OS file lock), and no run folder inside the
 * dataset folder ({@link refuseOutInsideData}); plus {@link TrainError},
 * which they and the training loop throw.
 *
 * @module
 */

import { joinPath, pathRelation, resolvedPath } from "../data/mod.ts";

/** A training failure (e.g. the loss became NaN); names the step. */
export class TrainError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TrainError";
  }
}

/** Name of the lock file a training process holds in its run folder. */
export const LOCK_FILE = "train.lock";

/** A held {@link LOCK_FILE}. */
export interface RunLock {
  /** The lock file. */
  path: string;
  /** Set when a stale lock, left by a process that died, was taken over. */
  warning: string | null;
  /** Unlocks and removes the lock file. */
  release(): Promise<void>;
}

function hostName(): string {
  // Asked only when granted: without --allow-sys a terminal would prompt.
  const sys = { name: "sys", kind: "hostname" } as const;
  if (Deno.permissions.querySync(sys).state !== "granted") return "";
  try {
    return Deno.hostname();
  } catch {
    return "";
  }
}

function holderOf(text: string): string {
  try {
    const h = JSON.parse(text) as {
      pid?: number;
      host?: string;
      startedAt?: string;
    };
    if (typeof h.pid === "number") {
      return `process ${h.pid}${h.host ? ` on ${h.host}` : ""}${
        h.startedAt ? ` (since ${h.startedAt})` : ""
      }`;
    }
  } catch { /* empty or being written */ }
  return "an unknown process";
}

/**
 * Takes the run folder's {@link LOCK_FILE}: an exclusive OS file lock
 * (`FsFile.tryLock`), held open for the whole run, on a file that names
 * the holder (pid, host, start time). The OS drops the lock when its
 * process ends, however it ends, so a lock file whose lock is free was
 * left by a process that died: it is taken over, and `warning` says so.
 * A lock held by a live process throws a {@link TrainError} naming the
 * file and that process.
 */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  const path = joinPath(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const file = await Deno.open(path, {
      read: true,
      write: true,
      create: true,
    });
    let ok = false;
    try {
      if (!(await file.tryLock(true))) {
        const who = holderOf(await Deno.readTextFile(path).catch(() => ""));
        throw new TrainError(
          `${path} is held by ${who}: another training is writing to ${dir}. Wait for it to end, or train into another folder`,
        );
      }
      // The holder before us may have removed the file as we opened it: a
      // lock on a removed file guards nothing, so try again.
      const [mine, now] = [await file.stat(), await Deno.stat(path)];
      if (mine.ino !== null && now.ino !== null && mine.ino !== now.ino) {
        continue;
      }
      const left = await Deno.readTextFile(path);
      const warning = left.trim() === ""
        ? null
        : `took over ${path} of ${
          holderOf(left)
        }, which no longer runs (a run killed before it could remove its lock)`;
      const body = JSON.stringify({
        pid: Deno.pid,
        host: hostName(),
        startedAt: new Date().toISOString(),
      }) + "\n";
      await file.truncate(0);
      await file.write(new TextEncoder().encode(body));
      ok = true;
      return {
        path,
        warning,
        release: async () => {
          // Removed while still locked, so no one locks the old file.
          await Deno.remove(path).catch(() => {});
          file.close();
        },
      };
    } finally {
      if (!ok) file.close();
    }
  }
  throw new TrainError(`${path}: could not take the lock (it kept changing)`);
}

/** Refuses an output folder that is, or lies inside, the dataset folder. */
export async function refuseOutInsideData(
  out: string,
  data: string,
): Promise<void> {
  const [o, d] = [await resolvedPath(out), await resolvedPath(data)];
  const relation = pathRelation(o, d);
  if (relation === "is" || relation === "is inside") {
    throw new TrainError(
      `output folder ${out} ${relation} the dataset folder ${data}: a run writes checkpoints and logs there, which would mix into the data. Choose another --out (outDir)`,
    );
  }
}
