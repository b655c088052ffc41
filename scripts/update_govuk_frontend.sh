#!/usr/bin/env bash
# Rebuild static/govuk/ from the govuk-frontend npm package, compiled with the council's
# brand (static/src/council-social.scss). Needs Node.js and npm; the output is committed
# so that running the product needs only Python.
#   scripts/update_govuk_frontend.sh [VERSION]
set -euo pipefail
version="${1:-$(cat "$(dirname "$0")/../static/govuk/VERSION")}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "govuk-frontend@$version" sass@1 >/dev/null
dist=node_modules/govuk-frontend/dist/govuk
out="$root/static/govuk"
rm -rf "$out" && mkdir -p "$out/assets/images"
npx sass --no-source-map --style=compressed --load-path=node_modules --load-path="$root/static/src" --quiet-deps \
  "$root/static/src/council-social.scss" "$out/council-social.min.css"
cp "$dist/govuk-frontend.min.js" "$out/"
# Our own favicon only: the crown, crest and GOV.UK icons are not ours to use.
cp "$root/static/src/favicon.svg" "$out/assets/images/favicon.svg"
node -p "require('./node_modules/govuk-frontend/package.json').version" > "$out/VERSION"
echo "govuk-frontend $(cat "$out/VERSION") → static/govuk/"
