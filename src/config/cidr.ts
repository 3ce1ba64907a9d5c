/** IPv4 CIDR arithmetic: enough for checking the config, nothing more. */
export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined; // host bits set: 10.0.0.1/16 is a typo, not a network
  return { base, prefix };
}

export const isValidCidr = (text: string): boolean => parseCidr(text) !== undefined;

const end = (c: Cidr) => c.base + 2 ** (32 - c.prefix) - 1;

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && end(inner) <= end(outer);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base <= end(b) && b.base <= end(a);
}
