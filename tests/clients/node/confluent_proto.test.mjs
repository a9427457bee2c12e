// Protobuf through Confluent's own JS client @confluentinc/schemaregistry (unchanged) against
// $SR_URL, with @bufbuild/protobuf (which its Protobuf serde requires) for the messages:
// SchemaRegistryClient register / getLatestSchemaMetadata / getBySubjectAndId (also with
// format 'serialized'), ProtobufSerializer / ProtobufDeserializer in the default
// configuration (a lookup: the schema is registered first), with autoRegisterSchemas (the
// serializer registers the imported file under its own subject and references it), with
// useLatestVersion, and a nested message (message indexes). No broker: serialize -> bytes
// -> deserialize. Run with `node --test` (see run.sh).
//
// The message types are built at test time as FileDescriptorProtos (what protoc would
// produce for the .proto text in the comments) and loaded into a @bufbuild/protobuf
// FileRegistry; the serializer sends those descriptors base64-encoded and the deserializer
// reads the writer's schema back with ?format=serialized. order.proto imports
// google/protobuf/timestamp.proto (a well-known type: no reference, the server must know
// it) and address.proto (registered under the subject named after the file). The files
// live under a per-run directory (t<run id>/shop/), so those subjects are new every run.
import {
  SchemaRegistryClient, ProtobufSerializer, ProtobufDeserializer, SerdeType, RestError,
} from '@confluentinc/schemaregistry';
import { create, createFileRegistry, equals, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema, FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type,
  file_google_protobuf_timestamp,
} from '@bufbuild/protobuf/wkt';
import { RUN, SR_URL, scenario, eq, check, rejects, httpGet, header } from './check.mjs';

const fresh = () => new SchemaRegistryClient({ baseURLs: [SR_URL] }); // new caches: calls reach the server
const VALUE = SerdeType.VALUE;
const isRest = (status, code) => (e) => e instanceof RestError && e.status === status && e.errorCode === code;
const q = encodeURIComponent;
// GET /subjects/{s}/versions by hand: the client's getAllVersions does not URL-encode the
// subject, and the file-named subjects here contain '/'.
const versions = async (subject) => {
  const [status, body] = await httpGet(`/subjects/${q(subject)}/versions`);
  eq(`GET /subjects/${subject}/versions status`, status, 200);
  return body;
};

const DIR = `t${RUN}/shop`;
const ADDRESS_FILE = `${DIR}/address.proto`;
const ORDER_FILE = `${DIR}/order.proto`;
const PLAIN_FILE = `${DIR}/plain.proto`;

const field = (name, number, type, extra = {}) => ({ name, number, type, label: Label.OPTIONAL, ...extra });

// syntax = "proto3"; package shop.v1;
// message Address { string street = 1; int32 zip = 2; }
const addressProto = create(FileDescriptorProtoSchema, {
  name: ADDRESS_FILE, package: 'shop.v1', syntax: 'proto3',
  messageType: [{ name: 'Address', field: [field('street', 1, Type.STRING), field('zip', 2, Type.INT32)] }],
});

// syntax = "proto3"; package shop.v1;
// import "google/protobuf/timestamp.proto"; import "<DIR>/address.proto";
// message Note { string text = 1; }
// message Order {
//   enum Status { STATUS_UNKNOWN = 0; STATUS_PAID = 1; STATUS_SHIPPED = 2; }
//   message Line { string sku = 1; int32 count = 2; }
//   int64 id = 1; string item = 2; int32 qty = 3; double price = 4; repeated string tags = 5;
//   google.protobuf.Timestamp placed_at = 6; Address ship_to = 7; Status status = 8;
//   repeated Line lines = 9; map<string, int32> counts = 10;
// }
const orderProto = create(FileDescriptorProtoSchema, {
  name: ORDER_FILE, package: 'shop.v1', syntax: 'proto3',
  dependency: ['google/protobuf/timestamp.proto', ADDRESS_FILE],
  messageType: [
    { name: 'Note', field: [field('text', 1, Type.STRING)] },
    {
      name: 'Order',
      field: [
        field('id', 1, Type.INT64),
        field('item', 2, Type.STRING),
        field('qty', 3, Type.INT32),
        field('price', 4, Type.DOUBLE),
        field('tags', 5, Type.STRING, { label: Label.REPEATED }),
        field('placed_at', 6, Type.MESSAGE, { typeName: '.google.protobuf.Timestamp' }),
        field('ship_to', 7, Type.MESSAGE, { typeName: '.shop.v1.Address' }),
        field('status', 8, Type.ENUM, { typeName: '.shop.v1.Order.Status' }),
        field('lines', 9, Type.MESSAGE, { label: Label.REPEATED, typeName: '.shop.v1.Order.Line' }),
        field('counts', 10, Type.MESSAGE, { label: Label.REPEATED, typeName: '.shop.v1.Order.CountsEntry' }),
      ],
      nestedType: [
        { name: 'Line', field: [field('sku', 1, Type.STRING), field('count', 2, Type.INT32)] },
        {
          name: 'CountsEntry', options: { mapEntry: true },
          field: [field('key', 1, Type.STRING), field('value', 2, Type.INT32)],
        },
      ],
      enumType: [{
        name: 'Status',
        value: [{ name: 'STATUS_UNKNOWN', number: 0 }, { name: 'STATUS_PAID', number: 1 }, { name: 'STATUS_SHIPPED', number: 2 }],
      }],
    },
  ],
});

// The same file as PLAIN_TEXT (registered as text, looked up with this descriptor).
const plainProto = create(FileDescriptorProtoSchema, {
  name: PLAIN_FILE, package: 'shop.v1', syntax: 'proto3',
  messageType: [{
    name: 'Plain',
    field: [
      field('some_name', 1, Type.STRING),
      field('b', 2, Type.INT64),
      field('inner', 3, Type.MESSAGE, { typeName: '.shop.v1.Plain.Inner' }),
    ],
    nestedType: [{ name: 'Inner', field: [field('x', 1, Type.STRING)] }],
  }],
});
const PLAIN_TEXT = `syntax = "proto3";
package shop.v1;

message Plain {
  message Inner {
    string x = 1;
  }
  string some_name = 1;
  int64 b = 2;
  Inner inner = 3;
}
`;

const resolve = (name) => ({
  'google/protobuf/timestamp.proto': file_google_protobuf_timestamp,
  [ADDRESS_FILE]: addressProto,
}[name]);
const registry = createFileRegistry(
  createFileRegistry(orderProto, resolve), createFileRegistry(plainProto, () => undefined));
const Order = registry.getMessage('shop.v1.Order');
const Plain = registry.getMessage('shop.v1.Plain');
const Inner = registry.getMessage('shop.v1.Plain.Inner');
const b64 = (fdp) => Buffer.from(toBinary(FileDescriptorProtoSchema, fdp)).toString('base64');
const descriptorOf = (base64) => fromBinary(FileDescriptorProtoSchema, Buffer.from(base64, 'base64'));

const orderMsg = () => create(Order, {
  id: 1234567890123n, item: 'widget', qty: 3, price: 9.5, tags: ['a', 'b'],
  placedAt: { seconds: 1700000000n, nanos: 123000000 },
  shipTo: { street: 'Main St', zip: 12345 },
  status: 1,
  lines: [{ sku: 'w-1', count: 2 }, { sku: 'w-2', count: 1 }],
  counts: { 'w-1': 2, 'w-2': 1 },
});
const same = (what, got, want, desc) =>
  check(what, equals(desc, got, want), `got ${JSON.stringify(toJson(desc, got))}, want ${JSON.stringify(toJson(desc, want))}`);

scenario('confluent: client register / getLatestSchemaMetadata / getBySubjectAndId (PROTOBUF text)', async () => {
  const subject = `cpb-plain-${RUN}-value`;
  const info = { schemaType: 'PROTOBUF', schema: PLAIN_TEXT };
  const id = await fresh().register(subject, info);
  check(`register(subject, {schemaType: 'PROTOBUF'}) returned an id (${id})`, Number.isInteger(id) && id > 0);
  eq('registering it again (new client) gives the same id', await fresh().register(subject, info), id);
  const meta = await fresh().getLatestSchemaMetadata(subject);
  eq('getLatestSchemaMetadata(): [id, version, subject, schemaType]',
    [meta.id, meta.version, meta.subject, meta.schemaType], [id, 1, subject, 'PROTOBUF']);
  check('getLatestSchemaMetadata().schema is .proto text with message Plain', meta.schema.includes('message Plain'), meta.schema);
  const byId = await fresh().getBySubjectAndId(subject, id);
  eq('getBySubjectAndId(): schemaType', byId.schemaType, 'PROTOBUF');
  const ser = await fresh().getBySubjectAndId(subject, id, 'serialized');
  const fd = descriptorOf(ser.schema);
  eq("getBySubjectAndId(.., 'serialized') is a base64 FileDescriptorProto: [package, messages, nested]",
    [fd.package, fd.messageType.map((m) => m.name), fd.messageType[0].nestedType.map((m) => m.name)],
    ['shop.v1', ['Plain'], ['Inner']]);
  eq('getId(subject, text) (lookup)', await fresh().getId(subject, info), id);
  eq('getAllVersions(subject)', await fresh().getAllVersions(subject), [1]);
  await rejects("register(subject, PROTOBUF text that does not parse: 'message {') -> 422 / 42201",
    () => fresh().register(subject, { schemaType: 'PROTOBUF', schema: 'message {' }), isRest(422, 42201));
});

scenario('confluent: ProtobufSerializer with autoRegisterSchemas registers the file, its import and the reference', async () => {
  const topic = `cpb-auto-${RUN}`;
  const subject = `${topic}-value`;
  const msg = orderMsg();
  const bytes = await new ProtobufSerializer(fresh(), VALUE, { autoRegisterSchemas: true, registry }).serialize(topic, msg);
  console.log(`  ..   serialized ${bytes.length} bytes: ${bytes.subarray(0, 8).toString('hex')}...`);

  eq('the serializer registered the imported file under the subject named after it',
    await versions(ADDRESS_FILE), [1]);
  const [astatus, abody] = await httpGet(`/subjects/${q(ADDRESS_FILE)}/versions/1`);
  eq('GET /subjects/{file subject}/versions/1: [status, schemaType]', [astatus, abody.schemaType], [200, 'PROTOBUF']);
  check('the imported file is stored as .proto text with message Address', String(abody.schema).includes('message Address'), abody.schema);
  const meta = await fresh().getLatestSchemaMetadata(subject);
  eq('order.proto is version 1 of the topic subject, schemaType PROTOBUF', [meta.version, meta.schemaType], [1, 'PROTOBUF']);
  eq('its references: the imported file only (none for google/protobuf/timestamp.proto)', meta.references,
    [{ name: ADDRESS_FILE, subject: ADDRESS_FILE, version: 1 }]);
  for (const s of ['import "google/protobuf/timestamp.proto";', `import "${ADDRESS_FILE}";`, 'message Note', 'message Order']) {
    check(`the stored schema text has ${s}`, meta.schema.includes(s), meta.schema);
  }
  const [status, body] = await httpGet(`/schemas/ids/${meta.id}?subject=${q(subject)}&format=serialized`);
  eq('GET /schemas/ids/{id}?subject=..&format=serialized: [status, schemaType]', [status, body.schemaType], [200, 'PROTOBUF']);
  const fd = descriptorOf(body.schema);
  eq('the serialized form: [package, sorted imports, top-level messages in order]',
    [fd.package, [...fd.dependency].sort(), fd.messageType.map((m) => m.name)],
    ['shop.v1', ['google/protobuf/timestamp.proto', ADDRESS_FILE].sort(), ['Note', 'Order']]);

  eq('header: magic byte 0 and the registered id', header(bytes), [0, meta.id]);
  eq('message indexes [1] (Order is the second message): bytes 02 02', [...bytes.subarray(5, 7)], [2, 2]);
  eq('body is the message in protobuf binary', Buffer.from(bytes.subarray(7)).toString('hex'),
    Buffer.from(toBinary(Order, msg)).toString('hex'));
  const again = await new ProtobufSerializer(fresh(), VALUE, { autoRegisterSchemas: true, registry }).serialize(topic, msg);
  eq('a new serializer (new client) gives the same bytes', again.toString('hex'), bytes.toString('hex'));
  eq('versions after two serializers [topic subject, file subject]',
    [await fresh().getAllVersions(subject), await versions(ADDRESS_FILE)], [[1], [1]]);

  const out = await new ProtobufDeserializer(fresh(), VALUE, {}).deserialize(topic, bytes);
  eq('deserialize() (new client): the type found by the message indexes in the served descriptor', out.$typeName, 'shop.v1.Order');
  same('deserialize() returns the message (timestamp, referenced message, map included)', out, msg, Order);
});

scenario('confluent: ProtobufSerializer default configuration (lookup) of schemas registered beforehand', async () => {
  // Default: autoRegisterSchemas off, so the serializer looks up the imported file under its
  // subject and the file under the topic subject; register both first (as descriptors).
  const topic = `cpb-default-${RUN}`;
  const subject = `${topic}-value`;
  const c = fresh();
  await c.register(ADDRESS_FILE, { schemaType: 'PROTOBUF', schema: b64(addressProto) });
  const id = await c.register(subject, {
    schemaType: 'PROTOBUF', schema: b64(orderProto), references: [{ name: ADDRESS_FILE, subject: ADDRESS_FILE, version: 1 }],
  });
  const msg = orderMsg();
  const bytes = await new ProtobufSerializer(fresh(), VALUE, { registry }).serialize(topic, msg);
  eq('serialize(): header carries the id of the registered schema', header(bytes), [0, id]);
  eq('the lookups registered nothing new', [await fresh().getAllVersions(subject), await versions(ADDRESS_FILE)], [[1], [1]]);
  same('deserialize() (default config) returns the message',
    await new ProtobufDeserializer(fresh(), VALUE, {}).deserialize(topic, bytes), msg, Order);

  // Registered as .proto text: Confluent 7.9 reads the descriptor's message-typed fields fully
  // qualified (`.shop.v1.Plain.Inner`, ProtobufSchema.dataType), so its canonical text differs
  // from the text's and the lookup (KafkaSchemaRegistry.lookUpSchemaUnderSubject) finds nothing.
  const ptopic = `cpb-text-${RUN}`;
  await fresh().register(`${ptopic}-value`, { schemaType: 'PROTOBUF', schema: PLAIN_TEXT });
  const pmsg = create(Plain, { someName: 'x', b: -7n, inner: { x: 'in' } });
  await rejects('serialize() looking up a schema registered as text -> 404 / 40403',
    () => new ProtobufSerializer(fresh(), VALUE, { registry }).serialize(ptopic, pmsg), isRest(404, 40403));

  await rejects('serialize() when the topic subject does not exist -> 404 / 40401',
    () => new ProtobufSerializer(fresh(), VALUE, { registry }).serialize(`cpb-none-${RUN}`, pmsg), isRest(404, 40401));
});

scenario('confluent: ProtobufSerializer/ProtobufDeserializer with useLatestVersion, and a nested message', async () => {
  const topic = `cpb-latest-${RUN}`;
  const subject = `${topic}-value`;
  const msg = orderMsg();
  const first = await new ProtobufSerializer(fresh(), VALUE, { autoRegisterSchemas: true, registry }).serialize(topic, msg);
  const bytes = await new ProtobufSerializer(fresh(), VALUE, { useLatestVersion: true, registry }).serialize(topic, msg);
  eq('useLatestVersion (GET latest ?format=serialized): same bytes', bytes.toString('hex'), first.toString('hex'));
  same('deserialize() with useLatestVersion returns the message',
    await new ProtobufDeserializer(fresh(), VALUE, { useLatestVersion: true }).deserialize(topic, bytes), msg, Order);
  eq('still one version', await fresh().getAllVersions(subject), [1]);

  // A nested message: indexes [0, 0] (count 2, then 0 and 0: zigzag varints 04 00 00).
  const ntopic = `cpb-inner-${RUN}`;
  const inner = create(Inner, { x: 'nested' });
  const nbytes = await new ProtobufSerializer(fresh(), VALUE, { autoRegisterSchemas: true, registry }).serialize(ntopic, inner);
  eq('message indexes [0, 0]: bytes 04 00 00', [...nbytes.subarray(5, 8)], [4, 0, 0]);
  const out = await new ProtobufDeserializer(fresh(), VALUE, {}).deserialize(ntopic, nbytes);
  eq('deserialize() walks the indexes into the nested message', out.$typeName, 'shop.v1.Plain.Inner');
  same('the nested message round-trips', out, inner, Inner);
});
