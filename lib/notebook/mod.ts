/**
 * The notebook layer: `display()` and its helpers for cells, the run context
 * (`profile()`, `seed()`, `seedCount()`, `outDir()`, `runsDir()`), the headless runner behind
 * `deno task reproduce`, the static report, publishing a run's results
 * (`publish.ts`) and the Jupyter check.
 *
 * ```ts
 * import { display, md, profile } from "../lib/notebook/mod.ts";
 * await display(md(`Profile: **${profile()}**`));
 * ```
 *
 * Writing notebooks that run the same in Jupyter and headless:
 * - every cell has a stable id (nbformat 4.5); cite `<name>.html#<cell-id>`;
 * - end output-producing cells with `await display(...)` (a bare last-line
 *   value is shown only by a kernel, and may even be lost there);
 * - declare each top-level name once across the notebook (headless, all
 *   cells form one module): `let x` in one cell, `x = …` in later ones;
 *   re-importing the same binding in several cells is fine;
 * - no `import.meta` in cells (kernel cells lack it): put such code in lib/;
 * - read sizes from `profile()` and the seed from `seed()`; write files
 *   under `outDir()` (training runs under `runsDir(name)`) or `../data`:
 *   the runner allows writes only there. The working directory is the
 *   notebook's folder.
 *
 * @module
 */

export * from "./display.ts";
export * from "./chart.ts";
export * from "./context.ts";
export { OUT_ENV, PROFILE_ENV, SEED_ENV, SEEDS_ENV } from "./protocol.ts";
export * from "./notebook.ts";
export * from "./runner.ts";
export {
  checkPublishTarget,
  dropUnpublishedLinks,
  findMachinePaths,
  type MachinePathOptions,
  machinePathPatterns,
  normaliseManifest,
  PUBLISHED_EXTENSIONS,
  PublishError,
  type PublishOptions,
  publishOutputs,
  type PublishResult,
  type PublishTargetOptions,
} from "./publish.ts";
export * from "./report.ts";
export {
  checkExecution,
  type ExecutionCheck,
  findJupyter,
  JUPYTER_INSTALL_HINT,
  JupyterError,
  type JupyterRun,
  type JupyterRunOptions,
  lostOutputs,
  runJupyter,
  writeKernelspec,
} from "./jupyter.ts";
