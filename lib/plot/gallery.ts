/**
 * Renders every builder on the example records to `<dir>/<name>.svg|png`,
 * to look at the theme and layouts by eye:
 *
 * ```sh
 * deno run --allow-read --allow-write=out lib/plot/gallery.ts [out/gallery]
 * ```
 *
 * @module
 */

import {
  exampleHealthRows,
  exampleIvfPqRows,
  exampleMainTableRows,
  examplePairValueRows,
  exampleSensitivityRows,
  exampleTrainingRows,
} from "./examples.ts";
import { embeddingHealth } from "./embedding_health.ts";
import { ivfPqRecall } from "./ivf_pq_recall.ts";
import { mainTable } from "./main_table.ts";
import { pairValueDistribution } from "./pair_values.ts";
import { toPng, toSvg } from "./render.ts";
import { sensitivity } from "./sensitivity.ts";
import type { VegaLiteSpec } from "./theme.ts";
import { trainingCurves } from "./training_curves.ts";

/** The example charts by file name. */
export function gallerySpecs(): Record<string, VegaLiteSpec> {
  return {
    training_curves: trainingCurves(exampleTrainingRows(), {
      title: "Training curves",
      recall: "recall",
      recallTitle: "Batch recall@10",
      logY: true,
    }),
    sensitivity: sensitivity(exampleSensitivityRows(), {
      title: "Sensitivity to fixed hyper-parameters",
      k: 10,
      logTau: true,
      reference: [
        { family: "margin", recall: 0.63, label: "adaptive δ_j" },
        { family: "softmax", recall: 0.65, label: "adaptive τ_j" },
      ],
    }),
    main_table: mainTable(exampleMainTableRows(), {
      title: "Main results",
      metricTitle: "Recall@10",
    }),
    pair_values: pairValueDistribution(examplePairValueRows(), {
      title: "Per-pair margins during training",
    }),
    pair_values_density: pairValueDistribution(examplePairValueRows(), {
      title: "Per-pair margins (density)",
      mode: "density",
    }),
    embedding_health: embeddingHealth(exampleHealthRows(), {
      title: "Embedding health",
    }),
    ivf_pq_recall: ivfPqRecall(exampleIvfPqRows(), {
      title: "IVF-PQ",
      k: 10,
    }),
  };
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? "out/gallery";
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, spec] of Object.entries(gallerySpecs())) {
    const t0 = performance.now();
    const svg = await toSvg(spec);
    const t1 = performance.now();
    const png = await toPng(svg);
    const t2 = performance.now();
    await Deno.writeTextFile(`${dir}/${name}.svg`, svg);
    await Deno.writeFile(`${dir}/${name}.png`, png);
    console.log(
      `${name}: svg ${(t1 - t0).toFixed(0)} ms (${svg.length} chars), ` +
        `png ${(t2 - t1).toFixed(0)} ms (${png.length} bytes)`,
    );
  }
}
