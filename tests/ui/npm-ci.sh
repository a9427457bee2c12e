#!/usr/bin/env bash
# The Node environment of the browser test: installs (or reuses) node_modules in tests/ui
# from the committed package-lock.json with `npm ci` (playwright-core only: it drives the
# system's Chromium, it downloads no browser). Same scheme as tests/clients/node/npm-ci.sh:
# a stamp of the lock's hash, a lock on this script against concurrent callers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"
cd "$here"

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "npm-ci.sh: '$tool' not found (the UI test needs Node >= 20 and npm)" >&2; exit 2; }
done

stamp="node_modules/.package-lock.sha256"
want_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
modules_ok() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want_hash" ]] &&
    node -e 'require.resolve("playwright-core")' </dev/null >/dev/null 2>&1
}

if command -v flock >/dev/null 2>&1; then
  exec 9<"$self"
  flock -x 9
fi

if modules_ok; then
  echo "== reusing $here/node_modules" >&2
else
  echo "== npm ci in $here (node $(node --version), npm $(npm --version))" >&2
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error </dev/null >&2 ||
    { echo "npm-ci.sh: npm ci failed" >&2; exit 2; }
  echo "$want_hash" >"$stamp"
  modules_ok || { echo "npm-ci.sh: node_modules is not usable after npm ci" >&2; exit 2; }
fi
