import {
  describeNetworkError,
  fetchPage,
  peerCertificate,
  upgradeStatus,
  type CertificateSeen,
  type Endpoint,
  type HttpAnswer,
} from './probe.js';
import { fail, pass, skip, warn, type TestCheckResult } from './result.js';

/**
 * What a developer sees at `https://<developer>.<baseDomain>`, checked the way a browser meets it:
 * the login page, a login with their password, HTTP sent to HTTPS, the certificate, and the
 * websocket code-server's editor runs on. Each verdict is a pure function of what came back.
 */

/** ACM renews 60 days before expiry: a certificate this close to it is not being renewed. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export const CHECK = {
  loginPage: 'login page',
  login: 'login',
  redirect: 'http → https',
  certificate: 'certificate',
  websocket: 'websocket',
} as const;

type Seen<T> = T | Error;
const failed = <T>(x: Seen<T>): x is Error => x instanceof Error;

/** What a load balancer's own error pages mean for a developer's URL. */
function statusHint(status: number, container: string): string {
  if (status === 404)
    return (
      'the load balancer has no rule for this hostname: run `devenv up` (alb phase: the ' + "developer's listener rule)"
    );
  if (status === 502 || status === 504)
    return (
      `the load balancer cannot get an answer from the container: the container and target checks, \`docker ` +
      `logs ${container}\` on the host`
    );
  if (status === 503)
    return (
      'the load balancer has no healthy target for this hostname: the target check; ' + '`devenv up` registers the host'
    );
  return `an unexpected answer: \`docker logs ${container}\` on the host`;
}

const isLoginPage = (a: HttpAnswer) =>
  a.status === 200 && /<title>[^<]*code-server[^<]*<\/title>/i.test(a.body) && /type="password"/i.test(a.body);

export function loginPageVerdict(root: Seen<HttpAnswer>, page: Seen<HttpAnswer>, container: string): TestCheckResult {
  const unreachable = "the certificate and dns checks; the load balancer's HTTPS listener and security group";
  if (failed(root)) return fail(CHECK.loginPage, `GET / failed: ${describeNetworkError(root)}`, unreachable);
  if (root.status !== 302 || !/login/.test(String(root.headers.location))) {
    return fail(
      CHECK.loginPage,
      `GET / answered ${root.status}${root.headers.location ? ` → ${root.headers.location}` : ''}, not a redirect ` +
        `to the login page`,
      statusHint(root.status, container),
    );
  }
  if (failed(page)) return fail(CHECK.loginPage, `GET /login failed: ${describeNetworkError(page)}`, unreachable);
  if (!isLoginPage(page))
    return fail(
      CHECK.loginPage,
      `GET /login answered ${page.status} without code-server's login form`,
      statusHint(page.status, container),
    );
  return pass(CHECK.loginPage, "code-server's login page");
}

export const SESSION_COOKIE = /code-server-session=[^;]+/;

/** The verdict on `POST /login`, and the session cookie the websocket check logs in with. */
export function loginVerdict(
  answer: Seen<HttpAnswer>,
  developer: string,
): { result: TestCheckResult; cookie?: string } {
  const secret =
    `secret ${developer}'s password in Secrets Manager and the container's env file (\`devenv up\` ` +
    `writes it again)`;
  if (failed(answer))
    return { result: fail(CHECK.login, `POST /login failed: ${describeNetworkError(answer)}`, 'the login page check') };
  const cookie = [answer.headers['set-cookie'] ?? []]
    .flat()
    .map((c) => c.match(SESSION_COOKIE)?.[0])
    .find(Boolean);
  if (answer.status === 302 && cookie)
    return { result: pass(CHECK.login, 'logged in with the password from Secrets Manager'), cookie };
  if (/rate limit/i.test(answer.body))
    return {
      result: fail(
        CHECK.login,
        'code-server is refusing logins for a while (too many failed attempts)',
        `wait a minute and run \`devenv phase test\` again; then the ${secret}`,
      ),
    };
  if (/incorrect password/i.test(answer.body))
    return { result: fail(CHECK.login, 'code-server refused the password from Secrets Manager', `the ${secret}`) };
  return {
    result: fail(
      CHECK.login,
      `POST /login answered ${answer.status}${cookie ? '' : ' without a session cookie'}`,
      `the ${secret}`,
    ),
  };
}

export function redirectVerdict(answer: Seen<HttpAnswer>, hostname: string): TestCheckResult {
  const listener =
    "the load balancer's HTTP listener (port 80) and its security group: `devenv up` (alb phase) makes it redirect";
  if (failed(answer))
    return fail(CHECK.redirect, `GET http://${hostname}/ failed: ${describeNetworkError(answer)}`, listener);
  const location = String(answer.headers.location ?? '');
  let target: URL | undefined;
  try {
    target = new URL(location);
  } catch {
    // not an absolute URL: judged below
  }
  const toHttps = target?.protocol === 'https:' && target.hostname === hostname && ['', '443'].includes(target.port);
  if (answer.status === 301 && toHttps) return pass(CHECK.redirect, `301 → ${location}`);
  return fail(
    CHECK.redirect,
    `answered ${answer.status}${location ? ` → ${location}` : ''}, not 301 to https://${hostname}/`,
    listener,
  );
}

export function certificateVerdict(seen: Seen<CertificateSeen>, hostname: string, now: number): TestCheckResult {
  const cert = 'the cert phase (`devenv status`) and the certificate on the HTTPS listener';
  if (failed(seen))
    return fail(
      CHECK.certificate,
      `no TLS handshake: ${describeNetworkError(seen)}`,
      "the load balancer's HTTPS listener and its security group",
    );
  const until = seen.validTo.toISOString().slice(0, 10);
  if (seen.nameError)
    return fail(
      CHECK.certificate,
      `does not cover ${hostname} (${seen.subjectAltName ?? 'no subject alternative names'})`,
      cert,
    );
  if (!seen.trusted)
    return fail(
      CHECK.certificate,
      `not trusted: ${seen.trustError} (issued by ${seen.issuer ?? 'unknown'})`,
      `${cert}; a private CA must be in NODE_EXTRA_CA_CERTS`,
    );
  const days = Math.floor((seen.validTo.getTime() - now) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS) {
    return warn(
      CHECK.certificate,
      `valid for ${hostname}, but expires on ${until} (in ${days} days)`,
      "the certificate's renewal status in ACM: its validation CNAME must stay in the hosted zone",
    );
  }
  return pass(CHECK.certificate, `valid for ${hostname} until ${until} (issued by ${seen.issuer ?? 'unknown'})`);
}

export function websocketVerdict(status: Seen<number>): TestCheckResult {
  const through = 'whether the load balancer passes `Upgrade` through and keeps the Host header';
  if (failed(status)) return fail(CHECK.websocket, `upgrade failed: ${describeNetworkError(status)}`, through);
  if (status === 101) return pass(CHECK.websocket, '101 Switching Protocols');
  if (status === 403)
    return fail(
      CHECK.websocket,
      'code-server refused the upgrade (403): the Origin did not match the Host it received',
      through,
    );
  return fail(CHECK.websocket, `answered ${status} instead of 101`, through);
}

const attempt = <T>(p: Promise<T>): Promise<Seen<T>> =>
  p.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

/**
 * Every web check of one developer's URL. `password` is asked for only when the login page is
 * there; it goes into the request body and nowhere else.
 */
export async function webChecks(
  e: Endpoint,
  o: { developer: string; container: string; password: () => Promise<Seen<string>>; now: number },
): Promise<TestCheckResult[]> {
  const results: TestCheckResult[] = [];
  const [certificate, redirect] = await Promise.all([
    attempt(peerCertificate(e)),
    attempt(fetchPage(e, { scheme: 'http', path: '/' })),
  ]);
  results.push(certificateVerdict(certificate, e.hostname, o.now), redirectVerdict(redirect, e.hostname));
  // A code-server that has just started can take its time over the first request: one more try.
  const first = () => attempt(fetchPage(e, { scheme: 'https', path: '/' }));
  const root = await first().then((r) => (failed(r) && (r as { code?: string }).code === 'ETIMEDOUT' ? first() : r));
  const page = failed(root) ? root : await attempt(fetchPage(e, { scheme: 'https', path: '/login' }));
  const loginPage = loginPageVerdict(root, page, o.container);
  results.push(loginPage);
  if (loginPage.verdict !== 'pass')
    return [...results, skip(CHECK.login, 'no login page'), skip(CHECK.websocket, 'no login page')];

  const password = await o.password();
  if (failed(password)) {
    results.push(
      fail(
        CHECK.login,
        `could not read the password from Secrets Manager: ${password.message}`,
        "the secrets phase (`devenv status`) and your credentials' secretsmanager:GetSecretValue",
      ),
    );
    return [...results, skip(CHECK.websocket, 'not logged in')];
  }
  const login = loginVerdict(
    await attempt(
      fetchPage(e, {
        scheme: 'https',
        method: 'POST',
        path: '/login',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: `https://${e.hostname}` },
        body: new URLSearchParams({ password }).toString(),
      }),
    ),
    o.developer,
  );
  results.push(login.result);
  if (!login.cookie) return [...results, skip(CHECK.websocket, 'not logged in')];
  const upgrade = await attempt(
    upgradeStatus(e, {
      path: '/?reconnectionToken=devenv-test&reconnection=false&skipWebSocketFrames=false',
      headers: { Origin: `https://${e.hostname}`, Cookie: login.cookie },
    }),
  );
  results.push(websocketVerdict(upgrade));
  return results;
}
