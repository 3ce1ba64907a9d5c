import { describe, expect, it } from 'vitest';
import { ec2TrustPolicy, hostPolicy, iamBlueprint } from '../../src/blueprint/identity.js';
import { parseConfig } from '../../src/config/load.js';
import { buildModel } from '../../src/config/model.js';
import { baseConfig } from '../helpers/context.js';

const model = (region: string) =>
  buildModel(parseConfig(JSON.stringify({ ...baseConfig, region, availabilityZone: undefined })));

describe('partitions', () => {
  it.each([
    ['eu-west-1', 'aws', 'ec2.amazonaws.com'],
    ['cn-north-1', 'aws-cn', 'ec2.amazonaws.com.cn'],
    ['us-gov-west-1', 'aws-us-gov', 'ec2.amazonaws.com'],
  ])('%s: ARNs in partition %s, EC2 principal %s', (region, partition, principal) => {
    const policy = hostPolicy(model(region), '123456789012');
    const arns = policy.Statement.map((s) => s.Resource).filter((r) => r !== '*');
    expect(arns).toEqual([
      `arn:${partition}:secretsmanager:${region}:123456789012:secret:demo/*`,
      `arn:${partition}:logs:${region}:123456789012:log-group:/aws/ec2/demo/*`,
    ]);
    expect(ec2TrustPolicy(region).Statement[0].Principal.Service).toBe(principal);
    expect(iamBlueprint(model(region))[0].properties.trust).toBe(principal);
  });
});
