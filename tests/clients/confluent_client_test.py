#!/usr/bin/env python3
"""Drive the registry with Confluent's real Python client (confluent-kafka).

Uses confluent_kafka.schema_registry.SchemaRegistryClient unchanged, plus the
AvroSerializer / AvroDeserializer, against the server at $SR_URL. Each check
prints what it verifies; the run ends with "N passed, N failed" and exits
non-zero on any failure.

The client caches ids, schemas and versions, so wherever a call must reach the
server a fresh client (no cache) is used.

Run through tests/clients/run.sh, which starts a server on a fresh store.
"""

import json
import os
import sys
import traceback
import uuid
import warnings

# authlib (pulled in by the client for OAuth) warns about its httpx module on
# import, and its own module forces that warning category to "always": import it
# first, then silence just that message.
try:
    import authlib.deprecate  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*httpx module is deprecated.*")

from confluent_kafka.schema_registry import (  # noqa: E402
    ConfigCompatibilityLevel,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
    ServerConfig,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

SR_URL = os.environ.get("SR_URL")
if not SR_URL:
    sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")

# Unique per run, so the test can also run against a non-empty registry.
RUN = uuid.uuid4().hex[:8]

PASSED = 0
FAILED = 0
FAILURES = []


def fresh():
    """A new client with empty caches, so every call goes to the server."""
    return SchemaRegistryClient({"url": SR_URL})


def check(what, cond, detail=""):
    """Assert one fact; print it; raise on mismatch (stops the scenario)."""
    global PASSED
    if not cond:
        raise AssertionError(f"{what}: {detail}" if detail else what)
    PASSED += 1
    print(f"  ok   {what}")


def eq(what, got, want):
    check(what, got == want, f"got {got!r}, want {want!r}")


def expect_error(what, fn, status, code):
    """fn() must raise SchemaRegistryError with this HTTP status and error_code."""
    try:
        res = fn()
    except SchemaRegistryError as e:
        check(
            f"{what} -> HTTP {status} / error_code {code}",
            e.http_status_code == status and e.error_code == code,
            f"got HTTP {e.http_status_code} / error_code {e.error_code}: {e.error_message}",
        )
        return e
    raise AssertionError(f"{what}: expected SchemaRegistryError {status}/{code}, got result {res!r}")


def same_schema(a, b):
    """Compare two Avro schema strings as JSON (the registry may reformat)."""
    return json.loads(a) == json.loads(b)


def avro(d):
    return Schema(json.dumps(d), "AVRO")


USER_V1 = {
    "type": "record",
    "name": "User",
    "namespace": "test.clients",
    "fields": [{"name": "name", "type": "string"}],
}
# Backward compatible with V1: the new field has a default.
USER_V2 = {
    "type": "record",
    "name": "User",
    "namespace": "test.clients",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": "int", "default": 0},
    ],
}
# Backward compatible with V2 as well.
USER_V3 = {
    "type": "record",
    "name": "User",
    "namespace": "test.clients",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": "int", "default": 0},
        {"name": "email", "type": ["null", "string"], "default": None},
    ],
}
# Not backward compatible: a new field without a default.
USER_BAD = {
    "type": "record",
    "name": "User",
    "namespace": "test.clients",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": "int", "default": 0},
        {"name": "country", "type": "string"},
    ],
}


# --------------------------------------------------------------------------
# Scenarios. Each is independent (own subject names); a failed check stops its
# scenario and is reported, the next scenario still runs.
# --------------------------------------------------------------------------


def scenario_register_and_read():
    subject = f"users-{RUN}-value"
    c = fresh()

    id1 = c.register_schema(subject, avro(USER_V1))
    check(f"register_schema({subject}, v1) returned an int id ({id1})", isinstance(id1, int) and id1 > 0)
    again = fresh().register_schema(subject, avro(USER_V1))
    eq("registering the same schema again (fresh client) gives the same id", again, id1)
    other = fresh().register_schema(f"users-{RUN}-copy", avro(USER_V1))
    eq("the same schema under another subject gets the same id", other, id1)

    id2 = fresh().register_schema(subject, avro(USER_V2))
    check(f"a second, compatible version gets a new id ({id2})", isinstance(id2, int) and id2 != id1)

    full = fresh().register_schema_full_response(subject, avro(USER_V2))
    eq("register_schema_full_response(v2 again).schema_id", full.schema_id, id2)

    r = fresh().lookup_schema(subject, avro(USER_V1))
    eq("lookup_schema(v1).schema_id", r.schema_id, id1)
    eq("lookup_schema(v1).version", r.version, 1)
    eq("lookup_schema(v1).subject", r.subject, subject)
    r = fresh().lookup_schema(subject, avro(USER_V2))
    eq("lookup_schema(v2).version", r.version, 2)

    s = fresh().get_schema(id1)
    check("get_schema(id1) returns v1", same_schema(s.schema_str, json.dumps(USER_V1)), s.schema_str)
    eq("get_schema(id1).schema_type", s.schema_type, "AVRO")
    s = fresh().get_schema(id2)
    check("get_schema(id2) returns v2", same_schema(s.schema_str, json.dumps(USER_V2)), s.schema_str)

    latest = fresh().get_latest_version(subject)
    eq("get_latest_version().version", latest.version, 2)
    eq("get_latest_version().schema_id", latest.schema_id, id2)
    eq("get_latest_version().subject", latest.subject, subject)
    check("get_latest_version().schema is v2", same_schema(latest.schema.schema_str, json.dumps(USER_V2)))

    v1 = fresh().get_version(subject, 1)
    eq("get_version(1).schema_id", v1.schema_id, id1)
    eq("get_version(1).version", v1.version, 1)
    check("get_version(1).schema is v1", same_schema(v1.schema.schema_str, json.dumps(USER_V1)))
    eq("get_version('latest').schema_id", fresh().get_version(subject, "latest").schema_id, id2)

    eq("get_versions()", fresh().get_versions(subject), [1, 2])
    subjects = fresh().get_subjects()
    check("get_subjects() lists the subject", subject in subjects, repr(subjects))
    check("get_subjects() lists the copy subject", f"users-{RUN}-copy" in subjects, repr(subjects))

    eq("get_subjects_by_schema_id(id1)", sorted(fresh().get_subjects_by_schema_id(id1)),
       sorted([subject, f"users-{RUN}-copy"]))
    versions = fresh().get_schema_versions(id2)
    eq("get_schema_versions(id2)", [(v.subject, v.version) for v in versions], [(subject, 2)])
    types = fresh().get_schema_types()
    check("get_schema_types() includes AVRO", "AVRO" in types, repr(types))


def scenario_compatibility():
    subject = f"compat-{RUN}-value"
    c = fresh()
    c.register_schema(subject, avro(USER_V1))
    c.register_schema(subject, avro(USER_V2))

    # Global level.
    before = fresh().get_compatibility()
    check(f"get_compatibility() (global) is a level ({before})", before in (
        "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"))
    try:
        res = fresh().set_compatibility(level="FULL_TRANSITIVE")
        eq("set_compatibility(level=FULL_TRANSITIVE) (global) response", res, {"compatibility": "FULL_TRANSITIVE"})
        eq("get_compatibility() (global) after set", fresh().get_compatibility(), "FULL_TRANSITIVE")
    finally:
        fresh().set_compatibility(level=before)
    eq("global level restored", fresh().get_compatibility(), before)

    # Subject level.
    res = fresh().set_compatibility(subject, "FORWARD")
    eq("set_compatibility(subject, FORWARD) response", res, {"compatibility": "FORWARD"})
    eq("get_compatibility(subject)", fresh().get_compatibility(subject), "FORWARD")
    res = fresh().set_compatibility(subject, "backward")  # the client upper-cases
    eq("set_compatibility(subject, backward) response", res, {"compatibility": "BACKWARD"})
    eq("get_compatibility(subject) after change", fresh().get_compatibility(subject), "BACKWARD")

    expect_error("set_compatibility(subject, 'NOT_A_LEVEL')",
                 lambda: fresh().set_compatibility(subject, "NOT_A_LEVEL"), 422, 42203)

    # test_compatibility against latest and a given version.
    eq("test_compatibility(v3, latest) is compatible", fresh().test_compatibility(subject, avro(USER_V3)), True)
    eq("test_compatibility(v3, version=1) is compatible",
       fresh().test_compatibility(subject, avro(USER_V3), version=1), True)
    eq("test_compatibility(field without default) is incompatible",
       fresh().test_compatibility(subject, avro(USER_BAD)), False)
    eq("test_compatibility(..., verbose=True) is incompatible",
       fresh().test_compatibility(subject, avro(USER_BAD), verbose=True), False)
    eq("test_compatibility_all_versions(v3)", fresh().test_compatibility_all_versions(subject, avro(USER_V3)), True)

    # Registering the incompatible schema is refused with 409.
    expect_error("register_schema(incompatible)", lambda: fresh().register_schema(subject, avro(USER_BAD)), 409, 409)
    eq("versions unchanged after the refused registration", fresh().get_versions(subject), [1, 2])


def scenario_delete():
    subject = f"del-{RUN}-value"
    c = fresh()
    id1 = c.register_schema(subject, avro(USER_V1))
    c.register_schema(subject, avro(USER_V2))
    c.register_schema(subject, avro(USER_V3))
    eq("three versions registered", fresh().get_versions(subject), [1, 2, 3])

    expect_error("delete_version(3, permanent=True) before a soft delete",
                 lambda: fresh().delete_version(subject, 3, permanent=True), 404, 40407)
    eq("delete_version(subject, 3) (soft) returns 3", fresh().delete_version(subject, 3), 3)
    eq("get_versions() after deleting version 3", fresh().get_versions(subject), [1, 2])
    eq("get_versions(deleted=True) still shows version 3", fresh().get_versions(subject, deleted=True), [1, 2, 3])
    eq("get_latest_version() falls back to version 2", fresh().get_latest_version(subject).version, 2)
    expect_error("get_version(subject, 3) after its soft delete",
                 lambda: fresh().get_version(subject, 3), 404, 40402)
    eq("get_version(subject, 3, deleted=True) still finds it",
       fresh().get_version(subject, 3, deleted=True).version, 3)
    eq("delete_version(subject, 3, permanent=True) returns 3", fresh().delete_version(subject, 3, permanent=True), 3)
    eq("get_versions(deleted=True) after the hard delete", fresh().get_versions(subject, deleted=True), [1, 2])

    expect_error("delete_subject(permanent=True) before a soft delete",
                 lambda: fresh().delete_subject(subject, permanent=True), 404, 40405)
    eq("delete_subject() (soft) returns the versions", fresh().delete_subject(subject), [1, 2])
    check("get_subjects() no longer lists it", subject not in fresh().get_subjects())
    check("get_subjects(deleted=True) still lists it", subject in fresh().get_subjects(deleted=True))
    expect_error("get_versions() of a soft-deleted subject", lambda: fresh().get_versions(subject), 404, 40401)
    eq("get_schema(id1) still resolves after the soft delete",
       same_schema(fresh().get_schema(id1).schema_str, json.dumps(USER_V1)), True)
    eq("delete_subject(permanent=True) returns the versions",
       fresh().delete_subject(subject, permanent=True), [1, 2])
    check("get_subjects(deleted=True) no longer lists it", subject not in fresh().get_subjects(deleted=True))
    expect_error("get_versions() after the permanent delete", lambda: fresh().get_versions(subject), 404, 40401)


def scenario_errors():
    missing = f"missing-{RUN}-value"
    expect_error("get_latest_version(missing subject)", lambda: fresh().get_latest_version(missing), 404, 40401)
    expect_error("get_version(missing subject, 1)", lambda: fresh().get_version(missing, 1), 404, 40401)
    expect_error("get_versions(missing subject)", lambda: fresh().get_versions(missing), 404, 40401)
    expect_error("lookup_schema(missing subject)",
                 lambda: fresh().lookup_schema(missing, avro(USER_V1)), 404, 40401)
    expect_error("delete_subject(missing subject)", lambda: fresh().delete_subject(missing), 404, 40401)
    expect_error("get_compatibility(subject without a config)", lambda: fresh().get_compatibility(missing), 404, 40408)
    expect_error("get_schema(id that does not exist)", lambda: fresh().get_schema(987654321), 404, 40403)

    subject = f"err-{RUN}-value"
    fresh().register_schema(subject, avro(USER_V1))
    expect_error("get_version(subject, 99)", lambda: fresh().get_version(subject, 99), 404, 40402)
    expect_error("lookup_schema(subject, schema never registered there)",
                 lambda: fresh().lookup_schema(subject, avro(USER_V3)), 404, 40403)
    expect_error("register_schema(invalid Avro)",
                 lambda: fresh().register_schema(subject, Schema('{"type": "record", "name": "X"}', "AVRO")),
                 422, 42201)
    expect_error("register_schema(not JSON)",
                 lambda: fresh().register_schema(subject, Schema("{not json", "AVRO")), 422, 42201)


def scenario_serde():
    topic = f"orders-{RUN}"
    subject = f"{topic}-value"  # TopicNameStrategy
    order_v1 = {
        "type": "record",
        "name": "Order",
        "namespace": "test.clients",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "item", "type": "string"},
            {"name": "qty", "type": "int"},
            {"name": "price", "type": "double"},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
    order_v2 = dict(order_v1)
    order_v2["fields"] = order_v1["fields"] + [{"name": "priority", "type": "int", "default": 3}]
    ctx = SerializationContext(topic, MessageField.VALUE)
    record = {"id": 1234567890123, "item": "widget", "qty": 3, "price": 9.5,
              "tags": ["a", "b"], "note": None}

    # Auto-registering serializer (the default configuration).
    ser = AvroSerializer(fresh(), json.dumps(order_v1))
    data = ser(record, ctx)
    reg = fresh().lookup_schema(subject, avro(order_v1))
    print(f"  ..   serialized {len(data)} bytes: {data[:5].hex()}..., registered id {reg.schema_id}")
    check("AvroSerializer auto-registered the schema as version 1", reg.version == 1, repr(reg))
    eq("payload starts with magic byte 0x00", data[0], 0)
    eq("bytes 1..5 are the big-endian schema id", int.from_bytes(data[1:5], "big"), reg.schema_id)
    out = AvroDeserializer(fresh())(data, ctx)
    eq("AvroDeserializer (fresh client, fetches the schema by id) returns the original record", out, record)
    out = AvroDeserializer(fresh(), json.dumps(order_v1))(data, ctx)
    eq("AvroDeserializer with a reader schema returns the original record", out, record)

    # Register a second version, then serialize with use.latest.version and no auto-registration.
    id2 = fresh().register_schema(subject, avro(order_v2))
    check("order v2 registered with a new id", id2 != reg.schema_id)
    ser_latest = AvroSerializer(fresh(), json.dumps(order_v1),
                                conf={"auto.register.schemas": False, "use.latest.version": True})
    data2 = ser_latest(dict(record, priority=7), ctx)
    eq("use.latest.version: magic byte", data2[0], 0)
    eq("use.latest.version: the id in the payload is the latest version's id", int.from_bytes(data2[1:5], "big"), id2)
    out2 = AvroDeserializer(fresh())(data2, ctx)
    eq("use.latest.version payload round-trips", out2, dict(record, priority=7))

    # auto.register.schemas=False without use.latest.version: looks the schema up (POST /subjects/{s}).
    ser_lookup = AvroSerializer(fresh(), json.dumps(order_v1), conf={"auto.register.schemas": False})
    data3 = ser_lookup(record, ctx)
    eq("auto.register.schemas=False: payload carries v1's id", int.from_bytes(data3[1:5], "big"), reg.schema_id)
    eq("auto.register.schemas=False payload round-trips", AvroDeserializer(fresh())(data3, ctx), record)
    eq("the lookup did not register anything", fresh().get_versions(subject), [1, 2])

    unknown = dict(order_v1, name="Unregistered")
    ser_missing = AvroSerializer(fresh(), json.dumps(unknown), conf={"auto.register.schemas": False})
    try:
        ser_missing(record, ctx)
    except Exception as e:  # the serializer wraps the registry error
        cause = e if isinstance(e, SchemaRegistryError) else e.__cause__ or e.__context__
        text = f"{type(e).__name__}: {e}"
        check("auto.register.schemas=False with an unregistered schema fails with 40403",
              "40403" in text or (isinstance(cause, SchemaRegistryError) and cause.error_code == 40403), text)
    else:
        raise AssertionError("serializing with an unregistered schema and auto.register.schemas=False succeeded")


def scenario_references_normalize_config_mode():
    addr_subject = f"addr-{RUN}-value"
    topic = f"person-{RUN}"
    person_subject = f"{topic}-value"
    addr = {"type": "record", "name": "Address", "namespace": "test.refs",
            "fields": [{"name": "street", "type": "string"}, {"name": "zip", "type": "int"}]}
    person = {"type": "record", "name": "Person", "namespace": "test.refs",
              "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "test.refs.Address"}]}
    refs = [SchemaReference("test.refs.Address", addr_subject, 1)]

    # References.
    addr_id = fresh().register_schema(addr_subject, avro(addr))
    person_id = fresh().register_schema(person_subject, Schema(json.dumps(person), "AVRO", refs))
    check(f"a schema with a reference registers (id {person_id})", isinstance(person_id, int) and person_id != addr_id)
    latest = fresh().get_latest_version(person_subject)
    eq("get_latest_version() returns the references",
       [(r.name, r.subject, r.version) for r in latest.schema.references],
       [("test.refs.Address", addr_subject, 1)])
    eq("lookup_schema(with references).schema_id",
       fresh().lookup_schema(person_subject, Schema(json.dumps(person), "AVRO", refs)).schema_id, person_id)
    eq("get_referenced_by(addr, 1)", fresh().get_referenced_by(addr_subject, 1), [person_id])
    expect_error("register_schema(reference to a missing subject)",
                 lambda: fresh().register_schema(f"dangling-{RUN}-value", Schema(
                     json.dumps(person), "AVRO", [SchemaReference("test.refs.Address", f"nope-{RUN}", 1)])),
                 422, 42201)
    expect_error("delete_subject(referenced subject)", lambda: fresh().delete_subject(addr_subject), 422, 42206)

    ctx = SerializationContext(topic, MessageField.VALUE)
    rec = {"name": "Ada", "home": {"street": "Main St", "zip": 12345}}
    data = AvroSerializer(fresh(), Schema(json.dumps(person), "AVRO", refs),
                          conf={"auto.register.schemas": False, "use.latest.version": True})(rec, ctx)
    eq("serializer with references: header carries the referencing schema's id",
       (data[0], int.from_bytes(data[1:5], "big")), (0, person_id))
    eq("deserializer resolves the reference and returns the original record",
       AvroDeserializer(fresh())(data, ctx), rec)

    # normalize=true.
    n_subject = f"norm-{RUN}-value"
    nid = fresh().register_schema(n_subject, Schema('{ "type" : "string" }', "AVRO"), normalize_schemas=True)
    eq("lookup_schema(normalize=True) of an equivalent spelling finds it",
       fresh().lookup_schema(n_subject, Schema('"string"', "AVRO"), normalize_schemas=True).schema_id, nid)

    # Subject config through set_config / get_config / delete_config.
    fresh().set_config(n_subject, ServerConfig(compatibility=ConfigCompatibilityLevel.FULL))
    eq("get_config(subject) after set_config(FULL)",
       fresh().get_config(n_subject).compatibility_level, ConfigCompatibilityLevel.FULL)
    eq("delete_config(subject) returns the deleted level",
       fresh().delete_config(n_subject).compatibility_level, ConfigCompatibilityLevel.FULL)
    expect_error("get_config(subject) after delete_config", lambda: fresh().get_config(n_subject), 404, 40408)

    # Modes.
    eq("get_global_mode()", fresh().get_global_mode(), "READWRITE")
    eq("update_mode(subject, READONLY)", fresh().update_mode(n_subject, "READONLY"), "READONLY")
    eq("get_mode(subject)", fresh().get_mode(n_subject), "READONLY")
    expect_error("register_schema in a READONLY subject",
                 lambda: fresh().register_schema(n_subject, Schema('"int"', "AVRO")), 422, 42205)
    fresh().delete_mode(n_subject)
    # "bytes" is backward compatible with "string" (Avro reads one as the other).
    eq("after delete_mode() the subject registers again",
       isinstance(fresh().register_schema(n_subject, Schema('"bytes"', "AVRO")), int), True)


SCENARIOS = [
    scenario_register_and_read,
    scenario_compatibility,
    scenario_delete,
    scenario_errors,
    scenario_serde,
    scenario_references_normalize_config_mode,
]


def main():
    global FAILED
    print(f"Confluent client test against {SR_URL} (run id {RUN})")
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
