/**
 * A Vega-Lite chart as a cell output, in one call: rendered to SVG and PNG
 * (`lib/plot`'s `renderChart`), shown through the Vega-Lite MIME bundle,
 * with both images as the headless run's files.
 *
 * ```ts
 * await display(await renderedChart(trainingCurves(rows)));
 * ```
 *
 * @module
 */

import { mimeBundle, renderChart, type VegaLiteSpec } from "../plot/mod.ts";
import { chart, type Displayable } from "./display.ts";

/** Renders `spec` (SVG and PNG) and returns it ready for `display()`. */
export async function renderedChart(spec: VegaLiteSpec): Promise<Displayable> {
  const { svg, png } = await renderChart(spec, { png: true });
  return chart(mimeBundle(spec, svg), { png, svg });
}
