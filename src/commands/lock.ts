import { hostname } from 'node:os';
import { breakLock, describeLock, isStale, lockAge, readBroken, readLock } from '../aws/s3/state-lock.js';
import { s3Url } from '../aws/s3/state-object.js';
import { configError, DevenvError } from '../errors.js';
import { ask } from '../ui/prompt.js';
import type { Io } from '../ui/io.js';
import { callerName } from './clients.js';
import { withS3, type StateCommandOptions } from './state.js';

/** `devenv lock status`: who holds the state's lock in S3, since when, whether it is stale; the last forced release. */
export function lockStatus(o: StateCommandOptions, json: boolean): Promise<string> {
  return withS3(o, async ({ loc, aws }) => {
    const s3 = await aws.s3In(loc.region);
    const [held, broken] = await Promise.all([readLock(s3, loc), readBroken(s3, loc)]);
    if (json) {
      const lock = held && { ...held.record, stale: isStale(held.record), ageSeconds: lockAge(held.record) / 1000 };
      return JSON.stringify({ state: s3Url(loc), locked: Boolean(held), lock, lastForcedRelease: broken });
    }
    const lines = [held ? `${s3Url(loc)} is locked by ${describeLock(held.record)}` : `${s3Url(loc)} is not locked`];
    if (broken) lines.push(`last forced release: by ${broken.by} on ${broken.host} at ${broken.at}`);
    return lines.join('\n');
  });
}

/**
 * `devenv lock release --force`: deletes a lock another run holds (asks unless --yes), and records
 * who broke it, when, and the lock it broke in `<key>.lock.broken`.
 */
export function releaseLock(o: StateCommandOptions, f: { force: boolean; yes: boolean; io: Io }): Promise<void> {
  return withS3(o, async ({ config, loc, aws }) => {
    if (!f.force) {
      throw configError(
        'lock release breaks a lock another run may still hold: it needs --force',
        'check with `devenv lock status` that its holder is gone (or stale), then pass --force',
      );
    }
    const s3 = await aws.s3In(loc.region);
    const held = await readLock(s3, loc);
    if (!held) {
      o.reporter.emit({ type: 'step', message: `${s3Url(loc)} is not locked: nothing to release` });
      return;
    }
    const holder = describeLock(held.record);
    if (!f.yes) {
      const answer = await ask(f.io, `Break the lock held by ${holder}? Type yes to confirm: `, 'lock release');
      if (answer.trim() !== 'yes') throw new DevenvError('phase', 'lock release cancelled: the lock is kept');
    }
    const by = await callerName(aws, o.env);
    o.audit?.arm({ config, statePath: o.statePath, who: by });
    await breakLock(s3, loc, { by, host: hostname(), at: new Date().toISOString(), lock: held.record });
    o.reporter.emit({
      type: 'step',
      message: `released the lock held by ${holder}; recorded as broken by ${by} in ${s3Url(loc)}.lock.broken`,
    });
  });
}
