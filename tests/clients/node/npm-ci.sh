#!/usr/bin/env bash
# The Node environment of the real-client tests: installs (or reuses) node_modules in
# tests/clients/node from the committed package-lock.json with `npm ci`.
#
#   bash tests/clients/node/npm-ci.sh        # used by tests/clients/run.sh
#   bash tests/clients/node/npm-ci.sh DIR MODULE...   # another package dir (tests/ui/run.sh)
#
# node_modules is reused while its stamp matches package-lock.json's hash and the two
# clients resolve; otherwise `npm ci` (registry.npmjs.org, or npm's own cache) rebuilds
# it. Concurrent callers are serialized with a lock on this script. Progress goes to
# stderr; exits non-zero, saying why, if node/npm are missing or the install fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
self="$here/$(basename "${BASH_SOURCE[0]}")"  # absolute: the lock below is taken after the cd
# The package dir and the modules that must resolve in it: by default the clients'.
modules=("@kafkajs/confluent-schema-registry" "@confluentinc/schemaregistry" "@bufbuild/protobuf")
if (($# > 0)); then
  here="$(cd "$1" && pwd)"
  shift
  modules=("$@")
fi
cd "$here"

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "npm-ci.sh: '$tool' not found (the Node tests need Node >= 20 and npm)" >&2; exit 2; }
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if ((major < 20)); then
  echo "npm-ci.sh: node $(node --version) is too old (need >= 20 for node --test)" >&2
  exit 2
fi

stamp="node_modules/.package-lock.sha256"
want_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"

modules_ok() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want_hash" ]] &&
    node -e 'for (const m of process.argv.slice(1)) require.resolve(m)' "${modules[@]}" </dev/null >/dev/null 2>&1
}

if command -v flock >/dev/null 2>&1; then
  exec 9<"$self"
  flock -x 9
fi

if modules_ok; then
  echo "== reusing $here/node_modules" >&2
else
  echo "== npm ci in $here (node $(node --version), npm $(npm --version))" >&2
  npm ci --no-audit --no-fund --loglevel=error </dev/null >&2 ||
    { echo "npm-ci.sh: npm ci failed" >&2; exit 2; }
  echo "$want_hash" >"$stamp"
  modules_ok || { echo "npm-ci.sh: node_modules is not usable after npm ci" >&2; exit 2; }
fi
