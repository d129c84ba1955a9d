/**
 * The preamble every command line of the package shares (`deno task data`,
 * `train`, `eval`, `bench`, `reproduce`, `jupyter-stress`): each declares
 * its flags once, in a table ({@link FlagTable}: kind, default, bounds,
 * description) that gives both the usage text ({@link flagUsage}) and the
 * strict parse with its checks ({@link parseCommand}); {@link commandLine}
 * prints the usage on `-h`/`--help` (exit status 0), and on a mistake
 * what was wrong, naming the flag, followed by the usage (exit status 2).
 *
 * Flags are parsed with `node:util`'s `parseArgs` because `jsr:@std/cli`
 * cannot be resolved on machines without JSR access.
 *
 * ```ts
 * import { commandLine, flagUsage, parseCommand } from "./cli_args.ts";
 * const FLAGS = {
 *   steps: { type: "integer", arg: "N", min: 1, default: 3, doc: "steps" },
 * } as const;
 * const parsed = commandLine(["--steps", "3"], {
 *   prefix: "deno task demo",
 *   usage: `usage: deno task demo [--steps N]\n\n${flagUsage(FLAGS)}`,
 *   parse: (args) => {
 *     const { help, values } = parseCommand(args, FLAGS);
 *     return { help, steps: values.steps };
 *   },
 * });
 * if (typeof parsed === "number") Deno.exit(parsed);
 * ```
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** A command-line mistake: printed with the usage, exit status 2. */
export class UsageError extends Error {
  /**
   * The command line itself is malformed (an unknown flag, a missing value,
   * a stray argument), as opposed to a bad value of a known flag.
   */
  readonly syntax: boolean;

  /** Creates the error. */
  constructor(message: string, options: { syntax?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.syntax = options.syntax ?? false;
  }
}

// The flags in `parseArgs`' form.
type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

// Every command has it; declared once so that no command can forget it.
const HELP = { help: { type: "boolean", short: "h", default: false } } as const;

/**
 * Parses `args` strictly with `node:util`'s `parseArgs`, `--help`/`-h`
 * included (`values.help`). Throws a syntax {@link UsageError} with
 * `parseArgs`' message (it names the flag) on an unknown flag, a missing
 * value or an unexpected bare argument.
 */
function parseFlags(
  args: readonly string[],
  options: FlagOptions,
  positionals: boolean,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, ...HELP },
      strict: true,
      allowPositionals: positionals,
    });
  } catch (err) {
    // Where bare arguments are allowed, parseArgs adds how to pass one that
    // starts with '-': advice about a different mistake, left out.
    throw new UsageError(
      (err as Error).message.replace(/\. To specify a positional .*$/s, ""),
      { syntax: true },
    );
  }
}

// A choice flag's text checked against its words; the mistake names both.
function choiceFlag<C extends string>(
  flag: string,
  text: string,
  choices: readonly C[],
): C {
  if (choices.includes(text as C)) return text as C;
  const allowed = choices.length === 2
    ? `'${choices[0]}' or '${choices[1]}'`
    : `one of ${choices.join(", ")}`;
  throw new UsageError(`--${flag} must be ${allowed}, got '${text}'`);
}

// ------------------------------------------------------------ flag tables

/** What every flag declares. */
interface FlagBase {
  /** The usage's description of it (wrapped by {@link flagUsage}). */
  readonly doc: string;
  /** The value's name in the usage, e.g. `DIR` (not for booleans). */
  readonly arg?: string;
  /** The default as the usage says it, when not the value itself. */
  readonly defaultText?: string;
  /** The flag, when not the name's kebab case (`relTol` → `tolerance`). */
  readonly flag?: string;
}

/** A text, e.g. a path; undefined when not given (unless a default). */
export interface StringFlag extends FlagBase {
  /** Kind of flag. */
  readonly type: "string";
  /** Default value. */
  readonly default?: string;
}

/** A text that may be given several times (the values in order). */
export interface StringsFlag extends FlagBase {
  /** Kind of flag. */
  readonly type: "strings";
}

/** Present or not (never a default other than false). */
export interface BooleanFlag extends FlagBase {
  /** Kind of flag. */
  readonly type: "boolean";
}

/** An integer in [min, max]. */
export interface IntegerFlag extends FlagBase {
  /** Kind of flag. */
  readonly type: "integer";
  /** Default value. */
  readonly default?: number;
  /** Smallest value (default: none). */
  readonly min?: number;
  /** Largest value (default: none). */
  readonly max?: number;
}

/** A finite number ≥ min (> min when `strict`). */
export interface NumberFlag extends FlagBase {
  /** Kind of flag. */
  readonly type: "number";
  /** Default value. */
  readonly default?: number;
  /** Lower bound. */
  readonly min: number;
  /** The lower bound is excluded. */
  readonly strict?: boolean;
}

/** One of a list of words. */
export interface ChoiceFlag<C extends string = string> extends FlagBase {
  /** Kind of flag. */
  readonly type: "choice";
  /** The words. */
  readonly choices: readonly C[];
  /** Default value. */
  readonly default?: C;
}

/** One flag's declaration. */
export type FlagSpec =
  | StringFlag
  | StringsFlag
  | BooleanFlag
  | IntegerFlag
  | NumberFlag
  | ChoiceFlag;

/**
 * A command's flags: camelCase name → declaration; the flag is its
 * kebab-case form (`skipData` → `--skip-data`).
 */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

type Given<S, V> = S extends { default: unknown } ? V : V | undefined;

/** The value type of a flag declaration. */
export type FlagValue<S> = S extends BooleanFlag ? boolean
  : S extends StringsFlag ? string[] | undefined
  : S extends ChoiceFlag<infer C> ? Given<S, C>
  : S extends IntegerFlag | NumberFlag ? Given<S, number>
  : Given<S, string>;

/** The checked values of a flag table, by name. */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]: FlagValue<T[K]>;
};

/**
 * The flag a table entry stands for: its `flag`, else the name in kebab
 * case (`skipData` → `skip-data`).
 */
export function flagName(name: string, spec: Partial<FlagBase> = {}): string {
  return spec.flag ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

// The value a flag's text holds, or the mistake (naming the flag).
function flagValue(flag: string, spec: FlagSpec, text: string): unknown {
  switch (spec.type) {
    case "integer": {
      const v = Number(text);
      const { min, max } = spec;
      if (
        !/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) ||
        (min !== undefined && v < min) || (max !== undefined && v > max)
      ) {
        const range = min !== undefined && max !== undefined
          ? ` in [${min}, ${max}]`
          : min !== undefined
          ? ` ≥ ${min}`
          : max !== undefined
          ? ` ≤ ${max}`
          : "";
        throw new UsageError(
          `--${flag} must be an integer${range}, got '${text}'`,
        );
      }
      return v;
    }
    case "number": {
      const v = Number(text);
      if (
        text.trim() === "" || !Number.isFinite(v) ||
        (spec.strict ? v <= spec.min : v < spec.min)
      ) {
        throw new UsageError(
          `--${flag} must be a number ${
            spec.strict ? ">" : "≥"
          } ${spec.min}, got '${text}'`,
        );
      }
      return v;
    }
    case "choice":
      return choiceFlag(flag, text, spec.choices);
    default:
      return text;
  }
}

/**
 * Parses `args` by a flag table (plus `--help`/`-h`), strictly, and checks
 * every value: integers and numbers within their bounds, choices among
 * their words; a mistake is a {@link UsageError} naming the flag. A
 * `strings` flag may be repeated (its values in order). `given`: the
 * flags on the command line (a boolean only when set).
 */
export function parseCommand<T extends FlagTable>(
  args: readonly string[],
  table: T,
  options: { positionals?: boolean } = {},
): {
  help: boolean;
  values: FlagValues<T>;
  positionals: string[];
  given: Set<keyof T & string>;
} {
  const flags = Object.entries(table).map(([name, spec]) => ({
    name,
    spec,
    flag: flagName(name, spec),
  }));
  const parseOptions: FlagOptions = {};
  for (const { spec, flag } of flags) {
    parseOptions[flag] = spec.type === "boolean"
      ? { type: "boolean", default: false }
      : { type: "string", multiple: spec.type === "strings" };
  }
  const parsed = parseFlags(args, parseOptions, options.positionals ?? false);
  const raw = parsed.values as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const given = new Set<keyof T & string>();
  for (const { name, spec, flag } of flags) {
    const text = raw[flag];
    // A boolean parseArgs defaults to false counts as given only when true.
    if (text !== undefined && text !== false) given.add(name);
    if (text === undefined) {
      values[name] = "default" in spec ? spec.default : undefined;
    } else {
      values[name] = spec.type === "boolean" || spec.type === "strings"
        ? text
        : flagValue(flag, spec, text as string);
    }
  }
  return {
    help: raw.help === true,
    // The checks above give each value its declared type.
    values: values as FlagValues<T>,
    positionals: parsed.positionals,
    given,
  };
}

// Words of `text` in lines of at most `width` characters.
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The usage lines of a flag table: `  --name ARG` padded to a column, then
 * the description (with its default) wrapped to 78 characters; last
 * `-h, --help` unless `help: false` (a table that is not the first
 * section of a usage).
 */
export function flagUsage(
  table: FlagTable,
  options: { help?: boolean } = {},
): string {
  const column = 25;
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(table)) {
    const arg = spec.arg ??
      (spec.type === "choice" ? spec.choices.join("|") : undefined);
    const left = `  --${flagName(name, spec)}${arg ? ` ${arg}` : ""}`;
    const given = "default" in spec && spec.default !== undefined
      ? String(spec.default)
      : undefined;
    const shown = spec.defaultText ?? given;
    const text = shown === undefined
      ? spec.doc
      : `${spec.doc} (default ${shown})`;
    const body = wrap(text, 78 - column);
    const first = left.length < column - 1
      ? [`${left.padEnd(column)}${body[0]}`]
      : [left, `${" ".repeat(column)}${body[0]}`];
    lines.push(...first, ...body.slice(1).map((l) => " ".repeat(column) + l));
  }
  if (options.help ?? true) {
    lines.push(`${"  -h, --help".padEnd(column)}this text`);
  }
  return lines.join("\n");
}

/** What {@link commandLine} needs. */
export interface CommandLineSpec<T extends { help: boolean }> {
  /** How an error line starts, e.g. `deno task train` or `error`. */
  prefix: string;
  /** The usage text, printed on `--help` and after a mistake. */
  usage: string;
  /** Parses and checks the arguments; throws {@link UsageError} on a mistake. */
  parse: (args: readonly string[]) => T;
  /** Where the usage goes on `--help` (default console.log). */
  out?: (text: string) => void;
  /** Where mistakes go (default console.error). */
  err?: (text: string) => void;
}

/**
 * Runs `spec.parse` on `args`. Returns the parsed arguments, or the exit
 * status when the command is done: 0 after printing the usage for
 * `--help`, 2 after printing `<prefix>: <mistake>` and the usage. Errors
 * other than {@link UsageError} propagate.
 */
export function commandLine<T extends { help: boolean }>(
  args: readonly string[],
  spec: CommandLineSpec<T>,
): T | number {
  let parsed: T;
  try {
    parsed = spec.parse(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    (spec.err ?? console.error)(
      `${spec.prefix}: ${e.message}\n\n${spec.usage}`,
    );
    return 2;
  }
  if (parsed.help) {
    (spec.out ?? console.log)(spec.usage);
    return 0;
  }
  return parsed;
}
