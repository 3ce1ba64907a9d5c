#!/bin/bash
# The host lab's systemctl (test/host/lab.ts, useSystemd): no systemd runs in the lab, so this stands
# in for it, for the host's sudo (the lab's bin comes first in its secure_path). Each call is recorded
# in ../systemd/calls, one line each. `enable` and `disable` are the real systemctl's, offline (the
# symlinks of the units' [Install] sections); `--now` and `daemon-reload` do nothing; `start` of a
# service runs its ExecStart= as systemd would: as root, from /, with only PATH (systemd's default)
# and what `set-environment` gave the manager in its environment, inside the sandbox its unit asks
# for (ProtectSystem=strict: every mount read-only but /dev, /proc and /sys; PrivateTmp=yes;
# ProtectHome=yes; systemd.exec(5)), made in a mount namespace of its own.
# shellcheck disable=SC2016  # the sandbox is code for the shell run-service starts
set -euo pipefail

state="$(cd "$(dirname "$0")/.." && pwd)/systemd"
mkdir -p "${state}"
touch "${state}/environment"
echo "$*" >>"${state}/calls"

DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
UNIT_DIR=/etc/systemd/system

sandbox_of() {
  local unit="$1"
  if grep -qx 'ProtectSystem=strict' "${unit}"; then
    echo "findmnt -rn -o TARGET | grep -Ev '^/(dev|proc|sys)(/|\$)' |" \
      'while read -r m; do mount -o remount,bind,ro "$(printf %b "$m")" 2>/dev/null || true; done'
  fi
  if grep -qx 'PrivateTmp=yes' "${unit}"; then
    echo 'for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 private-tmp "$d"; done'
  fi
  if grep -qx 'ProtectHome=yes' "${unit}"; then
    echo 'for d in /home /root /run/user; do [ ! -d "$d" ] || mount -t tmpfs -o ro,mode=000 no-home "$d"; done'
  fi
}

run_service() {
  local unit="${UNIT_DIR}/$1" exec_start
  exec_start=$(sed -n 's/^ExecStart=//p' "${unit}")
  local -a environment command
  mapfile -t environment <"${state}/environment"
  read -r -a command <<<"${exec_start}"
  unshare --mount --propagation private bash -euc "$(sandbox_of "${unit}")"$'\n''cd / && exec env -i "$@"' \
    run-service "PATH=${DEFAULT_PATH}" "${environment[@]}" "${command[@]}"
}

args=()
for a in "$@"; do [ "$a" = --now ] || args+=("$a"); done
case "${args[0]}" in
  daemon-reload) ;;
  set-environment) printf '%s\n' "${args[@]:1}" >>"${state}/environment" ;;
  unset-environment)
    for name in "${args[@]:1}"; do sed -i "/^${name}=/d" "${state}/environment"; done
    ;;
  start)
    for unit in "${args[@]:1}"; do
      case "${unit}" in *.service) run_service "${unit}" ;; esac
    done
    ;;
  *) SYSTEMD_OFFLINE=1 exec /usr/bin/systemctl "${args[@]}" ;;
esac
