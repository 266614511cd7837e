#!/usr/bin/env bash
# install-system-deps.sh: installs the Debian packages Rivulet's tests and demo need, only when
# they are missing. Idempotent: a second run changes nothing. Needs root (or sudo) for apt-get.
#
# What each package is for:
#   openssl      self-signed certificates for the TLS (ALPN h2/http1.1) tests
#   build tools  python3, make, g++ for native addons if no prebuilt binary fits (classic-level)
# Later issues add ffmpeg, mosquitto and GStreamer (the test RTSP camera) here.
set -eu

need=""
have() { command -v "$1" >/dev/null 2>&1; }
want() { # want COMMAND PACKAGE
  if ! have "$1"; then need="$need $2"; fi
}

want openssl openssl
want make make
want g++ g++
want python3 python3

if [ -z "$need" ]; then
  echo "install-system-deps: everything is already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if have sudo; then SUDO="sudo"; else
    echo "install-system-deps: need root to install:$need" >&2
    exit 1
  fi
fi
echo "install-system-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y -q --no-install-recommends $need
