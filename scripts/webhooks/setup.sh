#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding the official Standard Webhooks library,
# pinned: the verifier our outgoing webhook signatures are checked with (verify.py).
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/webhooks-venv). Prints the venv's python.
set -euo pipefail
STANDARDWEBHOOKS_VERSION="1.1.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../../target/webhooks-venv}"
bin="$venv/bin"
ready() {
  [ -x "$bin/python" ] && "$bin/python" - "$STANDARDWEBHOOKS_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(version("standardwebhooks") != sys.argv[1])
PY
}
if ready; then echo "$bin/python"; exit 0; fi
mkdir -p "$(dirname "$venv")"
# Several test processes may start at once: take turns.
exec 9>"$venv.lock"
flock 9
if ! ready; then
  python3 -m venv "$venv" >&2
  "$bin/python" -m pip install --disable-pip-version-check --quiet "standardwebhooks==$STANDARDWEBHOOKS_VERSION" >&2
fi
echo "$bin/python"
