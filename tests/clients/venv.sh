#!/usr/bin/env bash
# The Python environment of the real-client tests: creates (or reuses) the venv
# .venv-clients with the pinned packages of tests/clients/requirements.txt and prints
# the path of its python on stdout (one line, nothing else); progress goes to stderr.
#
#   PY="$(tests/clients/venv.sh)"        # used by tests/clients/run.sh and tests/mirror.rs
#
# CLIENTS_VENV overrides the venv directory, PYTHON the interpreter that creates it.
# The venv is reused while its stamp matches the requirements file's hash and the
# clients import. Concurrent callers (two tests at once) are serialized with a lock on
# this script. Exits non-zero, saying why on stderr, if the venv cannot be made.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

VENV="${CLIENTS_VENV:-$root/.venv-clients}"
PYTHON="${PYTHON:-python3}"

req="$here/requirements.txt"
stamp="$VENV/.requirements.sha256"
want_hash="$(sha256sum "$req" | cut -d' ' -f1)"

venv_ok() {
  [[ -x "$VENV/bin/python" ]] &&
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want_hash" ]] &&
    "$VENV/bin/python" -c 'import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf, fastavro, jsonschema, grpc_tools.protoc, celpy, jsonata, confluent_kafka.schema_registry.rules.encryption.encrypt_executor, confluent_kafka.schema_registry.rules.encryption.localkms.local_driver' </dev/null >/dev/null 2>&1
}

# One creator at a time; the others wait, then find the venv ready.
if command -v flock >/dev/null 2>&1; then
  exec 9<"${BASH_SOURCE[0]}"
  flock -x 9
fi

if venv_ok; then
  echo "== reusing venv $VENV" >&2
else
  echo "== creating venv $VENV" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2 || { echo "venv.sh: '$PYTHON -m venv $VENV' failed" >&2; exit 2; }
  echo '*' >"$VENV/.gitignore"   # keep the venv out of git status
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" </dev/null >&2 ||
    { echo "venv.sh: pip install -r $req failed" >&2; exit 2; }
  echo "$want_hash" >"$stamp"
  venv_ok || { echo "venv.sh: venv $VENV is not usable after install" >&2; exit 2; }
fi
echo "$VENV/bin/python"
