/** IPv4 CIDR arithmetic: enough for checking the config, nothing more. */
export interface Cidr {
  base: number;
  prefix: number;
}

const ADDRESS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseAddress(text: string): number | undefined {
  const m = ADDRESS.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  return octets.some((o) => o > 255) ? undefined : octets.reduce((acc, o) => acc * 256 + o, 0);
}

const formatAddress = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
const size = (prefix: number) => 2 ** (32 - prefix);

/**
 * What is wrong with a CIDR block, in words with the likely fix; `undefined` when it is a network such as 10.0.0.0/16.
 */
export function cidrProblem(text: string): string | undefined {
  if (parseAddress(text) !== undefined) return `is an address, not a CIDR block: did you mean ${text}/32?`;
  const [address, prefixText, ...rest] = text.split('/');
  const base = parseAddress(address);
  const prefix = /^\d{1,2}$/.test(prefixText ?? '') ? Number(prefixText) : NaN;
  if (base === undefined || rest.length > 0 || !(prefix <= 32))
    return 'is not an IPv4 CIDR block such as 203.0.113.7/32';
  const network = base - (base % size(prefix));
  if (network !== base) return `has host bits set; did you mean ${formatAddress(network)}/${prefix}?`;
  return undefined;
}

export function parseCidr(text: string): Cidr | undefined {
  if (cidrProblem(text) !== undefined) return undefined;
  const [address, prefix] = text.split('/');
  return { base: parseAddress(address)!, prefix: Number(prefix) };
}

const end = (c: Cidr) => c.base + size(c.prefix) - 1;

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && end(inner) <= end(outer);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base <= end(b) && b.base <= end(a);
}

/** Whether an IPv4 address lies in any of the CIDR blocks. */
export const insideAny = (address: string, cidrs: string[]): boolean => {
  const one = parseCidr(`${address}/32`);
  return (
    one !== undefined &&
    cidrs.some((c) => {
      const block = parseCidr(c);
      return block !== undefined && cidrContains(block, one);
    })
  );
};

// --- IPv6, for the load balancer's allowed sources -----------------------------------------------

/** An IPv6 block as one 128-bit number. */
export interface Cidr6 {
  base: bigint;
  prefix: number;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseAddress6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (groups.flat().some((g) => !HEXTET.test(g))) return undefined;
  const given = groups.flat().length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const all = halves.length === 1 ? groups[0] : [...groups[0], ...Array<string>(8 - given).fill('0'), ...groups[1]];
  return all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952's form (lower case, the longest run of zero groups as ::), which is how EC2 shows a rule's CidrIpv6. */
function formatAddress6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

const size6 = (prefix: number) => 1n << BigInt(128 - prefix);

export function parseCidr6(text: string): Cidr6 | undefined {
  const [address, prefixText, ...rest] = text.split('/');
  const base = parseAddress6(address ?? '');
  const prefix = /^\d{1,3}$/.test(prefixText ?? '') ? Number(prefixText) : NaN;
  if (base === undefined || rest.length > 0 || !(prefix <= 128)) return undefined;
  return { base, prefix };
}

/** What is wrong with an IPv4 or IPv6 CIDR block, or `undefined`. */
export function anyCidrProblem(text: string): string | undefined {
  if (!text.includes(':')) return cidrProblem(text);
  if (parseAddress6(text) !== undefined) return `is an address, not a CIDR block: did you mean ${text}/128?`;
  const c = parseCidr6(text);
  if (!c) return 'is not an IPv4 or IPv6 CIDR block such as 203.0.113.7/32 or 2001:db8::/32';
  const network = c.base - (c.base % size6(c.prefix));
  if (network !== c.base) return `has host bits set; did you mean ${formatAddress6(network)}/${c.prefix}?`;
  return undefined;
}

/** An IPv4 block as given; an IPv6 block in EC2's form (so a rule read back compares equal). */
export const canonicalCidr = (text: string): string => {
  const c = text.includes(':') ? parseCidr6(text) : undefined;
  return c ? `${formatAddress6(c.base)}/${c.prefix}` : text;
};

/** The prefix length of an IPv4 or IPv6 block (0 for the whole internet). */
export const prefixOf = (text: string): number | undefined =>
  text.includes(':') ? parseCidr6(text)?.prefix : parseCidr(text)?.prefix;

/** The `index`-th block of length `prefix` inside `pool` (IPv4), or `undefined` when the pool has no such block. */
export function nthBlock(pool: Cidr, prefix: number, index: number): string | undefined {
  if (prefix < pool.prefix || index < 0 || index >= 2 ** (prefix - pool.prefix)) return undefined;
  return `${formatAddress(pool.base + index * size(prefix))}/${prefix}`;
}
