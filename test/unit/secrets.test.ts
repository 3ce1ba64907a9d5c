import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import * as crypto from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { recordedAllocations } from '../../src/aws/find/secrets.js';
import { deriveToken } from '../../src/aws/resource.js';
import { DevenvError } from '../../src/errors.js';
import secrets from '../../src/phases/secrets.js';
import { generatePassword, PASSWORD_ALPHABET } from '../../src/secrets/password.js';
import { testContext } from '../helpers/context.js';
import { mutatingOperations, operations as operationsOf } from '../helpers/calls.js';

vi.mock('node:crypto', async (original) => {
  const real = await original<typeof import('node:crypto')>();
  return { ...real, randomBytes: vi.fn(real.randomBytes) };
});

const API_KEY = 'sk-ant-api03-THIS-IS-A-TEST-KEY-0123456789';

/** Secrets Manager as docs/aws-behaviour.md#errors describes it: names held through the recovery window, ListSecrets hiding deleted secrets. */
class FakeSecretsManager {
  readonly secrets = new Map<
    string,
    {
      ARN: string;
      Name: string;
      Tags: Tag[];
      Description?: string;
      value: string;
      DeletedDate?: Date;
      CreatedDate: Date;
    }
  >();
  nameTakenError: 'aws' | 'moto' = 'aws';

  lookup(id: string) {
    const s = this.secrets.get(id) ?? [...this.secrets.values()].find((x) => x.ARN === id);
    if (!s)
      throw new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      });
    return s;
  }

  describe = ({ SecretId }: { SecretId: string }) => {
    const { value: _value, ...info } = this.lookup(SecretId);
    return structuredClone(info);
  };

  create = (input: { Name: string; SecretString: string; Tags: Tag[]; Description: string }) => {
    const held = this.secrets.get(input.Name);
    if (held?.DeletedDate && this.nameTakenError === 'aws') {
      throw new InvalidRequestException({
        message: "You can't create this secret because a secret with this name is already scheduled for deletion.",
        $metadata: {},
      });
    }
    if (held)
      throw new ResourceExistsException({
        message: `The operation failed because the secret ${input.Name} already exists.`,
        $metadata: {},
      });
    const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.Name}-Ab12Cd`;
    this.secrets.set(input.Name, {
      ARN,
      Name: input.Name,
      Tags: input.Tags,
      Description: input.Description,
      value: input.SecretString,
      CreatedDate: new Date(),
    });
    return { ARN, Name: input.Name };
  };

  list = (input: { Filters: { Key: string; Values: string[] }[]; IncludePlannedDeletion?: boolean }) => {
    const byKey = input.Filters.find((f) => f.Key === 'tag-key')!.Values[0];
    const byValue = input.Filters.find((f) => f.Key === 'tag-value')!.Values[0];
    const SecretList = [...this.secrets.values()]
      .filter(
        (s) =>
          (input.IncludePlannedDeletion || !s.DeletedDate) &&
          s.Tags.some((t) => t.Key === byKey) &&
          s.Tags.some((t) => t.Value === byValue),
      )
      .map(({ value: _value, ...info }) => structuredClone(info));
    return { SecretList };
  };

  delete = (input: { SecretId: string; RecoveryWindowInDays?: number; ForceDeleteWithoutRecovery?: boolean }) => {
    const s = this.lookup(input.SecretId);
    if (input.ForceDeleteWithoutRecovery) this.secrets.delete(s.Name);
    else s.DeletedDate = new Date('2026-11-23T10:00:00Z');
    return {
      ARN: s.ARN,
      Name: s.Name,
      DeletionDate: new Date(Date.parse('2026-11-23T10:00:00Z') + (input.RecoveryWindowInDays ?? 0) * 86_400_000),
    };
  };
}

const mock = sdkMock(SecretsManagerClient);
let fake: FakeSecretsManager;
const mutations = () => mutatingOperations(mock);
const messages = (ctx: { events: unknown[] }) => ctx.events.map((e) => (e as { message?: string }).message ?? '');

beforeEach(() => {
  resetSdkMocks();
  mock.onAnyCommand().rejects(new Error('unmocked Secrets Manager call'));
  fake = new FakeSecretsManager();
  mock.on(DescribeSecretCommand).callsFake(fake.describe);
  mock.on(CreateSecretCommand).callsFake(fake.create);
  mock.on(ListSecretsCommand).callsFake(fake.list);
  mock.on(DeleteSecretCommand).callsFake(fake.delete);
  mock.on(RestoreSecretCommand).callsFake(({ SecretId }) => void delete fake.lookup(SecretId).DeletedDate);
  mock.on(GetSecretValueCommand).callsFake(({ SecretId }) => ({ SecretString: fake.lookup(SecretId).value }));
  mock.on(PutSecretValueCommand).callsFake(({ SecretId, SecretString }) => {
    fake.lookup(SecretId).value = SecretString;
  });
  mock.on(TagResourceCommand).callsFake(({ SecretId, Tags }: { SecretId: string; Tags: Tag[] }) => {
    const s = fake.lookup(SecretId);
    s.Tags = [...s.Tags.filter((t) => !Tags.some((n) => n.Key === t.Key)), ...Tags];
  });
});

describe('generatePassword', () => {
  it('is 24 letters and digits, starting with a letter, from crypto.randomBytes, different every time', () => {
    vi.mocked(crypto.randomBytes).mockClear();
    const passwords = Array.from({ length: 200 }, () => generatePassword());
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z][A-Za-z0-9]{23}$/);
    expect(new Set(passwords).size).toBe(200);
    expect(crypto.randomBytes).toHaveBeenCalled();
    expect(PASSWORD_ALPHABET).toHaveLength(62);
  });

  it('rejects bytes that would bias the alphabet instead of folding them with a modulo', () => {
    // 248 = 4 × 62: bytes 248…255 are dropped; byte 0 is "A", byte 61 is "9".
    const bytes = [255, 0, 248, 61, 250, ...Array<number>(40).fill(61)];
    const random = (n: number) => Uint8Array.from(bytes.splice(0, n));
    expect(generatePassword(20, random)).toBe(`A${'9'.repeat(19)}`);
  });

  it('refuses to make a short one', () => {
    expect(() => generatePassword(12)).toThrow(/at least 20/);
  });
});

describe('secrets apply', () => {
  it('creates one password per developer with the saved token, tags and a description', async () => {
    const ctx = await testContext('secrets');
    await secrets.apply(ctx);

    expect(mutations()).toEqual(['CreateSecret', 'CreateSecret']);
    const create = mock.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    const record = ctx.state.resource('secret/alice/password')!;
    expect(create.ClientRequestToken).toBe(record.token);
    expect(record.token).toBe(deriveToken(ctx, 'secret/alice/password', 0));
    expect(create).toMatchObject({
      Name: 'demo/alice/password',
      Description: 'devenv demo: code-server password of alice',
    });
    expect(create.SecretString).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(create.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'devenv:project', Value: 'demo' },
        { Key: 'devenv:resource', Value: 'secret/alice/password' },
        { Key: 'devenv:developer', Value: 'alice' },
      ]),
    );
    expect(record).toMatchObject({
      id: fake.secrets.get('demo/alice/password')!.ARN,
      developer: 'alice',
      attrs: { name: 'demo/alice/password' },
    });
  });

  it('never regenerates: a rerun, and a rerun without the state file, change nothing', async () => {
    const ctx = await testContext('secrets', {
      developers: [{ name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } }, 'bob'],
    });
    ctx.env = { ALICE_KEY: API_KEY };
    await secrets.apply(ctx);
    const password = fake.secrets.get('demo/alice/password')!.value;

    mock.resetHistory();
    await secrets.apply(ctx);
    expect(mutations()).toEqual([]);
    expect(operationsOf(mock)).not.toContain('CreateSecret');
    // Every developer's secrets from one listing, not a DescribeSecret each (the API key's value is read to compare it).
    expect(operationsOf(mock).filter((op) => op !== 'GetSecretValue')).toEqual(['ListSecrets']);

    const fresh = await testContext('secrets', {
      developers: [{ name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } }, 'bob'],
    });
    fresh.env = { ALICE_KEY: API_KEY };
    mock.resetHistory();
    await secrets.apply(fresh);
    expect(mutations()).toEqual([]);
    expect(fake.secrets.get('demo/alice/password')!.value).toBe(password);
  });

  it("schedules a removed developer's secrets for deletion with the recovery window, and says until when", async () => {
    const ctx = await testContext('secrets');
    await secrets.apply(ctx);
    mock.resetHistory();

    const withoutBob = await testContext('secrets', { developers: ['alice'] });
    withoutBob.state.data.resources = ctx.state.data.resources;
    await secrets.apply(withoutBob);

    expect(mutations()).toEqual(['DeleteSecret']);
    expect(mock.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({
      SecretId: fake.secrets.get('demo/bob/password')!.ARN,
      RecoveryWindowInDays: 7,
    });
    expect(messages(withoutBob)).toContain(
      'scheduled secret demo/bob/password for deletion in 7 days: restorable until 2026-11-30 by adding bob back to the config and running `devenv up`',
    );
    expect(withoutBob.state.resource('secret/bob/password')?.id).toBeUndefined();

    mock.resetHistory();
    await secrets.apply(withoutBob); // already scheduled: ListSecrets hides it
    expect(mutations()).toEqual([]);
  });

  it('schedules an API key whose source left the config, saying how to get it back', async () => {
    const ctx = await testContext('secrets', {
      developers: [{ name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } }],
    });
    ctx.env = { ALICE_KEY: API_KEY };
    await secrets.apply(ctx);
    const withoutKey = await testContext('secrets', { developers: ['alice'] });
    mock.resetHistory();
    await secrets.apply(withoutKey);
    expect(mutations()).toEqual(['DeleteSecret']);
    expect(messages(withoutKey)).toContain(
      'scheduled secret demo/alice/anthropic-api-key for deletion in 7 days: restorable until 2026-11-30 by giving alice an anthropicApiKey again and running `devenv up`',
    );
  });

  it.each(['aws', 'moto'] as const)(
    "restores a re-added developer's scheduled secret instead of creating one (%s error)",
    async (flavour) => {
      const ctx = await testContext('secrets');
      await secrets.apply(ctx);
      const password = fake.secrets.get('demo/bob/password')!.value;
      fake.delete({ SecretId: 'demo/bob/password', RecoveryWindowInDays: 7 });
      fake.nameTakenError = flavour;
      await ctx.state.forget('secret/bob/password');

      mock.resetHistory();
      await secrets.apply(ctx);
      expect(mutations()).toEqual(['RestoreSecret']);
      expect(fake.secrets.get('demo/bob/password')).toMatchObject({ value: password });
      expect(fake.secrets.get('demo/bob/password')!.DeletedDate).toBeUndefined();
      expect(messages(ctx)).toContain('restored secret demo/bob/password: it was scheduled for deletion on 2026-11-23');

      // ListSecrets and DescribeSecret not yet showing the held name: CreateSecret is refused, with AWS's or moto's error.
      fake.delete({ SecretId: 'demo/bob/password', RecoveryWindowInDays: 7 });
      await ctx.state.forget('secret/bob/password');
      mock.on(ListSecretsCommand).resolvesOnce({ SecretList: [] }).callsFake(fake.list);
      mock
        .on(DescribeSecretCommand, { SecretId: 'demo/bob/password' })
        .rejectsOnce(new ResourceNotFoundException({ message: 'lagging', $metadata: {} }))
        .callsFake(fake.describe);
      mock.resetHistory();
      await secrets.apply(ctx);
      expect(mutations()).toEqual(['CreateSecret', 'RestoreSecret']);
      expect(fake.secrets.get('demo/bob/password')).toMatchObject({ value: password });
      expect(fake.secrets.get('demo/bob/password')!.DeletedDate).toBeUndefined();
      expect(ctx.state.resource('secret/bob/password')?.id).toBe(fake.secrets.get('demo/bob/password')!.ARN);
    },
  );

  it('stores an API key from an environment variable and from a file, and updates it when the source changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-keys-'));
    writeFileSync(join(dir, 'bob.key'), 'sk-ant-bob-key\n');
    const developers = [
      { name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } },
      { name: 'bob', anthropicApiKey: { file: join(dir, 'bob.key') } },
    ];
    const ctx = await testContext('secrets', { developers });
    ctx.env = { ALICE_KEY: API_KEY };
    await secrets.apply(ctx);
    expect(fake.secrets.get('demo/alice/anthropic-api-key')).toMatchObject({
      value: API_KEY,
      Description: 'devenv demo: Anthropic API key of alice',
    });
    expect(fake.secrets.get('demo/bob/anthropic-api-key')!.value).toBe('sk-ant-bob-key');

    writeFileSync(join(dir, 'bob.key'), 'sk-ant-bob-rotated');
    const next = await testContext('secrets', { developers });
    next.env = { ALICE_KEY: API_KEY };
    mock.resetHistory();
    await secrets.apply(next);
    expect(mutations()).toEqual(['PutSecretValue']);
    expect(fake.secrets.get('demo/bob/anthropic-api-key')!.value).toBe('sk-ant-bob-rotated');
    expect(messages(next)).toContain('updated secret demo/bob/anthropic-api-key: the key at its source changed');
  });

  it('gives every developer their own copy of a shared key', async () => {
    const ctx = await testContext('secrets', { secrets: { anthropicApiKey: { env: 'TEAM_KEY' } } });
    ctx.env = { TEAM_KEY: API_KEY };
    await secrets.apply(ctx);
    expect(fake.secrets.get('demo/alice/anthropic-api-key')!.value).toBe(API_KEY);
    expect(fake.secrets.get('demo/bob/anthropic-api-key')!.value).toBe(API_KEY);
  });

  it('stops with a config error naming the developer, the source and the fix when a key source is missing, before changing anything', async () => {
    const ctx = await testContext('secrets', {
      developers: ['alice', { name: 'bob', anthropicApiKey: { env: 'BOB_KEY' } }],
    });
    const err = (await secrets.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.kind).toBe('config');
    expect(err.message).toBe(
      "developer bob's Anthropic API key comes from the environment variable BOB_KEY, which is not set",
    );
    expect(err.remedy).toMatch(/export BOB_KEY=/);
    expect(mutations()).toEqual([]);

    const withFile = await testContext('secrets', { secrets: { anthropicApiKey: { file: '/nonexistent/team.key' } } });
    await expect(secrets.apply(withFile)).rejects.toThrow(
      /shared Anthropic API key .* file \/nonexistent\/team\.key, which does not exist/,
    );
  });
});

describe("allocations in the secrets' tags", () => {
  const allocationTagsOf = (name: string) =>
    fake.secrets.get(name)!.Tags.filter((t) => t.Key === 'devenv:port' || t.Key === 'devenv:priority');

  it("each secret records its developer's port and priority when it is created", async () => {
    const ctx = await testContext('secrets');
    await secrets.apply(ctx);
    expect(allocationTagsOf('demo/alice/password')).toEqual([
      { Key: 'devenv:port', Value: '8443' },
      { Key: 'devenv:priority', Value: '1' },
    ]);
    expect(allocationTagsOf('demo/bob/password')).toEqual([
      { Key: 'devenv:port', Value: '8444' },
      { Key: 'devenv:priority', Value: '2' },
    ]);
  });

  it('a secret without them (made before devenv recorded them) is tagged once, and plan says so first', async () => {
    const ctx = await testContext('secrets');
    await secrets.apply(ctx);
    const alice = fake.secrets.get('demo/alice/password')!;
    alice.Tags = alice.Tags.filter((t) => t.Key !== 'devenv:port' && t.Key !== 'devenv:priority');
    mock.resetHistory();

    const changes = await secrets.plan(ctx);
    expect(changes.filter((c) => c.action !== 'keep')).toEqual([
      expect.objectContaining({
        action: 'update',
        logicalId: 'secret/alice/password',
        detail: 'tag port 8443, priority 1',
      }),
    ]);
    expect(mutations()).toEqual([]);

    await secrets.apply(ctx);
    expect(mutations()).toEqual(['TagResource']);
    expect(mock.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({
      SecretId: alice.ARN,
      Tags: [
        { Key: 'devenv:port', Value: '8443' },
        { Key: 'devenv:priority', Value: '1' },
      ],
    });
    mock.resetHistory();
    await secrets.apply(ctx);
    expect(mutations()).toEqual([]);
  });

  it('are read back with one listing that includes secrets in their recovery window', async () => {
    const ctx = await testContext('secrets', { developers: ['alice', 'bob', 'carol'] });
    await secrets.apply(ctx);
    fake.delete({ SecretId: 'demo/bob/password', RecoveryWindowInDays: 7 });
    const carol = fake.secrets.get('demo/carol/password')!;
    carol.Tags = carol.Tags.filter((t) => t.Key !== 'devenv:priority');
    mock.resetHistory();

    const recorded = await recordedAllocations(ctx.aws.secrets, 'demo');
    expect(Object.fromEntries(recorded)).toEqual({
      alice: { port: 8443, priority: 1 },
      bob: { port: 8444, priority: 2 },
      carol: undefined,
    });
    expect(operationsOf(mock)).toEqual(['ListSecrets']);
    expect(mock.commandCalls(ListSecretsCommand)[0]!.args[0].input.IncludePlannedDeletion).toBe(true);
  });
});

describe('secrets destroy', () => {
  it('schedules every secret for deletion with the recovery window, and runs twice', async () => {
    const ctx = await testContext('secrets');
    await secrets.apply(ctx);
    mock.resetHistory();
    await secrets.destroy(ctx);
    expect(mock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input.RecoveryWindowInDays)).toEqual([7, 7]);
    expect(messages(ctx)).toContain(
      'scheduled secret demo/alice/password for deletion in 7 days: restorable until 2026-11-30 by running `devenv up`',
    );
    expect(ctx.state.resourcesOf('secrets').filter(([, r]) => r.id)).toEqual([]);

    mock.resetHistory();
    await secrets.destroy(ctx);
    expect(mutations()).toEqual([]);
  });

  it('--force-delete-secrets deletes without recovery, including secrets already scheduled', async () => {
    const ctx = await testContext('secrets', {}, { forceDeleteSecrets: true });
    await secrets.apply(ctx);
    fake.delete({ SecretId: 'demo/bob/password', RecoveryWindowInDays: 7 });
    mock.resetHistory();
    await secrets.destroy(ctx);
    expect(mock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: expect.stringContaining(':secret:demo/alice/password-'), ForceDeleteWithoutRecovery: true },
      { SecretId: expect.stringContaining(':secret:demo/bob/password-'), ForceDeleteWithoutRecovery: true },
    ]);
    expect(fake.secrets.size).toBe(0);
    expect(messages(ctx)).toContain('deleted secret demo/alice/password without recovery (--force-delete-secrets)');
  });
});

describe('secrets plan and status', () => {
  it('plans creates, restores and deletions without changing anything', async () => {
    const ctx = await testContext('secrets', { developers: ['alice', 'carol'] });
    fake.create({
      Name: 'demo/bob/password',
      SecretString: 'x',
      Description: '',
      Tags: [
        { Key: 'devenv:project', Value: 'demo' },
        { Key: 'devenv:resource', Value: 'secret/bob/password' },
      ],
    });
    fake.create({
      Name: 'demo/carol/password',
      SecretString: 'x',
      Description: '',
      Tags: [
        { Key: 'devenv:project', Value: 'demo' },
        { Key: 'devenv:resource', Value: 'secret/carol/password' },
      ],
    });
    fake.delete({ SecretId: 'demo/carol/password', RecoveryWindowInDays: 7 });
    mock.resetHistory();

    const changes = await secrets.plan(ctx);
    expect(changes.map((c) => [c.action, c.name, c.detail])).toEqual([
      ['create', 'demo/alice/password', undefined],
      ['update', 'demo/carol/password', 'restore (scheduled for deletion on 2026-11-23)'],
      ['delete', 'demo/bob/password', '7-day recovery'],
    ]);
    const rows = await secrets.status(ctx);
    expect(rows.map((r) => [r.logicalId, r.state])).toEqual([
      ['secret/alice/password', 'missing'],
      ['secret/carol/password', 'scheduled for deletion (not in state)'],
      ['secret/bob/password', 'exists'],
    ]);
    expect(rows[2]!.detail).toMatch(/^demo\/bob\/password: not in the config; last changed/);
    expect(mutations()).toEqual([]);
  });
});

describe('secret values', () => {
  it('never appear in the reported events, the state file or an error devenv passes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-keys-'));
    writeFileSync(join(dir, 'bob.key'), `${API_KEY}-bob`);
    const developers = [
      { name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } },
      { name: 'bob', anthropicApiKey: { file: join(dir, 'bob.key') } },
    ];
    const ctx = await testContext('secrets', { developers });
    ctx.env = { ALICE_KEY: API_KEY };
    await secrets.apply(ctx);
    await secrets.apply(ctx);
    ctx.env = { ALICE_KEY: `${API_KEY}-rotated` };
    await secrets.apply(ctx);
    const plan = await secrets.plan(ctx);
    const rows = await secrets.status(ctx);
    await secrets.destroy(ctx);

    // A service that echoes what it was sent: the error must reach us without the value.
    const again = await testContext('secrets', {
      developers: [{ name: 'dave', anthropicApiKey: { env: 'DAVE_KEY' } }],
    });
    again.env = { DAVE_KEY: `${API_KEY}-echoed` };
    mock.on(CreateSecretCommand).callsFake((input: { SecretString: string }) => {
      throw new InvalidRequestException({ message: `bad value ${input.SecretString}`, $metadata: {} });
    });
    const err = (await secrets.apply(again).catch((e: unknown) => e)) as Error;

    const values = [
      ...[...fake.secrets.values()].map((s) => s.value),
      ...mock.commandCalls(CreateSecretCommand).map((c) => c.args[0].input.SecretString!),
      API_KEY,
      `${API_KEY}-bob`,
      `${API_KEY}-rotated`,
      `${API_KEY}-echoed`,
    ];
    expect(values.filter((v) => /^[A-Za-z0-9]{24}$/.test(v)).length).toBeGreaterThanOrEqual(2); // the passwords are among them
    const seen = [
      JSON.stringify(ctx.events),
      JSON.stringify(again.events),
      readFileSync(ctx.state.path, 'utf8'),
      readFileSync(again.state.path, 'utf8'),
      JSON.stringify(plan),
      JSON.stringify(rows),
      err.message,
      String(err.stack),
    ].join('\n');
    for (const value of values) expect(seen).not.toContain(value);
    expect(err.message).toBe('bad value [REDACTED]');
  });
});
