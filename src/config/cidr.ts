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

/** What is wrong with a CIDR block, in words with the likely fix; `undefined` when it is a network such as 10.0.0.0/16. */
export function cidrProblem(text: string): string | undefined {
  if (parseAddress(text) !== undefined) return `is an address, not a CIDR block: did you mean ${text}/32?`;
  const [address, prefixText, ...rest] = text.split('/');
  const base = parseAddress(address);
  const prefix = /^\d{1,2}$/.test(prefixText ?? '') ? Number(prefixText) : NaN;
  if (base === undefined || rest.length > 0 || !(prefix <= 32)) return 'is not an IPv4 CIDR block such as 203.0.113.7/32';
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
