#!/bin/bash
# devenv idle-check: run once a minute by a systemd timer (devenv-idle-check.timer, installed by the
# schedule phase with schedule.idleStopMinutes). Publishes whether the host is in use as the
# CloudWatch metric CWAgent/DevenvInUse with the instance's InstanceId: 1 in use, 0 idle. The
# schedule phase's alarm stops the host (EC2 alarm action) once it has seen only 0s for
# idleStopMinutes minutes. In use means: an editor connection, or inside the office hours.
# An editor connection is an established TCP connection to a developer's published port from
# outside the host (the load balancer): Docker forwards those ports with NAT, so they are seen in
# the connection tracking table, not as the host's sockets. An open editor holds its WebSocket
# open; the load balancer's health checks last milliseconds; SSH is on port 22 and does not count.
set -euo pipefail

PORTS={{PORTS}}
TIMEZONE={{TIMEZONE}}
START={{START}}
START_DAYS={{START_DAYS}}
STOP={{STOP}}
STOP_DAYS={{STOP_DAYS}}
AWS_REGION={{AWS_REGION}}

minutes_of() { echo $((10#${1%%:*} * 60 + 10#${1##*:})); }

# Whether office hours have the host up at minute $1 of the week (0 = Sunday 00:00, local time):
# the last start or stop at or before it, the week wrapping around, was a start. False without office hours.
within_office_hours() {
  local now="$1" best=-1 best_kind='' last=-1 last_kind='' t d kind
  [ -n "${START_DAYS}" ] || return 1
  for kind in start stop; do
    local days="${START_DAYS}" at="${START}"
    [ "${kind}" = stop ] && days="${STOP_DAYS}" && at="${STOP}"
    for d in ${days}; do
      t=$((d * 1440 + $(minutes_of "${at}")))
      if [ "${t}" -le "${now}" ] && [ "${t}" -gt "${best}" ]; then best="${t}" best_kind="${kind}"; fi
      if [ "${t}" -gt "${last}" ]; then last="${t}" last_kind="${kind}"; fi
    done
  done
  [ "${best}" -ge 0 ] || best_kind="${last_kind}"
  [ "${best_kind}" = start ]
}

# Established connections to a developer's port from outside the host, counted from the connection
# tracking table on stdin (/proc/net/nf_conntrack's or `conntrack -L`'s lines).
editor_connections() {
  awk -v ports="${PORTS}" '
    BEGIN { n = split(ports, p, " "); for (i = 1; i <= n; i++) want[p[i]] = 1 }
    /(^| )tcp / && / ESTABLISHED / {
      src = ""; dport = ""
      for (i = 1; i <= NF; i++) {
        if (src == "" && $i ~ /^src=/) src = substr($i, 5)
        if (dport == "" && $i ~ /^dport=/) dport = substr($i, 7)
      }
      # The kernel writes IPv6 addresses in full: ::1 is 0000:…:0001 in its file.
      if ((dport in want) && src !~ /^127\./ && src != "::1" && src != "0000:0000:0000:0000:0000:0000:0000:0001") count++
    }
    END { print count + 0 }'
}

# 1 when the host is in use: $1 editor connections, $2 the minute of the week.
decide() {
  if [ "$1" -gt 0 ] || within_office_hours "$2"; then echo 1; else echo 0; fi
}

CONNTRACK_FILE=/proc/net/nf_conntrack

# The connection tracking table: the kernel's file where it has one (CONFIG_NF_CONNTRACK_PROCFS), else
# `conntrack -L` (the conntrack package). Neither: an error, and no metric, so the host is not stopped.
conntrack_table() {
  if [ -r "${CONNTRACK_FILE}" ]; then
    cat "${CONNTRACK_FILE}"
  elif command -v conntrack >/dev/null; then
    conntrack -L -p tcp 2>/dev/null
  else
    echo "devenv idle check: cannot read the connection tracking table (no ${CONNTRACK_FILE}," \
      "no conntrack command): install the conntrack package (apt-get install conntrack)" >&2
    return 1
  fi
}

main() {
  local week_minute connections hours=outside token instance value
  # %w: 0 = Sunday, as the office hours' days.
  week_minute=$(TZ="${TIMEZONE}" date +'%w %H %M' | awk '{ print $1 * 1440 + $2 * 60 + $3 }')
  # An assignment of its own: a table that cannot be read stops the script here (set -e, pipefail).
  connections=$(conntrack_table | editor_connections)
  value=$(decide "${connections}" "${week_minute}")
  if within_office_hours "${week_minute}"; then hours=inside; fi
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  instance=$(curl -fsS -H "X-aws-ec2-metadata-token: ${token}" http://169.254.169.254/latest/meta-data/instance-id)
  aws cloudwatch put-metric-data --region "${AWS_REGION}" --namespace CWAgent --metric-name DevenvInUse \
    --dimensions "InstanceId=${instance}" --unit Count --value "${value}"
  # For the journal (journalctl -u devenv-idle-check): why the host counts as used or idle.
  echo "DevenvInUse=${value}: ${connections} editor connection(s), ${hours} the office hours"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
