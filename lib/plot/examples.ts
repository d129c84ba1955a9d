/**
 * Small, made-up example records for every builder, shaped like the real
 * outputs of training and evaluation. The tests and the gallery script use
 * them; they are illustrations, not results.
 *
 * @module
 */

/** Deterministic uniform [0, 1) numbers (a 32-bit LCG; fixtures only). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Two runs, loss every 20 steps, recall every 200 steps. */
export function exampleTrainingRows(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (
    const [run, floor] of [["fixed margin", 0.35], ["adaptive δ", 0.2]] as const
  ) {
    for (let step = 0; step <= 1000; step += 20) {
      const row: Record<string, unknown> = {
        run,
        step,
        loss: floor + 1.5 * Math.exp(-step / 250),
      };
      if (step % 200 === 0) {
        row.recall = 0.2 + (0.45 - floor) * (1 - Math.exp(-step / 300));
      }
      rows.push(row);
    }
  }
  return rows;
}

/** A δ sweep and a τ sweep with 95% intervals. */
export function exampleSensitivityRows(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const d of [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0]) {
    const recall = 0.6 - 0.25 * (Math.log(d / 0.2)) ** 2 / 4;
    rows.push({
      family: "margin",
      value: d,
      recall,
      lo: recall - 0.02,
      hi: recall + 0.02,
    });
  }
  for (const t of [0.01, 0.02, 1 / 30, 0.05, 0.1, 0.2, 0.5, 1]) {
    const recall = 0.62 - 0.3 * (Math.log(t / 0.05)) ** 2 / 8;
    rows.push({
      family: "softmax",
      value: t,
      recall,
      lo: recall - 0.015,
      hi: recall + 0.015,
    });
  }
  return rows;
}

/** Methods × two datasets, with intervals. */
export function exampleMainTableRows(): Record<string, unknown>[] {
  const methods = [
    ["DSSM", 0.41],
    ["MGDSPR-style", 0.5],
    ["DPSR-style", 0.47],
    ["Adap-τ", 0.52],
    ["fixed margin", 0.49],
    ["adaptive margin", 0.56],
  ] as const;
  const rows: Record<string, unknown>[] = [];
  for (
    const [dataset, shift] of [["synthetic", 0], ["WANDS", -0.12]] as const
  ) {
    for (const [method, base] of methods) {
      const mean = base + shift;
      rows.push({ dataset, method, mean, lo: mean - 0.018, hi: mean + 0.021 });
    }
  }
  return rows;
}

/** δ_j of 2,000 pairs at three snapshots, drifting as items spread. */
export function examplePairValueRows(): Record<string, unknown>[] {
  const rand = lcg(7);
  const rows: Record<string, unknown>[] = [];
  for (const [step, centre] of [[0, 0.08], [500, 0.3], [1000, 0.45]] as const) {
    for (let i = 0; i < 2000; i++) {
      // Sum of uniforms: a bell shape without a normal sampler.
      const u = (rand() + rand() + rand() - 1.5) * 0.12;
      rows.push({
        kind: "δ_j",
        step,
        value: Math.max(0.01, 0.01 + centre + u),
      });
    }
  }
  return rows;
}

/** With vs without stop-gradient: the second collapses. */
export function exampleHealthRows(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let step = 0; step <= 1000; step += 100) {
    const p = step / 1000;
    rows.push({
      run: "with stop-gradient",
      step,
      meanCosine: 0.3 - 0.2 * p,
      uniformity: -2.2 - 1.2 * p,
      effectiveRank: 40 + 50 * p,
    });
    rows.push({
      run: "without stop-gradient",
      step,
      meanCosine: 0.3 + 0.68 * p,
      uniformity: -2.2 + 2.1 * p,
      effectiveRank: 40 - 38 * p,
    });
  }
  return rows;
}

/** Three IVF-PQ configurations over nprobe 1…64, with throughput. */
export function exampleIvfPqRows(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (
    const [config, cap, speed] of [
      ["nlist=64, m=16", 0.93, 9000],
      ["nlist=256, m=16", 0.92, 20000],
      ["nlist=256, m=32", 0.97, 12000],
    ] as const
  ) {
    for (const nprobe of [1, 2, 4, 8, 16, 32, 64]) {
      rows.push({
        config,
        nprobe,
        recall: cap * (1 - Math.exp(-nprobe / 6)),
        qps: speed / (1 + nprobe / 4),
      });
    }
  }
  return rows;
}
