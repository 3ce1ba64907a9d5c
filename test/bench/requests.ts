/**
 * What an AWS request asks for, read off the wire at the bench's latency proxy: the service from
 * the SigV4 credential scope, the operation from the query protocol's `Action`, the JSON
 * protocol's `X-Amz-Target` or the RPC v2 path; REST APIs (Route 53, Backup) by method and path.
 * Lets the bench count the calls of a program it cannot hook into (Terraform) as it counts devenv's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isMutating } from '../../src/aws/clients.js';

export interface WireCall {
  service: string;
  /** The API operation, or `METHOD /path` (ids elided) for a REST API. */
  operation: string;
  read: boolean;
}

export function wireCall(method: string, url: string, headers: IncomingHttpHeaders, body: string): WireCall {
  const auth = String(headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const target = headers['x-amz-target'];
  const rpc = /\/service\/[^/]+\/operation\/([A-Za-z]+)/.exec(url)?.[1];
  const action =
    new URLSearchParams(body).get('Action') ?? new URL(url, 'http://x').searchParams.get('Action') ?? undefined;
  const named = (typeof target === 'string' ? target.split('.').at(-1) : undefined) ?? rpc ?? action;
  if (named) return { service, operation: named, read: !isMutating(named) };
  const path = new URL(url, 'http://x').pathname.replace(/\/[A-Za-z0-9%:._-]{12,}/g, '/…');
  return { service, operation: `${method} ${path}`, read: method === 'GET' || method === 'HEAD' };
}
