import { assertEquals, assertTrue } from "../testing.ts";
import { buildIfAvailable, missingDatasetNote } from "./build.ts";
import { readDataset } from "./io.ts";
import { SOURCES } from "./real/mod.ts";
import { realSource, withDatasetsRoot } from "./real/testing.ts";

const MOVIELENS = await realSource("movielens");

Deno.test("buildIfAvailable: synthetic always; a real dataset without files is skipped with the commands, an earlier build kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "build_test_" });
  try {
    await withDatasetsRoot(`${dir}/none`, async () => {
      const syn = await buildIfAvailable("synthetic", {
        out: `${dir}/syn`,
        seed: 2,
      });
      assertEquals([syn.status, syn.reason], ["built", ""]);
      assertEquals((await readDataset(`${dir}/syn`)).meta.seed, 2);

      const skipped = await buildIfAvailable("scifact", {
        out: `${dir}/scifact`,
      });
      assertEquals(skipped.status, "skipped");
      assertTrue(
        skipped.reason.startsWith(
          `scifact: source folder ${dir}/none/scifact not found;`,
        ),
        skipped.reason,
      );
      assertTrue(
        skipped.reason.includes("`deno task download scifact`"),
      );
      assertTrue(!skipped.reason.includes("\n"), "one line");

      // Any dataset folder stands in for an earlier build.
      const earlier = await buildIfAvailable("scifact", { out: `${dir}/syn` });
      assertEquals(earlier.status, "earlier");
      assertTrue(
        earlier.reason.startsWith(
          `scifact: using the earlier build in ${dir}/syn (source folder`,
        ),
        earlier.reason,
      );

      // --download that cannot reach the network skips with its error.
      const offline = await buildIfAvailable("movielens", {
        out: `${dir}/ml`,
        download: true,
        fetch: () => Promise.reject(new TypeError("network unreachable")),
      });
      assertEquals(offline.status, "skipped");
      assertTrue(
        offline.reason.startsWith("movielens: --download failed: "),
        offline.reason,
      );
      assertTrue(offline.reason.includes("network unreachable"));
      assertTrue(offline.reason.includes("deno task data movielens"));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

MOVIELENS.test("buildIfAvailable --download: fetched files are checked, then built", async () => {
  const dir = await Deno.makeTempDir({ prefix: "build_test_" });
  try {
    // Serves the real files by URL, as the pinned host would.
    const served = new Map<string, Uint8Array>();
    for (const f of SOURCES.movielens.files) {
      served.set(f.url, await Deno.readFile(`${MOVIELENS.dir}/${f.path}`));
    }
    const fetch = (url: string) =>
      Promise.resolve(
        new Response(served.get(url) as Uint8Array<ArrayBuffer>),
      );
    const r = await withDatasetsRoot(
      `${dir}/sources`,
      () =>
        buildIfAvailable("movielens", {
          out: `${dir}/ml`,
          download: true,
          fetch,
        }),
    );
    assertEquals([r.status, r.reason], ["built", ""]);
    assertEquals(r.counts?.users, 610);
    assertEquals(
      await Deno.readFile(`${dir}/sources/movielens-latest-small/ratings.csv`),
      await Deno.readFile(`${MOVIELENS.dir}/ratings.csv`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("missingDatasetNote: null for a built folder, else the command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "build_test_" });
  try {
    await withDatasetsRoot(`${dir}/none`, async () => {
      await buildIfAvailable("synthetic", { out: `${dir}/synthetic-quick` });
      assertEquals(await missingDatasetNote(`${dir}/synthetic-quick`), null);
      const wands = await missingDatasetNote(`${dir}/wands`);
      assertTrue(
        wands?.startsWith(
          `\`${dir}/wands\` has not been built (wands: source folder ${dir}/none/wands not found); get it with \`deno task download wands\``,
        ),
        wands ?? "null",
      );
      assertTrue(
        (await missingDatasetNote(`${dir}/synthetic-full`))?.includes(
          "`deno task data synthetic --profile full`",
        ),
      );
      await Deno.mkdir(`${dir}/none/scifact`, { recursive: true });
      await Deno.writeTextFile(`${dir}/none/scifact/scifact.zip`, "");
      assertEquals(
        await missingDatasetNote(`${dir}/scifact`),
        `\`${dir}/scifact\` has not been built; \`deno task data scifact\` builds it from ${dir}/none/scifact`,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
