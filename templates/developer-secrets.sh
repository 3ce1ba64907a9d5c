#!/bin/bash
# devenv developer secrets: each developer's code-server password, read ON THE HOST from Secrets
# Manager with the instance role, and kept only as an argon2 hash in a root-only env file that
# Compose hands to the container (HASHED_PASSWORD: `docker inspect` shows the hash, never the
# password). Rendered by src/phases/containers.ts and run as root over SSH; the password never
# crosses the SSH session and this script never prints it.
#
# An env file is rewritten only when the password changed: Compose v1 compares env_file contents,
# and a new hash (a new salt) on every run would recreate every container.
#
# Each developer's Anthropic API key is read the same way and written, unchanged, to a file owned
# by the container user (0400) in a folder of its own under a root-only one; Compose mounts that
# folder read-only into that developer's container alone. A key that changed gets a new random
# version in a small env file, so Compose recreates that container (code-server keeps the key in
# its environment). Neither the key nor its digest is ever printed or put in an env file.
set -euo pipefail

AWS_REGION={{AWS_REGION}}
SECRETS_DIR={{SECRETS_DIR}}
# One "developer password-secret-id api-key-secret-id" line per developer; "-" for no API key.
DEVELOPER_SECRETS={{DEVELOPER_SECRETS}}
API_KEYS_DIR={{API_KEYS_DIR}}
API_KEY_FILE={{API_KEY_FILE}}
KEY_LOADERS_DIR={{KEY_LOADERS_DIR}}
PROFILE_SCRIPT_NAME={{PROFILE_SCRIPT_NAME}}
NODE_PRELOAD_NAME={{NODE_PRELOAD_NAME}}
CONTAINER_KEY_FILE={{CONTAINER_KEY_FILE}}
CONTAINER_UID={{CONTAINER_UID}}
# true when DEVELOPER_SECRETS lists every developer (`up`): keys of developers not listed are removed.
PRUNE={{PRUNE}}

log() { echo "secrets: $*"; }
fail() { echo "secrets: $*" >&2; exit 1; }

umask 077
install -d -m 0700 "${SECRETS_DIR}"
install -d -m 0700 "${API_KEYS_DIR}"
install -d -m 0755 "${KEY_LOADERS_DIR}"

# Writes $2 to $1 (0644, root's) when it differs, so a file mounted into running containers keeps its inode.
write_if_changed() {
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then return 0; fi
  printf '%s\n' "$2" >"$1"
  chmod 0644 "$1"
}

# What exports the key in the container: login shells read the profile script; every Node.js
# process (code-server, so its terminals and extensions; the Claude CLI) preloads the other.
write_if_changed "${KEY_LOADERS_DIR}/${PROFILE_SCRIPT_NAME}" "# Written by devenv: this developer's Anthropic API key, from a read-only file devenv mounts.
if [ -r ${CONTAINER_KEY_FILE} ]; then
  ANTHROPIC_API_KEY=\"\$(cat ${CONTAINER_KEY_FILE})\"
  export ANTHROPIC_API_KEY
fi"
write_if_changed "${KEY_LOADERS_DIR}/${NODE_PRELOAD_NAME}" "// Written by devenv: this developer's Anthropic API key, from a read-only file devenv mounts, for this process and what it starts.
try {
  if (!process.env.ANTHROPIC_API_KEY) process.env.ANTHROPIC_API_KEY = require('fs').readFileSync('${CONTAINER_KEY_FILE}', 'utf8').trim();
} catch {}"

keys_changed=0
# deliver_api_key NAME SECRET_ID: the developer's key file and version, or neither when SECRET_ID is "-".
deliver_api_key() {
  local name="$1" secret_id="$2" dir version_file key tmp
  dir="${API_KEYS_DIR}/${name}"
  version_file="${SECRETS_DIR}/${name}.api-key-version"
  if [ "${secret_id}" = "-" ]; then
    if [ -e "${dir}" ] || [ -e "${version_file}" ]; then
      rm -rf "${dir}" "${version_file}"
      log "${name}: API key removed (the config gives them none)"
      keys_changed=$((keys_changed + 1))
    fi
    return 0
  fi
  if ! key="$(aws secretsmanager get-secret-value --region "${AWS_REGION}" --secret-id "${secret_id}" \
      --query SecretString --output text </dev/null)"; then
    fail "could not read secret ${secret_id} with the instance role (does the role's policy allow it?)"
  fi
  [ -n "${key}" ] || fail "secret ${secret_id} is empty"
  install -d -m 0755 "${dir}"
  if [ -s "${version_file}" ] && [ -f "${dir}/${API_KEY_FILE}" ] && cmp -s "${dir}/${API_KEY_FILE}" <(printf '%s' "${key}"); then
    return 0
  fi
  tmp="$(mktemp "${dir}/.${API_KEY_FILE}.XXXXXX")"
  printf '%s' "${key}" >"${tmp}"
  chown "${CONTAINER_UID}:${CONTAINER_UID}" "${tmp}"
  chmod 0400 "${tmp}"
  mv -f "${tmp}" "${dir}/${API_KEY_FILE}"
  printf 'DEVENV_API_KEY_VERSION=%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"${version_file}"
  log "${name}: API key written to ${dir} (${CONTAINER_KEY_FILE} in their container)"
  keys_changed=$((keys_changed + 1))
}

changed=0
listed=" "
while read -r name secret_id key_secret_id; do
  [ -n "${name}" ] || continue
  listed="${listed}${name} "
  deliver_api_key "${name}" "${key_secret_id:--}"
  env_file="${SECRETS_DIR}/${name}.env"
  digest_file="${SECRETS_DIR}/${name}.sha256"
  if ! password="$(aws secretsmanager get-secret-value --region "${AWS_REGION}" --secret-id "${secret_id}" \
      --query SecretString --output text </dev/null)"; then
    fail "could not read secret ${secret_id} with the instance role (does the role's policy allow it?)"
  fi
  [ -n "${password}" ] || fail "secret ${secret_id} is empty"
  # A digest of a 142-bit random password tells whether it changed without keeping the password.
  digest="$(printf '%s' "${password}" | sha256sum | cut -d' ' -f1)"
  if [ -s "${env_file}" ] && [ -f "${digest_file}" ] && [ "$(cat "${digest_file}")" = "${digest}" ]; then
    continue
  fi
  salt="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  # argon2id, 64 MiB, 3 passes: the password comes on stdin, never on a command line.
  hash="$(printf '%s' "${password}" | argon2 "${salt}" -id -t 3 -m 16 -p 1 -e)"
  tmp="$(mktemp "${SECRETS_DIR}/.${name}.XXXXXX")"
  # Single quotes: neither Compose v1 nor v2 expands the $ signs of the hash inside them.
  printf "HASHED_PASSWORD='%s'\n" "${hash}" >"${tmp}"
  chmod 0600 "${tmp}"
  mv -f "${tmp}" "${env_file}"
  echo "${digest}" >"${digest_file}"
  log "${name}: password hash written to ${env_file}"
  changed=$((changed + 1))
done <<<"${DEVELOPER_SECRETS}"
unset password

if [ "${PRUNE}" = true ]; then
  for dir in "${API_KEYS_DIR}"/*/; do
    [ -d "${dir}" ] || continue
    name="$(basename "${dir}")"
    case "${listed}" in *" ${name} "*) continue ;; esac
    rm -rf "${dir:?}" "${SECRETS_DIR}/${name}.api-key-version"
    log "${name}: API key removed (no longer a developer)"
    keys_changed=$((keys_changed + 1))
  done
fi
log "${changed} password(s) changed, ${keys_changed} API key(s) changed"
