/**
 * The human-readable report of `deno task bench` (`formatBench`).
 *
 * @module
 */

import { type BackendInfo, formatBackendInfo } from "../backend/mod.ts";
import { BENCH_LOSSES, type BenchResult, type StepBench } from "./result.ts";
import { LOSS_LABELS } from "./steps.ts";
import { formatMemory } from "./memory.ts";
import { formatReferenceSteps } from "./reference.ts";

// ---------------------------------------------------------------------------
// Output

/**
 * A plain-text table: the first column left-aligned, the others right-
 * aligned, two spaces apart, a dashed line under the header.
 */
export function table(header: string[], rows: string[][]): string[] {
  const width = header.map((h, c) =>
    Math.max(h.length, ...rows.map((r) => r[c].length))
  );
  const line = (cells: string[]) =>
    cells.map((s, c) => c === 0 ? s.padEnd(width[c]) : s.padStart(width[c]))
      .join("  ");
  return [
    line(header),
    width.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ];
}

/** `x` with no decimals. */
export const f0 = (x: number): string => x.toFixed(0);
/** `x` with one decimal. */
export const f1 = (x: number): string => x.toFixed(1);
/** `x` with two decimals. */
export const f2 = (x: number): string => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

// Median, min, max, fwd+bwd, adam ms and steps/s of a step timing.
function stepCells(t: StepBench): string[] {
  return [
    f1(t.medianMs),
    f1(t.minMs),
    f1(t.maxMs),
    f1(t.fwdBwdMs),
    f1(t.adamMs),
    f2(t.stepsPerSec),
  ];
}

/** Options of {@link formatBench} and `formatKernelProfile`. */
export interface FormatReportOptions {
  /** Start with the backend line (default true). */
  backendLine?: boolean;
}

/**
 * A report's first lines: the backend's, unless the caller has printed it
 * already (`backendLine: false`, as the command line does).
 */
export function reportHead(
  backend: BackendInfo,
  options: FormatReportOptions,
): string[] {
  return options.backendLine ?? true ? [formatBackendInfo(backend)] : [];
}

/** The human-readable report of a {@link BenchResult}. */
export function formatBench(
  r: BenchResult,
  options: FormatReportOptions = {},
): string {
  const p = r.params;
  const out = reportHead(r.backend, options);
  out.push(
    `data: ${r.dataset.name}, ${r.dataset.items} items, ${r.dataset.queries} queries, ${r.dataset.trainingPairs} training pairs; model: ${r.model.kind} ${
      [...r.model.hidden, r.model.dim].join("-")
    } (${
      f2(r.model.weights / 1e6)
    }M weights); batch ${p.batchSize}, Adam lr ${p.lr}; ${p.steps} timed steps per loss in two passes (in order, then reversed), ${p.warmup} warm-up per pass`,
  );
  out.push("");
  out.push(
    "Training step (tower forward + loss + backward + Adam), accidental-hit masks of real batches",
  );
  out.push(...table(
    [
      "loss",
      "median ms",
      "min",
      "max",
      "fwd+bwd",
      "adam",
      "steps/s",
      "examples/s",
      "loss first→last",
    ],
    BENCH_LOSSES.map((l) => {
      const t = r.training[l];
      return [
        LOSS_LABELS[l],
        ...stepCells(t),
        f0(t.examplesPerSec),
        `${f3(t.loss[0])}→${f3(t.loss[1])}`,
      ];
    }),
  ));
  out.push(
    `adaptive/fixed step time: softmax ${
      f2(r.ratios.training.softmax)
    }×, margin ${f2(r.ratios.training.margin)}×`,
  );
  out.push(`memory after these steps: ${formatMemory(r.memory.training)}`);
  out.push("");
  out.push(
    "Embedding-table updates (adaptive margin): dense Adam over whole tables vs lazy Adam on the rows a batch used (optimizer.tables)",
  );
  out.push(...table(
    ["tables", "median ms", "min", "max", "fwd+bwd", "adam", "steps/s"],
    (["dense", "lazy"] as const).map((m) => {
      return [m, ...stepCells(r.tables[m])];
    }),
  ));
  out.push(`dense/lazy step time: ${f2(r.tables.speedup)}×`);
  out.push(`memory after these steps: ${formatMemory(r.memory.tables)}`);
  out.push("");
  out.push(
    `Loss alone (forward + backward on fixed random unit [${p.batchSize}, ${r.model.dim}] embeddings, real mask)`,
  );
  out.push(...table(
    ["loss", "median ms", "min", "max"],
    BENCH_LOSSES.map((l) => {
      const t = r.lossOnly[l];
      return [LOSS_LABELS[l], f2(t.medianMs), f2(t.minMs), f2(t.maxMs)];
    }),
  ));
  out.push(
    `adaptive/fixed loss time: softmax ${
      f2(r.ratios.lossOnly.softmax)
    }×, margin ${
      f2(r.ratios.lossOnly.margin)
    }×; step ratio this overhead predicts: softmax ${
      f2(r.ratios.fromLossOnly.softmax)
    }×, margin ${f2(r.ratios.fromLossOnly.margin)}×`,
  );
  out.push("");
  out.push(
    `Encoding (forward only, batches of ${p.encodeBatch}, untrained ${r.model.kind})`,
  );
  out.push(...table(
    ["side", "rows", "ms", "rows/s"],
    (["items", "queries"] as const).map((s) => {
      const e = r.encode[s];
      return [s, String(e.count), f0(e.ms), f0(e.perSec)];
    }),
  ));
  for (const ix of r.ivfPq) {
    out.push("");
    out.push(
      `IVF-PQ on ${ix.set}: ${ix.n} × ${ix.d}, nlist ${ix.nlist}, m ${ix.m}, nbits ${ix.nbits}; build ${
        f0(ix.buildMs)
      } ms, ${f2(ix.memoryBytes / 2 ** 20)} MiB; ${ix.nq} queries`,
    );
    out.push(`  (${ix.description})`);
    out.push(...table(
      ["search", "ms", "queries/s", "recall@10"],
      [
        ...ix.probes.map((pr) => [
          `nprobe ${pr.nprobe}`,
          f0(pr.ms),
          f0(pr.qps),
          f3(pr.recallAt10),
        ]),
        ["exact", f0(ix.exact.ms), f0(ix.exact.qps), "1.000"],
      ],
    ));
  }
  // Older results (format < 3) have no reference steps.
  if (r.reference?.length) {
    out.push("");
    out.push(formatReferenceSteps(r.reference));
  }
  return out.join("\n");
}
