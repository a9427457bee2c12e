#!/usr/bin/env bash
# GET /schemas/ids/{id} latency while 16 clients register new schemas (issue 13, point 7).
#
#   benches/read_under_writes.sh            # SR_BIN=target/release/schema-registry
#   SR_BIN=/path/to/old/binary benches/read_under_writes.sh   # the same run on another build
#
# Steps: start the server on a fresh SQLite store; load SCHEMAS small schemas (load.py);
# measure GET /schemas/ids/{id} with wrk alone (quiet), then again while WRITERS clients
# (writers.py) register new ~5 KB schemas at BACKWARD, each one parsed and checked against
# the subject's latest version. Reports p50/p99/max of the reads in both runs and the
# registrations per second. Registration must not make reads wait on its parse or check:
# the p99 under writes is the figure to compare between builds.
#
# Environment: SR_BIN, DURATION (10s), CONNECTIONS (16), SCHEMAS (2000), SUBJECTS (200),
# WRITERS (16), FIELDS (150), OUT_DIR (bench-out).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
SR_BIN="${SR_BIN:-target/release/schema-registry}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
SCHEMAS="${SCHEMAS:-2000}"
SUBJECTS="${SUBJECTS:-200}"
WRITERS="${WRITERS:-16}"
FIELDS="${FIELDS:-150}"
PYTHON="${PYTHON:-python3}"
OUT_DIR="${OUT_DIR:-bench-out}/ruw-$(date +%Y%m%d-%H%M%S)"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
[[ -x "$SR_BIN" ]] || { echo "server binary '$SR_BIN' not found" >&2; exit 2; }
mkdir -p "$OUT_DIR"
export SR_LOG="${SR_LOG:-warn}"
# shellcheck source=../scripts/server.sh
source scripts/server.sh
sr_start ruw
echo "binary: $SR_BIN  server: $url  params: DURATION=$DURATION CONNECTIONS=$CONNECTIONS WRITERS=$WRITERS FIELDS=$FIELDS"
"$PYTHON" benches/load.py --url "$url" --schemas "$SCHEMAS" --subjects "$SUBJECTS" --threads 16 \
  --prefix bench- </dev/null >"$OUT_DIR/load.txt"
line="$(grep '^LOAD_RESULT' "$OUT_DIR/load.txt")"
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
export BENCH_SCHEMAS="$SCHEMAS" BENCH_SUBJECTS="$SUBJECTS" BENCH_PREFIX=bench-
export BENCH_MIN_ID="$(kv min_id "$line")" BENCH_MAX_ID="$(kv max_id "$line")" BENCH_MODE=schema_by_id

reads() {  # name
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/endpoints.lua "$url" </dev/null \
    >"$OUT_DIR/$1.txt" 2>&1
  local r; r="$(grep '^BENCH_RESULT' "$OUT_DIR/$1.txt")"
  printf '%-14s rps %9s  p50 %6s us  p99 %7s us  max %8s us  errors %s\n' "$1" \
    "$(kv rps "$r")" "$(kv p50_us "$r")" "$(kv p99_us "$r")" "$(kv max_us "$r")" \
    "$(( $(kv err_status "$r") + $(kv err_connect "$r") + $(kv err_read "$r") + $(kv err_timeout "$r") ))"
}

reads quiet
stop="$tmp/stop"; ready="$tmp/ready"
"$PYTHON" benches/writers.py --url "$url" --writers "$WRITERS" --fields "$FIELDS" \
  --stop-file "$stop" --ready-file "$ready" >"$OUT_DIR/writers.txt" 2>&1 &
wpid=$!
while [[ ! -e "$ready" ]]; do kill -0 "$wpid" || { cat "$OUT_DIR/writers.txt"; exit 1; }; sleep 0.05; done
reads under_writes
touch "$stop"
wait "$wpid"
grep '^WRITERS_RESULT' "$OUT_DIR/writers.txt"
