import { DATA_MOUNT } from '../blueprint/compute.js';
import type { Developer, Model } from '../config/model.js';
import { developerNetwork } from '../config/network-pool.js';
import {
  CONTAINER_GATE_DIR,
  GATE_DIR,
  GATE_USER,
  GATED_CODE_SERVER_PORT,
  gateCommand,
  gated,
  gateEnvironment,
  gateName,
} from './gate.js';

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
 * Each developer's Anthropic API key on the host: a folder of its own under a root-only one, holding
 * one file owned by the container user (0400). The folder alone is mounted read-only into that
 * developer's container, so the key reaches nobody else, and a rotated key (the file replaced in the
 * folder) shows in the running container at once. Never an environment variable: `docker inspect` shows those.
 */
export const API_KEYS_DIR = `${HOST_CONFIG_DIR}/api-keys`;
export const API_KEY_FILE = 'anthropic-api-key';
export const apiKeyDir = (developer: string) => `${API_KEYS_DIR}/${developer}`;
/**
 * An env file holding a random version of the developer's key (never the key, nor its digest): it
 * changes only when the key does, so Compose recreates that container alone, and code-server starts
 * again with the new key in its environment.
 */
export const apiKeyVersionFile = (developer: string) => `${SECRETS_DIR}/${developer}.api-key-version`;
/** Root-owned, read-only in the containers: what exports the key to the developer's shells and programs. */
export const KEY_LOADERS_DIR = `${HOST_CONFIG_DIR}/container`;
/** In the container. */
export const CONTAINER_KEY_DIR = '/run/devenv';
export const CONTAINER_KEY_FILE = `${CONTAINER_KEY_DIR}/${API_KEY_FILE}`;
/** Read by login shells (`bash -l`, `docker exec … bash -l`, ssh). */
export const CONTAINER_PROFILE_SCRIPT = '/etc/profile.d/devenv-anthropic-api-key.sh';
/**
 * Preloaded into every Node.js process (NODE_OPTIONS): code-server itself, so its terminals (not
 * login shells) and extensions inherit the key, and node programs such as the Claude CLI started anywhere.
 */
export const CONTAINER_NODE_PRELOAD = '/usr/local/lib/devenv/anthropic-api-key.cjs';
export const PROFILE_SCRIPT_NAME = 'anthropic-api-key.sh';
export const NODE_PRELOAD_NAME = 'anthropic-api-key.cjs';

/**
 * code-server listens here in the container (the image's entrypoint says the same; the command line is what counts).
 */
export const CONTAINER_PORT = 8080;

/**
 * Each developer's network gets its own /24 of containers.networkPool (172.20.0.0/16 by default),
 * numbered by the developer's rule priority (allocated once, never reused while the developer
 * exists). Docker's default pools hold about 30 networks, too few for 90 developers.
 */
export const developerSubnet = (model: Pick<Model, 'config'>, d: Pick<Developer, 'priority'>) =>
  developerNetwork(model.config.containers.networkPool, d.priority);

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

/**
 * code-server's flags, after the image's entrypoint (`code-server --bind-addr 0.0.0.0:8080 .`).
 * The command line wins over the developer-writable `~/.config/code-server/config.yaml`, so
 * `auth: none` or another address written there from inside the container changes nothing.
 * Behind a gate, code-server listens on another port, published nowhere (the gate holds the
 * developer's), and, with `auth.password: false`, asks for no password: the gate has checked who it is.
 */
export function codeServerFlags(model: Pick<Model, 'config'>): string[] {
  const editor = model.config.containers.editor;
  const behindGate = gated(model);
  return [
    '--bind-addr',
    `0.0.0.0:${behindGate ? GATED_CODE_SERVER_PORT : CONTAINER_PORT}`,
    '--auth',
    behindGate && !model.config.auth.password ? 'none' : 'password',
    ...(editor.updateCheck ? [] : ['--disable-update-check']),
    ...(editor.telemetry ? [] : ['--disable-telemetry']),
    ...(editor.workspaceTrust ? [] : ['--disable-workspace-trust']),
  ];
}

/** What a developer with an Anthropic API key gets in addition: the key's folder and its loaders, read-only. */
function apiKeyParts(d: Developer): { envFiles: string[]; volumes: string[]; environment: Record<string, string> } {
  if (!d.anthropicApiKey) return { envFiles: [], volumes: [], environment: {} };
  return {
    envFiles: [apiKeyVersionFile(d.name)],
    volumes: [
      `${apiKeyDir(d.name)}:${CONTAINER_KEY_DIR}:ro`,
      `${KEY_LOADERS_DIR}/${PROFILE_SCRIPT_NAME}:${CONTAINER_PROFILE_SCRIPT}:ro`,
      `${KEY_LOADERS_DIR}/${NODE_PRELOAD_NAME}:${CONTAINER_NODE_PRELOAD}:ro`,
    ],
    environment: { NODE_OPTIONS: `--require ${CONTAINER_NODE_PRELOAD}` },
  };
}

const LOGGING: Yaml = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } };

/**
 * The developer's gate: the code-server image's Node running the root-owned script, as nobody, on a
 * read-only filesystem with no capability, in a container of its own (the developer's processes can
 * neither signal it nor share its network). It holds the developer's port and reaches code-server by
 * name on the developer's network, where nothing else is: each restarts on its own.
 */
function gateService(model: Model, d: Developer): Yaml {
  return {
    image: model.config.containers.image,
    container_name: gateName(d.name),
    restart: 'unless-stopped',
    entrypoint: gateCommand(),
    user: GATE_USER,
    environment: gateEnvironment(model, d),
    ports: [`${d.port}:${CONTAINER_PORT}`],
    volumes: [`${GATE_DIR}:${CONTAINER_GATE_DIR}:ro`],
    networks: [`dev-${d.name}`],
    read_only: true,
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
    deploy: { resources: { limits: { cpus: '0.5', memory: '128M' } } },
    logging: LOGGING,
    labels: { 'devenv.gate': d.name },
  };
}

function service(model: Model, d: Developer): Yaml {
  const key = apiKeyParts(d);
  return {
    image: model.config.containers.image,
    container_name: containerName(d.name),
    restart: 'unless-stopped',
    command: codeServerFlags(model),
    env_file: [envFile(d.name), ...key.envFiles],
    ...(Object.keys(key.environment).length > 0 ? { environment: key.environment } : {}),
    // The image's entrypoint opens "." : the workspace.
    working_dir: '/home/coder/workspace',
    // Behind a gate, the gate holds the port.
    ...(gated(model) ? {} : { ports: [`${d.port}:${CONTAINER_PORT}`] }),
    // One folder for the whole home: git renames its config over ~/.gitconfig, which a file mount forbids.
    volumes: [`${developerHome(d.name)}:/home/coder`, ...key.volumes],
    networks: [`dev-${d.name}`],
    security_opt: ['no-new-privileges:true'],
    deploy: {
      resources: {
        limits: { cpus: String(d.cpuLimit), memory: `${d.memoryLimitMiB}M` },
        reservations: { cpus: String(d.cpuReservation), memory: `${d.memoryReservationMiB}M` },
      },
    },
    healthcheck: {
      test: [
        'CMD',
        'curl',
        '-fsS',
        '-o',
        '/dev/null',
        `http://127.0.0.1:${gated(model) ? GATED_CODE_SERVER_PORT : CONTAINER_PORT}/healthz`,
      ],
      interval: '5s',
      timeout: '3s',
      retries: 5,
      start_period: '60s',
    },
    logging: LOGGING,
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
    services: Object.fromEntries(
      developers.flatMap((d) => [
        ...(gated(model) ? [[gateName(d.name), gateService(model, d)] as const] : []),
        [containerName(d.name), service(model, d)] as const,
      ]),
    ),
    networks: Object.fromEntries(
      developers.map((d) => [
        `dev-${d.name}`,
        {
          driver: 'bridge',
          ipam: { config: [{ subnet: developerSubnet(model, d) }] },
          labels: { 'devenv.developer': d.name },
        },
      ]),
    ),
  };
  return (
    `# Written by devenv (project ${model.project}); changes here are overwritten by the next \`devenv ` +
    `up\`.\n${toYaml(doc, 0)}`
  );
}

/**
 * Block-style YAML; every string double-quoted (JSON's escaping is valid YAML), so no value is ever read as another
 * type.
 */
function toYaml(value: Yaml, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value
      .map((item) => (isScalar(item) ? `${pad}- ${scalar(item)}\n` : `${pad}-\n${toYaml(item, indent + 2)}`))
      .join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([key, item]) => {
        if (isScalar(item)) return `${pad}${key}: ${scalar(item)}\n`;
        const empty = Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0;
        return empty
          ? `${pad}${key}: ${Array.isArray(item) ? '[]' : '{}'}\n`
          : `${pad}${key}:\n${toYaml(item, indent + 2)}`;
      })
      .join('');
  }
  return `${pad}${scalar(value)}\n`;
}

const isScalar = (v: Yaml): v is string | number | boolean => typeof v !== 'object';
const scalar = (v: string | number | boolean) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
