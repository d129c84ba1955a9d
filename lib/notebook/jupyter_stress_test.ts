import { assertEquals } from "../testing.ts";
import { DEFAULT_STRESS_RUNS, main } from "./jupyter_stress.ts";

Deno.test("jupyter-stress: --help and bad flags end before any pass", async () => {
  const printed: string[] = [];
  const log = console.log, error = console.error;
  console.log = (s: string) => printed.push(s);
  console.error = (s: string) => printed.push(s);
  try {
    assertEquals(await main(["--help"]), 0);
    assertEquals(
      printed.pop()!.includes(`(default ${DEFAULT_STRESS_RUNS})`),
      true,
    );
    assertEquals(await main(["--runs", "0"]), 2);
    assertEquals(
      printed.pop()!.startsWith(
        "error: --runs must be an integer ≥ 1, got '0'",
      ),
      true,
    );
  } finally {
    console.log = log;
    console.error = error;
  }
});
