import { sha256Hex } from "../io.ts";
import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../../testing.ts";
import { DataError } from "../io.ts";
import {
  DATASETS_ENV,
  datasetsRoot,
  fetchSource,
  requiredSourceFiles,
  resolveSource,
  SOURCE_NAMES,
  SOURCES,
  sourceStatus,
  verifySource,
} from "./source.ts";
import { realSource } from "./testing.ts";
import { loadRealDataset } from "./load.ts";

const REAL = {
  wands: await realSource("wands"),
  scifact: await realSource("scifact"),
  movielens: await realSource("movielens"),
};
const WANDS = REAL.wands.dir;

Deno.test("sha256Hex matches the FIPS 180-2 test vector for 'abc'", () => {
  assertEquals(
    sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("default root is <repo>/../shared/datasets, env var overrides it", () => {
  const saved = Deno.env.get(DATASETS_ENV);
  try {
    Deno.env.delete(DATASETS_ENV);
    const repo = decodeURIComponent(
      new URL("../../..", import.meta.url).pathname,
    ).replace(/\/$/, "");
    const parent = repo.slice(0, repo.lastIndexOf("/"));
    assertEquals(datasetsRoot(), `${parent}/shared/datasets`);
    assertEquals(
      resolveSource("movielens"),
      `${parent}/shared/datasets/movielens-latest-small`,
    );
    Deno.env.set(DATASETS_ENV, "/data/sets/");
    assertEquals(resolveSource("scifact"), "/data/sets/scifact");
    assertEquals(resolveSource("scifact", { source: "/x/y/" }), "/x/y");
  } finally {
    if (saved === undefined) Deno.env.delete(DATASETS_ENV);
    else Deno.env.set(DATASETS_ENV, saved);
  }
});

Deno.test("every source URL is pinned to a commit and every hash is hex", () => {
  for (const name of SOURCE_NAMES) {
    for (const f of SOURCES[name].files) {
      assertTrue(/\/[0-9a-f]{40}\//.test(f.url), f.url);
      assertTrue(f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256), f.path);
    }
  }
});

for (const name of SOURCE_NAMES) {
  REAL[name].test(
    `verifySource: the real ${name} files match SOURCE.md`,
    async () => {
      const reports = await verifySource(name, REAL[name].dir);
      for (const r of reports) {
        const spec = SOURCES[name].files.find((f) => f.path === r.path)!;
        if (spec.sha256) assertEquals([r.path, r.status], [r.path, "ok"]);
        else assertTrue(r.status === "absent" || r.status === "ok", r.path);
      }
    },
  );
}

Deno.test({
  name: "verifySource names a corrupted or missing file",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(
        `${dir}/scifact.zip`,
        new TextEncoder().encode("not the zip"),
      );
      await assertRejects(
        () => verifySource("scifact", dir),
        DataError,
        `${dir}/scifact.zip: sha256`,
      );
      await Deno.remove(`${dir}/scifact.zip`);
      await assertRejects(
        () => verifySource("scifact", dir),
        DataError,
        `${dir}/scifact.zip: file not found`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A fetch that serves the shared copies (or given bytes) by URL. */
function fakeFetch(
  served: Map<string, Uint8Array | number>,
  calls: string[],
): (url: string) => Promise<Response> {
  return (url: string) => {
    calls.push(url);
    const body = served.get(url);
    if (body === undefined || typeof body === "number") {
      return Promise.resolve(
        new Response("nope", { status: typeof body === "number" ? body : 404 }),
      );
    }
    return Promise.resolve(new Response(body as Uint8Array<ArrayBuffer>));
  };
}

/**
 * A test on the real WANDS files with a fresh temporary folder, removed
 * after it (skipped, with the reason, where the files are missing).
 */
function wandsTest(name: string, fn: (dir: string) => Promise<void>) {
  REAL.wands.test(name, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await fn(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const wandsFile = (path: string) =>
  SOURCES.wands.files.find((f) => f.path === path)!;

wandsTest(
  "fetchSource: good hashes are written, then found present",
  async (dir) => {
    const paths = [
      "query.csv",
      "chatgpt-goes-shopping-subset/wands_fewshot_partial.csv",
    ];
    const served = new Map<string, Uint8Array | number>();
    for (const p of paths) {
      served.set(
        wandsFile(p).url,
        await Deno.readFile(`${WANDS}/${p}`),
      );
    }
    const calls: string[] = [];
    const reports = await fetchSource("wands", {
      dir,
      files: paths,
      fetch: fakeFetch(served, calls),
    });
    assertEquals(reports.map((r) => [r.path, r.status, r.verified]), [
      ["query.csv", "downloaded", true],
      [paths[1], "downloaded", true],
    ]);
    for (const p of paths) {
      assertEquals(
        await Deno.readFile(`${dir}/${p}`),
        await Deno.readFile(`${WANDS}/${p}`),
      );
    }
    // No temporary files are left behind.
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names, ["chatgpt-goes-shopping-subset", "query.csv"]);
    // A second run finds them and does not download again.
    const again = await fetchSource("wands", {
      dir,
      files: paths,
      fetch: fakeFetch(served, calls),
    });
    assertEquals(again.map((r) => r.status), ["present", "present"]);
    assertEquals(calls.length, 2);
  },
);

wandsTest(
  "fetchSource: a bad hash is refused and the good file survives",
  async (dir) => {
    const good = await Deno.readFile(`${WANDS}/query.csv`);
    await Deno.writeFile(`${dir}/query.csv`, good);
    const url = wandsFile("query.csv").url;
    const served = new Map<string, Uint8Array | number>([
      [url, new TextEncoder().encode("query_id\tquery\n0\ttampered\n")],
    ]);
    const err = await assertRejects(
      () =>
        fetchSource("wands", {
          dir,
          files: ["query.csv"],
          force: true,
          fetch: fakeFetch(served, []),
        }),
      DataError,
      `${dir}/query.csv: downloaded bytes from ${url} have sha256`,
    );
    assertTrue(err.message.includes(wandsFile("query.csv").sha256!));
    assertEquals(await Deno.readFile(`${dir}/query.csv`), good);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [
      "query.csv",
    ]);
  },
);

Deno.test("fetchSource: HTTP errors and unknown hashes are reported", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const product = wandsFile("product.csv");
    const label = wandsFile("label.csv");
    const bytes = new TextEncoder().encode("product_id\tproduct_name\n");
    const served = new Map<string, Uint8Array | number>([
      [product.url, bytes],
      [label.url, 503],
    ]);
    // Without `unverified`, a file with no pinned hash is not fetched.
    assertEquals(
      await fetchSource("wands", {
        dir,
        files: ["product.csv"],
        fetch: fakeFetch(served, []),
      }),
      [{ path: "product.csv", status: "unpinned", verified: false }],
    );
    assertEquals([...Deno.readDirSync(dir)], []);
    const reports = await fetchSource("wands", {
      dir,
      files: ["product.csv"],
      unverified: true,
      fetch: fakeFetch(served, []),
    });
    assertEquals(reports, [{
      path: "product.csv",
      status: "downloaded",
      sha256: sha256Hex(bytes),
      verified: false,
    }]);
    await assertRejects(
      () =>
        fetchSource("wands", {
          dir,
          files: ["label.csv"],
          unverified: true,
          fetch: fakeFetch(served, []),
        }),
      DataError,
      `${dir}/label.csv: download from ${label.url} failed: HTTP 503`,
    );
    await assertRejects(
      () => fetchSource("wands", { dir, files: ["nope.csv"] }),
      RangeError,
      "'nope.csv' is not a file of wands",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unknown dataset names are rejected", () => {
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => resolveSource("esci" as any),
    RangeError,
    "unknown dataset 'esci'",
  );
});

Deno.test("a missing source says what is missing and the commands that bring it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const gone = await sourceStatus("wands", `${dir}/nope`);
    assertEquals([gone.present, gone.missing], [
      false,
      requiredSourceFiles("wands"),
    ]);
    for (
      const part of [
        `wands: source folder ${dir}/nope not found`,
        "`deno task download wands`",
        "`deno task data wands --source DIR`",
        `${DATASETS_ENV}=DIR where DIR holds 'wands/'`,
      ]
    ) {
      assertTrue(gone.reason.includes(part), gone.reason);
    }
    assertTrue(!gone.reason.includes("fetchSource"), gone.reason);
    assertTrue(!gone.reason.includes("\n"), "one line");

    // A folder with some of the files names the others.
    await Deno.writeTextFile(`${dir}/movies.csv`, "movieId,title,genres\n");
    const part = await sourceStatus("movielens", dir);
    assertEquals(part.missing, ["ratings.csv"]);
    assertTrue(
      part.reason.startsWith(`movielens: ratings.csv not found in ${dir};`),
      part.reason,
    );
    assertTrue(part.reason.includes("holds 'movielens-latest-small/'"));
    await Deno.writeTextFile(`${dir}/ratings.csv`, "userId\n");
    assertEquals(await sourceStatus("movielens", dir), {
      name: "movielens",
      dir,
      present: true,
      missing: [],
      problem: "",
      reason: "",
    });

    // The loaders' errors carry the same commands.
    const err = await assertRejects(
      () => loadRealDataset("scifact", { source: `${dir}/nope` }),
      DataError,
      `${dir}/nope: scifact source folder not found`,
    );
    assertTrue(
      err.message.includes("`deno task download scifact`"),
      err.message,
    );
    assertTrue(err.message.includes(DATASETS_ENV), err.message);
    assertTrue(!err.message.includes("fetchSource"), err.message);
    const file = await assertRejects(
      () => loadRealDataset("wands", { source: dir }),
      DataError,
      `${dir}/query.csv: file not found`,
    );
    assertTrue(
      file.message.includes("`deno task download wands`"),
      file.message,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realSource: missing files skip a test with the reason, or fail it under CI", async () => {
  const dir = await Deno.makeTempDir();
  const saved = {
    ci: Deno.env.get("CI"),
    root: Deno.env.get(DATASETS_ENV),
  };
  const restore = (k: string, v: string | undefined) =>
    v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  try {
    Deno.env.set(DATASETS_ENV, dir);
    Deno.env.delete("CI");
    const user = await realSource("scifact");
    assertEquals([user.present, user.ignore], [false, true]);
    assertTrue(
      user.skipNote.startsWith(
        ` [skipped: scifact source folder ${dir}/scifact not found; \`deno task download scifact\``,
      ),
      user.skipNote,
    );
    Deno.env.set("CI", "true");
    const ci = await realSource("scifact");
    assertEquals([ci.ignore, ci.skipNote], [false, ""]);
    assertThrows(() => ci.require(), Error, "CI=true");
    assertThrows(() => ci.require(), Error, `${dir}/scifact not found`);

    await Deno.mkdir(`${dir}/scifact`);
    await Deno.writeTextFile(`${dir}/scifact/scifact.zip`, "");
    const there = await realSource("scifact");
    assertEquals([there.present, there.ignore, there.skipNote], [
      true,
      false,
      "",
    ]);
    assertEquals(there.dir, `${dir}/scifact`);
    there.require();
  } finally {
    restore("CI", saved.ci);
    restore(DATASETS_ENV, saved.root);
    await Deno.remove(dir, { recursive: true });
  }
});
