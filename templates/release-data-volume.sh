#!/bin/bash
# devenv: lets go of a data volume before it is detached (`up --adopt-data-volume` swapping in a
# restored one). Rendered by src/remote/release.ts and run as root over SSH: stops devenv's
# containers (they hold files on the volume), flushes and unmounts the volume. Every step checks
# first, so a rerun after a crash changes nothing more. A volume that is not mounted is left alone.
set -euo pipefail

VOLUME_ID={{VOLUME_ID}}
DATA_MOUNT={{DATA_MOUNT}}
COMPOSE_PROJECT={{COMPOSE_PROJECT}}

log() { echo "release: $*"; }
fail() { echo "release: $*" >&2; exit 1; }

# The same names storage.sh looks for: the NVMe link udev makes (Nitro), or /dev/xvdf (Xen).
device=""
for candidate in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}" /dev/xvdf; do
  if [ -b "${candidate}" ]; then
    device="$(readlink -f "${candidate}")"
    break
  fi
done
if [ -z "${device}" ]; then
  log "volume ${VOLUME_ID} is not attached here: nothing to release"
  exit 0
fi

# Containers are stopped, not removed: `docker compose up -d` starts them again on the new volume.
mapfile -t running < <(docker ps -q --filter "label=com.docker.compose.project=${COMPOSE_PROJECT}")
if [ "${#running[@]}" -gt 0 ]; then
  log "stopping ${#running[@]} containers"
  docker stop --time 20 "${running[@]}" >/dev/null
fi

mapfile -t targets < <(findmnt -n -S "${device}" -o TARGET)
for target in "${targets[@]}"; do
  [ "${target}" = "${DATA_MOUNT}" ] || fail "${device} is mounted at ${target}, not only at ${DATA_MOUNT}: unmount it by hand"
done
if [ "${#targets[@]}" -gt 0 ]; then
  sync
  if ! umount "${DATA_MOUNT}"; then
    fail "cannot unmount ${DATA_MOUNT}; what still uses it: $(fuser -vm "${DATA_MOUNT}" 2>&1 | tr '\n' ' ')"
  fi
  log "unmounted ${DATA_MOUNT} (${device})"
fi
echo "released ${VOLUME_ID}"
