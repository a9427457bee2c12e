# Sourced by tests/clients/run.sh and benches/bench.sh: start the registry binary on a free
# port with a fresh SQLite store, wait (bounded) for its "listening on" line, and stop it on
# exit. After `sr_start NAME`: $tmp (scratch dir), $server_pid, $url.
# Needs SR_BIN; START_TIMEOUT (seconds) defaults to 30.

sr_cleanup() {
  local rc=$?
  if [[ -n "${server_pid:-}" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "${tmp:-}/server.log" ]]; then
    echo "---- server log (last 40 lines) ----"
    tail -n 40 "$tmp/server.log"
  fi
  [[ -n "${tmp:-}" ]] && rm -rf "$tmp"
  exit $rc
}

sr_start() {  # sr_start NAME: NAME only labels the scratch directory
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/sr-$1.XXXXXX")"
  server_pid=""
  trap sr_cleanup EXIT INT TERM
  "$SR_BIN" --listen 127.0.0.1:0 --store "sqlite://$tmp/registry.db" </dev/null >"$tmp/server.log" 2>&1 &
  server_pid=$!
  url=""
  local deadline=$((SECONDS + ${START_TIMEOUT:-30}))
  while [[ -z "$url" ]]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "server exited before it listened" >&2
      cat "$tmp/server.log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "no 'listening on' line within ${START_TIMEOUT:-30}s" >&2
      exit 1
    fi
    url="$(grep -m1 -o 'listening on http://[^[:space:]]*' "$tmp/server.log" 2>/dev/null | sed 's/^listening on //' || true)"
    [[ -n "$url" ]] || sleep 0.05
  done
}
