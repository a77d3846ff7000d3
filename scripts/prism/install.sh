#!/usr/bin/env bash
# Installs Stoplight Prism (the validating OpenAPI mock the PayPal adapter is tested against)
# into a project-local folder, from the npm registry. Idempotent and safe to run from several
# test processes at once. Prints the path of the `prism` executable on stdout.
#
#   scripts/prism/install.sh [DEST]      # DEST defaults to target/prism
#
# 5.14.2 is the newest Prism that runs on Node 20 (5.15+ need Node >= 24).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$ROOT/scripts/npm-pinned.sh" @stoplight/prism-cli 5.14.2 "${1:-$ROOT/target/prism}" .bin/prism
