import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import { assertEquals, assertTrue } from "../testing.ts";
import { generateSynthetic, writeDataset } from "../data/mod.ts";
import { train } from "../train/mod.ts";
import { BENCH_LOSSES, main, parseBenchArgs } from "./mod.ts";

// Tiny sizes: a small DSSM on a 300-item quick catalogue, batch 64.
const TINY_TOWER = {
  hidden: [32],
  features: { buckets: { charTrigram: 2048 } },
};
const TINY = [
  "--quick",
  "--backend",
  "wasm",
  "--steps",
  "2",
  "--warmup",
  "1",
  "--items",
  "300",
  "--queries",
  "40",
  "--batch",
  "64",
  "--encode-batch",
  "100",
  "--nlist",
  "16",
  "--tower",
  JSON.stringify(TINY_TOWER),
];

function at(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split(".")) {
    assertTrue(
      v !== null && typeof v === "object" && key in v,
      `JSON lacks ${path} (at '${key}')`,
    );
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function positive(obj: unknown, path: string): void {
  const v = at(obj, path);
  assertTrue(
    typeof v === "number" && Number.isFinite(v) && v > 0,
    `${path} = ${v}, expected a finite positive number`,
  );
}

Deno.test("bench: tiny run writes every number, finite and positive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench_test_" });
  try {
    const file = `${dir}/bench.json`;
    const out: string[] = [];
    // A tiny trained run for --run.
    await writeDataset(
      `${dir}/data`,
      generateSynthetic({ seed: 2, numItems: 300, numQueries: 400 }),
    );
    await train({
      data: `${dir}/data`,
      tower: { kind: "plain", dim: 16, embedDim: 16, hidden: [16] },
      loss: { kind: "margin" },
      batchSize: 64,
      steps: 3,
      checkpointEvery: 0,
      backend: "wasm",
    }, { outDir: `${dir}/run`, quiet: true });
    await initBackend({ backend: "wasm", quiet: true });
    const tensors = tf.memory().numTensors;
    const code = await main([...TINY, "--run", `${dir}/run`, "--json", file], {
      out: (s) => out.push(s),
      err: (s) => out.push(s),
    });
    assertEquals(code, 0, out.join("\n"));
    assertEquals(tf.memory().numTensors - tensors, 0, "tensors leaked");
    const text = out.join("\n");
    for (
      const word of [
        "adaptive/fixed",
        "dense/lazy",
        "peak RSS",
        "nprobe 16",
        "exact",
        "items",
      ]
    ) {
      assertTrue(text.includes(word), `report lacks '${word}'`);
    }
    const r = JSON.parse(await Deno.readTextFile(file));

    assertEquals(at(r, "backend.name"), "wasm");
    assertEquals(at(r, "params.profile"), "quick");
    assertEquals(at(r, "params.batchSize"), 64);
    assertEquals(at(r, "params.steps"), 2);
    assertEquals(at(r, "params.nprobes"), [1, 4, 16]);
    assertEquals(at(r, "dataset.items"), 300);
    assertEquals(at(r, "dataset.testQueries"), 40);
    assertEquals(at(r, "model.kind"), "dssm");
    for (const p of ["format", "params.lr", "params.nlist", "model.weights"]) {
      positive(r, p);
    }
    for (const loss of BENCH_LOSSES) {
      for (
        const k of [
          "medianMs",
          "minMs",
          "maxMs",
          "stepsPerSec",
          "examplesPerSec",
          "fwdBwdMs",
          "adamMs",
        ]
      ) positive(r, `training.${loss}.${k}`);
      const t = at(r, `training.${loss}`) as Record<string, number>;
      assertTrue(t.minMs <= t.medianMs && t.medianMs <= t.maxMs);
      assertTrue(
        Math.abs(t.examplesPerSec - 64 * t.stepsPerSec) <
          1e-6 * t.examplesPerSec,
      );
      const loss2 = at(r, `training.${loss}.loss`) as number[];
      assertEquals(loss2.length, 2);
      assertTrue(loss2.every(Number.isFinite));
      for (const k of ["medianMs", "minMs", "maxMs"]) {
        positive(r, `lossOnly.${loss}.${k}`);
      }
    }
    for (const m of ["dense", "lazy"]) {
      for (const k of ["medianMs", "stepsPerSec", "fwdBwdMs", "adamMs"]) {
        positive(r, `tables.${m}.${k}`);
      }
    }
    positive(r, "tables.speedup");
    // Reference steps: both kinds on every path, the default path first.
    const ref = at(r, "reference") as { kind: string; speedup: number }[];
    assertEquals(ref.map((x) => x.kind), [
      "dssm",
      "dssm",
      "dssm",
      "dssm",
      "mgdspr",
      "mgdspr",
      "mgdspr",
      "mgdspr",
    ]);
    for (let i = 0; i < ref.length; i++) {
      for (const k of ["medianMs", "speedup", "maxRssMb"]) {
        positive(r, `reference.${i}.${k}`);
      }
    }
    assertEquals(ref[0].speedup, 1);
    for (const m of ["training", "tables"]) {
      for (const k of ["peakRssBytes", "rssBytes", "tensorBytes", "tensors"]) {
        positive(r, `memory.${m}.${k}`);
      }
      assertEquals(at(r, `memory.${m}.peakSource`), "getrusage");
    }
    for (const a of ["training", "lossOnly"]) {
      for (const f of ["softmax", "margin"]) positive(r, `ratios.${a}.${f}`);
    }
    for (const f of ["softmax", "margin"]) {
      const x = at(r, `ratios.fromLossOnly.${f}`);
      assertTrue(typeof x === "number" && Number.isFinite(x), `${f}: ${x}`);
    }
    for (const side of ["items", "queries"]) {
      for (const k of ["count", "ms", "perSec"]) {
        positive(r, `encode.${side}.${k}`);
      }
    }
    assertEquals(at(r, "encode.items.count"), 300);
    const sets = at(r, "ivfPq") as unknown[];
    assertEquals(
      sets.map((s) => at(s, "set")),
      ["run:run", "dssm-untrained", "clustered-random"],
    );
    assertEquals(at(sets[0], "n"), 300);
    for (const s of sets) {
      for (
        const k of ["n", "nq", "d", "nlist", "buildMs", "memoryBytes"]
      ) positive(s, k);
      positive(s, "exact.ms");
      positive(s, "exact.qps");
      const probes = at(s, "probes") as unknown[];
      assertEquals(probes.map((p) => at(p, "nprobe")), [1, 4, 16]);
      for (const p of probes) {
        for (const k of ["ms", "qps", "recallAt10"]) positive(p, k);
        assertTrue((at(p, "recallAt10") as number) <= 1);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench: bad command lines exit 2 naming the flag", async () => {
  const cases: [string[], string][] = [
    [["--steps", "x"], "--steps"],
    [["--backend", "gpu"], "--backend"],
    [["--tower", "{"], "--tower"],
    [["--frobnicate"], "frobnicate"],
    [["--threads", "3"], "--threads"],
    [["--profile-kernels", "--threads", "1"], "--threads"],
  ];
  for (const [args, word] of cases) {
    const err: string[] = [];
    const code = await main(args, { out: () => {}, err: (s) => err.push(s) });
    assertEquals(code, 2, args.join(" "));
    assertTrue(err.join("\n").includes(word), `${args}: ${err.join("\n")}`);
  }
  const parsed = parseBenchArgs(["--quick", "--steps", "5", "--json", "x"]);
  assertEquals(parsed.options.profile, "quick");
  assertEquals(parsed.options.steps, 5);
  assertEquals(parsed.json, "x");
  assertEquals(parsed.options.threads, 2);
  assertEquals(parseBenchArgs(["--threads", "1"]).options.threads, 1);
});
