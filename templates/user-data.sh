#!/bin/bash
# devenv host bootstrap: runs once, as root, when cloud-init first boots the instance.
# Rendered by src/remote/user-data.ts: each placeholder (a NAME in double braces) becomes a
# shell-quoted value.
# It installs software and nothing else: no secrets, no developer data (the storage and
# containers phases do that over SSH, and the containers read their secrets through the role).
set -euo pipefail

PROJECT={{PROJECT}}
AWS_REGION={{AWS_REGION}}
DATA_MOUNT={{DATA_MOUNT}}
ADMIN_USER={{ADMIN_USER}}

export DEBIAN_FRONTEND=noninteractive

log() { echo "devenv user-data: $*"; }

# unattended-upgrades often holds the dpkg lock during the first minutes after boot.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y "$@"; }

# Mirrors and downloads fail now and then right after boot; retry instead of leaving a half-built host.
retry() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if "$@"; then return 0; fi
    log "attempt ${attempt} failed: $*"
    sleep $((attempt * 10))
  done
  return 1
}

workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT

log "removing distribution container packages"
for pkg in docker.io docker-doc docker-compose docker-compose-v2 podman-docker containerd runc; do
  apt_get remove "${pkg}" >/dev/null 2>&1 || true
done

log "installing Docker Engine and the compose plugin from Docker's apt repository"
retry apt_get update
# argon2: the containers phase hashes each password on the host (code-server takes HASHED_PASSWORD).
# conntrack: the idle check's reader of the connection-tracking table on a kernel without /proc/net/nf_conntrack.
retry apt_get install ca-certificates curl unzip argon2 conntrack
install -m 0755 -d /etc/apt/keyrings
retry curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc
chmod a+r /etc/apt/keyrings/docker.asc
# shellcheck source=/dev/null
codename="$(. /etc/os-release && echo "${UBUNTU_CODENAME:-${VERSION_CODENAME}}")"
arch="$(dpkg --print-architecture)"
echo "deb [arch=${arch} signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu ${codename} stable" \
  >/etc/apt/sources.list.d/docker.list
retry apt_get update
retry apt_get install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
systemctl enable --now docker
usermod -aG docker "${ADMIN_USER}"

log "installing AWS CLI v2"
retry curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o "${workdir}/awscliv2.zip"
unzip -q "${workdir}/awscliv2.zip" -d "${workdir}"
"${workdir}/aws/install" --update

log "installing the CloudWatch agent"
retry curl -fsSL "https://s3.amazonaws.com/amazoncloudwatch-agent/ubuntu/${arch}/latest/amazon-cloudwatch-agent.deb" \
  -o "${workdir}/amazon-cloudwatch-agent.deb"
dpkg -i -E "${workdir}/amazon-cloudwatch-agent.deb"

log "creating the data volume's mount point ${DATA_MOUNT}"
install -m 0755 -d "${DATA_MOUNT}"

# Facts (never secrets) for the scripts later phases run on the host.
install -m 0755 -d /etc/devenv
{
  printf 'DEVENV_PROJECT=%q\n' "${PROJECT}"
  printf 'AWS_REGION=%q\n' "${AWS_REGION}"
  printf 'DATA_MOUNT=%q\n' "${DATA_MOUNT}"
} >/etc/devenv/host.env
chmod 0644 /etc/devenv/host.env

log "done"
