"""The three formats of the mirroring test's scripts (mirror_produce.py, mirror_consume.py,
mirror_burst.py): one `Order` value that evolves through five versions, written and read
with Confluent's stock serdes.

    version 1: seq, customer, amount
    version 2: + currency   (Avro: default "EUR")
    version 3: + note       (Avro: ["null","string"], default null; JSON: string or null)
    version 4: + channel    (Avro: default "web")
    version 5: + priority   (Avro: default 0)

Each version is BACKWARD-compatible with the one before in all three formats:

- Avro (`AvroSerializer`/`AvroDeserializer`): record `shop.Order`, new fields have defaults
  (version 4 is tests/mirror.rs's `order_v4`).
- JSON Schema (`JSONSerializer`/`JSONDeserializer`): an object with a closed content model
  (`"additionalProperties": false`); each version adds an optional property. In Confluent's
  JSON rules that is OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL, compatible; with an
  open model the same change is PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, incompatible (the
  old writer could have written anything under that name).
- Protobuf (`ProtobufSerializer`/`ProtobufDeserializer`): proto3 message `shop.mirror.Order`
  in the file `shop/mirror/order.proto`, one field more per version. The message classes
  are made at run time from a FileDescriptorProto built here, one DescriptorPool per
  version (the versions share the file and message names), so no protoc is needed. A
  missing `note` is the empty string (proto3 scalars have no null).

Every field is a function of `seq` (`record`), so a consumer can check each record against
the fields its writer schema has (`writer_fields`).
"""

import base64
import json

from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

FORMATS = ("avro", "json", "protobuf")
VERSIONS = 5

# (name, Avro type and default, JSON Schema, Protobuf type), in version order: version v
# has the first v + 2 fields.
_FIELDS = [
    ("seq", {"type": "long"}, {"type": "integer"}, "TYPE_INT64"),
    ("customer", {"type": "string"}, {"type": "string"}, "TYPE_STRING"),
    ("amount", {"type": "double"}, {"type": "number"}, "TYPE_DOUBLE"),
    ("currency", {"type": "string", "default": "EUR"}, {"type": "string"}, "TYPE_STRING"),
    ("note", {"type": ["null", "string"], "default": None}, {"type": ["string", "null"]}, "TYPE_STRING"),
    ("channel", {"type": "string", "default": "web"}, {"type": "string"}, "TYPE_STRING"),
    ("priority", {"type": "int", "default": 0}, {"type": "integer"}, "TYPE_INT32"),
]
PROTO_FILE = "shop/mirror/order.proto"
PROTO_MESSAGE = "shop.mirror.Order"


def fields_of(version):
    """The field names of `version` (1..VERSIONS)."""
    if not 1 <= version <= VERSIONS:
        raise ValueError(f"no version {version} (1..{VERSIONS})")
    return [f[0] for f in _FIELDS[: version + 2]]


def record(seq, version, fmt="avro"):
    """The value of record `seq` written with `version`, as a dict."""
    full = {
        "seq": seq,
        "customer": f"customer-{seq % 97}",
        "amount": seq * 1.25,
        "currency": ["EUR", "USD", "CHF"][seq % 3],
        "note": None if seq % 2 else f"note-{seq}",
        "channel": ["web", "app", "store"][seq % 3],
        "priority": seq % 5 + 1,
    }
    if fmt == "protobuf" and full["note"] is None:
        full["note"] = ""
    return {k: full[k] for k in fields_of(version)}


def expected(seq, fields, fmt="avro"):
    """What the producer wrote for `seq`, restricted to the writer's `fields`."""
    full = record(seq, VERSIONS, fmt)
    return {k: full[k] for k in fields if k in full}


# ---------------------------------------------------------------------------------------
# Schemas.


def avro_schema(version):
    fields = [{"name": name, **avro} for name, avro, _, _ in _FIELDS[: version + 2]]
    return {"type": "record", "name": "Order", "namespace": "shop", "fields": fields}


def json_schema(version):
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order",
        "type": "object",
        "properties": {name: js for name, _, js, _ in _FIELDS[: version + 2]},
        "required": ["seq", "customer", "amount"],
        "additionalProperties": False,
    }


def proto_file(version):
    """The FileDescriptorProto of `version`."""
    fd = descriptor_pb2.FileDescriptorProto(name=PROTO_FILE, package="shop.mirror", syntax="proto3")
    msg = fd.message_type.add(name="Order")
    for number, (name, _, _, kind) in enumerate(_FIELDS[: version + 2], start=1):
        msg.field.add(
            name=name,
            number=number,
            type=getattr(descriptor_pb2.FieldDescriptorProto, kind),
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            json_name=name,
        )
    return fd


_PROTO_CLASSES = {}


def proto_class(version):
    """The generated message class of `version` (its own DescriptorPool)."""
    if version not in _PROTO_CLASSES:
        pool = descriptor_pool.DescriptorPool()
        pool.Add(proto_file(version))
        _PROTO_CLASSES[version] = message_factory.GetMessageClass(pool.FindMessageTypeByName(PROTO_MESSAGE))
    return _PROTO_CLASSES[version]


# ---------------------------------------------------------------------------------------
# Serdes.


def serializer(fmt, client, version, conf=None):
    """(serializer, to_value): `serializer(to_value(dict), ctx)` gives the framed bytes."""
    conf = dict(conf or {"auto.register.schemas": True})
    if fmt == "avro":
        return AvroSerializer(client, json.dumps(avro_schema(version)), conf=conf), lambda r: r
    if fmt == "json":
        return JSONSerializer(json.dumps(json_schema(version)), client, conf=conf), lambda r: r
    if fmt == "protobuf":
        cls = proto_class(version)
        return ProtobufSerializer(cls, client, conf=conf), lambda r: cls(**r)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def deserializer(fmt, client):
    """The stock deserializer of `fmt`, reading every writer schema from `client`'s registry
    (Protobuf: decoded into the newest version's class, a superset of every writer)."""
    if fmt == "avro":
        return AvroDeserializer(client)
    if fmt == "json":
        return JSONDeserializer(None, schema_registry_client=client)
    if fmt == "protobuf":
        return ProtobufDeserializer(proto_class(VERSIONS), {}, client)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def writer_fields(fmt, value, client, schema_id, subject):
    """(decoded value as a dict, the writer schema's field names). Avro and JSON values are
    dicts of the writer's fields; for Protobuf the writer schema is read from `client`'s
    cache (the deserializer fetched it with this subject and `format=serialized`)."""
    if fmt in ("avro", "json"):
        return value, list(value.keys()) if isinstance(value, dict) else []
    schema = client.get_schema(schema_id, subject, "serialized")
    fd = descriptor_pb2.FileDescriptorProto.FromString(base64.standard_b64decode(schema.schema_str))
    names = [f.name for f in fd.message_type[0].field]
    return {name: getattr(value, name) for name in names}, names
