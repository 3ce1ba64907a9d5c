#!/bin/bash
# devenv developer secrets: each developer's code-server password, read ON THE HOST from Secrets
# Manager with the instance role, and kept only as an argon2 hash in a root-only env file that
# Compose hands to the container (HASHED_PASSWORD: `docker inspect` shows the hash, never the
# password). Rendered by src/phases/containers.ts and run as root over SSH; the password never
# crosses the SSH session and this script never prints it.
#
# An env file is rewritten only when the password changed: Compose v1 compares env_file contents,
# and a new hash (a new salt) on every run would recreate every container.
set -euo pipefail

AWS_REGION={{AWS_REGION}}
SECRETS_DIR={{SECRETS_DIR}}
# One "developer secret-id" pair per line.
DEVELOPER_SECRETS={{DEVELOPER_SECRETS}}

log() { echo "secrets: $*"; }
fail() { echo "secrets: $*" >&2; exit 1; }

umask 077
install -d -m 0700 "${SECRETS_DIR}"

changed=0
while read -r name secret_id; do
  [ -n "${name}" ] || continue
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
log "${changed} password(s) changed"
