#!/usr/bin/env bash
# Real-client tests: Confluent's Python client (confluent-kafka) and two Node.js clients
# (@kafkajs/confluent-schema-registry, @confluentinc/schemaregistry with @bufbuild/protobuf),
# unchanged, against the server.
#
#   tests/clients/run.sh                      # uses target/release/schema-registry
#   SR_BIN=target/debug/schema-registry tests/clients/run.sh
#
# Creates (or reuses, via venv.sh) the venv .venv-clients with the pinned packages of
# tests/clients/requirements.txt, and (or reuses, via node/npm-ci.sh) node_modules in
# tests/clients/node from its package-lock.json; starts the server on 127.0.0.1:<free
# port> with a fresh temporary SQLite store and runs, against it:
#
#   confluent_client_test.py      confluent-kafka: registry client + Avro serdes
#   json_client_test.py           confluent-kafka: JSON Schema serdes and references
#   protobuf_client_test.py       confluent-kafka: Protobuf serdes (classes generated at test
#                                 time with grpcio-tools' protoc), references, well-known types
#   guid_header_test.py           confluent-kafka: schema GUIDs in headers (header_schema_id_serializer,
#                                 dual_schema_id_deserializer -> GET /schemas/guids/{guid}), Avro,
#                                 JSON Schema, Protobuf
#   rules_test.py                 confluent-kafka: data-contract rules (CEL condition, JSONata
#                                 migration) run by the client's executors
#   association_test.py           confluent-kafka: associations (create/list/delete, and the
#                                 default AssociatedNameStrategy picking the associated subject)
#   csfle_test.py                 confluent-kafka: client-side field-level encryption (ENCRYPT
#                                 rule, FieldEncryptionExecutor, local KMS) of a PII-tagged field
#                                 in Avro, JSON Schema and Protobuf; keys in the DEK registry
#                                 (/dek-registry/v1/keks, .../deks); reading with/without the secret
#   node/kafkajs_json.test.mjs    @kafkajs/confluent-schema-registry, SchemaType.JSON
#   node/confluent_json.test.mjs  @confluentinc/schemaregistry, JSON serdes
#   node/kafkajs_proto.test.mjs   @kafkajs/confluent-schema-registry, SchemaType.PROTOBUF
#   node/confluent_proto.test.mjs @confluentinc/schemaregistry, Protobuf serdes
#   node/confluent_guid.test.mjs  @confluentinc/schemaregistry, schema GUIDs in headers
#                                 (HeaderSchemaIdSerializer, DualSchemaIdDeserializer -> getByGuid)
#   node/confluent_csfle.test.mjs @confluentinc/schemaregistry, field-level encryption of a
#                                 PII-tagged Avro field (FieldEncryptionExecutor, LocalKmsDriver)
#
# Every suite runs even if an earlier one failed. The closing line adds them up:
# "N passed, N failed" (passed = checks that held; failed = scenarios / node tests that
# failed, plus 1 for a suite that ended without its own summary). Exits non-zero if
# anything failed. The server is stopped on exit.
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

# --- client environments ------------------------------------------------------
# venv.sh creates or reuses it (CLIENTS_VENV, PYTHON as before) and prints its python.
py="$(bash "$here/venv.sh")" || { echo "run.sh: cannot set up the client venv" >&2; exit 2; }
"$py" -c 'from importlib.metadata import version as v; print(" / ".join(p + " " + v(p) for p in ("confluent-kafka", "fastavro", "jsonschema", "protobuf", "grpcio-tools", "tink")))' </dev/null
bash "$here/node/npm-ci.sh" || { echo "run.sh: cannot set up the Node clients (tests/clients/node)" >&2; exit 2; }
node -p '"node " + process.version + " / " + ["@kafkajs/confluent-schema-registry", "@confluentinc/schemaregistry", "@bufbuild/protobuf"].map(p => p + " " + require(process.argv[1] + "/node_modules/" + p + "/package.json").version).join(" / ")' "$here/node" </dev/null

# --- server ----------------------------------------------------------------
# shellcheck source=../../scripts/server.sh
source "$here/../../scripts/server.sh"
echo "== starting $SR_BIN on a fresh store"
sr_start clients
echo "== server pid $server_pid at $url"
export SR_URL="$url"

# --- tests -----------------------------------------------------------------
total_passed=0
total_failed=0
summary=()

# run_suite LABEL KIND CMD...: runs CMD (SR_URL is exported), its output to the terminal and
# to a log; KIND says how to read the counts: "py" (the script's own "N passed, N failed"
# line) or "node" (the "checks passed: N" lines of check.mjs and node --test's "ℹ fail N").
run_suite() {
  local label=$1 kind=$2
  shift 2
  local log="$tmp/suite.log" rc=0 passed="" failed=""
  echo
  echo "=== $label"
  "$@" </dev/null 2>&1 | tee "$log" || rc=$?
  if [[ $kind == py ]]; then
    local last
    last="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)"
    if [[ -n $last ]]; then
      passed="${last%% passed*}"
      failed="${last#*passed, }"
      failed="${failed%% failed}"
    fi
  else
    passed="$(grep -oE 'checks passed: [0-9]+' "$log" | awk '{s += $3} END {print s + 0}' || true)"
    failed="$(grep -oE '^ℹ fail [0-9]+' "$log" | tail -n1 | awk '{print $3}' || true)"
  fi
  if [[ -z $passed || -z $failed ]]; then
    # The suite died before it could count (import error, crash): one failure.
    passed="${passed:-0}"
    failed=1
    label="$label (no summary, exit code $rc)"
  elif [[ $rc -ne 0 && $failed -eq 0 ]]; then
    failed=1
    label="$label (exit code $rc)"
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  summary+=("$(printf '  %-72s %4d passed, %d failed' "$label" "$passed" "$failed")")
}

node_test() {  # node --test with a fixed reporter, from tests/clients/node (for its node_modules)
  (cd "$here/node" && node --test --test-reporter=spec --test-timeout=120000 "$@")
}

run_suite "confluent-kafka: registry client, Avro (confluent_client_test.py)" py "$py" "$here/confluent_client_test.py"
run_suite "confluent-kafka: JSON Schema (json_client_test.py)" py "$py" "$here/json_client_test.py"
run_suite "confluent-kafka: Protobuf (protobuf_client_test.py)" py "$py" "$here/protobuf_client_test.py"
run_suite "confluent-kafka: GUID headers (guid_header_test.py)" py "$py" "$here/guid_header_test.py"
run_suite "confluent-kafka: associations (association_test.py)" py "$py" "$here/association_test.py"
run_suite "confluent-kafka: CEL and JSONata rules (rules_test.py)" py "$py" "$here/rules_test.py"
run_suite "confluent-kafka: field-level encryption, DEK registry (csfle_test.py)" py "$py" "$here/csfle_test.py"
run_suite "@kafkajs/confluent-schema-registry: JSON (node/kafkajs_json.test.mjs)" node node_test kafkajs_json.test.mjs
run_suite "@confluentinc/schemaregistry: JSON (node/confluent_json.test.mjs)" node node_test confluent_json.test.mjs
run_suite "@kafkajs/confluent-schema-registry: PROTOBUF (node/kafkajs_proto.test.mjs)" node node_test kafkajs_proto.test.mjs
run_suite "@confluentinc/schemaregistry: Protobuf (node/confluent_proto.test.mjs)" node node_test confluent_proto.test.mjs
run_suite "@confluentinc/schemaregistry: GUID headers (node/confluent_guid.test.mjs)" node node_test confluent_guid.test.mjs
run_suite "@confluentinc/schemaregistry: field-level encryption (node/confluent_csfle.test.mjs)" node node_test confluent_csfle.test.mjs

if ((total_failed > 0)) && [[ -s "$tmp/server.log" ]]; then
  # Here rather than from sr_cleanup at exit, so that the totals stay the last line.
  echo
  echo "---- server log (last 40 lines) ----"
  tail -n 40 "$tmp/server.log"
  rm -f "$tmp/server.log"
fi
echo
echo "=== real-client summary"
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
