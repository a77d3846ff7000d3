#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding the contract checkers, pinned:
# schemathesis (fuzzes the served /openapi.json against the real server) and
# openapi-spec-validator (validates the document itself).
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/contract-venv). Prints the venv's bin dir.
set -euo pipefail
SCHEMATHESIS_VERSION="4.32.5"
VALIDATOR_VERSION="0.9.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../../target/contract-venv}"
bin="$venv/bin"
ready() {
  [ -x "$bin/python" ] && "$bin/python" - "$SCHEMATHESIS_VERSION" "$VALIDATOR_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(not (version("schemathesis") == sys.argv[1] and version("openapi-spec-validator") == sys.argv[2]))
PY
}
if ready; then echo "$bin"; exit 0; fi
mkdir -p "$(dirname "$venv")"
# Another test process may be installing at the same time: take turns.
exec 9>"$venv.lock"
flock 9
if ! ready; then
  python3 -m venv "$venv" >&2
  "$bin/python" -m pip install --disable-pip-version-check --quiet \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION" >&2
fi
echo "$bin"
