/**
 * The shared memory between the two workers of `parallel_towers.ts` when
 * each trains the whole model on half of every batch (towers that share
 * weights, e.g. MGDSPR's item-id table read by both towers).
 *
 * Each worker owns half of the weights (it runs their Adam update). After
 * the backward pass a worker writes the gradients of the weights the other
 * owns into its outgoing region; after a {@link PeerExchange.barrier} each
 * adds the other's half-batch gradients to its own for the weights it owns
 * (a reduce-scatter). After the update it writes the new values of its
 * weights, and after another barrier copies the other's into its model (an
 * all-gather), so both hold the same model before the next step.
 *
 * Float addition of two numbers is commutative, so which worker adds
 * which half does not change a bit; the sum of two half-batch gradients
 * differs from the whole batch's only in rounding.
 *
 * @module
 */

import type { RowGradient } from "../towers/mod.ts";

// Int32 slots of the header: each worker's barrier count, and a flag set
// by a worker that failed (the other then stops waiting and fails too).
const ARRIVED = 0, DEAD = 2;
const HEADER_BYTES = 64;
// A barrier wakes up this often to look at the dead flag (ms).
const POLL_MS = 1000;

/** One worker's view of the exchange (see the module documentation). */
export class PeerExchange {
  /** The shared buffer (both workers get the same one). */
  readonly buffer: SharedArrayBuffer;
  readonly #head: Int32Array;
  readonly #index: 0 | 1;
  readonly #regionBytes: number;
  #arrived = 0;

  /**
   * An exchange with `regionBytes` per worker (a number), or worker
   * `index`'s view of an existing one.
   */
  constructor(
    source: number | SharedArrayBuffer,
    options: { index?: 0 | 1 } = {},
  ) {
    this.buffer = typeof source === "number"
      ? new SharedArrayBuffer(HEADER_BYTES + 2 * Math.ceil(source / 8) * 8)
      : source;
    this.#head = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
    this.#index = options.index ?? 0;
    this.#regionBytes = (this.buffer.byteLength - HEADER_BYTES) / 2;
  }

  /** This worker's index (0 or 1). */
  get index(): 0 | 1 {
    return this.#index;
  }

  /** A writer over this worker's region (what the other will read). */
  outgoing(): RegionWriter {
    return new RegionWriter(this.buffer, this.#offset(this.#index), {
      bytes: this.#regionBytes,
    });
  }

  /** A reader over the other worker's region. */
  incoming(): RegionReader {
    return new RegionReader(this.buffer, this.#offset(1 - this.#index));
  }

  #offset(index: number): number {
    return HEADER_BYTES + index * this.#regionBytes;
  }

  /**
   * Waits until the other worker has reached the same barrier; what each
   * wrote before it is visible to the other after it. Throws when the other
   * worker failed ({@link abandon}).
   */
  barrier(): void {
    const k = ++this.#arrived;
    const me = ARRIVED + this.#index, other = ARRIVED + 1 - this.#index;
    Atomics.store(this.#head, me, k);
    Atomics.notify(this.#head, me);
    for (;;) {
      if (Atomics.load(this.#head, DEAD) !== 0) {
        throw new Error("the other worker failed");
      }
      const seen = Atomics.load(this.#head, other);
      if (seen >= k) return;
      Atomics.wait(this.#head, other, seen, POLL_MS);
    }
  }

  /** Marks this worker as failed: the other's barriers throw. */
  abandon(): void {
    Atomics.store(this.#head, DEAD, 1);
    for (const slot of [ARRIVED, ARRIVED + 1]) {
      Atomics.notify(this.#head, slot);
    }
  }
}

/** Writes int32 and float32 arrays one after another into a region. */
export class RegionWriter {
  readonly #buffer: SharedArrayBuffer;
  readonly #end: number;
  #at: number;

  /** A writer from byte `offset` of `buffer`, at most `options.bytes` long. */
  constructor(
    buffer: SharedArrayBuffer,
    offset: number,
    options: { bytes: number },
  ) {
    this.#buffer = buffer;
    this.#at = offset;
    this.#end = offset + options.bytes;
  }

  /** Appends `values` (4-byte elements). */
  put(values: Int32Array | Float32Array): void {
    const bytes = values.length * 4;
    if (this.#at + bytes > this.#end) {
      throw new RangeError(
        `peer exchange: ${bytes} more bytes exceed the region's ${
          this.#end - this.#at
        } left`,
      );
    }
    if (values instanceof Int32Array) {
      new Int32Array(this.#buffer, this.#at, values.length).set(values);
    } else new Float32Array(this.#buffer, this.#at, values.length).set(values);
    this.#at += bytes;
  }

  /** Appends an int32 count. */
  count(n: number): void {
    this.put(Int32Array.of(n));
  }
}

/** Reads what a {@link RegionWriter} wrote, in the same order, without copying. */
export class RegionReader {
  readonly #buffer: SharedArrayBuffer;
  #at: number;

  /** A reader from byte `offset` of `buffer`. */
  constructor(buffer: SharedArrayBuffer, offset: number) {
    this.#buffer = buffer;
    this.#at = offset;
  }

  /** The next `n` int32 values (a view: valid until the writer writes again). */
  ints(n: number): Int32Array {
    const out = new Int32Array(this.#buffer, this.#at, n);
    this.#at += n * 4;
    return out;
  }

  /** The next `n` float32 values (a view). */
  floats(n: number): Float32Array {
    const out = new Float32Array(this.#buffer, this.#at, n);
    this.#at += n * 4;
    return out;
  }

  /** The next int32 count. */
  count(): number {
    return this.ints(1)[0];
  }
}

/**
 * The sum of two row-sparse gradients of one table: every row either
 * touched, in ascending id order (the order does not depend on which
 * argument comes first, and neither does any value).
 */
export function sumRowGradients(
  a: RowGradient,
  b: RowGradient,
): RowGradient {
  if (a.dim !== b.dim) {
    throw new RangeError(`row gradients of width ${a.dim} and ${b.dim}`);
  }
  const D = a.dim;
  const where = new Map<number, [number, number]>();
  a.ids.forEach((id, r) => where.set(id, [r, -1]));
  b.ids.forEach((id, r) => {
    const w = where.get(id);
    if (w) w[1] = r;
    else where.set(id, [-1, r]);
  });
  const ids = Int32Array.from(where.keys()).sort();
  const rows = new Float32Array(ids.length * D);
  ids.forEach((id, k) => {
    const [ra, rb] = where.get(id)!;
    const out = rows.subarray(k * D, (k + 1) * D);
    if (ra >= 0) out.set(a.rows.subarray(ra * D, (ra + 1) * D));
    if (rb >= 0) {
      const src = b.rows.subarray(rb * D, (rb + 1) * D);
      // Float32Array stores round each sum to float32, as tfjs would.
      if (ra >= 0) { for (let j = 0; j < D; j++) out[j] += src[j]; }
      else out.set(src);
    }
  });
  return { ids, rows, dim: D };
}
