/**
 * The two sizes everything in the package runs at: `quick` (minutes: CI and
 * the quick notebooks) and `full` (the published results). Each layer keeps
 * its own settings per profile (the synthetic catalogue's knobs, training's
 * steps, the experiments' seeds and budgets); this module is the one list of
 * the names, and their order (quick before full).
 *
 * @module
 */

import type { DerivedDefault } from "./options.ts";

/** The profiles, smallest first. */
export const PROFILE_NAMES = ["quick", "full"] as const;

/** A profile's name. */
export type Profile = (typeof PROFILE_NAMES)[number];

/** The profile of anything whose caller names none. */
export const DEFAULT_PROFILE: Profile = "quick";

/** The profiles as an error message offers them: "'quick' or 'full'". */
export function profileChoices(quote: string): string {
  return PROFILE_NAMES.map((p) => `${quote}${p}${quote}`).join(" or ");
}

/** Whether `value` names a profile. */
export function isProfile(value: unknown): value is Profile {
  return PROFILE_NAMES.includes(value as Profile);
}

/**
 * An option's default taken from a table of presets by the resolved
 * `profile` option (declared before it in the same table): e.g. a training
 * interval, or the synthetic catalogue's size.
 */
export function profileDefault<K extends string>(
  presets: Readonly<Record<Profile, Readonly<Record<K, number>>>>,
  field: K,
): DerivedDefault<number> {
  return {
    text: "the profile's",
    from: (_context, options) => presets[options.profile as Profile][field],
    missing: "needs a profile",
  };
}

// A preset's value in a Markdown cell: null as "—", a record as "k v, …".
function presetCell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${k} ${v}`).join(", ");
  }
  return String(value);
}

/**
 * The Markdown table of what each profile sets: a row per profile, a
 * column per field (null as "—", a record such as the hash buckets as
 * "key value, …"). The generated option documents show it.
 */
export function profilesTable<K extends string>(
  presets: Readonly<Record<Profile, Readonly<Record<K, unknown>>>>,
  fields: readonly K[],
): string {
  return [
    `| profile | ${fields.join(" | ")} |`,
    `| --- | ${fields.map(() => "---").join(" | ")} |`,
    ...PROFILE_NAMES.map((p) =>
      `| \`${p}\` | ${
        fields.map((f) => presetCell(presets[p][f])).join(" | ")
      } |`
    ),
  ].join("\n");
}
