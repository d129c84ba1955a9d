/**
 * One declaration per option: every options object of the package (the
 * losses', the towers', the features', the training config's, the
 * synthetic catalogue's and the real loaders') declares its options once,
 * as a table of {@link OptionSpec}s (type, default, bounds, one line of
 * documentation). Everything else is derived from the table:
 *
 * - the TypeScript type of the resolved options ({@link Resolved});
 * - the defaults and the checks, with one wording of every message
 *   ({@link optionProblem}); each caller raises them in its own error type,
 *   naming its own path (`loss.alpha`, `TowerConfig(dpsr).beta`), through
 *   {@link resolveOptions};
 * - the documentation: {@link optionsTable} renders a table as Markdown,
 *   {@link optionsDocument} a generated docs/*_options.md.
 *
 * The commands' flags have their own tables (`cli_args.ts`): a flag is
 * text to parse, and its usage line is another format.
 *
 * The tables are plain data (no schema library: six kinds of option and a
 * cross-option check do not earn a dependency, and the messages keep the
 * wording the tests and notebooks rely on). The losses add scalar-tensor
 * hyper-parameters on top (lib/losses/options.ts).
 *
 * @module
 */

/** The first value that occurs a second time in `values`, or undefined. */
export function firstRepeat<T>(values: Iterable<T>): T | undefined {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}

/** Whether `v` is a plain object, as a JSON object reads: not null, no array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Refuses the first key of `input` (in key order) that is not in `known`:
 * `fail(key, "is unknown; the options are …")`, the one wording of this
 * mistake in every config, loss and loader.
 */
export function refuseUnknownKeys(
  input: object,
  known: readonly string[],
  fail: (name: string, problem: string) => never,
): void {
  for (const k of Object.keys(input)) {
    if (!known.includes(k)) {
      fail(k, `is unknown; the options are ${known.join(", ")}`);
    }
  }
}

/**
 * What a default may depend on besides the input: for example the feature
 * config a tower's `historyLen` defaults to, or the dataset its item count
 * comes from. Each caller of {@link resolveOptions} passes its own.
 */
export type OptionContext = Readonly<Record<string, unknown>>;

/**
 * A number's or integer's default: a value, or one computed from the
 * resolution's {@link OptionContext}.
 */
export type Default<V> = V | DerivedDefault<V>;

/** A default computed from the context, with its text for the documentation. */
export interface DerivedDefault<V> {
  /** The documentation's default column, e.g. `features.maxLen.history`. */
  readonly text: string;
  /**
   * The value, or undefined when the context cannot give one; `options`:
   * the options resolved before this one (in the table's order).
   */
  from(
    context: OptionContext,
    options: Readonly<Record<string, unknown>>,
  ): V | undefined;
  /** The problem when it cannot ("is required; …"). */
  readonly missing: string;
}

/** What every option declares. */
interface SpecBase {
  /** One line for the documentation table. */
  readonly doc: string;
  /**
   * Why the bounds are what they are, added to every problem of the option
   * and to its line in the documentation ("at least 2: in-batch negatives
   * need a second pair").
   */
  readonly hint?: string;
  /**
   * A check that needs the other options (after defaults): returns the
   * problem (worded like {@link optionProblem}'s) or null. A method, so
   * that a declaration may type `value` as its own option's type.
   */
  check?(value: unknown, all: Readonly<Record<string, unknown>>):
    | string
    | null;
}

/**
 * A real number; `tensor`: the losses also take a scalar tensor. Its
 * default may be derived from the context (`D`, as for integers).
 */
export interface NumberSpec<
  T extends boolean = boolean,
  D extends Default<number> = Default<number>,
> extends SpecBase {
  /** Kind of option. */
  readonly type: "number";
  /** Default value. */
  readonly default: D;
  /** Lower bound. */
  readonly min: number;
  /** The lower bound is exclusive (default false). */
  readonly strict?: boolean;
  /** Upper bound, inclusive (default ∞). */
  readonly max?: number;
  /** The upper bound is exclusive (default false), e.g. a share < 1. */
  readonly strictMax?: boolean;
  /** Accepted as a scalar tensor / tf.Variable by the losses. */
  readonly tensor: T;
}

/**
 * An integer in [min, max]; its default may be derived from the context
 * (`D`, so that a table's plain defaults keep the type `number`).
 */
export interface IntegerSpec<D extends Default<number> = Default<number>>
  extends SpecBase {
  /** Kind of option. */
  readonly type: "integer";
  /** Default value. */
  readonly default: D;
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

/** A list of integers in [1, max], e.g. layer widths. */
export interface IntegerListSpec extends SpecBase {
  /** Kind of option. */
  readonly type: "integers";
  /** Default value. */
  readonly default: readonly number[];
  /** Fewest entries. */
  readonly minLength: number;
  /** Largest entry (the smallest is 1). */
  readonly max: number;
}

/** A non-empty set of strings from a list, kept in the list's order. */
export interface SubsetSpec<C extends string = string> extends SpecBase {
  /** Kind of option. */
  readonly type: "subset";
  /** Default value. */
  readonly default: readonly C[];
  /** Accepted values, in the order a resolved set keeps. */
  readonly choices: readonly C[];
}

/** One option's declaration. */
export type OptionSpec =
  | NumberSpec
  | IntegerSpec
  | BooleanSpec
  | ChoiceSpec
  | IntegerListSpec
  | SubsetSpec;

/** An options object's options: name → declaration. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The value type of a declaration, as a resolved config holds it. */
export type ValueOf<S> = S extends ChoiceSpec<infer C> ? C
  : S extends SubsetSpec<infer C> ? C[]
  : S extends IntegerListSpec ? number[]
  : S extends BooleanSpec ? boolean
  : number;

/** Every option of a table, set (the resolved form). */
export type Resolved<T extends OptionTable> = {
  -readonly [K in keyof T]: ValueOf<T[K]>;
};

type Bounds = {
  min: number;
  strict?: boolean;
  max?: number;
  strictMax?: boolean;
};
type Check = SpecBase["check"];

/** Declares a number option (numbers only). */
export function number<D extends Default<number>>(
  spec: { default: D; doc: string; hint?: string; check?: Check } & Bounds,
): NumberSpec<false, D> {
  return { type: "number", ...spec, tensor: false };
}

/** Declares an integer option. */
export function integer<D extends Default<number>>(
  spec: {
    default: D;
    min: number;
    max?: number;
    doc: string;
    hint?: string;
    check?: Check;
  },
): IntegerSpec<D> {
  return { type: "integer", ...spec };
}

/** Declares a boolean option. */
export function flag(
  spec: { default: boolean; doc: string },
): BooleanSpec {
  return { type: "boolean", ...spec };
}

/** Declares a choice among strings. */
export function choice<const C extends string>(
  spec: { choices: readonly C[]; default: NoInfer<C>; doc: string },
): ChoiceSpec<C> {
  return { type: "choice", ...spec };
}

/** Declares a list of positive integers. */
export function integers(
  spec: {
    default: readonly number[];
    minLength: number;
    max: number;
    doc: string;
  },
): IntegerListSpec {
  return { type: "integers", ...spec };
}

/** Declares a non-empty subset of `choices` (resolved in their order). */
export function subset<const C extends string>(
  spec: { choices: readonly C[]; default: readonly NoInfer<C>[]; doc: string },
): SubsetSpec<C> {
  return { type: "subset", ...spec };
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

/** "≥ 0", "> 0", "≥ 0 and ≤ 1", "≥ 0 and < 1": a number spec's range in words. */
function range(s: Bounds): string {
  const max = s.max ?? Infinity;
  return `${s.strict ? ">" : "≥"} ${s.min}` +
    (max < Infinity ? ` and ${s.strictMax ? "<" : "≤"} ${max}` : "");
}

function integerProblem(value: unknown, lo: number, hi: number) {
  const v = value as number;
  return Number.isInteger(v) && v >= lo && v <= hi
    ? null
    : `must be an integer in [${lo}, ${hi}], got ${showValue(value)}`;
}

/**
 * Why `value` does not fit `spec`, as the end of a message ("must be a
 * finite number ≥ 0, got -1"), or null when it fits. A list's message for
 * an entry starts with its index ("[1] must be an integer …").
 */
export function optionProblem(spec: OptionSpec, value: unknown): string | null {
  const found = problemAt(spec, value);
  return found && (found.at ? `${found.at} ${found.problem}` : found.problem);
}

// The problem, and where in a list it is ("[i]", or "" for the value).
function problemAt(
  spec: OptionSpec,
  value: unknown,
): { at: string; problem: string } | null {
  const found = boundsProblem(spec, value);
  return found && spec.hint
    ? { ...found, problem: `${found.problem} (${spec.hint})` }
    : found;
}

function boundsProblem(
  spec: OptionSpec,
  value: unknown,
): { at: string; problem: string } | null {
  const whole = (problem: string | null) =>
    problem === null ? null : { at: "", problem };
  switch (spec.type) {
    case "number": {
      const v = value as number;
      const max = spec.max ?? Infinity;
      const ok = typeof v === "number" && Number.isFinite(v) &&
        (spec.strict ? v > spec.min : v >= spec.min) &&
        (spec.strictMax ? v < max : v <= max);
      return ok ? null : whole(
        `must be a finite number ${range(spec)}, got ${showValue(value)}`,
      );
    }
    case "integer":
      return whole(integerProblem(value, spec.min, spec.max ?? 2 ** 31 - 1));
    case "boolean":
      return typeof value === "boolean"
        ? null
        : whole(`must be true or false, got ${showValue(value)}`);
    case "choice":
      return (spec.choices as readonly unknown[]).includes(value)
        ? null
        : whole(
          `must be one of ${
            spec.choices.map((c) => `"${c}"`).join(", ")
          }, got ${showValue(value)}`,
        );
    case "integers": {
      if (!Array.isArray(value) || value.length < spec.minLength) {
        return whole(
          `must be an array of at least ${spec.minLength} positive integers, got ${
            showValue(value)
          }`,
        );
      }
      for (let i = 0; i < value.length; i++) {
        const problem = integerProblem(value[i], 1, spec.max);
        if (problem !== null) return { at: `[${i}]`, problem };
      }
      return null;
    }
    case "subset": {
      const list = spec.choices.join(", ");
      if (!Array.isArray(value) || value.length === 0) {
        return whole(
          `must be a non-empty array of ${list}, got ${showValue(value)}`,
        );
      }
      const seen = new Set<unknown>();
      for (const x of value) {
        if (!(spec.choices as readonly unknown[]).includes(x)) {
          return whole(`has ${showValue(x)}; expected values from ${list}`);
        }
        if (seen.has(x)) return whole(`lists ${showValue(x)} twice`);
        seen.add(x);
      }
      return null;
    }
  }
}

function isDerived(d: unknown): d is DerivedDefault<unknown> {
  return typeof d === "object" && d !== null && "from" in d;
}

/** Options of {@link resolveOptions}. */
export interface ResolveOptions {
  /** Raises the caller's error for option `name` (throws). */
  fail: (name: string, problem: string) => never;
  /** What derived defaults read (default none). */
  context?: OptionContext;
  /**
   * Checks a value before {@link optionProblem}: a problem, null (fits),
   * or undefined (not the hook's to judge). The losses accept tensors so.
   */
  accept?: (spec: OptionSpec, value: unknown) => string | null | undefined;
  /** Every option must be given: no defaults (e.g. a config read back). */
  required?: boolean;
  /**
   * Refuse, before any value is checked, a key that is neither the table's
   * nor in `also` (keys the caller reads itself, e.g. a loss config's
   * `kind`), by {@link refuseUnknownKeys}. Without it other keys are
   * ignored: the real loaders share one options bag.
   */
  strict?: { also?: readonly string[] };
}

/**
 * Fills in the defaults of `table` and checks every value, then the
 * cross-option checks; `fail(name, problem)` raises the caller's error.
 * Keys not in the table are ignored unless `strict`.
 * `undefined` means "the default". Lists come back as fresh arrays, a
 * subset in its choices' order (equal sets give equal configs).
 */
export function resolveOptions<T extends OptionTable>(
  table: T,
  input: Readonly<Record<string, unknown>>,
  options: ResolveOptions,
): Resolved<T> {
  const { fail, context = {} } = options;
  if (options.strict) {
    const { also = [] } = options.strict;
    refuseUnknownKeys(input, [...Object.keys(table), ...also], fail);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    // null, as undefined, asks for the default.
    let value = input[name] ?? undefined;
    if (value === undefined && !options.required) {
      const d = spec.default;
      if (isDerived(d)) {
        value = d.from(context, out);
        if (value === undefined) fail(name, d.missing);
      } else value = d;
    }
    const judged = options.accept?.(spec, value);
    const found = judged === undefined
      ? problemAt(spec, value)
      : judged === null
      ? null
      : { at: "", problem: judged };
    if (found) fail(`${name}${found.at}`, found.problem);
    out[name] = spec.type === "subset"
      ? spec.choices.filter((c) => (value as unknown[]).includes(c))
      : Array.isArray(value)
      ? [...value]
      : value;
  }
  for (const [name, spec] of Object.entries(table)) {
    const problem = spec.check?.(out[name], out) ?? null;
    if (problem !== null) fail(name, problem);
  }
  // The checks above make the values match the table's types.
  return out as Resolved<T>;
}

/**
 * Every option of `table` at its default (derived ones from `context`),
 * checked like any input: a default that fails its own check is a bug in
 * the table, thrown as an `Error` naming the option.
 */
export function optionDefaults<T extends OptionTable>(
  table: T,
  context: OptionContext = {},
): Resolved<T> {
  return resolveOptions(table, {}, {
    context,
    fail: (name, problem) => {
      throw new Error(`the default of ${name} ${problem}`);
    },
  });
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
    case "integers":
      return `${
        spec.minLength > 0 ? `${spec.minLength}+` : "list of"
      } integers in [1, ${spec.max}]`;
    case "subset":
      return `set of ${spec.choices.map((c) => `"${c}"`).join(", ")}`;
  }
}

/** A default as the table shows it (numbers by {@link valueLabel}). */
function defaultText(value: unknown): string {
  if (isDerived(value)) return value.text;
  if (typeof value === "number") return valueLabel(value);
  if (Array.isArray(value)) {
    return `[${value.map((v) => defaultText(v)).join(", ")}]`;
  }
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
      `| \`${name}\` | ${typeText(spec)} | ${defaultText(spec.default)} | ${
        spec.hint ? `${spec.doc}; ${spec.hint}` : spec.doc
      } |`,
    );
  }
  return rows.join("\n");
}

/** One section of an {@link optionsDocument}. */
export interface OptionsSection {
  /** The heading's name, shown as code (`## \`dssm\``). */
  name: string;
  /** A paragraph before the table. */
  note?: string;
  /** The options; or the Markdown of another table (e.g. the profiles). */
  table: OptionTable | string;
}

/** What {@link optionsDocument} writes. */
export interface OptionsDocument {
  /** The first heading, e.g. "Tower options". */
  title: string;
  /** What generates it, e.g. "towerOptionsMarkdown() (lib/towers/config.ts)". */
  source: string;
  /** The test that checks the file against its source. */
  test: string;
  /** The paragraph under the title. */
  intro: string;
  /** One heading and table each. */
  sections: readonly OptionsSection[];
}

/**
 * A generated Markdown document of option tables (docs/*_options.md): its
 * title, a comment naming its generator and test, an introduction, then
 * one `## \`name\`` section per table.
 */
export function optionsDocument(doc: OptionsDocument): string {
  const parts = [
    `# ${doc.title}`,
    "",
    `<!-- Generated by ${doc.source}; ${doc.test} checks that the tables match, and with DOCS_UPDATE=1 rewrites this file (then run deno fmt on it). -->`,
    "",
    doc.intro,
  ];
  for (const section of doc.sections) {
    parts.push("", `## \`${section.name}\``, "");
    if (section.note) parts.push(section.note, "");
    parts.push(
      typeof section.table === "string"
        ? section.table
        : optionsTable(section.table),
    );
  }
  return parts.join("\n") + "\n";
}
