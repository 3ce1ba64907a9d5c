import { DevenvError, messageOf } from '../../errors.js';
import { readLocalKey, type LocalKey } from '../../ssh/keys.js';
import { describeKeyPairs, judge, mismatchError } from '../ec2/keypair.js';
import type { Context } from '../types.js';
import { fail, guarded, needs, pass, type ValidationResult } from './result.js';

/**
 * The private key at instance.privateKeyPath is one devenv can use (a private key, readable by its
 * owner only), and matches the key pair of the same name if AWS has one: otherwise `up` would build
 * the network and stop at the host.
 */
export async function checkPrivateKey(ctx: Context): Promise<ValidationResult> {
  const path = ctx.model.privateKeyPath;
  let local: LocalKey | undefined;
  try {
    local = await readLocalKey(path);
  } catch (err) {
    const remedy = err instanceof DevenvError && err.remedy ? `: ${err.remedy}` : '';
    return fail('private key', `${messageOf(err)}${remedy}`, { cause: 'config' });
  }
  return guarded('private key', ctx.model.region, async () => {
    const name = ctx.model.keyName;
    const [keyPair] = await needs('ec2:DescribeKeyPairs', describeKeyPairs(ctx, { name }));
    if (!keyPair) {
      return pass(
        'private key',
        local
          ? `key pair ${name} will be imported from ${path}`
          : `key pair ${name}: a new ed25519 key will be written to ${path}`,
      );
    }
    const verdict = judge(ctx, keyPair, local);
    if (verdict.ok) return pass('private key', `key pair ${name} matches ${path}`, { id: keyPair.KeyPairId });
    const err = mismatchError(name, verdict.problem);
    return fail('private key', `${err.message}: ${err.remedy}`, { id: keyPair.KeyPairId, cause: 'config' });
  });
}
