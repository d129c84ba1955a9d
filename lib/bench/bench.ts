/**
 * `deno task bench` (`runBench`): speed of the reference model and of its
 * retrieval index on the running tfjs backend. The parts: `steps.ts`
 * (training steps), `retrieval.ts` (encoding, IVF-PQ), `format.ts` (the
 * report), `cli.ts` (the command line).
 *
 * ```sh
 * deno task bench [--quick] [--backend auto|node|wasm|cpu] [--steps N]
 *   [--warmup N] [--items N] [--queries N] [--nlist N] [--batch N]
 *   [--encode-batch N] [--tower JSON] [--seed N] [--threads 1|2]
 *   [--json FILE]
 * ```
 *
 * Reference model: the DSSM tower with its defaults (300-300-128, d = 128),
 * batch 350, Adam (lr 1e-3), on the synthetic `full` catalogue (`quick`
 * with `--quick`). Reported, in this order:
 * 1. training steps/s for fixed softmax (τ = 1/30), fixed margin (δ = 0.1),
 *    adaptive softmax and adaptive margin (their defaults), each with the
 *    accidental-hit masks of real batches; a step is tower forward + loss +
 *    backward (`tf.variableGrads`) + Adam. Median, min and max over the
 *    timed steps after warm-up, and the adaptive/fixed ratio per family.
 *    One model serves all four, reset to the same initial weights before
 *    each pass; the losses run in order with half the steps, then in
 *    reverse order with the other half (each pass warmed up), so load
 *    that drifts during the run does not favour one loss.
 *    Then the adaptive-margin step again with dense and with lazy Adam on
 *    the embedding tables (`optimizer.tables`), ABBA-ordered, and the
 *    dense/lazy step-time ratio. After each of the two, the process's
 *    memory (`memory.ts`: peak RSS so far, tfjs tensors, wasm heap).
 * 2. the loss alone: forward + backward (`tf.grads`) on fixed random
 *    L2-normalised [B, d] embeddings with a real batch's mask, so the
 *    loss's own cost is visible apart from the tower's.
 * 3. encode throughput (forward only, `tf.tidy` + `dataSync`) of all
 *    catalogue items and of the test queries, in batches of 1,000.
 * 4. IVF-PQ over two sets of the same size: the UNTRAINED DSSM's item
 *    embeddings with the encoded test queries, and a seeded clustered
 *    random set — plus, with `--run DIR`, a trained run's item and
 *    test-query embeddings (its own catalogue); build time, then per
 *    nprobe ∈ {1, 4, 16, 64} queries/s and recall@10 against exact search,
 *    and exact search's own queries/s. With isotropic noise inside a
 *    cluster the clustered set is PQ's hardest case: once nprobe covers a
 *    query's cluster, recall stops at what 16 one-byte codes resolve.
 * 5. the reference steps (`reference.ts`): the training loop's own DSSM
 *    and MGDSPR steps (adaptive margin) on today's default path — one
 *    thread, dense Adam on the tables — and on two workers (one tower
 *    each, or halves of each batch for towers that share weights) and/or
 *    with lazy table updates, each path's speed-up against the
 *    default and its largest resident size; `--threads 1` times only the
 *    one-thread paths.
 *
 * Timings depend on the machine and its load; nothing here asserts speed.
 * Exit status: 0 done, 1 failed, 2 bad command line.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend/mod.ts";
import {
  generateSynthetic,
  Rng,
  splitRows,
  trainingPairs,
} from "../data/mod.ts";
import { createTower, type TowerConfigInput } from "../towers/mod.ts";
import {
  BENCH_FORMAT,
  BENCH_LOSSES,
  BENCH_NPROBES,
  type BenchLoss,
  type BenchOptions,
  type BenchResult,
  type IndexBench,
  type StepBench,
  type TablesMode,
  type Timing,
} from "./result.ts";
import {
  abba,
  checkedInt,
  LOSS_LABELS,
  MARGIN,
  resolveStepRun,
  stepBench,
  type StepContext,
  stepParams,
  type StepTimes,
  summarise,
  tensorBatches,
  timeLossOnly,
  timeTraining,
} from "./steps.ts";
import { benchReferenceSteps, STEP_VARIANTS } from "./reference.ts";
import {
  benchIndex,
  benchRun,
  clusteredSet,
  defaultNlist,
  encodeRows,
  PQ_M,
  PQ_NBITS,
  randomUnitRows,
} from "./retrieval.ts";
import { memorySample } from "./memory.ts";

// ---------------------------------------------------------------------------
// The run

/** Texts encoded per call when the bench measures encoding throughput. */
export const DEFAULT_ENCODE_BATCH = 1000;

/**
 * Runs the whole benchmark (see the module documentation) and returns the
 * numbers; prints nothing but `progress` lines. Throws a RangeError naming
 * the option on bad options.
 */
export async function runBench(
  options: BenchOptions = {},
): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const run = resolveStepRun(options, {
    full: { steps: 20, warmup: 2 },
    quick: { steps: 3, warmup: 1 },
  });
  const { profile, steps, warmup, batchSize, seed } = run;
  const encodeBatch = checkedInt(
    "encode-batch",
    options.encodeBatch ?? DEFAULT_ENCODE_BATCH,
  );
  if (options.queries !== undefined) checkedInt("queries", options.queries);
  const progress = options.progress ?? (() => {});
  const backend = await initBackend({ backend: options.backend, quiet: true });

  progress(`generating synthetic ${profile} data`);
  const ds = generateSynthetic({ profile, seed, numItems: options.items });
  const nItems = ds.items.itemId.length;
  const nlist = options.nlist ?? defaultNlist(nItems);
  checkedInt("nlist", nlist);
  if (nlist > nItems) {
    throw new RangeError(
      `bench: option "nlist" = ${nlist} exceeds the ${nItems} items`,
    );
  }
  const pairs = trainingPairs(ds);
  const towerConfig = { ...options.tower, kind: "dssm" } as TowerConfigInput;
  const net = createTower(towerConfig, { seed, dataset: ds });
  const d = net.dim;
  const model = {
    kind: net.kind,
    hidden: [...(net.config as { hidden: number[] }).hidden],
    dim: d,
    weights: net.variables().reduce((s, v) => s + v.size, 0),
  };
  progress(
    `featurising ${nItems} items and ${ds.queries.queryId.length} queries`,
  );
  const inputs = net.prepare(ds);

  // Real batches with their accidental-hit masks; as many as the run uses.
  const batches = tensorBatches(pairs, {
    batchSize,
    seed,
    count: warmup + steps,
    caller: "bench",
  });

  const training = {} as Record<BenchLoss, StepBench>;
  let tables: BenchResult["tables"];
  const memory = {} as BenchResult["memory"];
  const lossOnly = {} as Record<BenchLoss, Timing>;
  const rng = new Rng(seed);
  const q = tf.tensor2d(randomUnitRows(rng, { rows: batchSize, d }), [
    batchSize,
    d,
  ]);
  const v = tf.tensor2d(randomUnitRows(rng, { rows: batchSize, d }), [
    batchSize,
    d,
  ]);
  let encoded: {
    items: ReturnType<typeof encodeRows>;
    queries: ReturnType<typeof encodeRows>;
  };
  try {
    // Encoding first, while the weights are the untrained initial ones.
    progress("encoding items and test queries (untrained DSSM)");
    const itemRows = Int32Array.from({ length: nItems }, (_, i) => i);
    const testRows = splitRows(ds.queries, "test");
    const queryRows = testRows.slice(0, options.queries ?? testRows.length);
    if (queryRows.length === 0) {
      throw new RangeError("bench: the dataset has no test queries");
    }
    encoded = {
      items: encodeRows(net, inputs, {
        side: "item",
        rows: itemRows,
        batch: encodeBatch,
      }),
      queries: encodeRows(net, inputs, {
        side: "query",
        rows: queryRows,
        batch: encodeBatch,
      }),
    };

    const ctx: StepContext = {
      model: net,
      initial: net.getWeights(),
      inputs,
      batches,
      warmup,
    };
    const stepPasses = abba(steps, (loss, n) => {
      progress(`training steps: ${LOSS_LABELS[loss]} (${n})`);
      return timeTraining(ctx, loss, { steps: n });
    });
    memory.training = memorySample();
    // Dense vs lazy table updates, ABBA again (the dense passes are new
    // ones, timed next to the lazy ones).
    const tablePasses: Record<TablesMode, StepTimes[]> = {
      dense: [],
      lazy: [],
    };
    const first = Math.ceil(steps / 2);
    for (
      const [mode, n] of [
        ["dense", first],
        ["lazy", first],
        ["lazy", steps - first],
        ["dense", steps - first],
      ] as [TablesMode, number][]
    ) {
      if (n === 0) continue;
      progress(`training steps: adaptive margin, ${mode} table updates (${n})`);
      tablePasses[mode].push(
        timeTraining(ctx, "adaptiveMargin", { steps: n, tables: mode }),
      );
    }
    tables = {
      dense: stepBench(tablePasses.dense, batchSize),
      lazy: stepBench(tablePasses.lazy, batchSize),
      speedup: 0,
    };
    tables.speedup = tables.dense.medianMs / tables.lazy.medianMs;
    memory.tables = memorySample();
    progress("loss alone");
    const lossPasses = abba(
      steps,
      (loss, n) =>
        timeLossOnly(loss, { q, v, mask: batches[0].mask }, {
          steps: n,
          warmup,
        }),
    );
    for (const loss of BENCH_LOSSES) {
      training[loss] = stepBench(stepPasses[loss], batchSize);
      lossOnly[loss] = summarise(lossPasses[loss].flat());
    }
  } finally {
    tf.dispose([q, v, ...batches.map((b) => b.mask)]);
    net.dispose();
  }

  const nq = encoded.queries.bench.count;
  const ivfOptions = { nlist, seed, progress };
  const ivfPq: IndexBench[] = [];
  if (options.run) {
    ivfPq.push(
      await benchRun(options.run, { data: options.runData, seed, progress }),
    );
  }
  ivfPq.push(
    benchIndex({
      name: "dssm-untrained",
      description:
        `item and test-query embeddings of the untrained DSSM (seed ${seed})`,
    }, {
      items: encoded.items.vectors,
      queries: encoded.queries.vectors,
      d,
    }, ivfOptions),
  );
  const clusters = Math.max(1, Math.round(nItems / 100));
  const random = clusteredSet(new Rng(seed).fork(1), {
    n: nItems,
    nq,
    d,
    clusters,
  });
  ivfPq.push(benchIndex(
    {
      name: "clustered-random",
      description:
        `${clusters} seeded Gaussian clusters on the unit sphere (within-cluster cosine ≈ 0.8), items and queries from the same mixture`,
    },
    { ...random, d },
    ivfOptions,
  ));

  // Last: these runs build their own models on the same catalogue.
  const reference = await benchReferenceSteps(ds, {
    steps,
    warmup: Math.max(1, warmup),
    batchSize,
    seed,
    profile,
    variants: STEP_VARIANTS.filter((v) => v.threads <= (options.threads ?? 2)),
    progress,
  });

  const ratio = (a: number, b: number) => a / b;
  return {
    format: BENCH_FORMAT,
    startedAt,
    backend,
    params: {
      ...stepParams(run),
      encodeBatch,
      nlist,
      m: PQ_M,
      nbits: PQ_NBITS,
      nprobes: BENCH_NPROBES.filter((p) => p <= nlist),
      margin: MARGIN,
    },
    dataset: {
      name: ds.meta.name,
      items: nItems,
      queries: ds.queries.queryId.length,
      trainingPairs: pairs.queryId.length,
      testQueries: nq,
    },
    model,
    training,
    lossOnly,
    tables: tables!,
    memory,
    ratios: {
      training: {
        softmax: ratio(
          training.adaptiveSoftmax.medianMs,
          training.softmax.medianMs,
        ),
        margin: ratio(
          training.adaptiveMargin.medianMs,
          training.margin.medianMs,
        ),
      },
      lossOnly: {
        softmax: ratio(
          lossOnly.adaptiveSoftmax.medianMs,
          lossOnly.softmax.medianMs,
        ),
        margin: ratio(
          lossOnly.adaptiveMargin.medianMs,
          lossOnly.margin.medianMs,
        ),
      },
      fromLossOnly: {
        softmax: 1 +
          (lossOnly.adaptiveSoftmax.medianMs - lossOnly.softmax.medianMs) /
            training.softmax.medianMs,
        margin: 1 +
          (lossOnly.adaptiveMargin.medianMs - lossOnly.margin.medianMs) /
            training.margin.medianMs,
      },
    },
    reference,
    encode: { items: encoded.items.bench, queries: encoded.queries.bench },
    ivfPq,
  };
}
