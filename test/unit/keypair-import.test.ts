/**
 * ImportKeyPair answered with an error after it took effect (issue 15, item 3): EC2 imports the key
 * and answers 500; the SDK's own retry then gets InvalidKeyPair.Duplicate. The key pair is the one
 * devenv just imported (its public key is the key devenv just wrote), so it is adopted. Driven
 * through the real SDK client — its retry loop, its XML parsing — with a fake network under it
 * (no aws-sdk-client-mock, which would replace the retry loop too).
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { HttpRequest } from '@smithy/types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ensureKeyPair } from '../../src/phases/ec2/keypair.js';
import { generateEd25519, publicKeyOf, samePublicKey, writePrivateKey } from '../../src/ssh/keys.js';
import { baseConfig, testContext, type TestContext } from '../helpers/context.js';

interface KeyPair {
  id: string;
  name: string;
  publicKey: string;
  tags: Record<string, string>;
}

/** EC2's query API over a fake wire: ImportKeyPair (its first answer a 500 after the import took effect) and DescribeKeyPairs. */
function fakeEc2(keyPairs: KeyPair[], o: { failFirstImportAfterDoingIt: boolean }) {
  const actions: string[] = [];
  const answer = (statusCode: number, xml: string) => ({
    response: {
      statusCode,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: Readable.from([Buffer.from(xml)]),
    },
  });
  const error = (statusCode: number, code: string, message: string) =>
    answer(
      statusCode,
      `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
    );
  const handler = {
    handle: async (request: HttpRequest) => {
      const form = new URLSearchParams(String(request.body));
      const action = form.get('Action')!;
      actions.push(action);
      if (action === 'ImportKeyPair') {
        const name = form.get('KeyName')!;
        if (keyPairs.some((k) => k.name === name))
          return error(400, 'InvalidKeyPair.Duplicate', `The keypair already exists`);
        const tags: Record<string, string> = {};
        for (let i = 1; form.has(`TagSpecification.1.Tag.${i}.Key`); i++)
          tags[form.get(`TagSpecification.1.Tag.${i}.Key`)!] = form.get(`TagSpecification.1.Tag.${i}.Value`)!;
        const kp = {
          id: `key-0${keyPairs.length + 1}`,
          name,
          publicKey: Buffer.from(form.get('PublicKeyMaterial')!, 'base64').toString(),
          tags,
        };
        keyPairs.push(kp);
        if (o.failFirstImportAfterDoingIt && actions.filter((a) => a === 'ImportKeyPair').length === 1)
          return error(500, 'InternalError', 'An internal error has occurred');
        return answer(
          200,
          `<ImportKeyPairResponse><requestId>r-2</requestId><keyPairId>${kp.id}</keyPairId><keyName>${name}</keyName><keyFingerprint>fp</keyFingerprint></ImportKeyPairResponse>`,
        );
      }
      if (action === 'DescribeKeyPairs') {
        const name = form.get('Filter.1.Name') === 'key-name' ? form.get('Filter.1.Value.1') : undefined;
        const id = form.get('Filter.1.Name') === 'key-pair-id' ? form.get('Filter.1.Value.1') : undefined;
        const items = keyPairs
          .filter((k) => (name === undefined || k.name === name) && (id === undefined || k.id === id))
          .map(
            (k) =>
              `<item><keyPairId>${k.id}</keyPairId><keyName>${k.name}</keyName><keyFingerprint>fp</keyFingerprint><keyType>ed25519</keyType><publicKey>${k.publicKey}</publicKey>` +
              `<tagSet>${Object.entries(k.tags)
                .map(([key, value]) => `<item><key>${key}</key><value>${value}</value></item>`)
                .join('')}</tagSet></item>`,
          )
          .join('');
        return answer(
          200,
          `<DescribeKeyPairsResponse><requestId>r-3</requestId><keySet>${items}</keySet></DescribeKeyPairsResponse>`,
        );
      }
      return error(400, 'InvalidAction', `${action} is not faked`);
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  return { handler, actions };
}

beforeEach(() => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
});
afterEach(() => vi.unstubAllEnvs());

async function context(): Promise<TestContext> {
  const privateKeyPath = join(mkdtempSync(join(tmpdir(), 'devenv-keys-')), 'admin.pem');
  return testContext('ec2', { instance: { ...baseConfig.instance, privateKeyPath } });
}

function wire(ctx: TestContext, keyPairs: KeyPair[], failFirstImportAfterDoingIt: boolean) {
  const fake = fakeEc2(keyPairs, { failFirstImportAfterDoingIt });
  (ctx.aws.ec2.config as { requestHandler: unknown }).requestHandler = fake.handler;
  return fake.actions;
}

describe("ImportKeyPair answered 500 after it took effect, then InvalidKeyPair.Duplicate to the SDK's retry", () => {
  it('with no key yet: writes one, imports it, and adopts the key pair it imported (its public key is the one just written)', async () => {
    const ctx = await context();
    const keyPairs: KeyPair[] = [];
    const actions = wire(ctx, keyPairs, true);
    const kp = await ensureKeyPair(ctx);
    expect(
      actions.filter((a) => a === 'ImportKeyPair'),
      'the SDK retried the import after the 500',
    ).toHaveLength(2);
    expect(keyPairs).toHaveLength(1);
    expect(kp.KeyPairId).toBe('key-01');
    expect(ctx.state.resource('keypair')?.id).toBe('key-01');
    const written = publicKeyOf(await readFile(ctx.model.privateKeyPath));
    expect(samePublicKey(keyPairs[0]!.publicKey, written)).toBe(true);
    expect(
      ctx.events.some(
        (e) => e.type === 'warn' && /already exists .*using key-01/.test((e as { message: string }).message),
      ),
    ).toBe(true);
  });

  it('with the key at hand: the same, and the key file is left as it was', async () => {
    const ctx = await context();
    const key = generateEd25519('test');
    await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
    const keyPairs: KeyPair[] = [];
    wire(ctx, keyPairs, true);
    expect((await ensureKeyPair(ctx)).KeyPairId).toBe('key-01');
    expect(await readFile(ctx.model.privateKeyPath, 'utf8')).toBe(key.privateKey);
  });

  it('a key pair of that name with another public key is still refused', async () => {
    const ctx = await context();
    const other = generateEd25519('someone');
    const keyPairs: KeyPair[] = [];
    const actions = wire(ctx, keyPairs, false);
    // Appears between devenv's search and its import: someone else's key under devenv's name.
    const original = ctx.aws.ec2.config.requestHandler as { handle(r: HttpRequest): Promise<unknown> };
    const handle = original.handle.bind(original);
    original.handle = async (r: HttpRequest) => {
      if (new URLSearchParams(String(r.body)).get('Action') === 'ImportKeyPair' && !keyPairs.length)
        keyPairs.push({ id: 'key-0other', name: ctx.model.keyName, publicKey: other.publicKey, tags: {} });
      return handle(r);
    };
    await expect(ensureKeyPair(ctx)).rejects.toThrow(
      /key pair "demo-admin-key" exists in AWS, but it does not match the private key/,
    );
    expect(actions).toContain('ImportKeyPair');
  });
});
