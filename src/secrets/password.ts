import { randomBytes } from 'node:crypto';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/**
 * Letters and digits only: nothing a shell, YAML, a compose file (`$`) or a URL would interpret,
 * so the password can be passed on without quoting. 24 of 62 symbols ≈ 142 bits.
 */
export const PASSWORD_ALPHABET = LETTERS + DIGITS;
export const PASSWORD_LENGTH = 24;

export type RandomSource = (size: number) => Uint8Array;

/**
 * A password from `crypto.randomBytes`. Bytes are rejection-sampled so every symbol is equally
 * likely (a plain `byte % 62` would favour the first 8 symbols). It starts with a letter, so YAML
 * never reads it as a number.
 */
export function generatePassword(length: number = PASSWORD_LENGTH, random: RandomSource = randomBytes): string {
  if (length < 20) throw new Error(`a password needs at least 20 characters, not ${length}`);
  return pick(LETTERS, 1, random) + pick(PASSWORD_ALPHABET, length - 1, random);
}

function pick(alphabet: string, count: number, random: RandomSource): string {
  const limit = 256 - (256 % alphabet.length); // the largest multiple of the alphabet's size that fits in a byte
  let out = '';
  while (out.length < count) {
    for (const byte of random(count - out.length + 8)) {
      if (byte < limit && out.length < count) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
