/**
 * The load balancer of the host lab: Debian's nginx terminating TLS with a wildcard certificate for
 * `*.<baseDomain>` from a test CA made here with openssl, routing by Host header to each developer's
 * container port on the lab host (Host kept, websocket upgrades passed through), and answering
 * plain HTTP with a 301 to HTTPS — what the ALB's listeners and rules do. moto's load balancer
 * forwards nothing, so the test phase reaches this one with `--resolve <address>` and trusts its
 * CA through NODE_EXTRA_CA_CERTS, as a user with a private CA would.
 *
 * It listens on ports 443 and 80 (the ports an ALB listens on, which `--resolve` implies) of the
 * lab host's own address, inside the lab's network namespace: each lab has its own address, so
 * several labs run side by side and nothing of this machine's network is touched. nginx runs in
 * the foreground as one process with its own prefix, pid file, logs and temp folders.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tcpOpen } from './lab.js';

const run = promisify(execFile);

export interface Route {
  hostname: string;
  port: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CA and a certificate for `*.<domain>` (and `<domain>`, and these IP addresses) signed by it, valid for `days`. */
export async function makeCertificates(
  dir: string,
  domain: string,
  days = 90,
  addresses: string[] = [],
): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=devenv host lab test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', ['req', ...ec, '-keyout', f('edge.key'), '-out', f('edge.csr'), '-subj', `/CN=*.${domain}`]);
  await writeFile(
    f('edge.ext'),
    `subjectAltName=DNS:*.${domain},DNS:${domain}${addresses.map((a) => `,IP:${a}`).join('')}\n` +
      'extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    f('edge.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    String(days),
    '-out',
    f('edge.pem'),
    '-extfile',
    f('edge.ext'),
  ]);
  return { caFile: f('ca.pem'), certFile: f('edge.pem'), keyFile: f('edge.key') };
}

function nginxConfig(
  dir: string,
  address: string,
  upstream: string,
  routes: Route[],
  cert: { certFile: string; keyFile: string },
): string {
  const servers = routes
    .map(
      (r) => `
  server {
    listen ${address}:443 ssl;
    server_name ${r.hostname};
    location / {
      proxy_pass http://${upstream}:${r.port};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto https;
      proxy_read_timeout 3600s;
    }
  }`,
    )
    .join('\n');
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  ssl_certificate ${cert.certFile};
  ssl_certificate_key ${cert.keyFile};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }

  # The ALB's HTTP listener: a 301 to the same URL over HTTPS, port 443 written out as AWS does.
  server {
    listen ${address}:80 default_server;
    return 301 https://$host:443$request_uri;
  }
  # The HTTPS listener's default action: a fixed 404 for a hostname no rule names.
  server {
    listen ${address}:443 ssl default_server;
    return 404;
  }
${servers}
}
`;
}

export class EdgeProxy {
  private constructor(
    readonly dir: string,
    /** Where `--resolve` points: the proxy's address. */
    readonly address: string,
    /** The test CA, for NODE_EXTRA_CA_CERTS. */
    readonly caFile: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts nginx in the lab's network namespace on `address` (the lab host's), forwarding each route to `address:port`. */
  static async start(o: { netns: string; address: string; baseDomain: string; routes: Route[] }): Promise<EdgeProxy> {
    const dir = await mkdtemp('/var/tmp/devenv-edge-');
    await mkdir(join(dir, 'temp'));
    const cert = await makeCertificates(dir, o.baseDomain);
    const config = join(dir, 'nginx.conf');
    await writeFile(config, nginxConfig(dir, o.address, o.address, o.routes, cert));
    const child = spawn(
      'nsenter',
      [`--net=/run/netns/${o.netns}`, 'nginx', '-e', join(dir, 'error.log'), '-p', dir, '-c', config],
      { detached: true, stdio: 'ignore' },
    );
    const edge = new EdgeProxy(dir, o.address, cert.caFile, child);
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      if (await tcpOpen(o.address, 443)) return edge;
      await sleep(100);
    }
    const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
    await edge.stop();
    throw new Error(`host lab: nginx did not start (exit ${child.exitCode}):\n${log}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      try {
        process.kill(-this.child.pid!, 'SIGTERM'); // its process group: nsenter and nginx
      } catch {
        // already gone
      }
      await Promise.race([exited, sleep(5000)]);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
