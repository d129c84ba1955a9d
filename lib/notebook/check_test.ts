import {
  assertEquals,
  assertRejects,
  assertTrue,
  withTempDir,
} from "../testing.ts";
import {
  CheckError,
  compareOutputs,
  type Comparison,
  type Difference,
  formatComparison,
  formatDifference,
  maskVariable,
} from "./check.ts";
import { reproduceCli } from "./testdata/helpers.ts";
import { parseReproduceArgs } from "./reproduce_args.ts";

/** Notebook → cell id → artefact file name → content. */
type Folder = Record<string, Record<string, Record<string, string>>>;

/**
 * Writes a small output folder the way reproduce does: `<nb>.ipynb` with
 * one display output per cell listing its files, the files under `<nb>/`,
 * and a manifest. A file named `stdout` becomes a stream output instead.
 */
async function writeOutput(
  dir: string,
  folder: Folder,
  manifest: Record<string, unknown> = { profile: "quick", seed: 1 },
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
  for (const [nb, cells] of Object.entries(folder)) {
    await Deno.mkdir(`${dir}/${nb}`, { recursive: true });
    const nbCells = [];
    for (const [id, files] of Object.entries(cells)) {
      const outputs: unknown[] = [];
      const listed: string[] = [];
      for (const [name, text] of Object.entries(files)) {
        if (name === "stdout") {
          outputs.push({ output_type: "stream", name: "stdout", text });
          continue;
        }
        await Deno.writeTextFile(`${dir}/${nb}/${name}`, text);
        listed.push(`${nb}/${name}`);
      }
      outputs.push({
        output_type: "display_data",
        data: { "text/plain": "(files)" },
        metadata: { adaptive_retrieval: { files: listed } },
      });
      nbCells.push({
        cell_type: "code",
        id,
        source: "await display(x);",
        metadata: {},
        execution_count: 1,
        outputs,
      });
    }
    await Deno.writeTextFile(
      `${dir}/${nb}.ipynb`,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: nbCells,
      }),
    );
  }
}

const TABLE = (mrr: string, trainS: string, cached: string) =>
  `Results on synthetic-quick, test split

| method | recall@10 | MRR | train s | cached |
| --- | --- | --- | ---: | --- |
| own γ-softmax | 0.980 [0.967, 0.991] | ${mrr} | ${trainS} | ${cached} |
| fixed δ=0.1 | 0.974 [0.959, 0.987] | 0.806 | 3.9 | no |
`;

const RUNS = (counts: string, status: string, trainS: string) =>
  `5 runs: ${counts} read back.

| config | status | steps | train s | folder |
| --- | --- | ---: | ---: | --- |
| adaptive margin | ${status} | 40 | ${trainS} | benchmark/plain-s1-ba7ad34b6ccb |
`;

const VERDICT = (word: string, delta: string) =>
  `- On synthetic-quick, adaptive δ_j vs own loss: ${word} (better on 3, worse on 0 of 4 metrics). MRR ${delta} [+0.033, +0.112].
`;

const CHART = (mean: number, ms: number) =>
  JSON.stringify({
    data: {
      values: [
        { method: "own", dataset: "recall@1", mean: 0.696, ms },
        { method: "adaptive", dataset: "recall@1", mean },
      ],
    },
    width: 320,
  });

function base(): Folder {
  return {
    "04_dssm": {
      "setup": {
        "setup.md":
          "Profile **quick**, seed **1**, data at /srv/a/clone/data, Deno 2.9.6, trained in 16.7 s on 2024-05-01T10:00:00Z.",
      },
      "train": { "train.md": RUNS("5 trained now, 0", "trained", "4.7") },
      "results-table": {
        "results-table.md": TABLE("0.735", "16.7", "no"),
        "results-table.html": "<table><tr><td>0.735</td></tr></table>",
      },
      "results-chart": {
        "results-chart.json": CHART(0.714, 12),
        "results-chart.svg": "<svg><text>0.714</text></svg>",
      },
      "verdict": {
        "verdict.md": VERDICT("better", "+0.073"),
        "stdout": "step 40: loss 0.25\n",
      },
    },
  };
}

async function withFolders(
  change: (fresh: Folder) => void,
  check: (c: Comparison) => void | Promise<void>,
  options: { relTol?: number; manifest?: Record<string, unknown> } = {},
): Promise<void> {
  await withTempDir("check_test_", async (dir) => {
    await writeOutput(`${dir}/a`, base());
    const fresh = base();
    change(fresh);
    await writeOutput(`${dir}/b`, fresh, options.manifest);
    await check(
      await compareOutputs(`${dir}/a`, `${dir}/b`, { relTol: options.relTol }),
    );
  });
}

const only = (c: Comparison): Difference => {
  assertEquals(c.differences.length, 1, formatComparison(c));
  return c.differences[0];
};

Deno.test("check: identical folders compare every number, none differs", async () => {
  await withFolders(() => {}, (c) => {
    assertEquals(c.differences, []);
    // setup 1 (seed; 2.9.6, 16.7 s, the date and the path are masked),
    // train 1 + 1 (5 runs, 40 steps; the cache counts, status and train s
    // are left out), table 4 + 5 (δ=0.1;
    // train s and cached left out), chart 2 means + 2 "recall@1" + width
    // (ms left out), verdict 6, stdout 2, manifest 1 (seed).
    assertEquals(c.compared, 1 + 2 + 9 + 5 + 6 + 2 + 1);
    assertTrue(
      formatComparison(c).startsWith(
        "check: 26 numbers compared, 0 differ in 1 notebooks",
      ),
      formatComparison(c),
    );
  });
});

Deno.test("check: a changed table cell is reported with its row and column", async () => {
  await withFolders((f) => {
    f["04_dssm"]["results-table"]["results-table.md"] = TABLE(
      "0.736",
      "16.7",
      "no",
    );
  }, (c) => {
    const d = only(c);
    assertEquals(d, {
      notebook: "04_dssm",
      cell: "results-table",
      location: 'results-table.md row "own γ-softmax" / column "MRR"',
      kind: "number",
      baseline: 0.735,
      fresh: 0.736,
    });
    assertEquals(
      formatDifference(d),
      '04_dssm / results-table / results-table.md row "own γ-softmax" / column "MRR": 0.735 → 0.736 (Δ +0.001, rel +0.136%)',
    );
    assertTrue(formatComparison(c).includes("1 differ"));
  });
});

Deno.test("check: a changed JSON number is reported by key path; a tolerance hides it", async () => {
  const change = (f: Folder) => {
    f["04_dssm"]["results-chart"]["results-chart.json"] = CHART(0.715, 12);
  };
  await withFolders(change, (c) => {
    const d = only(c);
    assertEquals(
      d.location,
      "results-chart.json data.values[1 adaptive · recall@1].mean",
    );
    assertEquals([d.baseline, d.fresh], [0.714, 0.715]);
  });
  await withFolders(change, (c) => assertEquals(c.differences, []), {
    relTol: 0.01,
  });
  await withFolders(change, (c) => assertEquals(c.differences.length, 1), {
    relTol: 0.001,
  });
});

Deno.test("check: timings, dates, paths, versions and cache hits are ignored", async () => {
  await withFolders(
    (f) => {
      const nb = f["04_dssm"];
      nb.setup["setup.md"] =
        "Profile **quick**, seed **1**, data at /opt/b/clone/data, Deno 2.9.7, trained in 9.2 s on 2025-01-02T03:04:05Z.";
      nb.train["train.md"] = RUNS("0 trained now, 5", "cached", "0");
      nb["results-table"]["results-table.md"] = TABLE("0.735", "4.1", "yes");
      nb["results-chart"]["results-chart.json"] = CHART(0.714, 99);
      // images are not compared
      nb["results-chart"]["results-chart.svg"] = "<svg><text>0.9</text></svg>";
    },
    (c) => assertEquals(c.differences, [], formatComparison(c)),
    {
      manifest: {
        profile: "quick",
        seed: 1,
        finishedAt: "2030-01-01T00:00:00Z",
        versions: { deno: "9.9.9" },
      },
    },
  );
});

Deno.test("check: a flipped word in a verdict is a difference, numbers unchanged", async () => {
  await withFolders((f) => {
    f["04_dssm"].verdict["verdict.md"] = VERDICT("worse", "+0.073");
  }, (c) => {
    const d = only(c);
    assertEquals(d.kind, "text");
    assertEquals(d.location, "verdict.md line 1");
    assertTrue(
      formatDifference(d).includes(
        'words "… vs own loss: better (better on 3, …" → "… vs own loss: worse (better on 3, …"',
      ),
      formatDifference(d),
    );
  });
  // A number in the verdict: a number difference, words unchanged.
  await withFolders((f) => {
    f["04_dssm"].verdict["verdict.md"] = VERDICT("better", "+0.071");
  }, (c) => {
    const d = only(c);
    assertEquals([d.kind, d.baseline, d.fresh], ["number", 0.073, 0.071]);
    assertEquals(d.location, "verdict.md line 1 (number 4)");
  });
  // Stream output (no file): compared from the notebook.
  await withFolders((f) => {
    f["04_dssm"].verdict.stdout = "step 40: loss 0.26\n";
  }, (c) => {
    const d = only(c);
    assertEquals(d.location, "output 1 line 1 (number 2)");
  });
});

Deno.test("check: an added line is reported alone, the lines after it still match", async () => {
  await withFolders((f) => {
    f["04_dssm"].verdict["verdict.md"] = "- A new first line with 42.\n" +
      VERDICT("better", "+0.073");
  }, (c) => {
    const d = only(c);
    assertEquals(d.kind, "fresh only");
    assertEquals(d.fresh, "- A new first line with 42.");
  });
});

Deno.test("check: a missing cell, file, or notebook is reported", async () => {
  await withFolders((f) => {
    delete f["04_dssm"].train;
    delete f["04_dssm"]["results-table"]["results-table.md"];
    f["05_new"] = { x: { "x.md": "1" } };
  }, (c) => {
    const found = c.differences.map((d) => formatDifference(d));
    assertEquals(found, [
      '04_dssm / train / cell: only in the baseline: "train"',
      '04_dssm / results-table / results-table.md: only in the baseline: "results-table.md"',
      '05_new / 05_new.ipynb: only in the fresh run: "05_new.ipynb"',
    ]);
  });
});

Deno.test("check: a manifest on another seed is a difference", async () => {
  await withFolders(() => {}, (c) => {
    const d = only(c);
    assertEquals(
      [d.notebook, d.location, d.baseline, d.fresh],
      ["manifest.json", "seed", 1, 2],
    );
  }, { manifest: { profile: "quick", seed: 2 } });
});

Deno.test("check: the manifest's data facts: a changed hash differs; a leftover folder or a rebuilt dataset does not", async () => {
  const manifest = (
    datasets: Record<string, unknown>,
    status: string,
  ) => ({
    profile: "full",
    seed: 1,
    datasets,
    realDatasets: [{ name: "scifact", status, reason: "" }],
  });
  await withTempDir("check_test_", async (dir) => {
    const full = { "items.arrow": "ab" };
    await writeOutput(
      `${dir}/a`,
      base(),
      manifest(
        { "synthetic-full": full, wordnet: { "items.arrow": "cd" } },
        "present",
      ),
    );
    await writeOutput(
      `${dir}/b`,
      base(),
      manifest({ "synthetic-full": full }, "built"),
    );
    const same = await compareOutputs(`${dir}/a`, `${dir}/b`);
    assertEquals(same.differences, [], formatComparison(same));
    await writeOutput(
      `${dir}/c`,
      base(),
      manifest({ "synthetic-full": { "items.arrow": "ef" } }, "skipped"),
    );
    const moved = await compareOutputs(`${dir}/a`, `${dir}/c`);
    assertEquals(
      moved.differences.map((d) => d.location).sort(),
      [
        "datasets.synthetic-full.items.arrow",
        "realDatasets[0 scifact · available].status",
      ],
      formatComparison(moved),
    );
  });
});

Deno.test("check: a folder that is no reproduce output is refused", async () => {
  await withTempDir("check_test_", async (dir) => {
    await writeOutput(`${dir}/a`, base());
    await Deno.mkdir(`${dir}/empty`);
    await assertRejects(
      () => compareOutputs(`${dir}/a`, `${dir}/empty`),
      CheckError,
      "not an output folder",
    );
    await assertRejects(
      () => compareOutputs(`${dir}/nope`, `${dir}/a`),
      CheckError,
      "does not exist",
    );
  });
});

Deno.test("maskVariable: durations, dates, paths and versions, not metrics", () => {
  assertEquals(
    maskVariable(
      "in 16.7 s (120 ms/step, 3.5 steps/s) at /var/x/out, deno 2.9.6, 2024-05-01",
    ),
    "in … (…/step, …) at …, deno …, …",
  );
  const kept = "recall@10 0.980 [0.967, 0.991]; d = 128; 5 runs; τ=1/30";
  assertEquals(maskVariable(kept), kept);
});

Deno.test("reproduce --check BASELINE --against DIR: exit 1 and the list when anything differs, 0 otherwise", async () => {
  await withTempDir("check_test_", async (dir) => {
    await writeOutput(`${dir}/a`, base());
    await writeOutput(`${dir}/same`, base());
    const fresh = base();
    fresh["04_dssm"]["results-table"]["results-table.md"] = TABLE(
      "0.7",
      "1",
      "no",
    );
    await writeOutput(`${dir}/b`, fresh);
    let r = await reproduceCli([
      "--check",
      `${dir}/a`,
      "--against",
      `${dir}/same`,
    ]);
    assertEquals(r.code, 0, r.out);
    assertTrue(r.out.startsWith("check: 26 numbers compared, 0 differ"), r.out);
    r = await reproduceCli(["--check", `${dir}/a`, "--against", `${dir}/b`]);
    assertEquals(r.code, 1, r.out);
    assertTrue(r.out.startsWith("check: 26 numbers compared, 1 differ"), r.out);
    assertTrue(r.out.includes('column "MRR": 0.735 → 0.7 (Δ -0.035'), r.out);
    r = await reproduceCli([
      "--check",
      `${dir}/a`,
      "--against",
      `${dir}/b`,
      "--tolerance",
      "0.1",
    ]);
    assertEquals(r.code, 0, r.out);
    // Bad uses: exit 2 before anything runs.
    r = await reproduceCli(["--check", `${dir}/nope`, "--against", `${dir}/b`]);
    assertEquals(r.code, 2, r.out);
    assertTrue(r.out.includes("baseline folder"), r.out);
    assertTrue(r.out.includes("does not exist"), r.out);
    r = await reproduceCli(["--check", `${dir}/a`, "--against", `${dir}/nope`]);
    assertEquals(r.code, 2, r.out);
    assertTrue(r.out.includes("--against folder"), r.out);
    // A folder against itself is allowed (nothing is written).
    r = await reproduceCli(["--check", `${dir}/a`, "--against", `${dir}/a`]);
    assertEquals(r.code, 0, r.out);
    r = await reproduceCli(["--check", `${dir}/a`, "--out", `${dir}/a`]);
    assertEquals(r.code, 2, r.out);
    assertTrue(r.out.includes("the baseline is the folder this run writes"));
  });
});

Deno.test("reproduce arguments: --against and --tolerance need --check; tolerances are numbers ≥ 0", () => {
  const message = (args: string[]) => {
    const p = parseReproduceArgs(args);
    return p.kind === "error" ? p.message : p.kind;
  };
  assertEquals(
    message(["--against", "x"]),
    "--against needs --check BASELINE_DIR",
  );
  assertEquals(
    message(["--tolerance=0.1"]),
    "--tolerance needs --check BASELINE_DIR",
  );
  assertEquals(
    message(["--check", "a", "--tolerance=-1"]),
    "--tolerance must be a number ≥ 0, got '-1'",
  );
  assertEquals(
    message(["--check", "a", "--abs-tolerance", "x"]),
    "--abs-tolerance must be a number ≥ 0, got 'x'",
  );
  assertTrue(
    message(["--check", "a", "--against", "b", "--out", "c"]).startsWith(
      "--against compares two existing folders",
    ),
  );
  const p = parseReproduceArgs(["--check", "a", "--tolerance", "1e-6"]);
  assertTrue(p.kind === "ok" && p.args.relTol === 1e-6 && p.args.absTol === 0);
  assertEquals(parseReproduceArgs(["--help"]).kind, "help");
});

Deno.test("reproduce args: --seeds is an integer ≥ 1, absent by default (the profile's count)", () => {
  const p = parseReproduceArgs(["--profile", "full", "--seeds", "5"]);
  assertTrue(p.kind === "ok" && p.args.seeds === 5);
  const d = parseReproduceArgs([]);
  assertTrue(d.kind === "ok" && d.args.seeds === undefined);
  for (const bad of ["0", "2.5", "x"]) {
    const e = parseReproduceArgs(["--seeds", bad]);
    assertTrue(e.kind === "error" && e.message.includes("--seeds"), bad);
  }
});

Deno.test("reproduce arguments: a malformed command line gets the usage, a bad value does not", () => {
  const usage = (args: string[]) => {
    const p = parseReproduceArgs(args);
    return p.kind === "error" ? p.usage ?? false : p.kind;
  };
  assertEquals(usage(["--bogus"]), true);
  assertEquals(usage(["--out"]), true);
  assertEquals(usage(["--seed", "x"]), false);
  assertEquals(usage(["--profile", "huge"]), false);
});
