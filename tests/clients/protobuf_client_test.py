#!/usr/bin/env python3
"""Protobuf through Confluent's real Python client (confluent-kafka), unchanged.

Drives confluent_kafka.schema_registry's ProtobufSerializer / ProtobufDeserializer and
SchemaRegistryClient against the server at $SR_URL, with message classes generated at
test time: grpcio-tools' bundled protoc compiles the .proto files below into `_pb2`
modules in a temporary directory. One file imports google/protobuf/timestamp.proto
(a well-known type: the serializer sends no reference for it, the server must know it)
and another file of ours (the serializer registers that one itself, under the subject
named after the file, and references it). Round trips in the default configuration
(auto-registration, the default subject name strategy), with use.latest.version, with a
lookup only, a schema registered as .proto text then looked up with the serializer's
descriptor, a nested message (message indexes), and the registry answers seen over REST.
No broker: serialize -> bytes -> deserialize.

The Python serdes send schemas as base64 FileDescriptorProtos and read them back with
`?format=serialized` (GET /schemas/ids/{id}?subject=..&format=serialized,
GET /subjects/{s}/versions/{v}?deleted=true&format=serialized).

The .proto files live under a per-run directory (t<run id>/shop/...), so the reference
subjects (named after the file) are new on every run, also against a non-empty registry.

Each check prints what it verifies; the run ends with "N passed, N failed" and exits
non-zero on any failure. Wherever a call must reach the server a fresh client (empty
caches) is used. Run through tests/clients/run.sh.
"""

import base64
import importlib
import json
import os
import sys
import tempfile
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
import google.protobuf  # noqa: E402
from confluent_kafka.schema_registry import (  # noqa: E402
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402

SR_URL = os.environ.get("SR_URL")
if not SR_URL:
    sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")

RUN = uuid.uuid4().hex[:8]  # unique per run: the test also runs against a non-empty registry
DIR = f"t{RUN}/shop"  # the .proto files' directory, part of their import names

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


def header(data):
    return data[0], int.from_bytes(data[1:5], "big")


def descriptor_of(b64):
    """A base64 FileDescriptorProto (what ?format=serialized returns) parsed."""
    return descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(b64))


# --------------------------------------------------------------------------
# The .proto files, compiled at test time.
# --------------------------------------------------------------------------

ADDRESS_PROTO = """\
syntax = "proto3";
package shop.v1;

message Address {
  string street = 1;
  int32 zip = 2;
}
"""

# Order is the second top-level message (message index [1]); it uses a well-known type,
# a message of another file (a reference), a nested enum, a nested message, a map.
ORDER_PROTO = f"""\
syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";
import "{DIR}/address.proto";

message Note {{
  string text = 1;
}}

message Order {{
  enum Status {{
    STATUS_UNKNOWN = 0;
    STATUS_PAID = 1;
    STATUS_SHIPPED = 2;
  }}
  message Line {{
    string sku = 1;
    int32 count = 2;
  }}
  int64 id = 1;
  string item = 2;
  int32 qty = 3;
  double price = 4;
  repeated string tags = 5;
  google.protobuf.Timestamp placed_at = 6;
  Address ship_to = 7;
  Status status = 8;
  repeated Line lines = 9;
  map<string, int32> counts = 10;
  optional string note = 11;
}}
"""

# No imports: registered as .proto text by hand, then found by the serializer's lookup.
PLAIN_PROTO = """\
syntax = "proto3";
package shop.v1;

message Plain {
  message Inner {
    string x = 1;
  }
  string some_name = 1;
  int64 b = 2;
  Inner inner = 3;
}
"""

# The same field of PLAIN_PROTO with another scalar kind: incompatible in Confluent's
# Protobuf diff (FIELD_SCALAR_KIND_CHANGED), and a compatible evolution (a new field).
PLAIN_CHANGED = PLAIN_PROTO.replace("string some_name = 1;", "int32 some_name = 1;")
PLAIN_EVOLVED = PLAIN_PROTO.replace("Inner inner = 3;", "Inner inner = 3;\n  bool flag = 4;")

PB = {}  # generated modules: "address", "order", "plain"


def generate():
    """Compiles the .proto files with grpcio-tools' protoc into a temp dir and imports them."""
    import importlib.resources
    from grpc_tools import protoc

    work = tempfile.mkdtemp(prefix="pb-clients-")
    src, out = os.path.join(work, "src"), os.path.join(work, "out")
    os.makedirs(os.path.join(src, DIR))
    os.makedirs(out)
    files = {"address": ADDRESS_PROTO, "order": ORDER_PROTO, "plain": PLAIN_PROTO}
    for name, text in files.items():
        with open(os.path.join(src, DIR, f"{name}.proto"), "w") as f:
            f.write(text)
    include = str(importlib.resources.files("grpc_tools") / "_proto")  # google/protobuf/*.proto
    args = ["protoc", f"-I{src}", f"-I{include}", f"--python_out={out}"]
    rc = protoc.main(args + [f"{DIR}/{name}.proto" for name in files])
    eq("grpcio-tools' protoc compiled the three .proto files (exit code)", rc, 0)
    sys.path.insert(0, out)
    pkg = DIR.replace("/", ".")
    for name in files:
        PB[name] = importlib.import_module(f"{pkg}.{name}_pb2")
    deps = [d.name for d in PB["order"].DESCRIPTOR.dependencies]
    eq("order.proto's imports (the serializer resolves these)", deps,
       ["google/protobuf/timestamp.proto", f"{DIR}/address.proto"])
    print(f"  ..   generated into {out} (protobuf {google.protobuf.__version__})")


def order_msg():
    pb, addr = PB["order"], PB["address"]
    m = pb.Order(id=1234567890123, item="widget", qty=3, price=9.5, tags=["a", "b"],
                 ship_to=addr.Address(street="Main St", zip=12345),
                 status=pb.Order.Status.STATUS_PAID,
                 lines=[pb.Order.Line(sku="w-1", count=2), pb.Order.Line(sku="w-2", count=1)],
                 note="leave at the door")
    m.placed_at.seconds = 1700000000
    m.placed_at.nanos = 123000000
    m.counts["w-1"] = 2
    m.counts["w-2"] = 1
    return m


# --------------------------------------------------------------------------
# Scenarios: each independent (own subjects); a failed check stops its scenario.
# --------------------------------------------------------------------------


def scenario_generate():
    generate()


def scenario_registry_calls():
    subject = f"proto-plain-{RUN}-value"
    sid = fresh().register_schema(subject, Schema(PLAIN_PROTO, "PROTOBUF"))
    check(f"register_schema(PROTOBUF .proto text) returned an int id ({sid})", isinstance(sid, int) and sid > 0)
    eq("registering it again (fresh client) gives the same id",
       fresh().register_schema(subject, Schema(PLAIN_PROTO, "PROTOBUF")), sid)
    s = fresh().get_schema(sid)
    eq("get_schema(id).schema_type", s.schema_type, "PROTOBUF")
    check("get_schema(id).schema_str is .proto text with message Plain",
          "message Plain" in s.schema_str and "message Inner" in s.schema_str, repr(s.schema_str))
    r = fresh().lookup_schema(subject, Schema(PLAIN_PROTO, "PROTOBUF"))
    eq("lookup_schema(PROTOBUF) -> (id, version, subject)", (r.schema_id, r.version, r.subject), (sid, 1, subject))
    latest = fresh().get_latest_version(subject)
    eq("get_latest_version() -> (id, version, schema_type)",
       (latest.schema_id, latest.version, latest.schema.schema_type), (sid, 1, "PROTOBUF"))
    status, body = http_get(f"/subjects/{q(subject)}/versions/latest")
    eq('GET /subjects/{s}/versions/latest: (status, schemaType)', (status, body.get("schemaType")), (200, "PROTOBUF"))
    status, body = http_get(f"/schemas/ids/{sid}?format=serialized")
    eq("GET /schemas/ids/{id}?format=serialized: (status, schemaType)",
       (status, body.get("schemaType")), (200, "PROTOBUF"))
    fd = descriptor_of(body["schema"])
    eq("?format=serialized is a base64 FileDescriptorProto: (package, messages, nested)",
       (fd.package, [m.name for m in fd.message_type], [n.name for n in fd.message_type[0].nested_type]),
       ("shop.v1", ["Plain"], ["Inner"]))
    eq("the descriptor's fields", [(f.name, f.number) for f in fd.message_type[0].field],
       [("some_name", 1), ("b", 2), ("inner", 3)])
    types = fresh().get_schema_types()
    check(f"get_schema_types() includes PROTOBUF ({types})", "PROTOBUF" in types, repr(types))
    expect_error("register_schema(PROTOBUF text that does not parse: 'message {')",
                 lambda: fresh().register_schema(subject, Schema("message {", "PROTOBUF")), 422, 42201)
    expect_error("register_schema(PROTOBUF importing a file with no reference)",
                 lambda: fresh().register_schema(f"proto-noref-{RUN}-value", Schema(
                     'syntax = "proto3";\nimport "nowhere.proto";\nmessage H {\n  dep.D d = 1;\n}\n',
                     "PROTOBUF")), 422, 42201)


def scenario_serde_default_config():
    topic = f"proto-orders-{RUN}"
    subject = f"{topic}-value"  # the default strategy (ASSOCIATED) falls back to TopicNameStrategy
    addr_subject = f"{DIR}/address.proto"  # reference_subject_name_strategy: the import's file name
    ctx = SerializationContext(topic, MessageField.VALUE)
    msg = order_msg()

    ser = ProtobufSerializer(PB["order"].Order, fresh())  # default conf: auto.register.schemas=True
    data = ser(msg, ctx)
    print(f"  ..   serialized {len(data)} bytes: {data[:8].hex()}...")

    # What the serializer registered: the imported file of ours under its own subject,
    # then order.proto with a reference to it and none for the well-known type.
    eq("the serializer registered the imported file under the subject named after it",
       fresh().get_versions(addr_subject), [1])
    status, body = http_get(f"/subjects/{q(addr_subject)}/versions/1")
    eq("GET /subjects/{file subject}/versions/1: (status, schemaType)",
       (status, body.get("schemaType")), (200, "PROTOBUF"))
    check("the imported file's schema is .proto text with message Address",
          "message Address" in body.get("schema", ""), repr(body.get("schema")))
    addr_id = body.get("id")
    latest = fresh().get_latest_version(subject)
    eq("the serializer registered order.proto under the topic's subject as version 1", latest.version, 1)
    eq("its schema_type", latest.schema.schema_type, "PROTOBUF")
    eq("its references: the imported file only (no reference for google/protobuf/timestamp.proto)",
       [(r.name, r.subject, r.version) for r in latest.schema.references], [(addr_subject, addr_subject, 1)])
    status, body = http_get(f"/subjects/{q(subject)}/versions/latest")
    eq('GET /subjects/{s}/versions/latest: (status, schemaType, id, references)',
       (status, body.get("schemaType"), body.get("id"), body.get("references")),
       (200, "PROTOBUF", latest.schema_id, [{"name": addr_subject, "subject": addr_subject, "version": 1}]))
    text = body.get("schema", "")
    check("the stored schema is .proto text: both imports, messages Note and Order",
          all(s in text for s in ('import "google/protobuf/timestamp.proto";', f'import "{addr_subject}";',
                                  "message Note", "message Order")), repr(text))
    status, body = http_get(f"/schemas/ids/{latest.schema_id}?subject={q(subject)}&format=serialized")
    eq("GET /schemas/ids/{id}?subject=..&format=serialized: (status, schemaType)",
       (status, body.get("schemaType")), (200, "PROTOBUF"))
    fd = descriptor_of(body["schema"])
    eq("the serialized form: (package, imports, top-level messages in order)",
       (fd.package, sorted(fd.dependency), [m.name for m in fd.message_type]),
       ("shop.v1", sorted(["google/protobuf/timestamp.proto", addr_subject]), ["Note", "Order"]))
    eq("get_referenced_by(the imported file's subject, 1)", fresh().get_referenced_by(addr_subject, 1),
       [latest.schema_id])
    check(f"the two schemas have different ids ({addr_id}, {latest.schema_id})", addr_id != latest.schema_id)

    # The payload: magic byte, id, message indexes ([1]: one zigzag varint count, one index), body.
    eq("payload header: magic byte 0 and the registered id", header(data), (0, latest.schema_id))
    eq("message indexes [1] (Order is the second message): bytes 02 02", data[5:7], b"\x02\x02")
    eq("payload body is the message's protobuf encoding", data[7:], msg.SerializeToString())
    eq("the same serializer again gives the same bytes", ser(msg, ctx), data)
    eq("a new serializer (fresh client) registers nothing new: same bytes",
       ProtobufSerializer(PB["order"].Order, fresh())(msg, ctx), data)
    eq("versions after two serializers (topic subject, file subject)",
       (fresh().get_versions(subject), fresh().get_versions(addr_subject)), ([1], [1]))

    # The deserializer fetches the writer's schema with ?format=serialized and its
    # reference, builds a descriptor pool from them, and finds the message by its indexes.
    out = ProtobufDeserializer(PB["order"].Order, {}, fresh())(data, ctx)
    eq("ProtobufDeserializer (fresh client) returns the message", out, msg)
    eq("... with the timestamp, the referenced message and the map intact",
       (out.placed_at.ToSeconds(), out.placed_at.nanos, out.ship_to.zip, dict(out.counts)),
       (1700000000, 123000000, 12345, {"w-1": 2, "w-2": 1}))


def scenario_serde_latest_and_lookup():
    topic = f"proto-latest-{RUN}"
    subject = f"{topic}-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    msg = order_msg()
    data = ProtobufSerializer(PB["order"].Order, fresh())(msg, ctx)
    sid = header(data)[1]

    ser = ProtobufSerializer(PB["order"].Order, fresh(),
                             conf={"auto.register.schemas": False, "use.latest.version": True})
    data2 = ser(msg, ctx)
    eq("use.latest.version (reads latest with ?format=serialized): same bytes", data2, data)
    out = ProtobufDeserializer(PB["order"].Order, {"use.latest.version": True}, fresh())(data, ctx)
    eq("ProtobufDeserializer with use.latest.version returns the message", out, msg)

    ser = ProtobufSerializer(PB["order"].Order, fresh(), conf={"auto.register.schemas": False})
    data3 = ser(msg, ctx)
    eq("auto.register.schemas=False (lookups of the file subject and the topic subject): same id",
       header(data3), (0, sid))
    eq("the lookups registered nothing", fresh().get_versions(subject), [1])

    other = f"proto-unregistered-{RUN}"
    try:
        ProtobufSerializer(PB["plain"].Plain, fresh(), conf={"auto.register.schemas": False})(
            PB["plain"].Plain(b=1), SerializationContext(other, MessageField.VALUE))
    except Exception as e:  # the serializer may wrap the registry error
        cause = e if isinstance(e, SchemaRegistryError) else (e.__cause__ or e.__context__)
        check("auto.register.schemas=False with a subject that does not exist fails with 40401",
              isinstance(cause, SchemaRegistryError) and (cause.http_status_code, cause.error_code) == (404, 40401),
              f"{type(e).__name__}: {e}")
    else:
        raise AssertionError("serializing to an unknown subject with auto.register.schemas=False succeeded")


def scenario_text_then_descriptor():
    """Registered as .proto text by hand, then looked up with the serializer's base64 descriptor.

    Confluent 7.9 reads a descriptor's message-typed fields with the type name as the descriptor
    holds it, fully qualified with a leading dot (ProtobufSchema.dataType), so the descriptor's
    canonical text (`.shop.v1.Plain.Inner inner = 3;`) differs from the text's (`Inner inner = 3;`)
    and the lookup, which compares canonical texts (KafkaSchemaRegistry.lookUpSchemaUnderSubject),
    finds nothing: 40403. With auto-registration the descriptor becomes version 2."""
    topic = f"proto-text-{RUN}"
    subject = f"{topic}-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    sid = fresh().register_schema(subject, Schema(PLAIN_PROTO, "PROTOBUF"))
    msg = PB["plain"].Plain(some_name="x", b=-7, inner=PB["plain"].Plain.Inner(x="in"))

    expect_error("lookup with the serializer's descriptor of a schema registered as text",
                 lambda: ProtobufSerializer(PB["plain"].Plain, fresh(), conf={"auto.register.schemas": False})(msg, ctx),
                 404, 40403)
    data = ProtobufSerializer(PB["plain"].Plain, fresh())(msg, ctx)
    check("default configuration registers the descriptor as a new schema", header(data)[1] != sid,
          f"got {header(data)}, text id {sid}")
    eq("message indexes [0]: the single byte 00", data[5:6], b"\x00")
    eq("two versions: the text, then the descriptor", fresh().get_versions(subject), [1, 2])
    eq("round trip", ProtobufDeserializer(PB["plain"].Plain, {}, fresh())(data, ctx), msg)

    # A nested message: indexes [0, 0] (count 2, then 0 and 0, zigzag varints: 04 00 00).
    inner = PB["plain"].Plain.Inner(x="nested")
    topic2 = f"proto-inner-{RUN}"
    ctx2 = SerializationContext(topic2, MessageField.VALUE)
    data = ProtobufSerializer(PB["plain"].Plain.Inner, fresh())(inner, ctx2)
    eq("a nested message registers its file under the topic subject", fresh().get_versions(f"{topic2}-value"), [1])
    eq("message indexes [0, 0]: bytes 04 00 00", data[5:8], b"\x04\x00\x00")
    eq("the nested message round-trips (the deserializer walks the indexes in the served descriptor)",
       ProtobufDeserializer(PB["plain"].Plain.Inner, {}, fresh())(data, ctx2), inner)


def scenario_compatibility():
    subject = f"proto-compat-{RUN}-value"
    c = fresh()
    c.register_schema(subject, Schema(PLAIN_PROTO, "PROTOBUF"))
    c.set_compatibility(subject, "BACKWARD")
    eq("test_compatibility(same schema) is compatible",
       fresh().test_compatibility(subject, Schema(PLAIN_PROTO, "PROTOBUF")), True)
    eq("test_compatibility(a new field) is compatible",
       fresh().test_compatibility(subject, Schema(PLAIN_EVOLVED, "PROTOBUF")), True)
    eq("test_compatibility(field 1 string -> int32) is incompatible",
       fresh().test_compatibility(subject, Schema(PLAIN_CHANGED, "PROTOBUF")), False)
    expect_error("register_schema(incompatible Protobuf schema)",
                 lambda: fresh().register_schema(subject, Schema(PLAIN_CHANGED, "PROTOBUF")), 409, 409)
    eq("versions unchanged after the refused registration", fresh().get_versions(subject), [1])


SCENARIOS = [
    scenario_generate,
    scenario_registry_calls,
    scenario_serde_default_config,
    scenario_serde_latest_and_lookup,
    scenario_text_then_descriptor,
    scenario_compatibility,
]


def main():
    global FAILED
    print(f"confluent-kafka {confluent_kafka.__version__} Protobuf test against {SR_URL} (run id {RUN})")
    for sc in SCENARIOS:
        print(f"== {sc.__name__}")
        try:
            sc()
        except Exception as e:  # noqa: BLE001 - report and go on with the next scenario
            FAILED += 1
            FAILURES.append(f"{sc.__name__}: {type(e).__name__}: {e}")
            print(f"  FAIL {type(e).__name__}: {e}")
            traceback.print_exc(limit=4, file=sys.stdout)
            if sc is scenario_generate:
                break  # nothing else can run without the generated classes
    print()
    if FAILURES:
        print("Failures:")
        for f in FAILURES:
            print(f"  - {f}")
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
