import { TAG } from '../config/tags.js';
import type { Developer, Model } from '../config/model.js';
import { awsResource, type PlannedResource, type PropertyValue } from './types.js';

/** What a developer's secret holds: the last part of its name and of its logical id. */
export type SecretContent = 'password' | 'anthropic-api-key';

export const secretName = (model: Pick<Model, 'project'>, developer: string, what: SecretContent) =>
  `${model.project}/${developer}/${what}`;
export const logGroupPrefix = (model: Pick<Model, 'project'>) => `/aws/ec2/${model.project}`;

/** The seed scripts' names, kept so the host's role reads the same in the console as before. */
export const iamNames = (model: Pick<Model, 'project'>) => ({
  role: `${model.project}-ec2-role`,
  policy: `${model.project}-ec2-policy`,
  profile: `${model.project}-ec2-profile`,
});

/** The CloudWatch agent's default namespace: the only one the host may put metrics into. */
export const METRICS_NAMESPACE = 'CWAgent';

/** The AWS partition of a region: ARNs and some service principals differ between them. */
export const partitionOf = (region: string): 'aws' | 'aws-cn' | 'aws-us-gov' =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

/** EC2's service principal: `ec2.amazonaws.com.cn` in the China Regions, `ec2.amazonaws.com` elsewhere. */
export const ec2ServicePrincipal = (region: string): string =>
  partitionOf(region) === 'aws-cn' ? 'ec2.amazonaws.com.cn' : 'ec2.amazonaws.com';

export const ec2TrustPolicy = (region: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ec2ServicePrincipal(region) }, Action: 'sts:AssumeRole' }],
});

/** The host role's inline policy: this project's secrets and log groups only. */
export function hostPolicy(model: Pick<Model, 'project' | 'region'>, account: string) {
  const arn = (service: string, resource: string) =>
    `arn:${partitionOf(model.region)}:${service}:${model.region}:${account}:${resource}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        // By name and by tag: a name prefix alone would let a project named `prod` read every `prod/…`
        // secret of the account. (The `/` after the project keeps `prod-2/…` out of `prod/*`.) Every secret
        // devenv makes carries devenv:project from its CreateSecret on.
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: arn('secretsmanager', `secret:${model.project}/*`),
        Condition: { StringEquals: { [`secretsmanager:ResourceTag/${TAG.project}`]: model.project } },
      },
      {
        // What the CloudWatch agent calls when the groups exist (the monitoring phase makes them, with their
        // retention): a stream per instance, then its events. It calls CreateLogGroup only for a missing group,
        // DescribeLogGroups and PutRetentionPolicy only when its own config sets a retention, and no longer
        // DescribeLogStreams (PutLogEvents needs no sequence token since 2023).
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
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

export function iamBlueprint(model: Model): PlannedResource[] {
  const names = iamNames(model);
  const account = model.config.accountId ?? '<account>';
  const role = awsResource(
    model,
    'iam/role',
    'IAM role',
    { trust: ec2ServicePrincipal(model.region) },
    undefined,
    names.role,
  );
  return [
    role,
    awsResource(
      model,
      'iam/policy',
      'IAM inline policy',
      {
        allows: hostPolicy(model, account).Statement.map(
          (s) =>
            `${[s.Action].flat().join(', ')} on ${s.Resource}${
              s.Condition ? ` if ${JSON.stringify(s.Condition.StringEquals)}` : ''
            }`,
        ),
      },
      undefined,
      names.policy,
    ),
    awsResource(model, 'iam/profile', 'instance profile', { role: role.name }, undefined, names.profile),
  ];
}

/**
 * A developer's secret as planned, with what it holds: the secrets phase generates a password and
 * reads an API key from its source.
 */
export interface DeveloperSecret {
  planned: PlannedResource;
  developer: Developer;
  holds: SecretContent;
}

export function developerSecrets(model: Model): DeveloperSecret[] {
  const secret = (d: Developer, holds: SecretContent, properties: Record<string, PropertyValue>): DeveloperSecret => ({
    developer: d,
    holds,
    planned: awsResource(
      model,
      `secret/${d.name}/${holds}`,
      'secret',
      properties,
      d.name,
      secretName(model, d.name, holds),
    ),
  });
  return model.developers.flatMap((d) => [
    secret(d, 'password', { generated: 'random, 24 letters and digits' }),
    ...(d.anthropicApiKey
      ? [
          secret(d, 'anthropic-api-key', {
            from: 'file' in d.anthropicApiKey ? `file ${d.anthropicApiKey.file}` : `$${d.anthropicApiKey.env}`,
          }),
        ]
      : []),
  ]);
}

export const secretsBlueprint = (model: Model): PlannedResource[] => developerSecrets(model).map((s) => s.planned);
