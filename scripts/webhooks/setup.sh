#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding the official Standard Webhooks library,
# pinned: the verifier our outgoing webhook signatures are checked with (verify.py).
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/webhooks-venv). Prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$("$here/../python-venv.sh" "${1:-$here/../../target/webhooks-venv}" "standardwebhooks==1.1.0")"
echo "$bin/python"
