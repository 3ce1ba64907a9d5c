import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DevenvError, ExitCode } from '../../src/errors.js';
import { baseConfig } from './context.js';

/** The test config with these keys replaced, parsed as devenv parses a config file. */
export const parseWith = (overrides: Record<string, unknown>) =>
  parseConfig(JSON.stringify({ ...baseConfig, ...overrides }), 'test.json');

/** What devenv says of a config it refuses (bad input, exit 2); fails the test when it is accepted. */
export function problemsWith(overrides: Record<string, unknown>): string {
  try {
    parseWith(overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).exitCode).toBe(ExitCode.badInput);
    return (err as Error).message;
  }
  throw new Error('config was accepted');
}
