#!/usr/bin/env bash
# Installs one pinned npm package into a project-local folder, from the npm registry, and
# prints the path of one of its files. Idempotent and safe to run from several test processes
# at once (flock). Used by scripts/prism/install.sh and scripts/axe/install.sh.
#
#   scripts/npm-pinned.sh PACKAGE VERSION DEST FILE
#     PACKAGE  the npm name (@stoplight/prism-cli, axe-core)
#     FILE     a path under DEST/node_modules/ to check and print (.bin/prism, axe-core/axe.min.js)
set -euo pipefail

PACKAGE="$1"; VERSION="$2"; DEST="$3"; FILE="$DEST/node_modules/$4"
PKG="$DEST/node_modules/$PACKAGE/package.json"

installed() {
  [ -e "$FILE" ] && [ -f "$PKG" ] && grep -q "\"version\": \"$VERSION\"" "$PKG"
}

command -v npm >/dev/null || { echo "npm is required to install $PACKAGE" >&2; exit 1; }
mkdir -p "$DEST"
exec 9>"$DEST/.install.lock"
flock 9
if ! installed; then
  echo "installing $PACKAGE@$VERSION into $DEST" >&2
  npm install --prefix "$DEST" --no-audit --no-fund --no-save --loglevel=error "$PACKAGE@$VERSION" >&2
  installed || { echo "$PACKAGE $VERSION did not install into $DEST" >&2; exit 1; }
fi
echo "$FILE"
