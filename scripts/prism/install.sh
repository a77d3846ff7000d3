#!/usr/bin/env bash
# Installs Stoplight Prism (the validating OpenAPI mock the PayPal adapter is tested against)
# into a project-local folder, from the npm registry. Idempotent and safe to run from several
# test processes at once (flock). Prints the path of the `prism` executable on stdout.
#
#   scripts/prism/install.sh [DEST]      # DEST defaults to target/prism
#
# 5.14.2 is the newest Prism that runs on Node 20 (5.15+ need Node >= 24).
set -euo pipefail

VERSION="5.14.2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="${1:-$ROOT/target/prism}"
BIN="$DEST/node_modules/.bin/prism"
PKG="$DEST/node_modules/@stoplight/prism-cli/package.json"

installed() {
  [ -x "$BIN" ] && [ -f "$PKG" ] && grep -q "\"version\": \"$VERSION\"" "$PKG"
}

command -v npm >/dev/null || { echo "npm is required to install Prism (Node >= 18.20)" >&2; exit 1; }
mkdir -p "$DEST"
exec 9>"$DEST/.install.lock"
flock 9
if ! installed; then
  echo "installing @stoplight/prism-cli@$VERSION into $DEST" >&2
  npm install --prefix "$DEST" --no-audit --no-fund --no-save --loglevel=error "@stoplight/prism-cli@$VERSION" >&2
  installed || { echo "Prism $VERSION did not install into $DEST" >&2; exit 1; }
fi
echo "$BIN"
