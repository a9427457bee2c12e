#!/usr/bin/env bash
# OpenAPI conformance: schemathesis (from PyPI, pinned) against the served spec.
#
#   scripts/schemathesis.sh                                   # target/release/schema-registry
#   SR_BIN=target/debug/schema-registry scripts/schemathesis.sh
#
# Creates (or reuses) the venv .venv-schemathesis with schemathesis $SCHEMATHESIS_VERSION,
# starts the server on 127.0.0.1:<free port> with a fresh temporary SQLite store
# (scripts/server.sh), and runs `schemathesis run $url/openapi.json` with every phase
# (examples, coverage, fuzzing, stateful), positive and negative data, a fixed seed and
# a bounded number of examples per operation. Checks: no 5xx, every status code, content
# type, body and header declared by the spec. Exits non-zero on any failure, or when the
# run exceeds SCHEMATHESIS_TIMEOUT seconds.
#
# Environment: SR_BIN, SCHEMATHESIS_VENV (venv dir), PYTHON (creates the venv),
# SCHEMATHESIS_MAX_EXAMPLES (100), SCHEMATHESIS_SEED (1), SCHEMATHESIS_WORKERS (1),
# SCHEMATHESIS_TIMEOUT (420); extra arguments are passed to `schemathesis run`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

SCHEMATHESIS_VERSION=4.32.5
SR_BIN="${SR_BIN:-target/release/schema-registry}"
VENV="${SCHEMATHESIS_VENV:-$root/.venv-schemathesis}"
PYTHON="${PYTHON:-python3}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
seed="${SCHEMATHESIS_SEED:-1}"
# One worker: the run is then reproducible from its seed, and CPython 3.11's ast.parse
# (which hypothesis calls) is not thread-safe ("AST constructor recursion depth mismatch").
workers="${SCHEMATHESIS_WORKERS:-1}"
budget="${SCHEMATHESIS_TIMEOUT:-420}"

if [[ ! -x "$SR_BIN" ]]; then
  echo "schemathesis.sh: server binary '$SR_BIN' not found or not executable (cargo build --release)" >&2
  exit 2
fi

# --- venv ------------------------------------------------------------------
st="$VENV/bin/schemathesis"
venv_ok() {
  [[ -x "$st" ]] && [[ "$("$st" --version 2>/dev/null </dev/null)" == *"version $SCHEMATHESIS_VERSION" ]]
}
if command -v flock >/dev/null 2>&1; then
  exec 9<"${BASH_SOURCE[0]}"
  flock -x 9
fi
if venv_ok; then
  echo "== reusing venv $VENV"
else
  echo "== creating venv $VENV (schemathesis==$SCHEMATHESIS_VERSION)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || { echo "schemathesis.sh: '$PYTHON -m venv $VENV' failed" >&2; exit 2; }
  echo '*' >"$VENV/.gitignore"   # keep the venv out of git status
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "schemathesis==$SCHEMATHESIS_VERSION" </dev/null ||
    { echo "schemathesis.sh: pip install schemathesis==$SCHEMATHESIS_VERSION failed" >&2; exit 2; }
  venv_ok || { echo "schemathesis.sh: $st is not usable after install" >&2; exit 2; }
fi
exec 9<&-
"$st" --version </dev/null

# --- server ----------------------------------------------------------------
# shellcheck source=server.sh
source "$root/scripts/server.sh"
echo "== starting $SR_BIN on a fresh store"
sr_start schemathesis
echo "== server pid $server_pid at $url"

# --- run -------------------------------------------------------------------
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_schema_conformance,response_headers_conformance
echo "== schemathesis run $url/openapi.json (max $max_examples examples per operation, seed $seed, ${budget}s budget)"
rc=0
# Run from the scratch dir: no schemathesis.toml is picked up (these flags define the run)
# and no report or example database is left behind; without the database a run does not
# depend on the ones before it.
# Two passes: the plain routes with every example, then Confluent's /contexts/{context}/…
# forms (the same handlers behind a URL rewrite) with fewer, so the run stays in budget.
context_examples="${SCHEMATHESIS_CONTEXT_EXAMPLES:-15}"
context_routes='^/contexts/[{]context[}]/'
# One pass: the operations these selection flags pick, at most $1 examples each; the
# script's own arguments go last.
pass() {
  local examples="$1"
  shift
  (cd "$tmp" && timeout --kill-after=10 "$budget" "$st" run "$url/openapi.json" \
    --checks "$checks" \
    --max-examples "$examples" \
    --seed "$seed" \
    --workers "$workers" \
    --continue-on-failure \
    --generation-database none \
    --request-timeout 10 \
    --no-color \
    "$@" </dev/null)
}
pass "$max_examples" --exclude-path-regex "$context_routes" "$@" || rc=$?
if ((rc == 0)); then
  echo "== the /contexts/{context}/ forms (max $context_examples examples per operation)"
  pass "$context_examples" --include-path-regex "$context_routes" "$@" || rc=$?
fi
if ((rc == 124 || rc == 137)); then
  echo "schemathesis.sh: the run exceeded ${budget}s" >&2
fi
exit "$rc"
