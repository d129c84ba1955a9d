import { assertClose, assertEquals, assertThrows } from "../testing.ts";
import {
  aggregateCalls,
  callBytes,
  callFlops,
  type KernelCall,
  type MachinePeak,
  phaseRows,
  roofline,
} from "./kernel_stats.ts";

function call(
  name: string,
  ms: number,
  shapes: { in: (number[] | null)[]; out: number[][] },
  options: { phase?: KernelCall["phase"]; custom?: boolean } = {},
): KernelCall {
  return {
    name,
    custom: options.custom ?? false,
    phase: options.phase ?? "forward",
    ms,
    inputShapes: shapes.in,
    outputShapes: shapes.out,
  };
}

Deno.test("kernel stats: FLOPs and bytes of a call from its shapes", () => {
  // [350,128] x [128,64]: 2·350·64·128.
  const mm = call("BatchMatMul", 1, {
    in: [[350, 128], [128, 64]],
    out: [[
      350,
      64,
    ]],
  });
  assertEquals(callFlops(mm), 2 * 350 * 64 * 128);
  assertEquals(callBytes(mm), 4 * (350 * 128 + 128 * 64 + 350 * 64));
  // Transposed a ([K, M] with M = 64): K is the dimension that is not M.
  const mmT = call("BatchMatMul", 1, {
    in: [[128, 64], [128, 32]],
    out: [[
      64,
      32,
    ]],
  });
  assertEquals(callFlops(mmT), 2 * 64 * 32 * 128);
  // Batched: [6, 350, 128] x [6, 128, 128] → 6 products.
  const bmm = call("BatchMatMul", 1, {
    in: [[6, 350, 128], [6, 128, 128]],
    out: [[6, 350, 128]],
  });
  assertEquals(callFlops(bmm), 6 * 2 * 350 * 128 * 128);
  // Reduction: input size; element-wise: output size; movement: none.
  assertEquals(
    callFlops(call("Sum", 1, { in: [[350, 100, 128]], out: [[350, 128]] })),
    350 * 100 * 128,
  );
  assertEquals(
    callFlops(call("Mul", 1, { in: [[30000, 300], []], out: [[30000, 300]] })),
    30000 * 300,
  );
  assertEquals(
    callFlops(call("Transpose", 1, { in: [[4, 5]], out: [[5, 4]] })),
    0,
  );
  assertEquals(
    callBytes(call("Transpose", 1, { in: [[4, 5]], out: [[5, 4]] })),
    160,
  );
  // A reshape is a view; a customGrad op is not counted; null inputs are none.
  assertEquals(callBytes(call("Reshape", 1, { in: [[4, 5]], out: [[20]] })), 0);
  const bag = call("custom:weightedRowSum (ops.ts)", 1, {
    in: [[30000, 300]],
    out: [[350, 300]],
  }, { custom: true });
  assertEquals([callFlops(bag), callBytes(bag)], [0, 0]);
  assertEquals(
    callBytes(call("Add", 1, { in: [[10], null], out: [[10]] })),
    80,
  );
});

// Two steps of a small made-up profile.
const CALLS: KernelCall[] = [
  call("BatchMatMul", 10, { in: [[2, 3], [3, 4]], out: [[2, 4]] }),
  call("BatchMatMul", 6, { in: [[2, 3], [3, 4]], out: [[2, 4]] }, {
    phase: "backward",
  }),
  call("BatchMatMul", 4, { in: [[4, 2], [2, 3]], out: [[4, 3]] }, {
    phase: "backward",
  }),
  call("Add", 2, { in: [[5], [5]], out: [[5]] }, { phase: "adam" }),
  call("custom:bag (ops.ts)", 8, { in: [[100, 3]], out: [[2, 3]] }, {
    custom: true,
  }),
  call("BatchMatMul", 12, { in: [[2, 3], [3, 4]], out: [[2, 4]] }),
  call("Add", 4, { in: [[5], [5]], out: [[5]] }, { phase: "adam" }),
  call("custom:bag (ops.ts)", 6, { in: [[100, 3]], out: [[2, 3]] }, {
    custom: true,
  }),
];

Deno.test("kernel stats: calls aggregate per step by name and by shapes", () => {
  const rows = aggregateCalls(CALLS, { steps: 2, stepMs: 50 });
  assertEquals(rows.map((r) => r.name), [
    "BatchMatMul",
    "custom:bag (ops.ts)",
    "Add",
  ]);
  const [mm, bag, add] = rows;
  assertEquals(mm.ms, { forward: 11, backward: 5, adam: 0 });
  assertEquals(mm.totalMs, 16);
  assertEquals(mm.share, 16 / 50);
  assertEquals(mm.calls, 2);
  assertEquals(mm.flops, (3 * 2 * 2 * 4 * 3 + 2 * 4 * 3 * 2) / 2);
  assertEquals(mm.shapes, null);
  assertEquals([bag.totalMs, bag.custom, bag.flops, bag.calls], [
    7,
    true,
    0,
    1,
  ]);
  assertEquals(add.ms, { forward: 0, backward: 0, adam: 3 });
  assertEquals(add.bytes, 4 * 15);

  const byShape = aggregateCalls(CALLS, { steps: 2, stepMs: 50, by: "shapes" });
  assertEquals(byShape.length, 4);
  assertEquals(byShape[0].name, "BatchMatMul");
  assertEquals(byShape[0].shapes, "[2,3] [3,4] → [2,4]");
  assertEquals(byShape[0].totalMs, 14);
  assertEquals(byShape[0].calls, 1.5);
  const small = byShape.find((r) => r.shapes === "[4,2] [2,3] → [4,3]")!;
  assertEquals([small.totalMs, small.ms.backward, small.calls], [2, 2, 0.5]);
  assertThrows(
    () => aggregateCalls(CALLS, { steps: 0, stepMs: 1 }),
    RangeError,
  );
});

Deno.test("kernel stats: each phase's wall time splits into kernels, customGrad and outside", () => {
  const rows = phaseRows(CALLS, {
    steps: 2,
    wallMs: { forward: 30, backward: 12, adam: 8 },
    transfers: [
      { kind: "read", phase: "forward", ms: 4, bytes: 400 },
      { kind: "write", phase: "forward", ms: 2, bytes: 100 },
      { kind: "read", phase: "forward", ms: 6, bytes: 600 },
      { kind: "write", phase: "adam", ms: 1, bytes: 8 },
    ],
  });
  assertEquals(rows.map((r) => r.phase), [
    "forward",
    "backward",
    "adam",
    "step",
  ]);
  assertEquals(rows[0], {
    phase: "forward",
    wallMs: 30,
    kernelMs: 11,
    customMs: 7,
    outsideMs: 12,
    readMs: 5,
    readBytes: 500,
    writeMs: 1,
    writeBytes: 50,
    otherMs: 6,
  });
  assertEquals(rows[1].outsideMs, 12 - 5);
  assertEquals(rows[2].kernelMs, 3);
  assertEquals(rows[3], {
    phase: "step",
    wallMs: 50,
    kernelMs: 19,
    customMs: 7,
    outsideMs: 24,
    readMs: 5,
    readBytes: 500,
    writeMs: 1.5,
    writeBytes: 54,
    otherMs: 17.5,
  });
  assertEquals(rows[1].otherMs, rows[1].outsideMs);
});

Deno.test("kernel stats: the roofline divides by the step and by the peaks", () => {
  const peak: MachinePeak = {
    matMulN: 1024,
    matMulMs: 100,
    matMulGflops: 20,
    floats: 1e6,
    addMs: 1,
    addGbps: 12,
    copyMs: 1,
    copyGbps: 16,
    freshMs: 10,
    freshGbps: 0.4,
    reps: 3,
  };
  const rows = [
    {
      name: "BatchMatMul",
      shapes: null,
      custom: false,
      ms: { forward: 30, backward: 10, adam: 0 },
      totalMs: 40,
      share: 0.4,
      calls: 2,
      flops: 4e8,
      bytes: 1e8,
    },
    {
      name: "Add",
      shapes: null,
      custom: false,
      ms: { forward: 0, backward: 0, adam: 20 },
      totalMs: 20,
      share: 0.2,
      calls: 1,
      flops: 1e8,
      bytes: 7e8,
    },
    {
      name: "custom:bag",
      shapes: null,
      custom: true,
      ms: { forward: 15, backward: 0, adam: 0 },
      totalMs: 15,
      share: 0.15,
      calls: 1,
      flops: 0,
      bytes: 0,
    },
  ];
  const r = roofline(rows, { stepMs: 100, peak });
  assertEquals([r.flops, r.bytes, r.kernelMs, r.customMs], [5e8, 8e8, 60, 15]);
  // 5e8 FLOP in 100 ms = 5 GFLOP/s, a quarter of 20; 8e8 B = 8 GB/s of 16.
  assertClose(r.gflops, 5, 1e-12);
  assertClose(r.flopShare, 0.25, 1e-12);
  assertClose(r.gbps, 8, 1e-12);
  assertEquals(r.peakGbps, 16);
  assertClose(r.bandwidthShare, 0.5, 1e-12);
  assertClose(r.kernelGflops, 5e8 / 60 / 1e6, 1e-12);
  assertClose(r.intensity, 5 / 8, 1e-12);
  // max(5e8 / 20e9 s, 8e8 / 16e9 s) = max(25, 50) ms.
  assertClose(r.boundMs, 50, 1e-9);
});
