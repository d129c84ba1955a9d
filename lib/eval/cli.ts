/**
 * `deno task eval --run DIR`: not built yet — arrives with issue 3
 * (evaluation of a trained run).
 *
 * @module
 */

if (import.meta.main) {
  console.error(
    "deno task eval: not yet — arrives with issue 3 (training and evaluation).",
  );
  Deno.exit(2);
}
