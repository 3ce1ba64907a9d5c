#!/bin/bash
# devenv containers: converges the host's code-server containers to docker-compose.yml.
# Rendered by src/phases/containers.ts and run as root over SSH, after the compose file and the
# developers' env files are in place. Compose recreates only the services whose configuration
# changed, so a rerun restarts nothing and adding a developer starts only theirs.
#
# Only what Compose v1.29 and v2 both do (no `up --wait`, no `ps --format json`): waiting for the
# containers to be healthy is the caller's job.
set -euo pipefail

COMPOSE_PROJECT={{COMPOSE_PROJECT}}
COMPOSE_FILE={{COMPOSE_FILE}}
SECRETS_DIR={{SECRETS_DIR}}
DATA_MOUNT={{DATA_MOUNT}}
DEVELOPERS={{DEVELOPERS}}
PURGE_REMOVED={{PURGE_REMOVED}}
DATA_FILESYSTEM_UUID={{DATA_FILESYSTEM_UUID}}
IMAGE={{IMAGE}}
DEVELOPER_UID={{DEVELOPER_UID}}
# The developers whose code-server stands behind a gate (gate-<name>, which holds their port): all
# of them while an identity provider signs developers in, none otherwise.
GATED_DEVELOPERS={{GATED_DEVELOPERS}}

log() { echo "containers: $*"; }

# ---- guard: nothing starts unless the data volume's filesystem is what is mounted at DATA_MOUNT ----
# Compose would otherwise create the developers' folders on the root volume (not backed up), and
# they would work there unnoticed. The UUID is the one storage recorded, read from the device itself.
require_data_volume_mounted() {
  local source uuid
  source="$(findmnt -n -o SOURCE --mountpoint "${DATA_MOUNT}" || true)"
  if [ -z "${source}" ]; then
    echo "containers: nothing is mounted at ${DATA_MOUNT}: the data volume (filesystem ${DATA_FILESYSTEM_UUID}) is not mounted; started nothing. Run \`devenv phase storage\` (or \`devenv up\`) to mount it" >&2
    exit 1
  fi
  uuid="$(blkid -p -o value -s UUID "${source}" 2>/dev/null || true)"
  if [ "${uuid}" != "${DATA_FILESYSTEM_UUID}" ]; then
    echo "containers: ${DATA_MOUNT} has ${source} (filesystem ${uuid:-unknown}) mounted, not the data volume's filesystem ${DATA_FILESYSTEM_UUID}; started nothing. Run \`devenv phase storage\` (or \`devenv up\`) to mount the data volume" >&2
    exit 1
  fi
}
require_data_volume_mounted
# ---- end of guard ----

is_current() {
  local name
  for name in ${DEVELOPERS}; do [ "${name}" = "$1" ] && return 0; done
  return 1
}

# Developers removed from the config: their container and network go first, so a new developer
# given the same network number in this run does not collide with the old network.
for name in $(docker ps -a --filter "label=com.docker.compose.project=${COMPOSE_PROJECT}" --format '{{.Label "devenv.developer"}}' | sort -u); do
  is_current "${name}" && continue
  log "removing the container of ${name} (no longer in the config)"
  docker rm -f "code-server-${name}" >/dev/null
done
for name in $(docker ps -a --filter "label=com.docker.compose.project=${COMPOSE_PROJECT}" --filter label=devenv.gate --format '{{.Label "devenv.gate"}}' | sort -u); do
  is_current "${name}" && continue
  docker rm -f "gate-${name}" >/dev/null
done
# A code-server that held its port itself gives it up before its new gate starts (Compose would
# start the gate first, on a port still taken): it is recreated behind the gate anyway.
for name in ${GATED_DEVELOPERS}; do
  if ! docker container inspect "gate-${name}" >/dev/null 2>&1 && docker container inspect "code-server-${name}" >/dev/null 2>&1; then
    log "${name}: the editor moves behind its gate"
    docker rm -f "code-server-${name}" >/dev/null
  fi
done
for network in $(docker network ls -q --filter "label=com.docker.compose.project=${COMPOSE_PROJECT}"); do
  name="$(docker network inspect --format '{{index .Labels "devenv.developer"}}' "${network}")"
  if [ -n "${name}" ] && ! is_current "${name}"; then
    docker network rm "${network}" >/dev/null
  fi
done
for env_file in "${SECRETS_DIR}"/*.env; do
  [ -e "${env_file}" ] || continue
  name="$(basename "${env_file}" .env)"
  is_current "${name}" || rm -f "${env_file}" "${SECRETS_DIR}/${name}.sha256"
done

# Each home is mounted as /home/coder: it must be the real folder the storage phase made, since
# Docker follows a link in a mount's source (and would make a missing one, as root).
for name in ${DEVELOPERS}; do
  home="${DATA_MOUNT}/${name}/home"
  if [ -L "${DATA_MOUNT}/${name}" ] || [ -L "${home}" ] || [ ! -d "${home}" ]; then
    echo "containers: refused: ${home} is not a folder (a symbolic link, or missing): run \`devenv phase storage\`, which makes it or names what is wrong" >&2
    exit 1
  fi
done

# A new home gets the image's own /home/coder (.bashrc, .profile …) once, copied by the developer's
# uid inside a throw-away container (root follows nothing in the home), never over a file already
# there. The marker is devenv's, in the developer's root-owned folder.
for name in ${DEVELOPERS}; do
  copied="${DATA_MOUNT}/${name}/skeleton-copied"
  [ -e "${copied}" ] && continue
  docker run --rm --network none --user "${DEVELOPER_UID}:${DEVELOPER_UID}" --security-opt no-new-privileges:true \
    --entrypoint /bin/sh -v "${DATA_MOUNT}/${name}/home:/devenv-home" "${IMAGE}" \
    -c 'cd /home/coder && find . -mindepth 1 -maxdepth 1 -print0 | tar --null -T - -cf - | tar -C /devenv-home --skip-old-files -xf -'
  : >"${copied}"
  log "${name}: the image's files of /home/coder copied into the new home"
done

docker compose -p "${COMPOSE_PROJECT}" -f "${COMPOSE_FILE}" up -d --remove-orphans

# A removed developer's folder is kept unless the user asked for it to go (--purge-removed).
for dir in "${DATA_MOUNT}"/*/; do
  dir="${dir%/}"
  name="$(basename "${dir}")"
  [ -L "${dir}" ] && continue
  [ -d "${dir}/home" ] || [ -d "${dir}/workspace" ] || continue
  is_current "${name}" && continue
  if [ "${PURGE_REMOVED}" = true ]; then
    log "deleting the folder of ${name} (--purge-removed)"
    rm -rf --one-file-system -- "${dir:?}"
  else
    log "kept the folder of ${name}, who is no longer in the config: ${dir}"
  fi
done
