#!/bin/sh
# update.sh: updates an installed Rivulet agent to a new offline bundle, and rolls back by itself
# when the new version does not become healthy. Run as root.
#
# Takes: a bundle (--bundle FILE.tgz, or run from inside an extracted bundle), --root DIR for a
# mounted image or chroot, --health-timeout SECONDS (default 60), see --help.
#
# Changes: writes /opt/rivulet/<new version> beside the running one, points /opt/rivulet/current
# at it and restarts the agent; then polls the agent's /healthz (with the bundled node, no curl).
# Healthy: the previous version stays for a manual rollback, older ones are removed. Not healthy
# within the timeout: current points back at the previous version, the agent restarts on it, and
# the new version's directory is removed. Never touches /var/lib/rivulet (the buffer),
# /etc/rivulet (config and credentials) or the unit file (run install.sh to change those).
#
# Restarts through RIVULET_SERVICE: systemd (systemctl restart rivulet-agent; the default when
# systemd runs here), direct (stops the agent in /run/rivulet/agent.pid, starts the new one as a
# background process: for containers and chroots without systemd, and tests) or none (the default
# with --root or without systemd: only switches current; the new version starts at the next boot,
# with no health check and so no automatic rollback).
set -eu

PROG=update.sh
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

usage() {
  cat <<'EOF'
usage: update.sh [--bundle FILE.tgz] [--root DIR] [--health-timeout SECONDS] [--dry-run]
  --bundle FILE           the new version's offline bundle; without it, the bundle this script sits in
  --root DIR              the installation in a mounted image or chroot at DIR
  --health-timeout SECS   how long the new version has to answer 200 on /healthz (default 60)
  --dry-run               print what would change, change nothing
environment: RIVULET_SERVICE=systemd|direct|none picks how the agent is restarted (see the header)
EOF
}

BUNDLE=""
HEALTH_TIMEOUT=60
need_arg() { [ "$#" -ge 2 ] || die "$1 needs a value (see --help)"; }
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bundle) need_arg "$@"; BUNDLE="$2"; shift ;;
    --root) need_arg "$@"; ROOT="$2"; shift ;;
    --health-timeout) need_arg "$@"; HEALTH_TIMEOUT="$2"; shift ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done
case "$HEALTH_TIMEOUT" in "" | *[!0-9]*) die "--health-timeout takes a number of seconds" ;; esac

require_root_and_resolve_root
trap bundle_close EXIT
trap 'exit 130' INT TERM

bundle_open "$BUNDLE"
check_arch
OLD="$(current_version)"
NEW="$BUNDLE_VERSION"
if [ -z "$OLD" ] || [ ! -d "$(r "/opt/rivulet/$OLD")" ]; then
  die "no installed agent in ${ROOT:-/} (/opt/rivulet/current): run install.sh first"
fi
[ -f "$(r /etc/rivulet/agent.yaml)" ] || warn "not provisioned (no /etc/rivulet/agent.yaml): the agent will not run until it is"

if [ "$OLD" = "$NEW" ]; then
  if diff -rq --no-dereference "$BUNDLE_DIR" "$(r "/opt/rivulet/$NEW")" >/dev/null 2>&1; then
    log "rivulet-agent $NEW is already installed and current: no changes"
    exit 0
  fi
  die "version $NEW is installed with other files than this bundle's; an update needs a new VERSION (or use install.sh to replace it in place)"
fi

MODE="$(service_mode)"
log "updating rivulet-agent $OLD -> $NEW in ${ROOT:-/} (restart: $MODE)"
install_code
ensure_symlink "$NEW" /opt/rivulet/current
if [ "$DRY_RUN" = 1 ]; then
  log "dry run: would restart the agent ($MODE), wait up to ${HEALTH_TIMEOUT}s for /healthz, and roll back to $OLD if it fails"
  exit 0
fi

if [ "$MODE" = none ]; then
  log "switched current to $NEW; no service manager to restart here, so $NEW starts at the next boot"
  log "  (no health check, no automatic rollback: to go back, run update.sh with the $OLD bundle)"
  exit 0
fi

# healthy SECONDS: /healthz answers 200 within SECONDS; gives up early when a directly started
# agent has exited (under systemd, Restart=always keeps trying until the timeout).
healthy() {
  _end=$(($(date +%s) + $1))
  while :; do
    if _said="$(probe "$OLD" health --config /etc/rivulet/agent.yaml --timeout 2)"; then log "$_said"; return 0; fi
    if [ "$MODE" = direct ] && [ -z "$(direct_pid)" ]; then log "the agent exited; $_said"; return 1; fi
    if [ "$(date +%s)" -ge "$_end" ]; then log "$_said"; return 1; fi
  done
}
agent_output() {
  if [ "$MODE" = systemd ]; then
    journalctl -u rivulet-agent.service -n 20 --no-pager 2>/dev/null || true
  else
    direct_output
  fi
}

service_restart
if healthy "$HEALTH_TIMEOUT"; then
  for dir in "$(r /opt/rivulet)"/*/; do
    v="$(basename "$dir")"
    case "$v" in "$NEW" | "$OLD" | current | *.rivulet-new | *.rivulet-old) continue ;; esac
    ensure_absent "/opt/rivulet/$v"
  done
  log "updated to $NEW; $OLD is kept for a manual rollback (update.sh with its bundle)"
  exit 0
fi

warn "$NEW did not become healthy within ${HEALTH_TIMEOUT}s; its last output:"
agent_output >&2
warn "rolling back to $OLD"
ensure_symlink "$OLD" /opt/rivulet/current
service_restart
if healthy "$HEALTH_TIMEOUT"; then state="healthy"; else state="NOT healthy either: check the device"; fi
ensure_absent "/opt/rivulet/$NEW"
die "update to $NEW failed and was rolled back: $OLD is current again and $state; the buffer in /var/lib/rivulet was not touched"
