#!/bin/sh
# uninstall.sh: removes the Rivulet agent from this device, or from a mounted image or chroot.
# Run as root.
#
# Takes: --root DIR, --purge (also remove the config, the credentials, the buffered data and the
# rivulet user), --yes (confirm a purge without a prompt), --dry-run; see --help.
#
# Changes: stops and disables rivulet-agent.service (systemctl, when systemd runs here; an agent
# started with RIVULET_SERVICE=direct is stopped through its pidfile), removes the unit, its
# multi-user.target.wants link (and rivulet-firstboot.service), the journald drop-in and
# /opt/rivulet. Keeps /etc/rivulet and
# /var/lib/rivulet unless --purge. Before a purge it says how many records were never uploaded
# (from the running agent's /status.json; otherwise the buffer's file count and size, since the
# exact count needs the agent) and asks for confirmation (--yes, or "yes" typed on a terminal).
set -eu

PROG=uninstall.sh
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

usage() {
  cat <<'EOF'
usage: uninstall.sh [--root DIR] [--purge [--yes]] [--dry-run]
  --root DIR   remove the installation in a mounted image or chroot at DIR
  --purge      also remove /etc/rivulet, /var/lib/rivulet (records not yet uploaded are lost)
               and the rivulet user
  --yes        confirm --purge without asking
  --dry-run    print what would change, change nothing
EOF
}

PURGE=0
YES=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --root) [ "$#" -ge 2 ] || die "--root needs a value"; ROOT="$2"; shift ;;
    --purge) PURGE=1 ;;
    --yes) YES=1 ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done

require_root_and_resolve_root

DATA=/var/lib/rivulet
CONFIG=/etc/rivulet/agent.yaml

# unsent_report: what a purge would lose, asked from the running agent when it answers.
unsent_report() {
  _v="$(current_version)"
  if [ -n "$_v" ] && [ -f "$(r "$CONFIG")" ] && _s="$(probe "$_v" status --config "$CONFIG" 2>/dev/null)"; then
    _records="$(printf '%s' "$_s" | sed -n 's/.*"records":\([0-9]*\).*/\1/p')"
    _bytes="$(printf '%s' "$_s" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p')"
    if [ "${_records:-0}" = 0 ]; then
      log "the running agent reports no unsent records"
    else
      warn "the running agent has ${_records} records (${_bytes:-?} bytes) not uploaded yet: a purge loses them"
    fi
    return 0
  fi
  if [ -d "$(r "$DATA")" ]; then
    _files="$(find "$(r "$DATA")" -type f | wc -l | tr -d ' ')"
    _kib="$(du -sk "$(r "$DATA")" | cut -f1)"
    warn "the agent is not answering, so the number of unsent records cannot be told exactly:"
    warn "  $DATA holds $_files files, ${_kib} KiB; whatever was not uploaded is lost with a purge"
  fi
}

if [ "$PURGE" = 1 ]; then
  unsent_report
  if [ "$DRY_RUN" = 1 ]; then
    :
  elif [ "$YES" = 1 ]; then
    log "purge confirmed by --yes"
  elif [ -t 0 ]; then
    printf 'Remove %s, %s and the rivulet user for good? Type yes: ' "$DATA" /etc/rivulet >/dev/tty
    IFS= read -r answer </dev/tty || answer=""
    [ "$answer" = yes ] || die "not confirmed: nothing was removed"
  else
    die "--purge deletes the buffer and the credentials: add --yes to confirm (nothing was removed)"
  fi
fi

# The service first, so nothing writes while the files go.
if systemd_running && [ -f /etc/systemd/system/rivulet-agent.service ]; then
  if systemctl is-enabled --quiet rivulet-agent.service 2>/dev/null || systemctl is-active --quiet rivulet-agent.service; then
    changed "stop and disable rivulet-agent.service"
    run systemctl disable --now rivulet-agent.service
  fi
fi
if [ -n "$(direct_pid)" ]; then
  changed "stop the agent started directly (pid $(direct_pid))"
  if [ "$DRY_RUN" = 0 ]; then direct_stop; fi
fi

ensure_absent /etc/systemd/system/multi-user.target.wants/rivulet-agent.service
ensure_absent /etc/systemd/system/rivulet-agent.service
ensure_absent /etc/systemd/system/multi-user.target.wants/rivulet-firstboot.service
ensure_absent /etc/systemd/system/rivulet-firstboot.service
ensure_absent /etc/systemd/journald.conf.d/rivulet.conf
ensure_absent /opt/rivulet
if systemd_running && [ "$CHANGES" -gt 0 ]; then run systemctl daemon-reload; fi

if [ "$PURGE" = 1 ]; then
  ensure_absent /etc/rivulet
  ensure_absent "$DATA"
  ensure_absent /run/rivulet
  if user_exists rivulet; then changed "remove user rivulet"; shadow userdel rivulet; fi
  if group_exists rivulet; then changed "remove group rivulet"; shadow groupdel rivulet; fi
else
  for kept in /etc/rivulet "$DATA"; do
    if [ -e "$(r "$kept")" ]; then log "kept $kept (uninstall.sh --purge removes it)"; fi
  done
fi

if [ "$CHANGES" = 0 ]; then
  log "no changes"
elif [ "$DRY_RUN" = 1 ]; then
  log "dry run: would make $CHANGES changes"
else
  log "done: $CHANGES changes"
fi
