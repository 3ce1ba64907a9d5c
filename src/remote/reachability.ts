import { isIPv4 } from 'node:net';
import type { Instance } from '@aws-sdk/client-ec2';
import { describeById, INSTANCES } from '../aws/ec2/collections.js';
import { insideAny } from '../config/cidr.js';
import { adminCidrsOf } from '../config/ssh.js';
import { messageOf } from '../errors.js';
import type { AwsContext } from '../aws/context.js';
import type { Reachability, SshTarget } from './ssh.js';

/**
 * Public DNS, for what AWS cannot answer: is the hosted zone the one its domain is delegated to?
 * Where does a developer's hostname lead from here (`lookup`: the addresses an HTTPS client would connect to)?
 * `publicAddress`: this machine's public IPv4 address as the internet sees it, `undefined` when it
 * cannot be learnt in a few seconds (absent: never asked, as in tests).
 */
export interface PublicDns {
  resolveNs(name: string): Promise<string[]>;
  lookup(name: string): Promise<string[]>;
  publicAddress?(): Promise<string | undefined>;
}

/** checkip.amazonaws.com answers with the caller's public IPv4 address; a short wait, never an error. */
export async function publicAddressFromCheckIp(timeoutMs = 2_000): Promise<string | undefined> {
  try {
    const res = await fetch('https://checkip.amazonaws.com/', { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const text = (await res.text()).trim();
    return isIPv4(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

const groupsOf = (host: Instance) =>
  (host.SecurityGroups ?? []).map((g) => (g.GroupName ? `${g.GroupId} (${g.GroupName})` : g.GroupId!)).join(', ');

/**
 * Why SSH to the host may fail, from what can be learnt in a few seconds: the host's state (read
 * again), its security group and the admin CIDRs it admits, the address tried, and whether this
 * machine's public address is among the admitted (when it can be learnt). The remedy fits the
 * first cause found.
 */
export async function diagnoseSsh(
  ctx: Pick<AwsContext, 'config' | 'aws'> & { dns: PublicDns },
  target: SshTarget,
): Promise<Reachability> {
  const { ssh } = ctx.config;
  const cidrs = adminCidrsOf(ssh);
  const facts = [
    `the address tried is ${target.host}:${target.port} (${ssh.host ? 'ssh.host' : "the host's public IP address"})`,
  ];
  const host = await describeById(ctx.aws.ec2, INSTANCES, target.instanceId).catch((err: unknown) => {
    facts.push(`the host could not be described (${messageOf(err)})`);
    return null;
  });
  const state = host === undefined ? 'gone' : host?.State?.Name;
  if (state) facts.push(`instance ${target.instanceId} is ${state}`);
  if (host)
    facts.push(`its security group ${groupsOf(host)} lets port 22 in from ${cidrs.join(', ')} only (ssh.adminCidrs)`);
  if (state && state !== 'running') {
    return {
      facts,
      remedy:
        'run `devenv up`: the ec2 phase starts a stopped host or replaces a missing one; then run this command again',
    };
  }
  if (ssh.host) {
    return {
      facts,
      remedy:
        `check that ${ssh.host}:${target.port} (ssh.host, ssh.port) leads to the host's sshd: the ` +
        'bastion or tunnel is up and forwards to it; then run this command again',
    };
  }
  const mine = await ctx.dns.publicAddress?.().catch(() => undefined);
  if (!mine) {
    facts.push("this machine's public address could not be learnt (checkip.amazonaws.com did not answer)");
    return {
      facts,
      remedy:
        `check that ${cidrs.join(', ')} (ssh.adminCidrs) holds this machine's public address (\`curl ` +
        `https://checkip.amazonaws.com\` shows it; after a change run \`devenv phase sg\`), ` +
        'and that instance.privateKeyPath holds the key the host was launched with; then run this command again',
    };
  }
  if (!insideAny(mine, cidrs)) {
    facts.push(`this machine's public address ${mine} is outside ${cidrs.join(', ')}`);
    return {
      facts,
      remedy:
        `add ${mine}/32 (or a network that holds it) to ssh.adminCidrs in the config and run \`devenv ` +
        `phase sg\` to update the security group; then run this command again`,
    };
  }
  facts.push(`this machine's public address ${mine} is inside ${cidrs.join(', ')}`);
  return {
    facts,
    remedy:
      'the host is running and admits this machine, so look at the host itself: its sshd may still ' +
      'be starting (see its console: ' +
      `\`aws ec2 get-console-output --instance-id ${target.instanceId} --latest --output text\`), or ` +
      'instance.privateKeyPath may not hold the key it was launched with; then run this command again',
  };
}
