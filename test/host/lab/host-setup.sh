#!/usr/bin/env bash
# The fake host's private world. Run as root inside the lab's network namespace and a new, private
# mount namespace (test/host/lab.ts starts it with nsenter + unshare). Nothing here touches the
# machine's own /etc, /dev, /home, /mnt, /run, /tmp or /usr/local: each is replaced by a private copy that
# disappears with the namespace. Ends by holding the namespace open (the lab's anchor process);
# sshd and every lab command join it with `nsenter --target <anchor pid> --mount --net`.
#
# Usage: host-setup.sh LAB_DIR LOOP_DEVICE HOST_USER
set -euo pipefail

lab=$1 loop=$2 user=$3

# /dev: basic nodes, the data volume's loop device, an empty /dev/disk/by-id (the lab links it later).
mkdir -p "$lab/olddev"
mount --rbind /dev "$lab/olddev"
mount -t tmpfs -o mode=755,nosuid labdev /dev
for node in null zero full random urandom tty ptmx loop-control "${loop#/dev/}"; do
  touch "/dev/$node"
  mount --bind "$lab/olddev/$node" "/dev/$node"
done
mkdir -p /dev/pts /dev/shm /dev/mqueue /dev/disk/by-id
mount --bind "$lab/olddev/pts" /dev/pts
mount -t tmpfs -o mode=1777 labshm /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
umount -l "$lab/olddev"

# /etc: an overlay, so fstab, passwd, sudoers and docker's drop-ins change only here.
mkdir -p "$lab/etc-upper" "$lab/etc-work"
mount -t overlay labetc -o "lowerdir=/etc,upperdir=$lab/etc-upper,workdir=$lab/etc-work" /etc
printf '# fstab of the devenv host lab (its own mount namespace)\n' >/etc/fstab

# Scratch places a host writes to: private and empty.
for dir in /run /tmp /home /mnt /srv /root; do mount -t tmpfs -o mode=755 "lab${dir//\//-}" "$dir"; done
chmod 1777 /tmp
chmod 700 /root
mkdir -p /run/sshd /run/lock

# /usr/local: an overlay, so what devenv installs there as root (the idle check) and the lab's AWS CLI
# (./lab.ts, where AWS CLI v2's installer puts it on a real host) stay here.
mkdir -p "$lab/local-upper" "$lab/local-work"
mount -t overlay lablocal -o "lowerdir=/usr/local,upperdir=$lab/local-upper,workdir=$lab/local-work" /usr/local

# The `docker compose` plugin name in front of Debian's Compose v1 (the only Compose packaged here).
mkdir -p "$lab/libexec-upper" "$lab/libexec-work"
mount -t overlay lablibexec -o "lowerdir=/usr/libexec,upperdir=$lab/libexec-upper,workdir=$lab/libexec-work" /usr/libexec
mkdir -p /usr/libexec/docker/cli-plugins
cat >/usr/libexec/docker/cli-plugins/docker-compose <<'SHIM'
#!/bin/sh
if [ "$1" = docker-cli-plugin-metadata ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"devenv host lab","Version":"v1.29.2","ShortDescription":"Compose v1 behind the v2 plugin name"}'
  exit 0
fi
shift
exec /usr/bin/docker-compose "$@"
SHIM
chmod 755 /usr/libexec/docker/cli-plugins/docker-compose

# The host user: uid 1000 with passwordless sudo, as on Ubuntu's EC2 images. (On this machine uid
# 1000 may belong to another account; in this /etc it is the host user's.)
sed -i -E '/^[^:]*:[^:]*:1000:/d' /etc/passwd /etc/group
sed -i -E "/^${user}:/d" /etc/passwd /etc/group /etc/shadow
echo "${user}:x:1000:1000::/home/${user}:/bin/bash" >>/etc/passwd
echo "${user}:x:1000:" >>/etc/group
echo "${user}:*:19000:0:99999:7:::" >>/etc/shadow   # '*': no password, but not locked (sshd refuses locked accounts)
install -d -m 700 -o 1000 -g 1000 "/home/${user}" "/home/${user}/.ssh"
install -m 600 -o 1000 -g 1000 /dev/null "/home/${user}/.ssh/authorized_keys"
cat >/etc/sudoers.d/90-devenv-lab <<SUDO
${user} ALL=(ALL) NOPASSWD:ALL
Defaults secure_path="${lab}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SUDO
chmod 440 /etc/sudoers.d/90-devenv-lab

# Docker Engine, without systemd. Its state lives in the lab folder (removed at teardown).
mkdir -p "$lab/docker"
/usr/sbin/dockerd --data-root "$lab/docker/root" --exec-root /run/docker --pidfile /run/docker.pid \
  --host unix:///run/docker.sock >"$lab/dockerd.log" 2>&1 &
echo $! >"$lab/dockerd.pid"

echo $$ >"$lab/anchor.pid"
exec sleep infinity
