import * as tf from "@tensorflow/tfjs-core";
import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import {
  getAdamState,
  packTensors,
  readCheckpoint,
  readManifest,
  setAdamState,
  splitWeights,
  unpackTensors,
  writeCheckpoint,
  writeTensors,
} from "./checkpoint.ts";
import { readRunInfo } from "./run_files.ts";
import { sha256Hex } from "../data/mod.ts";

await initBackend({ backend: "wasm", quiet: true });

Deno.test("packTensors / unpackTensors round-trip, shapes checked", () => {
  const a = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  const b = { shape: [], data: Float32Array.of(-0.5) };
  const { bytes, tensors } = packTensors([["a", a], ["b", b]]);
  assertEquals(bytes.byteLength, 28);
  assertEquals(tensors.map((t) => [t.name, t.offset, t.length]), [["a", 0, 6], [
    "b",
    6,
    1,
  ]]);
  assertEquals(unpackTensors(bytes, tensors, "x"), { a, b });
  assertThrows(
    () => unpackTensors(bytes.subarray(0, 24), tensors, "x.bin"),
    Error,
    "does not fit",
  );
});

// A small quadratic problem: minimise Σ (w − target)² with Adam.
function problem() {
  const w1 = tf.variable(tf.tensor2d([[0.1, -0.2], [0.3, 0.4]]), true);
  const w2 = tf.variable(tf.tensor1d([1, -1, 0.5]), true);
  const vars = [w1, w2];
  const step = (opt: tf.AdamOptimizer, k: number) => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() =>
        tf.add(
          tf.sum(tf.square(tf.sub(w1, k))),
          tf.sum(tf.square(tf.sub(w2, tf.sin(tf.scalar(k))))),
        ) as tf.Scalar, vars);
      opt.applyGradients(
        vars.map((v) => ({ name: v.name, tensor: grads[v.name] })),
      );
    });
  };
  const values = () => vars.map((v) => Array.from(v.dataSync()));
  return { vars, step, values, dispose: () => tf.dispose(vars) };
}

Deno.test("Adam state restored into a fresh optimiser continues bit-identically", async () => {
  const names = ["w1", "w2"];
  const a = problem();
  const optA = tf.train.adam(0.05);
  for (let k = 0; k < 7; k++) a.step(optA, k);

  const b = problem();
  const optB = tf.train.adam(0.05);
  for (let k = 0; k < 4; k++) b.step(optB, k);
  const state = await getAdamState(optB, names);
  assertTrue(state !== null);
  assertEquals(state!.iterations, 4);
  assertEquals(Object.keys(state!.m), names);
  const optC = tf.train.adam(0.05);
  await setAdamState(optC, state!, names);
  for (let k = 4; k < 7; k++) b.step(optC, k);
  assertEquals(b.values(), a.values());
  assertEquals(
    await getAdamState(optC, names),
    await getAdamState(optA, names),
  );
  await assertRejects(
    () => setAdamState(tf.train.adam(0.05), state!, ["w1", "w3"]),
    Error,
    "w3",
  );
  assertEquals(await getAdamState(tf.train.adam(0.1), names), null);
  a.dispose();
  b.dispose();
  [optA, optB, optC].forEach((o) => o.dispose());
});

Deno.test("writeCheckpoint: step-stamped files, old ones removed, damage detected", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt_test_" });
  try {
    const weights = { w: { shape: [3], data: Float32Array.of(1, 2, 3) } };
    const opt = {
      iterations: 2,
      accBeta1: 0.729,
      accBeta2: 0.997,
      m: { w: { shape: [3], data: Float32Array.of(0.1, 0.2, 0.3) } },
      v: { w: { shape: [3], data: Float32Array.of(0.01, 0.02, 0.03) } },
    };
    const data = {
      step: 2,
      totalSteps: 9,
      configHash: "abc",
      weights,
      optimizer: opt,
      objective: { x: 1 },
    };
    await writeCheckpoint(dir, data);
    await writeCheckpoint(dir, {
      ...data,
      step: 4,
      optimizer: { ...opt, iterations: 4 },
    });
    const files = [];
    for await (const e of Deno.readDir(dir)) files.push(e.name);
    assertEquals(files.sort(), [
      "checkpoint.json",
      "optimizer-0000004.bin",
      "weights-0000004.bin",
    ]);
    const back = await readCheckpoint(dir);
    assertEquals(back.step, 4);
    assertEquals(back.weights, weights);
    assertEquals(back.optimizer, { ...opt, iterations: 4 });
    assertEquals(back.objective, { x: 1 });
    const m = await readManifest(dir);
    const bytes = await Deno.readFile(`${dir}/${m.weights.file}`);
    bytes[0] ^= 1;
    await Deno.writeFile(`${dir}/${m.weights.file}`, bytes);
    await assertRejects(() => readCheckpoint(dir), Error, "sha256");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt checkpoint.json is named in the error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt_test_" });
  try {
    await Deno.writeTextFile(`${dir}/checkpoint.json`, '{"format": 1, "st');
    await assertRejects(
      () => readManifest(dir),
      Error,
      `${dir}/checkpoint.json: not valid JSON`,
    );
    await Deno.writeTextFile(`${dir}/checkpoint.json`, "[1]");
    await assertRejects(
      () => readCheckpoint(dir),
      Error,
      `${dir}/checkpoint.json: checkpoint format undefined`,
    );
    await Deno.writeTextFile(`${dir}/run.json`, "{");
    await assertRejects(
      () => readRunInfo(dir),
      Error,
      `${dir}/run.json: not valid JSON`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTensors writes packTensors' bytes and hash without joining them", async () => {
  const dir = await Deno.makeTempDir();
  const a = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6]) };
  // A view into a larger buffer: only its own bytes may be written.
  const big = Float32Array.from([9, 9, 0.5, 0.25, 9]);
  const b = { shape: [2], data: big.subarray(2, 4) };
  const path = `${dir}/t.bin`;
  const written = await writeTensors(path, [["a", a], ["b", b]]);
  const packed = packTensors([["a", a], ["b", b]]);
  const bytes = await Deno.readFile(path);
  assertEquals(Array.from(bytes), Array.from(packed.bytes));
  assertEquals(written.tensors, packed.tensors);
  assertEquals(written.sha256, sha256Hex(packed.bytes));
  assertEquals(unpackTensors(bytes, written.tensors, path), {
    a,
    b: { shape: [2], data: Float32Array.from([0.5, 0.25]) },
  });
  assertEquals([...Deno.readDirSync(dir)].length, 1, "no temporary left");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("splitWeights: the loss's weights by their prefix, the rest the model's, order kept", () => {
  const w = (x: number) => ({ shape: [], data: Float32Array.of(x) });
  const { model, loss } = splitWeights({
    "query/w1": w(1),
    "loss/alpha": w(2),
    "item/w1": w(3),
    "loss/delta0": w(4),
  });
  assertEquals(Object.keys(model), ["query/w1", "item/w1"]);
  assertEquals(Object.keys(loss), ["loss/alpha", "loss/delta0"]);
  assertEquals(loss["loss/delta0"].data[0], 4);
});
