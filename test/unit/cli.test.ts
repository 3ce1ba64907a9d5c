import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { ExitCode } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { baseConfig } from '../helpers/context.js';

const root = new URL('../..', import.meta.url).pathname;
const example = join(root, 'devenv.config.example.json');
const tmp = () => mkdtempSync(join(tmpdir(), 'devenv-cli-'));

function node(args: string[]) {
  return spawnSync(
    'node',
    ['--import', join(root, 'test/helpers/forbid-sdk.mjs'), join(root, 'bin/devenv.js'), ...args],
    { encoding: 'utf8', cwd: tmp(), env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } },
  );
}

describe('cli', () => {
  it('--help and plan --offline never load the AWS SDK', () => {
    const help = node(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: devenv');
    const plan = node(['plan', '--offline', '--config', example]);
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(0);
    // the guard works: a command that talks to AWS trips it
    const status = node(['status', '--config', example, '--verbose']);
    expect(status.stderr).toContain('AWS SDK loaded');
  });

  it('the day-2 commands are in --help, and their own --help never loads the AWS SDK', () => {
    const help = node(['--help']).stdout;
    for (const command of ['ssh', 'exec', 'logs', 'restart']) {
      expect(help).toMatch(new RegExp(`^  ${command} `, 'm'));
      const own = node([command, '--help']);
      expect(own.status, command).toBe(0);
      expect(own.stderr, command).toBe('');
      expect(own.stdout).toContain(`Usage: devenv ${command}`);
    }
  });

  it('a command that makes no AWS call (output) loads no SDK client: each is loaded when first built', () => {
    const r = node(['output', '--config', example, '--state', join(tmp(), 'none.json')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('urls.alice = https://alice.dev.example.com');
  });

  it('--version prints the version of package.json without loading the SDK', () => {
    const r = node(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('plan --offline ends with what up would do and its monthly cost; --detailed-exitcode exits 2 for changes and 1 for errors', async () => {
    const r = await cli(['plan', '--offline', '--config', example]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const last = lines.find((l) => l.startsWith('Plan '));
    expect(lines.indexOf(last!)).toBeLessThan(lines.findIndex((l) => /^Total: \$[\d.]+ a month/.test(l)));
    expect(last).toMatch(
      /^Plan \(offline: as if nothing existed yet\): \d+ to create, 0 to update, 0 to replace, 0 to delete\.$/,
    );
    const json = JSON.parse((await cli(['plan', '--offline', '--json', '--config', example])).stdout);
    expect(json.summary.create).toBeGreaterThan(0);
    expect(last).toContain(`${json.summary.create} to create`);
    expect((await cli(['plan', '--offline', '--detailed-exitcode', '--config', example])).code).toBe(2);
    const bad = await cli(['plan', '--offline', '--detailed-exitcode', '--config', join(tmp(), 'nope.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('devenv init');
  });

  it('plan --offline renders every resource with names, CIDRs, ports, hostnames and tags', async () => {
    const r = await cli(['plan', '--offline', '--config', example]);
    expect(r.code).toBe(0);
    for (const text of [
      '10.0.0.0/16',
      '10.0.1.0/24',
      'tcp 8443-8445 from sg/alb',
      'https://alice.dev.example.com',
      'code-server-multi-dev-alb-sg',
      'devenv:resource=tg/bob',
      'ManagedBy=devenv',
      'listener rule',
      'record/carol',
      'ap-southeast-7b',
    ]) {
      expect(r.stdout).toContain(text);
    }
    const json = JSON.parse((await cli(['plan', '--offline', '--json', '--config', example])).stdout);
    const resources = json.phases.flatMap(
      (p: { resources: { logicalId: string; tags: Record<string, string> }[] }) => p.resources,
    );
    expect(resources.find((x: { logicalId: string }) => x.logicalId === 'subnet/b').tags['devenv:project']).toBe(
      'code-server-multi-dev',
    );
  });

  it('plan --offline shows the ports the state file holds, read only; a corrupt state file exits 2', async () => {
    const dir = tmp();
    const config = join(dir, 'c.json');
    const state = join(dir, 'state.json');
    writeFileSync(config, JSON.stringify({ ...baseConfig, developers: ['alice', 'carol', 'dave'] }));
    const now = '2026-11-23T17:29:42.409Z';
    const saved = JSON.stringify({
      schemaVersion: 2,
      project: baseConfig.project,
      region: baseConfig.region,
      account: baseConfig.accountId,
      createdAt: now,
      updatedAt: now,
      phases: {},
      allocations: { alice: { port: 8443, priority: 1 }, carol: { port: 8445, priority: 3 } },
      reserved: { bob: { port: 8444, priority: 2 } },
      resources: {},
    });
    writeFileSync(state, saved);
    const r = await cli(['plan', '--offline', '--json', '--config', config, '--state', state]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      developers: { name: string; port: number; priority: number }[];
      reserved: Record<string, unknown>;
    };
    expect(plan.developers.map((d) => [d.name, d.port, d.priority])).toEqual([
      ['alice', 8443, 1],
      ['carol', 8445, 3],
      ['dave', 8446, 4],
    ]);
    expect(plan.reserved).toEqual({ bob: { port: 8444, priority: 2 } });
    const text = await cli(['plan', '--offline', '--config', config, '--state', state]);
    expect(text.stdout).toContain(`offline: from ${config} and ${state}`);
    expect(text.stdout).toContain('held for bob (removed) while their secrets are kept: port 8444, rule priority 2');
    expect(readFileSync(state, 'utf8'), 'plan --offline wrote the state file').toBe(saved);

    writeFileSync(state, saved.slice(0, 40));
    const corrupt = await cli(['plan', '--offline', '--config', config, '--state', state]);
    expect(corrupt.code).toBe(ExitCode.badInput);
    expect(corrupt.stderr).toContain(`${state} is not valid JSON`);
    expect(corrupt.stdout).toBe('');
  });

  it('a malformed config exits 2 and names the key', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...baseConfig, developers: ['ok', 'Not_OK'] }));
    const r = await cli(['plan', '--offline', '--config', join(dir, 'c.json')]);
    expect(r.code).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('developers[1]: "Not_OK" is not a DNS label');
    expect(r.stderr).toContain('fix:');
  });

  it('a missing config says how to make one', async () => {
    const r = await cli(['plan', '--offline', '--config', join(tmp(), 'nope.json')]);
    expect(r.code).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('devenv init');
  });

  it('an unknown phase or flag exits 2', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(baseConfig));
    const r = await cli(['phase', 'dns-stuff', '--config', join(dir, 'c.json')]);
    expect(r.code).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('unknown phase "dns-stuff"');
    expect((await cli(['up', '--frobnicate'])).code).toBe(ExitCode.badInput);
  });

  it('a mistyped phase name gets the one it probably meant, in `phase` and `up --skip`, before any AWS call', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(baseConfig));
    const calls: string[] = [];
    const hooks = [
      {
        before: (c: { operation: string }) => {
          calls.push(c.operation);
        },
      },
    ];
    const phase = await cli(['phase', 'stroage', '--config', join(dir, 'c.json'), '--state', join(dir, 's.json')], {
      hooks,
    });
    expect(phase.code).toBe(ExitCode.badInput);
    expect(phase.stderr).toContain('unknown phase "stroage" (did you mean "storage"?)');
    expect(phase.stderr).toContain('fix: Use "storage".');
    const skip = await cli(
      ['up', '--skip', 'stroage', '--config', join(dir, 'c.json'), '--state', join(dir, 's.json')],
      { hooks },
    );
    expect(skip.code).toBe(ExitCode.badInput);
    expect(skip.stderr).toContain('--skip: unknown phase "stroage" (did you mean "storage"?)');
    expect(calls).toEqual([]);
  });

  it('`status --help` lists --json and the other common flags', async () => {
    const r = await cli(['status', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--json\s+machine-readable output/);
    expect(r.stdout).toContain('--config <file>');
  });

  it('init writes a valid config, converts a .env, and never overwrites without --force', async () => {
    const dir = tmp();
    const output = join(dir, 'devenv.config.json');
    expect((await cli(['init', '--output', output])).code).toBe(0);
    expect((await cli(['plan', '--offline', '--config', output])).code).toBe(0);
    const again = await cli(['init', '--output', output]);
    expect(again.code).toBe(ExitCode.badInput);
    expect(again.stderr).toContain('--force');
    writeFileSync(
      join(dir, '.env'),
      'PROJECT_NAME=team\nBASE_DOMAIN=dev.example.org\nROUTE53_HOSTED_ZONE_ID=Z9\nADMIN_SSH_IP=1.2.3.4\nNUM_DEVELOPERS=2\n',
    );
    expect((await cli(['init', '--from-env', join(dir, '.env'), '--output', output, '--force'])).code).toBe(0);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toMatchObject({
      project: 'team',
      developers: 2,
      ssh: { adminCidr: '1.2.3.4/32' },
    });
  });

  it('destroy without a terminal asks for --yes and deletes nothing', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(baseConfig));
    const calls: string[] = [];
    const r = await cli(['destroy', '--config', join(dir, 'c.json'), '--state', join(dir, 's.json')], {
      hooks: [
        {
          before: (c) => {
            calls.push(c.operation);
          },
        },
      ],
    });
    expect(r.code).toBe(ExitCode.badInput);
    expect(r.stderr).toContain('stdin is not a terminal; nothing was deleted');
    expect(r.stderr).toContain('fix: Pass --yes to destroy without asking.');
    expect(calls).toEqual([]);
  });
});

describe('the destroy prompt', () => {
  const sts = sdkMock(STSClient);

  /** `destroy` at a terminal, with what the user does at the prompt. */
  async function destroyAtPrompt(user: (stdin: PassThrough, signals: EventEmitter) => void) {
    resetSdkMocks();
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: baseConfig.accountId, Arn: 'arn:aws:iam::123456789012:user/me' });
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(baseConfig));
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const signals = new EventEmitter();
    const err: string[] = [];
    const sink = new Writable({
      write: (c, _e, done) => {
        err.push(String(c));
        if (String(c).includes('Type the project name')) user(stdin, signals);
        done();
      },
    });
    const code = await run(['destroy', '--config', join(dir, 'c.json'), '--state', join(dir, 's.json')], {
      stdout: new PassThrough(),
      stderr: sink,
      stdin,
      env: { CI: 'true' },
      isTTY: false,
      signals,
    });
    return {
      code,
      stderr: err.join(''),
      lockLeft: existsSync(join(dir, 's.json.lock')),
      stateWritten: existsSync(join(dir, 's.json')),
    };
  }

  for (const [what, user] of [
    ['Ctrl-D', (stdin: PassThrough) => stdin.end()],
    ['Ctrl-C', (_: PassThrough, signals: EventEmitter) => signals.emit('SIGINT')],
  ] as const) {
    it(`${what} at the prompt says nothing changed, exits 130 and releases the lock`, async () => {
      const r = await destroyAtPrompt(user);
      expect(r.code, r.stderr).toBe(ExitCode.interrupted);
      expect(r.stderr).toContain('destroy cancelled at the prompt: nothing changed');
      expect(r.lockLeft).toBe(false);
      expect(r.stateWritten).toBe(false);
    });
  }

  it('a wrong name deletes nothing', async () => {
    const r = await destroyAtPrompt((stdin) => stdin.write('other\n'));
    expect(r.code).toBe(ExitCode.phaseFailed);
    expect(r.stderr).toContain('the name did not match; nothing was deleted');
  });
});
