#!/usr/bin/env bash
# Installs axe-core (Deque's accessibility rules engine, the one browsers' own audits use)
# into a project-local folder, from the npm registry, for the portal's browser tests. It is
# injected into each page by WebDriver, never served by the portal. Idempotent and safe to
# run from several test processes at once. Prints the path of `axe.min.js` on stdout.
#
#   scripts/axe/install.sh [DEST]      # DEST defaults to target/axe
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$ROOT/scripts/npm-pinned.sh" axe-core 4.14.1 "${1:-$ROOT/target/axe}" axe-core/axe.min.js
