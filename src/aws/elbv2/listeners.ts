import {
  CreateListenerCommand,
  CreateRuleCommand,
  DeleteListenerCommand,
  DeleteRuleCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  type Action,
  type AuthenticateCognitoActionConfig,
  type AuthenticateOidcActionConfig,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { ElbCode, hasCode } from '../errors.js';
import { sendWithValue } from '../find/secrets.js';
import { readOnce } from '../read-once.js';
import type { ResourceSpec } from '../resource.js';
import { retryWithin, type ConsistencyWindow } from '../retry.js';
import { tagList } from '../../config/tags.js';

// ---------------------------------------------------------------------------------------------
// Listeners (443 with the certificate, 80 redirecting) and one host rule per developer. Both are
// found on devenv's own load balancer (by port, by host name): being there makes them devenv's.

type Elb = Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>;

export const listListeners = async (ctx: Pick<AwsContext, 'aws'>, lbArn: string): Promise<Listener[]> =>
  (await ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners ?? [];

/** A rule of a listener: one call for all of them (a listener holds at most 100). */
export const listRules = async (ctx: Pick<AwsContext, 'aws'>, listenerArn: string): Promise<Rule[]> =>
  ((await ctx.aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: 400 }))).Rules ?? []).map(
    withoutSecrets,
  );

/**
 * The rules as the run first read them: validate counts them, then alb (and, in `plan` and `status`,
 * https) looks its own up in them. Nothing but alb and https changes them, and both run after validate.
 */
export const listRulesOnce = (ctx: Pick<AwsContext, 'aws' | 'reads'>, listenerArn: string): Promise<Rule[]> =>
  readOnce(ctx, `elbv2:rules:${listenerArn}`, () => listRules(ctx, listenerArn));

/**
 * CreateListener/ModifyListener can refuse a just-issued certificate for a while
 * CreateListener/ModifyListener can refuse a just-issued certificate for a while
 * (docs/aws-behaviour.md#eventual-consistency; Terraform retries).
 */
const CERTIFICATE_PROPAGATION: ConsistencyWindow = {
  name: 'the new certificate to reach the load balancer',
  windowMs: 2 * 60_000,
  intervalMs: 5_000,
};

const retryingCertificate = <T>(ctx: Elb, call: () => Promise<T>) =>
  retryWithin(CERTIFICATE_PROPAGATION, (err) => hasCode(err, ElbCode.certificateNotFound), call, {
    clock: ctx.clock,
    signal: ctx.signal,
    onRetry: (message) => ctx.report.progress(message),
  });

export const NOT_FOUND_ACTION: Action = {
  Type: 'fixed-response',
  FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'No workspace at this address' },
};
export const REDIRECT_ACTION: Action = {
  Type: 'redirect',
  RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
};

/** What a listener should be: port, protocol, default action and, for HTTPS, the TLS policy and certificate. */
export interface ListenerWant {
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  defaultAction: Action;
  sslPolicy?: string;
  certificateArn?: string;
  /** Runs before a call that hands AWS the certificate (AWS refuses one that is not issued yet). */
  beforeCertificateUse?: () => Promise<void>;
  /** Listener attributes to hold these values (CreateListener takes none: they are set after it). */
  attributes?: Record<string, string>;
}

/**
 * The Strict-Transport-Security header an HTTPS listener adds to every answer (ELB API reference: ListenerAttribute).
 */
export const HSTS_ATTRIBUTE = 'routing.http.response.strict_transport_security.header_value';

export function listenerSpec(
  ctx: Elb,
  planned: PlannedResource,
  listed: Listener[],
  lbArn: string | undefined,
  want: ListenerWant,
): ResourceSpec<Listener> {
  return {
    logicalId: planned.logicalId,
    kind: planned.kind,
    describe: async (arn) => listed.find((l) => l.ListenerArn === arn),
    find: async () => listed.filter((l) => l.Port === want.port),
    create: async () => {
      await want.beforeCertificateUse?.();
      const out = await retryingCertificate(ctx, () =>
        ctx.aws.elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: lbArn,
            Port: want.port,
            Protocol: want.protocol,
            DefaultActions: [want.defaultAction],
            Tags: tagList(planned.tags),
            ...(want.sslPolicy ? { SslPolicy: want.sslPolicy } : {}),
            ...(want.certificateArn ? { Certificates: [{ CertificateArn: want.certificateArn }] } : {}),
          }),
        ),
      );
      return out.Listeners![0]!;
    },
    idOf: (l) => l.ListenerArn!,
  };
}

const sameAction = (a: Action | undefined, b: Action) =>
  a?.Type === b.Type &&
  (b.Type !== 'fixed-response' || a?.FixedResponseConfig?.StatusCode === b.FixedResponseConfig?.StatusCode) &&
  (b.Type !== 'redirect' ||
    (a?.RedirectConfig?.Protocol === b.RedirectConfig?.Protocol &&
      a?.RedirectConfig?.Port === b.RedirectConfig?.Port &&
      a?.RedirectConfig?.StatusCode === b.RedirectConfig?.StatusCode));

/** One ModifyListener for whatever drifted: TLS policy, certificate, default action. */
export function listenerFixes(ctx: Elb, listener: Listener, want: ListenerWant): Fix[] {
  const changes: string[] = [];
  if (want.sslPolicy && listener.SslPolicy !== want.sslPolicy)
    changes.push(`TLS policy ${listener.SslPolicy ?? 'none'} → ${want.sslPolicy}`);
  const certificate = listener.Certificates?.[0]?.CertificateArn;
  if (want.certificateArn && certificate !== want.certificateArn)
    changes.push(`certificate ${certificate ?? 'none'} → ${want.certificateArn}`);
  if (!sameAction(listener.DefaultActions?.[0], want.defaultAction) || (listener.DefaultActions?.length ?? 0) !== 1)
    changes.push(`default action → ${want.defaultAction.Type}`);
  if (!changes.length) return [];
  return [
    {
      description: `listener ${want.port}: ${changes.join(', ')}`,
      run: async () => {
        if (want.certificateArn && certificate !== want.certificateArn) await want.beforeCertificateUse?.();
        return retryingCertificate(ctx, () =>
          ctx.aws.elbv2.send(
            new ModifyListenerCommand({
              ListenerArn: listener.ListenerArn,
              DefaultActions: [want.defaultAction],
              ...(want.sslPolicy ? { SslPolicy: want.sslPolicy } : {}),
              ...(want.certificateArn ? { Certificates: [{ CertificateArn: want.certificateArn }] } : {}),
            }),
          ),
        );
      },
    },
  ];
}

/**
 * One ModifyListenerAttributes for the wanted attributes that differ (only those are sent: the
 * others keep whatever they hold). A listener just created has none set yet, so it is not read.
 */
export async function listenerAttributeFixes(
  ctx: Pick<AwsContext, 'aws'>,
  listener: Listener,
  want: ListenerWant,
  fresh = false,
): Promise<Fix[]> {
  const wanted = Object.entries(want.attributes ?? {});
  if (!wanted.length) return [];
  const live = fresh
    ? []
    : ((await ctx.aws.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: listener.ListenerArn })))
        .Attributes ?? []);
  const current = new Map(live.map((a) => [a.Key, a.Value]));
  const differing = wanted.filter(([key, value]) => current.get(key) !== value);
  if (!differing.length) return [];
  const changes = differing.map(
    ([key, value]) => `${key} ${current.get(key) ? `"${current.get(key)}" ` : ''}→ "${value}"`,
  );
  return [
    {
      description: `listener ${want.port}: ${changes.join(', ')}`,
      run: () =>
        ctx.aws.elbv2.send(
          new ModifyListenerAttributesCommand({
            ListenerArn: listener.ListenerArn,
            Attributes: differing.map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
    },
  ];
}

export const hostOf = (rule: Rule): string | undefined =>
  rule.Conditions?.find((c) => c.Field === 'host-header')?.HostHeaderConfig?.Values?.[0] ??
  rule.Conditions?.find((c) => c.Field === 'host-header')?.Values?.[0];
export const forwardsTo = (rule: Rule): string | undefined =>
  rule.Actions?.find((a) => a.Type === 'forward')?.TargetGroupArn;

/** What an `authenticate-oidc` action holds but its client secret, which DescribeRules never returns. */
export type OidcSettings = Omit<AuthenticateOidcActionConfig, 'ClientSecret' | 'UseExistingClientSecret'>;

/** The sign-in a developer's rule does before it forwards, when an identity provider signs developers in. */
export type RuleAuth =
  | {
      type: 'authenticate-oidc';
      config: OidcSettings;
      /** Read only when a call must carry it: creating the rule, switching to OIDC, `--rotate-client-secret`. */
      clientSecret: () => Promise<string>;
      /** Send the secret again though nothing else changed (AWS cannot say whether it is still the same). */
      rotateSecret?: boolean;
    }
  | { type: 'authenticate-cognito'; config: AuthenticateCognitoActionConfig };

export interface RuleWant {
  host: string;
  priority: number;
  targetGroupArn?: string;
  auth?: RuleAuth;
  /** The wake page's target group: forwarding there while the host sleeps is converged too. */
  asleepGroupName?: string;
}

/** The fields compared with the live action (all it returns); `ClientSecret` is never among them. */
const OIDC_FIELDS = [
  'Issuer',
  'AuthorizationEndpoint',
  'TokenEndpoint',
  'UserInfoEndpoint',
  'ClientId',
  'SessionCookieName',
  'Scope',
  'SessionTimeout',
  'OnUnauthenticatedRequest',
] as const satisfies (keyof OidcSettings)[];
const COGNITO_FIELDS = [
  'UserPoolArn',
  'UserPoolClientId',
  'UserPoolDomain',
  'SessionCookieName',
  'Scope',
  'SessionTimeout',
  'OnUnauthenticatedRequest',
] as const satisfies (keyof AuthenticateCognitoActionConfig)[];

const isAuthenticate = (a: Action) => a.Type === 'authenticate-oidc' || a.Type === 'authenticate-cognito';
const byOrder = (actions: Action[] = []) =>
  [...actions].sort((a, b) => (a.Order ?? Number.MAX_SAFE_INTEGER) - (b.Order ?? Number.MAX_SAFE_INTEGER));

/**
 * What differs between a rule's sign-in and the wanted one, for people: empty when they agree. The rule must be
 * [authenticate, forward] in that order with a provider, [forward] without; the forward's target is not looked at
 * here (something else may switch it: ruleFixes compares it on its own).
 */
export function authDrift(rule: Rule, auth: RuleAuth | undefined): string[] {
  const actions = byOrder(rule.Actions);
  const live = actions.filter(isAuthenticate);
  const forwardLast = actions.at(-1)?.Type === 'forward' && actions.filter((a) => a.Type === 'forward').length === 1;
  if (!auth) {
    if (live.length) return [`sign-in ${live.map((a) => a.Type).join(', ')} removed`];
    return forwardLast && actions.length === 1 ? [] : ['actions → forward'];
  }
  const [current] = live;
  if (live.length !== 1 || current?.Type !== auth.type || !forwardLast || actions.length !== 2)
    return [`actions ${actions.map((a) => a.Type).join(', ') || 'none'} → ${auth.type}, forward`];
  const [fields, liveConfig, wantConfig] =
    auth.type === 'authenticate-oidc'
      ? [OIDC_FIELDS, current.AuthenticateOidcConfig ?? {}, auth.config]
      : [COGNITO_FIELDS, current.AuthenticateCognitoConfig ?? {}, auth.config];
  const differ = (fields as readonly string[]).filter(
    (f) =>
      String((liveConfig as Record<string, unknown>)[f] ?? '') !==
      String((wantConfig as Record<string, unknown>)[f] ?? ''),
  );
  return differ.length ? [`${auth.type} ${differ.join(', ')} changed`] : [];
}

/**
 * The rule's actions: [authenticate (Order 1), forward (Order 2)] with a provider, [forward] without. The OIDC
 * client secret is read and sent only when `withSecret` (else the ALB keeps the one it has): the value comes back
 * to scrub it from any error.
 */
async function ruleActions(want: RuleWant, withSecret: boolean): Promise<{ actions: Action[]; secret?: string }> {
  const forward: Action = { Type: 'forward', TargetGroupArn: want.targetGroupArn };
  const auth = want.auth;
  if (!auth) return { actions: [forward] };
  if (auth.type === 'authenticate-cognito')
    return {
      actions: [
        { Type: auth.type, Order: 1, AuthenticateCognitoConfig: auth.config },
        { ...forward, Order: 2 },
      ],
    };
  const secret = withSecret ? await auth.clientSecret() : undefined;
  const config: AuthenticateOidcActionConfig = secret
    ? { ...auth.config, ClientSecret: secret }
    : { ...auth.config, UseExistingClientSecret: true };
  return {
    actions: [
      { Type: auth.type, Order: 1, AuthenticateOidcConfig: config },
      { ...forward, Order: 2 },
    ],
    secret,
  };
}

/** A call carrying the client secret passes on its errors without it; any other call is sent as it is. */
const sendActions = <T>(secret: string | undefined, call: () => Promise<T>) =>
  secret ? sendWithValue(call, secret) : call();

/** Forwarding to the developer's group, or to the wake page's (the host is stopped): never flipped back by `up`. */
const forwardsAsWanted = (rule: Rule, want: RuleWant) =>
  forwardsTo(rule) === want.targetGroupArn ||
  (want.asleepGroupName !== undefined &&
    forwardsTo(rule)?.split(':targetgroup/')[1]?.split('/')[0] === want.asleepGroupName);

export function ruleSpec(
  ctx: Elb,
  planned: PlannedResource,
  listed: Rule[],
  listenerArn: string | undefined,
  want: RuleWant,
): ResourceSpec<Rule> {
  return {
    logicalId: planned.logicalId,
    kind: planned.kind,
    developer: planned.developer,
    describe: async (arn) => listed.find((r) => r.RuleArn === arn),
    find: async () => listed.filter((r) => !r.IsDefault && hostOf(r) === want.host),
    // No token, but a priority is unique per listener: an SDK retry of a create that AWS carried out
    // answers PriorityInUse and makes nothing twice; the next run finds the rule by its host.
    create: async () => {
      const { actions, secret } = await ruleActions(want, true);
      const out = await sendActions(secret, () =>
        ctx.aws.elbv2.send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: want.priority,
            Tags: tagList(planned.tags),
            Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [want.host] } }],
            Actions: actions,
          }),
        ),
      );
      return withoutSecrets(out.Rules![0]!);
    },
    idOf: (r) => r.RuleArn!,
  };
}

/** A rule as devenv keeps it in memory: without a client secret the answer carried (AWS sends none; moto echoes it). */
export function withoutSecrets(rule: Rule): Rule {
  if (!rule.Actions?.some((a) => a.AuthenticateOidcConfig?.ClientSecret)) return rule;
  return {
    ...rule,
    Actions: rule.Actions.map((a) =>
      a.AuthenticateOidcConfig
        ? { ...a, AuthenticateOidcConfig: { ...a.AuthenticateOidcConfig, ClientSecret: undefined } }
        : a,
    ),
  };
}

export function ruleFixes(ctx: Pick<AwsContext, 'aws'>, rule: Rule, want: RuleWant): Fix[] {
  const fixes: Fix[] = [];
  if (Number(rule.Priority) !== want.priority) {
    fixes.push({
      description: `priority ${rule.Priority} → ${want.priority}`,
      run: () =>
        ctx.aws.elbv2.send(
          new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: rule.RuleArn, Priority: want.priority }] }),
        ),
    });
  }
  const changes = authDrift(rule, want.auth);
  if (want.targetGroupArn && !forwardsAsWanted(rule, want)) changes.push(`forward to ${want.targetGroupArn}`);
  const oidc = want.auth?.type === 'authenticate-oidc' ? want.auth : undefined;
  // UseExistingClientSecret only where the rule holds an OIDC action (and so a secret) already.
  const hasSecret = rule.Actions?.some((a) => a.Type === 'authenticate-oidc') ?? false;
  const newSecret = oidc !== undefined && (!hasSecret || oidc.rotateSecret === true);
  if (oidc?.rotateSecret && !changes.length) changes.push('client secret sent again (--rotate-client-secret)');
  if (want.targetGroupArn && changes.length) {
    fixes.push({
      description: changes.join(', '),
      run: async () => {
        const { actions, secret } = await ruleActions(want, newSecret);
        return sendActions(secret, () =>
          ctx.aws.elbv2.send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Actions: actions })),
        );
      },
    });
  }
  return fixes;
}

export const deleteRule = (ctx: Pick<AwsContext, 'aws'>, arn: string) =>
  ctx.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: arn }));

export const deleteListener = (ctx: Pick<AwsContext, 'aws'>, arn: string) =>
  ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: arn }));
