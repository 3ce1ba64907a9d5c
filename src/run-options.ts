/**
 * The flags that change what a phase may do, each declared here alone: the CLI makes its options
 * from these tables, `RunOptions` is their type, and the values commander parses map onto it.
 */

import { Option, type Command } from 'commander';

/**
 * One flag as commander spells it (`--name`, `--name <value>`, `--no-name`) with its help line; a flag taking a
 * value may name the only values it takes and the one it has when not given.
 */
export interface FlagSpec {
  readonly flag: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly default?: string;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** A flag taking a value gives a string (one of its choices, when it has some); any other flag, a boolean. */
type FlagValue<F extends FlagSpec> = F['flag'] extends `${string}<${string}>`
  ? F extends { choices: readonly (infer C)[] }
    ? C
    : string
  : boolean;

/** Whether the flag always has a value: a boolean one (false unless given), or one with a default. */
type Always<F extends FlagSpec> = F extends { default: string } ? true : FlagValue<F> extends boolean ? true : false;

/** What a table's flags gave, by the table's keys; a flag taking a value without a default may be absent. */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T as Always<T[K]> extends true ? K : never]: FlagValue<T[K]>;
} & { -readonly [K in keyof T as Always<T[K]> extends true ? never : K]?: FlagValue<T[K]> };

/** Adds a table's flags to a command: a boolean one is false unless given (true for a `--no-…` one). */
export function withFlags(command: Command, flags: FlagTable): Command {
  for (const spec of Object.values(flags)) {
    const option = new Option(spec.flag, spec.description);
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(spec.default);
    else if (option.isBoolean()) option.default(false);
    command.addOption(option);
  }
  return command;
}

/** The values commander parsed for a table's flags, by the table's keys (`--no-final-snapshot` → noFinalSnapshot). */
export function flagValues<T extends FlagTable>(flags: T, parsed: Record<string, unknown>): FlagValues<T> {
  return Object.fromEntries(
    Object.entries(flags).map(([key, { flag }]) => {
      const option = new Option(flag);
      const value = parsed[option.attributeName()];
      return [key, option.negate ? !value : value];
    }),
  ) as FlagValues<T>;
}

/** Flags of `up` and `phase`. */
export const APPLY_FLAGS = {
  replaceHost: {
    flag: '--replace-host',
    description:
      'allow replacing the host when its instance type or AMI changed ' +
      '(the data volume moves over; the old host goes once the new one works)',
  },
  adoptDataVolume: {
    flag: '--adopt-data-volume <vol-id>',
    description: 'take this volume (restored from a backup) as the data volume; the current one is detached and kept',
  },
  newDataVolume: { flag: '--new-data-volume', description: 'accept an empty data volume in place of a missing one' },
  acceptNewHostKey: {
    flag: '--accept-new-host-key',
    description:
      "trust the host's SSH key when nothing vouches for it (its console never showed it, ssh.host) " +
      'or it differs from the one expected; only for a key you have checked',
  },
  purgeRemoved: {
    flag: '--purge-removed',
    description: 'delete the data folders (and Cognito users) of developers removed from the config',
  },
  rotateClientSecret: {
    flag: '--rotate-client-secret',
    description:
      "with auth.provider oidc: send the client secret to every developer's rule again (after you changed it at " +
      'the provider: the load balancer never shows the one it has)',
  },
  takeOverDns: { flag: '--take-over-dns', description: "overwrite a developer's DNS record that devenv did not make" },
  resolve: {
    flag: '--resolve <ip>',
    description:
      "test phase: connect to the load balancer at this address (as curl's --resolve), " +
      'before public DNS has the names',
  },
} as const satisfies FlagTable;

/** Flags of `destroy`. */
export const DESTROY_FLAGS = {
  deleteData: { flag: '--delete-data', description: 'also delete the data volume (a final snapshot is taken first)' },
  noFinalSnapshot: { flag: '--no-final-snapshot', description: 'with --delete-data: skip the final snapshot' },
  forceDeleteSecrets: {
    flag: '--force-delete-secrets',
    description: 'delete secrets at once, without the recovery window',
  },
} as const satisfies FlagTable;

/** The flags of this run that change what a phase may do. */
export type RunOptions = Partial<FlagValues<typeof APPLY_FLAGS> & FlagValues<typeof DESTROY_FLAGS>>;
