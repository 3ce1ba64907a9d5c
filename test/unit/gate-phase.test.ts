/**
 * The gate phase: the host's gates learn the load balancer's ARN (the `signer` they accept) once
 * alb has recorded it, written on the host only when it changed; nothing at all in password mode.
 */
import { describe, expect, it } from 'vitest';
import gatePhase from '../../src/phases/gate.js';
import type { RemoteHost } from '../../src/remote/host.js';
import { testContext } from '../helpers/context.js';

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/devenv-demo/50dc6c495c0c9188';
const identities = {
  auth: { provider: 'cognito' as const },
  developers: [
    { name: 'alice', email: 'alice@corp.example' },
    { name: 'bob', email: 'bob@corp.example' },
  ],
};

/** A host holding files in memory: `cat` reads one, `upload` writes one. */
function fakeHost() {
  const files = new Map<string, { content: string; mode: string; owner: string }>();
  const writes: string[] = [];
  const host = {
    files,
    writes,
    sudo: async (command: string) => {
      const path = command.match(/^cat '([^']+)'/)?.[1];
      const file = path ? files.get(path) : undefined;
      return file ? { code: 0, stdout: file.content, stderr: '' } : { code: 1, stdout: '', stderr: '' };
    },
    upload: async (path: string, content: string, o: { mode: string; owner: string }) => {
      writes.push(path);
      files.set(path, { content, ...o });
    },
  };
  return host as unknown as RemoteHost & typeof host;
}

describe('the gate phase', () => {
  it("writes the load balancer's ARN for the gates, root's and readable, and rewrites it only when it changes", async () => {
    const ctx = await testContext('gate', identities);
    const host = fakeHost();
    await ctx.state.setResource('alb', { kind: 'load balancer', phase: 'alb', id: ARN });
    expect((await gatePhase.plan({ ...ctx })).map((c) => c.action)).toEqual(['create']);
    await gatePhase.apply({ ...ctx, ssh: async () => host });
    expect(host.files.get('/etc/devenv/gate/signer')).toEqual({
      content: `${ARN}\n`,
      mode: '0644',
      owner: 'root:root',
    });
    expect((await gatePhase.plan({ ...ctx })).map((c) => c.action)).toEqual(['keep']);
    await gatePhase.apply({ ...ctx, ssh: async () => host });
    expect(host.writes).toHaveLength(1);
    // A replaced load balancer: the gates must follow it.
    const other = ARN.replace('50dc6c495c0c9188', '0123456789abcdef');
    await ctx.state.setResource('alb', { kind: 'load balancer', phase: 'alb', id: other });
    expect((await gatePhase.plan({ ...ctx }))[0]).toMatchObject({
      action: 'update',
      detail: expect.stringContaining(other),
    });
    await gatePhase.apply({ ...ctx, ssh: async () => host });
    expect(host.files.get('/etc/devenv/gate/signer')?.content).toBe(`${other}\n`);
  });

  it('fails naming what to run when the state records no load balancer', async () => {
    const ctx = await testContext('gate', identities);
    await expect(gatePhase.apply({ ...ctx, ssh: async () => fakeHost() })).rejects.toThrow(/records no load balancer/);
  });

  it('does nothing, and plans nothing, with auth.provider "password"', async () => {
    const ctx = await testContext('gate');
    await ctx.state.setResource('alb', { kind: 'load balancer', phase: 'alb', id: ARN });
    await gatePhase.apply(ctx); // the context's ssh() throws if anything logs in
    expect(await gatePhase.plan(ctx)).toEqual([]);
    expect(await gatePhase.status(ctx)).toEqual([]);
  });
});
