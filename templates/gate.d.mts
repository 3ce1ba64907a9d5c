// Types of ./gate.mjs for the TypeScript that renders and tests it (the host runs the .mjs as it is).
import type { KeyObject } from 'node:crypto';
import type { Server } from 'node:http';

export const HEADER: 'x-amzn-oidc-data';

export interface Identity {
  email?: string;
  subject?: string;
}
export type Claims = Record<string, unknown> & { email?: string; sub?: string };
export type CheckResult = { ok: true; claims?: Claims } | { ok: false; reason: string; claims?: Claims };
export type KeyFor = (kid: string) => Promise<KeyObject | null>;

export function checkToken(
  token: string,
  o: { signer: string | undefined; keyFor: KeyFor; now: () => number; identity: Identity },
): Promise<CheckResult>;
export function keyStore(o: { endpoint: string; ca?: string; timeoutMs?: number }): KeyFor;
export function signerFromFile(file: string): () => string | undefined;
export function refusalPage(developer: string, result: { reason: string; claims?: Claims }): string;
export function createGate(o: {
  developer: string;
  identity: Identity;
  signer: () => string | undefined;
  keyFor: KeyFor;
  upstream: { host: string; port: number };
  now?: () => number;
}): Server;
