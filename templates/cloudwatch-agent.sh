#!/bin/bash
# devenv cloudwatch-agent: points the host's CloudWatch agent at the configuration devenv wrote
# (src/remote/cloudwatch-agent.ts renders it: the system log, Docker's log and each developer's
# container log, each to its log group that exists). Run as root over SSH by the containers phase,
# after the containers are up, since their log files change whenever Compose recreates one, and by
# the monitoring phase once it has made the log groups.
# Restarts the agent only when the configuration changed or the agent is not running.
set -euo pipefail

AGENT_CONFIG_FILE={{AGENT_CONFIG_FILE}}
DOCKER_LOG_FILE={{DOCKER_LOG_FILE}}

AGENT_CTL=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
APPLIED="${AGENT_CONFIG_FILE%.json}.applied.json"
RSYSLOG_RULE=/etc/rsyslog.d/30-devenv-docker.conf
LOGROTATE_RULE=/etc/logrotate.d/devenv-docker

log() { echo "cloudwatch-agent: $*"; }

# Writes $2 to $1 when it differs; true when it did.
write_if_changed() {
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then return 1; fi
  printf '%s\n' "$2" >"$1"
}

# Docker's daemon logs to the journal; rsyslog copies its messages to a file the agent can read.
if systemctl is-active --quiet rsyslog 2>/dev/null; then
  rule="if \$programname == 'dockerd' or \$programname == 'containerd' then {
  action(type=\"omfile\" file=\"${DOCKER_LOG_FILE}\")
  stop
}"
  if write_if_changed "${RSYSLOG_RULE}" "${rule}"; then
    systemctl restart rsyslog
    log "rsyslog writes Docker's messages to ${DOCKER_LOG_FILE}"
  fi
  write_if_changed "${LOGROTATE_RULE}" "${DOCKER_LOG_FILE} {
  daily
  rotate 7
  compress
  delaycompress
  missingok
  notifempty
  postrotate
    /usr/lib/rsyslog/rsyslog-rotate
  endscript
}" || true
fi

if [ ! -x "${AGENT_CTL}" ]; then
  log "skipped: the CloudWatch agent is not installed on this host (user-data installs it on EC2), so no logs are shipped"
  exit 0
fi

if cmp -s "${AGENT_CONFIG_FILE}" "${APPLIED}" && "${AGENT_CTL}" -a status | grep -q '"status": "running"'; then
  log "running, configuration unchanged"
  exit 0
fi
"${AGENT_CTL}" -a fetch-config -m ec2 -s -c "file:${AGENT_CONFIG_FILE}"
cp "${AGENT_CONFIG_FILE}" "${APPLIED}"
log "shipping the system, Docker and container logs with the new configuration"
