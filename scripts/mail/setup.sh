#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding aiosmtpd, pinned: the real SMTP server
# the mail tests deliver to (scripts/mail/smtp_sink.py runs on it).
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/mail-venv). Prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$("$here/../python-venv.sh" "${1:-$here/../../target/mail-venv}" "aiosmtpd==1.4.6")"
echo "$bin/python"
