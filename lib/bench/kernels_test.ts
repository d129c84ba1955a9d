import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { assertClose, assertEquals, assertTrue } from "../testing.ts";
import { main, parseBenchArgs } from "./cli.ts";
import { profileCalls, runKernelProfile } from "./kernels.ts";
import { formatKernelProfile } from "./kernels_format.ts";
import type { Phase } from "./kernel_stats.ts";
import { SMALL_TOWERS } from "../fixtures.ts";

const SMALL_BUCKETS = {
  charTrigram: 1024,
  word: 1024,
  wordBigram: 1024,
  charUnigram: 256,
  charBigram: 1024,
};

// A customGrad op whose forward spends 15 ms in JavaScript around a matMul.
const slowMatMul = tf.customGrad(
  ((a: tf.Tensor, b: tf.Tensor) => {
    const t0 = performance.now();
    while (performance.now() - t0 < 15) { /* JavaScript time */ }
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor) => [dy, dy],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0],
);

function slowOp(a: tf.Tensor): tf.Tensor {
  return slowMatMul(a, a);
}

function profilerOwnsHook(): boolean {
  const profiler = (tf.engine() as unknown as { profiler: object }).profiler;
  return Object.hasOwn(profiler, "profileKernel") ||
    Object.hasOwn(tf.backend(), "readSync") ||
    Object.hasOwn(tf.backend(), "write");
}

Deno.test("kernels: a customGrad op's self time leaves out its nested kernels, each call has its phase", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const a = tf.ones([64, 64]);
  let phase: Phase = "forward";
  const t0 = performance.now();
  const p = await profileCalls(() => {
    const c = slowOp(a);
    phase = "adam";
    const d = tf.add(c, a);
    c.dispose();
    return d;
  }, { phase: () => phase });
  const wall = performance.now() - t0;
  p.result.dispose();
  a.dispose();
  const names = p.calls.map((c) => c.name);
  // Completion order: the nested matMul ends before its customGrad op.
  assertEquals(names, [
    "BatchMatMul",
    "custom:slowOp (kernels_test.ts)",
    "Add",
  ]);
  const [mm, custom, add] = p.calls;
  assertEquals([mm.custom, custom.custom, add.custom], [false, true, false]);
  assertEquals([mm.phase, custom.phase, add.phase], [
    "forward",
    "forward",
    "adam",
  ]);
  assertTrue(custom.ms >= 14, `custom self ${custom.ms} ms < its 15 ms loop`);
  const total = p.calls.reduce((s, c) => s + c.ms, 0);
  assertTrue(total <= wall, `self times ${total} ms exceed the wall ${wall}`);
  assertEquals(custom.inputShapes, [[64, 64], [64, 64]]);
  assertEquals(add.outputShapes, [[64, 64]]);
  assertTrue(p.peakBytes >= 2 * 64 * 64 * 4);
  assertTrue(!profilerOwnsHook(), "the profiler is still wrapped");
});

Deno.test("kernels: a tiny profile of both towers adds up", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const tensors = tf.memory().numTensors;
  const r = await runKernelProfile({
    backend: "wasm",
    profile: "quick",
    items: 300,
    batchSize: 32,
    steps: 2,
    warmup: 1,
    overrides: {
      dssm: { hidden: [16], dim: 16, features: { buckets: SMALL_BUCKETS } },
      mgdspr: { dim: 16, features: { buckets: SMALL_BUCKETS } },
    },
    peak: { matMulN: 64, floats: 4096, reps: 2 },
  });
  assertEquals(tf.memory().numTensors - tensors, 0, "tensors leaked");
  assertTrue(!profilerOwnsHook(), "the profiler is still wrapped");
  assertEquals(r.kind, "kernel-profile");
  assertEquals(r.backend.name, "wasm");
  assertEquals(r.towers.map((t) => t.kind), ["dssm", "mgdspr"]);
  for (
    const k of ["matMulGflops", "addGbps", "copyGbps", "freshGbps"] as const
  ) {
    assertTrue(r.peak[k] > 0 && Number.isFinite(r.peak[k]), `peak.${k}`);
  }
  for (const t of r.towers) {
    assertEquals([t.batchSize, t.steps, t.warmup], [32, 2, 1]);
    const step = t.phases[t.phases.length - 1];
    assertEquals(t.phases.map((p) => p.phase), [
      "forward",
      "backward",
      "adam",
      "step",
    ]);
    assertClose(step.wallMs, t.stepMs, 1e-6 * t.stepMs, "phases ≠ step");
    // Kernels, customGrad ops and the rest make up the step.
    const inside = t.byName.reduce((s, k) => s + k.totalMs, 0);
    assertClose(inside + step.outsideMs, t.stepMs, 1e-6 * t.stepMs, t.kind);
    assertClose(inside, step.kernelMs + step.customMs, 1e-6 * t.stepMs);
    const shares = t.byName.reduce((s, k) => s + k.share, 0);
    assertClose(shares + step.outsideMs / t.stepMs, 1, 1e-9);
    const names = t.byName.map((k) => k.name);
    for (const n of ["BatchMatMul", "custom:weightedRowSum (ops.ts)"]) {
      assertTrue(names.includes(n), `${t.kind} lacks ${n}: ${names}`);
    }
    // Adam runs only in its phase; it touches every weight.
    assertTrue(step.kernelMs > 0 && t.phases[2].kernelMs > 0);
    assertTrue(t.byShape.length > 0 && t.byShape.length <= 15);
    assertTrue(t.byShape.every((k) => k.shapes?.includes("→")));
    for (const k of ["flops", "bytes", "gflops", "flopShare"] as const) {
      const v = t.roofline[k];
      assertTrue(v > 0 && Number.isFinite(v), `${t.kind} roofline.${k} = ${v}`);
    }
    assertTrue(t.tensorPeakBytes > 0 && t.memory.peakRssBytes > 0);
    assertTrue(t.loss.every(Number.isFinite));
    assertTrue(t.readBackMs > 0 && t.readBackMs <= t.phases[2].outsideMs);
    // The read-back and the loss value are reads outside kernels; the
    // batch's ids uploads.
    assertTrue(
      t.phases[2].readBytes >= 4 * t.readBackShape.reduce((a, b) => a * b, 1),
    );
    assertTrue(t.phases[1].readBytes > 0 && step.writeBytes > 0);
    assertClose(
      step.readMs + step.writeMs + step.otherMs,
      step.outsideMs,
      1e-6 * t.stepMs,
    );
    assertTrue(t.readBackShape.length >= 1, "the last weight's shape");
  }
  const text = formatKernelProfile(r);
  for (
    const word of [
      "backend: wasm",
      "machine peak on wasm",
      "== dssm",
      "== mgdspr",
      "outside tfjs ops",
      "custom:weightedRowSum",
      "roofline:",
      "% of the matMul peak",
      "peak RSS",
    ]
  ) {
    assertTrue(text.includes(word), `report lacks '${word}'`);
  }
});

Deno.test("kernels: --profile-kernels on the command line", async () => {
  const parsed = parseBenchArgs([
    "--profile-kernels",
    "--quick",
    "--steps",
    "1",
  ]);
  assertEquals(parsed.profileKernels, true);
  assertEquals(parsed.options.steps, 1);
  assertEquals(parseBenchArgs([]).profileKernels, false);
  for (const flag of ["--nlist", "--queries", "--run"]) {
    const err: string[] = [];
    const code = await main(["--profile-kernels", flag, "4"], {
      out: () => {},
      err: (s) => err.push(s),
    });
    assertEquals(code, 2, flag);
    assertTrue(err.join("\n").includes(flag), err.join("\n"));
  }
  const dir = await Deno.makeTempDir({ prefix: "kernels_test_" });
  try {
    const out: string[] = [];
    const code = await main([
      "--profile-kernels",
      "--quick",
      "--backend",
      "wasm",
      "--items",
      "300",
      "--batch",
      "32",
      "--steps",
      "1",
      "--warmup",
      "0",
      "--tower",
      JSON.stringify({ hidden: [16], features: { buckets: SMALL_BUCKETS } }),
      "--json",
      `${dir}/p.json`,
    ], { out: (s) => out.push(s), err: () => {} });
    assertEquals(code, 0, out.join("\n"));
    assertTrue(out[0].startsWith("backend: wasm"), out[0]);
    assertTrue(out.join("\n").includes("roofline:"));
    const r = JSON.parse(await Deno.readTextFile(`${dir}/p.json`));
    assertEquals(r.kind, "kernel-profile");
    assertEquals(r.params.steps, 1);
    assertEquals(r.towers.map((t: { kind: string }) => t.kind), [
      "dssm",
      "mgdspr",
    ]);
    assertEquals(r.towers[0].weights < 1e6, true, "--tower not applied");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kernels: --towers names the towers profiled; DPSR is scored by its own heads", async () => {
  const kinds = (args: string[]) =>
    parseBenchArgs(["--profile-kernels", ...args]).towers;
  assertEquals(kinds([]), undefined);
  assertEquals(kinds(["--towers", "dpsr,plain"]), ["dpsr", "plain"]);
  assertEquals(kinds(["--towers", "dpsr", "--towers", "dssm"]), [
    "dpsr",
    "dssm",
  ]);
  for (
    const [args, message] of [
      [["--towers", "dpsr"], "--towers applies only to --profile-kernels"],
      [
        ["--profile-kernels", "--towers", "bert"],
        "--towers: unknown tower 'bert' (expected dssm, mgdspr, dpsr, plain)",
      ],
    ] as const
  ) {
    const err: string[] = [];
    const code = await main([...args], {
      out: () => {},
      err: (s) => err.push(s),
    });
    assertEquals(code, 2, args.join(" "));
    assertTrue(err.join("\n").includes(message), err.join("\n"));
  }
  // DPSR's queries are m·d wide: only its own score can rank them.
  const { dpsr, plain } = SMALL_TOWERS;
  const r = await runKernelProfile({
    backend: "wasm",
    profile: "quick",
    items: 300,
    batchSize: 32,
    steps: 1,
    warmup: 0,
    kinds: ["dpsr", "plain"],
    overrides: { dpsr, plain },
    peak: { matMulN: 64, floats: 4096, reps: 2 },
  });
  assertEquals(r.towers.map((t) => t.kind), ["dpsr", "plain"]);
  for (const t of r.towers) assertTrue(t.loss.every(Number.isFinite), t.kind);
});
