#!/bin/sh
# install.sh: installs the Rivulet agent from an offline bundle on this device, or into a mounted
# image or chroot (--root), and provisions it. Run as root; needs no network.
#
# Takes: a bundle (--bundle rivulet-agent-<version>-linux-<arch>.tgz, or run from inside an
# extracted bundle), optional provisioning (--server, --device-id, --access-key, --secret-file;
# asked for on a terminal when missing), see --help.
#
# Changes on the device (under --root DIR when given), each only when it differs:
#   groups video and rivulet, system user rivulet (no login shell, member of video)
#   /opt/rivulet/<version>            the bundle: Node.js runtime, agent, these scripts (root-owned)
#   /opt/rivulet/current              symlink to <version>
#   /etc/rivulet/                     0750 root:rivulet
#   /etc/rivulet/agent.yaml           0640 root:rivulet; kept if present, except the fields given
#   /etc/rivulet/secret-access-key    0600 rivulet:rivulet, when a secret is given
#   /var/lib/rivulet/                 0750 rivulet:rivulet, the agent's buffer (never emptied)
#   /etc/systemd/system/rivulet-agent.service, enabled via multi-user.target.wants/
#   /etc/systemd/journald.conf.d/rivulet.conf  journal size limits
#   ffmpeg from the distribution (apt-get) unless --skip-ffmpeg
#   with --firstboot: /etc/systemd/system/rivulet-firstboot.service, enabled
# Under a running systemd (never with --root) it reloads systemd and (re)starts the service when
# something changed; otherwise it only says how the service will start. A second identical run
# changes nothing and prints "no changes". --dry-run prints what it would change.
set -eu

PROG=install.sh
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

usage() {
  cat <<'EOF'
usage: install.sh [--bundle FILE.tgz] [--root DIR] [--dry-run]
                  [--server URL] [--device-id ID] [--access-key KEY] [--secret-file FILE]
                  [--health-stream NAME] [--status-port PORT]
                  [--skip-ffmpeg] [--no-check] [--non-interactive] [--firstboot]
  --bundle FILE      the offline bundle; without it, the bundle this script sits in
  --root DIR         install into a mounted image or chroot at DIR (runs nothing from it)
  --dry-run          print what would change, change nothing
  --server URL       the Rivulet (or Kinesis) endpoint, e.g. http://10.0.0.5:4567
  --device-id ID     this device's id ([A-Za-z0-9._:-], at most 64)
  --access-key KEY   the access key id
  --secret-file FILE a file holding the secret access key (kept out of argv and ps)
  --health-stream N  the stream the system source writes to (default device-health; new config only)
  --status-port P    the agent's local status port (default 8787)
  --skip-ffmpeg      do not install ffmpeg (only camera sources need it)
  --no-check         skip the connection check at the end
  --non-interactive  never prompt, even on a terminal
  --firstboot        also enable rivulet-firstboot.service: provisions from
                     /boot/firmware/rivulet.conf on the first boot (for SD card images)
environment: RIVULET_SERVICE=systemd|direct|none overrides how the agent is (re)started
EOF
}

BUNDLE=""
SERVER=""
DEVICE_ID=""
ACCESS_KEY=""
SECRET_FILE=""
HEALTH_STREAM=device-health
STATUS_PORT=""
SKIP_FFMPEG=0
CHECK=1
INTERACTIVE=1
FIRSTBOOT=0
need_arg() { [ "$#" -ge 2 ] || die "$1 needs a value (see --help)"; }
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bundle) need_arg "$@"; BUNDLE="$2"; shift ;;
    --root) need_arg "$@"; ROOT="$2"; shift ;;
    --dry-run) DRY_RUN=1 ;;
    --server) need_arg "$@"; SERVER="$2"; shift ;;
    --device-id) need_arg "$@"; DEVICE_ID="$2"; shift ;;
    --access-key) need_arg "$@"; ACCESS_KEY="$2"; shift ;;
    --secret-file) need_arg "$@"; SECRET_FILE="$2"; shift ;;
    --health-stream) need_arg "$@"; HEALTH_STREAM="$2"; shift ;;
    --status-port) need_arg "$@"; STATUS_PORT="$2"; shift ;;
    --skip-ffmpeg) SKIP_FFMPEG=1 ;;
    --no-check) CHECK=0 ;;
    --non-interactive) INTERACTIVE=0 ;;
    --firstboot) FIRSTBOOT=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done

require_root_and_resolve_root
[ -z "$SECRET_FILE" ] || [ -r "$SECRET_FILE" ] || die "cannot read --secret-file $SECRET_FILE"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rivulet-install.XXXXXX")"
cleanup() { rm -rf "$WORK"; bundle_close; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bundle_open "$BUNDLE"
check_arch
if [ "$DRY_RUN" = 1 ]; then log "dry run: nothing is changed"; fi
log "installing rivulet-agent $BUNDLE_VERSION ($BUNDLE_ARCH) into ${ROOT:-/}"

# --- provisioning values: flags, else a prompt on a terminal ---
CONFIG=/etc/rivulet/agent.yaml
SECRET_PATH=/etc/rivulet/secret-access-key
HAVE_CONFIG=0
[ -f "$(r "$CONFIG")" ] && HAVE_CONFIG=1

prompt() { # prompt VAR QUESTION DEFAULT
  printf '%s%s: ' "$2" "${3:+ [$3]}" >/dev/tty
  IFS= read -r _answer </dev/tty || _answer=""
  eval "$1=\${_answer:-\$3}"
}
if [ "$HAVE_CONFIG" = 0 ] && [ "$INTERACTIVE" = 1 ] && [ "$DRY_RUN" = 0 ] && [ -t 0 ] && { [ -z "$SERVER" ] || [ -z "$DEVICE_ID" ]; }; then
  log "not provisioned yet: answer a few questions (Ctrl-C to stop, or pass --server and --device-id)"
  [ -n "$SERVER" ] || prompt SERVER "Rivulet server URL (e.g. http://10.0.0.5:4567)" ""
  [ -n "$DEVICE_ID" ] || prompt DEVICE_ID "Device id" "$(hostname 2>/dev/null || true)"
  [ -n "$ACCESS_KEY" ] || prompt ACCESS_KEY "Access key id (empty: the server has auth off)" ""
  if [ -n "$ACCESS_KEY" ] && [ -z "$SECRET_FILE" ] && [ ! -f "$(r "$SECRET_PATH")" ]; then
    printf 'Secret access key (not shown): ' >/dev/tty
    stty -echo </dev/tty 2>/dev/null || true
    IFS= read -r _secret </dev/tty || _secret=""
    stty echo </dev/tty 2>/dev/null || true
    printf '\n' >/dev/tty
    (umask 077 && printf '%s\n' "$_secret" >"$WORK/secret")
    SECRET_FILE="$WORK/secret"
  fi
fi

case "$SERVER" in "" | http://* | https://*) ;; *) die "--server must start with http:// or https://" ;; esac
case "$SERVER$DEVICE_ID$ACCESS_KEY" in *[\"\\\ ]*) die "--server, --device-id and --access-key take no quotes, backslashes or spaces" ;; esac
case "$DEVICE_ID" in *[!A-Za-z0-9._:-]*) die "--device-id takes letters, digits and . _ : - only" ;; esac
case "$HEALTH_STREAM" in "" | *[!A-Za-z0-9._-]*) die "--health-stream takes letters, digits and . _ - only" ;; esac
case "$STATUS_PORT" in *[!0-9]*) die "--status-port takes a number" ;; esac
if [ -n "$ACCESS_KEY" ] && [ -z "$SECRET_FILE" ] && [ ! -f "$(r "$SECRET_PATH")" ]; then
  die "--access-key needs --secret-file (a file holding the secret access key)"
fi

# --- runtime architecture and ffmpeg ---
install_ffmpeg() {
  if [ "$SKIP_FFMPEG" = 1 ]; then log "ffmpeg: skipped (--skip-ffmpeg); camera sources need it"; return 0; fi
  if [ -x "$(r /usr/bin/ffmpeg)" ] || { [ -z "$ROOT" ] && have ffmpeg; }; then return 0; fi
  if [ -n "$ROOT" ]; then
    if [ -x "$(r /usr/bin/apt-get)" ] && chroot "$ROOT" /bin/true 2>/dev/null; then
      changed "install ffmpeg in $ROOT (chroot $ROOT apt-get install ffmpeg)"
      run chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ffmpeg ||
        warn "ffmpeg: apt-get in $ROOT failed; install it on the device (apt-get install ffmpeg) before using camera sources"
    else
      log "ffmpeg: not in $ROOT and its apt-get cannot run here; on the device run: apt-get install ffmpeg (camera sources only)"
    fi
    return 0
  fi
  if ! have apt-get; then warn "ffmpeg: missing and no apt-get; install it by hand for camera sources"; return 0; fi
  changed "install ffmpeg (apt-get install ffmpeg)"
  if [ "$DRY_RUN" = 0 ]; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ffmpeg ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ffmpeg; }; } ||
      warn "ffmpeg: apt-get failed (offline?); the agent runs without it, camera sources need it: apt-get install ffmpeg"
  fi
}

# --- user and groups ---
install_user() {
  if ! group_exists video; then changed "create group video"; shadow groupadd --system video; fi
  if ! group_exists rivulet; then changed "create group rivulet"; shadow groupadd --system rivulet; fi
  if ! user_exists rivulet; then
    changed "create system user rivulet (group video, no login shell)"
    shadow useradd --system --gid rivulet --groups video --home-dir /var/lib/rivulet --no-create-home \
      --shell /usr/sbin/nologin --comment "Rivulet agent" rivulet
  elif ! in_group rivulet video; then
    changed "add user rivulet to group video"
    shadow usermod --append --groups video rivulet
  fi
}

# --- config ---
# yaml_set FILE SECTION KEY VALUE: sets "  KEY: VALUE" inside the top-level block SECTION: of
# FILE, adding the key (or the block) when missing. Exits 3 for a flow-style block it cannot edit.
yaml_set() {
  awk -v sec="$2" -v key="$3" -v val="$4" '
    function put(indent) { print indent key ": " val; done = 1 }
    /^[^ \t#]/ {
      if (ins && !done) put("  ")
      ins = ($0 ~ ("^" sec ":[ \t]*(#.*)?$"))
      if ($0 ~ ("^" sec ":[ \t]*[^ \t#]")) flow = 1
      print; next
    }
    ins && !done && $0 ~ ("^[ \t]+" key ":") { match($0, /^[ \t]+/); put(substr($0, 1, RLENGTH)); next }
    { print }
    END {
      if (ins && !done) put("  ")
      if (!done && flow) exit 3
      if (!done) { print sec ":"; put("  ") }
    }' "$1" >"$1.next" || die "cannot set $2.$3 in $CONFIG: it writes $2 in flow style; edit it by hand"
  mv "$1.next" "$1"
}

q() { printf '"%s"' "$1"; }

desired_config() { # writes the wanted agent.yaml to $WORK/agent.yaml; returns 1 when not provisioned
  _c="$WORK/agent.yaml"
  if [ "$HAVE_CONFIG" = 1 ]; then
    cp "$(r "$CONFIG")" "$_c"
  else
    if [ -z "$SERVER" ] || [ -z "$DEVICE_ID" ]; then return 1; fi
    cat >"$_c" <<EOF
# Rivulet agent config, written by install.sh. Edit freely: install.sh keeps this file and
# changes only device.id, server.endpoint, server.accessKeyId, server.secretFile and status.port
# when given them. Reference: /opt/rivulet/current/firmware-scripts/README.md and the agent README.
device:
  id: $(q "$DEVICE_ID")
server:
  endpoint: $(q "$SERVER")
  region: us-east-1
buffer:
  # The only directory the service may write (ReadWritePaths); survives updates and uninstall.
  path: /var/lib/rivulet/buffer
  maxBytes: 256MiB
sources:
  # Device health (CPU, memory, disk, temperature, network) every 10 s.
  - type: system
    name: system
    stream: $HEALTH_STREAM
    intervalMs: 10000
status:
  # /healthz and /status.json for update.sh and uninstall.sh; loopback only.
  host: 127.0.0.1
  port: 8787
EOF
  fi
  if [ -n "$DEVICE_ID" ]; then yaml_set "$_c" device id "$(q "$DEVICE_ID")"; fi
  if [ -n "$SERVER" ]; then yaml_set "$_c" server endpoint "$(q "$SERVER")"; fi
  if [ -n "$ACCESS_KEY" ]; then yaml_set "$_c" server accessKeyId "$(q "$ACCESS_KEY")"; fi
  if [ -n "$SECRET_FILE" ]; then yaml_set "$_c" server secretFile "$SECRET_PATH"; fi
  if [ -n "$STATUS_PORT" ]; then yaml_set "$_c" status port "$STATUS_PORT"; fi
  return 0
}

install_config() {
  ensure_dir /etc/rivulet 0750 root:rivulet
  if [ -n "$SECRET_FILE" ]; then ensure_file "$SECRET_FILE" "$SECRET_PATH" 0600 rivulet:rivulet; fi
  if desired_config; then
    ensure_file "$WORK/agent.yaml" "$CONFIG" 0640 root:rivulet
  else
    log "not provisioned: no $CONFIG yet, so the service stays inactive (ConditionPathExists);"
    log "  provision with: install.sh --server URL --device-id ID [--access-key KEY --secret-file FILE]"
  fi
}

install_service() {
  ensure_dir /etc/systemd 0755 0:0
  ensure_dir /etc/systemd/system 0755 0:0
  ensure_file "$BUNDLE_DIR/firmware-scripts/rivulet-agent.service" /etc/systemd/system/rivulet-agent.service 0644 0:0
  ensure_dir /etc/systemd/system/multi-user.target.wants 0755 0:0
  ensure_symlink /etc/systemd/system/rivulet-agent.service /etc/systemd/system/multi-user.target.wants/rivulet-agent.service
  ensure_dir /etc/systemd/journald.conf.d 0755 0:0
  ensure_file "$BUNDLE_DIR/firmware-scripts/journald-rivulet.conf" /etc/systemd/journald.conf.d/rivulet.conf 0644 0:0
  if [ "$FIRSTBOOT" = 1 ]; then
    ensure_file "$BUNDLE_DIR/firmware-scripts/firstboot/rivulet-firstboot.service" /etc/systemd/system/rivulet-firstboot.service 0644 0:0
    ensure_symlink /etc/systemd/system/rivulet-firstboot.service /etc/systemd/system/multi-user.target.wants/rivulet-firstboot.service
  fi
}

# --- do it ---
install_ffmpeg
install_user
before=$CHANGES
install_code
ensure_symlink "$BUNDLE_VERSION" /opt/rivulet/current
ensure_dir /var/lib/rivulet 0750 rivulet:rivulet
install_config
install_service
service_changed=$((CHANGES - before))

MODE="$(service_mode)"
if [ "$DRY_RUN" = 1 ]; then
  :
elif [ ! -f "$(r "$CONFIG")" ]; then
  :
elif [ "$MODE" = systemd ]; then
  if [ "$service_changed" -gt 0 ]; then
    systemctl daemon-reload
    changed "restart rivulet-agent.service"
    systemctl restart rivulet-agent.service || warn "the agent did not start: journalctl -u rivulet-agent"
  elif ! systemctl is-active --quiet rivulet-agent.service; then
    changed "start rivulet-agent.service"
    systemctl start rivulet-agent.service || warn "the agent did not start: journalctl -u rivulet-agent"
  fi
elif [ "$MODE" = direct ]; then
  if [ "$service_changed" -gt 0 ] || [ -z "$(direct_pid)" ]; then
    changed "start the agent directly (RIVULET_SERVICE=direct)"
    direct_stop
    direct_start
  fi
else
  if [ -n "$ROOT" ]; then
    log "service: enabled in $ROOT (multi-user.target); it starts when the device boots that root"
  elif systemd_running; then
    log "service: RIVULET_SERVICE=none, so nothing was (re)started; rivulet-agent.service is enabled"
  else
    log "service: systemd is not running here, so nothing was started; the unit is enabled and"
    log "  starts at the next boot under systemd. To run it now without systemd: RIVULET_SERVICE=direct $0"
  fi
fi

# --- connection check, with the bundled node when it can run here ---
if [ "$CHECK" = 1 ] && [ "$DRY_RUN" = 0 ] && [ -f "$(r "$CONFIG")" ]; then
  if [ "$BUNDLE_ARCH" != "$(host_arch)" ]; then
    log "connection check: skipped (a $BUNDLE_ARCH node cannot run on this $(host_arch) machine); it runs at boot in the agent's log"
  else
    log "connection check:"
    if probe "$BUNDLE_VERSION" connect --config "$CONFIG"; then
      log "connection check: everything works"
    else
      warn "connection check: see FAIL above; the agent keeps records in its buffer until the server takes them"
    fi
    if [ "$MODE" != none ]; then probe "$BUNDLE_VERSION" health --config "$CONFIG" --timeout 30 || warn "the agent is not healthy yet: see journalctl -u rivulet-agent"; fi
  fi
fi

if [ "$CHANGES" = 0 ]; then
  log "no changes"
elif [ "$DRY_RUN" = 1 ]; then
  log "dry run: would make $CHANGES changes"
else
  log "done: $CHANGES changes"
fi
