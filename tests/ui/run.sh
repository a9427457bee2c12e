#!/usr/bin/env bash
# The built-in web UI (/ui) in a real browser: starts the registry binary on a free port
# with a fresh SQLite store, then ui_test.mjs seeds it over HTTP and drives Debian's
# headless Chromium through every page with playwright-core, keeping a screenshot of each
# page in target/ui-screenshots/. Prints "N passed, N failed"; exits non-zero on a failure.
#
#   cargo build --release && SR_BIN=target/release/schema-registry bash tests/ui/run.sh
#
# CHROMIUM (default /usr/bin/chromium) names the browser; SCREENSHOTS the output folder.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

SR_BIN="${SR_BIN:-target/release/schema-registry}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export SCREENSHOTS="${SCREENSHOTS:-$root/target/ui-screenshots}"
[[ -x "$SR_BIN" ]] || { echo "run.sh: server binary '$SR_BIN' not found (cargo build --release)" >&2; exit 2; }
[[ -x "$CHROMIUM" ]] || { echo "run.sh: no Chromium at $CHROMIUM (apt-get install chromium)" >&2; exit 2; }
"$CHROMIUM" --version </dev/null || true

bash "$here/../clients/node/npm-ci.sh" "$here" playwright-core || { echo "run.sh: cannot set up tests/ui/node_modules" >&2; exit 2; }

# shellcheck source=../../scripts/server.sh
source "$root/scripts/server.sh"
echo "== starting $SR_BIN on a fresh store"
sr_start ui
echo "== server pid $server_pid at $url"
mkdir -p "$SCREENSHOTS"
export SR_URL="$url"
export SR_BIN="$(cd "$(dirname "$SR_BIN")" && pwd)/$(basename "$SR_BIN")"
export UI_PROFILE="$tmp/chromium-profile"
(cd "$here" && node ui_test.mjs)
