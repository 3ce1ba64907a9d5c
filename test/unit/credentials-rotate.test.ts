/**
 * `credentials rotate` on the host: the container is recreated only once the host reads the new
 * password (its digest matches), since a restart before that would bring the old password back.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { restartWithPassword } from '../../src/commands/credentials-rotate.js';
import type { RemoteHost } from '../../src/remote/host.js';
import { fakeClock, testContext } from '../helpers/context.js';

const PASSWORD = 'Nw4pX2mN9vR4tL8wZ3cB6hJ1';

/** A host whose `aws secretsmanager get-secret-value` returns the new version from the `readsNewFrom`-th read on. */
function fakeHost(readsNewFrom: number) {
  const calls: string[] = [];
  let reads = 0;
  const host = {
    runScript: async (name: string, script: string) => {
      calls.push(
        `${name}: ${script.match(/^DEVELOPER_SECRETS=(.*)$/m)?.[1]} prune=${script.match(/^PRUNE=(.*)$/m)?.[1]}`,
      );
      reads++;
      return '';
    },
    sudo: async (command: string, o: { stdin?: string }) => {
      if (!command.startsWith('read -r want;')) throw new Error(`unexpected command ${command}`);
      calls.push('compare digest');
      const hostDigest = createHash('sha256')
        .update(reads >= readsNewFrom ? PASSWORD : 'the old password')
        .digest('hex');
      return { code: o.stdin === `${hostDigest}\n` ? 0 : 1, stdout: '', stderr: '' };
    },
    check: async (what: string) => {
      calls.push(what);
      return what === 'listing the containers'
        ? 'alice 0a1b2c 0 /var/lib/docker/containers/0a1b2c/0a1b2c-json.log running healthy\n'
        : '';
    },
  };
  return { host: host as unknown as RemoteHost, calls };
}

describe('restartWithPassword', () => {
  it('writes the hash again until the host reads the new version, then recreates only that container', async () => {
    const ctx = await testContext('containers');
    const alice = ctx.model.developers.filter((d) => d.name === 'alice');
    const { host, calls } = fakeHost(2);
    const clock = fakeClock();
    await restartWithPassword(host, { ...ctx.model, developers: alice }, PASSWORD, {
      clock,
      signal: ctx.signal,
      progress: () => undefined,
    });
    expect(calls).toEqual([
      // alice alone (no API key in this config): the other developers' secrets on the host are not pruned.
      "developer-secrets.sh: 'alice demo/alice/password -' prune='false'",
      'compare digest',
      "developer-secrets.sh: 'alice demo/alice/password -' prune='false'",
      'compare digest',
      'restarting code-server-alice',
      'listing the containers',
    ]);
    expect(clock.slept).toEqual([5_000]);
  });

  it('gives up after a minute without restarting anything when the host keeps reading the old version', async () => {
    const ctx = await testContext('containers');
    const { host, calls } = fakeHost(Infinity);
    const attempt = restartWithPassword(
      host,
      { ...ctx.model, developers: ctx.model.developers.slice(0, 1) },
      PASSWORD,
      { clock: fakeClock(), signal: ctx.signal, progress: () => undefined },
    );
    await expect(attempt).rejects.toThrow(
      /timed out after 1m00s waiting for the host to read alice's new password \(last seen: the host still reads the previous version of the secret\)/,
    );
    expect(calls.filter((c) => c.startsWith('restarting'))).toEqual([]);
  });
});
