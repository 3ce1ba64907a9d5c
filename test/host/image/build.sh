#!/usr/bin/env bash
# Builds the host lab's code-server image as a root filesystem tarball, without any container registry:
# a debootstrapped Debian, this machine's Node 20 and code-server from npm (4.100.3 is the newest
# release whose engines allow Node 20). The lab imports the tarball into its own dockerd.
#
# Usage: build.sh OUT_TAR [CODE_SERVER_VERSION]   (root; needs debootstrap, npm, ripgrep, libkrb5-dev)
set -euo pipefail

out=${1:?usage: build.sh OUT_TAR [CODE_SERVER_VERSION]}
version=${2:-4.100.3}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${out%/*}/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

echo "debootstrap bookworm"
debootstrap --variant=minbase --include=ca-certificates,curl,dumb-init,git,procps,openssh-client \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }

echo "code-server $version from npm"
app=$work/app
mkdir -p "$app"
(
  cd "$app"
  export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
  echo '{"name":"code-server-image","version":"1.0.0","private":true}' >package.json
  npm install --ignore-scripts code-server@"$version"
  npm rebuild --dangerously-allow-all-scripts argon2
  cd node_modules/code-server/lib/vscode
  npm install --omit=dev --ignore-scripts
  # @vscode/ripgrep's postinstall downloads from GitHub; Debian's rg is the same tool.
  mkdir -p node_modules/@vscode/ripgrep/bin && cp /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
  npm rebuild --dangerously-allow-all-scripts
  # The rest of code-server's postinstall.sh:
  rm -rf node_modules.asar && ln -s node_modules node_modules.asar
  (cd bin/remote-cli && rm -rf code-server && ln -s code-linux.sh code-server)
  (cd bin/helpers && rm -rf browser.sh && ln -s browser-linux.sh browser.sh)
  cd extensions && npm install --omit=dev
) >"$work/npm.log" 2>&1 || { tail -30 "$work/npm.log"; exit 1; }

echo "assemble"
cp "$(readlink -f "$(command -v node)")" "$root/usr/bin/node"
mv "$app" "$root/usr/lib/code-server"
ln -s /usr/lib/code-server/node_modules/code-server/out/node/entry.js "$root/usr/bin/code-server"
chroot "$root" useradd -m -u 1000 -s /bin/bash coder
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$out"
echo "built $out ($(du -h "$out" | cut -f1))"
