#!/usr/bin/env bash
# install-system-deps.sh: installs the Debian packages Rivulet's tests and demo need, only when
# they are missing. Idempotent: a second run changes nothing. Needs root (or sudo) for apt-get.
#
# What each package is for:
#   openssl      self-signed certificates for the TLS (ALPN h2/http1.1) tests
#   build tools  python3, make, g++ for native addons if no prebuilt binary fits (classic-level)
#   mosquitto    the real MQTT broker the agent's MQTT tests start (test/harness/mosquitto.ts)
#   mosquitto-clients  mosquitto_pub / mosquitto_sub, to poke that broker from outside Node
#   ffmpeg       the agent's camera source (RTSP to MKV fragments); ffprobe checks them in tests
#   GStreamer    the test RTSP camera (test/fixtures/rtsp-camera.py, started by
#                test/harness/camera.ts), run with /usr/bin/python3 and PyGObject:
#     gstreamer1.0-tools         gst-launch-1.0 / gst-inspect-1.0 (also used here to check elements)
#     gstreamer1.0-plugins-base  videotestsrc, videoconvert
#     gstreamer1.0-plugins-good  rtph264pay
#     gstreamer1.0-plugins-ugly  x264enc
#     gstreamer1.0-x             timeoverlay (the pango plugin), ximagesink
#     gstreamer1.0-rtsp          rtspclientsink (the RTSP server's GStreamer plugin)
#     python3-gi, gir1.2-gstreamer-1.0, gir1.2-gst-plugins-base-1.0, gir1.2-gst-rtsp-server-1.0
#                                the Gst, GstVideo and GstRtspServer bindings for /usr/bin/python3
#   Ceph         the real S3 server the Firehose S3 tests start (test/harness/radosgw.ts): one
#                monitor, one OSD and the gateway, in a temp dir; none of them runs as a service
#     radosgw    the S3 gateway; pulls in ceph-common (ceph, radosgw-admin)
#     ceph-mon   the monitor; pulls in ceph-base (monmaptool)
#     ceph-osd   the object store daemon (BlueStore on a sparse file)
#   postgresql   the real PostgreSQL server the Firehose JDBC tests start (test/harness/postgres.ts)
#                from /usr/lib/postgresql/<version>/bin, which is not on PATH, so it is checked
#                there. The harness runs it as the package's postgres user, through setpriv
#                (util-linux, always present).
#   firmware-scripts tests (test/firmware, and the arm64 device test run by `npm run test:device`):
#     (package shellcheck)       the linter every firmware script must pass
#     systemd                    systemd-analyze verify for the unit files (present on Debian anyway)
#     debootstrap                builds the arm64 Debian bookworm root (test/device/make-root.sh)
#     qemu-user-static           runs that root's arm64 binaries, the installed agent included
#     binfmt-support             registers qemu-aarch64 with the kernel (binfmt_misc)
#     zstd                       compresses the cached root tarball
#   operations tests (issue 8):
#     chromium                   the headless browser the web console tests drive (playwright-core
#                                with executablePath /usr/bin/chromium; no browser is downloaded)
#     prometheus                 for its promtool, which checks /metrics against the text format;
#                                the package's prometheus service is stopped and disabled, as for
#                                mosquitto, because nothing here should scrape or hold port 9090
#     python3-prometheus-client  the official Python parser, a second reader of /metrics
#   nats-server  the JetStream cluster the scale-out store tests start (test/harness/nats-cluster.ts:
#                three nodes on free loopback ports, each with its own store directory); the
#                package's system service is stopped and disabled like mosquitto's
# Each package is checked through what it provides (a command, a GStreamer element, a Python
# binding), so one installed by other means is not installed again.
#
# The mosquitto package may start a system broker on port 1883. Tests start their own broker on a
# free port, but a stray daemon would still collide with anything using the default port, so right
# after installing it we stop and disable it: through systemctl when systemd is running, else
# through `service` if it reports the broker running; finally we kill any leftover mosquitto
# process, but only one started from /etc/mosquitto/mosquitto.conf (the Debian service's config).
set -eu

need=""
have() { command -v "$1" >/dev/null 2>&1; }
add() { # add PACKAGE, once
  case " $need " in *" $1 "*) ;; *) need="$need $1" ;; esac
}
want() { # want COMMAND PACKAGE
  if ! have "$1"; then add "$2"; fi
}
want_sbin() { # want_sbin COMMAND PACKAGE: COMMAND lives in /usr/sbin, often not on a user's PATH
  if ! have "$1" && [ ! -x "/usr/sbin/$1" ]; then add "$2"; fi
}
want_gst() { # want_gst ELEMENT PACKAGE: a GStreamer element (unknown when gst-inspect is missing)
  if ! have gst-inspect-1.0 || ! gst-inspect-1.0 --exists "$1" >/dev/null 2>&1; then add "$2"; fi
}
want_pg() { # want_pg COMMAND PACKAGE: a PostgreSQL server binary, in /usr/lib/postgresql/<version>/bin
  for bin in /usr/lib/postgresql/*/bin; do
    if [ -x "$bin/$1" ]; then return 0; fi
  done
  add "$2"
}
want_gi() { # want_gi NAMESPACE PACKAGE: a GObject binding the system python3 can load
  # The system interpreter on purpose: a pyenv or venv python3 on PATH has no gi.
  if ! /usr/bin/python3 -c "import gi; gi.require_version('$1', '1.0')" >/dev/null 2>&1; then add "$2"; fi
}

want openssl openssl
want make make
want g++ g++
want python3 python3
want_sbin mosquitto mosquitto
want mosquitto_pub mosquitto-clients
want mosquitto_sub mosquitto-clients
want ffmpeg ffmpeg
want ffprobe ffmpeg
want gst-launch-1.0 gstreamer1.0-tools
want gst-inspect-1.0 gstreamer1.0-tools
want_gst videotestsrc gstreamer1.0-plugins-base
want_gst videoconvert gstreamer1.0-plugins-base
want_gst rtph264pay gstreamer1.0-plugins-good
want_gst x264enc gstreamer1.0-plugins-ugly
want_gst timeoverlay gstreamer1.0-x
want_gst rtspclientsink gstreamer1.0-rtsp
if ! /usr/bin/python3 -c "import gi" >/dev/null 2>&1; then add python3-gi; fi
want_gi Gst gir1.2-gstreamer-1.0
want_gi GstVideo gir1.2-gst-plugins-base-1.0
want_gi GstRtspServer gir1.2-gst-rtsp-server-1.0
want radosgw radosgw
want radosgw-admin radosgw
want ceph-mon ceph-mon
want monmaptool ceph-mon
want ceph-osd ceph-osd
want_pg initdb postgresql
want_pg postgres postgresql
want shellcheck shellcheck
want systemd-analyze systemd
want_sbin debootstrap debootstrap
want qemu-aarch64-static qemu-user-static
want_sbin update-binfmts binfmt-support
want zstd zstd
want chromium chromium
want promtool prometheus
want_sbin nats-server nats-server
if ! /usr/bin/python3 -c "import prometheus_client.parser" >/dev/null 2>&1; then add python3-prometheus-client; fi

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

stop_system_mosquitto() {
  if [ -d /run/systemd/system ] && have systemctl; then
    $SUDO systemctl disable --now mosquitto.service
  elif $SUDO service mosquitto status >/dev/null 2>&1; then
    $SUDO service mosquitto stop
    if have update-rc.d; then $SUDO update-rc.d mosquitto disable; fi
  fi
  for pid in $(pgrep -x mosquitto || true); do
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q '/etc/mosquitto/mosquitto.conf'; then
      echo "install-system-deps: stopping system mosquitto (pid $pid)"
      $SUDO kill "$pid" || echo "install-system-deps: pid $pid had already exited"
    fi
  done
}

stop_system_service() { # stop_system_service NAME: a packaged daemon nothing here should run
  if [ -d /run/systemd/system ] && have systemctl; then
    $SUDO systemctl disable --now "$1.service"
  elif $SUDO service "$1" status >/dev/null 2>&1; then
    $SUDO service "$1" stop
    if have update-rc.d; then $SUDO update-rc.d "$1" disable; fi
  fi
}

case " $need " in *" mosquitto "*) stop_system_mosquitto ;; esac
case " $need " in *" prometheus "*) stop_system_service prometheus ;; esac
case " $need " in *" nats-server "*) stop_system_service nats-server ;; esac
echo "install-system-deps: done"
