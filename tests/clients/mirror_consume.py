#!/usr/bin/env python3
"""Consumer of the mirroring test (tests/mirror.rs), with Confluent's real client.

    mirror_consume.py BOOTSTRAP REGISTRY_URL [TOPIC] [COUNT] [TIMEOUT_SECONDS]
                      [--format avro|json|protobuf] [--seq-start S] [--sr-max-retries N]
                      [--allow-failures] [--retry-seconds R] [--retry-interval I]
                      [--progress-file PATH]

Reads TOPIC (`src.orders`) from the beginning of every partition (assign(), no group
subscription) until it has COUNT (10,000) messages or TIMEOUT_SECONDS (120) pass, and
decodes each value with the stock deserializer of the format (Avro by default:
AvroDeserializer; JSONDeserializer, ProtobufDeserializer) against the registry at
REGISTRY_URL (a fresh client: every writer schema is fetched by its ID from that registry,
with the topic's subject as the hint). Checks every decoded record against what
mirror_produce.py wrote for its `seq` (the writer schema's fields, the header `seq`, the
key `order-<seq>`) and that each of S..S+COUNT-1 arrived exactly once.

A record that does not decode is counted, not fatal: its error (the first ones) and how
long that deserializer call took are reported. --sr-max-retries sets the client's
`max.retries` (3 by default: with an unreachable registry each failure then takes the
client's backoff). With --retry-seconds R the records that failed are decoded again, with
the same client, every --retry-interval seconds (0.5) until all decode or R seconds pass;
the result of the first pass is then written to --progress-file (atomically) before the
retries start, so a caller can act (restart a registry) while this runs.

Prints one JSON line on stdout: {"consumed": N, "decoded": N, "failed": N (still failing
at the end), "per_id": {"<schema id>": decoded count}, "failed_per_id": {...}, "missing":
N, "duplicates": N, "mismatches": N, "partitions": [...], "errors": [first few],
"first_error": text or null, "fail_seconds_max": s, "first_pass": {"decoded", "failed",
"failed_per_id", "first_error", "seconds"}, "retry": {"rounds", "recovered",
"seconds_to_recover"} or null, "seconds": ...}. Exits 0 when all COUNT records were
decoded and matched; with --allow-failures also when some did not decode (but all were
consumed and none mismatched).
"""

import argparse
import json
import os
import struct
import sys
import time
import warnings

try:  # see confluent_client_test.py: silence authlib's deprecation warning
    import authlib.deprecate  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*httpx module is deprecated.*")

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.serialization import (  # noqa: E402
    MessageField,
    SerializationContext,
    StringDeserializer,
)

import mirror_formats  # noqa: E402  (next to this script)


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bootstrap")
    p.add_argument("registry")
    p.add_argument("topic", nargs="?", default="src.orders")
    p.add_argument("count", nargs="?", type=int, default=10_000)
    p.add_argument("timeout", nargs="?", type=float, default=120.0)
    p.add_argument("--format", choices=mirror_formats.FORMATS, default="avro")
    p.add_argument("--seq-start", type=int, default=0, help="the first seq expected")
    p.add_argument("--sr-max-retries", type=int, help="the registry client's max.retries")
    p.add_argument("--allow-failures", action="store_true",
                   help="exit 0 even if some records did not decode")
    p.add_argument("--retry-seconds", type=float, default=0.0,
                   help="decode the failed records again for up to this long")
    p.add_argument("--retry-interval", type=float, default=0.5)
    p.add_argument("--progress-file", help="where the first pass's result is written")
    return p.parse_args()


def write_atomically(path, value):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(value, f)
    os.replace(tmp, path)


class Tally:
    """Decoded and failed records, and the checks of what was decoded."""

    def __init__(self, a, client):
        self.a = a
        self.client = client
        self.subject = f"{a.topic}-value"  # TopicNameStrategy, as the deserializer's hint
        self.deser = mirror_formats.deserializer(a.format, client)
        self.key_deser = StringDeserializer("utf_8")
        self.ctx = SerializationContext(a.topic, MessageField.VALUE)
        self.key_ctx = SerializationContext(a.topic, MessageField.KEY)
        self.decoded = self.mismatches = self.duplicates = 0
        self.per_id = {}
        self.seen = set()
        self.errors = []
        self.first_error = None
        self.fail_seconds_max = 0.0
        self.pending = []  # records that did not decode (yet)

    def note(self, msg):
        if len(self.errors) < 10:
            self.errors.append(msg)

    def failed_per_id(self):
        out = {}
        for r in self.pending:
            out[str(r["id"])] = out.get(str(r["id"]), 0) + 1
        return out

    def take(self, r):
        """Decodes record `r`; True when it decoded (checked), False when it failed."""
        where = f"offset {r['partition']}/{r['offset']} id {r['id']}"
        started = time.monotonic()
        try:
            value = self.deser(r["raw"], self.ctx)
        except Exception as e:  # noqa: BLE001 - any failure to decode counts
            took = time.monotonic() - started
            self.fail_seconds_max = max(self.fail_seconds_max, took)
            text = f"{where}: {type(e).__name__}: {e}"
            if self.first_error is None:
                self.first_error = text
            self.note(f"{text} ({took:.3f} s)")
            return False
        self.decoded += 1
        self.per_id[str(r["id"])] = self.per_id.get(str(r["id"]), 0) + 1
        fields, names = mirror_formats.writer_fields(self.a.format, value, self.client, r["id"], self.subject)
        seq = fields.get("seq")
        if not isinstance(seq, int):
            self.mismatches += 1
            self.note(f"{where}: no seq in {value!r}")
            return True
        if seq in self.seen:
            self.duplicates += 1
        self.seen.add(seq)
        key = self.key_deser(r["key"], self.key_ctx)
        want = mirror_formats.expected(seq, names, self.a.format)
        if fields != want or r["headers"].get("seq") != str(seq).encode() or key != f"order-{seq}":
            self.mismatches += 1
            self.note(f"seq {seq}: got {fields!r} key {key!r} headers {r['headers']!r}, want {want!r}")
        return True

    def summary(self):
        return {"decoded": self.decoded, "failed": len(self.pending), "failed_per_id": self.failed_per_id(),
                "first_error": self.first_error}


def main():
    a = arguments()
    started = time.monotonic()
    deadline = started + a.timeout

    consumer = Consumer({
        "bootstrap.servers": a.bootstrap,
        "broker.address.family": "v4",  # tansu: IPv4 only, as tests/common/kafka.rs
        "allow.auto.create.topics": False,
        "group.id": "mirror-consume",  # required by the client; only assign() is used
        "enable.auto.commit": False,
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
    })
    md = consumer.list_topics(a.topic, timeout=30)
    meta = md.topics.get(a.topic)
    if meta is None or meta.error is not None or not meta.partitions:
        print(json.dumps({"error": f"topic {a.topic} not found: {meta.error if meta else None}"}))
        sys.exit(1)
    partitions = sorted(meta.partitions)
    consumer.assign([TopicPartition(a.topic, p, OFFSET_BEGINNING) for p in partitions])

    sr_conf = {"url": a.registry}
    if a.sr_max_retries is not None:
        sr_conf["max.retries"] = a.sr_max_retries
    t = Tally(a, SchemaRegistryClient(sr_conf))

    consumed = 0
    while consumed < a.count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            t.note(f"consumer error: {msg.error()}")
            continue
        consumed += 1
        raw = msg.value()
        if raw is None or len(raw) < 5:
            t.mismatches += 1
            t.note(f"offset {msg.partition()}/{msg.offset()}: not Confluent-framed: {raw!r}")
            continue
        (schema_id,) = struct.unpack(">I", raw[1:5])
        r = {"partition": msg.partition(), "offset": msg.offset(), "raw": raw, "id": schema_id,
             "key": msg.key(), "headers": dict(msg.headers() or [])}
        if not t.take(r):
            t.pending.append(r)
    consumer.close()
    first_pass = {**t.summary(), "consumed": consumed, "seconds": round(time.monotonic() - started, 2)}

    retry = None
    if a.retry_seconds > 0 and t.pending:
        if a.progress_file:
            write_atomically(a.progress_file, first_pass)
        retry_started = time.monotonic()
        retry = {"rounds": 0, "recovered": 0, "seconds_to_recover": None}
        while t.pending and time.monotonic() - retry_started < a.retry_seconds:
            time.sleep(a.retry_interval)  # pacing of the retries, not a synchronisation
            retry["rounds"] += 1
            still = [r for r in t.pending if not t.take(r)]
            retry["recovered"] += len(t.pending) - len(still)
            t.pending = still
        if not t.pending:
            retry["seconds_to_recover"] = round(time.monotonic() - retry_started, 2)
    elif a.progress_file:
        write_atomically(a.progress_file, first_pass)

    expected = set(range(a.seq_start, a.seq_start + a.count))
    missing = len(expected - t.seen)
    failed = len(t.pending)
    ok = (consumed == a.count and t.mismatches == 0 and t.duplicates == 0
          and (a.allow_failures or (failed == 0 and t.decoded == a.count and missing == 0)))
    print(json.dumps({
        "consumed": consumed, "decoded": t.decoded, "failed": failed, "per_id": t.per_id,
        "failed_per_id": t.failed_per_id(), "missing": missing, "duplicates": t.duplicates,
        "mismatches": t.mismatches, "partitions": partitions, "errors": t.errors,
        "first_error": t.first_error, "fail_seconds_max": round(t.fail_seconds_max, 3),
        "first_pass": first_pass, "retry": retry, "format": a.format,
        "seconds": round(time.monotonic() - started, 2),
    }), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - report anything as the JSON line
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
        sys.exit(1)
