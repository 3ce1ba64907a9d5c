/**
 * `devenv output` after an `up`: what it prints is what AWS has (the load balancer's DNS name, the
 * host's address and instance, the data volume) and each developer's URL, read from the state with
 * no AWS call; one output by name is its bare value, an unknown name gets the one it probably meant.
 */
import { DescribeInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeAll, expect, it } from 'vitest';
import { describeResult, newWorkspace, PROJECT, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

describeMoto('devenv output', (moto) => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const up = await ws.cli(['up']);
    expect(up.code, describeResult(up)).toBe(0);
  }, 300_000);

  it('prints what AWS has and each URL, from the state alone; one by name is its bare value', async () => {
    const aws = await moto.server.clients();
    const lb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!;
    const instances = (
      await aws.ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }),
      )
    ).Reservations!.flatMap((r) => r.Instances!);
    const volumes = (
      await aws.ec2.send(
        new DescribeVolumesCommand({
          Filters: [
            { Name: 'tag:devenv:project', Values: [PROJECT] },
            { Name: 'tag:devenv:resource', Values: ['volume/data'] },
          ],
        }),
      )
    ).Volumes!;
    expect([lb.length, instances.length, volumes.length]).toEqual([1, 1, 1]);

    const json = await ws.cli(['output', '--json']);
    expect(json.code, describeResult(json)).toBe(0);
    expect(json.calls.read, 'read from the local state: no AWS call').toEqual([]);
    expect(JSON.parse(json.stdout)).toEqual({
      loadBalancerDns: lb[0]!.DNSName,
      hostAddress: instances[0]!.PublicIpAddress,
      instanceId: instances[0]!.InstanceId,
      dataVolumeId: volumes[0]!.VolumeId,
      urls: { alice: 'https://alice.dev.example.com', bob: 'https://bob.dev.example.com' },
    });

    const text = await ws.cli(['output']);
    expect(text.stdout).toContain(`loadBalancerDns = ${lb[0]!.DNSName}\n`);
    expect(text.stdout).toContain('urls.bob = https://bob.dev.example.com');

    const one = await ws.cli(['output', 'instanceId']);
    expect(one.stdout).toBe(`${instances[0]!.InstanceId}\n`);
    expect((await ws.cli(['output', 'urls.alice'])).stdout).toBe('https://alice.dev.example.com\n');

    const typo = await ws.cli(['output', 'instanceID']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no output named "instanceID"');
    expect(typo.stderr).toContain('instanceId');
  });
});
