/**
 * `display()` for notebook cells: one call that does the right thing in a
 * Jupyter kernel, under the headless runner, and in a plain script.
 *
 * - In the Deno Jupyter kernel it publishes one MIME bundle as
 *   `display_data` and resolves only once the kernel has written it to the
 *   frontend, so the output is on the wire before the cell's `idle`: Deno's
 *   own `Deno.jupyter.display` resolves when the message is queued, and the
 *   kernel may report `idle` first, after which frontends drop it
 *   (docs/jupyter.md). It tells by subscribing to the kernel's own iopub
 *   socket ({@link IopubSubscriber}); where that is not possible it falls
 *   back to `Deno.jupyter.display(bundle, { raw: true })`.
 * - Under the headless runner (`deno task reproduce`) it records the bundle
 *   as a `display_data` output of the running cell and writes its artefacts
 *   to `<out>/<notebook>/<cell-id>.<ext>` (`-2`, `-3`, … for a cell's later
 *   displays, or `<cell-id>-<id>.<ext>` with `{ id }`).
 * - Anywhere else it prints the bundle's `text/plain`.
 *
 * What can be displayed: any object with a `[Symbol.for("Jupyter.display")]()`
 * method returning a MIME bundle (Deno's own protocol), a string (shown as
 * `text/plain`), or any other value (shown as `Deno.inspect` text). The
 * helpers {@link md}, {@link html}, {@link table} and {@link chart} build
 * displayables, optionally carrying artefact files (PNG bytes, Arrow bytes)
 * that are written headless but never sent to the kernel.
 *
 * ```ts
 * import { chart, display, md, table } from "../lib/notebook/mod.ts";
 * await display(md("**Recall@10** per method"));
 * await display(table([{ method: "fixed τ", recall: 0.41 }]));
 * await display(chart(bundle, { png }));  // bundle: a ready MIME bundle
 * ```
 *
 * Cells must always `await display(...)`.
 *
 * @module
 */

import type { MimeBundle } from "./protocol.ts";
import { escapeHtml } from "../plot/mod.ts";

export type { MimeBundle } from "./protocol.ts";

/** Deno's Jupyter display protocol: the method returning a MIME bundle. */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** Optional method of a displayable returning extra artefact files. */
export const ARTEFACTS: unique symbol = Symbol.for(
  "adaptive-retrieval.artefacts",
);

/** Key on `globalThis` where the headless runtime installs its sink. */
export const SINK_KEY: unique symbol = Symbol.for(
  "adaptive-retrieval.notebook.sink",
);

/**
 * Artefact files keyed by extension without the dot (`svg`, `png`, `md`,
 * `html`, `json`, `arrow`, …): text or bytes.
 */
export type Artefacts = Record<string, string | Uint8Array>;

/** Something {@link display} renders through its MIME bundle. */
export interface Displayable {
  /**
   * Returns the MIME bundle (Deno's protocol). Typed `object` so that
   * bundle interfaces without an index signature (lib/plot's) fit.
   */
  [DISPLAY](): object | Promise<object>;
  /** Optional artefact files to write headless (not sent to the kernel). */
  [ARTEFACTS]?(): Artefacts;
}

/** Receives displays under the headless runner (installed by the runtime). */
export interface DisplaySink {
  /** Records the bundle for the running cell and writes its artefacts. */
  display(bundle: MimeBundle, files: Artefacts, id?: string): Promise<void>;
}

/** Options of {@link display}. */
export interface DisplayOptions {
  /**
   * Names this display's artefact files `<cell-id>-<id>.<ext>` instead of
   * numbering them; a letter, then letters, digits, `_` or `-`.
   */
  id?: string;
}

/** A value cannot be displayed, or an option is malformed. */
export class DisplayError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DisplayError";
  }
}

const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The part of the kernel's `Deno.jupyter` that {@link display} uses. */
export interface KernelApi {
  /** Queues one iopub message with optional message-level metadata. */
  broadcast(
    msgType: string,
    content: Record<string, unknown>,
    extra?: { metadata?: Record<string, unknown> },
  ): void | Promise<void>;
  /** Deno's display: resolves once the message is queued. */
  display(b: MimeBundle, o: { raw: boolean }): Promise<void>;
}

/** The kernel's `Deno.jupyter`, or null outside the kernel. */
function kernel(): KernelApi | null {
  try {
    // Outside `deno jupyter` even reading the property throws.
    const j = (Deno as unknown as { jupyter?: unknown }).jupyter;
    return j && typeof j === "object" && "display" in j &&
        "broadcast" in j
      ? j as never
      : null;
  } catch {
    return null;
  }
}

function sink(): DisplaySink | null {
  const s = (globalThis as Record<symbol, unknown>)[SINK_KEY];
  return s ? s as DisplaySink : null;
}

/**
 * The MIME bundle and artefact files of a displayable value (see the module
 * documentation for what counts as one).
 */
export async function toBundle(
  x: unknown,
): Promise<{ bundle: MimeBundle; files: Artefacts }> {
  if (x !== null && typeof x === "object" && DISPLAY in x) {
    const d = x as Displayable;
    const bundle = await d[DISPLAY]() as MimeBundle;
    if (
      bundle === null || typeof bundle !== "object" ||
      Array.isArray(bundle) || Object.keys(bundle).length === 0
    ) {
      throw new DisplayError(
        "display: [Symbol.for('Jupyter.display')]() must return a non-empty MIME bundle object",
      );
    }
    return { bundle, files: d[ARTEFACTS]?.() ?? {} };
  }
  if (typeof x === "string") return { bundle: { "text/plain": x }, files: {} };
  return {
    bundle: { "text/plain": Deno.inspect(x, { colors: false }) },
    files: {},
  };
}

/** The `text/plain` of a bundle, or a one-line note of its MIME types. */
export function plainText(bundle: MimeBundle): string {
  const t = bundle["text/plain"];
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.join("");
  return `[display: ${Object.keys(bundle).join(", ")}]`;
}

/**
 * Displays a value (see the module documentation): in the Jupyter kernel,
 * under the headless runner, or as text in a plain script.
 */
export async function display(
  x: unknown,
  options: DisplayOptions = {},
): Promise<void> {
  if (options.id !== undefined && !ID_PATTERN.test(options.id)) {
    throw new DisplayError(
      `display: option "id" must start with a letter and hold only letters, digits, '_' or '-', got ${
        JSON.stringify(options.id)
      }`,
    );
  }
  const { bundle, files } = await toBundle(x);
  const headless = sink();
  if (headless) return await headless.display(bundle, files, options.id);
  const jupyter = kernel();
  if (jupyter) return await kernelDisplay(jupyter, bundle);
  console.log(plainText(bundle));
}

/** Builds a displayable from a bundle and optional artefact files. */
function displayable(bundle: MimeBundle, files: Artefacts = {}): Displayable {
  return {
    [DISPLAY]: () => bundle,
    [ARTEFACTS]: () => files,
  };
}

/** Markdown text, displayed as `text/markdown` (written as `.md`). */
export function md(text: string): Displayable {
  return displayable({ "text/markdown": text, "text/plain": text });
}

/** HTML, displayed as `text/html` (written as `.html`). */
export function html(
  text: string,
  options: { plain?: string } = {},
): Displayable {
  return displayable({
    "text/html": text,
    "text/plain": options.plain ?? text,
  });
}

/** Artefact files accompanying a chart's MIME bundle. */
export interface ChartFiles {
  /** PNG bytes, written as `.png` (not sent to the kernel). */
  png?: Uint8Array;
  /** SVG text, written as `.svg` (defaults to the bundle's `image/svg+xml`). */
  svg?: string;
  /** Any further files keyed by extension. */
  extra?: Artefacts;
}

/**
 * A ready MIME bundle (e.g. from `lib/plot`: Vega-Lite spec, SVG, text) plus
 * artefact files. The bundle is sent as is; the files are written headless
 * next to the ones derived from the bundle (svg, json spec).
 */
export function chart(bundle: object, files: ChartFiles = {}): Displayable {
  const out: Artefacts = { ...files.extra };
  if (files.svg !== undefined) out.svg = files.svg;
  if (files.png !== undefined) out.png = files.png;
  return displayable(bundle as MimeBundle, out);
}

/** Options of {@link table}. */
export interface TableOptions {
  /** Columns in order (default: the keys of the first row). */
  columns?: string[];
  /** Decimal places for non-integer numbers (default: `String(x)`). */
  digits?: number;
  /** Arrow IPC bytes of the same table, written as `.arrow`. */
  arrow?: Uint8Array;
  /** A caption shown above the table. */
  caption?: string;
}

function cellText(v: unknown, digits?: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    return digits !== undefined && Number.isFinite(v) && !Number.isInteger(v)
      ? v.toFixed(digits)
      : String(v);
  }
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/**
 * Rows of records as a table: `text/markdown` (a pipe table, numbers right-
 * aligned), `text/html` and `text/plain`; headless it is written as `.md`,
 * `.html` and, when `arrow` bytes are given, `.arrow`.
 */
export function table(
  rows: readonly object[],
  options: TableOptions = {},
): Displayable {
  // Any plain objects (interfaces have no index signature).
  const records = rows as readonly Record<string, unknown>[];
  const columns = options.columns ?? Object.keys(records[0] ?? {});
  if (columns.length === 0) {
    throw new DisplayError("table: no columns (empty rows and no `columns`)");
  }
  if (
    options.digits !== undefined &&
    !(Number.isInteger(options.digits) && options.digits >= 0 &&
      options.digits <= 20)
  ) {
    throw new DisplayError(
      `table: option "digits" must be an integer in [0, 20], got ${options.digits}`,
    );
  }
  const cells = records.map((r) =>
    columns.map((c) => cellText(r[c], options.digits))
  );
  const numeric = columns.map((c) =>
    records.length > 0 &&
    records.every((r) => typeof r[c] === "number" || r[c] == null)
  );
  const mdCell = (s: string) =>
    s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  const lines = [
    `| ${columns.map(mdCell).join(" | ")} |`,
    `| ${numeric.map((n) => (n ? "---:" : "---")).join(" | ")} |`,
    ...cells.map((row) => `| ${row.map(mdCell).join(" | ")} |`),
  ];
  const markdown = (options.caption ? `${options.caption}\n\n` : "") +
    lines.join("\n") + "\n";
  const align = (i: number) => (numeric[i] ? ' style="text-align:right"' : "");
  const htmlText = "<table>" +
    (options.caption
      ? `<caption>${escapeHtml(options.caption)}</caption>`
      : "") +
    `<thead><tr>${
      columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("")
    }</tr></thead><tbody>` +
    cells.map((row) =>
      `<tr>${
        row.map((s, i) => `<td${align(i)}>${escapeHtml(s)}</td>`).join("")
      }</tr>`
    ).join("") + "</tbody></table>";
  const files: Artefacts = {};
  if (options.arrow) files.arrow = options.arrow;
  return displayable({
    "text/markdown": markdown,
    "text/html": htmlText,
    "text/plain": markdown,
  }, files);
}

/** Decodes base64 (as Jupyter stores `image/png`) to bytes. */
function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function asText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) {
    return v.join("");
  }
  return undefined;
}

/**
 * The files to write for one display: derived from the bundle
 * (`image/svg+xml` → svg, `image/png` → png, `text/markdown` → md,
 * `text/html` → html, a Vega/Vega-Lite spec or `application/json` → json),
 * then the explicit artefacts, which win on the same extension.
 */
export function artefactsOf(bundle: MimeBundle, files: Artefacts): Artefacts {
  const out: Artefacts = {};
  const svg = asText(bundle["image/svg+xml"]);
  if (svg !== undefined) out.svg = svg;
  const png = asText(bundle["image/png"]);
  if (png !== undefined) out.png = fromBase64(png);
  const markdown = asText(bundle["text/markdown"]);
  if (markdown !== undefined) out.md = markdown;
  const h = asText(bundle["text/html"]);
  if (h !== undefined) out.html = h;
  const spec =
    Object.keys(bundle).find((k) =>
      /^application\/vnd\.vega(lite)?\.v\d+\+json$/.test(k)
    ) ?? (bundle["application/json"] !== undefined ? "application/json" : null);
  if (spec) out.json = JSON.stringify(bundle[spec], null, 2) + "\n";
  return { ...out, ...files };
}

// --- Inside the Deno kernel: a display is on the wire before the cell ends ---

/**
 * Message-level metadata key of the id that lets {@link IopubSubscriber} see
 * its own message come back (frontends ignore message-level metadata; the
 * saved output's metadata is the content's).
 */
export const PUBLISHED_KEY = "adaptive_retrieval.published";

/** How long a display waits to see its message published, ms. */
export const PUBLISH_TIMEOUT_MS = 10_000;

const ZMTP_DELIMITER = "<IDS|MSG>";
// Longer frames are read past, not kept: delimiters and metadata are short.
const KEEP_FRAME_BYTES = 4096;

/** The part of a connection (`Deno.Conn`) {@link IopubSubscriber} uses. */
export interface ByteStream {
  /** Reads into `p`; the number of bytes, or null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; the number of bytes written. */
  write(p: Uint8Array): Promise<number>;
  /** Closes both directions. */
  close(): void;
}

/** Buffered exact reads from a connection. */
class ByteReader {
  #buf = new Uint8Array(1 << 16);
  #start = 0;
  #end = 0;

  constructor(readonly conn: ByteStream) {}

  /** The next `n` bytes (a view, valid until the next call). */
  async take(n: number): Promise<Uint8Array> {
    if (this.#end - this.#start < n) {
      if (this.#buf.length - this.#start < n) {
        const next = this.#buf.length < n
          ? new Uint8Array(Math.max(n, 2 * this.#buf.length))
          : this.#buf;
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#end -= this.#start;
        this.#start = 0;
        this.#buf = next;
      }
      while (this.#end - this.#start < n) {
        const k = await this.conn.read(this.#buf.subarray(this.#end));
        if (k === null) throw new Error("iopub connection closed");
        this.#end += k;
      }
    }
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }
}

async function writeAll(conn: ByteStream, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    off += await conn.write(bytes.subarray(off));
  }
}

/** A ZMTP 3.0 frame: flag byte (more 1, long 2, command 4), size, body. */
function zmtpFrame(body: Uint8Array, flags: number): Uint8Array {
  const long = body.length > 255;
  const head = long ? 9 : 2;
  const out = new Uint8Array(head + body.length);
  out[0] = flags | (long ? 2 : 0);
  if (long) new DataView(out.buffer).setBigUint64(1, BigInt(body.length));
  else out[1] = body.length;
  out.set(body, head);
  return out;
}

/**
 * A subscriber on the Deno kernel's own iopub socket. Deno 2.9's kernel
 * queues what cells publish on a channel that another task drains, and sends
 * `idle` without waiting for it, so an awaited `Deno.jupyter.display` can
 * still reach the frontend after `idle`, when nbclient, nbconvert and
 * JupyterLab have stopped listening (docs/jupyter.md). The kernel writes
 * each message to its subscribers in the order they connected, and drains
 * its queue in order, so once a tagged message comes back here it and
 * everything queued before it have been written to every earlier
 * subscriber — the frontend.
 */
export class IopubSubscriber {
  #reader: ByteReader;
  #waiting = new Map<string, (seen: boolean) => void>();
  #open = true;

  private constructor(readonly conn: ByteStream) {
    this.#reader = new ByteReader(conn);
  }

  /**
   * Connects to the iopub socket at `hostname:port` as a ZMTP 3.0 SUB
   * socket subscribed to everything, and starts reading.
   */
  static async connect(
    address: { hostname: string; port: number },
  ): Promise<IopubSubscriber> {
    return await IopubSubscriber.open(
      await Deno.connect({ ...address, transport: "tcp" }),
    );
  }

  /**
   * Subscribes over an open connection to a ZMTP 3.0 PUB socket (the
   * handshake as a SUB socket, subscribed to everything), and starts
   * reading. Closes the connection if the handshake fails.
   */
  static async open(conn: ByteStream): Promise<IopubSubscriber> {
    const sub = new IopubSubscriber(conn);
    try {
      const enc = new TextEncoder();
      const greeting = new Uint8Array(64);
      greeting.set([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0]);
      greeting.set(enc.encode("NULL"), 12);
      const ready = [
        [5],
        enc.encode("READY"),
        [11],
        enc.encode("Socket-Type"),
        [0, 0, 0, 3],
        enc.encode("SUB"),
      ].flatMap((p) => [...p]);
      await writeAll(conn, greeting);
      await writeAll(conn, zmtpFrame(new Uint8Array(ready), 4));
      // Subscribe to every topic (ZMTP 3.0: a message 0x01 + topic).
      await writeAll(conn, zmtpFrame(new Uint8Array([1]), 0));
      const peer = await sub.#reader.take(64);
      if (peer[0] !== 0xff || peer[10] < 3) {
        throw new DisplayError("iopub: not a ZMTP 3 peer");
      }
      await sub.#frame(); // the kernel's READY
    } catch (err) {
      sub.close();
      throw err;
    }
    sub.#readLoop();
    return sub;
  }

  /** Whether the connection is still open. */
  get open(): boolean {
    return this.#open;
  }

  async #frame(): Promise<{ body: Uint8Array | null; more: boolean }> {
    const flag = (await this.#reader.take(1))[0];
    const size = flag & 2
      ? Number(new DataView((await this.#reader.take(8)).slice().buffer)
        .getBigUint64(0))
      : (await this.#reader.take(1))[0];
    const body = await this.#reader.take(size);
    return {
      body: size <= KEEP_FRAME_BYTES && !(flag & 4) ? body.slice() : null,
      more: (flag & 1) !== 0,
    };
  }

  async #readLoop(): Promise<void> {
    const dec = new TextDecoder();
    try {
      // Read everything, always: a subscriber that stops reading would
      // stall the kernel's writes to the frontend too.
      while (true) {
        const frames: (Uint8Array | null)[] = [];
        for (let more = true; more;) {
          const f = await this.#frame();
          frames.push(f.body);
          more = f.more;
        }
        const d = frames.findIndex((f) =>
          f !== null && f.length === ZMTP_DELIMITER.length &&
          dec.decode(f) === ZMTP_DELIMITER
        );
        const meta = d >= 0 ? frames[d + 4] : null;
        if (!meta) continue;
        const text = dec.decode(meta);
        if (!text.includes(PUBLISHED_KEY)) continue;
        try {
          const id = JSON.parse(text)[PUBLISHED_KEY];
          this.#waiting.get(id)?.(true);
        } catch {
          // Not our JSON: someone else's metadata mentioning the key.
        }
      }
    } catch {
      // Closed (kernel shutdown, or close()).
    } finally {
      this.close();
    }
  }

  /**
   * Queues a message through `kernel.broadcast`, tagged with a fresh id, and
   * resolves true once it has come back here (so the kernel has written it
   * to every subscriber that connected earlier), or false after `timeoutMs`
   * or when the connection closes.
   */
  publish(
    kernel: KernelApi,
    msgType: string,
    content: Record<string, unknown>,
    timeoutMs: number = PUBLISH_TIMEOUT_MS,
  ): Promise<boolean> {
    if (!this.#open) return Promise.resolve(false);
    const id = crypto.randomUUID();
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (seen: boolean) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(seen);
      };
      this.#waiting.set(id, done);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        reject(err);
      };
      try {
        Promise.resolve(
          kernel.broadcast(msgType, content, {
            metadata: { [PUBLISHED_KEY]: id },
          }),
        ).catch(fail);
      } catch (err) {
        fail(err);
      }
    });
  }

  /**
   * Waits until the kernel publishes to this subscriber: it adds a
   * subscriber only after reading its subscription, which races with the
   * first publish. Probes with a `status: busy` message (a repeat of the
   * state the running cell is in, which frontends ignore) every
   * `intervalMs`, at most `attempts` times.
   */
  async ready(
    kernel: KernelApi,
    options: { attempts?: number; intervalMs?: number } = {},
  ): Promise<boolean> {
    for (let i = 0; i < (options.attempts ?? 25); i++) {
      const seen = await this.publish(
        kernel,
        "status",
        { execution_state: "busy" },
        options.intervalMs ?? 200,
      );
      if (seen) return true;
      if (!this.#open) return false;
    }
    return false;
  }

  /** Closes the connection; pending publishes resolve false. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    for (const done of [...this.#waiting.values()]) done(false);
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * The kernel's connection file from its command line (`deno jupyter
 * --kernel --conn <file>`), or null.
 */
export function connectionFileOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--conn" && args[i + 1]) return args[i + 1];
    if (args[i].startsWith("--conn=")) return args[i].slice(7) || null;
  }
  return null;
}

let subscriber: Promise<IopubSubscriber | null> | undefined;

async function openSubscriber(
  jupyter: KernelApi,
): Promise<IopubSubscriber | null> {
  try {
    // The kernel's Deno.args are the cell's, not the process's (Linux only).
    const args = (await Deno.readTextFile("/proc/self/cmdline")).split("\0");
    const file = connectionFileOf(args);
    if (file === null) return null;
    const info = JSON.parse(await Deno.readTextFile(file));
    if ((info.transport ?? "tcp") !== "tcp") return null;
    const sub = await IopubSubscriber.connect({
      hostname: info.ip,
      port: info.iopub_port,
    });
    if (await sub.ready(jupyter)) return sub;
    sub.close();
  } catch {
    // No /proc, no permission, or no connection: plain display.
  }
  return null;
}

async function kernelDisplay(
  jupyter: KernelApi,
  bundle: MimeBundle,
): Promise<void> {
  subscriber ??= openSubscriber(jupyter);
  const sub = await subscriber;
  if (sub?.open) {
    await sub.publish(jupyter, "display_data", {
      data: bundle,
      metadata: {},
      transient: {},
    });
    return;
  }
  // Reconnect on the next display if the connection dropped.
  if (sub) subscriber = undefined;
  await jupyter.display(bundle, { raw: true });
}
