import { DATA_MOUNT } from '../blueprint/compute.js';
import { COMPOSE_PROJECT } from './compose.js';
import type { RemoteHost } from './host.js';
import { loadTemplate, renderTemplate } from './templates.js';

/** Stopping the containers (20 s each at most) and unmounting: a few minutes at most. */
const RELEASE_TIMEOUT_S = 5 * 60;

/** The script that stops devenv's containers and unmounts this volume: pure, given the template. */
export const renderReleaseScript = (template: string, volumeId: string): string =>
  renderTemplate(template, { VOLUME_ID: volumeId, DATA_MOUNT, COMPOSE_PROJECT });

/**
 * On the host: stops devenv's containers and unmounts the data volume `volumeId`, so it can be detached without losing
 * writes.
 */
export async function releaseDataVolume(host: RemoteHost, volumeId: string): Promise<string> {
  const script = renderReleaseScript(await loadTemplate('release-data-volume.sh'), volumeId);
  return host.runScript('release-data-volume.sh', script, [], { timeoutS: RELEASE_TIMEOUT_S });
}
