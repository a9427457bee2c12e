#!/usr/bin/env python3
"""64 consumers starting at once against one registry (tests/mirror.rs, fetch-through).

    mirror_burst.py BOOTSTRAP REGISTRY_URL TOPIC [--format avro|json|protobuf]
                    [--threads 64] [--per-id K] [--timeout SECONDS]

Reads TOPIC (`src.orders-avro`) once, from the beginning of every partition to its high
watermark, and keeps the first K (20) records of each schema ID, in topic order. Then
THREADS threads, each with its own SchemaRegistryClient and stock deserializer (fresh
caches: every writer schema is fetched from REGISTRY_URL by its ID with `?subject=` the
topic's subject, as a consumer does), wait on one barrier and, released together, each
decode all the kept records and check them (mirror_formats: the writer's fields, the
header `seq`, the key). The client's `max.retries` is 0, so every request counts once.

Prints one JSON line on stdout: {"threads": N, "records_per_thread": N, "ids": [distinct
schema IDs], "decoded": N, "failed": N, "mismatches": N, "first_error": text or null,
"first_decode_ms": {"min", "p50", "p99", "max"} (from the barrier's release to a thread's
first decoded record), "thread_ms": {...} (to its last), "wall_ms": (release to the last
thread's end), "seconds": ...}; exits non-zero unless every thread decoded every record.
"""

import argparse
import json
import math
import struct
import sys
import threading
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
    p.add_argument("topic")
    p.add_argument("--format", choices=mirror_formats.FORMATS, default="avro")
    p.add_argument("--threads", type=int, default=64)
    p.add_argument("--per-id", type=int, default=20)
    p.add_argument("--timeout", type=float, default=120.0)
    return p.parse_args()


def read_records(a, deadline):
    """The first --per-id records of each schema ID, in topic order (partition by partition)."""
    consumer = Consumer({
        "bootstrap.servers": a.bootstrap,
        "broker.address.family": "v4",
        "allow.auto.create.topics": False,
        "group.id": "mirror-burst",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
    })
    md = consumer.list_topics(a.topic, timeout=30)
    meta = md.topics.get(a.topic)
    if meta is None or meta.error is not None or not meta.partitions:
        raise RuntimeError(f"topic {a.topic} not found: {meta.error if meta else None}")
    ends = {p: consumer.get_watermark_offsets(TopicPartition(a.topic, p), timeout=30)[1]
            for p in sorted(meta.partitions)}
    consumer.assign([TopicPartition(a.topic, p, OFFSET_BEGINNING) for p in ends])
    done = {p: end == 0 for p, end in ends.items()}
    by_partition = {p: [] for p in ends}
    while not all(done.values()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out reading {a.topic} to its end {ends}")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            raise RuntimeError(f"consumer error: {msg.error()}")
        by_partition[msg.partition()].append(msg)
        if msg.offset() + 1 >= ends[msg.partition()]:
            done[msg.partition()] = True
    consumer.close()
    kept, per_id = [], {}
    for p in sorted(by_partition):
        for msg in by_partition[p]:
            raw = msg.value()
            (schema_id,) = struct.unpack(">I", raw[1:5])
            if per_id.get(schema_id, 0) < a.per_id:
                per_id[schema_id] = per_id.get(schema_id, 0) + 1
                kept.append({"raw": raw, "id": schema_id, "key": msg.key(),
                             "headers": dict(msg.headers() or [])})
    return kept, sorted(per_id)


def percentiles(values):
    s = sorted(values)
    if not s:
        return None

    def rank(q):  # nearest rank
        return round(s[min(len(s), max(1, math.ceil(q * len(s)))) - 1], 1)

    return {"min": round(s[0], 1), "p50": rank(0.5), "p99": rank(0.99), "max": round(s[-1], 1)}


def main():
    a = arguments()
    started = time.monotonic()
    deadline = started + a.timeout
    records, ids = read_records(a, deadline)
    subject = f"{a.topic}-value"
    ctx = SerializationContext(a.topic, MessageField.VALUE)
    key_ctx = SerializationContext(a.topic, MessageField.KEY)
    key_deser = StringDeserializer("utf_8")

    barrier = threading.Barrier(a.threads + 1)
    results = [None] * a.threads

    def run(i):
        client = SchemaRegistryClient({"url": a.registry, "max.retries": 0})
        deser = mirror_formats.deserializer(a.format, client)
        res = {"decoded": 0, "failed": 0, "mismatches": 0, "first_error": None, "first_ms": None}
        barrier.wait()
        t0 = time.monotonic()
        for r in records:
            try:
                value = deser(r["raw"], ctx)
            except Exception as e:  # noqa: BLE001 - any failure to decode counts
                res["failed"] += 1
                if res["first_error"] is None:
                    res["first_error"] = f"id {r['id']}: {type(e).__name__}: {e}"
                continue
            if res["first_ms"] is None:
                res["first_ms"] = (time.monotonic() - t0) * 1000
            res["decoded"] += 1
            fields, names = mirror_formats.writer_fields(a.format, value, client, r["id"], subject)
            seq = fields.get("seq")
            want = mirror_formats.expected(seq, names, a.format) if isinstance(seq, int) else None
            if (fields != want or r["headers"].get("seq") != str(seq).encode()
                    or key_deser(r["key"], key_ctx) != f"order-{seq}"):
                res["mismatches"] += 1
                if res["first_error"] is None:
                    res["first_error"] = f"id {r['id']}: got {fields!r}, want {want!r}"
        res["thread_ms"] = (time.monotonic() - t0) * 1000
        results[i] = res

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(a.threads)]
    for t in threads:
        t.start()
    barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
    released = time.monotonic()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    wall_ms = (time.monotonic() - released) * 1000
    if any(t.is_alive() for t in threads) or any(r is None for r in results):
        print(json.dumps({"error": f"threads still running after {a.timeout} s"}), flush=True)
        sys.exit(1)

    decoded = sum(r["decoded"] for r in results)
    failed = sum(r["failed"] for r in results)
    mismatches = sum(r["mismatches"] for r in results)
    first_error = next((r["first_error"] for r in results if r["first_error"]), None)
    out = {
        "threads": a.threads, "records_per_thread": len(records), "ids": ids,
        "decoded": decoded, "failed": failed, "mismatches": mismatches, "first_error": first_error,
        "first_decode_ms": percentiles([r["first_ms"] for r in results if r["first_ms"] is not None]),
        "thread_ms": percentiles([r["thread_ms"] for r in results]),
        "wall_ms": round(wall_ms, 1), "format": a.format,
        "seconds": round(time.monotonic() - started, 2),
    }
    print(json.dumps(out), flush=True)
    ok = decoded == a.threads * len(records) and failed == 0 and mismatches == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - report anything as the JSON line
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
        sys.exit(1)
