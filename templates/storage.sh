#!/bin/bash
# devenv storage: the data volume, mounted for good, and one folder per developer.
# Rendered by src/phases/storage.ts (each placeholder, a NAME in double braces, becomes a
# shell-quoted value) and run as root over SSH on every `devenv up`: every step checks first
# and changes only what differs, so a rerun changes nothing.
#
# Formats only a volume the state says devenv created empty and never formatted (MAY_FORMAT), and
# only when the probe is certain it is empty: a volume restored, adopted, moved from another host or
# formatted by hand keeps its data, and a device that cannot be read stops the run, nothing written.
set -euo pipefail

VOLUME_ID={{VOLUME_ID}}
DATA_MOUNT={{DATA_MOUNT}}
DEVELOPERS={{DEVELOPERS}}
DEVELOPER_UID={{DEVELOPER_UID}}
MAY_FORMAT={{MAY_FORMAT}}
NO_FORMAT_REASON={{NO_FORMAT_REASON}}

FSTAB=/etc/fstab
DOCKER_DROP_IN=/etc/systemd/system/docker.service.d/10-devenv-data-volume.conf
DEVICE_WAIT_S=180

log() { echo "storage: $*"; }
fail() { echo "storage: $*" >&2; exit 1; }

# The volume by its id: Nitro instances expose EBS volumes as NVMe devices that udev links under
# the volume id (without its dash); Xen instances show /dev/sdf as /dev/xvdf.
find_device() {
  local candidate
  for candidate in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}" /dev/xvdf; do
    if [ -b "${candidate}" ]; then
      readlink -f "${candidate}"
      return 0
    fi
  done
  return 1
}

wait_for_device() {
  local waited=0 device
  until device="$(find_device)"; do
    if [ "${waited}" -ge "${DEVICE_WAIT_S}" ]; then
      fail "volume ${VOLUME_ID} did not appear as a block device within ${DEVICE_WAIT_S}s (is it attached to this instance?)"
    fi
    # To stderr: the caller reads the device from this function's stdout.
    if [ $((waited % 15)) -eq 0 ]; then log "waiting for volume ${VOLUME_ID} to appear (${waited}s)" >&2; fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "${device}"
}

# ---- the device: probe, format (only when allowed and certain) ----------------------------------

MIB=1048576
PROBE_ERR=

# Stops the run: the probe could not tell what the device holds. Nothing has been written to it.
probe_failed() {
  rm -f "${PROBE_ERR}"
  fail "cannot tell what ${1} (volume ${VOLUME_ID}) holds: ${2}. Nothing was written to it. Check that the volume is attached and healthy (aws ec2 describe-volumes --volume-ids ${VOLUME_ID}; aws ec2 describe-volume-status --volume-ids ${VOLUME_ID}; dmesg on the host), then run devenv again"
}

# The first line of what a command said on stderr, or its exit code.
probe_error() { local first; first="$(head -n 1 "${PROBE_ERR}")"; echo "${first:-exit $1}"; }
# ": <first line of stderr>", or nothing when it said nothing.
probe_note() { if [ -s "${PROBE_ERR}" ]; then echo ": $(head -n 1 "${PROBE_ERR}")"; fi; }

# Reads one MiB at a byte offset straight from the device (not the page cache); all of it must come back.
read_mib() {
  local device=$1 offset=$2 got
  got="$(dd if="${device}" bs="${MIB}" count=1 skip="${offset}" iflag=direct,skip_bytes,fullblock status=none 2>"${PROBE_ERR}" | wc -c)" \
    || probe_failed "${device}" "reading 1 MiB at byte ${offset} failed: $(probe_error "$?")"
  [ "${got}" -eq "${MIB}" ] || probe_failed "${device}" "reading 1 MiB at byte ${offset} returned ${got} bytes"
}

# Sets PROBED to `filesystem` or `empty`, or stops the run. Empty only when every look agrees: the
# first and last MiB read back, blkid -p (the device itself, no cache) exits 2 with nothing on stderr
# (it exits 2 on an unreadable device too, silently), and wipefs lists no signature.
PROBED=
probe_device() {
  local device=$1 size found rc listed
  PROBE_ERR="$(mktemp)"
  size="$(blockdev --getsize64 "${device}" 2>"${PROBE_ERR}")" || probe_failed "${device}" "blockdev --getsize64: $(probe_error "$?")"
  if ! [[ "${size}" =~ ^[0-9]+$ ]] || [ "${size}" -lt $((2 * MIB)) ]; then
    probe_failed "${device}" "its size is ${size:-unknown} bytes (a volume still attaching?)"
  fi
  read_mib "${device}" 0
  read_mib "${device}" $((size - MIB))
  rc=0
  found="$(blkid -p -o export "${device}" 2>"${PROBE_ERR}")" || rc=$?
  case "${rc}" in
    0)
      if ! grep -q '^TYPE=' <<<"${found}"; then
        fail "${device} (volume ${VOLUME_ID}) holds no filesystem but other data ($(tr '\n' ' ' <<<"${found}")): refusing to format or mount it; check the volume by hand"
      fi
      rm -f "${PROBE_ERR}"
      PROBED=filesystem
      return 0
      ;;
    2)
      [ ! -s "${PROBE_ERR}" ] || probe_failed "${device}" "blkid -p: $(probe_error 2)"
      ;;
    *)
      probe_failed "${device}" "blkid -p exited ${rc}$(probe_note)"
      ;;
  esac
  listed="$(wipefs --no-act "${device}" 2>"${PROBE_ERR}")" || probe_failed "${device}" "wipefs --no-act: $(probe_error "$?")"
  rm -f "${PROBE_ERR}"
  [ -z "${listed}" ] || fail "${device} (volume ${VOLUME_ID}) carries signatures blkid did not report: $(tr '\n' ' ' <<<"${listed}"); refusing to format it; check the volume by hand"
  PROBED=empty
}

# Sets FORMATTED: `made` when this run made the filesystem, `kept` when the device had one.
FORMATTED=
ensure_filesystem() {
  local device=$1
  probe_device "${device}"
  if [ "${PROBED}" = filesystem ]; then
    log "${device} already holds a filesystem: keeping it"
    FORMATTED=kept
    return 0
  fi
  if [ "${MAY_FORMAT}" != true ]; then
    fail "${device} (volume ${VOLUME_ID}) looks empty, but devenv does not format it: ${NO_FORMAT_REASON}. Nothing was written to it. If it should hold your data, adopt the right volume (devenv up --adopt-data-volume <vol-id>); if you are sure it holds nothing, make the filesystem yourself (sudo mkfs.ext4 -L devenv-data ${device}) and run devenv again"
  fi
  log "no filesystem on ${device}, a volume devenv created empty: making an ext4 filesystem"
  mkfs.ext4 -q -L devenv-data "${device}" </dev/null
  FORMATTED=made
}

# Exactly one fstab line for the mount point, by UUID, with nofail (a missing volume must not stop
# the boot). Lines for the same mount point or UUID are replaced; the file is written only when it changes.
ensure_fstab() {
  local uuid=$1 fstype=$2 wanted tmp
  wanted="UUID=${uuid} ${DATA_MOUNT} ${fstype} defaults,nofail 0 2"
  tmp="$(mktemp)"
  awk -v mp="${DATA_MOUNT}" -v id="UUID=${uuid}" '$2 != mp && $1 != id' "${FSTAB}" >"${tmp}"
  echo "${wanted}" >>"${tmp}"
  if cmp -s "${tmp}" "${FSTAB}"; then
    rm -f "${tmp}"
    return 0
  fi
  log "fstab: ${wanted}"
  chmod 644 "${tmp}"
  mv -f "${tmp}" "${FSTAB}"
  # systemd's mount unit still names the old UUID until reloaded, and would unmount the new mount
  # at once (its old device is gone).
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
}

ensure_mounted() {
  local device=$1 source
  mkdir -p "${DATA_MOUNT}"
  if mountpoint -q "${DATA_MOUNT}"; then
    source="$(readlink -f "$(findmnt -n -o SOURCE --target "${DATA_MOUNT}")")"
    [ "${source}" = "${device}" ] || fail "${DATA_MOUNT} has ${source} mounted, not volume ${VOLUME_ID} (${device})"
    return 0
  fi
  # The device itself, not fstab's UUID: a volume restored from a snapshot has the same UUID as the
  # volume it was taken from, and that one may still be attached.
  log "mounting ${device} at ${DATA_MOUNT}"
  mount "${device}" "${DATA_MOUNT}"
}

# Docker must not start the containers onto an empty mount point when the volume is missing at boot.
ensure_docker_waits_for_volume() {
  local wanted
  wanted="$(printf '[Unit]\nRequiresMountsFor=%s\n' "${DATA_MOUNT}")"
  if [ -f "${DOCKER_DROP_IN}" ] && [ "$(cat "${DOCKER_DROP_IN}")" = "${wanted}" ]; then return 0; fi
  mkdir -p "$(dirname "${DOCKER_DROP_IN}")"
  echo "${wanted}" >"${DOCKER_DROP_IN}"
  log "docker.service now requires ${DATA_MOUNT}"
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
}

# Each developer's whole home is on the data volume, mounted as the container's /home/coder:
#   ${DATA_MOUNT}/<name>/        root's, never seen by the container: devenv's own files for the developer
#   ${DATA_MOUNT}/<name>/home/   the developer's (uid DEVELOPER_UID): everything in ~
# Root never follows a link a developer made: below an existing home it only makes a missing
# ~/workspace (mkdir does not follow a link, chown -h neither). A new home is put together in
# home.new, which is root's and reached by no container, and then renamed into place.
# The folders of the layout before whole homes, each mounted on its own, move into the new home
# (old name:name in ~); killed at any point, the next run carries on where this one stopped.
LEGACY_HOME_PARTS="workspace:workspace config:.config data:.local/share/code-server ssh:.ssh gitconfig:.gitconfig"

# On stdout: the phase shows each refusal as a warning.
refused() { echo "storage: refused: $*"; }

# A folder devenv keeps: a real folder (never a link: refused, the run stops), with this owner and mode.
# chmod follows links, but the path is not one and only root can write its parent.
own_dir() {
  local path=$1 owner=$2 mode=$3
  if [ -L "${path}" ]; then
    fail "refused: ${path} is a symbolic link (to $(readlink "${path}")), where devenv keeps a folder: remove the link by hand (nothing was followed), then run again"
  fi
  [ -e "${path}" ] || mkdir "${path}"
  [ -d "${path}" ] || fail "${path} is not a folder: move it away by hand, then run again"
  chown -h "${owner}" "${path}"
  chmod "${mode}" "${path}"
}

# A home for a new developer, or one made of a developer's folders of the layout before whole homes.
assemble_home() {
  local name=$1 base="${DATA_MOUNT}/$1" new="${DATA_MOUNT}/$1/home.new" part from to
  own_dir "${new}" 0:0 0700
  for part in ${LEGACY_HOME_PARTS}; do
    from="${base}/${part%%:*}"
    to="${new}/${part#*:}"
    if [ -L "${from}" ]; then
      refused "${from} is a symbolic link (to $(readlink "${from}")): not moved into ${name}'s home; remove it by hand"
      continue
    fi
    [ -e "${from}" ] || continue
    if [ -e "${to}" ] || [ -L "${to}" ]; then
      log "${name}: kept ${from}: the new home already has ~/${part#*:}"
      continue
    fi
    # Folders made here are root's until the end: home.new is root's alone.
    mkdir -p "$(dirname "${to}")"
    mv -T "${from}" "${to}"
    log "${name}: moved ${from} to ~/${part#*:}"
  done
  [ -e "${new}/workspace" ] || mkdir "${new}/workspace"
  # Without a config file code-server writes one holding a random password; the container's
  # password comes from its env file (a hash) instead. Only in a home that has no ~/.config yet.
  if [ ! -e "${new}/.config" ]; then
    mkdir -p "${new}/.config/code-server"
    printf 'bind-addr: 0.0.0.0:8080\nauth: password\ncert: false\n' >"${new}/.config/code-server/config.yaml"
    chown -h "${DEVELOPER_UID}:${DEVELOPER_UID}" "${new}/.config" "${new}/.config/code-server" "${new}/.config/code-server/config.yaml"
  fi
  for to in "${new}/.local" "${new}/.local/share"; do
    if [ -d "${to}" ] && [ ! -L "${to}" ]; then chown -h "${DEVELOPER_UID}:${DEVELOPER_UID}" "${to}"; fi
  done
  chown -h "${DEVELOPER_UID}:${DEVELOPER_UID}" "${new}/workspace" "${new}"
  chmod 0700 "${new}"
  mv -T "${new}" "${base}/home"
  log "${name}: home ready at ${base}/home"
}

ensure_developer_homes() {
  local name base part
  for name in ${DEVELOPERS}; do
    base="${DATA_MOUNT}/${name}"
    own_dir "${base}" 0:0 0755
    if [ -L "${base}/home" ] || { [ -e "${base}/home" ] && [ ! -d "${base}/home" ]; }; then
      fail "refused: ${base}/home is not a folder$([ -L "${base}/home" ] && echo " but a symbolic link (to $(readlink "${base}/home"))"), and Docker would mount what it points to: move it away by hand (nothing was followed), then run again"
    fi
    if [ ! -d "${base}/home" ]; then
      assemble_home "${name}"
      continue
    fi
    for part in ${LEGACY_HOME_PARTS}; do
      if [ -L "${base}/${part%%:*}" ]; then
        refused "${base}/${part%%:*} is a symbolic link (to $(readlink "${base}/${part%%:*}")): not moved into ${name}'s home; remove it by hand"
      elif [ -e "${base}/${part%%:*}" ]; then
        log "${name}: kept ${base}/${part%%:*}: the home already has its place (~/${part#*:}); move what you need by hand"
      fi
    done
    # The container's working folder: Docker would make a missing one as root.
    if [ ! -e "${base}/home/workspace" ] && [ ! -L "${base}/home/workspace" ] && mkdir "${base}/home/workspace" 2>/dev/null; then
      chown -h "${DEVELOPER_UID}:${DEVELOPER_UID}" "${base}/home/workspace"
      log "${name}: made ~/workspace again"
    fi
  done
}

device="$(wait_for_device)"
[ -b "${device}" ] || fail "\"${device}\" is not a block device: refusing to look for a filesystem on it"
log "volume ${VOLUME_ID} is ${device}"
if findmnt -n -S "${device}" -o TARGET | grep -qvx "${DATA_MOUNT}"; then
  fail "${device} is mounted somewhere other than ${DATA_MOUNT}: $(findmnt -n -S "${device}" -o TARGET | tr '\n' ' ')"
fi
ensure_filesystem "${device}"
uuid="$(blkid -p -o value -s UUID "${device}")"
fstype="$(blkid -p -o value -s TYPE "${device}")"
[ -n "${uuid}" ] || fail "the filesystem on ${device} has no UUID"
ensure_fstab "${uuid}" "${fstype}"
ensure_mounted "${device}"
ensure_docker_waits_for_volume
ensure_developer_homes
echo "filesystem ${uuid} ${fstype} ${FORMATTED}"
