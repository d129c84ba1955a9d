/**
 * Input checks shared by the spec builders: every problem becomes a
 * {@link PlotInputError} that names the builder, the field and the option
 * that selects it, so a typo in a column name is found before Vega draws an
 * empty chart.
 *
 * @module
 */

/** Bad rows or options passed to a chart builder. */
export class PlotInputError extends Error {
  /** Creates the error; `message` already names builder and field. */
  constructor(message: string) {
    super(message);
    this.name = "PlotInputError";
  }
}

/** Where a field comes from, for error messages. */
export interface FieldRef {
  /** Builder name, e.g. `"trainingCurves"`. */
  builder: string;
  /** Field name in the rows. */
  field: string;
  /** Option that names the field, e.g. `"loss"` for `options.loss`. */
  option: string;
}

/** Throws unless `rows` is a non-empty array of objects. */
export function checkRows(
  rows: readonly object[],
  builder: string,
): readonly Record<string, unknown>[] {
  if (!Array.isArray(rows)) {
    throw new PlotInputError(`${builder}: rows must be an array of records`);
  }
  if (rows.length === 0) {
    throw new PlotInputError(`${builder}: rows is empty, nothing to plot`);
  }
  rows.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new PlotInputError(
        `${builder}: row ${i} is ${JSON.stringify(row)}, expected a record`,
      );
    }
  });
  return rows as readonly Record<string, unknown>[];
}

/** True when at least one row has a non-null value for `field`. */
export function hasField(
  rows: readonly Record<string, unknown>[],
  field: string,
): boolean {
  return rows.some((r) => r[field] !== undefined && r[field] !== null);
}

function missingEverywhere(
  rows: readonly Record<string, unknown>[],
  ref: FieldRef,
): PlotInputError {
  const seen = new Set<string>();
  for (const r of rows.slice(0, 20)) {
    for (const k of Object.keys(r)) seen.add(k);
  }
  return new PlotInputError(
    `${ref.builder}: field "${ref.field}" (options.${ref.option}) is missing ` +
      `from every row; rows have: ${[...seen].join(", ") || "(no fields)"}`,
  );
}

/**
 * Reads a numeric column. `required: "all"` demands a finite number in every
 * row; `"some"` allows null/undefined in some rows (returned as `undefined`,
 * e.g. recall logged less often than loss) but not in all of them. Present
 * values must be finite numbers; `positive` also demands > 0 (log scales).
 */
export function numberColumn(
  rows: readonly Record<string, unknown>[],
  ref: FieldRef & { required: "all" | "some"; positive?: boolean },
): (number | undefined)[] {
  if (!hasField(rows, ref.field)) throw missingEverywhere(rows, ref);
  return rows.map((r, i) => {
    const v = r[ref.field];
    if (v === undefined || v === null) {
      if (ref.required === "all") {
        throw new PlotInputError(
          `${ref.builder}: field "${ref.field}" (options.${ref.option}) ` +
            `is missing in row ${i}`,
        );
      }
      return undefined;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new PlotInputError(
        `${ref.builder}: field "${ref.field}" in row ${i} is ` +
          `${typeof v === "number" ? String(v) : JSON.stringify(v)}, ` +
          `expected a finite number`,
      );
    }
    if (ref.positive && !(v > 0)) {
      throw new PlotInputError(
        `${ref.builder}: field "${ref.field}" in row ${i} is ${v}, but a log ` +
          `scale needs values > 0`,
      );
    }
    return v;
  });
}

/**
 * Reads a grouping column (run, method, dataset…) as strings; numbers are
 * stringified. Every row must have a value.
 */
export function keyColumn(
  rows: readonly Record<string, unknown>[],
  ref: FieldRef,
): string[] {
  if (!hasField(rows, ref.field)) throw missingEverywhere(rows, ref);
  return rows.map((r, i) => {
    const v = r[ref.field];
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    if (typeof v === "boolean") return String(v);
    throw new PlotInputError(
      `${ref.builder}: field "${ref.field}" (options.${ref.option}) in row ` +
        `${i} is ${v === undefined ? "missing" : JSON.stringify(v)}, ` +
        `expected a string`,
    );
  });
}

/**
 * A grouping column that may be absent: when the caller named the field
 * explicitly it must exist (typo guard); when it is only the default and no
 * row has it, the chart has a single group and this returns `undefined`.
 */
export function optionalKeyColumn(
  rows: readonly Record<string, unknown>[],
  ref: FieldRef & { explicit: boolean },
): string[] | undefined {
  if (!ref.explicit && !hasField(rows, ref.field)) return undefined;
  return keyColumn(rows, ref);
}

/** What {@link BuilderRows.intervals} reads. */
export interface Intervals<R extends "all" | "some"> {
  /** Field of the interval's lower end. */
  loField: string;
  /** Field of its upper end. */
  hiField: string;
  /** Lower ends per row (undefined: no intervals). */
  los?: (R extends "all" ? number : number | undefined)[];
  /** Upper ends per row. */
  his?: (R extends "all" ? number : number | undefined)[];
}

/** The options of `O` whose value is a field name (a string). */
export type FieldOption<O> = Extract<
  { [K in keyof O]-?: NonNullable<O[K]> extends string ? K : never }[keyof O],
  string
>;

/**
 * A builder's rows, checked by {@link checkRows}, with the column readers
 * bound to the builder's name (which every error message starts with) and to
 * its options. A column is named by the option that selects its field: the
 * field is `options[option]` when the caller set it, else the option's own
 * name (`options.step ?? "step"`), unless a reader says another default.
 */
export class BuilderRows<O extends object> {
  /** The rows as records. */
  readonly records: readonly Record<string, unknown>[];

  /** Checks `rows` for `builder`, whose options are `options`. */
  constructor(
    rows: readonly object[],
    readonly builder: string,
    readonly options: O,
  ) {
    this.records = checkRows(rows, builder);
  }

  /**
   * The field that `option` selects: `options[option]`, else `fallback`
   * (default: the option's name). Throws unless a set value is a non-empty
   * string.
   */
  field(option: FieldOption<O>, fallback: string = option): string {
    const value = (this.options as Record<string, unknown>)[option];
    if (value === undefined) return fallback;
    if (typeof value !== "string" || value === "") {
      throw this.error(
        `options.${option} must name a field, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  /** Whether the caller set `option` (then its field must be in the rows). */
  named(option: FieldOption<O>): boolean {
    return (this.options as Record<string, unknown>)[option] !== undefined;
  }

  /**
   * Whether an optional column is to be read: the caller set `option`, or
   * some row has its default field.
   */
  wants(option: FieldOption<O>): boolean {
    return this.named(option) || this.has(this.field(option));
  }

  /** A number in every row ({@link numberColumn}, `required: "all"`). */
  numbers(option: FieldOption<O>, ref: { positive?: boolean } = {}): number[] {
    return this.#numbers(option, { ...ref, required: "all" }) as number[];
  }

  /** A number in some rows ({@link numberColumn}, `required: "some"`). */
  someNumbers(
    option: FieldOption<O>,
    ref: { positive?: boolean } = {},
  ): (number | undefined)[] {
    return this.#numbers(option, { ...ref, required: "some" });
  }

  #numbers(
    option: FieldOption<O>,
    ref: { positive?: boolean; required: "all" | "some" },
  ): (number | undefined)[] {
    return numberColumn(this.records, {
      builder: this.builder,
      field: this.field(option),
      option,
      ...ref,
    });
  }

  /**
   * The interval columns: fields of `options.lo` and `options.hi` (default
   * "lo", "hi"), read (lo first) when either option is set or either field
   * is in the rows, else undefined; `required` as in {@link numberColumn}.
   */
  intervals<R extends "all" | "some">(
    this: BuilderRows<{ lo?: string; hi?: string }>,
    required: R,
  ): Intervals<R> {
    const loField = this.field("lo");
    const hiField = this.field("hi");
    const wanted = this.wants("lo") || this.wants("hi");
    const read = (option: "lo" | "hi") =>
      wanted
        ? this.#numbers(option, { required }) as Intervals<R>["los"]
        : undefined;
    return { loField, hiField, los: read("lo"), his: read("hi") };
  }

  /** {@link keyColumn} of `option`'s field. */
  keys(option: FieldOption<O>): string[] {
    return keyColumn(this.records, {
      builder: this.builder,
      field: this.field(option),
      option,
    });
  }

  /**
   * {@link optionalKeyColumn} of `option`'s field, `fallback` when unset
   * (default: the option's name).
   */
  optionalKeys(
    option: FieldOption<O>,
    fallback: string = option,
  ): string[] | undefined {
    return optionalKeyColumn(this.records, {
      builder: this.builder,
      field: this.field(option, fallback),
      option,
      explicit: this.named(option),
    });
  }

  /** {@link checkPositiveInt} of `options.<option>`. */
  positiveInt(value: number, option: string): number {
    return checkPositiveInt(value, { builder: this.builder, option });
  }

  /** {@link hasField}. */
  has(field: string): boolean {
    return hasField(this.records, field);
  }

  /** An error whose message starts with the builder's name. */
  error(message: string): PlotInputError {
    return new PlotInputError(`${this.builder}: ${message}`);
  }
}

/** Distinct values in first-appearance order (the order charts use). */
export function uniqueInOrder<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Throws unless `value` is a positive integer. */
export function checkPositiveInt(
  value: number,
  ref: { builder: string; option: string },
): number {
  const { builder, option } = ref;
  if (!Number.isInteger(value) || value <= 0) {
    throw new PlotInputError(
      `${builder}: options.${option} must be a positive integer, got ${value}`,
    );
  }
  return value;
}
