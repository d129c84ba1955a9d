import {
  assertEquals,
  assertGeneratedDoc,
  assertRejects,
  assertThrows,
} from "../../testing.ts";
import { readDataset, writeDataset } from "../io.ts";
import { loaderOptionsMarkdown, loadRealDataset, REAL_NAMES } from "./load.ts";
import { WANDS_OPTIONS } from "./wands.ts";
import { withFiles } from "./testing.ts";

Deno.test("loadRealDataset dispatches by name; output survives Arrow", async () => {
  const files = {
    "movies.csv":
      "movieId,title,genres\n1,A (2000),Drama\n2,B (2001),Comedy|Drama\n",
    "ratings.csv":
      "userId,movieId,rating,timestamp\n1,1,5,1\n1,2,2,2\n2,2,1,3\n",
  };
  await withFiles(files, async (dir) => {
    const ds = await loadRealDataset("movielens", { source: dir });
    assertEquals(ds.meta.name, "movielens");
    // User 2 has no positive: an empty history must round-trip too.
    assertEquals(ds.users!.history.map((h) => h.length), [1, 0]);
    await writeDataset(`${dir}/out`, ds);
    const back = await readDataset(`${dir}/out`);
    assertEquals(back.items, ds.items);
    assertEquals(back.queries, ds.queries);
    assertEquals(back.pairs, ds.pairs);
    assertEquals(back.users, ds.users);
    assertEquals(back.meta, JSON.parse(JSON.stringify(ds.meta)));
  });
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => loadRealDataset("esci" as any),
    RangeError,
    "unknown dataset 'esci'",
  );
});

Deno.test("every loader refuses a bad option by name before reading a file", async () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["wands", { variant: "both" }, 'option variant must be one of "auto"'],
    ["wands", { unlabelled: "keep" }, "option unlabelled must be one of"],
    ["wands", { testFraction: 1 }, "option testFraction must be a finite"],
    ["scifact", { relevance: "all" }, "option relevance must be one of"],
    ["scifact", { maxTextChars: -1 }, "option maxTextChars must be an integer"],
    ["movielens", { minRating: 0 }, "option minRating must be a finite"],
    ["wordnet", { partsOfSpeech: ["x"] }, 'option partsOfSpeech has "x"'],
    ["wordnet", { lemmaInGloss: "maybe" }, "option lemmaInGloss must be one"],
    ["wordnet", { seed: 0.5 }, "option seed must be an integer"],
  ];
  for (const [name, options, message] of cases) {
    await assertRejects(
      () =>
        loadRealDataset(name as "wands", {
          source: "/nonexistent-adaptive-retrieval",
          ...options,
        }),
      RangeError,
      message,
    );
  }
});

Deno.test("docs/loader_options.md holds every loader's option table", async () => {
  const want = await assertGeneratedDoc(
    new URL("../../../docs/loader_options.md", import.meta.url),
    loaderOptionsMarkdown,
  );
  assertEquals([...want.keys()], [...REAL_NAMES] as string[]);
  assertEquals(
    want.get("wands")!.slice(1).map((r) => r[0]),
    Object.keys(WANDS_OPTIONS).map((n) => `\`${n}\``),
  );
  const [option, , fallback] = want.get("movielens")![1];
  assertEquals([option, fallback], ["`minRating`", "4"]);
});
