#!/usr/bin/env bash
# Installs the benchmark's outside tools (Debian's wrk, Datasette in its own virtualenv) without touching the project's .venv.
# Idempotent: a second run that finds everything in place does nothing. Usage: bash bench/peers.sh [--no-datasette]
set -euo pipefail
cd "$(dirname "$0")"

DATASETTE_PIN="datasette==0.65.5"
SQLITE_UTILS_PIN="sqlite-utils==4.2.1"
PEERS_VENV=".venv-peers"
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

if ! command -v wrk >/dev/null; then
  echo "peers: installing Debian's wrk" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq wrk >/dev/null
fi

[ "${1:-}" = "--no-datasette" ] && exit 0

# The versions installed now, or nothing; compared with the pins so a stale venv is brought up to date.
installed() {
  "$PEERS_VENV/bin/python" - <<'EOF' 2>/dev/null || true
from importlib.metadata import version
print(f"datasette=={version('datasette')} sqlite-utils=={version('sqlite-utils')}")
EOF
}

if [ "$(installed)" != "$DATASETTE_PIN $SQLITE_UTILS_PIN" ]; then
  command -v uv >/dev/null || python3 -m pip install --quiet uv
  # Python 3.11 from this machine only: uv may not download an interpreter here.
  [ -x "$PEERS_VENV/bin/python" ] || uv venv --quiet --no-python-downloads --python 3.11 "$PEERS_VENV"
  echo "peers: installing $DATASETTE_PIN $SQLITE_UTILS_PIN into bench/$PEERS_VENV" >&2
  uv pip install --quiet --python "$PEERS_VENV/bin/python" "$DATASETTE_PIN" "$SQLITE_UTILS_PIN"
fi
