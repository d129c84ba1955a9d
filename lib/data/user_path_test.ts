import { assertEquals } from "../testing.ts";
import {
  pathRelation,
  resolvedPath,
  shownPath,
  userPath,
} from "./user_path.ts";

Deno.test("userPath: relative paths resolve against INIT_CWD, the user's directory", () => {
  const env = (v?: string) => (name: string) =>
    name === "INIT_CWD" ? v : undefined;
  // `deno task` from <repo>/notebooks: cwd is <repo>, INIT_CWD the subfolder.
  const o = { cwd: "/repo", env: env("/repo/notebooks") };
  assertEquals(userPath("runs/a", o), "notebooks/runs/a");
  assertEquals(userPath("../data/x", o), "data/x");
  assertEquals(userPath(".", o), "notebooks");
  assertEquals(userPath("/abs/path", o), "/abs/path");
  // From outside the repository: absolute.
  assertEquals(
    userPath("my/data", { cwd: "/repo", env: env("/elsewhere") }),
    "/elsewhere/my/data",
  );
  // Run from the repository root, or without deno task: unchanged.
  assertEquals(
    userPath("./data/x", { cwd: "/repo", env: env("/repo") }),
    "./data/x",
  );
  assertEquals(
    userPath("data/x", { cwd: "/repo", env: env(undefined) }),
    "data/x",
  );
  assertEquals(userPath("data/x", { cwd: "/repo", env: env("") }), "data/x");
});

Deno.test("shownPath: a path of the process as the user would type it", () => {
  const o = {
    cwd: "/repo",
    env: (n: string) => n === "INIT_CWD" ? "/repo/notebooks" : undefined,
  };
  assertEquals(shownPath("notebooks/runs/a", o), "runs/a");
  assertEquals(shownPath("runs/b", o), "../runs/b");
  assertEquals(shownPath("/abs", o), "/abs");
  assertEquals(shownPath(userPath("x/y", o), o), "x/y");
  assertEquals(
    shownPath("runs/b", { cwd: "/repo", env: () => undefined }),
    "runs/b",
  );
});

Deno.test("pathRelation: is, contains, is inside, or unrelated", () => {
  assertEquals(pathRelation("/a/b", "/a/b"), "is");
  assertEquals(pathRelation("/a", "/a/b"), "contains");
  assertEquals(pathRelation("/a/b/c", "/a/b"), "is inside");
  assertEquals(pathRelation("/a/bc", "/a/b"), null);
  assertEquals(pathRelation("/", "/x"), "contains");
  assertEquals(pathRelation("/x", "/"), "is inside");
});

Deno.test("resolvedPath: links of the existing part resolved, the rest appended", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const real = await Deno.realPath(dir);
    await Deno.mkdir(`${dir}/target`);
    await Deno.symlink(`${dir}/target`, `${dir}/link`);
    assertEquals(
      await resolvedPath(`${dir}/link/new/run`),
      `${real}/target/new/run`,
    );
    assertEquals(await resolvedPath(`${dir}/link/../target`), `${real}/target`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
