# shellcheck shell=sh
# lib.sh: shared functions for install.sh, update.sh and uninstall.sh. Sourced, never run.
# Takes: the caller's ROOT (a mounted image or chroot, "" for this machine) and DRY_RUN (0|1).
# Changes nothing by itself; each ensure_* helper changes one path under $ROOT only when it
# differs from what is wanted, counts the change in CHANGES and says what it did, so that a
# second identical run can report "no changes". With DRY_RUN=1 it only says what it would do.

ROOT="${ROOT:-}"
DRY_RUN="${DRY_RUN:-0}"
CHANGES=0
PROG="${PROG:-rivulet}"

log() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# changed MESSAGE: records one change (or, in a dry run, one change that would be made).
changed() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then log "would $*"; else log "$*"; fi
}

# run CMD ARGS...: runs a command that changes the system; in a dry run only prints it.
run() {
  if [ "$DRY_RUN" = 1 ]; then log "would run: $*"; return 0; fi
  "$@"
}

# r PATH: PATH inside the target root.
r() { printf '%s%s' "$ROOT" "$1"; }

have() { command -v "$1" >/dev/null 2>&1; }

# host_arch: this machine's architecture in bundle terms (arm64 | armv7l | x64).
host_arch() {
  case "$(uname -m)" in
    aarch64 | arm64) echo arm64 ;;
    armv7l | armv7* | armv8l | armhf) echo armv7l ;;
    x86_64 | amd64) echo x64 ;;
    *) uname -m ;;
  esac
}

# root_arch: the target root's architecture, from the ELF header of its /bin/sh's target
# (e_machine at byte 18); empty when it cannot tell (an empty or partial root).
root_arch() {
  _f=""
  for _c in "$(r /usr/bin/dash)" "$(r /bin/dash)" "$(r /usr/bin/bash)" "$(r /bin/bash)"; do
    if [ -f "$_c" ] && [ ! -L "$_c" ]; then _f="$_c"; break; fi
  done
  [ -n "$_f" ] || return 0
  case "$(od -An -tu2 -j18 -N2 "$_f" 2>/dev/null | tr -d ' ')" in
    183) echo arm64 ;;
    40) echo armv7l ;;
    62) echo x64 ;;
    *) ;;
  esac
}

systemd_running() { [ -z "$ROOT" ] && [ -d /run/systemd/system ] && have systemctl; }

# --- users and groups, looked up in the target root's files (getent does not know --root) ---

# passwd_field NAME FIELD: a field of NAME's line in $ROOT/etc/passwd (3 = uid, 4 = gid).
passwd_field() { awk -F: -v n="$1" -v f="$2" '$1 == n { print $f; exit }' "$(r /etc/passwd)" 2>/dev/null || true; }
group_field() { awk -F: -v n="$1" -v f="$2" '$1 == n { print $f; exit }' "$(r /etc/group)" 2>/dev/null || true; }
user_exists() { [ -n "$(passwd_field "$1" 1)" ]; }
group_exists() { [ -n "$(group_field "$1" 1)" ]; }
# in_group USER GROUP: USER is a listed member of GROUP.
in_group() { group_field "$2" 4 | tr ',' '\n' | grep -qx "$1"; }

# owner_ids OWNER:GROUP: numeric uid:gid in the target root ("" when one is not there yet).
owner_ids() {
  _u="${1%%:*}"
  _g="${1#*:}"
  case "$_u" in *[!0-9]*) _u="$(passwd_field "$_u" 3)" ;; esac
  case "$_g" in *[!0-9]*) _g="$(group_field "$_g" 3)" ;; esac
  if [ -n "$_u" ] && [ -n "$_g" ]; then echo "$_u:$_g"; fi
}

# shadow CMD ARGS...: a shadow-utils command (useradd, groupadd, usermod, userdel) on the target
# root's files; with --root it edits them without running anything from the root.
shadow() {
  _cmd="$1"
  shift
  if [ -n "$ROOT" ]; then run "$_cmd" --root "$ROOT" "$@"; else run "$_cmd" "$@"; fi
}

# --- idempotent file operations on $ROOT<path> ---

# ensure_meta PATH MODE OWNER:GROUP: fixes mode and owner if they differ.
ensure_meta() {
  _p="$(r "$1")"
  _ids="$(owner_ids "$3")"
  if [ ! -e "$_p" ] && [ "$DRY_RUN" = 1 ]; then return 0; fi
  if [ "$(stat -c %a "$_p")" != "${2#0}" ]; then
    changed "set mode $2 on $1"
    run chmod "$2" "$_p"
  fi
  if [ -z "$_ids" ]; then
    [ "$DRY_RUN" = 1 ] || die "owner $3 of $1 does not exist in ${ROOT:-/}"
  elif [ "$(stat -c %u:%g "$_p")" != "$_ids" ]; then
    changed "set owner $3 on $1"
    run chown "$_ids" "$_p"
  fi
}

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
  if [ ! -d "$(r "$1")" ]; then
    changed "create directory $1 ($2 $3)"
    [ "$DRY_RUN" = 1 ] && return 0
    _ids="$(owner_ids "$3")"
    [ -n "$_ids" ] || die "owner $3 of $1 does not exist in ${ROOT:-/}"
    mkdir -p "$(r "$1")"
    chmod "$2" "$(r "$1")"
    chown "$_ids" "$(r "$1")"
    return 0
  fi
  ensure_meta "$@"
}

# ensure_file SRC PATH MODE OWNER:GROUP: PATH gets SRC's bytes (written atomically).
ensure_file() {
  _dst="$(r "$2")"
  if [ ! -f "$_dst" ] || [ -L "$_dst" ] || ! cmp -s "$1" "$_dst"; then
    if [ -e "$_dst" ]; then changed "update $2"; else changed "write $2"; fi
    if [ "$DRY_RUN" != 1 ]; then
      cp "$1" "$_dst.rivulet-new"
      chmod "$3" "$_dst.rivulet-new"
      _ids="$(owner_ids "$4")"
      [ -n "$_ids" ] || die "owner $4 of $2 does not exist in ${ROOT:-/}"
      chown "$_ids" "$_dst.rivulet-new"
      mv -f "$_dst.rivulet-new" "$_dst"
    fi
  fi
  ensure_meta "$2" "$3" "$4"
}

# ensure_symlink TARGET PATH: PATH is a symlink to TARGET (replaced atomically).
ensure_symlink() {
  _l="$(r "$2")"
  if [ "$(readlink "$_l" 2>/dev/null || true)" != "$1" ]; then
    changed "point $2 at $1"
    run ln -sfn "$1" "$_l.rivulet-new"
    run mv -Tf "$_l.rivulet-new" "$_l"
  fi
}

# ensure_absent PATH: removes a file, symlink or directory tree.
ensure_absent() {
  if [ -e "$(r "$1")" ] || [ -L "$(r "$1")" ]; then
    changed "remove $1"
    run rm -rf "$(r "$1")"
  fi
}

# --- bundles ---

# bundle_open FILE|"": sets BUNDLE_DIR (an extracted bundle's top directory), BUNDLE_VERSION and
# BUNDLE_ARCH. With no file, the bundle this script runs from (<bundle>/firmware-scripts/).
# An extracted tarball lives in BUNDLE_TMP, which the caller removes (bundle_close).
BUNDLE_TMP=""
bundle_open() {
  if [ -n "$1" ]; then
    [ -f "$1" ] || die "bundle $1 not found"
    BUNDLE_TMP="$(mktemp -d "${TMPDIR:-/tmp}/rivulet-bundle.XXXXXX")"
    tar -xzf "$1" -C "$BUNDLE_TMP" --no-same-owner || die "cannot extract $1 (is it a rivulet-agent bundle .tgz?)"
    set -- "$BUNDLE_TMP"/rivulet-agent-*/VERSION
    [ -f "$1" ] || die "no rivulet-agent-<version>/VERSION inside the bundle"
    BUNDLE_DIR="${1%/VERSION}"
  else
    BUNDLE_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
    [ -f "$BUNDLE_DIR/VERSION" ] || die "not run from an extracted bundle: pass --bundle rivulet-agent-<version>-linux-<arch>.tgz"
  fi
  BUNDLE_VERSION="$(tr -d ' \n' <"$BUNDLE_DIR/VERSION")"
  BUNDLE_ARCH="$(tr -d ' \n' <"$BUNDLE_DIR/ARCH")"
  case "$BUNDLE_VERSION" in "" | *[!A-Za-z0-9._+-]*) die "bad VERSION '$BUNDLE_VERSION' in the bundle" ;; esac
  [ -x "$BUNDLE_DIR/node/bin/node" ] || die "the bundle has no node/bin/node"
  [ -f "$BUNDLE_DIR/app/bin/rivulet-agent.js" ] || die "the bundle has no app/bin/rivulet-agent.js"
}
bundle_close() { if [ -n "$BUNDLE_TMP" ]; then rm -rf "$BUNDLE_TMP"; BUNDLE_TMP=""; fi; }

# check_arch: refuses a bundle built for another architecture than the target's.
check_arch() {
  if [ -n "$ROOT" ]; then _want="$(root_arch)"; else _want="$(host_arch)"; fi
  if [ -n "$_want" ] && [ "$_want" != "$BUNDLE_ARCH" ]; then
    die "the bundle is for $BUNDLE_ARCH but ${ROOT:-this machine} is $_want: use rivulet-agent-$BUNDLE_VERSION-linux-$_want.tgz"
  fi
}

# install_code: /opt/rivulet/$BUNDLE_VERSION holds exactly the bundle, owned by root. A copy that
# differs is replaced whole; the new tree is staged beside it and renamed into place.
install_code() {
  _v="/opt/rivulet/$BUNDLE_VERSION"
  ensure_dir /opt/rivulet 0755 0:0
  if [ -d "$(r "$_v")" ] && diff -rq --no-dereference "$BUNDLE_DIR" "$(r "$_v")" >/dev/null 2>&1; then
    return 0
  fi
  if [ -d "$(r "$_v")" ]; then changed "replace $_v (its files differ from the bundle)"; else changed "install $_v"; fi
  [ "$DRY_RUN" = 1 ] && return 0
  rm -rf "$(r "$_v").rivulet-new" "$(r "$_v").rivulet-old"
  cp -R "$BUNDLE_DIR" "$(r "$_v").rivulet-new"
  chown -R 0:0 "$(r "$_v").rivulet-new"
  chmod -R go-w "$(r "$_v").rivulet-new"
  if [ -d "$(r "$_v")" ]; then mv "$(r "$_v")" "$(r "$_v").rivulet-old"; fi
  mv "$(r "$_v").rivulet-new" "$(r "$_v")"
  rm -rf "$(r "$_v").rivulet-old"
}

# current_version: the version /opt/rivulet/current points at ("" when none).
current_version() { basename "$(readlink "$(r /opt/rivulet/current)" 2>/dev/null || echo /)" | sed 's|^/$||'; }

# --- running the agent and its probe ---

# clean_env CMD ARGS...: runs CMD with the small environment systemd would give the service, not
# this shell's (a host's NODE_OPTIONS or NODE_EXTRA_CA_CERTS means nothing inside a root).
SERVICE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
clean_env() {
  env -i PATH="$SERVICE_PATH" LANG=C.UTF-8 NODE_ENV=production ${RIVULET_LOG_LEVEL:+RIVULET_LOG_LEVEL="$RIVULET_LOG_LEVEL"} "$@"
}

# in_root CMD ARGS...: runs a command of the target root (as root), inside it when --root.
in_root() {
  if [ -n "$ROOT" ]; then clean_env chroot "$ROOT" "$@"; else clean_env "$@"; fi
}

# probe VERSION COMMAND ARGS...: runs firmware-scripts/probe.mjs of VERSION with VERSION's node.
probe() {
  _pv="$1"
  _pc="$2"
  shift 2
  in_root "/opt/rivulet/$_pv/node/bin/node" "/opt/rivulet/$_pv/firmware-scripts/probe.mjs" "$_pc" --app "/opt/rivulet/$_pv/app" "$@"
}

# The service: RIVULET_SERVICE=systemd | direct | none; unset picks systemd when systemd runs
# here (never with --root), else none (the unit starts the agent at the next boot).
# direct runs the agent itself as a background process (as the rivulet user, chrooted into
# --root), with its pid in /run/rivulet/agent.pid and its output in /run/rivulet/agent.log:
# for containers and chroots without systemd, and for tests.
service_mode() {
  case "${RIVULET_SERVICE:-}" in
    systemd) [ -z "$ROOT" ] || die "RIVULET_SERVICE=systemd cannot restart anything inside --root"; echo systemd ;;
    direct | none) echo "$RIVULET_SERVICE" ;;
    "") if systemd_running; then echo systemd; else echo none; fi ;;
    *) die "RIVULET_SERVICE must be systemd, direct or none, not '$RIVULET_SERVICE'" ;;
  esac
}

PIDFILE=/run/rivulet/agent.pid
AGENT_LOG=/run/rivulet/agent.log

direct_pid() {
  _pid="$(cat "$(r "$PIDFILE")" 2>/dev/null || true)"
  case "$_pid" in "" | *[!0-9]*) return 0 ;; esac
  if kill -0 "$_pid" 2>/dev/null; then echo "$_pid"; fi
}

direct_start() {
  _ids="$(owner_ids rivulet:rivulet)"
  [ -n "$_ids" ] || die "no rivulet user in ${ROOT:-/}: run install.sh first"
  _video="$(group_field video 3)"
  if [ -n "$ROOT" ] && [ ! -e "$ROOT/proc/self" ]; then
    warn "$ROOT/proc is not mounted: the agent needs it (mount -t proc proc $ROOT/proc)"
  fi
  mkdir -p "$(r /run/rivulet)"
  printf -- '--- rivulet: starting %s at %s ---\n' "$(current_version)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$(r "$AGENT_LOG")"
  # setsid: the agent outlives this script and its terminal, as a service would.
  setsid env -i PATH="$SERVICE_PATH" LANG=C.UTF-8 NODE_ENV=production ${RIVULET_LOG_LEVEL:+RIVULET_LOG_LEVEL="$RIVULET_LOG_LEVEL"} \
    chroot --userspec="$_ids" ${_video:+--groups="$_video"} "${ROOT:-/}" \
    /opt/rivulet/current/node/bin/node /opt/rivulet/current/app/bin/rivulet-agent.js run --config /etc/rivulet/agent.yaml \
    </dev/null >>"$(r "$AGENT_LOG")" 2>&1 &
  echo "$!" >"$(r "$PIDFILE")"
  log "started the agent directly (pid $!, output in ${ROOT}$AGENT_LOG)"
}

# direct_output: the log of the last direct start.
direct_output() {
  awk '/^--- rivulet: starting / { n = 0 } { line[n++] = $0 } END { for (i = (n > 20 ? n - 20 : 0); i < n; i++) print line[i] }' "$(r "$AGENT_LOG")" 2>/dev/null || true
}

direct_stop() {
  _pid="$(direct_pid)"
  if [ -z "$_pid" ]; then rm -f "$(r "$PIDFILE")"; return 0; fi
  kill -TERM "$_pid" 2>/dev/null || true
  _i=0
  while kill -0 "$_pid" 2>/dev/null && [ "$_i" -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
  if kill -0 "$_pid" 2>/dev/null; then
    warn "the agent (pid $_pid) did not stop within 20 s of SIGTERM: killing it"
    kill -KILL "$_pid" 2>/dev/null || true
  fi
  rm -f "$(r "$PIDFILE")"
  log "stopped the agent (pid $_pid)"
}

# service_restart: (re)starts the agent the way service_mode says.
service_restart() {
  case "$(service_mode)" in
    systemd)
      # A broken version may have used up StartLimitBurst; a rollback must still be able to start.
      run systemctl reset-failed rivulet-agent.service 2>/dev/null || true
      # Type=notify: a version that never gets ready fails the restart; the health check decides.
      run systemctl restart rivulet-agent.service || warn "systemctl restart rivulet-agent failed"
      ;;
    direct)
      if [ "$DRY_RUN" = 1 ]; then log "would restart the agent directly"; return 0; fi
      direct_stop
      direct_start
      ;;
    none) log "not restarting: no systemd here; the unit starts the new version at the next boot" ;;
  esac
}

service_stop() {
  case "$(service_mode)" in
    systemd) run systemctl stop rivulet-agent.service ;;
    direct) if [ "$DRY_RUN" = 1 ]; then log "would stop the agent"; else direct_stop; fi ;;
    none) ;;
  esac
}

# require_root_and_resolve_root: every script runs as root; --root DIR becomes an absolute path,
# and --root / the same as no --root (ROOT="").
require_root_and_resolve_root() {
  [ "$(id -u)" = 0 ] || die "run as root (sudo sh $PROG ...)"
  if [ -n "$ROOT" ]; then
    [ -d "$ROOT" ] || die "--root $ROOT is not a directory"
    ROOT="$(cd "$ROOT" && pwd)"
    [ "$ROOT" != / ] || ROOT=""
  fi
}
