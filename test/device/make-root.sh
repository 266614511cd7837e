#!/usr/bin/env bash
# make-root.sh: puts a fresh arm64 Debian bookworm root (debootstrap --variant=minbase) into DIR,
# for the device test to install and run the agent in under qemu-user-static.
#
#   make-root.sh DIR
#
# Takes: DIR, which must be missing or empty. Env: RIVULET_DEVICE_CACHE (default
# /var/cache/rivulet-device-test), DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Changes: the first run builds the root with debootstrap (minbase plus iproute2) (first stage on the host, second stage
# in a chroot under qemu) and caches it as CACHE/<key>.tar.zst; later runs only extract it. When
# no aarch64 binfmt handler is registered, mounts binfmt_misc if needed and registers qemu's,
# with the F flag so the chroot needs no copy of qemu. Needs root. Prints the timings.
set -eu

# Bump the key when the root changes: it names the cached tarball.
KEY="bookworm-arm64-minbase-iproute2-v2"
# Raspberry Pi OS has iproute2; the system source reads network counters through `ip`.
INCLUDE=iproute2
CACHE="${RIVULET_DEVICE_CACHE:-/var/cache/rivulet-device-test}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BINFMT=/proc/sys/fs/binfmt_misc
QEMU_CONF=/usr/lib/binfmt.d/qemu-aarch64.conf

die() { echo "make-root: $*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[ $# -eq 1 ] || die "usage: make-root.sh DIR"
DIR=$1
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, binfmt_misc)"
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then die "$DIR is not empty"; fi

# qemu-user-static runs the arm64 binaries; F makes the kernel open the interpreter at
# registration time, so it works inside a chroot that does not contain it.
ensure_binfmt() {
  if [ ! -e "$BINFMT/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount binfmt_misc on $BINFMT"
  fi
  if [ -e "$BINFMT/qemu-aarch64" ]; then
    grep -q '^enabled' "$BINFMT/qemu-aarch64" || die "the qemu-aarch64 binfmt handler is disabled: echo 1 > $BINFMT/qemu-aarch64"
    grep -q '^flags:.*F' "$BINFMT/qemu-aarch64" || die "qemu-aarch64 is registered without the F flag, so it cannot run in a chroot; re-register it from $QEMU_CONF"
    return 0
  fi
  [ -r "$QEMU_CONF" ] || die "$QEMU_CONF is missing: apt-get install qemu-user-static"
  grep -v '^#' "$QEMU_CONF" | grep -q ':F\?[OPC]*F' || die "$QEMU_CONF does not set the F flag"
  grep -v '^#' "$QEMU_CONF" | head -n 1 >"$BINFMT/register"
  echo "make-root: registered qemu-aarch64 with binfmt_misc"
}

build_cache() {
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: apt-get install debootstrap"
  work="$CACHE/$KEY.build"
  rm -rf "$work"
  mkdir -p "$work"
  t=$(now)
  debootstrap --arch=arm64 --variant=minbase --include="$INCLUDE" --foreign bookworm "$work" "$MIRROR" >"$CACHE/$KEY.log" 2>&1 ||
    die "debootstrap first stage failed, see $CACHE/$KEY.log"
  echo "make-root: debootstrap first stage: $(took "$t")"
  t=$(now)
  chroot "$work" /debootstrap/debootstrap --second-stage >>"$CACHE/$KEY.log" 2>&1 ||
    die "debootstrap second stage failed, see $CACHE/$KEY.log"
  # The second stage mounts /proc (and maybe /sys) in the root; none may stay mounted.
  for m in sys proc; do
    if mountpoint -q "$work/$m"; then umount "$work/$m"; fi
  done
  echo "make-root: debootstrap second stage (qemu): $(took "$t")"
  t=$(now)
  rm -rf "$work/var/cache/apt/archives/"*.deb "$work/var/lib/apt/lists/"*_Packages
  tar -C "$work" --numeric-owner --sort=name -I 'zstd -T0 -3' -cf "$CACHE/$KEY.tar.zst.tmp" .
  mv "$CACHE/$KEY.tar.zst.tmp" "$CACHE/$KEY.tar.zst"
  rm -rf "$work"
  echo "make-root: cached $CACHE/$KEY.tar.zst ($(du -h "$CACHE/$KEY.tar.zst" | cut -f1)) in $(took "$t")"
}

ensure_binfmt
mkdir -p "$CACHE"
# Two runs at once build the cache once: the second waits for the first.
exec 9>"$CACHE/$KEY.lock"
flock 9
if [ ! -f "$CACHE/$KEY.tar.zst" ]; then build_cache; fi
t=$(now)
mkdir -p "$DIR"
tar -C "$DIR" --numeric-owner -I zstd -xf "$CACHE/$KEY.tar.zst"
echo "make-root: extracted $KEY into $DIR: $(took "$t")"
