/**
 * The shared-memory channel between the training loop and one of its
 * workers (`tower_worker.ts`, driven by `parallel_towers.ts`).
 *
 * During a step the worker sits inside `tf.variableGrads` waiting for the
 * next command, so that the tape of its tower's forward pass stays open
 * until the loop sends the gradient of the loss with respect to the
 * tower's outputs. Neither side can receive a `postMessage` while it
 * waits synchronously, so commands and answers go through a
 * `SharedArrayBuffer` with `Atomics.wait` / `Atomics.notify`: a command
 * sequence number written by the loop, an answer sequence number written
 * by the worker, and a payload area both read and write in turn.
 *
 * @module
 */

/** Commands of a step. */
export const Command = {
  /**
   * Payload: int32 [nQ, nI, nQ query rows, nI item rows] → answer: int32
   * [query output width, item output width], then the query outputs and
   * the item outputs as float32.
   */
  encode: 1,
  /** Payload: the gradient of every output so far, in order → answer: Σg² per weight (float32) then the lazy tables' Σg² (float64). */
  backward: 2,
  /** Payload: the global gradient norm (float32) → the update is applied; answer empty. */
  apply: 3,
} as const;

/** A command code. */
export type CommandCode = typeof Command[keyof typeof Command];

// Int32 slots of the header.
const CMD_SEQ = 0, ANS_SEQ = 1, CODE = 2, LENGTH = 3, FAILED = 4, DEAD = 5;
// The failure message's length, apart from LENGTH, which a later send()
// overwrites while the message must stay readable.
const FAIL_LENGTH = 6;
const HEADER_BYTES = 64;

/** One side of the channel over a shared buffer (see the module documentation). */
export class TowerChannel {
  /** The shared buffer (send it to the worker). */
  readonly buffer: SharedArrayBuffer;
  readonly #head: Int32Array;
  #seen = 0;

  /** A channel with room for `payloadBytes` of payload, or one over an existing buffer. */
  constructor(source: number | SharedArrayBuffer) {
    this.buffer = typeof source === "number"
      ? new SharedArrayBuffer(HEADER_BYTES + Math.ceil(source / 8) * 8)
      : source;
    this.#head = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
  }

  /** Payload capacity in bytes. */
  get capacity(): number {
    return this.buffer.byteLength - HEADER_BYTES;
  }

  /** The payload as float32 values, from 4-byte slot `at` on. */
  floats(n: number, at = 0): Float32Array {
    this.#check((at + n) * 4);
    return new Float32Array(this.buffer, HEADER_BYTES + at * 4, n);
  }

  /** The payload as int32 values, from 4-byte slot `at` on. */
  ints(n: number, at = 0): Int32Array {
    this.#check((at + n) * 4);
    return new Int32Array(this.buffer, HEADER_BYTES + at * 4, n);
  }

  /** The payload as float64 values starting at float32 index `at` (rounded up to 8 bytes). */
  doubles(at: number, n: number): Float64Array {
    const offset = HEADER_BYTES + Math.ceil((at * 4) / 8) * 8;
    this.#check(offset - HEADER_BYTES + n * 8);
    return new Float64Array(this.buffer, offset, n);
  }

  #check(bytes: number): void {
    if (bytes > this.capacity) {
      throw new RangeError(
        `tower channel: ${bytes} bytes of payload exceed its ${this.capacity}`,
      );
    }
  }

  // ----- the loop's side -----

  /** Sends a command whose payload is already written. */
  send(code: CommandCode, length: number): void {
    Atomics.store(this.#head, CODE, code);
    Atomics.store(this.#head, LENGTH, length);
    Atomics.add(this.#head, CMD_SEQ, 1);
    Atomics.notify(this.#head, CMD_SEQ);
  }

  /** Blocks until the worker answers the last command; returns the answer's length. Throws what the worker reported. */
  receive(): number {
    const want = Atomics.load(this.#head, CMD_SEQ);
    for (;;) {
      const got = Atomics.load(this.#head, ANS_SEQ);
      if (got === want || Atomics.load(this.#head, DEAD) !== 0) break;
      Atomics.wait(this.#head, ANS_SEQ, got, 60_000);
    }
    const length = Atomics.load(this.#head, LENGTH);
    if (Atomics.load(this.#head, FAILED) !== 0) {
      const n = Atomics.load(this.#head, FAIL_LENGTH);
      const bytes = new Uint8Array(this.buffer, HEADER_BYTES, n).slice();
      throw new Error(`tower worker: ${new TextDecoder().decode(bytes)}`);
    }
    return length;
  }

  // ----- the worker's side -----

  /** Blocks until the next command; returns its code and payload length. */
  next(): { code: CommandCode; length: number } {
    for (;;) {
      const seq = Atomics.load(this.#head, CMD_SEQ);
      if (seq !== this.#seen) {
        this.#seen = seq;
        break;
      }
      Atomics.wait(this.#head, CMD_SEQ, seq);
    }
    return {
      code: Atomics.load(this.#head, CODE) as CommandCode,
      length: Atomics.load(this.#head, LENGTH),
    };
  }

  /** Answers the current command with `length` payload values written. */
  answer(length: number): void {
    Atomics.store(this.#head, FAILED, 0);
    Atomics.store(this.#head, LENGTH, length);
    Atomics.store(this.#head, ANS_SEQ, this.#seen);
    Atomics.notify(this.#head, ANS_SEQ);
  }

  /**
   * The worker cannot go on (an error outside a command, e.g. in its
   * update): every waiting and later {@link receive} throws `message`.
   */
  abandon(message: string): void {
    Atomics.store(this.#head, DEAD, 1);
    this.fail(message);
    Atomics.store(this.#head, ANS_SEQ, Atomics.load(this.#head, CMD_SEQ));
    Atomics.notify(this.#head, ANS_SEQ);
  }

  /** Answers the current command with an error message. */
  fail(message: string): void {
    const bytes = new TextEncoder().encode(message).subarray(
      0,
      Math.max(0, this.capacity),
    );
    new Uint8Array(this.buffer, HEADER_BYTES, bytes.length).set(bytes);
    Atomics.store(this.#head, FAIL_LENGTH, bytes.length);
    Atomics.store(this.#head, FAILED, 1);
    Atomics.store(this.#head, LENGTH, bytes.length);
    Atomics.store(this.#head, ANS_SEQ, this.#seen);
    Atomics.notify(this.#head, ANS_SEQ);
  }
}
