import {
  assertClose,
  assertEquals,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { embeddingHealth } from "./embedding_health.ts";
import {
  exampleHealthRows,
  exampleIvfPqRows,
  exampleMainTableRows,
  examplePairValueRows,
  exampleSensitivityRows,
  exampleTrainingRows,
} from "./examples.ts";
import { PlotInputError } from "./input.ts";
import { ivfPqRecall } from "./ivf_pq_recall.ts";
import { mainTable } from "./main_table.ts";
import { pairValueDistribution } from "./pair_values.ts";
import { compileSpec, renderSvg } from "./render.ts";
import { sensitivity } from "./sensitivity.ts";
import { FONT, SCHEMA_URL, type VegaLiteSpec } from "./theme.ts";
import { trainingCurves } from "./training_curves.ts";

/** Compiles and renders with zero tolerance for warnings. */
async function render(spec: VegaLiteSpec): Promise<string> {
  assertEquals(compileSpec(spec).warnings, []);
  return (await renderSvg(spec, { warnings: "throw" })).svg;
}

/** Contents of each `<g class="mark-<type> role-mark …">` group. */
function markGroups(svg: string, type: string): string[] {
  const re = new RegExp(
    `<g class="mark-${type} role-mark[^"]*"[^>]*>(.*?)</g>`,
    "gs",
  );
  return [...svg.matchAll(re)].map((m) => m[1]);
}

function countMarks(svg: string, type: string): number {
  const tag = type === "text" ? "<text" : "<path";
  return markGroups(svg, type)
    .reduce((n, g) => n + g.split(tag).length - 1, 0);
}

function assertHasTexts(svg: string, texts: string[]): void {
  for (const t of texts) {
    assertTrue(svg.includes(`>${t}</text>`), `SVG lacks text node "${t}"`);
  }
}

/** All `data.values` arrays in a spec, in document order. */
function dataArrays(spec: unknown): Record<string, unknown>[][] {
  const out: Record<string, unknown>[][] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (x && typeof x === "object") {
      const o = x as Record<string, unknown>;
      const d = o.data as { values?: Record<string, unknown>[] } | undefined;
      if (d?.values) out.push(d.values);
      for (const v of Object.values(o)) walk(v);
    }
  };
  walk(spec);
  return out;
}

Deno.test("builders set the v5 schema and the theme font", () => {
  for (
    const spec of [
      trainingCurves(exampleTrainingRows()),
      sensitivity(exampleSensitivityRows()),
      mainTable(exampleMainTableRows()),
      pairValueDistribution(examplePairValueRows()),
      embeddingHealth(exampleHealthRows()),
      ivfPqRecall(exampleIvfPqRows()),
    ]
  ) {
    assertEquals(spec.$schema, SCHEMA_URL);
    assertEquals((spec.config as { font: string }).font, FONT);
  }
});

Deno.test("trainingCurves: loss and recall panels, one line per run", async () => {
  const rows = exampleTrainingRows();
  const spec = trainingCurves(rows, {
    title: "Curves",
    recall: "recall",
    recallTitle: "Batch recall@10",
    logY: true,
  });
  const svg = await render(spec);
  assertHasTexts(svg, [
    "Curves",
    "Training loss",
    "Batch recall@10",
    "Step",
    "fixed margin",
    "adaptive δ",
  ]);
  // Two runs in each of two panels.
  assertEquals(countMarks(svg, "line"), 4);
  // Recall only every 200 steps: 6 points per run get markers.
  assertEquals(countMarks(svg, "symbol"), 12);
  const [loss, recall] = dataArrays(spec);
  assertEquals(loss.length, rows.length);
  assertEquals(recall.length, 12);
  const y =
    (spec.hconcat as { encoding: { y: { scale: { type: string } } } }[])[0]
      .encoding.y.scale.type;
  assertEquals(y, "log");
});

Deno.test("trainingCurves: a log step axis; more than ten runs get twenty colours", async () => {
  const rows = Array.from(
    { length: 12 },
    (_, r) =>
      [1, 10, 100].map((step) => ({ run: `run ${r}`, step, loss: 1 / step })),
  ).flat();
  const spec = trainingCurves(rows, { logStep: true });
  const enc = spec.encoding as {
    x: { title: string; scale: { type: string } };
    color: { scale: { scheme?: string; domain: string[] } };
  };
  assertEquals(enc.x.scale.type, "log");
  assertEquals(enc.x.title, "Step (log)");
  assertEquals(enc.color.scale.scheme, "tableau20");
  assertEquals(enc.color.scale.domain.length, 12);
  assertEquals(countMarks(await render(spec), "line"), 12);
  // Ten or fewer: the theme's own scheme; a step of 0 cannot go on a log axis.
  const few = trainingCurves(rows.slice(0, 6));
  const fewEnc = few.encoding as { color: { scale: { scheme?: string } } };
  assertEquals(fewEnc.color.scale.scheme, undefined);
  assertThrows(
    () => trainingCurves([{ step: 0, loss: 1 }], { logStep: true }),
    Error,
    "step",
  );
});

Deno.test("trainingCurves: single run without a run field", async () => {
  const svg = await render(
    trainingCurves([{ step: 0, loss: 2 }, { step: 1, loss: 1 }]),
  );
  assertEquals(countMarks(svg, "line"), 1);
  assertHasTexts(svg, ["Training loss"]);
});

Deno.test("sensitivity: two panels, intervals and labelled reference rules", async () => {
  const spec = sensitivity(exampleSensitivityRows(), {
    k: 10,
    logTau: true,
    reference: [
      { family: "margin", recall: 0.63, label: "adaptive δ_j" },
      { family: "softmax", recall: 0.65 },
    ],
  });
  const svg = await render(spec);
  assertHasTexts(svg, [
    "Margin loss",
    "Softmax loss",
    "Fixed margin δ",
    "Fixed temperature τ",
    "Batch recall@10",
    "adaptive δ_j",
    "adaptive: 0.650",
  ]);
  assertEquals(countMarks(svg, "line"), 2);
  assertEquals(countMarks(svg, "symbol"), 7 + 8);
  // Reference rules: one dashed rule per panel.
  const dashed =
    markGroups(svg, "rule").join("").split('stroke-dasharray="6,4"')
      .length - 1;
  assertEquals(dashed, 2);
  const panels = spec.hconcat as { layer: { mark: { type: string } }[] }[];
  assertEquals(panels[0].layer.map((l) => l.mark.type), [
    "errorbar",
    "line",
    "rule",
    "text",
  ]);
});

Deno.test("sensitivity: one family, band intervals, series colours", async () => {
  const rows = exampleSensitivityRows()
    .filter((r) => r.family === "softmax")
    .flatMap((r) => [{ ...r, series: "A" }, { ...r, series: "B" }]);
  const spec = sensitivity(rows, {
    errors: "band",
    xTitles: { softmax: "Value / paper's value" },
  });
  const svg = await render(spec);
  assertEquals(countMarks(svg, "line"), 2);
  assertHasTexts(svg, ["Softmax loss", "A", "B", "Value / paper's value"]);
});

Deno.test("sensitivity: bad references and log τ <= 0 are errors", () => {
  const rows = exampleSensitivityRows();
  assertThrows(
    () => sensitivity(rows, { reference: [{ family: "dot", recall: 0.5 }] }),
    PlotInputError,
    'family "dot"',
  );
  assertThrows(
    () =>
      sensitivity([{ family: "softmax", value: 0, recall: 0.5 }], {
        logTau: true,
      }),
    PlotInputError,
    "log scale",
  );
  assertThrows(
    () => sensitivity([{ family: "margin", value: 0.1, recall: 0.5, lo: 0.4 }]),
    PlotInputError,
    '"hi"',
  );
});

Deno.test("mainTable: bars per method, facets per dataset, error bars on lo/hi", async () => {
  const rows = exampleMainTableRows();
  const spec = mainTable(rows, { metricTitle: "Recall@10" });
  const view = spec.spec as {
    layer: {
      mark: { type: string };
      encoding: { y: { field: string }; y2?: { field: string } };
    }[];
  };
  const err = view.layer.find((l) => l.mark.type === "errorbar");
  assertTrue(err, "no errorbar layer");
  assertEquals(err.encoding.y.field, "lo");
  assertEquals(err.encoding.y2?.field, "hi");
  const svg = await render(spec);
  assertHasTexts(svg, [
    "synthetic",
    "WANDS",
    "adaptive margin",
    "DSSM",
    "Recall@10",
  ]);
  // Only the bars (not the error-bar ticks) carry aria labels.
  const bars = markGroups(svg, "rect");
  const heights = bars.join("").matchAll(
    /aria-label="method: ([^;]+);[^"]*"[^>]*d="M[\d.]+,[\d.]+h[\d.]+v([\d.]+)h/g,
  );
  const byMethod = new Map<string, number>();
  for (const m of heights) {
    if (!byMethod.has(m[1])) byMethod.set(m[1], Number(m[2]));
  }
  assertEquals(byMethod.size, 6);
  // Bar heights are proportional to the means (y starts at zero).
  assertClose(
    byMethod.get("DSSM")! / byMethod.get("adaptive margin")!,
    0.41 / 0.56,
    1e-6,
  );
  assertEquals(countMarks(svg, "rect") >= 12, true);
});

Deno.test("mainTable: no dataset, no intervals; bad rows are errors", async () => {
  const svg = await render(
    mainTable([{ method: "a", mean: 0.5 }, { method: "b", mean: 0.25 }]),
  );
  assertHasTexts(svg, ["a", "b"]);
  assertThrows(
    () => mainTable([{ method: "a", mean: 0.5 }, { method: "a", mean: 0.4 }]),
    PlotInputError,
    "occurs twice",
  );
  assertThrows(
    () => mainTable([{ method: "a", mean: 0.5, lo: 0.6, hi: 0.7 }]),
    PlotInputError,
    "lo <= mean <= hi",
  );
  assertThrows(
    () => mainTable([{ method: "a", mean: 0.5 }], { lo: "ci_lo", hi: "ci_hi" }),
    PlotInputError,
    '"ci_lo"',
  );
});

Deno.test("pairValueDistribution: histogram fractions by hand", () => {
  const spec = pairValueDistribution(
    [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value })),
    { bins: 2 },
  );
  const [data] = dataArrays(spec);
  assertEquals(data.map((d) => [d.x0, d.x1, d.y]), [[0, 0.5, 0.4], [
    0.5,
    1,
    0.6,
  ]]);
  assertEquals((spec.mark as { type: string }).type, "rect");
});

Deno.test("pairValueDistribution: one line per snapshot, fractions sum to 1", async () => {
  const spec = pairValueDistribution(examplePairValueRows(), { bins: 30 });
  const [data] = dataArrays(spec);
  for (const step of [0, 500, 1000]) {
    const ys = data.filter((d) => d.step === step).map((d) => d.y as number);
    assertEquals(ys.length, 30);
    assertClose(ys.reduce((a, b) => a + b, 0), 1, 1e-9);
  }
  const svg = await render(spec);
  assertEquals(countMarks(svg, "line"), 3);
  assertHasTexts(svg, ["δ_j", "Fraction of pairs", "Step", "0", "500", "1000"]);
});

Deno.test("pairValueDistribution: KDE of a constant sample peaks at 1/(h√2π)", async () => {
  const v = 0.2;
  const spec = pairValueDistribution(
    Array.from({ length: 10 }, () => ({ value: v, kind: "τ_j" })),
    { mode: "density", points: 7 },
  );
  const [data] = dataArrays(spec);
  const h = 1e-3 * v;
  assertClose(data[3].x as number, v, 1e-12);
  assertClose(data[3].y as number, 1 / (h * Math.sqrt(2 * Math.PI)), 1e-6);
  // Symmetric around the value.
  assertClose(data[0].y as number, data[6].y as number, 1e-9);
  const svg = await render(spec);
  assertHasTexts(svg, ["τ_j", "Density"]);
});

Deno.test("pairValueDistribution: two kinds make two panels", async () => {
  const rows = [
    ...[0.1, 0.2, 0.3].map((value) => ({ value, kind: "δ_j", step: 1 })),
    ...[0.05, 0.1, 0.4].map((value) => ({ value, kind: "τ_j", step: 1 })),
    ...[0.1, 0.25, 0.3].map((value) => ({ value, kind: "δ_j", step: 2 })),
    ...[0.05, 0.2, 0.4].map((value) => ({ value, kind: "τ_j", step: 2 })),
  ];
  const spec = pairValueDistribution(rows, { mode: "density", points: 20 });
  assertEquals((spec.hconcat as unknown[]).length, 2);
  const svg = await render(spec);
  assertEquals(countMarks(svg, "line"), 4);
});

Deno.test("embeddingHealth: a panel per metric, a line per run", async () => {
  const spec = embeddingHealth(exampleHealthRows(), { title: "Health" });
  const svg = await render(spec);
  assertHasTexts(svg, [
    "Health",
    "Mean item cosine",
    "Uniformity",
    "Effective rank",
    "with stop-gradient",
    "without stop-gradient",
  ]);
  assertEquals(countMarks(svg, "line"), 6);
  assertEquals(countMarks(svg, "symbol"), 3 * 22);
  assertThrows(
    () =>
      embeddingHealth(exampleHealthRows(), {
        metrics: [{ field: "rank", title: "Rank" }],
      }),
    PlotInputError,
    'field "rank" (options.metrics[0].field)',
  );
});

Deno.test("ivfPqRecall: recall and throughput panels", async () => {
  const spec = ivfPqRecall(exampleIvfPqRows(), { k: 10 });
  const svg = await render(spec);
  assertHasTexts(svg, [
    "nprobe (lists probed)",
    "Recall@10",
    "Queries / s",
    "nlist=256, m=32",
  ]);
  assertEquals(countMarks(svg, "line"), 6);
  const noQps = ivfPqRecall(exampleIvfPqRows(), { showQps: false });
  assertEquals(noQps.hconcat, undefined);
  assertEquals(countMarks(await render(noQps), "line"), 3);
  assertThrows(
    () => ivfPqRecall([{ config: "a", nprobe: 0, recall: 0.5 }]),
    PlotInputError,
    '"nprobe"',
  );
});

Deno.test("every builder rejects empty rows and names a missing field", () => {
  const builders: [string, (rows: object[], o: never) => unknown, object][] = [
    ["trainingCurves", trainingCurves as never, { loss: "xent" }],
    ["sensitivity", sensitivity as never, { recall: "r@10" }],
    ["mainTable", mainTable as never, { mean: "avg" }],
    ["pairValueDistribution", pairValueDistribution as never, { value: "d" }],
    ["embeddingHealth", embeddingHealth as never, { step: "iter" }],
    ["ivfPqRecall", ivfPqRecall as never, { recall: "r" }],
  ];
  const rows: Record<string, object[]> = {
    trainingCurves: exampleTrainingRows(),
    sensitivity: exampleSensitivityRows(),
    mainTable: exampleMainTableRows(),
    pairValueDistribution: examplePairValueRows(),
    embeddingHealth: exampleHealthRows(),
    ivfPqRecall: exampleIvfPqRows(),
  };
  for (const [name, build, opts] of builders) {
    assertThrows(
      () => build([], {} as never),
      PlotInputError,
      `${name}: rows is empty`,
    );
    const field = Object.values(opts)[0] as string;
    const option = Object.keys(opts)[0];
    assertThrows(
      () => build(rows[name], opts as never),
      PlotInputError,
      `${name}: field "${field}" (options.${option}) is missing from every row`,
    );
  }
  // An explicitly named grouping field must exist too.
  assertThrows(
    () => trainingCurves(exampleTrainingRows(), { series: "model" }),
    PlotInputError,
    '"model"',
  );
  // Values must be finite numbers; the message names field and row.
  assertThrows(
    () => trainingCurves([{ step: 0, loss: NaN }]),
    PlotInputError,
    'field "loss" in row 0 is NaN',
  );
  assertThrows(
    () => trainingCurves([{ step: 0, loss: 0 }], { logY: true }),
    PlotInputError,
    "log scale",
  );
});
