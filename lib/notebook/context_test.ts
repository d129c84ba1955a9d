import { assertEquals, assertThrows, assertTrue } from "../testing.ts";
import {
  ContextError,
  outDir,
  profile,
  repoRoot,
  runsDir,
  seed,
  seedCount,
} from "./context.ts";
import { OUT_ENV, PROFILE_ENV, SEED_ENV, SEEDS_ENV } from "./protocol.ts";

function withEnv(vars: Record<string, string | undefined>, fn: () => void) {
  const old = Object.fromEntries(
    Object.keys(vars).map((k) => [k, Deno.env.get(k)]),
  );
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) Deno.env.delete(k);
      else Deno.env.set(k, x);
    }
  };
  set(vars);
  try {
    fn();
  } finally {
    set(old);
  }
}

Deno.test("profile/seed/outDir: defaults without the runner's variables", () => {
  withEnv(
    { [PROFILE_ENV]: undefined, [SEED_ENV]: undefined, [OUT_ENV]: undefined },
    () => {
      assertEquals(profile(), "quick");
      assertEquals(seed(), 1);
      assertEquals(outDir(), `${repoRoot()}/out`);
    },
  );
  assertTrue(
    Deno.statSync(`${repoRoot()}/lib/notebook/context.ts`).isFile,
    "repoRoot is the folder holding lib/",
  );
});

Deno.test("profile/seed/outDir: read from the environment", () => {
  withEnv(
    { [PROFILE_ENV]: "full", [SEED_ENV]: "-7", [OUT_ENV]: "/tmp/x" },
    () => {
      assertEquals(profile(), "full");
      assertEquals(seed(), -7);
      assertEquals(outDir(), "/tmp/x");
    },
  );
});

Deno.test("profile/seed: malformed values name the variable", () => {
  withEnv({ [PROFILE_ENV]: "fast" }, () => {
    assertThrows(() => profile(), ContextError, PROFILE_ENV);
  });
  withEnv({ [SEED_ENV]: "1.5" }, () => {
    assertThrows(() => seed(), ContextError, SEED_ENV);
  });
});

Deno.test("seedCount: unset means the profile's count; else an integer ≥ 1, named when malformed", () => {
  withEnv({ [SEEDS_ENV]: undefined }, () => {
    assertEquals(seedCount(), undefined);
  });
  withEnv({ [SEEDS_ENV]: "5" }, () => {
    assertEquals(seedCount(), 5);
  });
  for (const bad of ["0", "-2", "2.5", "five"]) {
    withEnv({ [SEEDS_ENV]: bad }, () => {
      assertThrows(() => seedCount(), ContextError, SEEDS_ENV);
    });
  }
});

Deno.test("runsDir: under the run's output folder; plain names only", () => {
  withEnv({ [OUT_ENV]: "/tmp/x/out" }, () => {
    assertEquals(
      runsDir("04_baseline_dssm"),
      "/tmp/x/out/runs/04_baseline_dssm",
    );
  });
  withEnv({ [OUT_ENV]: undefined }, () => {
    assertEquals(runsDir("experiments"), `${repoRoot()}/out/runs/experiments`);
  });
  assertThrows(
    () => runsDir("../runs"),
    ContextError,
    "not a plain folder name",
  );
});
