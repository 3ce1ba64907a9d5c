import { createHash } from 'node:crypto';
import { waitFor, WaitTimeoutError, type Clock } from '../aws/wait.js';
import { formatDuration } from '../duration.js';
import { DevenvError } from '../errors.js';
import { COMPOSE_FILE, COMPOSE_PROJECT, containerName, developerDir, passwordDigestFile } from './compose.js';
import type { RemoteHost } from './host.js';
import { shellQuote } from './templates.js';

export interface ContainerState {
  id: string;
  /** Docker's: created, running, restarting, exited … */
  status: string;
  /** The healthcheck's: starting, healthy, unhealthy; empty without one. */
  health: string;
  /**
   * How often Docker restarted it (restart: unless-stopped): a slow first start under load is restarted, a broken one
   * keeps being.
   */
  restarts: number;
  /** Its json-file log on the host (what the CloudWatch agent ships); empty before it first started. */
  logPath: string;
}

/** Every devenv container on the host, by developer. */
export async function containerStates(host: RemoteHost, developers: string[]): Promise<Map<string, ContainerState>> {
  const format =
    '{{index .Config.Labels "devenv.developer"}} {{.Id}} {{.RestartCount}} {{if ' +
    '.LogPath}}{{.LogPath}}{{else}}-{{end}} {{.State.Status}} {{if ' +
    '.State.Health}}{{.State.Health.Status}}{{end}}';
  const out = await host.check(
    'listing the containers',
    // The editors only: a gate has no healthcheck, and docker inspect fails on .State.Health without one.
    `ids=$(docker ps -aq --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --filter ` +
      `label=devenv.developer); [ -z "$ids" ] || docker inspect --format ${shellQuote(format)} $ids`,
    { timeoutS: 60 },
  );
  const states = new Map<string, ContainerState>();
  for (const line of out.split('\n')) {
    const [name, id, restarts, logPath, status, health = ''] = line.trim().split(/\s+/);
    if (name && id && status && developers.includes(name))
      states.set(name, { id, status, health, restarts: Number(restarts), logPath: logPath === '-' ? '' : logPath! });
  }
  return states;
}

/**
 * Whether the developer's env file on the host was made from this password: its digest, handed
 * over on stdin (never on a command line, never printed), against the one the host recorded.
 */
export async function hostHasPassword(host: RemoteHost, developer: string, password: string): Promise<boolean> {
  const digest = createHash('sha256').update(password).digest('hex');
  const r = await host.sudo(
    `read -r want; [ "$(cat ${shellQuote(passwordDigestFile(developer))} 2>/dev/null)" = "$want" ]`,
    { timeoutS: 30, stdin: `${digest}\n` },
  );
  return r.code === 0;
}

/**
 * Recreates one developer's container from the compose file the last `up` wrote, so it reads its
 * env file again (a new password hash); the other developers' containers are not touched.
 */
export async function recreateContainer(host: RemoteHost, developer: string): Promise<void> {
  await host.check(
    `restarting ${containerName(developer)}`,
    `docker compose -p ${COMPOSE_PROJECT} -f ${COMPOSE_FILE} up -d --no-deps --force-recreate ` +
      `${containerName(developer)}`,
    { timeoutS: 300 },
  );
}

/**
 * Restarts one developer's container as it is (`docker restart`: the same container, id and log file, its processes
 * started again); the other developers' containers are not touched.
 */
export async function restartContainer(host: RemoteHost, developer: string): Promise<void> {
  await host.check(`restarting ${containerName(developer)}`, `docker restart ${containerName(developer)}`, {
    timeoutS: 120,
  });
}

export interface HealthWait {
  clock: Clock;
  signal: AbortSignal;
  progress(message: string): void;
  timeoutMs?: number;
}

/** A container that will not get healthy by waiting longer: gone, stopped for good, or crashing again and again. */
const broken = (s: ContainerState | undefined) => !s || ['exited', 'dead'].includes(s.status) || s.restarts >= 5;

/**
 * Waits until every developer's container is healthy (bounded, with progress). One that is
 * unhealthy, stopped or still not healthy at the end fails the wait, naming the developer and
 * showing the last lines of its log.
 */
export async function waitUntilHealthy(
  host: RemoteHost,
  developers: string[],
  o: HealthWait,
): Promise<Map<string, ContainerState>> {
  let last = new Map<string, ContainerState>();
  const started = o.clock.now();
  try {
    return await waitFor(
      async () => {
        last = await containerStates(host, developers);
        const notHealthy = developers.filter((d) => last.get(d)?.health !== 'healthy');
        const failed = developers.filter((d) => broken(last.get(d)) && o.clock.now() - started > 10_000);
        if (failed.length > 0) throw await unhealthyError(host, failed, last);
        return {
          done: notHealthy.length === 0,
          value: last,
          seen: `${notHealthy.length} of ${developers.length} not healthy yet (${notHealthy.slice(0, 5).join(', ')})`,
        };
      },
      {
        what: 'the containers to be healthy',
        timeoutMs: o.timeoutMs ?? 5 * 60_000,
        intervalMs: 2_000,
        clock: o.clock,
        signal: o.signal,
        progress: o.progress,
        say: (elapsed, seen) => `waiting for the containers to be healthy (${formatDuration(elapsed)}): ${seen}`,
      },
    );
  } catch (err) {
    if (err instanceof WaitTimeoutError) {
      throw await unhealthyError(
        host,
        developers.filter((d) => last.get(d)?.health !== 'healthy'),
        last,
      );
    }
    throw err;
  }
}

async function unhealthyError(
  host: RemoteHost,
  developers: string[],
  states: Map<string, ContainerState>,
): Promise<DevenvError> {
  const parts: string[] = [];
  for (const d of developers) {
    const s = states.get(d);
    const log = await host.sudo(`docker logs --tail 15 ${containerName(d)} 2>&1`, { timeoutS: 30 });
    parts.push(
      `${d}: container ${containerName(d)} is ` +
        `${s ? `${s.status}${s.health ? `, ${s.health}` : ''}` : 'missing'}; its last log lines:\n` +
        `${log.stdout.trimEnd() || '(none)'}`,
    );
  }
  return new DevenvError(
    'phase',
    `the code-server container of ${developers.join(', ')} did not become healthy:\n${parts.join('\n')}`,
    {
      remedy:
        'fix what the log says (the image, memory limits, the data volume), then run `devenv up` ' +
        'again; `docker compose -p devenv ps` on the host shows the state',
    },
  );
}

/**
 * What devenv installed for a developer: in the developer's root-owned folder on the data volume,
 * beside (not inside) the home, so root never writes through a link the developer made.
 */
export const extensionsMarker = (developer: string) => `${developerDir(developer)}/extensions-installed`;

/**
 * Installs the configured extensions into each developer's container once: what was installed is
 * remembered on the data volume, next to the developer's home.
 */
export async function installExtensions(
  host: RemoteHost,
  developers: string[],
  extensions: string[],
  step: (m: string) => void,
): Promise<void> {
  for (const d of developers) {
    const marker = extensionsMarker(d);
    const installed = (
      await host.sudo(`[ -L ${shellQuote(marker)} ] || cat ${shellQuote(marker)} 2>/dev/null`, { timeoutS: 30 })
    ).stdout.split('\n');
    const missing = extensions.filter((e) => !installed.includes(e));
    for (const e of missing) {
      await host.check(
        `installing extension ${e} for ${d}`,
        `docker exec ${containerName(d)} code-server --install-extension ${shellQuote(e)}`,
        { timeoutS: 300 },
      );
      await host.check(
        `recording extension ${e} for ${d}`,
        `if [ -L ${shellQuote(marker)} ]; then echo "refused: ${marker} is a symbolic link" >&2; ` +
          `exit 1; fi; echo ${shellQuote(e)} >> ${shellQuote(marker)}`,
        { timeoutS: 30 },
      );
    }
    if (missing.length) step(`${d}: installed ${missing.join(', ')}`);
  }
}
