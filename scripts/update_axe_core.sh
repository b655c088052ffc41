#!/usr/bin/env bash
# Refresh the vendored axe-core (tests/browser/vendor/axe-core/) from its npm package: the
# minified script, its licence (MPL-2.0) and the version. Needs npm; running the browser
# tests does not.
#   scripts/update_axe_core.sh [VERSION]     (default: the newest 4.x)
set -euo pipefail
version="${1:-4}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/tests/browser/vendor/axe-core"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
tarball="$(npm pack --silent "axe-core@$version")"
tar -xzf "$tarball"
mkdir -p "$out"
cp package/axe.min.js "$out/axe.min.js"
cp package/LICENSE "$out/LICENSE"
node -p "require('./package/package.json').version" > "$out/VERSION"
echo "axe-core $(cat "$out/VERSION") → tests/browser/vendor/axe-core/"
