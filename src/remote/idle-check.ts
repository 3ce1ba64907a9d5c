import type { Model } from '../config/model.js';
import { officeHoursOf } from '../config/office-hours.js';
import type { RemoteHost } from './host.js';
import { loadTemplate, renderTemplate, shellQuote } from './templates.js';

/**
 * The host's idle check (templates/idle-check.sh): a script run once a minute by a systemd timer,
 * publishing whether the host is in use for the schedule phase's idle-stop alarm. Root's files in
 * root's folders: the timer runs it as root (it reads the connection tracking table).
 */

export const IDLE_CHECK_SCRIPT = '/usr/local/lib/devenv/idle-check.sh';
export const IDLE_CHECK_UNIT = 'devenv-idle-check';
const UNIT_DIR = '/etc/systemd/system';

/** The script with this config's developer ports and office hours (none: idle stop at any hour). */
export function renderIdleCheck(template: string, model: Pick<Model, 'config' | 'developers' | 'region'>): string {
  const hours = officeHoursOf(model.config.schedule);
  return renderTemplate(template, {
    PORTS: model.developers
      .map((d) => String(d.port))
      .sort()
      .join(' '),
    TIMEZONE: model.config.schedule?.timezone ?? 'UTC',
    START: hours?.start.time ?? '00:00',
    START_DAYS: hours?.start.days.join(' ') ?? '',
    STOP: hours?.stop.time ?? '00:00',
    STOP_DAYS: hours?.stop.days.join(' ') ?? '',
    AWS_REGION: model.region,
  });
}

export const idleCheckUnits = () => ({
  service: `[Unit]
Description=devenv: report whether the host is in use (idle stop)
After=network-online.target docker.service

[Service]
Type=oneshot
ExecStart=${IDLE_CHECK_SCRIPT}
ProtectHome=yes
ProtectSystem=strict
PrivateTmp=yes
NoNewPrivileges=yes
`,
  timer: `[Unit]
Description=devenv: the idle check, once a minute

[Timer]
OnBootSec=2min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
`,
});

/**
 * Writes the script and its units, starts the timer, and runs the check once in its service: what would keep it
 * from reporting (no connection tracking table, no AWS CLI, no permission) fails here with the check's own words,
 * instead of leaving a host that never stops. Rewriting them changes nothing when they are the same.
 */
export async function installIdleCheck(host: RemoteHost, model: Pick<Model, 'config' | 'developers' | 'region'>) {
  const units = idleCheckUnits();
  await host.upload(IDLE_CHECK_SCRIPT, renderIdleCheck(await loadTemplate('idle-check.sh'), model), {
    mode: '0755',
    owner: 'root:root',
  });
  await host.upload(`${UNIT_DIR}/${IDLE_CHECK_UNIT}.service`, units.service, { mode: '0644', owner: 'root:root' });
  await host.upload(`${UNIT_DIR}/${IDLE_CHECK_UNIT}.timer`, units.timer, { mode: '0644', owner: 'root:root' });
  const service = shellQuote(`${IDLE_CHECK_UNIT}.service`);
  await host.check(
    'starting the idle check',
    `systemctl daemon-reload && systemctl enable --now ${shellQuote(`${IDLE_CHECK_UNIT}.timer`)} && ` +
      `if ! systemctl start ${service}; then journalctl -u ${service} -n 5 --no-pager -o cat >&2; exit 1; fi`,
    { timeoutS: 60 },
  );
}

export async function removeIdleCheck(host: RemoteHost): Promise<void> {
  const files = [IDLE_CHECK_SCRIPT, `${UNIT_DIR}/${IDLE_CHECK_UNIT}.service`, `${UNIT_DIR}/${IDLE_CHECK_UNIT}.timer`];
  await host.check(
    'removing the idle check',
    `systemctl disable --now ${shellQuote(`${IDLE_CHECK_UNIT}.timer`)} 2>/dev/null || true; ` +
      `rm -f ${files.map(shellQuote).join(' ')}; systemctl daemon-reload`,
    { timeoutS: 60 },
  );
}
