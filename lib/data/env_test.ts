import { assertEquals, withEnv } from "../testing.ts";
import { readEnv } from "./env.ts";

const NAME = "ADAPTIVE_RETRIEVAL_ENV_TEST";

Deno.test("readEnv: the value; undefined when unset or empty", async () => {
  assertEquals(readEnv(NAME), undefined);
  await withEnv(
    { [NAME]: "x" },
    () => Promise.resolve(assertEquals(readEnv(NAME), "x")),
  );
  await withEnv(
    { [NAME]: "" },
    () => Promise.resolve(assertEquals(readEnv(NAME), undefined)),
  );
});

Deno.test({
  name: "readEnv: undefined, without throwing, when env access is not granted",
  permissions: { env: false },
  fn: () => assertEquals(readEnv("PATH"), undefined),
});
