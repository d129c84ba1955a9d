import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  ARTEFACTS,
  artefactsOf,
  type ByteStream,
  chart,
  connectionFileOf,
  DISPLAY,
  display,
  DisplayError,
  type DisplaySink,
  html,
  IopubSubscriber,
  type KernelApi,
  md,
  type MimeBundle,
  plainText,
  PUBLISHED_KEY,
  SINK_KEY,
  table,
  toBundle,
} from "./display.ts";

Deno.test("toBundle: Deno's display protocol, strings and other values", async () => {
  const custom = { [DISPLAY]: () => ({ "text/html": "<b>x</b>" }) };
  assertEquals(await toBundle(custom), {
    bundle: { "text/html": "<b>x</b>" },
    files: {},
  });
  // A protocol method may be async (Deno awaits it too).
  const asyncOne = {
    [DISPLAY]: () => Promise.resolve({ "text/plain": "later" }),
  };
  assertEquals((await toBundle(asyncOne)).bundle, { "text/plain": "later" });
  assertEquals((await toBundle("plain *text*")).bundle, {
    "text/plain": "plain *text*",
  });
  assertEquals((await toBundle({ a: 1 })).bundle, { "text/plain": "{ a: 1 }" });
  await assertRejects(
    () => toBundle({ [DISPLAY]: () => ({}) }),
    DisplayError,
    "non-empty MIME bundle",
  );
});

Deno.test("md and html build the expected bundles", async () => {
  assertEquals((await toBundle(md("# T"))).bundle, {
    "text/markdown": "# T",
    "text/plain": "# T",
  });
  assertEquals((await toBundle(html("<i>x</i>", { plain: "x" }))).bundle, {
    "text/html": "<i>x</i>",
    "text/plain": "x",
  });
});

Deno.test("table: pipe table with escaped cells, right-aligned numbers, digits", async () => {
  const t = table(
    [{ method: "a|b", recall: 0.41234, n: 3 }, {
      method: "c",
      recall: 0.5,
      n: null,
    }],
    { digits: 2, caption: "Recall" },
  );
  const { bundle, files } = await toBundle(t);
  assertEquals(
    bundle["text/markdown"],
    "Recall\n\n| method | recall | n |\n| --- | ---: | ---: |\n| a\\|b | 0.41 | 3 |\n| c | 0.50 |  |\n",
  );
  assertEquals(bundle["text/plain"], bundle["text/markdown"]);
  assertEquals(
    bundle["text/html"],
    '<table><caption>Recall</caption><thead><tr><th>method</th><th style="text-align:right">recall</th><th style="text-align:right">n</th></tr></thead><tbody><tr><td>a|b</td><td style="text-align:right">0.41</td><td style="text-align:right">3</td></tr><tr><td>c</td><td style="text-align:right">0.50</td><td style="text-align:right"></td></tr></tbody></table>',
  );
  assertEquals(files, {});
  const arrow = new Uint8Array([1, 2, 3]);
  assertEquals(
    (await toBundle(table([{ x: 1 }], { columns: ["x"], arrow }))).files,
    { arrow },
  );
  assertThrows(() => table([]), DisplayError, "no columns");
  assertThrows(() => table([{ x: 1 }], { digits: -1 }), DisplayError, "digits");
});

Deno.test("chart: bundle passed through, png/svg carried as artefacts", async () => {
  const bundle = { "image/svg+xml": "<svg/>", "text/plain": "c" };
  const png = new Uint8Array([137, 80]);
  const d = chart(bundle, { png, extra: { csv: "a\n" } });
  const r = await toBundle(d);
  assertEquals(r.bundle, bundle);
  assertEquals(r.files, { csv: "a\n", png });
  assertTrue(typeof d[ARTEFACTS] === "function");
});

Deno.test("artefactsOf: files derived from a bundle; explicit ones win", () => {
  const spec = { mark: "point" };
  const bundle: MimeBundle = {
    "application/vnd.vegalite.v5+json": spec,
    "image/svg+xml": ["<svg>", "</svg>"],
    "image/png": btoa("\x89PNG"),
    "text/markdown": "m",
    "text/html": "h",
    "text/plain": "p",
  };
  const files = artefactsOf(bundle, { md: "override" });
  assertEquals(files.svg, "<svg></svg>");
  assertEquals(files.png, new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  assertEquals(files.md, "override");
  assertEquals(files.html, "h");
  assertEquals(files.json, JSON.stringify(spec, null, 2) + "\n");
  assertEquals(Object.keys(files).sort(), ["html", "json", "md", "png", "svg"]);
  // text/plain alone gives no file.
  assertEquals(artefactsOf({ "text/plain": "x" }, {}), {});
});

Deno.test("plainText: text/plain, else a note of the MIME types", () => {
  assertEquals(plainText({ "text/plain": ["a", "b"] }), "ab");
  assertEquals(
    plainText({ "image/png": "x", "text/html": "y" }),
    "[display: image/png, text/html]",
  );
});

Deno.test("display: prints text/plain in a plain script", async () => {
  const lines: unknown[][] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a);
  try {
    await display(md("**hi**"));
    await display(42);
  } finally {
    console.log = log;
  }
  assertEquals(lines, [["**hi**"], ["42"]]);
});

Deno.test("display: goes to the headless sink when one is installed", async () => {
  const seen: [MimeBundle, Record<string, unknown>, string | undefined][] = [];
  const sink: DisplaySink = {
    display: (b, f, id) => {
      seen.push([b, f, id]);
      return Promise.resolve();
    },
  };
  const g = globalThis as Record<symbol, unknown>;
  g[SINK_KEY] = sink;
  try {
    await display(md("x"), { id: "fig_a" });
    await display("text");
  } finally {
    delete g[SINK_KEY];
  }
  assertEquals(seen, [
    [{ "text/markdown": "x", "text/plain": "x" }, {}, "fig_a"],
    [{ "text/plain": "text" }, {}, undefined],
  ]);
  await assertRejects(
    () => display("x", { id: "2" }),
    DisplayError,
    "must start with a letter",
  );
});

// --- A fake of Deno 2.9's kernel iopub: a queue drained by another task ---

const enc = new TextEncoder();

/** One direction of an in-memory connection. */
class Pipe {
  #chunks: Uint8Array[] = [];
  #wake: (() => void) | null = null;
  closed = false;

  push(bytes: Uint8Array): void {
    if (this.closed) throw new Error("closed");
    this.#chunks.push(bytes.slice());
    this.#wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
    const c = this.#chunks[0];
    const n = Math.min(p.length, c.length);
    p.set(c.subarray(0, n));
    if (n < c.length) this.#chunks[0] = c.subarray(n);
    else this.#chunks.shift();
    return n;
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }
}

/** Both ends of an in-memory connection. */
function connection(): [ByteStream, ByteStream] {
  const ab = new Pipe();
  const ba = new Pipe();
  const end = (rx: Pipe, tx: Pipe): ByteStream => ({
    read: (p) => rx.read(p),
    write: (p) => {
      tx.push(p);
      return Promise.resolve(p.length);
    },
    close: () => {
      rx.close();
      tx.close();
    },
  });
  return [end(ba, ab), end(ab, ba)];
}

function frame(body: Uint8Array, flags: number): Uint8Array {
  const long = body.length > 255;
  const out = new Uint8Array((long ? 9 : 2) + body.length);
  out[0] = flags | (long ? 2 : 0);
  if (long) new DataView(out.buffer).setBigUint64(1, BigInt(body.length));
  else out[1] = body.length;
  out.set(body, long ? 9 : 2);
  return out;
}

async function readExact(conn: ByteStream, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  for (let off = 0; off < n;) {
    const k = await conn.read(buf.subarray(off));
    if (k === null) throw new Error("closed");
    off += k;
  }
  return buf;
}

async function readMessage(conn: ByteStream): Promise<void> {
  for (let more = true; more;) {
    const flag = (await readExact(conn, 1))[0];
    const size = flag & 2
      ? Number(new DataView((await readExact(conn, 8)).buffer).getBigUint64(0))
      : (await readExact(conn, 1))[0];
    await readExact(conn, size);
    more = (flag & 1) !== 0;
  }
}

const GREETING = new Uint8Array(64);
GREETING.set([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0]);

/**
 * What matters of the kernel: a subscriber is added once its subscription
 * is read; `broadcast` only queues; a separate task publishes each queued
 * message after `delayMs`, to every subscriber in the order they connected.
 */
class FakeKernel implements KernelApi {
  readonly subscribers: ByteStream[] = [];
  readonly events: string[] = [];
  #queue: Uint8Array[][] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #tasks: Promise<void>[] = [];

  constructor(readonly delayMs: number, readonly drop = false) {
    this.#tasks.push(this.#drain());
  }

  /** A new connection to the iopub socket: the client's end. */
  connect(): ByteStream {
    const [client, server] = connection();
    this.#tasks.push(
      (async () => {
        await server.write(GREETING);
        await readExact(server, 64);
        await server.write(frame(enc.encode("\x05READY"), 4));
        await readMessage(server); // READY
        await readMessage(server); // subscription
        this.subscribers.push(server);
      })().catch(() => {}),
    );
    return client;
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const msg = this.#queue.shift();
      if (!msg) {
        await new Promise<void>((r) => this.#wake = r);
        continue;
      }
      await new Promise((r) => setTimeout(r, this.delayMs));
      const bytes = msg.map((f, i) => frame(f, i < msg.length - 1 ? 1 : 0));
      for (const [i, conn] of this.subscribers.entries()) {
        try {
          for (const b of bytes) await conn.write(b);
          this.events.push(`written to ${i}`);
        } catch {
          // A closed subscriber.
        }
      }
    }
  }

  broadcast(
    msgType: string,
    content: Record<string, unknown>,
    extra: { metadata?: Record<string, unknown> } = {},
  ): void {
    if (this.drop && msgType !== "status") return;
    this.events.push(`queued ${msgType}`);
    this.#queue.push([
      "<IDS|MSG>",
      "",
      JSON.stringify({ msg_type: msgType }),
      "{}",
      JSON.stringify(extra.metadata ?? {}),
      JSON.stringify(content),
    ].map((x) => enc.encode(x)));
    this.#wake?.();
  }

  display(): Promise<void> {
    throw new Error("not used");
  }

  /** A plain subscriber that reads everything, as a frontend does. */
  async frontend(): Promise<void> {
    const conn = this.connect();
    await conn.write(GREETING);
    await conn.write(frame(enc.encode("\x05READY"), 4));
    await conn.write(frame(new Uint8Array([1]), 0));
    await readExact(conn, 64);
    await readMessage(conn);
    while (this.subscribers.length === 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
    this.#tasks.push((async () => {
      try {
        while (true) await readMessage(conn);
      } catch {
        // closed
      }
    })());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    for (const c of this.subscribers) c.close();
    await Promise.all(this.#tasks);
  }
}

Deno.test("IopubSubscriber: a display resolves only after the kernel wrote it to earlier subscribers", async () => {
  const kernel = new FakeKernel(20);
  await kernel.frontend();
  const sub = await IopubSubscriber.open(kernel.connect());
  try {
    assertTrue(await sub.ready(kernel));
    kernel.events.length = 0;
    const big = "x".repeat(200_000); // a long ZMTP frame
    for (const data of [{ "text/plain": "a" }, { "text/plain": big }]) {
      assertTrue(
        await sub.publish(kernel, "display_data", { data, metadata: {} }),
      );
      kernel.events.push("resolved");
    }
    // The frontend (subscriber 0) has it before display() resolves; when
    // the kernel logs its write to subscriber 1 (ours) is beside the point.
    assertEquals(kernel.events.filter((e) => e !== "written to 1"), [
      "queued display_data",
      "written to 0",
      "resolved",
      "queued display_data",
      "written to 0",
      "resolved",
    ]);
  } finally {
    sub.close();
    await kernel.close();
  }
});

Deno.test("IopubSubscriber: gives up after the timeout, and when the kernel goes away", async () => {
  const kernel = new FakeKernel(0, true);
  const sub = await IopubSubscriber.open(kernel.connect());
  try {
    assertTrue(await sub.ready(kernel, { intervalMs: 100 }));
    // The kernel never publishes it.
    assertEquals(await sub.publish(kernel, "display_data", {}, 30), false);
    assertTrue(sub.open);
    const pending = sub.publish(kernel, "display_data", {}, 10_000);
    for (const c of kernel.subscribers) c.close();
    assertEquals(await pending, false);
    assertEquals(sub.open, false);
    assertEquals(await sub.publish(kernel, "display_data", {}), false);
  } finally {
    sub.close();
    await kernel.close();
  }
});

Deno.test("IopubSubscriber: tags only the message-level metadata; a failed handshake closes", async () => {
  const seen: [string, Record<string, unknown>, unknown][] = [];
  const kernel: KernelApi = {
    broadcast: (t, c, e) => void seen.push([t, c, e?.metadata]),
    display: () => Promise.resolve(),
  };
  const fake = new FakeKernel(0);
  const sub = await IopubSubscriber.open(fake.connect());
  try {
    const r = await sub.publish(kernel, "display_data", { data: {} }, 10);
    assertEquals(r, false); // this kernel publishes nothing
    assertEquals(seen[0][0], "display_data");
    assertEquals(seen[0][1], { data: {} });
    assertEquals(Object.keys(seen[0][2] as object), [PUBLISHED_KEY]);
  } finally {
    sub.close();
    await fake.close();
  }
  const [client, server] = connection();
  await server.write(new Uint8Array(64)); // not a ZMTP greeting
  await assertRejects(() => IopubSubscriber.open(client), DisplayError);
  // The subscriber closed its end: the peer reads what was sent, then the end.
  const buf = new Uint8Array(1024);
  let reads = 0;
  while (await server.read(buf) !== null) reads++;
  assertTrue(reads > 0);
  server.close();
});

Deno.test("connectionFileOf: the file after --conn in the kernel's command line", () => {
  const argv = ["deno", "jupyter", "--kernel", "--conn", "/tmp/k.json", ""];
  assertEquals(connectionFileOf(argv), "/tmp/k.json");
  assertEquals(connectionFileOf(["deno", "--conn=/tmp/a.json"]), "/tmp/a.json");
  assertEquals(connectionFileOf(["deno", "jupyter", "--kernel"]), null);
  assertEquals(connectionFileOf(["deno", "--conn"]), null);
});
