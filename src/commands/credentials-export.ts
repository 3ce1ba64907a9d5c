import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSecretValues, type SecretReadError } from '../aws/find/secrets.js';
import { secretName } from '../blueprint/identity.js';
import { identityOf } from '../blueprint/sign-in.js';
import { useInstead, guessFor } from '../config/issues.js';
import type { Developer, Model } from '../config/model.js';
import { configError, DevenvError } from '../errors.js';
import { removeOnExit, writeOwnerOnlyFile } from '../files.js';
import {
  COMBINED_CSV,
  credentialFileName,
  renderCredential,
  renderCsv,
  type Credential,
  type CredentialFormat,
  type SignIn,
} from '../secrets/credential-files.js';
import { runningDevelopers } from '../phases/containers.js';
import type { Reporter } from '../ui/events.js';
import type { Session } from './session.js';

export const DEFAULT_CREDENTIALS_DIR = 'credentials';

export interface ExportOptions {
  /** The folder for the files; `./credentials` when absent. */
  out?: string;
  force: boolean;
  /** Print this developer's login to stdout instead of writing files. */
  developer?: string;
  format: CredentialFormat;
}

/** A developer of the config by name; an unknown name is bad input, with the name probably meant. */
export function developerNamed(model: Pick<Model, 'developers'>, name: string): Developer {
  const found = model.developers.find((d) => d.name === name);
  if (found) return found;
  const names = model.developers.map((d) => d.name);
  throw configError(`no developer "${name}" in the config${guessFor(name, names)}`, useInstead(name, names));
}

const passwordSecret = (model: Model, developer: string) => secretName(model, developer, 'password');

/**
 * `devenv credentials export`: every developer's login from Secrets Manager, written as one file
 * each and a combined CSV (0600, in a 0700 folder), or one developer's printed to stdout. Read-only
 * on AWS and takes no lock, like `status`. Every check on the flags and the files comes before the
 * first AWS call, and every password is read before the first file is written: a refusal or a
 * missing secret writes nothing.
 */
export async function exportCredentials(
  session: Session,
  o: ExportOptions,
  stdout: NodeJS.WritableStream,
  reporter: Reporter,
): Promise<void> {
  if (o.developer !== undefined) {
    if (o.out !== undefined || o.force)
      throw configError(
        '--developer prints to stdout and writes no file, so it takes neither --out nor --force',
        "leave out --developer to write the files, or --out/--force to print one developer's login",
      );
    const developer = developerNamed(session.model, o.developer);
    await session.verifyAccount();
    const [credential] = await readCredentials(session.aws.secrets, session.model, [developer]);
    stdout.write(renderCredential(credential, o.format));
    return;
  }
  const dir = resolve(o.out ?? DEFAULT_CREDENTIALS_DIR);
  const names = [...session.model.developers.map((d) => credentialFileName(d.name, o.format)), COMBINED_CSV];
  await checkTarget(dir, names, o.force);
  await session.verifyAccount();
  const credentials = await readCredentials(session.aws.secrets, session.model, session.model.developers);
  const files = new Map(
    credentials.map((c) => [credentialFileName(c.developer, o.format), renderCredential(c, o.format)]),
  );
  files.set(COMBINED_CSV, renderCsv(credentials));
  await writeFiles(dir, files, o.force);
  reporter.emit({
    type: 'step',
    message:
      `wrote the logins of ${credentials.length} developer${credentials.length === 1 ? '' : 's'} ` +
      `to ${dir} (files 0600, folder 0700): ${[...files.keys()].join(', ')}`,
  });
  if (session.config.auth.password)
    reporter.emit({
      type: 'warn',
      message: 'these files hold passwords: give each developer their own file only, then delete them',
    });
  const started = runningDevelopers(session);
  for (const d of session.model.developers.filter((x) => !started.includes(x.name)))
    reporter.emit({
      type: 'warn',
      message:
        `${d.name} has no container yet (the containers phase has not started it): ${d.url} answers once ` +
        `\`devenv up\` has`,
    });
}

async function readCredentials(
  sm: Session['aws']['secrets'],
  model: Model,
  developers: Developer[],
): Promise<Credential[]> {
  const signIn = (d: Developer) => signInFor(model, d);
  if (!model.config.auth.password)
    return developers.map((d) => ({ developer: d.name, url: d.url, username: d.name, signIn: signIn(d) }));
  const ids = developers.map((d) => passwordSecret(model, d.name));
  const { values, errors } = await readSecretValues(sm, ids);
  const problems = developers.flatMap((d, i) =>
    values.has(ids[i]) ? [] : [unreadable(d.name, ids[i], errors.get(ids[i]))],
  );
  if (problems.length > 0) {
    throw new DevenvError('phase', `cannot export: ${problems.map((p) => p.message).join('; ')}; nothing was written`, {
      remedy: [...new Set(problems.map((p) => p.remedy))].join('; '),
    });
  }
  return developers.map((d, i) => ({
    developer: d.name,
    url: d.url,
    username: d.name,
    password: values.get(ids[i])!,
    ...(signIn(d) ? { signIn: signIn(d) } : {}),
  }));
}

/** Where and as whom a developer signs in at the load balancer; `undefined` with code-server's password alone. */
function signInFor(model: Model, d: Developer): SignIn | undefined {
  const { provider, oidc, cognito } = model.config.auth;
  if (provider === 'password') return undefined;
  const identity = identityOf(d) ?? '-';
  if (provider === 'oidc') return { provider, at: oidc?.issuer ?? '-', identity };
  const prefix = cognito.domainPrefix;
  const at = prefix ? `https://${prefix}.auth.${model.region}.amazoncognito.com` : "devenv's Cognito sign-in page";
  return { provider, at, identity };
}

const UP_FIXES = 'run `devenv up`: it creates a missing password secret and restores one scheduled for deletion';

/**
 * Why a developer's password could not be read, from Secrets Manager's error code (its messages never hold a value).
 */
function unreadable(
  developer: string,
  secretId: string,
  error: SecretReadError | undefined,
): { message: string; remedy: string } {
  if (error?.code === 'ResourceNotFoundException')
    return { message: `${developer} has no password secret ${secretId}`, remedy: UP_FIXES };
  if (error?.code === 'InvalidRequestException' && /deletion|deleted/i.test(error.message)) {
    return { message: `${developer}'s password secret ${secretId} is scheduled for deletion`, remedy: UP_FIXES };
  }
  const why = error ? `${error.code}${error.message ? `: ${error.message}` : ''}` : 'it holds no text value';
  const reads = 'secretsmanager:GetSecretValue and BatchGetSecretValue';
  return {
    message: `${developer}'s password secret ${secretId} could not be read (${why})`,
    remedy: `check that these credentials may call ${reads} on ${secretId}`,
  };
}

/**
 * The folder must be the user's alone (0700 when devenv creates it; an existing one readable by
 * others is refused rather than changed), and no file may be replaced without --force.
 */
async function checkTarget(dir: string, names: string[], force: boolean): Promise<void> {
  const folder = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw configError(`--out ${dir}: ${err.message}`, 'choose a folder you can write to');
  });
  if (folder && !folder.isDirectory())
    throw configError(`--out ${dir} is not a folder`, 'give --out a folder (devenv creates it when missing)');
  if (folder && (folder.mode & 0o077) !== 0) {
    throw configError(
      `--out ${dir} is open to other users (mode ${(folder.mode & 0o777).toString(8)}), and the files would hold ` +
        `passwords`,
      `run \`chmod 700 ${dir}\`, or choose another folder with --out (devenv creates a missing one 0700)`,
    );
  }
  const existing: string[] = [];
  for (const name of names) {
    const entry = await lstat(join(dir, name)).catch(() => undefined);
    if (entry?.isDirectory())
      throw configError(
        `${join(dir, name)} is a folder, where devenv would write a file`,
        'move it away, or choose another folder with --out',
      );
    if (entry && !force) existing.push(join(dir, name));
  }
  if (existing.length > 0) {
    throw configError(
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written`,
      'pass --force to replace the files, or choose another folder with --out',
    );
  }
}

/**
 * Each file is written 0600 and flushed. A new file is created exclusively; a replaced one (--force)
 * is written beside it and renamed over it, so a symlink in its place is replaced, never followed.
 */
async function writeFiles(dir: string, files: Map<string, string>, force: boolean): Promise<void> {
  if (await mkdir(dir, { recursive: true, mode: 0o700 })) await chmod(dir, 0o700); // whatever the umask
  for (const [name, content] of files) {
    const path = join(dir, name);
    if (!force) {
      await writeOwnerOnlyFile(path, content, 'wx');
      continue;
    }
    const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const done = removeOnExit(temp);
    try {
      await writeOwnerOnlyFile(temp, content, 'wx');
      await rename(temp, path);
    } finally {
      done();
    }
  }
}
