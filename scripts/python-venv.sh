#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding pinned PyPI packages and prints its bin
# directory. The test tools' setup scripts (scripts/{mail,contract,webhooks}/setup.sh) use it.
# Usage: python-venv.sh VENV_DIR PACKAGE==VERSION...
set -euo pipefail
venv="$1"
shift
bin="$venv/bin"
ready() {
  [ -x "$bin/python" ] && "$bin/python" - "$@" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(any(version(p.split("==")[0]) != p.split("==")[1] for p in sys.argv[1:]))
PY
}
if ready "$@"; then echo "$bin"; exit 0; fi
mkdir -p "$(dirname "$venv")"
# Several test processes may start at once: take turns.
exec 9>"$venv.lock"
flock 9
if ! ready "$@"; then
  python3 -m venv "$venv" >&2
  "$bin/python" -m pip install --disable-pip-version-check --quiet "$@" >&2
fi
echo "$bin"
