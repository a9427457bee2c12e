#!/usr/bin/env bash
# Makes sure a tansu 0.6.0 broker with the sqlite (libsql) engine is installed: the
# Kafka-compatible broker the tests start (../shared/BROKER.md). Reuses an installed one;
# otherwise builds it from crates.io (about 30 minutes on 2 cores). Prints its path.
set -euo pipefail

has_sqlite() { "$1" --help 2>/dev/null | grep -q libsql; }

for t in "${TANSU_BIN:-}" "$(command -v tansu || true)" "$HOME/.cargo/bin/tansu"; do
  if [ -n "$t" ] && [ -x "$t" ] && has_sqlite "$t"; then
    echo "$t"
    exit 0
  fi
done

echo "installing tansu 0.6.0 with the sqlite engine (cargo install, ~30 min)…" >&2
cargo install tansu --version 0.6.0 --locked --features dynostore,libsql >&2
t="$HOME/.cargo/bin/tansu"
has_sqlite "$t" || { echo "tansu installed but has no sqlite engine" >&2; exit 1; }
echo "$t"
