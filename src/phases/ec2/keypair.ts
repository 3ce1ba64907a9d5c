import {
  DeleteKeyPairCommand,
  DescribeKeyPairsCommand,
  ImportKeyPairCommand,
  type KeyPairInfo,
} from '@aws-sdk/client-ec2';
import { Ec2Code, hasCode } from '../../aws/errors.js';
import { ensureResource, inspectResource, removeResource, rowOf, type ResourceSpec } from '../../aws/resource.js';
import { TAG, tagSpecifications, tagValue } from '../../config/tags.js';
import { ec2Blueprint } from '../../blueprint/compute.js';
import { pick } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import { generateEd25519, readLocalKey, samePublicKey, writePrivateKey, type LocalKey } from '../../ssh/keys.js';
import type { Context, Inspection } from '../types.js';

export const KEYPAIR = 'keypair';

const planned = (ctx: Context) => pick(ec2Blueprint(ctx.model), KEYPAIR);

export async function describeKeyPairs(ctx: Context, by: { id?: string; name?: string }): Promise<KeyPairInfo[]> {
  const Filters = by.id ? [{ Name: 'key-pair-id', Values: [by.id] }] : [{ Name: 'key-name', Values: [by.name!] }];
  // A filter, not KeyNames: an unknown name is an empty list instead of InvalidKeyPair.NotFound.
  return (await ctx.aws.ec2.send(new DescribeKeyPairsCommand({ Filters, IncludePublicKey: true }))).KeyPairs ?? [];
}

/**
 * The key pair, found by its id or its name (key pair names are unique per region). `verify`
 * runs on whatever is found before the resource rule may keep or adopt it.
 */
function keyPairSpec(
  ctx: Context,
  verify: (kp: KeyPairInfo) => KeyPairInfo = (kp) => kp,
  create?: () => Promise<KeyPairInfo>,
): ResourceSpec<KeyPairInfo> {
  const p = planned(ctx);
  return {
    logicalId: KEYPAIR,
    kind: p.kind,
    describe: async (id) => {
      const [kp] = await describeKeyPairs(ctx, id.startsWith('key-') ? { id } : { name: id });
      return kp && verify(kp);
    },
    find: async () => (await describeKeyPairs(ctx, { name: p.name })).map(verify),
    create: create ?? (() => Promise.reject(new Error('planning never creates'))),
    // The name is taken by a key pair a killed run imported, not yet in describe: found again by name, and verified.
    alreadyExists: (err) => hasCode(err, Ec2Code.keyPairDuplicate),
    idOf: (kp) => kp.KeyPairId ?? kp.KeyName!,
    attrs: (kp) => ({ name: kp.KeyName ?? p.name }),
  };
}

type KeyPairVerdict = { ok: true } | { ok: false; problem: string };

/** Another devenv project's key pair: never ours to adopt or delete, whatever key we hold. */
const ownerElsewhere = (ctx: Context, kp: KeyPairInfo): string | undefined => {
  const owner = tagValue(kp.Tags, TAG.project);
  return owner && owner !== ctx.model.project ? owner : undefined;
};

/**
 * Whether devenv may use this AWS key pair: only with the matching private key at hand, and not
 * when another project owns it. (An untagged one, such as the shell scripts made, may be adopted.)
 */
export function judge(ctx: Context, kp: KeyPairInfo, local: LocalKey | undefined): KeyPairVerdict {
  const path = ctx.model.privateKeyPath;
  const owner = ownerElsewhere(ctx, kp);
  if (owner) return { ok: false, problem: `it belongs to devenv project "${owner}"` };
  if (!local) return { ok: false, problem: `its private key is not at ${path}` };
  if (!kp.PublicKey)
    return { ok: false, problem: `AWS did not return its public key, so devenv cannot check it matches ${path}` };
  if (!samePublicKey(kp.PublicKey, local.publicKey))
    return { ok: false, problem: `it does not match the private key ${path}` };
  return { ok: true };
}

export function mismatchError(name: string, problem: string): DevenvError {
  return new DevenvError('config', `key pair "${name}" exists in AWS, but ${problem}`, {
    remedy:
      `point instance.privateKeyPath at the private key of key pair "${name}" (or set ` +
      'instance.keyName to another name); ' +
      `or delete the AWS key pair (aws ec2 delete-key-pair --key-name ${name}) and run again, and ` +
      'devenv imports the local key ' +
      `(an instance already running keeps the key it was launched with)`,
  });
}

/** The public half to import: the local key's, or a new ed25519 key's, written to disk before AWS hears of it. */
async function publicKeyToImport(ctx: Context, local: LocalKey | undefined): Promise<string> {
  if (local) return local.publicKey;
  const path = ctx.model.privateKeyPath;
  const generated = generateEd25519(planned(ctx).name);
  // Written first: a run killed after the import would otherwise leave an AWS key pair nobody holds the key to.
  await writePrivateKey(path, generated.privateKey);
  ctx.report.step(`wrote a new ed25519 private key to ${path} (mode 0600)`);
  return generated.publicKey;
}

/**
 * Ensures the EC2 key pair: keeps or adopts one whose public key matches the local private key,
 * otherwise imports the local key's public half (generating the key first when there is none).
 */
export async function ensureKeyPair(ctx: Context): Promise<KeyPairInfo> {
  const p = planned(ctx);
  let local = await readLocalKey(ctx.model.privateKeyPath);
  const verify = (kp: KeyPairInfo) => {
    const verdict = judge(ctx, kp, local);
    if (!verdict.ok) throw mismatchError(p.name, verdict.problem);
    return kp;
  };
  const create = async (): Promise<KeyPairInfo> => {
    const publicKey = await publicKeyToImport(ctx, local);
    // From here the key just written is the local key: an import AWS carried out although it answered
    // with an error (a 500, then InvalidKeyPair.Duplicate to the SDK's retry) is found and checked against it.
    local ??= await readLocalKey(ctx.model.privateKeyPath);
    const out = await ctx.aws.ec2.send(
      new ImportKeyPairCommand({
        KeyName: p.name,
        PublicKeyMaterial: Buffer.from(publicKey),
        TagSpecifications: tagSpecifications('key-pair', p.tags),
      }),
    );
    return {
      KeyPairId: out.KeyPairId,
      KeyName: out.KeyName ?? p.name,
      KeyFingerprint: out.KeyFingerprint,
      PublicKey: publicKey,
    };
  };
  return (await ensureResource(ctx, keyPairSpec(ctx, verify, create))).resource;
}

/** Deletes the key pair in AWS (ours only: recorded, or tagged with this project); the local private key stays. */
export async function removeKeyPair(ctx: Context): Promise<void> {
  const known = ctx.state.resource(KEYPAIR)?.id;
  const [recorded] = known
    ? await describeKeyPairs(ctx, known.startsWith('key-') ? { id: known } : { name: known })
    : [];
  if (recorded && ownerElsewhere(ctx, recorded)) {
    // Recorded by a devenv that did not yet check the owner: not ours to delete.
    ctx.report.warn(
      `left key pair ${recorded.KeyName}: it belongs to devenv project "${ownerElsewhere(ctx, recorded)}"`,
    );
    await ctx.state.forget(KEYPAIR);
  }
  const base = keyPairSpec(ctx);
  const ours = (kp: KeyPairInfo) =>
    !ownerElsewhere(ctx, kp) && (kp.KeyPairId === known || tagValue(kp.Tags, TAG.project) === ctx.model.project);
  const spec: ResourceSpec<KeyPairInfo> = { ...base, find: async () => (await base.find()).filter(ours) };
  await removeResource(ctx, spec, async (id, kp) => {
    await ctx.aws.ec2.send(new DeleteKeyPairCommand(kp?.KeyName ? { KeyName: kp.KeyName } : { KeyPairId: id }));
  });
  const local = await readLocalKey(ctx.model.privateKeyPath).catch(() => undefined);
  if (local)
    ctx.report.step(`left the private key ${local.path} on this machine; delete it when you no longer need it`);
}

async function localKeyNote(ctx: Context): Promise<{ local?: LocalKey; note: string; unusable?: true }> {
  const path = ctx.model.privateKeyPath;
  try {
    const local = await readLocalKey(path);
    return { local, note: local ? `private key ${path}` : `no private key at ${path}` };
  } catch (err) {
    return { note: messageOf(err), unusable: true };
  }
}

/** The key pair's plan line and status row, from one read. */
export async function inspectKeyPair(ctx: Context): Promise<Inspection> {
  const { local, note, unusable } = await localKeyNote(ctx);
  const probed = await inspectResource(ctx, keyPairSpec(ctx), planned(ctx).name);
  const { resource, ...change } = probed;
  const verdict = resource && judge(ctx, resource, local);
  const row = rowOf(
    probed,
    () => (verdict?.ok ? 'present' : 'present, private key does not match'),
    () => note,
  );
  if (verdict && !verdict.ok)
    row.problem = { verdict: 'drifted', message: `ec2 key pair ${change.id}: ${verdict.problem}` };
  const detail = unusable
    ? `${note}: up will stop`
    : !verdict
      ? local
        ? `import the public half of ${local.path}`
        : `generate an ed25519 key; private half to ${ctx.model.privateKeyPath}`
      : verdict.ok
        ? `matches ${note}`
        : `${verdict.problem}: up will stop`;
  return { changes: [{ ...change, detail }], rows: [row] };
}
