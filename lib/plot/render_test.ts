import {
  assertEquals,
  assertRejects,
  assertThrows,
  assertTrue,
} from "../testing.ts";
import { unzlibSync } from "fflate";
import { exampleMainTableRows, exampleSensitivityRows } from "./examples.ts";
import { mainTable } from "./main_table.ts";
import {
  compileSpec,
  mimeBundle,
  pngSize,
  renderChart,
  renderSvg,
  specTitle,
  svgSize,
  toPng,
  toSvg,
  VEGALITE_MIME,
} from "./render.ts";
import { sensitivity } from "./sensitivity.ts";
import { SCHEMA_URL, type VegaLiteSpec } from "./theme.ts";
import { trainingCurves } from "./training_curves.ts";

const SMALL: VegaLiteSpec = trainingCurves(
  [
    { run: "a", step: 0, loss: 2 },
    { run: "a", step: 10, loss: 1 },
    { run: "b", step: 0, loss: 2.5 },
    { run: "b", step: 10, loss: 0.5 },
  ],
  { title: "Small chart", width: 200, height: 120 },
);

/** A spec Vega-Lite warns about: an unknown channel and an unsorted size. */
const NOISY: VegaLiteSpec = {
  $schema: SCHEMA_URL,
  data: { values: [{ x: 1, y: 2, c: "u" }] },
  mark: "point",
  encoding: {
    x: { field: "x", type: "quantitative" },
    y: { field: "y", type: "quantitative" },
    size: { field: "c", type: "nominal" },
    wobble: { field: "x" },
  },
};

Deno.test("compileSpec captures warnings instead of printing them", () => {
  const { warnings, vega } = compileSpec(NOISY);
  assertTrue(warnings.length >= 2, `warnings: ${warnings}`);
  assertTrue(warnings.some((w) => w.includes("wobble")));
  assertTrue(Array.isArray((vega as { marks?: unknown[] }).marks));
});

Deno.test("warning policy: throw, ignore; runtime warnings are caught too", async () => {
  await assertRejects(
    () => toSvg(NOISY, { warnings: "throw" }),
    Error,
    "wobble",
  );
  const svg = await toSvg(NOISY, { warnings: "ignore" });
  assertTrue(svg.startsWith("<svg"));
  // A Vega runtime (not compile-time) warning: zero on a log scale.
  const logZero: VegaLiteSpec = {
    $schema: SCHEMA_URL,
    data: { values: [{ x: 0, y: 1 }] },
    mark: "point",
    encoding: {
      x: { field: "x", type: "quantitative", scale: { type: "log" } },
      y: { field: "y", type: "quantitative" },
    },
  };
  const { warnings } = await renderSvg(logZero, { warnings: "ignore" });
  assertTrue(warnings.some((w) => /log scale/i.test(w)), `${warnings}`);
});

Deno.test("toSvg is deterministic, also after other charts", async () => {
  const spec = sensitivity(exampleSensitivityRows(), {
    reference: [{ family: "margin", recall: 0.63 }],
  });
  const a = await toSvg(spec);
  await toSvg(mainTable(exampleMainTableRows()));
  const b = await toSvg(structuredClone(spec));
  assertTrue(a === b, "SVG differs between two renders of the same spec");
  assertEquals(a.length, b.length);
});

Deno.test("toSvg keeps the theme font on text", async () => {
  const svg = await toSvg(SMALL);
  assertTrue(svg.includes('font-family="DejaVu Sans, Arial, sans-serif"'));
  assertTrue(svg.includes(">Small chart</text>"));
});

Deno.test("toPng: PNG signature and scale × SVG size", async () => {
  const svg = await toSvg(SMALL);
  const { width, height } = svgSize(svg);
  assertTrue(width > 200 && height > 120, `svg ${width}x${height}`);
  for (const scale of [1, 2, 1.5]) {
    const png = await toPng(svg, { scale });
    assertEquals(
      Array.from(png.subarray(0, 8)),
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    );
    const size = pngSize(png);
    assertTrue(
      Math.abs(size.width - scale * width) <= 1 &&
        Math.abs(size.height - scale * height) <= 1,
      `scale ${scale}: png ${size.width}x${size.height}, svg ${width}x${height}`,
    );
  }
  // A spec is rendered to SVG first; default scale 2.
  const fromSpec = pngSize(await toPng(SMALL));
  assertEquals(fromSpec, { width: 2 * width, height: 2 * height });
});

/** Decodes an 8-bit RGBA, non-interlaced PNG (what resvg writes). */
function decodeRgba(png: Uint8Array): { width: number; data: Uint8Array } {
  const { width, height } = pngSize(png);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assertEquals([png[24], png[25], png[28]], [8, 6, 0], "RGBA8, no interlace");
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const len = dv.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = unzlibSync(concat(idat));
  const stride = width * 4;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? data[y * stride + x - 4] : 0;
      const b = y > 0 ? data[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? data[(y - 1) * stride + x - 4] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [
        0,
        a,
        b,
        (a + b) >> 1,
        pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
      ][filter];
      data[y * stride + x] = (src[x] + pred) & 255;
    }
  }
  return { width, data };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), o += p.length;
  return out;
}

/** Pixels in rows [y0, y1) matching `pred(r, g, b)`. */
function countPixels(
  img: { width: number; data: Uint8Array },
  rows: [number, number],
  pred: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let y = rows[0]; y < rows[1]; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      if (pred(img.data[i], img.data[i + 1], img.data[i + 2])) n++;
    }
  }
  return n;
}

Deno.test("toPng: the picture has the title text and both coloured lines", async () => {
  const svg = await toSvg(SMALL);
  const { height } = svgSize(svg);
  const img = decodeRgba(await toPng(svg, { scale: 1 }));
  // Title band (the chart's top padding + title line): dark glyph pixels,
  // so a font resolved and text was drawn.
  const dark = (r: number, g: number, b: number) => r + g + b < 150;
  assertTrue(countPixels(img, [0, 26], dark) > 40, "no title ink");
  // The two runs' lines in tableau10 blue (#4c78a8) and orange (#f58518).
  const near = (c: number[]) => (r: number, g: number, b: number) =>
    Math.abs(r - c[0]) + Math.abs(g - c[1]) + Math.abs(b - c[2]) < 40;
  const blue = countPixels(img, [26, height], near([0x4c, 0x78, 0xa8]));
  const orange = countPixels(img, [26, height], near([0xf5, 0x85, 0x18]));
  assertTrue(blue > 100 && orange > 100, `blue ${blue}, orange ${orange}`);
  // And the white background really is white (not transparent).
  assertEquals(Array.from(img.data.subarray(0, 4)), [255, 255, 255, 255]);
});

Deno.test("toPng and pngSize reject bad input", async () => {
  await assertRejects(() => toPng("not svg"), TypeError, "SVG document");
  await assertRejects(() => toPng(SMALL, { scale: 0 }), RangeError, "scale");
  assertThrows(() => pngSize(new Uint8Array(30)), TypeError, "not a PNG");
});

Deno.test("renderChart and mimeBundle", async () => {
  const chart = await renderChart(SMALL, { png: 1 });
  assertTrue(
    chart.png && pngSize(chart.png).width === svgSize(chart.svg).width,
  );
  assertEquals((await renderChart(SMALL)).png, undefined);
  const bundle = mimeBundle(chart.spec, chart.svg);
  assertEquals(
    Object.keys(bundle).sort(),
    [
      VEGALITE_MIME,
      "image/svg+xml",
      "text/plain",
    ].sort(),
  );
  assertEquals(VEGALITE_MIME, "application/vnd.vegalite.v5+json");
  assertEquals(bundle[VEGALITE_MIME], SMALL);
  assertEquals(bundle["image/svg+xml"], chart.svg);
  assertEquals(bundle["text/plain"], "Small chart");
  assertEquals(
    mimeBundle(SMALL, chart.svg, { text: "loss curves" })["text/plain"],
    "loss curves",
  );
  assertEquals(specTitle({ $schema: SCHEMA_URL, title: "t" }), "t");
  assertEquals(specTitle({ $schema: SCHEMA_URL }), undefined);
  assertThrows(() => mimeBundle(SMALL, "<div/>"), TypeError, "svg");
});
