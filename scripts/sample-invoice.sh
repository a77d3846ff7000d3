#!/usr/bin/env bash
# Renders the sample invoice shown in docs/invoice-pdfs.md and the README: a fresh SQLite
# database, the seed data, a German account buying the seeded "Pro" package by SEPA
# transfer, its invoice fetched as PDF and page 1 turned into docs/images/invoice.png.
# Needs target/debug/billing (`cargo build --bin billing`), curl, jq and pdftoppm.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL="sqlite://$work/billing.db" BILLING_AUTH_FAILURE_LIMIT=0
export BILLING_SELLER_NAME="Nimbus Cloud Software Ltd"
export BILLING_SELLER_ADDRESS="1 Grand Canal Square; Dublin D02 P820; Ireland"
export BILLING_SELLER_TAX_ID="IE3668997OH" BILLING_SELLER_EMAIL="billing@nimbus.example"
bin=target/debug/billing
$bin migrate >/dev/null
$bin seed >/dev/null
key=$($bin api-key create --scope admin --name sample)
port=18931
$bin serve --bind 127.0.0.1:$port >"$work/log" 2>&1 &
server=$!
base=http://127.0.0.1:$port
for _ in $(seq 50); do curl -fs $base/healthz >/dev/null && break; sleep 0.2; done
api() { curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@"; }
acct=$(api -X POST $base/v1/accounts -d '{"name": "Müller & Söhne", "billing_profile": {
  "legal_name": "Müller & Söhne GmbH", "billing_email": "buchhaltung@mueller-soehne.example",
  "tax_id": {"type": "eu_vat", "value": "DE123456789"},
  "address": {"line1": "Hauptstraße 1", "line2": "3. OG", "postal_code": "10115", "city": "Berlin", "country": "DE"},
  "preferred_currency": "EUR"}}' | jq -r .id)
package=$(api "$base/v1/credit-packages" | jq -r '.data[] | select(.slug == "pro") | .id')
invoice=$(api -X POST "$base/v1/accounts/$acct/purchases" \
  -d "{\"credit_package_id\": \"$package\", \"payment_method\": \"bank_transfer\"}" | jq -r .invoice.id)
api "$base/v1/accounts/$acct/invoices/$invoice/pdf" -o "$work/invoice.pdf"
mkdir -p docs/images
pdftoppm -png -r 110 -singlefile "$work/invoice.pdf" docs/images/invoice
echo "docs/images/invoice.png from $invoice" >&2
