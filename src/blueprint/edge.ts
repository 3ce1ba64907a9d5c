import type { Model } from '../config/model.js';
import { callbackUrl } from './sign-in.js';
import { awsResource, type PlannedResource } from './types.js';

/** The logical ids of the certificate, the load balancer, a developer's target group and DNS record. */
export const CERTIFICATE = 'cert';
export const LOAD_BALANCER = 'alb';
/** The https phase's listener, whose rules sign developers in. */
export const HTTPS_LISTENER = 'listener/https';
export const targetGroupId = (developer: string) => `tg/${developer}`;
export const recordId = (developer: string) => `record/${developer}`;

export function certBlueprint(model: Model): PlannedResource[] {
  const domain = model.config.baseDomain;
  return [
    awsResource(model, CERTIFICATE, 'ACM certificate', {
      domain: `*.${domain}`,
      alternativeNames: [domain],
      validation: 'DNS',
    }),
    // Route 53 records carry no tags; ACM gives the names once the certificate is requested.
    {
      ...awsResource(model, 'cert/validation', 'DNS record', {
        type: 'CNAME (ACM validation, kept for renewal)',
        zone: model.config.hostedZoneId,
      }),
      tags: {},
    },
  ];
}

/** The Strict-Transport-Security value the HTTPS listener sends: `max-age=31536000; includeSubDomains`. */
export const hstsHeader = (hsts: Model['config']['alb']['hsts']): string =>
  `max-age=${hsts.maxAgeSeconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}`;

export function albBlueprint(model: Model): PlannedResource[] {
  return [
    awsResource(model, LOAD_BALANCER, 'load balancer', {
      scheme: 'internet-facing',
      subnets: ['subnet/a', 'subnet/b'],
      securityGroup: 'sg/alb',
      idleTimeoutSeconds: model.config.alb.idleTimeoutSeconds,
      http2: true,
      dropInvalidHeaderFields: true,
      preserveHostHeader: true,
    }),
    ...model.developers.map((d) =>
      awsResource(
        model,
        targetGroupId(d.name),
        'target group',
        {
          port: d.port,
          protocol: 'HTTP',
          healthCheck: '/healthz (200) every 30 s, timeout 5 s, healthy 2, unhealthy 3',
          deregistrationDelaySeconds: 30,
          target: 'instance',
        },
        d.name,
      ),
    ),
    ...(model.config.alb.httpRedirect
      ? [awsResource(model, 'listener/http', 'listener', { port: 80, default: 'redirect to HTTPS (301)' })]
      : []),
  ];
}

/** What needs the issued certificate: the HTTPS listener and the developers' host rules on it. */
/** A rule's sign-in before it forwards, and, with an OIDC provider, the callback URL to register there. */
function signInProperties(model: Model, hostname: string): Record<string, string> {
  const { provider } = model.config.auth;
  if (provider === 'password') return {};
  return {
    signIn: `authenticate-${provider}`,
    ...(provider === 'oidc' ? { callback: `${callbackUrl(hostname)} (register it at the provider)` } : {}),
  };
}

export function httpsBlueprint(model: Model): PlannedResource[] {
  return [
    awsResource(model, HTTPS_LISTENER, 'listener', {
      port: 443,
      certificate: CERTIFICATE,
      sslPolicy: model.config.alb.sslPolicy,
      default: 'fixed 404',
      strictTransportSecurity: hstsHeader(model.config.alb.hsts),
    }),
    ...model.developers.map((d) =>
      awsResource(
        model,
        `rule/${d.name}`,
        'listener rule',
        {
          host: d.hostname,
          priority: d.priority,
          ...signInProperties(model, d.hostname),
          forwardTo: targetGroupId(d.name),
        },
        d.name,
      ),
    ),
  ];
}

export function dnsBlueprint(model: Model): PlannedResource[] {
  return model.developers.map((d) => ({
    ...awsResource(
      model,
      recordId(d.name),
      'DNS record',
      { type: 'A (alias to alb)', zone: model.config.hostedZoneId },
      d.name,
    ),
    name: d.hostname,
    tags: {},
  }));
}
