// The wake page: devenv's own Lambda function (Node.js 24.x runtime). It imports only the AWS SDK for
// JavaScript v3, which the Lambda Node.js runtimes provide: devenv zips this one file and uploads it, no bundle.
//
// Two kinds of invocation:
// - a request from the load balancer (a developer's rule forwards to the wake target group while the host is
//   stopped): the page, the wake button (POST /.devenv/wake) and the status the page polls (GET /.devenv/wake/status);
// - an "EC2 Instance State-change Notification" from EventBridge: stopping/stopped/pending point every developer's
//   rule at the wake target group, running points each back at the developer's own group once it is healthy.
// A rule is switched by ModifyRule with every other action (an authenticate action) kept as it was read.
import { DescribeInstancesCommand, EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';

const ec2 = new EC2Client({});
const elb = new ElasticLoadBalancingV2Client({});

export const WAKE_PATH = '/.devenv/wake';
export const STATUS_PATH = '/.devenv/wake/status';
/** How long a running event waits for the developers' targets to be healthy before pointing the rest back anyway. */
const HEALTH_POLL_MS = 10_000;
const SPARE_MS = 15_000;

const config = () => ({
  instanceId: process.env.INSTANCE_ID ?? '',
  listenerArn: process.env.LISTENER_ARN ?? '',
  wakeGroupArn: process.env.WAKE_TARGET_GROUP_ARN ?? '',
  project: process.env.PROJECT ?? '',
  vpcId: process.env.VPC_ID ?? '',
});

export async function handler(event, context) {
  if (event?.source === 'aws.ec2') return onStateChange(event, context);
  return onRequest(event);
}

// ------------------------------------------------------------------------------------------- requests

async function onRequest(event) {
  const host = String(event.headers?.host ?? '').toLowerCase();
  const developer = host.split('.')[0] ?? '';
  const path = event.path ?? '/';
  if (event.httpMethod === 'POST' && path === WAKE_PATH) return wake(event, host, developer);
  if (event.httpMethod === 'GET' && path === STATUS_PATH) return status(host, developer);
  if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD') return json(405, { devenv: 'wake', error: 'GET' });
  const state = await instanceState();
  return {
    statusCode: 503,
    statusDescription: '503 Service Unavailable',
    isBase64Encoded: false,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'retry-after': '60',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    },
    body: page(developer, state),
  };
}

/** Starts the host. Only from this page: a cross-site form cannot post here (its Origin differs). */
async function wake(event, host, developer) {
  const origin = event.headers?.origin;
  if (origin && origin !== `https://${host}`) return json(403, { devenv: 'wake', error: 'cross-site request' });
  const state = await instanceState();
  if (state === 'stopped') {
    await ec2.send(new StartInstancesCommand({ InstanceIds: [config().instanceId] }));
    console.log(JSON.stringify({ woken: config().instanceId, by: developer, identity: identityOf(event) }));
    return json(202, { devenv: 'wake', instance: 'pending' });
  }
  return json(200, { devenv: 'wake', instance: state });
}

/** What the page polls: the host's state and, once it runs, whether this developer's editor answers its checks. */
async function status(host, developer) {
  const state = await instanceState();
  if (state !== 'running') return json(200, { devenv: 'wake', developer, instance: state, ready: false });
  const ready = await switchBack({ host });
  return json(200, { devenv: 'wake', developer, instance: state, ready: ready.length > 0 });
}

/** The signed-in identity the load balancer passes (x-amzn-oidc-data, a JWT), for the log only. */
function identityOf(event) {
  const token = event.headers?.['x-amzn-oidc-data'];
  if (!token) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8'));
    return claims.email ?? claims.sub;
  } catch {
    return undefined;
  }
}

const json = (statusCode, body) => ({
  statusCode,
  statusDescription: `${statusCode}`,
  isBase64Encoded: false,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

const SAID = {
  stopped: 'is asleep',
  stopping: 'is going to sleep',
  pending: 'is waking up',
  running: 'is awake and starting the editors',
};

/** The page: whose editor, its state, the button, and a script that follows the start and opens the editor. */
export function page(developer, state) {
  const who = escapeHtml(developer || 'this');
  const said = escapeHtml(SAID[state] ?? `is ${state}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${who}'s editor ${said}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color:#222}
button{font:inherit;padding:.5em 1.2em;cursor:pointer}#note{color:#555}</style></head>
<body><h1>${who}'s editor <span id="state">${said}</span></h1>
<p id="note">The host sleeps outside office hours or when nobody used it for a while. Waking it takes about two
minutes; this page opens the editor when it is ready.</p>
<form method="post" action="${WAKE_PATH}" id="wake"><button type="submit"${state === 'stopped' ? '' : ' disabled'}>Wake it up</button></form>
<script>
const said = ${JSON.stringify(SAID)};
const show = (s) => { document.getElementById('state').textContent = said[s] || 'is ' + s;
  document.querySelector('#wake button').disabled = s !== 'stopped'; };
async function poll() {
  try {
    const r = await fetch('${STATUS_PATH}', { cache: 'no-store', credentials: 'same-origin' });
    const body = r.headers.get('content-type') === 'application/json' ? await r.json() : undefined;
    if (!body || body.devenv !== 'wake' || body.ready) return location.reload();
    show(body.instance);
  } catch (e) {}
  setTimeout(poll, 5000);
}
document.getElementById('wake').addEventListener('submit', async (e) => {
  e.preventDefault();
  document.querySelector('#wake button').disabled = true;
  const r = await fetch('${WAKE_PATH}', { method: 'POST', credentials: 'same-origin' });
  if (r.ok) show((await r.json()).instance);
  setTimeout(poll, 5000);
});
${state === 'stopped' ? '' : 'setTimeout(poll, 5000);'}
</script></body></html>
`;
}

// ------------------------------------------------------------------------------------------- events

async function onStateChange(event, context) {
  const { instanceId } = config();
  const detail = event.detail ?? {};
  if (detail['instance-id'] !== instanceId) return { ignored: detail['instance-id'] };
  if (['stopping', 'stopped', 'pending'].includes(detail.state)) return { toWake: await switchToWake() };
  if (detail.state !== 'running') return { ignored: detail.state };
  const deadline = Date.now() + (context?.getRemainingTimeInMillis?.() ?? 60_000) - SPARE_MS;
  const back = [];
  for (;;) {
    back.push(...(await switchBack({})));
    if ((await rulesOnWake()).length === 0) return { back };
    if (Date.now() + HEALTH_POLL_MS > deadline) break;
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  // Out of time: the host runs, so the editors' own groups answer (a 502 from a sick container is the truth then).
  back.push(...(await switchBack({ evenIfUnhealthy: true })));
  return { back };
}

// ------------------------------------------------------------------------------------------- rules

async function instanceState() {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [config().instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'unknown';
}

const hostOf = (rule) => {
  const c = rule.Conditions?.find((x) => x.Field === 'host-header');
  return (c?.HostHeaderConfig?.Values?.[0] ?? c?.Values?.[0] ?? '').toLowerCase();
};
const forwardOf = (rule) => rule.Actions?.find((a) => a.Type === 'forward');
const targetOf = (action) => action?.TargetGroupArn ?? action?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;

async function listenerRules() {
  const out = await elb.send(new DescribeRulesCommand({ ListenerArn: config().listenerArn, PageSize: 400 }));
  return (out.Rules ?? []).filter((r) => !r.IsDefault);
}

const rulesOnWake = async () => (await listenerRules()).filter((r) => targetOf(forwardOf(r)) === config().wakeGroupArn);

/** Each developer's own target group of this project, by its tags: developer name → ARN. */
async function developerGroups() {
  const { project, vpcId } = config();
  const groups = [];
  let Marker;
  do {
    const page = await elb.send(new DescribeTargetGroupsCommand({ Marker, PageSize: 400 }));
    groups.push(...(page.TargetGroups ?? []).filter((g) => g.VpcId === vpcId && g.TargetType === 'instance'));
    Marker = page.NextMarker;
  } while (Marker);
  const byName = new Map();
  for (let i = 0; i < groups.length; i += 20) {
    const arns = groups.slice(i, i + 20).map((g) => g.TargetGroupArn);
    const out = await elb.send(new DescribeTagsCommand({ ResourceArns: arns }));
    for (const d of out.TagDescriptions ?? []) {
      const tag = (k) => d.Tags?.find((t) => t.Key === k)?.Value;
      const logical = tag('devenv:resource') ?? '';
      if (tag('devenv:project') === project && logical.startsWith('tg/')) byName.set(logical.slice(3), d.ResourceArn);
    }
  }
  return byName;
}

/**
 * The rule's actions with its forward pointed at `groupArn`, every other action as read. An OIDC action comes back
 * without its client secret: UseExistingClientSecret keeps the one the load balancer holds.
 */
export function actionsForwardingTo(rule, groupArn) {
  return (rule.Actions ?? []).map((a) => {
    if (a.Type === 'forward')
      return { Type: 'forward', ...(a.Order ? { Order: a.Order } : {}), TargetGroupArn: groupArn };
    if (a.Type === 'authenticate-oidc' && a.AuthenticateOidcConfig) {
      const { ClientSecret: _secret, ...oidc } = a.AuthenticateOidcConfig;
      return { ...a, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } };
    }
    return a;
  });
}

const pointAt = (rule, groupArn) =>
  elb.send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Actions: actionsForwardingTo(rule, groupArn) }));

/** Every developer's rule of this project (forwarding to the developer's own group) → the wake page. */
async function switchToWake() {
  const { wakeGroupArn } = config();
  const own = new Set((await developerGroups()).values());
  const switched = [];
  for (const rule of await listenerRules()) {
    if (!own.has(targetOf(forwardOf(rule)))) continue;
    await pointAt(rule, wakeGroupArn);
    switched.push(hostOf(rule));
  }
  console.log(JSON.stringify({ toWake: switched }));
  return switched;
}

/**
 * The rules on the wake page (all, or the one for `host`) → each developer's own group, once it has a healthy target
 * (or at once with `evenIfUnhealthy`). Returns the hosts switched back, or found back already.
 */
async function switchBack({ host, evenIfUnhealthy = false }) {
  const rules = await listenerRules();
  const mine = host ? rules.filter((r) => hostOf(r) === host) : rules;
  const waiting = mine.filter((r) => targetOf(forwardOf(r)) === config().wakeGroupArn);
  const done = host && mine.length > 0 && waiting.length === 0 ? [host] : [];
  if (waiting.length === 0) return done;
  const groups = await developerGroups();
  for (const rule of waiting) {
    const group = groups.get(hostOf(rule).split('.')[0]);
    if (!group) continue;
    if (!evenIfUnhealthy && !(await healthy(group))) continue;
    await pointAt(rule, group);
    done.push(hostOf(rule));
  }
  if (done.length) console.log(JSON.stringify({ back: done }));
  return done;
}

async function healthy(groupArn) {
  const out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: groupArn }));
  return (out.TargetHealthDescriptions ?? []).some((t) => t.TargetHealth?.State === 'healthy');
}
