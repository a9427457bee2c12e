#!/usr/bin/env python3
"""JSON Schema through Confluent's real Python client (confluent-kafka), unchanged.

Drives confluent_kafka.schema_registry's JSONSerializer / JSONDeserializer and
SchemaRegistryClient against the server at $SR_URL: round trips in the default
configuration (auto-registration, default subject name strategy), with
use.latest.version and with a lookup only, a schema whose "$ref" points at a
schema registered under another subject, and the validation both serde sides do.
No broker: serialize -> bytes -> deserialize.

Each check prints what it verifies; the run ends with "N passed, N failed" and
exits non-zero on any failure. Wherever a call must reach the server a fresh
client (empty caches) is used. Run through tests/clients/run.sh.
"""

import json
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings

try:  # see confluent_client_test.py: authlib forces a deprecation warning on import
    import authlib.deprecate  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*httpx module is deprecated.*")

import confluent_kafka  # noqa: E402
from confluent_kafka.schema_registry import (  # noqa: E402
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError  # noqa: E402

SR_URL = os.environ.get("SR_URL")
if not SR_URL:
    sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")

RUN = uuid.uuid4().hex[:8]  # unique per run: the test also runs against a non-empty registry

PASSED = 0
FAILED = 0
FAILURES = []


def fresh():
    """A new client with empty caches, so every call goes to the server."""
    return SchemaRegistryClient({"url": SR_URL})


def check(what, cond, detail=""):
    global PASSED
    if not cond:
        raise AssertionError(f"{what}: {detail}" if detail else what)
    PASSED += 1
    print(f"  ok   {what}")


def eq(what, got, want):
    check(what, got == want, f"got {got!r}, want {want!r}")


def http_get(path):
    """GET SR_URL + path without any client: (status, parsed JSON body)."""
    req = urllib.request.Request(SR_URL.rstrip("/") + path,
                                 headers={"Accept": "application/vnd.schemaregistry.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body.decode("utf-8", "replace")


def q(subject):
    return urllib.parse.quote(subject, safe="")


def expect_error(what, fn, status, code):
    """fn() must raise SchemaRegistryError with this HTTP status and error_code."""
    try:
        res = fn()
    except SchemaRegistryError as e:
        check(f"{what} -> HTTP {status} / error_code {code}",
              e.http_status_code == status and e.error_code == code,
              f"got HTTP {e.http_status_code} / error_code {e.error_code}: {e.error_message}")
        return e
    raise AssertionError(f"{what}: expected SchemaRegistryError {status}/{code}, got result {res!r}")


def expect_serialization_error(what, fn, needle):
    """fn() must raise the serde's SerializationError whose message mentions needle."""
    try:
        res = fn()
    except SerializationError as e:
        check(what, needle in str(e), f"SerializationError {e!r} does not mention {needle!r}")
        return
    raise AssertionError(f"{what}: expected SerializationError, got result {res!r}")


def framed(schema_id, payload):
    """Confluent framing by hand: magic byte 0, 4-byte big-endian id, then the JSON text."""
    return b"\x00" + schema_id.to_bytes(4, "big") + json.dumps(payload).encode()


def header(data):
    return data[0], int.from_bytes(data[1:5], "big")


DRAFT7 = "http://json-schema.org/draft-07/schema#"

ORDER = {
    "$schema": DRAFT7,
    "title": "Order",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "item": {"type": "string"},
        "qty": {"type": "integer", "minimum": 1},
        "price": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "note": {"type": ["string", "null"]},
    },
    "required": ["id", "item", "qty"],
    "additionalProperties": False,
}
ORDER_MSG = {"id": 1234567890123, "item": "widget", "qty": 3, "price": 9.5, "tags": ["a", "b"], "note": None}

# The referenced schema; its reference name, its "$id" and the "$ref" that points at it agree.
ADDRESS = {
    "$schema": DRAFT7,
    "$id": "address.json",
    "title": "Address",
    "type": "object",
    "properties": {"street": {"type": "string"}, "zip": {"type": "integer"}},
    "required": ["street", "zip"],
}
PERSON = {
    "$schema": DRAFT7,
    "title": "Person",
    "type": "object",
    "properties": {"name": {"type": "string"}, "home": {"$ref": "address.json"}},
    "required": ["name", "home"],
}
PERSON_MSG = {"name": "Ada", "home": {"street": "Main St", "zip": 12345}}


def js(d, refs=None):
    return Schema(json.dumps(d), "JSON", refs or [])


# --------------------------------------------------------------------------
# Scenarios: each independent (own subjects); a failed check stops its scenario.
# --------------------------------------------------------------------------


def scenario_registry_calls():
    subject = f"json-plain-{RUN}-value"
    sid = fresh().register_schema(subject, js(ORDER))
    check(f"register_schema(JSON) returned an int id ({sid})", isinstance(sid, int) and sid > 0)
    eq("registering it again (fresh client) gives the same id", fresh().register_schema(subject, js(ORDER)), sid)
    s = fresh().get_schema(sid)
    eq("get_schema(id).schema_type", s.schema_type, "JSON")
    eq("get_schema(id).schema_str parses to the registered schema", json.loads(s.schema_str), ORDER)
    r = fresh().lookup_schema(subject, js(ORDER))
    eq("lookup_schema(JSON) -> (id, version, subject)", (r.schema_id, r.version, r.subject), (sid, 1, subject))
    latest = fresh().get_latest_version(subject)
    eq("get_latest_version() -> (id, version)", (latest.schema_id, latest.version), (sid, 1))
    eq("get_latest_version().schema.schema_type", latest.schema.schema_type, "JSON")
    status, body = http_get(f"/subjects/{q(subject)}/versions/latest")
    eq("GET /subjects/{s}/versions/latest status", status, 200)
    eq('GET /subjects/{s}/versions/latest has "schemaType":"JSON"', body.get("schemaType"), "JSON")
    status, body = http_get(f"/schemas/ids/{sid}")
    eq('GET /schemas/ids/{id} has "schemaType":"JSON"', (status, body.get("schemaType")), (200, "JSON"))
    types = fresh().get_schema_types()
    check(f"get_schema_types() includes JSON ({types})", "JSON" in types, repr(types))
    expect_error("register_schema(JSON that is not a JSON document)",
                 lambda: fresh().register_schema(subject, Schema("{not json", "JSON")), 422, 42201)
    expect_error("register_schema(JSON Schema with an invalid keyword value: type 42)",
                 lambda: fresh().register_schema(subject, Schema('{"type": 42}', "JSON")), 422, 42201)


def scenario_serde_default_config():
    topic = f"json-orders-{RUN}"
    subject = f"{topic}-value"  # the default strategy (ASSOCIATED) falls back to TopicNameStrategy
    ctx = SerializationContext(topic, MessageField.VALUE)

    ser = JSONSerializer(json.dumps(ORDER), fresh())  # default conf: auto.register.schemas=True
    data = ser(ORDER_MSG, ctx)
    print(f"  ..   serialized {len(data)} bytes: {data[:5].hex()} {data[5:40]!r}...")
    latest = fresh().get_latest_version(subject)
    eq("the serializer registered the schema under the topic's subject as version 1", latest.version, 1)
    eq("what it registered is the serializer's schema", json.loads(latest.schema.schema_str), ORDER)
    status, body = http_get(f"/subjects/{q(subject)}/versions/latest")
    eq('GET /subjects/{s}/versions/latest: (status, schemaType, id)',
       (status, body.get("schemaType"), body.get("id")), (200, "JSON", latest.schema_id))
    eq("payload header: magic byte 0 and the registered id", header(data), (0, latest.schema_id))
    eq("payload body is the message as JSON", json.loads(data[5:]), ORDER_MSG)
    eq("the same serializer again gives the same bytes", ser(ORDER_MSG, ctx), data)
    eq("a new serializer (fresh client) registers nothing new and gives the same id",
       header(JSONSerializer(json.dumps(ORDER), fresh())(ORDER_MSG, ctx)), (0, latest.schema_id))
    eq("versions after two serializers", fresh().get_versions(subject), [1])

    out = JSONDeserializer(None, schema_registry_client=fresh())(data, ctx)
    eq("JSONDeserializer (no schema; fetches the writer's by id) returns the message", out, ORDER_MSG)
    out = JSONDeserializer(json.dumps(ORDER), schema_registry_client=fresh())(data, ctx)
    eq("JSONDeserializer with a reader schema returns the message", out, ORDER_MSG)

    # Validation on both sides.
    expect_serialization_error("the serializer refuses a message missing a required property",
                               lambda: ser({"id": 1, "item": "x"}, ctx), "qty")
    expect_serialization_error("the serializer refuses qty=0 (minimum 1)",
                               lambda: ser(dict(ORDER_MSG, qty=0), ctx), "0")
    bad = framed(latest.schema_id, dict(ORDER_MSG, qty="three"))
    expect_serialization_error("the deserializer validates against the schema it fetched (qty is a string)",
                               lambda: JSONDeserializer(None, schema_registry_client=fresh())(bad, ctx), "three")
    extra = framed(latest.schema_id, dict(ORDER_MSG, colour="red"))
    expect_serialization_error("the deserializer refuses an extra property (additionalProperties false)",
                               lambda: JSONDeserializer(None, schema_registry_client=fresh())(extra, ctx),
                               "colour")


def scenario_serde_latest_and_lookup():
    topic = f"json-latest-{RUN}"
    subject = f"{topic}-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    sid = fresh().register_schema(subject, js(ORDER))

    ser = JSONSerializer(json.dumps(ORDER), fresh(),
                         conf={"auto.register.schemas": False, "use.latest.version": True})
    data = ser(ORDER_MSG, ctx)
    eq("use.latest.version: header carries the latest version's id", header(data), (0, sid))
    eq("use.latest.version payload round-trips",
       JSONDeserializer(None, schema_registry_client=fresh())(data, ctx), ORDER_MSG)
    out = JSONDeserializer(None, schema_registry_client=fresh(), conf={"use.latest.version": True})(data, ctx)
    eq("JSONDeserializer with use.latest.version returns the message", out, ORDER_MSG)

    ser = JSONSerializer(json.dumps(ORDER), fresh(), conf={"auto.register.schemas": False})
    data = ser(ORDER_MSG, ctx)
    eq("auto.register.schemas=False (lookup): header carries the id", header(data), (0, sid))
    eq("the lookup registered nothing", fresh().get_versions(subject), [1])

    unknown = dict(ORDER, title="Unregistered")
    ser = JSONSerializer(json.dumps(unknown), fresh(), conf={"auto.register.schemas": False})
    try:
        ser(ORDER_MSG, ctx)
    except Exception as e:  # the serializer may wrap the registry error
        cause = e if isinstance(e, SchemaRegistryError) else (e.__cause__ or e.__context__)
        check("auto.register.schemas=False with an unregistered schema fails with 40403",
              isinstance(cause, SchemaRegistryError) and (cause.http_status_code, cause.error_code) == (404, 40403),
              f"{type(e).__name__}: {e}")
    else:
        raise AssertionError("serializing with an unregistered schema and auto.register.schemas=False succeeded")


def scenario_references():
    addr_subject = f"address-{RUN}"
    topic = f"json-person-{RUN}"
    subject = f"{topic}-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    refs = [SchemaReference("address.json", addr_subject, 1)]

    addr_id = fresh().register_schema(addr_subject, js(ADDRESS))
    check(f"the referenced schema registers under its own subject (id {addr_id})", isinstance(addr_id, int))
    pid = fresh().register_schema(subject, js(PERSON, refs))
    check(f"a schema whose $ref names the reference registers (id {pid})", isinstance(pid, int) and pid != addr_id)
    latest = fresh().get_latest_version(subject)
    eq("get_latest_version() returns the reference",
       [(r.name, r.subject, r.version) for r in latest.schema.references], [("address.json", addr_subject, 1)])
    eq("get_latest_version().schema.schema_type", latest.schema.schema_type, "JSON")
    eq("lookup_schema(with the reference).schema_id", fresh().lookup_schema(subject, js(PERSON, refs)).schema_id, pid)
    eq("get_referenced_by(address, 1)", fresh().get_referenced_by(addr_subject, 1), [pid])

    # Serializers: use.latest.version, then the default configuration with the references given.
    ser = JSONSerializer(js(PERSON, refs), fresh(), conf={"auto.register.schemas": False, "use.latest.version": True})
    data = ser(PERSON_MSG, ctx)
    eq("use.latest.version with a reference: header carries the referencing schema's id", header(data), (0, pid))
    data2 = JSONSerializer(js(PERSON, refs), fresh())(PERSON_MSG, ctx)
    eq("default configuration with a reference: registers the same schema, same id", header(data2), (0, pid))
    eq("still one version", fresh().get_versions(subject), [1])
    eq("the deserializer resolves the reference and returns the message",
       JSONDeserializer(None, schema_registry_client=fresh())(data, ctx), PERSON_MSG)

    bad = dict(PERSON_MSG, home={"street": "Main St", "zip": "12345"})
    expect_serialization_error("the serializer validates through the $ref (zip is a string)",
                               lambda: ser(bad, ctx), "12345")
    expect_serialization_error("the deserializer validates through the $ref (zip is a string)",
                               lambda: JSONDeserializer(None, schema_registry_client=fresh())(framed(pid, bad), ctx),
                               "12345")
    missing = dict(PERSON_MSG, home={"street": "Main St"})
    expect_serialization_error("the deserializer validates through the $ref (zip missing)",
                               lambda: JSONDeserializer(None, schema_registry_client=fresh())(framed(pid, missing),
                                                                                               ctx), "zip")

    # What the registry refuses.
    expect_error("register_schema(reference to a subject that does not exist)",
                 lambda: fresh().register_schema(f"json-dangling-{RUN}-value", js(
                     PERSON, [SchemaReference("address.json", f"nope-{RUN}", 1)])), 422, 42201)
    expect_error("delete_subject(the referenced subject)", lambda: fresh().delete_subject(addr_subject), 422, 42206)


def scenario_reference_without_id():
    """Confluent's own recorded shape (refs-json): the referenced schema has no "$id"; the
    reference name alone binds the "$ref"."""
    dep_subject = f"dep-{RUN}"
    topic = f"json-holder-{RUN}"
    ctx = SerializationContext(topic, MessageField.VALUE)
    dep = {"type": "object", "properties": {"v": {"type": "integer"}}, "required": ["v"]}
    holder = {"type": "object", "properties": {"d": {"$ref": "dep.json"}}, "required": ["d"]}
    refs = [SchemaReference("dep.json", dep_subject, 1)]
    fresh().register_schema(dep_subject, js(dep))
    hid = fresh().register_schema(f"{topic}-value", js(holder, refs))
    check(f"holder with a $ref to dep.json (no $id) registers (id {hid})", isinstance(hid, int))
    data = JSONSerializer(js(holder, refs), fresh())({"d": {"v": 7}}, ctx)
    eq("default configuration: header carries the holder's id", header(data), (0, hid))
    eq("round trip", JSONDeserializer(None, schema_registry_client=fresh())(data, ctx), {"d": {"v": 7}})
    expect_serialization_error("the deserializer validates through the $ref (v is a string)",
                               lambda: JSONDeserializer(None, schema_registry_client=fresh())(
                                   framed(hid, {"d": {"v": "x"}}), ctx), "'x'")
    expect_error("the same holder without its reference is refused",
                 lambda: fresh().register_schema(f"json-noref-{RUN}-value", js(holder)), 422, 42201)


def scenario_compatibility():
    subject = f"json-compat-{RUN}-value"
    c = fresh()
    c.register_schema(subject, js(ORDER))
    c.set_compatibility(subject, "BACKWARD")
    # "item" changes from string to integer: Confluent's TYPE_CHANGED, incompatible in any direction.
    changed = json.loads(json.dumps(ORDER))
    changed["properties"]["item"] = {"type": "integer"}
    eq("test_compatibility(same schema) is compatible", fresh().test_compatibility(subject, js(ORDER)), True)
    eq("test_compatibility(property type changed string -> integer) is incompatible",
       fresh().test_compatibility(subject, js(changed)), False)
    expect_error("register_schema(incompatible JSON Schema)",
                 lambda: fresh().register_schema(subject, js(changed)), 409, 409)
    eq("versions unchanged after the refused registration", fresh().get_versions(subject), [1])


SCENARIOS = [
    scenario_registry_calls,
    scenario_serde_default_config,
    scenario_serde_latest_and_lookup,
    scenario_references,
    scenario_reference_without_id,
    scenario_compatibility,
]


def main():
    global FAILED
    print(f"confluent-kafka {confluent_kafka.__version__} JSON Schema test against {SR_URL} (run id {RUN})")
    for sc in SCENARIOS:
        print(f"== {sc.__name__}")
        try:
            sc()
        except Exception as e:  # noqa: BLE001 - report and go on with the next scenario
            FAILED += 1
            FAILURES.append(f"{sc.__name__}: {type(e).__name__}: {e}")
            print(f"  FAIL {type(e).__name__}: {e}")
            traceback.print_exc(limit=4, file=sys.stdout)
    print()
    if FAILURES:
        print("Failures:")
        for f in FAILURES:
            print(f"  - {f}")
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
