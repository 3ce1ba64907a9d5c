import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { findSecret, sendWithValue } from '../aws/find/secrets.js';
import { waitFor, waitOptions } from '../aws/wait.js';
import { requireProjectTag } from '../config/tags.js';
import { secretName } from '../blueprint/identity.js';
import type { Model } from '../config/model.js';
import { DevenvError, InterruptedError, messageOf } from '../errors.js';
import { runningDevelopers, writePasswordHashes } from '../phases/containers.js';
import { recordedLogGroups } from '../phases/monitoring/logs.js';
import { containerName } from '../remote/compose.js';
import { configureLogShipping } from '../remote/cloudwatch-agent.js';
import {
  containerStates,
  hostHasPassword,
  recreateContainer,
  waitUntilHealthy,
  type HealthWait,
} from '../remote/containers.js';
import type { RemoteHost } from '../remote/host.js';
import { generatePassword } from '../secrets/password.js';
import type { Reporter } from '../ui/events.js';
import { developerNamed } from './credentials-export.js';
import type { Session } from './session.js';

/**
 * `devenv credentials rotate <developer>`: a new password in Secrets Manager, then that developer's
 * container restarted with it through the containers phase's own path (the host reads the secret
 * and writes its hash; Compose recreates the container), so the old password stops working. Holds
 * the state lock like `up`. The host is reached before the password changes: an unreachable host
 * changes nothing. The new password is never shown; `credentials export --developer` prints it.
 */
export async function rotatePassword(session: Session, name: string, reporter: Reporter): Promise<void> {
  const developer = developerNamed(session.model, name);
  await session.verifyAccount();
  const ctx = session.context('containers');
  const secretId = secretName(session.model, name, 'password');
  const secret = await findSecret(ctx.aws.secrets, secretId);
  if (!secret)
    throw new DevenvError('phase', `${name} has no password secret ${secretId} to rotate`, {
      remedy: 'run `devenv up`: it creates the secret (with a new password)',
    });
  requireProjectTag(session.model.project, secret.Tags, `secret ${secretId}`);
  if (secret.DeletedDate)
    throw new DevenvError('phase', `${name}'s password secret ${secretId} is scheduled for deletion`, {
      remedy: 'run `devenv up`: it restores the secret; then rotate',
    });

  const hasContainer = runningDevelopers(ctx).includes(name);
  const host = hasContainer ? await ctx.ssh() : undefined;
  const password = generatePassword();
  // One token per rotation: the SDK's retries of this call then make one new version, not two.
  await sendWithValue(
    () =>
      ctx.aws.secrets.send(
        new PutSecretValueCommand({ SecretId: secret.ARN, SecretString: password, ClientRequestToken: randomUUID() }),
      ),
    password,
  );
  reporter.emit({ type: 'step', message: `stored a new password for ${name} in Secrets Manager (${secretId})` });
  const handOver = `give ${name} the new password: \`devenv credentials export --developer ${name}\``;
  if (!host) {
    reporter.emit({
      type: 'warn',
      message:
        `the containers phase has not started ${name}'s container, so none was restarted: \`devenv up\` ` +
        `(or \`devenv phase containers\`) gives it the new password; then ${handOver}`,
    });
    return;
  }
  try {
    await restartWithPassword(host, { ...session.model, developers: [developer] }, password, {
      ...waitOptions(ctx),
    });
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    throw new DevenvError(
      'phase',
      `${name}'s new password is in Secrets Manager, but their container still takes the old one: ${messageOf(err)}`,
      {
        remedy:
          'fix the cause, then run `devenv phase containers` (or `devenv up`): it restarts the container with ' +
          'the new password',
        cause: err,
      },
    );
  }
  reporter.emit({
    type: 'step',
    message: `restarted ${containerName(name)} with the new password: the old one no longer logs in; ${handOver}`,
  });
  await shipNewLogFile(host, session.model, recordedLogGroups(ctx), reporter);
}

/**
 * Compose made a new container, with a new log file: the CloudWatch agent is pointed at it (a failure here leaves the
 * password rotated).
 */
async function shipNewLogFile(
  host: RemoteHost,
  model: Model,
  groups: ReadonlySet<string>,
  reporter: Reporter,
): Promise<void> {
  try {
    reporter.emit({
      type: 'step',
      message: await configureLogShipping(
        host,
        model,
        await containerStates(
          host,
          model.developers.map((d) => d.name),
        ),
        groups,
      ),
    });
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    reporter.emit({
      type: 'warn',
      message:
        `the CloudWatch agent may still ship the old container's log file (${messageOf(err)}): \`devenv ` +
        `up\` points it at the new one`,
    });
  }
}

/** How long the host may go on reading the previous version of a secret just written. */
const NEW_VERSION_TIMEOUT_MS = 60_000;

/**
 * On the host, for the one developer in `model`: their env file rewritten from the password the
 * host reads in Secrets Manager, then their container recreated and healthy. The host reads the
 * secret itself, and until it reads the new version a restart would bring the old password back:
 * so the hash is written again until the host's digest matches the new password.
 */
export async function restartWithPassword(
  host: RemoteHost,
  model: Pick<Model, 'project' | 'region' | 'developers'>,
  password: string,
  o: HealthWait,
): Promise<void> {
  const [{ name }] = model.developers;
  await waitFor(
    async () => {
      // Only this developer: the others' secrets on the host are left as they are. Their API key is read again too.
      await writePasswordHashes(host, model, { prune: false });
      return {
        done: await hostHasPassword(host, name, password),
        value: undefined,
        seen: 'the host still reads the previous version of the secret',
      };
    },
    {
      what: `the host to read ${name}'s new password`,
      timeoutMs: NEW_VERSION_TIMEOUT_MS,
      intervalMs: 5_000,
      clock: o.clock,
      signal: o.signal,
      progress: o.progress,
    },
  );
  await recreateContainer(host, name);
  await waitUntilHealthy(host, [name], o);
}
