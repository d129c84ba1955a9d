/**
 * The preamble every command line of the package shares (`deno task data`,
 * `train`, `eval`, `bench`, `reproduce`, `jupyter-stress`): parse the flags
 * strictly, print the usage on `-h`/`--help` (exit status 0), and on a
 * mistake print what was wrong, naming the flag, followed by the usage
 * (exit status 2).
 *
 * Flags are parsed with `node:util`'s `parseArgs` because `jsr:@std/cli`
 * cannot be resolved on machines without JSR access.
 *
 * ```ts
 * import { commandLine, intFlag, parseFlags } from "./cli_args.ts";
 * const parsed = commandLine(["--steps", "3"], {
 *   prefix: "deno task demo",
 *   usage: "usage: deno task demo [--steps N]",
 *   parse: (args) => {
 *     const { values } = parseFlags(args, { options: { steps: { type: "string" } } });
 *     return { help: values.help, steps: intFlag("steps", values.steps) };
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
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The flags a command declares, in `parseArgs`' form. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

// Every command has it; declared once so that no command can forget it.
const HELP = { help: { type: "boolean", short: "h", default: false } } as const;

/** What {@link parseFlags} parses. */
export interface FlagsSpec<O extends FlagOptions> {
  /** The flags (`--help`/`-h` is added). */
  options: O;
  /** Whether bare arguments are allowed (default false). */
  positionals?: boolean;
}

/**
 * Parses `args` strictly with `node:util`'s `parseArgs`, `--help`/`-h`
 * included (`values.help`). Throws a {@link UsageError} with `parseArgs`'
 * message (it names the flag) on an unknown flag, a missing value or an
 * unexpected bare argument.
 */
export function parseFlags<O extends FlagOptions>(
  args: readonly string[],
  spec: FlagsSpec<O>,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...spec.options, ...HELP },
      strict: true,
      allowPositionals: spec.positionals ?? false,
    });
  } catch (err) {
    // Where bare arguments are allowed, parseArgs adds how to pass one that
    // starts with '-': advice about a different mistake, left out.
    throw new UsageError(
      (err as Error).message.replace(/\. To specify a positional .*$/s, ""),
    );
  }
}

/**
 * The integer a flag's text holds (undefined when the flag was not given).
 * Throws a {@link UsageError} naming the flag on anything else, or on a
 * value below `options.min`.
 */
export function intFlag(
  name: string,
  text: string | undefined,
  options: { min?: number } = {},
): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  const { min } = options;
  if (
    !/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) ||
    (min !== undefined && v < min)
  ) {
    throw new UsageError(
      `--${name} must be an integer${
        min === undefined ? "" : ` ≥ ${min}`
      }, got '${text}'`,
    );
  }
  return v;
}

/**
 * A flag's text checked against its allowed values (undefined when the flag
 * was not given). Throws a {@link UsageError} naming the flag and the
 * choices otherwise.
 */
export function choiceFlag<C extends string>(
  name: string,
  text: string | undefined,
  options: { choices: readonly C[] },
): C | undefined {
  const { choices } = options;
  if (text === undefined || choices.includes(text as C)) {
    return text as C | undefined;
  }
  const allowed = choices.length === 2
    ? `'${choices[0]}' or '${choices[1]}'`
    : `one of ${choices.join(", ")}`;
  throw new UsageError(`--${name} must be ${allowed}, got '${text}'`);
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
