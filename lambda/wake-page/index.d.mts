// Types of the wake page's handler (index.mjs, plain JavaScript so that it runs as uploaded), for devenv's tests.
import type { Action, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';

export interface AlbResponse {
  statusCode: number;
  statusDescription?: string;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
export const WAKE_PATH: string;
export const STATUS_PATH: string;
export function handler(
  event: Record<string, unknown>,
  context?: { getRemainingTimeInMillis(): number },
): Promise<AlbResponse & Record<string, unknown>>;
export function page(developer: string, state: string): string;
export function escapeHtml(text: string): string;
export function actionsForwardingTo(rule: Rule, groupArn: string): Action[];
