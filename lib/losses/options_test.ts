import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertThrows } from "../testing.ts";
import { initBackend } from "../backend/mod.ts";
import { integer } from "../data/mod.ts";
import { lossOptions, param } from "./options.ts";
import { LossError } from "./types.ts";

const TABLE = {
  tau: param({ default: 1 / 30, min: 0, strict: true, doc: "temperature" }),
  k: integer({ default: 2, min: 1, doc: "count" }),
};

Deno.test("lossOptions: a param takes a scalar tensor, other options do not", async () => {
  await initBackend({ quiet: true });
  const tau = tf.scalar(0.1);
  const r = lossOptions("f", TABLE, { tau });
  assertEquals(r.tau, tau);
  assertEquals(r.k, 2);
  assertThrows(
    () => lossOptions("f", TABLE, { tau: tf.tensor1d([0.1]) }),
    LossError,
    'f: option "tau" must be a number or a scalar tensor',
  );
  assertThrows(
    () => lossOptions("f", TABLE, { k: tf.scalar(2) }),
    LossError,
    'f: option "k" must be an integer',
  );
  assertThrows(
    () => lossOptions("f", TABLE, { tau: 0 }),
    LossError,
    'f: option "tau" must be a finite number > 0, got 0',
  );
  assertThrows(
    () => lossOptions("f", TABLE, { tau: 1, kk: 1 }, []),
    LossError,
    'f: option "kk" is unknown; the options are tau, k',
  );
  tf.dispose(tau);
});
