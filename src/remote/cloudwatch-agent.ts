import { DATA_MOUNT } from '../blueprint/compute.js';
import { METRICS_NAMESPACE } from '../blueprint/identity.js';
import { logGroupName } from '../blueprint/monitoring.js';
import type { Model } from '../config/model.js';
import { HOST_CONFIG_DIR } from './compose.js';
import type { ContainerState } from './containers.js';
import type { RemoteHost } from './host.js';
import { loadTemplate, renderTemplate } from './templates.js';

/**
 * The host's CloudWatch agent: what it ships and where. The containers log with Docker's json-file
 * driver (a driver that needs no log group: containers cannot wait for the monitoring phase), and
 * the agent ships each container's file to its developer's group, the system log and Docker's log
 * to theirs. The groups are the monitoring phase's: the agent may not create them, so it is given
 * only files whose group exists (events sent to a missing group are retried, then dropped). A file
 * added later is read from its start (the agent's `from_beginning` defaults to true for a file it
 * has no saved offset for), so what was logged before its group existed still arrives.
 */

export const AGENT_CONFIG_FILE = `${HOST_CONFIG_DIR}/cloudwatch-agent.json`;
/** rsyslog copies Docker's daemon messages (journald on Ubuntu) here, for the agent, which reads files only. */
export const DOCKER_LOG_FILE = '/var/log/docker.log';
export const SYSTEM_LOG_FILE = '/var/log/syslog';

interface CollectedFile {
  file_path: string;
  log_group_name: string;
  log_stream_name: string;
  timezone: 'UTC';
}

/**
 * The agent's JSON configuration: pure, so the same developers and log files give the same text
 * (the host script restarts the agent only when it changes). `containerLogs` maps each developer
 * to the json-file log of their container (`docker inspect`'s LogPath, which changes whenever
 * Compose recreates the container); `groups` are the log groups that exist: a file whose group is
 * not among them is left out (no `logs` section at all when none exists yet). Streams are named
 * after the instance, so a replaced host writes new streams next to the old ones.
 */
export function renderAgentConfig(
  model: Pick<Model, 'project' | 'developers'>,
  containerLogs: ReadonlyMap<string, string>,
  groups: ReadonlySet<string>,
): string {
  const file = (path: string, group: string): CollectedFile => ({
    file_path: path,
    log_group_name: group,
    log_stream_name: '{instance_id}',
    timezone: 'UTC',
  });
  const developers = [...model.developers]
    .map((d) => d.name)
    .filter((n) => containerLogs.has(n))
    .sort();
  const files = [
    file(SYSTEM_LOG_FILE, logGroupName(model, 'system')),
    file(DOCKER_LOG_FILE, logGroupName(model, 'docker')),
    ...developers.map((name) => file(containerLogs.get(name)!, logGroupName(model, { developer: name }))),
  ].filter((f) => groups.has(f.log_group_name));
  const config = {
    // Container logs under /var/lib/docker are root's only.
    agent: { run_as_user: 'root', metrics_collection_interval: 300 },
    ...(files.length > 0 ? { logs: { logs_collected: { files: { collect_list: files } } } } : {}),
    metrics: {
      namespace: METRICS_NAMESPACE,
      // From the instance metadata: no ec2:DescribeTags needed.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the agent's own placeholder, not a template
      append_dimensions: { InstanceId: '${aws:InstanceId}' },
      metrics_collected: {
        mem: { measurement: ['mem_used_percent'] },
        disk: { measurement: ['used_percent'], resources: ['/', DATA_MOUNT], drop_device: true },
      },
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export const renderAgentScript = (template: string) => renderTemplate(template, { AGENT_CONFIG_FILE, DOCKER_LOG_FILE });

/**
 * Writes the agent's configuration for these containers (as the health wait last saw them) and the
 * log groups that exist, and (re)starts the agent when it changed. On a host without the agent (the
 * host lab; user-data installs it on EC2) the script says so and changes nothing. Returns the
 * script's last line, for the phase's report.
 */
export async function configureLogShipping(
  host: RemoteHost,
  model: Pick<Model, 'project' | 'developers'>,
  containers: ReadonlyMap<string, ContainerState>,
  groups: ReadonlySet<string>,
): Promise<string> {
  const logs = new Map([...containers].filter(([, c]) => c.logPath).map(([name, c]) => [name, c.logPath]));
  const config = renderAgentConfig(model, logs, groups);
  await host.upload(AGENT_CONFIG_FILE, config, { mode: '0644', owner: 'root:root' });
  const out = await host.runScript(
    'cloudwatch-agent.sh',
    renderAgentScript(await loadTemplate('cloudwatch-agent.sh')),
    [],
    { timeoutS: 120 },
  );
  return out.trim().split('\n').at(-1) ?? '';
}
