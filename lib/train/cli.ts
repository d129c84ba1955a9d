/**
 * `deno task train --config FILE`: not built yet — arrives with issue 3
 * (towers, losses and the training loop).
 *
 * @module
 */

if (import.meta.main) {
  console.error(
    "deno task train: not yet — arrives with issue 3 (towers, losses, training loop).",
  );
  Deno.exit(2);
}
