/**
 * The data layer: Arrow schemas and their validating reader/writer, the
 * seeded random generator, the synthetic ESCI-like catalogue, the real
 * datasets (WANDS, SciFact, MovieLens, WordNet) and in-batch-negative
 * batching.
 *
 * ```ts
 * import { generateSynthetic, writeDataset, readDataset } from "./mod.ts";
 * await writeDataset("data/synthetic-quick", generateSynthetic({ seed: 1 }));
 * const ds = await readDataset("data/synthetic-quick");
 * ```
 *
 * @module
 */

export * from "./schema.ts";
export * from "./profile.ts";
export * from "./io.ts";
export * from "./rng.ts";
export * from "./batches.ts";
export * from "./synthetic.ts";
export * from "./real/mod.ts";
export * from "./build.ts";
export * from "./user_path.ts";
export * from "./env.ts";
export * from "./options.ts";
export * from "./cli_args.ts";
