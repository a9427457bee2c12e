#!/usr/bin/env python3
"""Avro consumer of the mirroring test (tests/mirror.rs), with Confluent's real client.

    mirror_consume.py BOOTSTRAP REGISTRY_URL [TOPIC] [COUNT] [TIMEOUT_SECONDS]

Reads TOPIC (`src.orders`) from the beginning of every partition (assign(), no group
subscription) until it has COUNT (10,000) messages or TIMEOUT_SECONDS (120) pass, and
decodes each value with AvroDeserializer against the registry at REGISTRY_URL (a fresh
client: every writer schema is fetched by its ID from that registry). Checks every
decoded record against what mirror_produce.py wrote for its `seq` (fields, the header
`seq`, the key `order-<seq>`) and that each of 0..COUNT-1 arrived exactly once.

Prints one JSON line on stdout: {"consumed": N, "decoded": N, "failed": N,
"per_id": {"<schema id>": count}, "missing": N, "duplicates": N, "mismatches": N,
"errors": [first few], "seconds": ...}; exits non-zero unless all COUNT records were
decoded and matched.
"""

import json
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
from confluent_kafka.schema_registry.avro import AvroDeserializer  # noqa: E402
from confluent_kafka.serialization import (  # noqa: E402
    MessageField,
    SerializationContext,
    StringDeserializer,
)


def expected(seq, fields):
    """What mirror_produce.py wrote for `seq`, restricted to the writer's fields."""
    full = {
        "seq": seq,
        "customer": f"customer-{seq % 97}",
        "amount": seq * 1.25,
        "currency": ["EUR", "USD", "CHF"][seq % 3],
        "note": None if seq % 2 else f"note-{seq}",
    }
    return {k: full[k] for k in fields}


def main():
    if len(sys.argv) < 3:
        print(json.dumps({"error": "usage: mirror_consume.py BOOTSTRAP REGISTRY_URL [TOPIC] [COUNT] [TIMEOUT]"}))
        sys.exit(2)
    bootstrap, registry = sys.argv[1], sys.argv[2]
    topic = sys.argv[3] if len(sys.argv) > 3 else "src.orders"
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 120.0
    started = time.monotonic()
    deadline = started + timeout

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",  # tansu: IPv4 only, as tests/common/kafka.rs
        "allow.auto.create.topics": False,
        "group.id": "mirror-consume",  # required by the client; only assign() is used
        "enable.auto.commit": False,
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
    })
    md = consumer.list_topics(topic, timeout=30)
    meta = md.topics.get(topic)
    if meta is None or meta.error is not None or not meta.partitions:
        print(json.dumps({"error": f"topic {topic} not found: {meta.error if meta else None}"}))
        sys.exit(1)
    partitions = sorted(meta.partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])

    deser = AvroDeserializer(SchemaRegistryClient({"url": registry}))
    key_deser = StringDeserializer("utf_8")
    ctx = SerializationContext(topic, MessageField.VALUE)
    key_ctx = SerializationContext(topic, MessageField.KEY)

    consumed = decoded = failed = mismatches = duplicates = 0
    per_id = {}
    seen = set()
    errors = []

    def note(msg):
        if len(errors) < 10:
            errors.append(msg)

    while consumed < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            note(f"consumer error: {msg.error()}")
            continue
        consumed += 1
        raw = msg.value()
        if raw is None or len(raw) < 5:
            failed += 1
            note(f"offset {msg.partition()}/{msg.offset()}: not Confluent-framed: {raw!r}")
            continue
        (schema_id,) = struct.unpack(">I", raw[1:5])
        try:
            value = deser(raw, ctx)
        except Exception as e:  # noqa: BLE001 - any failure to decode counts
            failed += 1
            note(f"offset {msg.partition()}/{msg.offset()} id {schema_id}: {type(e).__name__}: {e}")
            continue
        decoded += 1
        per_id[str(schema_id)] = per_id.get(str(schema_id), 0) + 1
        seq = value.get("seq") if isinstance(value, dict) else None
        if not isinstance(seq, int):
            mismatches += 1
            note(f"offset {msg.partition()}/{msg.offset()}: no seq in {value!r}")
            continue
        if seq in seen:
            duplicates += 1
        seen.add(seq)
        headers = dict(msg.headers() or [])
        key = key_deser(msg.key(), key_ctx)
        want = expected(seq, list(value.keys()))
        if value != want or headers.get("seq") != str(seq).encode() or key != f"order-{seq}":
            mismatches += 1
            note(f"seq {seq}: got {value!r} key {key!r} headers {headers!r}, want {want!r}")
    consumer.close()

    missing = len(set(range(count)) - seen)
    ok = decoded == count and failed == 0 and mismatches == 0 and duplicates == 0 and missing == 0
    print(json.dumps({
        "consumed": consumed, "decoded": decoded, "failed": failed, "per_id": per_id,
        "missing": missing, "duplicates": duplicates, "mismatches": mismatches,
        "partitions": partitions, "errors": errors,
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
