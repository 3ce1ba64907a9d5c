import { DATA_MOUNT } from '../blueprint/compute.js';
import type { Developer, Model } from '../config/model.js';

/** The Compose project on the host: container and network names start with it. */
export const COMPOSE_PROJECT = 'devenv';
/** Root-only on the host: the compose file and each developer's env file (an argon2 hash, never the password). */
export const HOST_CONFIG_DIR = '/etc/devenv';
export const COMPOSE_FILE = `${HOST_CONFIG_DIR}/docker-compose.yml`;
export const SECRETS_DIR = `${HOST_CONFIG_DIR}/secrets`;
/** The code-server images run as `coder`, uid 1000: the owner of the developers' folders. */
export const DEVELOPER_UID = 1000;

export const containerName = (developer: string) => `code-server-${developer}`;
export const envFile = (developer: string) => `${SECRETS_DIR}/${developer}.env`;
/** The SHA-256 of the password the env file was made from (templates/developer-secrets.sh writes it). */
export const passwordDigestFile = (developer: string) => `${SECRETS_DIR}/${developer}.sha256`;
/**
 * Root's, never seen by the container: devenv's own files for the developer (what it installed,
 * whether the home got the image's files) and, inside, `home`: the developer's whole home.
 */
export const developerDir = (developer: string) => `${DATA_MOUNT}/${developer}`;
/** The developer's home on the data volume: the container's /home/coder, everything in ~ kept. */
export const developerHome = (developer: string) => `${developerDir(developer)}/home`;

/**
 * Each developer's network gets its own /24 of 172.20.0.0/16, numbered by the developer's rule
 * priority (allocated once, never reused while the developer exists). Docker's default pools hold
 * about 30 networks, too few for 90 developers.
 */
export const developerSubnet = (d: Pick<Developer, 'priority'>) => `172.20.${d.priority}.0/24`;

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

function service(model: Model, d: Developer): Yaml {
  return {
    image: model.config.containers.image,
    container_name: containerName(d.name),
    restart: 'unless-stopped',
    env_file: [envFile(d.name)],
    // The image's entrypoint opens "." : the workspace.
    working_dir: '/home/coder/workspace',
    ports: [`${d.port}:8080`],
    // One folder for the whole home: git renames its config over ~/.gitconfig, which a file mount forbids.
    volumes: [
      `${developerHome(d.name)}:/home/coder`,
    ],
    networks: [`dev-${d.name}`],
    security_opt: ['no-new-privileges:true'],
    deploy: {
      resources: {
        limits: { cpus: String(d.cpuLimit), memory: `${d.memoryLimitMiB}M` },
        reservations: { cpus: String(d.cpuReservation), memory: `${d.memoryReservationMiB}M` },
      },
    },
    healthcheck: {
      test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8080/healthz'],
      interval: '5s',
      timeout: '3s',
      retries: 5,
      start_period: '60s',
    },
    logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
    labels: { 'devenv.developer': d.name },
  };
}

/**
 * The host's docker-compose.yml: one code-server service per developer at the developer's port,
 * on a network of its own (no developer reaches another's container). Only what Compose v1.29
 * and v2 both accept. Pure: the same model gives the same text, so a rerun changes nothing.
 */
export function renderCompose(model: Model): string {
  const developers = [...model.developers].sort((a, b) => a.name.localeCompare(b.name));
  const doc: Yaml = {
    services: Object.fromEntries(developers.map((d) => [containerName(d.name), service(model, d)])),
    networks: Object.fromEntries(developers.map((d) => [`dev-${d.name}`, {
      driver: 'bridge',
      ipam: { config: [{ subnet: developerSubnet(d) }] },
      labels: { 'devenv.developer': d.name },
    }])),
  };
  return `# Written by devenv (project ${model.project}); changes here are overwritten by the next \`devenv up\`.\n${toYaml(doc, 0)}`;
}

/** Block-style YAML; every string double-quoted (JSON's escaping is valid YAML), so no value is ever read as another type. */
function toYaml(value: Yaml, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.map((item) => (isScalar(item) ? `${pad}- ${scalar(item)}\n` : `${pad}-\n${toYaml(item, indent + 2)}`)).join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value).map(([key, item]) => {
      if (isScalar(item)) return `${pad}${key}: ${scalar(item)}\n`;
      const empty = Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0;
      return empty ? `${pad}${key}: ${Array.isArray(item) ? '[]' : '{}'}\n` : `${pad}${key}:\n${toYaml(item, indent + 2)}`;
    }).join('');
  }
  return `${pad}${scalar(value)}\n`;
}

const isScalar = (v: Yaml): v is string | number | boolean => typeof v !== 'object';
const scalar = (v: string | number | boolean) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
