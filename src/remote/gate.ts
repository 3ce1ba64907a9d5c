import { partitionOf } from '../blueprint/identity.js';
import type { Developer, Model } from '../config/model.js';
import type { RemoteHost } from './host.js';
import { loadTemplate, shellQuote } from './templates.js';

/**
 * The gate (templates/gate.mjs) in front of each developer's code-server while an identity provider
 * signs developers in: it lets in only requests the load balancer signed for that developer. Root's
 * folder on the host, beside the compose file, mounted read-only into every gate: the script, the
 * load balancer's ARN the gates check (`signer`, written once the load balancer exists) and,
 * optionally, `ca.pem`: CAs to trust for a private `auth.keyEndpoint`.
 */
export const GATE_DIR = '/etc/devenv/gate';
export const GATE_SCRIPT = `${GATE_DIR}/gate.mjs`;
export const GATE_SIGNER_FILE = `${GATE_DIR}/signer`;
/** Where a gate container sees GATE_DIR. */
export const CONTAINER_GATE_DIR = '/opt/devenv-gate';
/** Behind a gate, code-server listens here, on the developer's network alone (no port published). */
export const GATED_CODE_SERVER_PORT = 8081;
/** `nobody`: the gate needs no user of the image, and shares none with the developer's processes. */
export const GATE_USER = '65534:65534';

export const gateName = (developer: string) => `gate-${developer}`;

/** Whether the containers stand behind gates: whenever a provider signs developers in. */
export const gated = (model: Pick<Model, 'config'>): boolean => model.config.auth.provider !== 'password';

/**
 * Where the load balancer's signing keys are, by partition (docs/aws-behaviour.md#the-gate): the
 * regional `public-keys.auth.elb` host, under `amazonaws.com.cn` in China; an S3 bucket per region
 * in GovCloud.
 */
export function albKeyEndpoint(region: string): string {
  switch (partitionOf(region)) {
    case 'aws-us-gov':
      return `https://s3-${region}.amazonaws.com/aws-elb-public-keys-prod-${region}`;
    case 'aws-cn':
      return `https://public-keys.auth.elb.${region}.amazonaws.com.cn`;
    default:
      return `https://public-keys.auth.elb.${region}.amazonaws.com`;
  }
}

export const keyEndpoint = (model: Pick<Model, 'config' | 'region'>): string =>
  model.config.auth.keyEndpoint ?? albKeyEndpoint(model.region);

/** A gate's environment: who may in, and where it checks. No secret: `docker inspect` shows it. */
export function gateEnvironment(model: Pick<Model, 'config' | 'region'>, d: Developer): Record<string, string> {
  return {
    GATE_DEVELOPER: d.name,
    ...(d.email !== undefined && { GATE_EMAIL: d.email }),
    ...(d.subject !== undefined && { GATE_SUBJECT: d.subject }),
    GATE_KEY_ENDPOINT: keyEndpoint(model),
    GATE_SIGNER_FILE: `${CONTAINER_GATE_DIR}/signer`,
    GATE_CA_FILE: `${CONTAINER_GATE_DIR}/ca.pem`,
    GATE_PORT: '8080',
    GATE_UPSTREAM_HOST: `code-server-${d.name}`,
    GATE_UPSTREAM_PORT: String(GATED_CODE_SERVER_PORT),
  };
}

/**
 * The gate's command in the code-server image: its Node (on PATH, or the one code-server ships in
 * /usr/lib/code-server/lib/node in codercom's image) running the root-owned script. `$$` is Compose's
 * escape for the shell's `$`.
 */
export const gateCommand = (): string[] => [
  '/bin/sh',
  '-c',
  `node=$$(command -v node || echo /usr/lib/code-server/lib/node); exec "$$node" ${CONTAINER_GATE_DIR}/gate.mjs`,
];

/** Writes the gate's script to the host, root's and read-only to everyone else (before Compose starts a gate). */
export async function installGate(host: RemoteHost): Promise<void> {
  await host.upload(GATE_SCRIPT, await loadTemplate('gate.mjs'), { mode: '0644', owner: 'root:root' });
}

/** The load balancer's ARN the gates check; they read it again when it changes, without a restart. */
export async function writeGateSigner(host: RemoteHost, signer: string): Promise<boolean> {
  const current = await host.sudo(`cat ${shellQuote(GATE_SIGNER_FILE)} 2>/dev/null`, { timeoutS: 30 });
  if (current.code === 0 && current.stdout.trim() === signer) return false;
  await host.upload(GATE_SIGNER_FILE, `${signer}\n`, { mode: '0644', owner: 'root:root' });
  return true;
}
