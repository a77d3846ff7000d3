#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding the contract checkers, pinned:
# schemathesis (fuzzes the served /openapi.json against the real server) and
# openapi-spec-validator (validates the document itself).
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/contract-venv). Prints the venv's bin dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/../python-venv.sh" "${1:-$here/../../target/contract-venv}" \
  "schemathesis==4.32.5" "openapi-spec-validator==0.9.0"
