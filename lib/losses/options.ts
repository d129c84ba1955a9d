/**
 * One declaration per option: each loss declares its options once, as a
 * table of {@link OptionSpec}s (type, default, bounds, one line of
 * documentation). Everything else is derived from the table:
 *
 * - the TypeScript types: {@link Options} (what a loss accepts: every
 *   option optional, `param` options also as scalar tensors) and
 *   {@link Resolved} (every option set, numbers only: the training config);
 * - the defaults and the checks, with one wording of every message
 *   ({@link optionProblem}); the losses raise them as `LossError`s naming
 *   the function and the option ({@link lossOptions}), the training config
 *   as `ConfigError`s naming the path (`loss.alpha`) via
 *   {@link resolveOptions};
 * - the documentation: {@link optionsTable} renders a table as Markdown
 *   (docs/loss_options.md is generated from the training config's tables
 *   and tested against them).
 *
 * The tables are plain data (no schema library: four kinds of option and
 * one cross-option check do not earn a dependency, and the messages keep
 * the wording the tests and notebooks rely on).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { unknownKey } from "../data/mod.ts";
import { LossError, type Param } from "./types.ts";

/** What every option declares. */
interface SpecBase {
  /** One line for the documentation table. */
  readonly doc: string;
  /**
   * A check that needs the other options (after defaults): returns the
   * problem (worded like {@link optionProblem}'s) or null. A method, so
   * that a declaration may type `value` as its own option's type.
   */
  check?(value: unknown, all: Readonly<Record<string, unknown>>):
    | string
    | null;
}

/** A real number; `tensor`: the losses also take a scalar tensor. */
export interface NumberSpec<T extends boolean = boolean> extends SpecBase {
  /** Kind of option. */
  readonly type: "number";
  /** Default value. */
  readonly default: number;
  /** Lower bound. */
  readonly min: number;
  /** The lower bound is exclusive (default false). */
  readonly strict?: boolean;
  /** Upper bound, inclusive (default ∞). */
  readonly max?: number;
  /** Accepted as a scalar tensor / tf.Variable by the losses. */
  readonly tensor: T;
}

/** An integer in [min, max]. */
export interface IntegerSpec extends SpecBase {
  /** Kind of option. */
  readonly type: "integer";
  /** Default value. */
  readonly default: number;
  /** Lower bound, inclusive. */
  readonly min: number;
  /** Upper bound, inclusive (default 2³¹ − 1). */
  readonly max?: number;
}

/** true or false. */
export interface BooleanSpec extends SpecBase {
  /** Kind of option. */
  readonly type: "boolean";
  /** Default value. */
  readonly default: boolean;
}

/** One of a list of strings. */
export interface ChoiceSpec<C extends string = string> extends SpecBase {
  /** Kind of option. */
  readonly type: "choice";
  /** Default value. */
  readonly default: C;
  /** Accepted values. */
  readonly choices: readonly C[];
}

/** One option's declaration. */
export type OptionSpec = NumberSpec | IntegerSpec | BooleanSpec | ChoiceSpec;

/** A loss's options: name → declaration. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The value type of a declaration, as the training config holds it. */
export type ValueOf<S> = S extends ChoiceSpec<infer C> ? C
  : S extends BooleanSpec ? boolean
  : number;

/** The value type a loss accepts: `param` options also as scalar tensors. */
export type ArgumentOf<S> = S extends NumberSpec<true> ? Param : ValueOf<S>;

/** Every option of a table, set (the training config's resolved form). */
export type Resolved<T extends OptionTable> = {
  -readonly [K in keyof T]: ValueOf<T[K]>;
};

/** A loss's options argument: every option optional. */
export type Options<T extends OptionTable> = {
  [K in keyof T]?: ArgumentOf<T[K]>;
};

/** A loss's options after {@link lossOptions}: every option set. */
export type ResolvedArguments<T extends OptionTable> = {
  [K in keyof T]: ArgumentOf<T[K]>;
};

type Bounds = { min: number; strict?: boolean; max?: number };
type Check = SpecBase["check"];

/** Declares a number option (numbers only). */
export function number(
  spec: { default: number; doc: string; check?: Check } & Bounds,
): NumberSpec<false> {
  return { type: "number", ...spec, tensor: false };
}

/** Declares a hyper-parameter: a number, or in the losses a scalar tensor. */
export function param(
  spec: { default: number; doc: string; check?: Check } & Bounds,
): NumberSpec<true> {
  return { type: "number", ...spec, tensor: true };
}

/** Declares an integer option. */
export function integer(
  spec: { default: number; min: number; max?: number; doc: string },
): IntegerSpec {
  return { type: "integer", ...spec };
}

/** Declares a boolean option. */
export function flag(spec: { default: boolean; doc: string }): BooleanSpec {
  return { type: "boolean", ...spec };
}

/** Declares a choice among strings. */
export function choice<const C extends string>(
  spec: { choices: readonly C[]; default: NoInfer<C>; doc: string },
): ChoiceSpec<C> {
  return { type: "choice", ...spec };
}

/** A value for a message: numbers as JavaScript prints them (Infinity, NaN). */
export function showValue(v: unknown): string {
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

/**
 * A δ, τ or other option value as the sources and tables write it: the
 * paper's τ = 1/30 as "1/30" (within 1e-12, so 1/3 − 0.3 prints so too), any
 * other number as JavaScript prints it.
 */
export function valueLabel(value: number): string {
  return Math.abs(value - 1 / 30) < 1e-12 ? "1/30" : String(value);
}

/** "≥ 0", "> 0", "≥ 0 and ≤ 1": the range of a number spec, in words. */
function range(s: Bounds): string {
  const max = s.max ?? Infinity;
  return `${s.strict ? ">" : "≥"} ${s.min}` +
    (max < Infinity ? ` and ≤ ${max}` : "");
}

/**
 * Why `value` does not fit `spec`, as the end of a message ("must be a
 * finite number ≥ 0, got -1"), or null when it fits. `tensors`: accept a
 * scalar tensor for `param` options (its value is not read: no device sync).
 */
export function optionProblem(
  spec: OptionSpec,
  value: unknown,
  options: { tensors?: boolean } = {},
): string | null {
  switch (spec.type) {
    case "number": {
      if (value instanceof tf.Tensor && spec.tensor && options.tensors) {
        return value.rank === 0 ? null : "must be a number or a scalar tensor";
      }
      const v = value as number;
      const max = spec.max ?? Infinity;
      const ok = typeof v === "number" && Number.isFinite(v) &&
        (spec.strict ? v > spec.min : v >= spec.min) && v <= max;
      return ok
        ? null
        : `must be a finite number ${range(spec)}, got ${showValue(value)}`;
    }
    case "integer": {
      const hi = spec.max ?? 2 ** 31 - 1;
      const v = value as number;
      return Number.isInteger(v) && v >= spec.min && v <= hi
        ? null
        : `must be an integer in [${spec.min}, ${hi}], got ${showValue(value)}`;
    }
    case "boolean":
      return typeof value === "boolean"
        ? null
        : `must be true or false, got ${showValue(value)}`;
    case "choice":
      return (spec.choices as readonly unknown[]).includes(value)
        ? null
        : `must be one of ${
          spec.choices.map((c) => `"${c}"`).join(", ")
        }, got ${showValue(value)}`;
  }
}

// Defaults, then each value, then the cross-option checks.
function resolveTable(
  table: OptionTable,
  input: Readonly<Record<string, unknown>>,
  context: { fail: (name: string, problem: string) => never; tensors: boolean },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const value = input[name] ?? spec.default;
    const problem = optionProblem(spec, value, context);
    if (problem !== null) context.fail(name, problem);
    out[name] = value;
  }
  for (const [name, spec] of Object.entries(table)) {
    const problem = spec.check?.(out[name], out) ?? null;
    if (problem !== null) context.fail(name, problem);
  }
  return out;
}

/**
 * Fills in the defaults of `table` and checks every value (numbers only),
 * then the cross-option checks; `fail(name, problem)` raises the caller's
 * error. Keys not in the table are ignored here (see `unknownKey` in lib/data).
 * `undefined` means "the default".
 */
export function resolveOptions<T extends OptionTable>(
  table: T,
  input: Readonly<Record<string, unknown>>,
  context: { fail: (name: string, problem: string) => never },
): Resolved<T> {
  // The checks above make the values match the table's types.
  return resolveTable(table, input, { ...context, tensors: false }) as Resolved<
    T
  >;
}

/**
 * A loss's options with defaults, checked: unknown keys (other than
 * `extra`, the candidate and tensor options the loss checks itself) and
 * bad values throw a {@link LossError} naming `fn` and the option.
 */
export function lossOptions<T extends OptionTable>(
  fn: string,
  table: T,
  input: object,
  extra?: readonly string[],
): ResolvedArguments<T> {
  if (extra !== undefined) {
    const known = [...Object.keys(table), ...extra];
    const bad = unknownKey(input, known);
    if (bad !== null) {
      throw new LossError(
        `${fn}: unknown option "${bad}" (known: ${known.join(", ")})`,
      );
    }
  }
  const out = resolveTable(table, input as Record<string, unknown>, {
    tensors: true,
    fail: (name, problem) => {
      throw new LossError(`${fn}: option "${name}" ${problem}`);
    },
  });
  return out as ResolvedArguments<T>;
}

/** The type column of {@link optionsTable}. */
function typeText(spec: OptionSpec): string {
  switch (spec.type) {
    case "number":
      return `number ${range(spec)}`;
    case "integer":
      return spec.max === undefined
        ? `integer ≥ ${spec.min}`
        : `integer in [${spec.min}, ${spec.max}]`;
    case "boolean":
      return "boolean";
    case "choice":
      return spec.choices.map((c) => `"${c}"`).join(" \\| ");
  }
}

/** A default as the table shows it (numbers by {@link valueLabel}). */
function defaultText(value: unknown): string {
  if (typeof value === "number") return valueLabel(value);
  return typeof value === "string" ? `"${value}"` : String(value);
}

/**
 * The Markdown table of `table`'s options: option, type and range,
 * default, meaning. Rows in the table's order.
 */
export function optionsTable(table: OptionTable): string {
  const rows = [
    "| option | type | default | meaning |",
    "| --- | --- | --- | --- |",
  ];
  for (const [name, spec] of Object.entries(table)) {
    rows.push(
      `| \`${name}\` | ${typeText(spec)} | ${
        defaultText(spec.default)
      } | ${spec.doc} |`,
    );
  }
  return rows.join("\n");
}
