#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding aiosmtpd, pinned: the real SMTP server
# the mail tests deliver to (scripts/mail/smtp_sink.py runs on it).
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/mail-venv). Prints the venv's python.
set -euo pipefail
AIOSMTPD_VERSION="1.4.6"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../../target/mail-venv}"
bin="$venv/bin"
ready() {
  [ -x "$bin/python" ] && "$bin/python" - "$AIOSMTPD_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(version("aiosmtpd") != sys.argv[1])
PY
}
if ready; then echo "$bin/python"; exit 0; fi
mkdir -p "$(dirname "$venv")"
# Several test processes may start at once: take turns.
exec 9>"$venv.lock"
flock 9
if ! ready; then
  python3 -m venv "$venv" >&2
  "$bin/python" -m pip install --disable-pip-version-check --quiet "aiosmtpd==$AIOSMTPD_VERSION" >&2
fi
echo "$bin/python"
