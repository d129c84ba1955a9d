/**
 * The check every options validator of the package shares (feature and
 * tower configs, synthetic-data options): an options object must not hold
 * a key the validator does not know. Each validator throws its own error,
 * naming the key and the known ones in its own words.
 *
 * @module
 */

/** The first key of `obj` (in key order) that is not in `known`, or null. */
export function unknownKey(
  obj: object,
  known: readonly string[],
): string | null {
  for (const k of Object.keys(obj)) if (!known.includes(k)) return k;
  return null;
}
