#!/usr/bin/env bash
# Fault campaign: 3 registry nodes on one topic of a tansu broker under concurrent writers
# and readers for DURATION seconds, while the leader is killed (-9) and restarted, the
# broker is killed and restarted, and the disk under the nodes' data is filled and freed;
# then checks that no acknowledged write is lost, no ID is bound to two schemas, and all
# nodes list the same things. Prints the figures; exits non-zero on any violation.
# Not part of `cargo test`. Needs: python3 with `requests`, tansu with the sqlite engine
# (scripts/install-tansu.sh), target/release/schema-registry (built if missing), and root
# for the disk-full fault (a tmpfs is mounted; without it that fault is skipped, loudly).
#
#   scripts/fault-campaign.sh DURATION_SECONDS [extra options of scripts/fault-campaign.py]
#   e.g. scripts/fault-campaign.sh 300 --writers 6 --fault-every 8
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 DURATION_SECONDS [--writers N] [--readers N] [--fault-every S] [--down S] [--full-for S]" >&2
  exit 64
fi
duration=$1
shift

python3 -c 'import requests' 2>/dev/null || {
  echo "python3 with the requests package is needed (pip install requests)" >&2
  exit 1
}
SR_BIN=${SR_BIN:-target/release/schema-registry}
if [[ ! -x "$SR_BIN" ]]; then
  echo "building $SR_BIN (cargo build --release)…" >&2
  cargo build --release >&2
fi
SR_BIN=$(realpath "$SR_BIN")
TANSU_BIN=$(bash scripts/install-tansu.sh)

work=$(mktemp -d "${TMPDIR:-/tmp}/fault-campaign.XXXXXX")
disk="$work/disk"
mkdir -p "$disk"
mounted=""
cleanup() {
  local rc=$?
  # The driver kills the nodes and the broker it started when it ends (also on INT/TERM).
  if [[ -n "$mounted" ]]; then umount -l "$disk" 2>/dev/null || true; fi
  if [[ $rc -eq 0 && -z "${KEEP:-}" ]]; then
    rm -rf "$work"
  else
    echo "logs kept in $work (node*.log, broker/broker.log)" >&2
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

disk_arg=()
if mount -t tmpfs -o size=${DISK_MB:-48}m tmpfs "$disk" 2>"$work/mount.err"; then
  mounted=yes
  disk_arg=(--disk "$disk")
  echo "disk-full fault: the nodes' data dirs are on a ${DISK_MB:-48} MiB tmpfs at $disk"
else
  echo "disk-full fault SKIPPED: cannot mount a tmpfs ($(cat "$work/mount.err")); run as root to include it"
fi

python3 scripts/fault-campaign.py --duration "$duration" --sr-bin "$SR_BIN" \
  --tansu-bin "$TANSU_BIN" --workdir "$work" "${disk_arg[@]}" "$@"
