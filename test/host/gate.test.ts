/**
 * The gate on a real host (./lab.ts), behind the lab's TLS stand-in for the load balancer
 * (./edge.ts), with moto for AWS. The stand-in passes on the `x-amzn-oidc-data` each request carries,
 * which the test signs as the load balancer does (a test P-256 key, `signer` the load balancer's ARN
 * from the state, base64 with padding); `auth.keyEndpoint` points at a key server of the test,
 * whose CA the host's gate folder holds. Developers sign in through Cognito (`auth.provider`) with
 * `auth.password: false`: the gate alone decides who opens an editor.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { fetchPage, upgradeStatus, type Endpoint } from '../../src/checks/probe.js';
import type { Workspace } from '../integration/moto.js';
import { albToken, keyServer, newSigningKey } from '../helpers/alb-token.js';
import { makeCertificates, type EdgeProxy } from './edge.js';
import { describeOnHost, useWorld, type World } from './world.js';

const EMAIL = { alice: 'alice@corp.example', bob: 'bob@corp.example' } as const;
type Who = keyof typeof EMAIL;

describeOnHost('the gate: only alice opens alice’s editor', () => {
  let world: World;
  let ws: Workspace;
  let edge: EdgeProxy;
  let ca: string;
  let signer: string;
  let baseDomain: string;
  let keys: Awaited<ReturnType<typeof keyServer>>;
  let certDir: string;
  const key = newSigningKey();
  const stranger = newSigningKey();

  useWorld(async (started) => {
    world = started;
    certDir = await mkdtemp('/var/tmp/devenv-keys-');
    const certs = await makeCertificates(certDir, 'keys.lab', 2, [world.lab.gateway]);
    keys = await keyServer([key], {
      host: world.lab.gateway,
      tls: { cert: await readFile(certs.certFile, 'utf8'), key: await readFile(certs.keyFile, 'utf8') },
    });
    ws = await world.workspace(['alice', 'bob'], {
      patch: (c) => {
        c.developers = (['alice', 'bob'] as const).map((name) => ({ name, email: EMAIL[name] }));
        c.auth = { provider: 'cognito', password: false, keyEndpoint: keys.url };
      },
    });
    await world.provision(ws);
    // The key server's CA, where the gates look for extra CAs (root's folder, read-only to them).
    const caPem = await readFile(certs.caFile, 'utf8');
    await world.lab.exec(`mkdir -p /etc/devenv/gate && cat > /etc/devenv/gate/ca.pem <<'PEM'\n${caPem}PEM`);
    await world.up(ws);
    const state = await ws.state();
    signer = state.resources.alb.id;
    baseDomain = (await ws.config()).baseDomain;
    edge = await world.startEdge(ws);
    ca = await readFile(edge.caFile, 'utf8');
  });

  afterAll(async () => {
    await keys?.close();
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  const at = (who: Who): Endpoint => ({ hostname: `${who}.${baseDomain}`, address: edge.address, ca });
  const signedAs = (who: Who, o: { signer?: string; expiresInS?: number } = {}) =>
    albToken(key, { signer: o.signer ?? signer, claims: { sub: `sub-${who}`, email: EMAIL[who] }, ...o });
  const WORKBENCH = '/?folder=/home/coder/workspace';
  const open = (url: Who, token?: string, path = WORKBENCH) =>
    fetchPage(at(url), {
      scheme: 'https',
      path,
      headers: token ? { 'x-amzn-oidc-data': token } : {},
    });
  const websocket = (url: Who, token?: string) =>
    upgradeStatus(at(url), {
      path: '/?reconnectionToken=devenv-lab&reconnection=false&skipWebSocketFrames=false',
      headers: { Origin: `https://${url}.${baseDomain}`, ...(token ? { 'x-amzn-oidc-data': token } : {}) },
    });

  it("opens each developer's editor for their own identity, with no login page, and its websocket upgrades", async () => {
    for (const who of ['alice', 'bob'] as const) {
      // `/` sends to the workspace (code-server's own redirect), not to ./login.
      const root = await open(who, signedAs(who), '/');
      expect(root.status, `${who}: ${root.body.slice(0, 200)}`).toBe(302);
      expect(root.headers.location).toBe(`.${WORKBENCH}`);
      const page = await open(who, signedAs(who));
      expect(page.status, `${who}: ${page.body.slice(0, 200)}`).toBe(200);
      expect(page.body).not.toContain('code-server login');
      expect(await websocket(who, signedAs(who)), `${who}'s websocket`).toBe(101);
    }
    // The key was fetched from the key endpoint once per gate, then kept.
    expect(keys.requests.filter((u) => u === `/${key.kid}`).length).toBeLessThanOrEqual(2);
  }, 120_000);

  it("refuses alice's identity at bob's URL, saying who is signed in and whose editor it is; her websocket too", async () => {
    const page = await open('bob', signedAs('alice'));
    expect(page.status).toBe(403);
    expect(page.body).toContain('This editor belongs to bob');
    expect(page.body).toContain('alice@corp.example');
    expect(await websocket('bob', signedAs('alice'))).toBe(403);
  });

  it('refuses a request without the header, through the stand-in or straight at the port', async () => {
    const page = await open('alice');
    expect(page.status).toBe(403);
    expect(page.body).toContain('did not come through the load balancer');
    expect(await websocket('alice')).toBe(403);
    const port = (await ws.state()).allocations.alice.port;
    const direct = await fetch(`http://${world.lab.host}:${port}/`, { redirect: 'manual' });
    expect(direct.status).toBe(403);
    await direct.arrayBuffer();
    // The load balancer's health check needs none: it carries no sign-in.
    const health = await fetch(`http://${world.lab.host}:${port}/healthz`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
  });

  it('refuses expired, tampered, foreign-signed and unknown-key headers', async () => {
    const expired = signedAs('alice', { expiresInS: -10 });
    const foreign = signedAs('alice', { signer: signer.replace(/\/[0-9a-f]+$/, '/0123456789abcdef') });
    const [h, , s] = signedAs('bob').split('.');
    const swapped = `${h}.${signedAs('alice').split('.')[1]}.${s}`; // alice's claims under bob's signature
    const unknown = albToken(stranger, { signer, claims: { sub: 'sub-alice', email: EMAIL.alice } });
    for (const [what, token] of Object.entries({ expired, foreign, swapped, unknown })) {
      const page = await open('alice', token);
      expect(page.status, what).toBe(403);
      expect(page.body, what).toContain('This editor belongs to alice');
    }
  });

  it('runs the gate as nobody from a root-owned script the developer cannot reach, and code-server with no published port', async () => {
    expect(await world.lab.exec('stat -c "%U %a" /etc/devenv/gate /etc/devenv/gate/gate.mjs')).toBe(
      'root 755\nroot 644\n',
    );
    expect((await world.lab.exec("docker inspect --format '{{.Config.User}}' gate-alice")).trim()).toBe('65534:65534');
    expect(
      (await world.lab.exec("docker inspect --format '{{json .HostConfig.PortBindings}}' code-server-alice")).trim(),
    ).toMatch(/^(\{\}|null)$/);
    const mounts = await world.lab.exec("docker inspect --format '{{json .Mounts}}' code-server-alice");
    expect(mounts).not.toContain('/etc/devenv/gate');
  });

  it('a converged `up` recreates nothing, and a restarted gate lets alice in again', async () => {
    const before = await world.containerIds();
    await world.up(ws);
    expect(await world.containerIds()).toEqual(before);
    await world.lab.exec('docker restart gate-alice >/dev/null');
    let status = 0;
    for (let i = 0; i < 30 && status !== 200; i++) {
      status = await open('alice', signedAs('alice')).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status).toBe(200);
  }, 600_000);
});
