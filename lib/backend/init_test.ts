import * as tf from "@tensorflow/tfjs-core";
import {
  assertClose,
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import {
  BACKEND_ENV_VAR,
  BackendError,
  backendFromEnv,
  backendInfo,
  formatBackendInfo,
  initBackend,
  NO_FFI_REASON,
  shortReason,
} from "./init.ts";

Deno.test("initBackend cpu reports cpu", async () => {
  const info = await initBackend({ backend: "cpu", quiet: true });
  assertEquals(info.name, "cpu");
  assertEquals(info.requested, "cpu");
  assertEquals(info.requestedBy, "option");
  assertEquals(info.simd, null);
  assertEquals(info.threads, 1);
  assertEquals(info.tried, [{ name: "cpu", ok: true }]);
  assertEquals(info.tfjsVersion, tf.version_core);
  assertEquals(tf.getBackend(), "cpu");
  assertTrue(backendInfo() === info);
});

Deno.test("initBackend wasm reports SIMD and threads", async () => {
  const info = await initBackend({ backend: "wasm", quiet: true });
  assertEquals(info.name, "wasm");
  assertEquals(typeof info.simd, "boolean");
  assertTrue((info.threads ?? 0) >= 1);
  assertEquals(tf.getBackend(), "wasm");
});

Deno.test("auto: tfjs-node first, else wasm; tfjs-core stays usable", async () => {
  const info = await initBackend({ backend: "auto", quiet: true });
  assertEquals(info.tried[0].name, "tensorflow");
  if (info.tried[0].ok) {
    assertEquals(info.name, "tensorflow"); // a machine with the native addon
  } else {
    // Here: the addon is missing, so the import failed and wasm was used.
    assertEquals(info.name, "wasm");
    assertEquals(info.tried.length, 2);
    assertEquals(info.tried[1], { name: "wasm", ok: true });
    assertTrue((info.tried[0].error ?? "").length > 0);
    const line = formatBackendInfo(info);
    assertTrue(
      line.startsWith(
        `backend: wasm (${
          info.simd ? "simd" : "no simd"
        }, 1 thread); tfjs-node unavailable: `,
      ),
      line,
    );
  }
  // The failed import must not leave the engine broken.
  const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
  assertClose(sum.dataSync(), [4, 6], 0);
  sum.dispose();
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([3]));
  assertClose(g.dataSync(), [6], 1e-6);
});

const HAS_FFI = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
const CAN_SPAWN =
  Deno.permissions.querySync({ name: "run", command: Deno.execPath() })
    .state === "granted";

Deno.test({
  name: "without --allow-ffi, tfjs-node is not imported and the log says why",
  ignore: HAS_FFI,
  fn: async () => {
    const info = await initBackend({ backend: "auto", quiet: true });
    assertEquals(info.tried[0], {
      name: "tensorflow",
      ok: false,
      error: NO_FFI_REASON,
    });
    assertTrue(formatBackendInfo(info).includes("--allow-ffi"));
  },
});

Deno.test({
  name:
    "with --allow-ffi (the :native tasks), tfjs-node is tried and a failure leaves wasm working",
  ignore: !CAN_SPAWN,
  fn: async () => {
    // A child process: the test task itself has no --allow-ffi.
    const code = `
      import * as tf from "@tensorflow/tfjs-core";
      import { initBackend } from "${
      new URL("./init.ts", import.meta.url).href
    }";
      const info = await initBackend({ quiet: true });
      const s = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync();
      const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([3])).dataSync();
      console.log(JSON.stringify({ info, s: [...s], g: [...g] }));`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        "--allow-sys",
        code,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assertTrue(r.success, err);
    const out = JSON.parse(new TextDecoder().decode(r.stdout).trim());
    assertEquals(out.info.tried[0].name, "tensorflow");
    assertTrue(out.info.tried[0].error !== NO_FFI_REASON, err);
    assertTrue(["tensorflow", "wasm"].includes(out.info.name));
    assertEquals(out.s, [4, 6]);
    assertEquals(out.g, [6]);
  },
});

Deno.test("explicit node: error names it and why, or it loads", async () => {
  const auto = await initBackend({ backend: "auto", quiet: true });
  if (auto.tried[0].ok) {
    assertEquals(
      (await initBackend({ backend: "node", quiet: true })).name,
      "tensorflow",
    );
    return;
  }
  const err = await assertRejects(
    () => initBackend({ backend: "node", quiet: true }),
    BackendError,
    `backend "node" (from option "backend")`,
  );
  assertTrue(err.message.includes(auto.tried[0].error ?? "?"), err.message);
  // No silent fallback: the previously active backend is untouched.
  assertEquals(tf.getBackend(), auto.name);
});

Deno.test("initBackend is idempotent and re-activates a switched backend", async () => {
  const a = await initBackend({ backend: "cpu", quiet: true });
  const b = await initBackend({ backend: "cpu", quiet: true });
  assertTrue(a === b);
  await tf.setBackend("wasm");
  assertThrows(
    () => backendInfo(),
    BackendError,
    `active tfjs backend is "wasm"`,
  );
  const c = await initBackend({ backend: "cpu", quiet: true });
  assertTrue(c === a);
  assertEquals(tf.getBackend(), "cpu");
  assertTrue(backendInfo() === a);
});

Deno.test("logs one line on a fresh selection, nothing when cached or quiet", async () => {
  const lines: string[] = [];
  const original = console.error;
  const saved = Deno.env.get(BACKEND_ENV_VAR);
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    // An env-sourced "wasm" request is not used by any other test here.
    Deno.env.set(BACKEND_ENV_VAR, "wasm");
    await initBackend();
    await initBackend(); // cached
    await initBackend({ backend: "wasm", quiet: true });
    assertEquals(lines.length, 1);
    assertTrue(lines[0].startsWith("backend: wasm ("), lines[0]);
  } finally {
    console.error = original;
    if (saved === undefined) Deno.env.delete(BACKEND_ENV_VAR);
    else Deno.env.set(BACKEND_ENV_VAR, saved);
  }
});

Deno.test("bad backend name: error names the option", async () => {
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => initBackend({ backend: "gpu" as any, quiet: true }),
    BackendError,
    `option "backend" is "gpu"`,
  );
});

Deno.test("ADAPTIVE_RETRIEVAL_BACKEND sets the default; the option overrides it", async () => {
  const saved = Deno.env.get(BACKEND_ENV_VAR);
  try {
    Deno.env.set(BACKEND_ENV_VAR, "cpu");
    const fromEnv = await initBackend({ quiet: true });
    assertEquals(fromEnv.name, "cpu");
    assertEquals(fromEnv.requestedBy, "env");
    const fromOption = await initBackend({ backend: "wasm", quiet: true });
    assertEquals(fromOption.name, "wasm");
    assertEquals(fromOption.requestedBy, "option");
    Deno.env.set(BACKEND_ENV_VAR, "tpu");
    await assertRejects(
      () => initBackend({ quiet: true }),
      BackendError,
      `environment variable ${BACKEND_ENV_VAR} is "tpu"`,
    );
  } finally {
    if (saved === undefined) Deno.env.delete(BACKEND_ENV_VAR);
    else Deno.env.set(BACKEND_ENV_VAR, saved);
  }
});

Deno.test("env lookup without permission falls back instead of crashing", () => {
  const throwing = (err: Error) => ({
    get(): string | undefined {
      throw err;
    },
  });
  assertEquals(
    backendFromEnv(throwing(new Deno.errors.NotCapable("no env"))),
    undefined,
  );
  assertEquals(
    backendFromEnv(throwing(new Deno.errors.PermissionDenied("no"))),
    undefined,
  );
  assertThrows(
    () => backendFromEnv(throwing(new TypeError("other"))),
    TypeError,
    "other",
  );
  assertEquals(backendFromEnv({ get: () => "  wasm " }), "wasm");
  assertEquals(backendFromEnv({ get: () => "" }), undefined);
});

Deno.test("shortReason shortens the tfjs-node addon error", () => {
  const msg =
    "The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/y.\nPlease run ...";
  assertEquals(
    shortReason(new Error(msg)),
    "native addon tfjs_binding.node not built (its install script did not run)",
  );
  assertEquals(shortReason(new Error("first line\nsecond")), "first line");
});
