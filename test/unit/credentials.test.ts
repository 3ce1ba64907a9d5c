/**
 * Credential and endpoint problems at the first AWS call (STS GetCallerIdentity) name the cause
 * and the fix and exit 2 with nothing created. The SDK reads its credentials and AWS_ENDPOINT_URL
 * from the process environment, so these run bin/devenv.js in a child with an environment of its
 * own; the expired token, which needs AWS to answer, is a mocked STS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { baseConfig } from '../helpers/context.js';

const BIN = new URL('../../bin/devenv.js', import.meta.url).pathname;

/** A workspace with a config, an empty HOME (no ~/.aws) and the state path `up` would write. */
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'devenv-creds-'));
  mkdirSync(join(dir, 'home'));
  writeFileSync(join(dir, 'devenv.config.json'), JSON.stringify(baseConfig));
  return { dir, home: join(dir, 'home'), state: join(dir, 'devenv.state.json') };
}

function runUp(ws: ReturnType<typeof workspace>, env: Record<string, string>) {
  const r = spawnSync(
    process.execPath,
    [BIN, 'up', '--config', join(ws.dir, 'devenv.config.json'), '--state', ws.state],
    {
      encoding: 'utf8',
      cwd: ws.dir,
      env: { PATH: process.env.PATH!, HOME: ws.home, AWS_EC2_METADATA_DISABLED: 'true', ...env },
      timeout: 60_000,
    },
  );
  return { code: r.status, stderr: r.stderr };
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' };

describe('credentials and endpoint errors', () => {
  it('no credentials at all: names the chain and AWS_PROFILE, exit 2, no state written', () => {
    const ws = workspace();
    const r = runUp(ws, {});
    expect(r.code, r.stderr).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('no AWS credentials found');
    expect(r.stderr).toContain('AWS_PROFILE is not set');
    expect(r.stderr).toMatch(/fix: Set AWS_PROFILE/);
    expect(existsSync(ws.state)).toBe(false);
  });

  it('an unknown profile names the profile and how to add it', () => {
    const ws = workspace();
    writeFileSync(join(ws.dir, 'aws-config'), '');
    const r = runUp(ws, { AWS_PROFILE: 'nope', AWS_CONFIG_FILE: join(ws.dir, 'aws-config') });
    expect(r.code, r.stderr).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('AWS_PROFILE is "nope", but that profile gave no credentials');
    expect(r.stderr).toContain('aws configure --profile nope');
    expect(existsSync(ws.state)).toBe(false);
  });

  it('AWS_ENDPOINT_URL pointing at a closed port says it is set and unreachable', async () => {
    const ws = workspace();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = runUp(ws, { ...keys, AWS_ENDPOINT_URL: endpoint });
    expect(r.code, r.stderr).toBe(ExitCode.badInput);
    expect(r.stderr).toContain(`AWS_ENDPOINT_URL is set to ${endpoint}, and nothing answers there (ECONNREFUSED)`);
    expect(r.stderr).toContain('unset AWS_ENDPOINT_URL');
    expect(r.stderr).not.toContain(keys.AWS_SECRET_ACCESS_KEY);
    expect(existsSync(ws.state)).toBe(false);
  });

  it('an AWS_ENDPOINT_URL that is not a URL says so', () => {
    const ws = workspace();
    const r = runUp(ws, { ...keys, AWS_ENDPOINT_URL: 'localhost-5000' });
    expect(r.code, r.stderr).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('AWS_ENDPOINT_URL is set to "localhost-5000", which is not a valid URL');
  });
});

describe('credentials AWS refuses', () => {
  const sts = sdkMock(STSClient);
  afterEach(() => resetSdkMocks());

  it('an expired token says they expired and how to renew them, exit 2', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(
        Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' }),
      );
    const ws = workspace();
    const r = await cli(['up', '--config', join(ws.dir, 'devenv.config.json'), '--state', ws.state], {
      env: { AWS_PROFILE: 'work' },
    });
    expect(r.code, r.stderr).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('the AWS credentials have expired (ExpiredToken) (AWS_PROFILE=work)');
    expect(r.stderr).toContain('aws sso login');
    expect(existsSync(ws.state)).toBe(false);
  });

  it('a key AWS does not know says it was refused', async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error('The security token included in the request is invalid.'), {
        name: 'InvalidClientTokenId',
      }),
    );
    const ws = workspace();
    const r = await cli(['status', '--config', join(ws.dir, 'devenv.config.json'), '--state', ws.state], { env: {} });
    expect(r.code, r.stderr).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('AWS refused these credentials (InvalidClientTokenId)');
  });
});
