#!/usr/bin/env python3
"""Producer of the mirroring test (tests/mirror.rs), with Confluent's real client.

    mirror_produce.py BOOTSTRAP REGISTRY_URL [TOPIC] [COUNT] [PARTITIONS]
                      [--format avro|json|protobuf] [--versions V | --only-version N]
                      [--seq-start S]

Writes COUNT (10,000) records to TOPIC (`orders`, created with PARTITIONS partitions when
missing) with confluent_kafka's Producer and the stock serializer of the format (Avro by
default: AvroSerializer; JSONSerializer, ProtobufSerializer) against the registry at
REGISTRY_URL (auto.register.schemas), while the value schema evolves through V (3)
BACKWARD-compatible versions of `Order` (an equal share of the records each; the versions
are in mirror_formats.py): v2 adds `currency`, v3 the optional `note`, v4 `channel`, v5
`priority`. With --only-version N every record is written with version N (registered by
the serializer if new: a version added after the consumers started). Every record carries
its sequence number `seq` (S..S+COUNT-1, S = --seq-start, 0), in the value and in the
header `seq`; the key is `order-<seq>`; the other fields are functions of `seq`
(mirror_formats.record), so the consumer can check them.

Prints one JSON line on stdout: {"produced": N, "per_id": {"<schema id>": count, ...},
"ids": [schema IDs in version order], "version_ids": {"<version>": id}, "format": ...,
"seconds": ...}; exits non-zero (a JSON line with "error") on any failure. Librdkafka's logs
go to stderr.
"""

import argparse
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
from confluent_kafka.serialization import (  # noqa: E402
    MessageField,
    SerializationContext,
    StringSerializer,
)

import mirror_formats  # noqa: E402  (next to this script)


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


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bootstrap")
    p.add_argument("registry")
    p.add_argument("topic", nargs="?", default="orders")
    p.add_argument("count", nargs="?", type=int, default=10_000)
    p.add_argument("partitions", nargs="?", type=int, default=1)
    p.add_argument("--format", choices=mirror_formats.FORMATS, default="avro")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--versions", type=int, default=3, help="spread the records over versions 1..V")
    which.add_argument("--only-version", type=int, help="write every record with version N")
    p.add_argument("--seq-start", type=int, default=0, help="the first record's seq")
    a = p.parse_args()
    for v in (a.versions, a.only_version):
        if v is not None and not 1 <= v <= mirror_formats.VERSIONS:
            p.error(f"versions are 1..{mirror_formats.VERSIONS}")
    return a


def main():
    a = arguments()
    started = time.monotonic()

    # As tests/common/kafka.rs's client_config: IPv4 (tansu), no topic auto-creation.
    conf = {"bootstrap.servers": a.bootstrap, "broker.address.family": "v4"}
    ensure_topic(conf, a.topic, a.partitions)

    sr = SchemaRegistryClient({"url": a.registry})
    versions = [a.only_version] if a.only_version else list(range(1, a.versions + 1))
    serializers = {v: mirror_formats.serializer(a.format, sr, v) for v in versions}
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
    version_ids = {}
    ctx = SerializationContext(a.topic, MessageField.VALUE)
    for i in range(a.count):
        seq = a.seq_start + i
        version = versions[min(len(versions) - 1, i * len(versions) // a.count)]
        ser, to_value = serializers[version]
        value = ser(to_value(mirror_formats.record(seq, version, a.format)), ctx)
        (schema_id,) = struct.unpack(">I", value[1:5])
        version_ids.setdefault(version, schema_id)
        per_id[str(schema_id)] = per_id.get(str(schema_id), 0) + 1
        key = key_ser(f"order-{seq}", SerializationContext(a.topic, MessageField.KEY))
        while True:
            try:
                producer.produce(a.topic, key=key, value=value,
                                 headers=[("seq", str(seq).encode())], on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
        if errors:
            fail("delivery failed", first=errors[:5], produced=delivered[0])
    left = producer.flush(120)
    if left or errors or delivered[0] != a.count:
        fail("not all records were delivered", left=left, first=errors[:5],
             delivered=delivered[0])
    ids = [version_ids[v] for v in sorted(version_ids)]
    print(json.dumps({"produced": delivered[0], "per_id": per_id, "ids": ids,
                      "version_ids": {str(v): i for v, i in sorted(version_ids.items())},
                      "format": a.format, "seconds": round(time.monotonic() - started, 2)}),
          flush=True)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - report anything as the JSON line
        fail(f"{type(e).__name__}: {e}")
