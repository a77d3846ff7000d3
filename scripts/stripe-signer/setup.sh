#!/usr/bin/env bash
# Creates (once) a project-local virtualenv holding the official `stripe` Python package, the
# independent signer/verifier the Stripe adapter's webhook tests check themselves against.
# Usage: setup.sh [VENV_DIR]   (default: <repo>/target/stripe-venv). Prints the venv's python.
set -euo pipefail
STRIPE_PY_VERSION="16.1.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/../../target/stripe-venv}"
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c "import stripe, sys; sys.exit(stripe.VERSION != '$STRIPE_PY_VERSION')" 2>/dev/null; then
  echo "$py"
  exit 0
fi
mkdir -p "$(dirname "$venv")"
# Another test process may be installing at the same time: take turns.
exec 9>"$venv.lock"
flock 9
if ! { [ -x "$py" ] && "$py" -c "import stripe, sys; sys.exit(stripe.VERSION != '$STRIPE_PY_VERSION')" 2>/dev/null; }; then
  python3 -m venv "$venv" >&2
  "$py" -m pip install --disable-pip-version-check --quiet "stripe==$STRIPE_PY_VERSION" >&2
fi
echo "$py"
