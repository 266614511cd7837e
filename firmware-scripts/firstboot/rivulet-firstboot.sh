#!/bin/sh
# rivulet-firstboot.sh: provisions the Rivulet agent on a freshly flashed card's first boot, from
# /boot/firmware/rivulet.conf (or /boot/rivulet.conf), then disables itself. Run by
# rivulet-firstboot.service (installed by `install.sh --firstboot`), as root.
#
# Takes: the conf file, KEY=value lines (never run as shell code):
#   RIVULET_SERVER=http://10.0.0.5:4567   RIVULET_DEVICE_ID=cam-07 (default: the hostname)
#   RIVULET_ACCESS_KEY=AKID...            RIVULET_SECRET=...   RIVULET_STATUS_PORT=8787
# Changes: what install.sh changes when provisioning (/etc/rivulet/agent.yaml and the secret
# file); renames the conf to rivulet.conf.done with the secret line removed (the boot partition
# is FAT: anyone holding the card could read it); disables rivulet-firstboot.service. It does not
# start the agent itself: rivulet-agent.service is ordered after this unit and starts once the
# config exists.
set -eu

PROG=rivulet-firstboot
log() { printf '%s: %s\n' "$PROG" "$*"; }

CONF=""
for c in /boot/firmware/rivulet.conf /boot/rivulet.conf; do
  if [ -f "$c" ]; then CONF="$c"; break; fi
done
if [ -z "$CONF" ]; then
  log "no /boot/firmware/rivulet.conf or /boot/rivulet.conf: nothing to provision"
  exit 0
fi

# value KEY: the value of KEY=... in the conf, quotes and a trailing CR (Windows editors) removed.
value() {
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1 | tr -d '\r' | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}

SERVER="$(value RIVULET_SERVER)"
DEVICE_ID="$(value RIVULET_DEVICE_ID)"
ACCESS_KEY="$(value RIVULET_ACCESS_KEY)"
SECRET="$(value RIVULET_SECRET)"
STATUS_PORT="$(value RIVULET_STATUS_PORT)"
[ -n "$DEVICE_ID" ] || DEVICE_ID="$(hostname)"
[ -n "$SERVER" ] || { log "$CONF has no RIVULET_SERVER: not provisioning"; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
set -- --server "$SERVER" --device-id "$DEVICE_ID" --skip-ffmpeg --no-check --non-interactive
if [ -n "$ACCESS_KEY" ]; then set -- "$@" --access-key "$ACCESS_KEY"; fi
if [ -n "$SECRET" ]; then
  (umask 077 && printf '%s\n' "$SECRET" >"$WORK/secret")
  set -- "$@" --secret-file "$WORK/secret"
fi
if [ -n "$STATUS_PORT" ]; then set -- "$@" --status-port "$STATUS_PORT"; fi

# RIVULET_SERVICE=none: systemctl restart from a unit the agent is ordered after would deadlock.
RIVULET_SERVICE=none sh /opt/rivulet/current/firmware-scripts/install.sh "$@"

grep -v '^[[:space:]]*RIVULET_SECRET[[:space:]]*=' "$CONF" >"$CONF.done" || true
rm -f "$CONF"
sync
log "provisioned device $DEVICE_ID for $SERVER; $CONF is now $CONF.done (without the secret)"
if [ -d /run/systemd/system ]; then systemctl disable rivulet-firstboot.service || true; fi
