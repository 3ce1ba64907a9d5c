import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/commands/init.js';
import { configJsonSchemaText, JSON_SCHEMA_PATH } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { baseConfig } from '../helpers/context.js';

const root = new URL('../..', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'devenv-init-'));

describe('the config a person writes', () => {
  it('the JSON Schema shipped in the package is the one the zod schema gives (npm run build writes it)', () => {
    const shipped = readFileSync(join(root, JSON_SCHEMA_PATH), 'utf8');
    expect(shipped, `${JSON_SCHEMA_PATH} is stale: run \`npm run build\``).toBe(configJsonSchemaText());
    const schema = JSON.parse(shipped);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['$schema', 'project', 'region', 'ssh', 'developers', 'monitoring']),
    );
    expect(schema.properties.instance.properties.dataVolumeGiB.default).toBe(500);
  });

  it("init writes every key that has a default, with it, and the schema's example of each key that has one, names the schema, and says what to edit", async () => {
    const dir = tmp();
    const output = join(dir, 'devenv.config.json');
    const notes = await init({ output, force: false });
    const written = JSON.parse(readFileSync(output, 'utf8'));
    expect(
      existsSync(resolve(dirname(output), written.$schema)),
      `$schema ${written.$schema} does not lead to the schema`,
    ).toBe(true);
    const schema = JSON.parse(readFileSync(join(root, JSON_SCHEMA_PATH), 'utf8'));
    for (const [key, property] of Object.entries<Record<string, unknown>>(schema.properties)) {
      if ('default' in property) expect(written, `init left out ${key}`).toHaveProperty(key);
      if ('examples' in property)
        expect(written[key], `${key}: the schema's example`).toEqual((property.examples as unknown[])[0]);
      const inner = property.properties as Record<string, Record<string, unknown>> | undefined;
      if (inner && !('default' in property) && !schema.required.includes(key)) {
        expect(written, `${key} is opt-in: init leaves it out`).not.toHaveProperty(key);
        continue;
      }
      for (const [sub, p] of Object.entries(inner ?? {})) {
        if ('examples' in p)
          expect(written[key]?.[sub], `${key}.${sub}: the schema's example`).toEqual((p.examples as unknown[])[0]);
        if (!('default' in p)) continue;
        expect(written[key], `init left out ${key}.${sub}`).toHaveProperty(sub);
        // An object's default in the schema is what it starts from ({}); init writes it filled in.
        const isObject = typeof p.default === 'object' && p.default !== null && !Array.isArray(p.default);
        if (isObject) expect(written[key][sub]).toMatchObject(p.default as object);
        else expect(written[key][sub], `${key}.${sub}`).toEqual(p.default);
      }
    }
    expect(written.region).toBe('ap-southeast-7');
    expect([written.project, written.baseDomain, written.ssh.adminCidr]).toEqual([
      'code-server-multi-dev',
      'dev.example.com',
      '203.0.113.7/32',
    ]);
    expect(parseConfig(readFileSync(output, 'utf8'), output).project).toBe(written.project);
    const text = notes.join('\n');
    expect(text).toMatch(/edit project, region, baseDomain, hostedZoneId, ssh\.adminCidr and developers/);
    expect(text).toContain('warning: baseDomain "dev.example.com" is a domain reserved for examples');
    expect(text).toContain('warning: hostedZoneId "Z1234567890ABC" is');
    expect(text).toContain('warning: ssh.adminCidr "203.0.113.7/32" is an example address');
    for (const line of ['devenv.state.json', 'credentials/', '*.pem']) expect(text).toContain(`\n  ${line}`);
  });

  it('accepts "$schema" and a hosted zone id as the aws CLI prints it (/hostedzone/Z…), kept without the prefix', () => {
    const config = parseConfig(
      JSON.stringify({
        $schema: './schema/devenv.config.schema.json',
        ...baseConfig,
        hostedZoneId: '/hostedzone/Z0123456789ABCDEFGHIJ',
      }),
    );
    expect(config.hostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
  });

  it("init --from-env maps the scripts' per-developer Claude keys to each developer's key variable, never the key itself", async () => {
    const dir = tmp();
    const env = join(dir, '.env');
    writeFileSync(
      env,
      'PROJECT_NAME=team\nBASE_DOMAIN=dev.acme.io\nROUTE53_HOSTED_ZONE_ID=Z0123456789ABC\nADMIN_SSH_IP=198.18.0.7\nNUM_DEVELOPERS=3\n' +
        'DEV1_CLAUDE_KEY=sk-ant-secret-one\nDEV2_CLAUDE_KEY=\nDEV3_CLAUDE_KEY=sk-ant-secret-three\n',
    );
    const output = join(dir, 'devenv.config.json');
    const notes = await init({ output, fromEnv: env, force: false });
    const text = readFileSync(output, 'utf8');
    expect(text).not.toContain('sk-ant-secret');
    expect(JSON.parse(text).developers).toEqual([
      { name: 'dev1', anthropicApiKey: { env: 'DEV1_CLAUDE_KEY' } },
      'dev2',
      { name: 'dev3', anthropicApiKey: { env: 'DEV3_CLAUDE_KEY' } },
    ]);
    expect(notes.join('\n')).toContain('read from DEV1_CLAUDE_KEY, DEV3_CLAUDE_KEY when devenv runs');
    expect(notes.join('\n')).not.toMatch(/ignored DEV\d_CLAUDE_KEY/);
  });
});
