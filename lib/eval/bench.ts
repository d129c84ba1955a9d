/**
 * `deno task bench`: not built yet — arrives with issue 3 (training-step and
 * IVF-PQ benchmark).
 *
 * @module
 */

if (import.meta.main) {
  console.error(
    "deno task bench: not yet — arrives with issue 3 (towers, losses, IVF-PQ).",
  );
  Deno.exit(2);
}
