import type { Model } from '../config/model.js';
import { awsResource, type PlannedResource } from './types.js';

export const secretName = (model: Pick<Model, 'project'>, developer: string, what: 'password' | 'anthropic-api-key') => `${model.project}/${developer}/${what}`;
export const logGroupPrefix = (model: Pick<Model, 'project'>) => `/aws/ec2/${model.project}`;

export function iamBlueprint(model: Model): PlannedResource[] {
  return [
    awsResource(model, 'iam/role', 'IAM role', { trust: 'ec2.amazonaws.com' }),
    awsResource(model, 'iam/policy', 'IAM inline policy', {
      allows: [
        `secretsmanager:GetSecretValue on ${model.project}/*`,
        `logs:CreateLogStream, PutLogEvents on ${logGroupPrefix(model)}/*`,
        'cloudwatch:PutMetricData',
      ],
    }),
    awsResource(model, 'iam/profile', 'instance profile', { role: 'iam/role' }),
  ];
}

export function secretsBlueprint(model: Model): PlannedResource[] {
  return model.developers.flatMap((d) => [
    { ...awsResource(model, `secret/${d.name}/password`, 'secret', { generated: 'random, 24 characters' }, d.name), name: secretName(model, d.name, 'password') },
    ...(d.anthropicApiKey
      ? [{ ...awsResource(model, `secret/${d.name}/anthropic-api-key`, 'secret', { from: 'file' in d.anthropicApiKey ? `file ${d.anthropicApiKey.file}` : `$${d.anthropicApiKey.env}` }, d.name), name: secretName(model, d.name, 'anthropic-api-key') }]
      : []),
  ]);
}
