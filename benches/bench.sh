#!/usr/bin/env bash
# Throughput/latency benchmark of the registry's hot endpoints, next to a
# ceiling: benches/ceiling.rs, a bare axum binary answering a fixed body with no
# middleware, measured in the same run with the same load tool and connections
# (first and last, so drift shows). Every figure is a ratio to its mean.
#
#   benches/bench.sh                              # full run: 10 s per endpoint
#   DURATION=3s SCHEMAS=2000 SUBJECTS=200 benches/bench.sh   # quick run
#
# Steps: install wrk if missing (Debian package); start the server on a fresh
# temporary SQLite store; load SCHEMAS distinct Avro schemas over SUBJECTS
# subjects (benches/load.py, compatibility NONE); run wrk against each endpoint
# (benches/endpoints.lua); print req/s, p99 and the ratio to the trivial
# endpoint, and the server's resident memory.
#
# Environment (defaults):
#   SR_BIN=target/release/schema-registry  server binary
#   DURATION=10s        per endpoint          WARMUP=2s   trivial warm-up
#   CONNECTIONS=64      wrk connections       THREADS=2   wrk threads
#   SCHEMAS=10000       schemas to load       SUBJECTS=1000
#   LOAD_THREADS=16     loader connections    TIMEOUT=10s wrk request timeout
#   OUT_DIR=bench-out   where wrk outputs and the table are kept
#   CEILING_BIN=target/release/examples/ceiling  (cargo build --release --example ceiling)
# Targets (issue 17), as fractions of the ceiling: GET /schemas/ids/{id} 0.85,
# versions/latest 0.75, lookup POST /subjects/{s} 0.50.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

SR_BIN="${SR_BIN:-target/release/schema-registry}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SCHEMAS="${SCHEMAS:-10000}"
SUBJECTS="${SUBJECTS:-1000}"
LOAD_THREADS="${LOAD_THREADS:-16}"
TIMEOUT="${TIMEOUT:-10s}"
CEILING_BIN="${CEILING_BIN:-target/release/examples/ceiling}"
START_TIMEOUT="${START_TIMEOUT:-30}"
PYTHON="${PYTHON:-python3}"
run_id="$(date +%Y%m%d-%H%M%S)"
OUT_DIR="${OUT_DIR:-bench-out}/$run_id"

if [[ ! -x "$SR_BIN" ]]; then
  echo "bench.sh: server binary '$SR_BIN' not found (build it: cargo build --release)" >&2
  exit 2
fi
if [[ ! -x "$CEILING_BIN" ]]; then
  echo "bench.sh: ceiling binary '$CEILING_BIN' not found (build it: cargo build --release --example ceiling)" >&2
  exit 2
fi

# --- load tool -------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk (Debian package)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q wrk </dev/null ||
    { $sudo apt-get update -q </dev/null && $sudo apt-get install -y -q wrk </dev/null; }
fi

mkdir -p "$OUT_DIR"
report="$OUT_DIR/report.txt"
exec > >(tee "$report") 2>&1

echo "== machine"
echo "nproc:   $(nproc)"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "kernel:  $(uname -r)"
echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
echo "wrk:     $(wrk -v 2>&1 | head -1 || true)"
echo "binary:  $SR_BIN ($(stat -c %y "$SR_BIN" | cut -d. -f1))"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)')"
echo "params:  DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS SCHEMAS=$SCHEMAS SUBJECTS=$SUBJECTS"

# --- server ----------------------------------------------------------------
# Log only warnings: per-request logging would be measured too.
export SR_LOG="${SR_LOG:-warn}"
# shellcheck source=../scripts/server.sh
source "$here/../scripts/server.sh"
sr_start bench
echo "server:  pid $server_pid at $url"
"$CEILING_BIN" 127.0.0.1:0 </dev/null >"$tmp/ceiling.log" 2>&1 &
ceiling_pid=$!
trap 'rc=$?; kill $ceiling_pid 2>/dev/null || true; (exit $rc); sr_cleanup' EXIT INT TERM
ceiling_url=""
for _ in $(seq 200); do
  ceiling_url="$(grep -m1 -o 'listening on http://[^[:space:]]*' "$tmp/ceiling.log" 2>/dev/null | sed 's/^listening on //' || true)"
  [[ -n "$ceiling_url" ]] && break
  kill -0 "$ceiling_pid" 2>/dev/null || { cat "$tmp/ceiling.log"; exit 1; }
  sleep 0.05
done
[[ -n "$ceiling_url" ]] || { echo "the ceiling binary did not start" >&2; exit 1; }
echo "ceiling: pid $ceiling_pid at $ceiling_url ($CEILING_BIN)"

mem() {  # VmRSS and VmHWM of the server, in MiB
  awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$server_pid/status"
}
echo "memory at start:        $(mem)"

# --- load ------------------------------------------------------------------
echo
echo "== loading $SCHEMAS schemas over $SUBJECTS subjects"
"$PYTHON" "$here/load.py" --url "$url" --schemas "$SCHEMAS" --subjects "$SUBJECTS" \
  --threads "$LOAD_THREADS" --prefix bench- </dev/null | tee "$OUT_DIR/load.txt"
load_line="$(grep '^LOAD_RESULT' "$OUT_DIR/load.txt")"
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
min_id="$(kv min_id "$load_line")"
max_id="$(kv max_id "$load_line")"
mem_after_load="$(mem)"
echo "memory after the load:  $mem_after_load"

# --- measure ---------------------------------------------------------------
export BENCH_SCHEMAS="$SCHEMAS" BENCH_SUBJECTS="$SUBJECTS" BENCH_MIN_ID="$min_id" BENCH_MAX_ID="$max_id"
export BENCH_PREFIX="bench-" BENCH_RUN_TAG="${run_id//-/}"

declare -A RPS P99 P50 REQS ERRS
run_wrk() {  # name mode duration [base url] [connections]
  local name="$1" mode="$2" dur="$3" target="${4:-$url}" conns="${5:-$CONNECTIONS}" out="$OUT_DIR/$1.txt"
  echo
  echo "== $name: wrk -t$THREADS -c$conns -d$dur ($mode on $target)"
  BENCH_MODE="$mode" wrk -t"$THREADS" -c"$conns" -d"$dur" --timeout "$TIMEOUT" --latency \
    -s "$here/endpoints.lua" "$target" </dev/null >"$out" 2>&1 || { cat "$out"; return 1; }
  sed -n '/Latency Distribution/,/Requests\/sec/p' "$out" | grep -v '^BENCH_RESULT'
  local line; line="$(grep '^BENCH_RESULT' "$out")"
  RPS[$name]="$(kv rps "$line")"
  P50[$name]="$(kv p50_us "$line")"
  P99[$name]="$(kv p99_us "$line")"
  REQS[$name]="$(kv requests "$line")"
  ERRS[$name]=$(( $(kv err_status "$line") + $(kv err_connect "$line") + $(kv err_read "$line") \
                  + $(kv err_write "$line") + $(kv err_timeout "$line") ))
  if [[ ${ERRS[$name]} -ne 0 ]]; then
    echo "!! $name: ${ERRS[$name]} errors (non-2xx, socket errors or timeouts): see $out"
    grep -E 'Non-2xx|Socket errors' "$out" || true
  fi
}

run_wrk warmup trivial "$WARMUP" >/dev/null
run_wrk warmup_ceiling schema_by_id "$WARMUP" "$ceiling_url" >/dev/null
names=(ceiling trivial schema_by_id latest lookup register_existing register_new register_new_16 ceiling_again)
run_wrk ceiling schema_by_id "$DURATION" "$ceiling_url"
run_wrk trivial trivial "$DURATION"
run_wrk schema_by_id schema_by_id "$DURATION"
run_wrk latest latest "$DURATION"
run_wrk lookup lookup "$DURATION"
run_wrk register_existing register_existing "$DURATION"
mem_after_reads="$(mem)"
run_wrk register_new register_new "$DURATION"
# Issue 17's durable-registration figure: 16 concurrent clients.
BENCH_RUN_TAG="${BENCH_RUN_TAG}b" run_wrk register_new_16 register_new "$DURATION" "$url" 16
run_wrk ceiling_again schema_by_id "$DURATION" "$ceiling_url"
mem_after_bench="$(mem)"

# Every register_new request must have created a new version.
total_versions="$("$PYTHON" - "$url" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def get(path):
    with urllib.request.urlopen(base + path) as r:
        return json.load(r)
print(sum(len(get(f"/subjects/{s}/versions")) for s in get("/subjects")))
PY
)"
new_versions=$((total_versions - SCHEMAS))

# --- report ----------------------------------------------------------------
baseline="$(awk -v a="${RPS[ceiling]}" -v b="${RPS[ceiling_again]}" 'BEGIN {printf "%.1f", (a + b) / 2}')"
declare -A LABEL=(
  [ceiling]="ceiling: bare axum, fixed body (first)"
  [ceiling_again]="ceiling: bare axum, fixed body (last)"
  [trivial]="GET / (registry, {} body)"
  [schema_by_id]="GET /schemas/ids/{id}"
  [latest]="GET /subjects/{s}/versions/latest"
  [lookup]="POST /subjects/{s} (lookup)"
  [register_existing]="POST /subjects/{s}/versions existing"
  [register_new]="POST /subjects/{s}/versions new"
  [register_new_16]="  the same, 16 connections"
)
echo
echo "== results: $SCHEMAS schemas / $SUBJECTS subjects, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores shared by server and wrk"
printf '%-40s %12s %10s %10s %9s %8s\n' "endpoint" "req/s" "p50 ms" "p99 ms" "ratio" "errors"
printf '%-40s %12s %10s %10s %9s %8s\n' "--------" "-----" "------" "------" "-----" "------"
for n in "${names[@]}"; do
  awk -v l="${LABEL[$n]}" -v r="${RPS[$n]}" -v p50="${P50[$n]}" -v p99="${P99[$n]}" -v b="$baseline" -v e="${ERRS[$n]}" \
    'BEGIN {printf "%-40s %12.0f %10.2f %10.2f %8.1f%% %8d\n", l, r, p50/1000, p99/1000, 100*r/b, e}'
done
echo "(ratio = req/s over the mean of the two ceiling runs, $baseline req/s)"
echo
echo "load:                   $(kv elapsed_s "$load_line") s for $SCHEMAS schemas ($(kv rate "$load_line") schemas/s, $LOAD_THREADS connections)"
echo "register_new:           $((REQS[register_new] + REQS[register_new_16])) requests answered (both runs), $new_versions new versions in the registry"
echo "memory after the load:  $mem_after_load"
echo "memory before reg. new: $mem_after_reads (after the read and re-register runs)"
echo "memory after the bench: $mem_after_bench (with the register_new schemas added)"
for t in "schema_by_id 0.85" "latest 0.75" "lookup 0.50"; do
  read -r n want <<<"$t"
  awk -v l="${LABEL[$n]}" -v r="${RPS[$n]}" -v b="$baseline" -v w="$want" -v a="${RPS[ceiling]}" -v z="${RPS[ceiling_again]}" \
    'BEGIN {x = r / b; printf "target:                 %s >= %.0f%% of the ceiling: %s (%.1f%%; %.1f%% of the first ceiling run, %.1f%% of the last)\n", l, w * 100, (x >= w) ? "MET" : "MISSED", 100 * x, 100 * r / a, 100 * r / z}'
done
echo "loadavg at end:         $(cut -d' ' -f1-3 /proc/loadavg)"
echo "outputs:                $OUT_DIR"

errs=0
for n in "${names[@]}"; do errs=$((errs + ERRS[$n])); done
if [[ $errs -ne 0 ]]; then
  echo "bench.sh: $errs failed requests in total" >&2
  exit 1
fi
