#!/usr/bin/env python3
"""Schema GUIDs in Kafka headers through Confluent's real Python client (confluent-kafka).

confluent-kafka's serializers take a ``schema.id.serializer`` callable (default
``prefix_schema_id_serializer``: magic byte 0 + 4-byte id in front of the payload). With
``header_schema_id_serializer`` the payload carries no prefix at all and the schema is
named by its Confluent 8 GUID in a header instead: ``__value_schema_id`` (or
``__key_schema_id`` for a key) = magic byte 0x01 + the GUID's 16 bytes (+ the message
indexes for Protobuf, zigzag varints as in the classic prefix). The serializer takes the
GUID from the registry's answer (the ``guid`` of POST /subjects/{s}/versions, of the
lookup POST /subjects/{s}, or of GET /subjects/{s}/versions/latest).

The deserializers' default ``schema.id.deserializer`` is ``dual_schema_id_deserializer``:
the header if there is one (the whole payload is then the body), else the classic
prefix. A GUID is resolved with SchemaRegistryClient.get_schema_by_guid, that is
``GET /schemas/guids/{guid}`` (no query for Avro and JSON Schema;
``?format=serialized`` for Protobuf); an id with ``GET /schemas/ids/{id}?subject=..``.

Checked for Avro, JSON Schema and Protobuf, value and key: the headers hold 0x01 + the
GUID the registry reports (GET /subjects/{s}/versions/latest), the payload is the classic
one without its prefix, and a deserializer with a fresh client (no cache) gives the
record back; the requests it made go through a small recording proxy in this process,
so the test also checks that the GUID was resolved by GET /schemas/guids/{guid} (and
the classic message, read by the same deserializer, by GET /schemas/ids/{id}). No
broker: the serdes are called with a SerializationContext carrying the headers list.

Each check prints what it verifies; the run ends with "N passed, N failed" and exits
non-zero on any failure. Run through tests/clients/run.sh.
"""

import base64
import http.server
import importlib
import json
import os
import sys
import tempfile
import threading
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
    SchemaRegistryClient,
    SchemaRegistryError,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer  # noqa: E402
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402

SR_URL = os.environ.get("SR_URL")
if not SR_URL:
    sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")

RUN = uuid.uuid4().hex[:8]  # unique per run: the test also runs against a non-empty registry

PASSED = 0
FAILED = 0
FAILURES = []

HEADER_MODE = {"schema.id.serializer": header_schema_id_serializer}
VALUE_HEADER = "__value_schema_id"
KEY_HEADER = "__key_schema_id"


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


# --------------------------------------------------------------------------
# A recording proxy: forwards every request to SR_URL unchanged and notes
# "METHOD /path?query", so the test sees which REST calls a client made.
# --------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.calls.append(f"{self.command} {self.path}")
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
        req = urllib.request.Request(SR_URL.rstrip("/") + self.path, data=body, method=self.command,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args):  # quiet
        pass


_PROXY = None


def recorded():
    """A fresh client whose requests go through the recording proxy: (client, calls).

    calls is a new list of "METHOD /path?query" for this client only (clients are
    used one at a time)."""
    global _PROXY
    if _PROXY is None:
        _PROXY = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        _PROXY.daemon_threads = True
        threading.Thread(target=_PROXY.serve_forever, daemon=True).start()
    _PROXY.calls = calls = []
    return SchemaRegistryClient({"url": f"http://127.0.0.1:{_PROXY.server_address[1]}"}), calls


def schema_calls(calls):
    """The calls under /schemas/ (the writer schema's resolution), without the others
    (the default subject name strategy may also ask for associations)."""
    return [c for c in calls if c.split(" ", 1)[1].startswith("/schemas/")]


def guid_header(guid, indexes=b""):
    """The header value for a GUID: magic byte 1, the GUID's 16 bytes (big-endian, as
    java.util.UUID / Python's uuid.UUID.bytes), then Protobuf's message indexes if any."""
    return b"\x01" + uuid.UUID(guid).bytes + indexes


def latest(subject):
    """GET /subjects/{s}/versions/latest by hand: the registered id and guid."""
    status, body = http_get(f"/subjects/{q(subject)}/versions/latest")
    eq(f"GET /subjects/{subject}/versions/latest status", status, 200)
    guid = body.get("guid")
    check(f"  ... it has a guid ({guid}) in the canonical lowercase UUID form",
          isinstance(guid, str) and str(uuid.UUID(guid)) == guid, repr(body))
    return body


def check_guid_endpoints(label, body, fmt=None):
    """GET /schemas/guids/{guid} serves the same schema; /ids lists the id."""
    guid, sid = body["guid"], body["id"]
    path = f"/schemas/guids/{guid}" + (f"?format={fmt}" if fmt else "")
    status, got = http_get(path)
    eq(f"{label}: GET {path.replace(guid, '{guid}')} -> (status, guid)", (status, got.get("guid")), (200, guid))
    if fmt is None:
        eq(f"{label}: ... the schema text is the subject version's", got.get("schema"), body.get("schema"))
    status, ids = http_get(f"/schemas/guids/{guid}/ids")
    check(f"{label}: GET /schemas/guids/{{guid}}/ids lists id {sid}",
          status == 200 and isinstance(ids, list) and any(isinstance(e, dict) and e.get("id") == sid for e in ids),
          f"status {status}, body {ids!r}")
    return got


# --------------------------------------------------------------------------
# Schemas and records
# --------------------------------------------------------------------------

ORDER_AVRO = {
    "type": "record",
    "name": "Order",
    "namespace": "test.guid",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "qty", "type": "int"},
        {"name": "price", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
ORDER_REC = {"id": 1234567890123, "item": "widget", "qty": 3, "price": 9.5, "tags": ["a", "b"], "note": None}
# The Avro deserializer refuses data of 5 bytes or less even in header mode (it checks the
# length before looking at the headers): the key must encode to more than 5 bytes.
KEY_AVRO = {
    "type": "record",
    "name": "OrderKey",
    "namespace": "test.guid",
    "fields": [{"name": "region", "type": "string"}, {"name": "id", "type": "long"}],
}
KEY_REC = {"region": "eu-west", "id": 1234567890123}

DRAFT7 = "http://json-schema.org/draft-07/schema#"
ORDER_JSON = {
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
KEY_JSON = {
    "$schema": DRAFT7,
    "title": "OrderKey",
    "type": "object",
    "properties": {"region": {"type": "string"}, "id": {"type": "integer"}},
    "required": ["region", "id"],
}

PROTO_DIR = f"g{RUN}/guid"  # per run: the generated module's import path (the GUID depends on the text only)
GUID_PROTO = """\
syntax = "proto3";
package guid.v1;

message OrderKey {
  string region = 1;
  int64 id = 2;
}

message Order {
  int64 id = 1;
  string item = 2;
  int32 qty = 3;
  double price = 4;
  repeated string tags = 5;
}
"""
PB = {}


# --------------------------------------------------------------------------
# Scenarios: each independent (own subjects); a failed check stops its scenario.
# --------------------------------------------------------------------------


def scenario_avro_header_mode():
    topic = f"guid-avro-{RUN}"
    vsubject, ksubject = f"{topic}-value", f"{topic}-key"
    headers = []  # one message's headers: the key and the value serializer both add theirs
    vctx = SerializationContext(topic, MessageField.VALUE, headers)
    kctx = SerializationContext(topic, MessageField.KEY, headers)

    # Auto-registration (the default): the GUID comes from POST /subjects/{s}/versions.
    value = AvroSerializer(fresh(), json.dumps(ORDER_AVRO), conf=HEADER_MODE)(ORDER_REC, vctx)
    key = AvroSerializer(fresh(), json.dumps(KEY_AVRO), conf=HEADER_MODE)(KEY_REC, kctx)
    v, k = latest(vsubject), latest(ksubject)
    check("the value and key schemas have different GUIDs", v["guid"] != k["guid"])
    eq("headers: __value_schema_id then __key_schema_id, each 0x01 + the 16 bytes of the registry's GUID",
       headers, [(VALUE_HEADER, guid_header(v["guid"])), (KEY_HEADER, guid_header(k["guid"]))])
    print(f"  ..   {VALUE_HEADER} = {headers[0][1].hex()}, payload {value[:8].hex()}...")
    check_guid_endpoints("value", v)

    # The same records framed the classic way: the header-mode payload is that minus 5 bytes.
    plain_v = SerializationContext(topic, MessageField.VALUE)  # no headers
    classic_v = AvroSerializer(fresh(), json.dumps(ORDER_AVRO))(ORDER_REC, plain_v)
    classic_k = AvroSerializer(fresh(), json.dumps(KEY_AVRO))(KEY_REC, SerializationContext(topic, MessageField.KEY))
    eq("classic value: magic byte 0 + the value schema's id",
       (classic_v[0], int.from_bytes(classic_v[1:5], "big")), (0, v["id"]))
    eq("header-mode value payload = the classic payload without its 5-byte prefix", value, classic_v[5:])
    eq("header-mode key payload = the classic payload without its 5-byte prefix", key, classic_k[5:])

    # The GUID from the other answers the serializer reads.
    for label, conf in (("lookup (auto.register.schemas=False: POST /subjects/{s})", {"auto.register.schemas": False}),
                        ("use.latest.version (GET /subjects/{s}/versions/latest)",
                         {"auto.register.schemas": False, "use.latest.version": True})):
        hs = []
        out = AvroSerializer(fresh(), json.dumps(ORDER_AVRO), conf={**HEADER_MODE, **conf})(
            ORDER_REC, SerializationContext(topic, MessageField.VALUE, hs))
        eq(f"{label}: same header and payload", (hs, out), ([(VALUE_HEADER, guid_header(v["guid"]))], value))
    eq("nothing new was registered", (http_get(f"/subjects/{q(vsubject)}/versions")[1],
                                      http_get(f"/subjects/{q(ksubject)}/versions")[1]), ([1], [1]))

    # Deserialize with the default (dual) deserializer and a fresh client.
    client, calls = recorded()
    de = AvroDeserializer(client)
    eq("AvroDeserializer (default: dual_schema_id_deserializer, fresh client) returns the value",
       de(value, vctx), ORDER_REC)
    print(f"  ..   its requests: {calls}")
    eq("it resolved the GUID with GET /schemas/guids/{guid} (no query), nothing by id",
       schema_calls(calls), [f"GET /schemas/guids/{v['guid']}"])
    del calls[:]
    out = de(classic_v, plain_v)
    eq("the same deserializer reads the classic (prefixed) value, no headers", out, ORDER_REC)
    print(f"  ..   its requests: {calls}")
    sc = schema_calls(calls)
    check(f"... resolving the id with GET /schemas/ids/{v['id']}",
          len(sc) == 1 and (sc[0] == f"GET /schemas/ids/{v['id']}" or sc[0].startswith(f"GET /schemas/ids/{v['id']}?")),
          repr(calls))

    client, calls = recorded()
    eq("AvroDeserializer for the key (fresh client) returns the key from __key_schema_id",
       AvroDeserializer(client)(key, kctx), KEY_REC)
    eq("it resolved the key's GUID with GET /schemas/guids/{guid}", schema_calls(calls),
       [f"GET /schemas/guids/{k['guid']}"])
    eq("a dict of headers works too (value)",
       AvroDeserializer(fresh())(value, SerializationContext(topic, MessageField.VALUE, dict(headers))), ORDER_REC)


def scenario_avro_guid_shared_and_unknown():
    # The GUID names the schema's content: the same schema under two subjects has one id
    # and one GUID, and both serializers write the same header.
    topics = (f"guid-one-{RUN}", f"guid-two-{RUN}")
    hs = {t: [] for t in topics}
    payloads = {t: AvroSerializer(fresh(), json.dumps(ORDER_AVRO), conf=HEADER_MODE)(
        ORDER_REC, SerializationContext(t, MessageField.VALUE, hs[t])) for t in topics}
    one, two = (latest(f"{t}-value") for t in topics)
    eq("the same schema under two subjects: same id and same GUID", (two["id"], two["guid"]), (one["id"], one["guid"]))
    eq("both serializers wrote the same header and payload", (hs[topics[1]], payloads[topics[1]]),
       ([(VALUE_HEADER, guid_header(one["guid"]))], payloads[topics[0]]))
    eq("a message of one topic reads back through the other topic's deserializer (fresh client)",
       AvroDeserializer(fresh())(payloads[topics[0]],
                                 SerializationContext(topics[1], MessageField.VALUE, hs[topics[0]])),
       ORDER_REC)

    unknown = str(uuid.uuid4())
    bad = [(VALUE_HEADER, guid_header(unknown))]
    try:
        res = AvroDeserializer(fresh())(payloads[topics[0]], SerializationContext(topics[0], MessageField.VALUE, bad))
    except SchemaRegistryError as e:
        eq("a GUID the registry does not know: GET /schemas/guids/{guid} -> HTTP 404 / error_code 40403",
           (e.http_status_code, e.error_code), (404, 40403))
    else:
        raise AssertionError(f"deserializing with an unknown GUID succeeded: {res!r}")


def scenario_json_header_mode():
    topic = f"guid-json-{RUN}"
    headers = []
    vctx = SerializationContext(topic, MessageField.VALUE, headers)
    kctx = SerializationContext(topic, MessageField.KEY, headers)
    value = JSONSerializer(json.dumps(ORDER_JSON), fresh(), conf=HEADER_MODE)(ORDER_REC, vctx)
    key = JSONSerializer(json.dumps(KEY_JSON), fresh(), conf=HEADER_MODE)(KEY_REC, kctx)
    v, k = latest(f"{topic}-value"), latest(f"{topic}-key")
    eq("schemaType of the registered value schema", v.get("schemaType"), "JSON")
    eq("headers: 0x01 + the GUIDs of the value and key schemas",
       headers, [(VALUE_HEADER, guid_header(v["guid"])), (KEY_HEADER, guid_header(k["guid"]))])
    check_guid_endpoints("JSON value", v)
    eq("the value payload is the record as JSON, no prefix", json.loads(value), ORDER_REC)
    plain_v = SerializationContext(topic, MessageField.VALUE)  # no headers
    classic = JSONSerializer(json.dumps(ORDER_JSON), fresh())(ORDER_REC, plain_v)
    eq("... = the classic payload without its 5-byte prefix", value, classic[5:])
    eq("the key payload is the key as JSON", json.loads(key), KEY_REC)

    client, calls = recorded()
    de = JSONDeserializer(None, schema_registry_client=client)
    eq("JSONDeserializer (no reader schema, fresh client) returns the value", de(value, vctx), ORDER_REC)
    eq("it resolved the GUID with GET /schemas/guids/{guid} (no query)", schema_calls(calls),
       [f"GET /schemas/guids/{v['guid']}"])
    eq("the same deserializer reads the classic value", de(classic, plain_v), ORDER_REC)
    client, calls = recorded()
    eq("JSONDeserializer for the key returns the key",
       JSONDeserializer(None, schema_registry_client=client)(key, kctx), KEY_REC)
    eq("it resolved the key's GUID", schema_calls(calls), [f"GET /schemas/guids/{k['guid']}"])
    bad = json.dumps(dict(ORDER_REC, qty="three")).encode()
    try:
        res = JSONDeserializer(None, schema_registry_client=fresh())(bad, vctx)
    except SerializationError as e:
        check("the deserializer validates against the schema it got by GUID (qty is a string)",
              "three" in str(e), f"SerializationError {e!r} does not mention 'three'")
    else:
        raise AssertionError(f"an invalid JSON value deserialized without error: {res!r}")


def generate_proto():
    import importlib.resources
    from grpc_tools import protoc

    work = tempfile.mkdtemp(prefix="pb-guid-")
    src, out = os.path.join(work, "src"), os.path.join(work, "out")
    os.makedirs(os.path.join(src, PROTO_DIR))
    os.makedirs(out)
    with open(os.path.join(src, PROTO_DIR, "order.proto"), "w") as f:
        f.write(GUID_PROTO)
    include = str(importlib.resources.files("grpc_tools") / "_proto")
    rc = protoc.main(["protoc", f"-I{src}", f"-I{include}", f"--python_out={out}", f"{PROTO_DIR}/order.proto"])
    eq("grpcio-tools' protoc compiled order.proto (exit code)", rc, 0)
    sys.path.insert(0, out)
    PB["order"] = importlib.import_module(f"{PROTO_DIR.replace('/', '.')}.order_pb2")


def scenario_protobuf_header_mode():
    generate_proto()
    pb = PB["order"]
    topic = f"guid-proto-{RUN}"
    headers = []
    vctx = SerializationContext(topic, MessageField.VALUE, headers)
    kctx = SerializationContext(topic, MessageField.KEY, headers)
    msg = pb.Order(id=1234567890123, item="widget", qty=3, price=9.5, tags=["a", "b"])
    kmsg = pb.OrderKey(region="eu-west", id=1234567890123)
    value = ProtobufSerializer(pb.Order, fresh(), conf=HEADER_MODE)(msg, vctx)
    key = ProtobufSerializer(pb.OrderKey, fresh(), conf=HEADER_MODE)(kmsg, kctx)
    v, k = latest(f"{topic}-value"), latest(f"{topic}-key")
    eq("schemaType of the registered value schema", v.get("schemaType"), "PROTOBUF")
    eq("the file is one schema: value and key subjects share its id and GUID",
       (k["id"], k["guid"]), (v["id"], v["guid"]))
    # Order is message [1] (indexes 02 02: count 1, index 1), OrderKey message [0] (the single 00).
    eq("headers: 0x01 + GUID + message indexes (Order: 02 02, OrderKey: 00)",
       headers, [(VALUE_HEADER, guid_header(v["guid"], b"\x02\x02")), (KEY_HEADER, guid_header(k["guid"], b"\x00"))])
    served = check_guid_endpoints("Protobuf", v, fmt="serialized")
    fd = descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(served["schema"]))
    eq("... a base64 FileDescriptorProto: (package, messages in order)",
       (fd.package, [m.name for m in fd.message_type]), ("guid.v1", ["OrderKey", "Order"]))
    eq("the value payload is the bare protobuf encoding (no prefix, no indexes)", value, msg.SerializeToString())
    eq("the key payload is the bare protobuf encoding", key, kmsg.SerializeToString())
    plain_v = SerializationContext(topic, MessageField.VALUE)  # no headers
    classic = ProtobufSerializer(pb.Order, fresh())(msg, plain_v)
    eq("classic framing: 00 + id + indexes 02 02, then the same bytes",
       (classic[0], int.from_bytes(classic[1:5], "big"), classic[5:7], classic[7:]), (0, v["id"], b"\x02\x02", value))

    client, calls = recorded()
    de = ProtobufDeserializer(pb.Order, {}, client)
    eq("ProtobufDeserializer (fresh client) returns the value", de(value, vctx), msg)
    print(f"  ..   its requests: {calls}")
    eq("it resolved the GUID with GET /schemas/guids/{guid}?format=serialized", schema_calls(calls),
       [f"GET /schemas/guids/{v['guid']}?format=serialized"])
    eq("the same deserializer reads the classic value", de(classic, plain_v), msg)
    client, calls = recorded()
    eq("ProtobufDeserializer for the key (message indexes [0] from the header) returns the key",
       ProtobufDeserializer(pb.OrderKey, {}, client)(key, kctx), kmsg)
    eq("it resolved the GUID with ?format=serialized", schema_calls(calls),
       [f"GET /schemas/guids/{k['guid']}?format=serialized"])


SCENARIOS = [
    scenario_avro_header_mode,
    scenario_avro_guid_shared_and_unknown,
    scenario_json_header_mode,
    scenario_protobuf_header_mode,
]


def main():
    global FAILED
    print(f"confluent-kafka {confluent_kafka.__version__} GUID header test against {SR_URL} (run id {RUN})")
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
