import { tableFromIPC } from "apache-arrow";
import { assertEquals } from "../testing.ts";
import {
  readSteps,
  readValid,
  STEP_COLUMNS,
  type StepRow,
  writeSteps,
  writeValid,
} from "./logs.ts";

const row = (step: number): StepRow => ({
  step,
  epoch: Math.floor(step / 3),
  batch: step % 3,
  loss: 1 / step,
  lossQuery: 0.9 / step,
  lossItem: NaN,
  paramMean: 0.2,
  paramMin: 0.01,
  paramMax: 0.5,
  activeShare: 0.25,
  positiveTemperature: NaN,
  gradNorm: 3.5,
  ms: 12.5,
});

Deno.test("steps.arrow: Arrow IPC file with the documented columns, round-trips", async () => {
  const dir = await Deno.makeTempDir({ prefix: "logs_test_" });
  try {
    const rows = [1, 2, 3, 4].map(row);
    await writeSteps(`${dir}/steps.arrow`, rows);
    const bytes = await Deno.readFile(`${dir}/steps.arrow`);
    const magic = new TextDecoder().decode(bytes.subarray(0, 6));
    assertEquals(magic, "ARROW1");
    const t = tableFromIPC(bytes);
    assertEquals(
      t.schema.fields.map((f) => f.name),
      Object.values(STEP_COLUMNS),
    );
    assertEquals(
      t.schema.fields.map((f) => String(f.type)),
      ["Int32", "Int32", "Int32", ...Array(10).fill("Float64")],
    );
    assertEquals(await readSteps(`${dir}/steps.arrow`), rows);
    await writeSteps(`${dir}/empty.arrow`, []);
    assertEquals(await readSteps(`${dir}/empty.arrow`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("valid.arrow: recall_<k> columns, round-trips", async () => {
  const dir = await Deno.makeTempDir({ prefix: "logs_test_" });
  try {
    const rows = [
      { step: 5, epoch: 0, queries: 40, recall: { 1: 0.1, 10: 0.5 } },
      { step: 10, epoch: 1, queries: 40, recall: { 1: 0.2, 10: 0.6 } },
    ];
    await writeValid(`${dir}/valid.arrow`, rows, [1, 10]);
    const t = tableFromIPC(await Deno.readFile(`${dir}/valid.arrow`));
    assertEquals(t.schema.fields.map((f) => f.name), [
      "step",
      "epoch",
      "queries",
      "recall_1",
      "recall_10",
    ]);
    assertEquals(await readValid(`${dir}/valid.arrow`), rows);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
