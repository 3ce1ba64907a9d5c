import type { Model } from '../config/model.js';
import { awsResource, type PlannedResource } from './types.js';

export const secretName = (model: Pick<Model, 'project'>, developer: string, what: 'password' | 'anthropic-api-key') => `${model.project}/${developer}/${what}`;
export const logGroupPrefix = (model: Pick<Model, 'project'>) => `/aws/ec2/${model.project}`;

/** The seed scripts' names, kept so the host's role reads the same in the console as before. */
export const iamNames = (model: Pick<Model, 'project'>) => ({
  role: `${model.project}-ec2-role`,
  policy: `${model.project}-ec2-policy`,
  profile: `${model.project}-ec2-profile`,
});

/** The CloudWatch agent's default namespace: the only one the host may put metrics into. */
export const METRICS_NAMESPACE = 'CWAgent';

export const partitionOf = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

export const ec2TrustPolicy = () => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** The host role's inline policy: this project's secrets and log groups only. */
export function hostPolicy(model: Pick<Model, 'project' | 'region'>, account: string) {
  const arn = (service: string, resource: string) => `arn:${partitionOf(model.region)}:${service}:${model.region}:${account}:${resource}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadOwnSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arn('secretsmanager', `secret:${model.project}/*`) },
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: arn('logs', `log-group:${logGroupPrefix(model)}/*`),
      },
      {
        // PutMetricData has no resource-level permissions; the namespace condition is all IAM offers.
        Sid: 'PutAgentMetrics',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      },
    ],
  };
}

/** A planned resource whose AWS name (and Name tag) is not `<project>-<logical id>`. */
const named = (resource: PlannedResource, name: string): PlannedResource => ({ ...resource, name, tags: { ...resource.tags, Name: name } });

export function iamBlueprint(model: Model): PlannedResource[] {
  const names = iamNames(model);
  const account = model.config.accountId ?? '<account>';
  return [
    named(awsResource(model, 'iam/role', 'IAM role', { trust: 'ec2.amazonaws.com' }), names.role),
    named(awsResource(model, 'iam/policy', 'IAM inline policy', {
      allows: hostPolicy(model, account).Statement.map((s) => `${[s.Action].flat().join(', ')} on ${s.Resource}`),
    }), names.policy),
    named(awsResource(model, 'iam/profile', 'instance profile', { role: names.role }), names.profile),
  ];
}

export function secretsBlueprint(model: Model): PlannedResource[] {
  return model.developers.flatMap((d) => [
    named(awsResource(model, `secret/${d.name}/password`, 'secret', { generated: 'random, 24 letters and digits' }, d.name), secretName(model, d.name, 'password')),
    ...(d.anthropicApiKey
      ? [named(awsResource(model, `secret/${d.name}/anthropic-api-key`, 'secret', { from: 'file' in d.anthropicApiKey ? `file ${d.anthropicApiKey.file}` : `$${d.anthropicApiKey.env}` }, d.name), secretName(model, d.name, 'anthropic-api-key'))]
      : []),
  ]);
}
