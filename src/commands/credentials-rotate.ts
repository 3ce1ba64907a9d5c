import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { findSecret, sendWithValue } from '../aws/find/secrets.js';
import { requireProjectTag } from '../aws/tags.js';
import { secretName } from '../blueprint/identity.js';
import { DevenvError, InterruptedError, messageOf } from '../errors.js';
import { runningDevelopers, writePasswordHashes } from '../phases/containers.js';
import { containerName } from '../remote/compose.js';
import { recreateContainer, waitUntilHealthy } from '../remote/containers.js';
import { generatePassword } from '../secrets/password.js';
import type { Reporter } from '../ui/events.js';
import { developerNamed } from './credentials.js';
import type { Session } from './session.js';

/**
 * `devenv credentials rotate <developer>`: a new password in Secrets Manager, then that developer's
 * container restarted with it through the containers phase's own path (the host reads the secret
 * and writes its hash; Compose recreates the container), so the old password stops working. Holds
 * the state lock like `up`. The host is reached before the password changes: an unreachable host
 * changes nothing. The new password is never shown; `credentials export --developer` prints it.
 */
export async function rotatePassword(session: Session, name: string, reporter: Reporter): Promise<void> {
  try {
    const developer = developerNamed(session.model, name);
    await session.verifyAccount();
    const ctx = session.context('containers');
    const secretId = secretName(session.model, name, 'password');
    const secret = await findSecret(ctx.aws.secrets, secretId);
    if (!secret) throw new DevenvError('phase', `${name} has no password secret ${secretId} to rotate`, { remedy: 'run `devenv up`: it creates the secret (with a new password)' });
    requireProjectTag(session.model.project, secret.Tags, `secret ${secretId}`);
    if (secret.DeletedDate) throw new DevenvError('phase', `${name}'s password secret ${secretId} is scheduled for deletion`, { remedy: 'run `devenv up`: it restores the secret; then rotate' });

    const hasContainer = runningDevelopers(ctx).includes(name);
    const host = hasContainer ? await ctx.ssh() : undefined;
    const password = generatePassword();
    // One token per rotation: the SDK's retries of this call then make one new version, not two.
    await sendWithValue(() => ctx.aws.secrets.send(new PutSecretValueCommand({ SecretId: secret.ARN, SecretString: password, ClientRequestToken: randomUUID() })), password);
    reporter.emit({ type: 'step', message: `stored a new password for ${name} in Secrets Manager (${secretId})` });
    const handOver = `give ${name} the new password: \`devenv credentials export --developer ${name}\``;
    if (!host) {
      reporter.emit({ type: 'warn', message: `no container of ${name} has been started yet: \`devenv up\` starts it with the new password; then ${handOver}` });
      return;
    }
    try {
      await writePasswordHashes(host, { ...session.model, developers: [developer] });
      await recreateContainer(host, name);
      await waitUntilHealthy(host, [name], { clock: ctx.clock, signal: ctx.signal, progress: (m) => ctx.report.progress(m) });
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      throw new DevenvError('phase', `${name}'s new password is in Secrets Manager, but their container still takes the old one: ${messageOf(err)}`, {
        remedy: 'fix the cause, then run `devenv phase containers` (or `devenv up`): it restarts the container with the new password',
        cause: err,
      });
    }
    reporter.emit({ type: 'step', message: `restarted ${containerName(name)} with the new password: the old one no longer logs in; ${handOver}` });
  } finally {
    await session.close();
  }
}
