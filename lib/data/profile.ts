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
