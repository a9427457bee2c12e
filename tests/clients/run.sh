#!/usr/bin/env bash
# Real-client test: Confluent's Python client (confluent-kafka) against the server.
#
#   tests/clients/run.sh                      # uses target/release/schema-registry
#   SR_BIN=target/debug/schema-registry tests/clients/run.sh
#
# Creates (or reuses, via venv.sh) the venv .venv-clients with the pinned packages of
# tests/clients/requirements.txt, starts the server on 127.0.0.1:<free port>
# with a fresh temporary SQLite store, runs confluent_client_test.py against it
# and stops the server on exit. Exits non-zero if anything failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

SR_BIN="${SR_BIN:-target/release/schema-registry}"
START_TIMEOUT="${START_TIMEOUT:-30}"   # seconds to wait for "listening on"

if [[ ! -x "$SR_BIN" ]]; then
  echo "run.sh: server binary '$SR_BIN' not found or not executable (build it: cargo build --release)" >&2
  exit 2
fi

# --- venv ------------------------------------------------------------------
# venv.sh creates or reuses it (CLIENTS_VENV, PYTHON as before) and prints its python.
py="$(bash "$here/venv.sh")" || { echo "run.sh: cannot set up the client venv" >&2; exit 2; }
"$py" -c 'import confluent_kafka, fastavro; print("confluent-kafka", confluent_kafka.__version__, "/ fastavro", fastavro.__version__)' </dev/null

# --- server ----------------------------------------------------------------
# shellcheck source=../../scripts/server.sh
source "$here/../../scripts/server.sh"
echo "== starting $SR_BIN on a fresh store"
sr_start clients
echo "== server pid $server_pid at $url"

# --- test ------------------------------------------------------------------
SR_URL="$url" "$py" "$here/confluent_client_test.py" </dev/null
