#!/usr/bin/env bash
# Installs axe-core (Deque's accessibility rules engine, the one browsers' own audits use)
# into a project-local folder, from the npm registry, for the portal's browser tests. It is
# injected into each page by WebDriver, never served by the portal. Idempotent and safe to run
# from several test processes at once (flock). Prints the path of `axe.min.js` on stdout.
#
#   scripts/axe/install.sh [DEST]      # DEST defaults to target/axe
set -euo pipefail

VERSION="4.14.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="${1:-$ROOT/target/axe}"
JS="$DEST/node_modules/axe-core/axe.min.js"
PKG="$DEST/node_modules/axe-core/package.json"

installed() {
  [ -f "$JS" ] && [ -f "$PKG" ] && grep -q "\"version\": \"$VERSION\"" "$PKG"
}

command -v npm >/dev/null || { echo "npm is required to install axe-core" >&2; exit 1; }
mkdir -p "$DEST"
exec 9>"$DEST/.install.lock"
flock 9
if ! installed; then
  echo "installing axe-core@$VERSION into $DEST" >&2
  npm install --prefix "$DEST" --no-audit --no-fund --no-save --loglevel=error "axe-core@$VERSION" >&2
  installed || { echo "axe-core $VERSION did not install into $DEST" >&2; exit 1; }
fi
echo "$JS"
