import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocate, buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/load.js';
import { renderCompose } from '../../src/remote/compose.js';
import { albKeyEndpoint } from '../../src/remote/gate.js';
import { baseConfig } from '../helpers/context.js';

const modelFor = (developers: number | string[], allocations = {}) => {
  const config = parseConfig(JSON.stringify({ ...baseConfig, developers }));
  return buildModel(config, allocate(config, { allocations }).allocations);
};

const hasCompose = spawnSync('docker-compose', ['version']).status === 0;
const underCi = process.env.CI === 'true';

/** The rendered file as YAML. */
function parse(yaml: string): any {
  const py = spawnSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: yaml,
    encoding: 'utf8',
  });
  if (py.status !== 0) throw new Error(py.stderr);
  return JSON.parse(py.stdout);
}

/** `docker-compose config` (v1.29, the strictest of the Composes devenv meets) on the file, with its env files present. */
function composeV1Check(yaml: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'devenv-compose-'));
  const local = yaml.replaceAll('/etc/devenv/secrets/', `${dir}/`);
  for (const [, file] of local.matchAll(/"([^"]+\.env)"/g)) writeFileSync(file!, 'HASHED_PASSWORD=x\n');
  for (const [, file] of local.matchAll(/"([^"]+\.api-key-version)"/g))
    writeFileSync(file!, 'DEVENV_API_KEY_VERSION=0a1b\n');
  writeFileSync(join(dir, 'docker-compose.yml'), local);
  return spawnSync('docker-compose', ['-f', join(dir, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
}

describe('docker-compose.yml', () => {
  it.each([2, 8, 50])(
    'gives each of %i developers one isolated, limited, health-checked code-server at its port',
    (count) => {
      const model = modelFor(count);
      const doc = parse(renderCompose(model));
      expect(Object.keys(doc.services)).toHaveLength(count);
      const subnets = new Set<string>();
      for (const d of model.developers) {
        const s = doc.services[`code-server-${d.name}`];
        expect(s.image).toBe('codercom/code-server:4.100.3');
        expect(s.container_name).toBe(`code-server-${d.name}`);
        expect(JSON.stringify(s.ports)).toContain(String(d.port));
        expect(s.restart).toBe('unless-stopped');
        expect(s.security_opt).toEqual(['no-new-privileges:true']);
        expect(s.network_mode).toBeUndefined();
        expect(s.networks).toEqual([`dev-${d.name}`]);
        expect(s.env_file).toEqual([`/etc/devenv/secrets/${d.name}.env`]);
        expect(s.environment ?? {}).toEqual({});
        expect(s.deploy.resources.limits).toMatchObject({ cpus: '1.5' });
        expect(s.deploy.resources.reservations).toMatchObject({ cpus: '1' });
        expect(s.deploy.resources.limits.memory).toBe('4096M');
        expect(s.healthcheck.test).toEqual(['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8080/healthz']);
        expect(s.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
        // The whole home in one folder mount: no file mount (git renames over ~/.gitconfig), nothing of another developer's.
        expect(s.volumes).toEqual([`/mnt/ebs-data/${d.name}/home:/home/coder`]);
        expect(s.working_dir).toBe('/home/coder/workspace');
        subnets.add(doc.networks[`dev-${d.name}`].ipam.config[0].subnet);
      }
      expect(subnets.size).toBe(count);
    },
  );

  it('is the same text for the same developers in any order, so a rerun changes nothing', () => {
    const { allocations } = allocate(parseConfig(JSON.stringify({ ...baseConfig, developers: ['alice', 'bob'] })), {});
    expect(renderCompose(modelFor(['bob', 'alice'], allocations))).toBe(
      renderCompose(modelFor(['alice', 'bob'], allocations)),
    );
  });

  it("keeps a developer's port and network when another is removed", () => {
    const three = modelFor(['alice', 'bob', 'carol']);
    const allocations = Object.fromEntries(
      three.developers.map((d) => [d.name, { port: d.port, priority: d.priority }]),
    );
    const before = parse(renderCompose(three));
    const after = parse(renderCompose(modelFor(['alice', 'carol'], allocations)));
    expect(after.services['code-server-carol']).toEqual(before.services['code-server-carol']);
    expect(after.networks['dev-carol']).toEqual(before.networks['dev-carol']);
    expect(after.services['code-server-bob']).toBeUndefined();
  });

  it('uses per-developer limits', () => {
    const config = parseConfig(
      JSON.stringify({ ...baseConfig, developers: ['alice', { name: 'bob', memoryLimitMiB: 8192, cpuLimit: 3 }] }),
    );
    const doc = parse(renderCompose(buildModel(config)));
    expect(doc.services['code-server-bob'].deploy.resources.limits.cpus).toBe('3');
    expect(doc.services['code-server-bob'].deploy.resources.limits.memory).toBe('8192M');
    expect(doc.services['code-server-alice'].deploy.resources.limits.cpus).toBe('1.5');
  });

  it.skipIf(!hasCompose && !underCi)(
    'is accepted by Compose v1.29 for 2 and 50 developers, with and without API keys (skipped: docker-compose is not installed; CI installs it)',
    () => {
      for (const model of [modelFor(2), modelFor(50), keyed()]) {
        const r = composeV1Check(renderCompose(model));
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    },
  );

  it('starts code-server with password login and its address on the command line, which config.yaml cannot override', () => {
    const doc = parse(renderCompose(modelFor(['alice', 'bob'])));
    for (const name of ['alice', 'bob']) {
      const command: string[] = doc.services[`code-server-${name}`].command;
      expect(command.slice(0, 4)).toEqual(['--bind-addr', '0.0.0.0:8080', '--auth', 'password']);
      expect(command).toEqual(
        expect.arrayContaining(['--disable-update-check', '--disable-telemetry', '--disable-workspace-trust']),
      );
    }
  });

  it('leaves the update check, telemetry and Workspace Trust on only when the config asks for each', () => {
    const config = (editor: object) => parseConfig(JSON.stringify({ ...baseConfig, containers: { editor } }));
    const command = (editor: object) =>
      parse(renderCompose(buildModel(config(editor)))).services['code-server-alice'].command as string[];
    expect(command({ updateCheck: true })).not.toContain('--disable-update-check');
    expect(command({ updateCheck: true })).toContain('--disable-telemetry');
    expect(command({ telemetry: true })).not.toContain('--disable-telemetry');
    expect(command({ workspaceTrust: true })).not.toContain('--disable-workspace-trust');
    expect(command({ updateCheck: true, telemetry: true, workspaceTrust: true })).toEqual([
      '--bind-addr',
      '0.0.0.0:8080',
      '--auth',
      'password',
    ]);
  });

  it("mounts a developer's API key folder read-only into their container alone, never as an environment variable", () => {
    const doc = parse(renderCompose(keyed()));
    const alice = doc.services['code-server-alice'];
    const bob = doc.services['code-server-bob'];
    expect(alice.volumes).toEqual(
      expect.arrayContaining([
        '/etc/devenv/api-keys/alice:/run/devenv:ro',
        '/etc/devenv/container/anthropic-api-key.sh:/etc/profile.d/devenv-anthropic-api-key.sh:ro',
        '/etc/devenv/container/anthropic-api-key.cjs:/usr/local/lib/devenv/anthropic-api-key.cjs:ro',
      ]),
    );
    expect(alice.env_file).toEqual(['/etc/devenv/secrets/alice.env', '/etc/devenv/secrets/alice.api-key-version']);
    expect(alice.environment).toEqual({ NODE_OPTIONS: '--require /usr/local/lib/devenv/anthropic-api-key.cjs' });
    // bob has no key: nothing of alice's, no key folder of his own.
    expect(JSON.stringify(bob)).not.toContain('api-key');
    expect(bob.environment ?? {}).toEqual({});
    expect(JSON.stringify(doc)).not.toContain('ANTHROPIC_API_KEY');
  });
});

/** alice with an Anthropic API key (read by the secrets phase from $ALICE_KEY), bob without. */
function keyed() {
  const config = parseConfig(
    JSON.stringify({ ...baseConfig, developers: [{ name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } }, 'bob'] }),
  );
  return buildModel(config);
}

/** alice and bob signed in by Cognito, each bound to an identity (bob by subject). */
function gatedModel(auth: object = {}, region?: string) {
  const config = parseConfig(
    JSON.stringify({
      ...baseConfig,
      ...(region && { region }),
      auth: { provider: 'cognito', ...auth },
      developers: [
        { name: 'alice', email: 'alice@corp.example' },
        { name: 'bob', email: 'bob@corp.example', subject: 'b-0042' },
      ],
    }),
  );
  return buildModel(config);
}

describe('docker-compose.yml behind gates (auth.provider is not password)', () => {
  it('puts a gate from the same image on each developer’s port, and code-server behind it on their network alone', () => {
    const model = gatedModel();
    const doc = parse(renderCompose(model));
    expect(Object.keys(doc.services)).toEqual(['gate-alice', 'code-server-alice', 'gate-bob', 'code-server-bob']);
    for (const d of model.developers) {
      const gate = doc.services[`gate-${d.name}`];
      const editor = doc.services[`code-server-${d.name}`];
      expect(gate.image).toBe(editor.image);
      expect(gate.ports).toEqual([`${d.port}:8080`]);
      expect(gate.networks).toEqual([`dev-${d.name}`]);
      expect(gate.restart).toBe('unless-stopped');
      // Nobody, nothing writable, no capability; the script from root's folder, read-only.
      expect(gate.user).toBe('65534:65534');
      expect(gate.read_only).toBe(true);
      expect(gate.cap_drop).toEqual(['ALL']);
      expect(gate.security_opt).toEqual(['no-new-privileges:true']);
      expect(gate.volumes).toEqual(['/etc/devenv/gate:/opt/devenv-gate:ro']);
      expect(gate.entrypoint.join(' ')).toContain('/opt/devenv-gate/gate.mjs');
      expect(gate.labels).toEqual({ 'devenv.gate': d.name });
      expect(gate.environment).toMatchObject({
        GATE_DEVELOPER: d.name,
        GATE_EMAIL: d.email,
        GATE_KEY_ENDPOINT: 'https://public-keys.auth.elb.us-east-1.amazonaws.com',
        GATE_SIGNER_FILE: '/opt/devenv-gate/signer',
        GATE_PORT: '8080',
        GATE_UPSTREAM_HOST: `code-server-${d.name}`,
        GATE_UPSTREAM_PORT: '8081',
      });
      // No port of its own: only the gate, on the developer's network, reaches it.
      expect(editor.network_mode).toBeUndefined();
      expect(editor.ports).toBeUndefined();
      expect(editor.networks).toEqual([`dev-${d.name}`]);
      expect(editor.command.slice(0, 4)).toEqual(['--bind-addr', '0.0.0.0:8081', '--auth', 'password']);
      expect(editor.healthcheck.test).toContain('http://127.0.0.1:8081/healthz');
    }
    expect(doc.services['gate-bob'].environment.GATE_SUBJECT).toBe('b-0042');
    expect(doc.services['gate-alice'].environment.GATE_SUBJECT).toBeUndefined();
  });

  it('runs code-server without its login only with auth.password false; password mode keeps it as it was', () => {
    const doc = parse(renderCompose(gatedModel({ password: false })));
    expect(doc.services['code-server-alice'].command.slice(0, 4)).toEqual([
      '--bind-addr',
      '0.0.0.0:8081',
      '--auth',
      'none',
    ]);
    const plain = parse(renderCompose(modelFor(['alice'])));
    expect(Object.keys(plain.services)).toEqual(['code-server-alice']);
    expect(JSON.stringify(plain)).not.toContain('gate');
  });

  it('uses auth.keyEndpoint when given, and the partition’s key endpoint otherwise', () => {
    const custom = parse(renderCompose(gatedModel({ keyEndpoint: 'https://keys.corp.example/alb' })));
    expect(custom.services['gate-alice'].environment.GATE_KEY_ENDPOINT).toBe('https://keys.corp.example/alb');
    expect(albKeyEndpoint('us-east-1')).toBe('https://public-keys.auth.elb.us-east-1.amazonaws.com');
    expect(albKeyEndpoint('us-gov-west-1')).toBe(
      'https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1',
    );
    expect(albKeyEndpoint('us-gov-east-1')).toBe(
      'https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1',
    );
    expect(albKeyEndpoint('cn-north-1')).toBe('https://public-keys.auth.elb.cn-north-1.amazonaws.com.cn');
  });

  // docs/aws-behaviour.md#the-gate: the forms AWS documents (aws, aws-us-gov); China's is derived, AWS names none.
  it.each([
    ['aws', 'eu-west-1', 'https://public-keys.auth.elb.eu-west-1.amazonaws.com'],
    ['aws', 'ap-southeast-7', 'https://public-keys.auth.elb.ap-southeast-7.amazonaws.com'],
    ['aws-us-gov', 'us-gov-west-1', 'https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1'],
    ['aws-us-gov', 'us-gov-east-1', 'https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1'],
    ['aws-cn', 'cn-north-1', 'https://public-keys.auth.elb.cn-north-1.amazonaws.com.cn'],
    ['aws-cn', 'cn-northwest-1', 'https://public-keys.auth.elb.cn-northwest-1.amazonaws.com.cn'],
  ])('the key endpoint in partition %s (%s) is %s', (_partition, region, endpoint) => {
    expect(albKeyEndpoint(region)).toBe(endpoint);
    const gate = parse(renderCompose(gatedModel({}, region)));
    expect(gate.services['gate-alice'].environment.GATE_KEY_ENDPOINT).toBe(endpoint);
  });

  it('passes the shell’s `$` to the gate’s command escaped from Compose’s interpolation', () => {
    const doc = parse(renderCompose(gatedModel()));
    const script: string = doc.services['gate-alice'].entrypoint[2];
    expect(script).toContain('$$(command -v node');
    expect(script.replaceAll('$$', '')).not.toContain('$');
  });

  it.skipIf(!hasCompose && !underCi)(
    'is accepted by Compose v1.29 (skipped: docker-compose is not installed; CI installs it)',
    () => {
      const r = composeV1Check(renderCompose(gatedModel({ password: false })));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );
});
