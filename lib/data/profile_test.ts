import { assertEquals } from "../testing.ts";
import { resolveOptions } from "./options.ts";
import { profileDefault, profilesTable } from "./profile.ts";

const PRESETS = {
  quick: { steps: 40, epochs: null, buckets: { word: 8, char: 4 } },
  full: { steps: 800, epochs: 10, buckets: null },
};

Deno.test("profilesTable: a row per profile; null as —, a record as key value", () => {
  assertEquals(
    profilesTable(PRESETS, ["steps", "epochs", "buckets"]),
    [
      "| profile | steps | epochs | buckets |",
      "| --- | --- | --- | --- |",
      "| `quick` | 40 | — | word 8, char 4 |",
      "| `full` | 800 | 10 | — |",
    ].join("\n"),
  );
});

Deno.test("profileDefault: the resolved profile's preset", () => {
  const table = {
    profile: {
      type: "choice",
      choices: ["quick", "full"],
      default: "quick",
      doc: "p",
    },
    steps: {
      type: "integer",
      min: 0,
      default: profileDefault(PRESETS, "steps"),
      doc: "s",
    },
  } as const;
  const fail = (name: string, problem: string): never => {
    throw new Error(`${name} ${problem}`);
  };
  assertEquals(resolveOptions(table, {}, { fail }).steps, 40);
  assertEquals(resolveOptions(table, { profile: "full" }, { fail }).steps, 800);
  assertEquals(resolveOptions(table, { steps: 3 }, { fail }).steps, 3);
});
