#!/usr/bin/env bash
# Installs the system packages the build needs, if missing (Debian/Ubuntu; run as root or with sudo).
# - libpq (headers + library) for Diesel's Postgres backend; SQLite is bundled by the build.
# - OpenSSL headers: `make test` builds with --all-features, which includes the PayPal
#   adapter's optional native-tls backend.
# - python3 with venv (the Stripe webhook tests sign with the official Python library) and
#   npm (the PayPal tests run the Prism mock server).
# - poppler-utils: the invoice PDF tests read the text back with pdftotext and pdfinfo and
#   turn pages into PNG with pdftoppm.
# - chromium + chromium-driver: the billing portal's browser tests drive Debian's Chromium
#   through ChromeDriver (headless); fonts-dejavu-core gives its pages a full Unicode font.
set -euo pipefail
missing=()
pkg-config --exists libpq 2>/dev/null || [ -e /usr/lib/x86_64-linux-gnu/libpq.so ] || missing+=(libpq-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
