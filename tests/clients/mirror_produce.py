#!/usr/bin/env python3
"""Avro producer of the mirroring test (tests/mirror.rs), with Confluent's real client.

    mirror_produce.py BOOTSTRAP REGISTRY_URL [TOPIC] [COUNT] [PARTITIONS]

Writes COUNT (10,000) records to TOPIC (`orders`, created with PARTITIONS partitions when
missing) with confluent_kafka's Producer and AvroSerializer against the registry at
REGISTRY_URL (auto.register.schemas), while the value schema evolves through three
BACKWARD-compatible versions of `shop.Order` (a third of the records each): v2 adds
`currency` with a default, v3 adds the optional `note`. Every record carries its sequence
number `seq` (0..COUNT-1), in the value and in the header `seq`; the key is `order-<seq>`;
the other fields are functions of `seq` (see `record`), so the consumer can check them.

Prints one JSON line on stdout: {"produced": N, "per_id": {"<schema id>": count, ...},
"ids": [id of v1, v2, v3], "seconds": ...}; exits non-zero (a JSON line with "error")
on any failure. Librdkafka's logs go to stderr.
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

from confluent_kafka import KafkaException, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from confluent_kafka.error import KafkaError  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroSerializer  # noqa: E402
from confluent_kafka.serialization import (  # noqa: E402
    MessageField,
    SerializationContext,
    StringSerializer,
)

V1_FIELDS = [
    {"name": "seq", "type": "long"},
    {"name": "customer", "type": "string"},
    {"name": "amount", "type": "double"},
]
V2_FIELDS = V1_FIELDS + [{"name": "currency", "type": "string", "default": "EUR"}]
V3_FIELDS = V2_FIELDS + [{"name": "note", "type": ["null", "string"], "default": None}]
VERSIONS = [
    {"type": "record", "name": "Order", "namespace": "shop", "fields": fields}
    for fields in (V1_FIELDS, V2_FIELDS, V3_FIELDS)
]


def record(seq, version):
    """The value of record `seq` written with schema version `version` (1..3)."""
    r = {"seq": seq, "customer": f"customer-{seq % 97}", "amount": seq * 1.25}
    if version >= 2:
        r["currency"] = ["EUR", "USD", "CHF"][seq % 3]
    if version >= 3:
        r["note"] = None if seq % 2 else f"note-{seq}"
    return r


def fail(msg, **extra):
    print(json.dumps({"error": msg, **extra}), flush=True)
    sys.exit(1)


def ensure_topic(conf, topic, partitions):
    admin = AdminClient(conf)
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  operation_timeout=30, request_timeout=30)
    try:
        futures[topic].result(timeout=60)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def main():
    if len(sys.argv) < 3:
        fail("usage: mirror_produce.py BOOTSTRAP REGISTRY_URL [TOPIC] [COUNT] [PARTITIONS]")
    bootstrap, registry = sys.argv[1], sys.argv[2]
    topic = sys.argv[3] if len(sys.argv) > 3 else "orders"
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
    partitions = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    started = time.monotonic()

    # As tests/common/kafka.rs's client_config: IPv4 (tansu), no topic auto-creation.
    conf = {"bootstrap.servers": bootstrap, "broker.address.family": "v4"}
    ensure_topic(conf, topic, partitions)

    sr = SchemaRegistryClient({"url": registry})
    serializers = [AvroSerializer(sr, json.dumps(s), conf={"auto.register.schemas": True})
                   for s in VERSIONS]
    key_ser = StringSerializer("utf_8")
    producer = Producer({**conf,
                         "allow.auto.create.topics": False,
                         "acks": "all",
                         "enable.idempotence": True,
                         "linger.ms": 5})

    errors = []
    delivered = [0]

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered[0] += 1

    per_id = {}
    ids = []
    ctx = SerializationContext(topic, MessageField.VALUE)
    for seq in range(count):
        version = min(3, seq * 3 // count + 1)
        value = serializers[version - 1](record(seq, version), ctx)
        (schema_id,) = struct.unpack(">I", value[1:5])
        if len(ids) < version:
            ids.append(schema_id)
        per_id[str(schema_id)] = per_id.get(str(schema_id), 0) + 1
        key = key_ser(f"order-{seq}", SerializationContext(topic, MessageField.KEY))
        while True:
            try:
                producer.produce(topic, key=key, value=value,
                                 headers=[("seq", str(seq).encode())], on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
        if errors:
            fail("delivery failed", first=errors[:5], produced=delivered[0])
    left = producer.flush(120)
    if left or errors or delivered[0] != count:
        fail("not all records were delivered", left=left, first=errors[:5],
             delivered=delivered[0])
    print(json.dumps({"produced": delivered[0], "per_id": per_id, "ids": ids,
                      "seconds": round(time.monotonic() - started, 2)}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - report anything as the JSON line
        fail(f"{type(e).__name__}: {e}")
