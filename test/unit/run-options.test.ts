import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { APPLY_FLAGS, DESTROY_FLAGS, flagValues, withFlags, type FlagTable } from '../../src/run-options.js';

/** What a command made from a table gives for these arguments, by the table's keys. */
function parse(flags: FlagTable, args: string[]) {
  const command = withFlags(new Command('x').exitOverride(), flags);
  command.parse(args, { from: 'user' });
  return flagValues(flags, command.opts());
}

describe('flags declared once (src/run-options.ts)', () => {
  it('every flag of up and phase reaches the run option of its name; the others are false or absent', () => {
    expect(parse(APPLY_FLAGS, [])).toEqual({
      replaceHost: false,
      adoptDataVolume: undefined,
      newDataVolume: false,
      acceptNewHostKey: false,
      purgeRemoved: false,
      rotateClientSecret: false,
      takeOverDns: false,
      resolve: undefined,
    });
    expect(
      parse(APPLY_FLAGS, [
        '--replace-host',
        '--adopt-data-volume',
        'vol-0123456789abcdef0',
        '--new-data-volume',
        '--accept-new-host-key',
        '--purge-removed',
        '--rotate-client-secret',
        '--take-over-dns',
        '--resolve',
        '192.0.2.10',
      ]),
    ).toEqual({
      replaceHost: true,
      adoptDataVolume: 'vol-0123456789abcdef0',
      newDataVolume: true,
      acceptNewHostKey: true,
      purgeRemoved: true,
      rotateClientSecret: true,
      takeOverDns: true,
      resolve: '192.0.2.10',
    });
  });

  it('destroy --no-final-snapshot is the run option noFinalSnapshot, false unless given', () => {
    expect(parse(DESTROY_FLAGS, [])).toEqual({ deleteData: false, noFinalSnapshot: false, forceDeleteSecrets: false });
    expect(parse(DESTROY_FLAGS, ['--delete-data', '--no-final-snapshot', '--force-delete-secrets'])).toEqual({
      deleteData: true,
      noFinalSnapshot: true,
      forceDeleteSecrets: true,
    });
  });

  it('a flag with a default has it unless given; one with choices refuses any other value', () => {
    const table = {
      format: { flag: '--format <f>', description: 'the format', choices: ['txt', 'json'], default: 'txt' },
      out: { flag: '--out <dir>', description: 'where' },
    } as const satisfies FlagTable;
    expect(parse(table, [])).toEqual({ format: 'txt', out: undefined });
    expect(parse(table, ['--format', 'json', '--out', 'd'])).toEqual({ format: 'json', out: 'd' });
    const command = withFlags(new Command('x').exitOverride().configureOutput({ writeErr: () => undefined }), table);
    expect(() => command.parse(['--format', 'yaml'], { from: 'user' })).toThrow(/yaml.*Allowed choices are txt, json/);
    expect(command.helpInformation().replace(/\s+/g, ' ')).toContain(
      'the format (choices: "txt", "json", default: "txt")',
    );
  });

  it('each flag has its help line', () => {
    const help = withFlags(new Command('x'), { ...APPLY_FLAGS, ...DESTROY_FLAGS }).helpInformation();
    for (const { flag, description } of Object.values({ ...APPLY_FLAGS, ...DESTROY_FLAGS })) {
      expect(help).toContain(flag);
      expect(help.replace(/\s+/g, ' ')).toContain(description.split(' ').slice(0, 4).join(' '));
    }
  });
});
