#!/usr/bin/env bash
# Runs every command of README.md (scripts/check-readme.py) with what its blocks need:
# the release binary, a Kafka-compatible broker (tansu, started here on a free port in a
# scratch dir; README blocks name it localhost:9092) and the real-client Python venv
# (tests/clients/venv.sh) for the Python quick start.
#
#   scripts/readme.sh              # TANSU_BIN (default: tansu on PATH or ~/.cargo/bin/tansu)
#
# Exits with check-readme.py's status; the broker is stopped on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

TANSU_BIN="${TANSU_BIN:-$(command -v tansu || echo "$HOME/.cargo/bin/tansu")}"
[[ -x "$TANSU_BIN" ]] || { echo "readme.sh: no tansu at '$TANSU_BIN' (scripts/install-tansu.sh)" >&2; exit 2; }

tmp="$(mktemp -d)"
broker_pid=""
cleanup() {
  if [[ -n "$broker_pid" ]]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(cd "$tmp" && exec "$TANSU_BIN" broker --cluster-id readme \
  --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
  --storage-engine sqlite://broker.db >"$tmp/broker.log" 2>&1 </dev/null) &
broker_pid=$!
# Bounded wait for the broker's port.
for _ in $(seq 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$broker_pid" 2>/dev/null || { echo "readme.sh: the broker exited:" >&2; cat "$tmp/broker.log" >&2; exit 2; }
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "readme.sh: the broker did not listen within 30 s" >&2; exit 2; }
echo "== tansu on 127.0.0.1:$port"

README_PYTHON="$(bash tests/clients/venv.sh)"
export README_PYTHON
export KAFKA_BOOTSTRAP="127.0.0.1:$port"
python3 scripts/check-readme.py "$@"
