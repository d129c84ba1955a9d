/**
 * The losses' options: each loss declares its options once, as a table of
 * the package's option declarations (lib/data/options.ts: type, default,
 * bounds, one line of documentation). This module adds what only the
 * losses have: hyper-parameters that may also be scalar tensors ({@link
 * param}: a tf.Variable learned elsewhere), the argument types that allow
 * them ({@link Options}), and {@link lossOptions}, which raises a
 * `LossError` naming the function and the option. The training config
 * resolves the same tables as numbers (`resolveOptions`), and
 * docs/loss_options.md is generated from them.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  type NumberSpec,
  type OptionSpec,
  type OptionTable,
  resolveOptions,
  type ValueOf,
} from "../data/mod.ts";
import { LossError, type Param } from "./types.ts";

/** The value type a loss accepts: `param` options also as scalar tensors. */
export type ArgumentOf<S> = S extends NumberSpec<true> ? Param : ValueOf<S>;

/** A loss's options argument: every option optional. */
export type Options<T extends OptionTable> = {
  [K in keyof T]?: ArgumentOf<T[K]>;
};

/** A loss's options after {@link lossOptions}: every option set. */
export type ResolvedArguments<T extends OptionTable> = {
  [K in keyof T]: ArgumentOf<T[K]>;
};

/** Declares a hyper-parameter: a number, or in the losses a scalar tensor. */
export function param(
  spec: {
    default: number;
    doc: string;
    min: number;
    strict?: boolean;
    max?: number;
    check?: OptionSpec["check"];
  },
): NumberSpec<true, number> {
  return { type: "number", ...spec, tensor: true };
}

// A scalar tensor passes for a `param` option (its value is not read: no
// device sync); anything else is the table's to judge.
function acceptTensor(
  spec: OptionSpec,
  value: unknown,
): string | null | undefined {
  if (!(value instanceof tf.Tensor) || spec.type !== "number" || !spec.tensor) {
    return undefined;
  }
  return value.rank === 0 ? null : "must be a number or a scalar tensor";
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
  const out = resolveOptions(table, input as Record<string, unknown>, {
    strict: extra === undefined ? undefined : { also: extra },
    accept: acceptTensor,
    fail: (name, problem) => {
      throw new LossError(`${fn}: option "${name}" ${problem}`);
    },
  });
  // A tensor passed only where the table takes one (acceptTensor).
  return out as ResolvedArguments<T>;
}
