#!/usr/bin/env python3
"""Associations (Confluent 8.2) through Confluent's real Python client (confluent-kafka).

Since 2.14 the serializers' default subject name strategy is AssociatedNameStrategy: on
the first record for a topic it asks ``GET /associations/resources/-/{topic}
?resourceType=topic&associationType=value`` and takes the subject of the one association
found, else falls back to TopicNameStrategy (``{topic}-value``). The client also creates
and deletes associations (``create_association``, ``delete_associations``) and lists them
(``get_associations_by_resource_name``).

Checked: with nothing associated a topic's records go to ``{topic}-value``; an
association created with a schema (a frozen STRONG one on ``:.{namespace}:{topic}-value``)
is listed as the client reads it; a fresh serializer with the default strategy then
writes under that subject with the association's schema ID, and a fresh deserializer reads
the record back; deleting with ``cascadeLifecycle`` takes the subject with it. No broker:
the serdes are called with a SerializationContext.

Each check prints what it verifies; the run ends with "N passed, N failed" and exits
non-zero on any failure. Run through tests/clients/run.sh.
"""

import json
import os
import sys
import traceback
import urllib.error
import urllib.request
import warnings

try:  # see confluent_client_test.py: authlib forces a deprecation warning on import
    import authlib.deprecate  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*httpx module is deprecated.*")

from confluent_kafka.schema_registry import (  # noqa: E402
    AssociationCreateOrUpdateInfo,
    AssociationCreateOrUpdateRequest,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

SR_URL = os.environ.get("SR_URL")
if not SR_URL:
    sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")

SCHEMA = json.dumps({"type": "record", "name": "Order", "namespace": "assoc.test",
                     "fields": [{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}]})
passed = 0
failed = 0


def fresh():
    return SchemaRegistryClient({"url": SR_URL})


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what} {detail}")


def eq(what, got, want):
    check(what, got == want, f"got {got!r}, want {want!r}")


def http_get(path):
    req = urllib.request.Request(SR_URL.rstrip("/") + path)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def q(subject):
    return urllib.request.quote(subject, safe="")


def roundtrip(topic, record):
    """Serializes with a fresh client and the default strategy, reads back with another."""
    ser = AvroSerializer(fresh(), SCHEMA)
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = ser(record, ctx)
    de = AvroDeserializer(fresh())
    return data, de(data, ctx)


def main():
    record = {"id": "o-1", "qty": 3}
    # Nothing associated: the fallback is TopicNameStrategy.
    data, back = roundtrip("plain", record)
    eq("nothing associated: the record is read back", back, record)
    status, versions = http_get("/subjects/plain-value/versions")
    eq("nothing associated: registered under plain-value", (status, versions), (200, [1]))

    client = fresh()
    created = client.create_association(AssociationCreateOrUpdateRequest(
        resource_name="orders", resource_namespace="lkc-1", resource_id="orders-id",
        associations=[AssociationCreateOrUpdateInfo(schema=Schema(SCHEMA, "AVRO"))]))
    infos = created.associations or []
    eq("create_association: one association written", len(infos), 1)
    subject = ":.lkc-1:orders-value"
    if infos:
        eq("create_association: on the default subject", infos[0].subject, subject)
        eq("create_association: frozen", infos[0].frozen, True)
        eq("create_association: STRONG", infos[0].lifecycle, "STRONG")
    listed = client.get_associations_by_resource_name("orders", "-", "topic", ["value"])
    eq("get_associations_by_resource_name: one", len(listed), 1)
    if listed:
        eq("listed: subject", listed[0].subject, subject)
        eq("listed: resource id", listed[0].resource_id, "orders-id")
        check("listed: a guid", bool(listed[0].guid), repr(listed[0].guid))
    status, latest = http_get(f"/subjects/{q(subject)}/versions/latest")
    eq("the association's schema is version 1 of its subject", (status, latest.get("version")), (200, 1))

    # The default strategy now finds the association: same subject, same schema ID.
    data, back = roundtrip("orders", record)
    eq("associated topic: the record is read back", back, record)
    eq("associated topic: written with the association's schema ID",
       int.from_bytes(data[1:5], "big"), latest.get("id"))
    status, versions = http_get("/subjects/orders-value/versions")
    eq("associated topic: nothing under orders-value", status, 404)

    client.delete_associations("orders-id", cascade_lifecycle=True)
    eq("delete_associations: none left",
       len(fresh().get_associations_by_resource_name("orders", "-")), 0)
    status, _ = http_get(f"/subjects/{q(subject)}/versions")
    eq("delete_associations with cascade: the subject went too", status, 404)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - a crash is a failure with its trace
        failed += 1
        traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
