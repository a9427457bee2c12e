#!/usr/bin/env bash
# GET /schemas/ids/{id} latency while 16 clients register new schemas (issue 13, point 7;
# issue 17, point 6).
#
#   cargo build --release --bins --example paced_reads
#   benches/read_under_writes.sh            # SR_BIN=target/release/schema-registry
#   SR_BIN=/path/to/old/binary benches/read_under_writes.sh   # the same run on another build
#
# Steps: start the server on a fresh SQLite store; load SCHEMAS small schemas (load.py);
# send GET /schemas/ids/{id} at a fixed RATE from CONNECTIONS connections (paced_reads:
# open loop, each latency counted from when the request was due) alone (quiet), then again
# while WRITERS clients (writers.py) register new ~5 KB schemas at BACKWARD, each one parsed
# and checked against the subject's latest version. Reports p50/p99/p99.9/max of the reads
# in both runs and the registrations per second. Registration must not make reads wait on
# its parse or check: the p99 under writes is the figure to compare between builds.
#
# The writers run at `nice` WRITERS_NICE (19): on this one machine their Python would
# otherwise take the cores the server's reads need, which clients on other hosts do not.
# A fixed rate, not wrk at saturation: a saturating closed loop measures how the CPU is
# shared between the load tool and the server, not how long a read waits behind a write.
#
# Control: the same reads are also sent to the ceiling binary (benches/ceiling.rs, a bare
# axum server with a fixed body, in a process of its own), quiet and while the writers load
# the registry. The ceiling does no work the writes could hold up, so its p99 under writes
# is what this machine's scheduler alone adds when its cores are busy: the floor for the
# registry's figure. Skipped when CEILING_BIN is not built.
#
# Environment: SR_BIN, PACED_BIN, CEILING_BIN, READ_SECONDS (10), RATE (5000), CONNECTIONS (16),
# SCHEMAS (2000), SUBJECTS (200), WRITERS (16), FIELDS (150), WRITERS_NICE (19),
# OUT_DIR (bench-out).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
SR_BIN="${SR_BIN:-target/release/schema-registry}"
PACED_BIN="${PACED_BIN:-target/release/examples/paced_reads}"
CEILING_BIN="${CEILING_BIN:-target/release/examples/ceiling}"
SECONDS_EACH="${READ_SECONDS:-10}"
RATE="${RATE:-5000}"
WRITERS_NICE="${WRITERS_NICE:-19}"
CONNECTIONS="${CONNECTIONS:-16}"
SCHEMAS="${SCHEMAS:-2000}"
SUBJECTS="${SUBJECTS:-200}"
WRITERS="${WRITERS:-16}"
FIELDS="${FIELDS:-150}"
PYTHON="${PYTHON:-python3}"
OUT_DIR="${OUT_DIR:-bench-out}/ruw-$(date +%Y%m%d-%H%M%S)"
[[ -x "$PACED_BIN" ]] || { echo "'$PACED_BIN' not found: cargo build --release --example paced_reads" >&2; exit 2; }
[[ -x "$SR_BIN" ]] || { echo "server binary '$SR_BIN' not found" >&2; exit 2; }
mkdir -p "$OUT_DIR"
export SR_LOG="${SR_LOG:-warn}"
# shellcheck source=../scripts/server.sh
source scripts/server.sh
sr_start ruw
echo "binary: $SR_BIN  server: $url  params: READ_SECONDS=$SECONDS_EACH RATE=$RATE CONNECTIONS=$CONNECTIONS WRITERS=$WRITERS FIELDS=$FIELDS WRITERS_NICE=$WRITERS_NICE"
"$PYTHON" benches/load.py --url "$url" --schemas "$SCHEMAS" --subjects "$SUBJECTS" --threads 16 \
  --prefix bench- </dev/null >"$OUT_DIR/load.txt"
line="$(grep '^LOAD_RESULT' "$OUT_DIR/load.txt")"
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
min_id="$(kv min_id "$line")"; max_id="$(kv max_id "$line")"

ceiling_url=""
if [[ -x "$CEILING_BIN" ]]; then
  "$CEILING_BIN" 127.0.0.1:0 </dev/null >"$OUT_DIR/ceiling.log" 2>&1 &
  ceiling_pid=$!
  trap 'rc=$?; kill $ceiling_pid 2>/dev/null || true; (exit $rc); sr_cleanup' EXIT INT TERM
  until ceiling_url="$(grep -m1 -o 'listening on http://[^[:space:]]*' "$OUT_DIR/ceiling.log" | sed 's/^listening on //')" && [[ -n "$ceiling_url" ]]; do
    kill -0 "$ceiling_pid" || { cat "$OUT_DIR/ceiling.log"; exit 1; }
    sleep 0.05
  done
fi

reads() {  # name [url]
  local target="${2:-$url}"
  "$PACED_BIN" "$target" "$RATE" "$SECONDS_EACH" "$CONNECTIONS" "$min_id" "$max_id" </dev/null \
    >"$OUT_DIR/$1.txt" 2>&1
  local r; r="$(grep '^PACED_RESULT' "$OUT_DIR/$1.txt")"
  printf '%-14s rate %6s  p50 %6s us  p99 %7s us  p99.9 %7s us  max %8s us  errors %s\n' "$1" \
    "$(kv rate "$r")" "$(kv p50_us "$r")" "$(kv p99_us "$r")" "$(kv p999_us "$r")" \
    "$(kv max_us "$r")" "$(kv errors "$r")"
}

reads quiet
[[ -n "$ceiling_url" ]] && reads ceiling_quiet "$ceiling_url"
stop="$tmp/stop"; ready="$tmp/ready"
nice -n "$WRITERS_NICE" "$PYTHON" benches/writers.py --url "$url" --writers "$WRITERS" --fields "$FIELDS" \
  --stop-file "$stop" --ready-file "$ready" >"$OUT_DIR/writers.txt" 2>&1 &
wpid=$!
while [[ ! -e "$ready" ]]; do kill -0 "$wpid" || { cat "$OUT_DIR/writers.txt"; exit 1; }; sleep 0.05; done
reads under_writes
[[ -n "$ceiling_url" ]] && reads ceiling_writes "$ceiling_url"
touch "$stop"
wait "$wpid"
grep '^WRITERS_RESULT' "$OUT_DIR/writers.txt"
