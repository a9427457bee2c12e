// Schema GUIDs in Kafka headers through Confluent's own JS client @confluentinc/schemaregistry
// (unchanged) against $SR_URL. The serializers' `schemaIdSerializer` option (default
// PrefixSchemaIdSerializer: byte 0 + 4-byte id before the payload) set to
// HeaderSchemaIdSerializer leaves the payload bare and writes the schema's Confluent 8
// GUID into the headers object passed to serialize(topic, msg, headers):
// `__value_schema_id` / `__key_schema_id` = byte 0x01 + the GUID's 16 bytes (+ the message
// indexes for Protobuf). The serializer takes the GUID from the registry's answer (the
// `guid` of POST /subjects/{s}/versions, POST /subjects/{s} or GET .../versions/latest).
// The deserializers' default `schemaIdDeserializer`, DualSchemaIdDeserializer, reads the
// header if there is one, else the classic prefix; a GUID is resolved by
// SchemaRegistryClient.getByGuid: GET /schemas/guids/{guid} (Avro, JSON) or
// GET /schemas/guids/{guid}?format=serialized (Protobuf); an id by
// GET /schemas/ids/{id}?subject=...
//
// Avro (value and key), JSON Schema and Protobuf: the header holds 0x01 + the GUID that
// GET /subjects/{s}/versions/latest reports, the payload is the classic one without its
// prefix, and a deserializer with a new client (no cache) gives the message back; its
// requests go through a recording proxy in this process, so the test also checks that
// the GUID was resolved with GET /schemas/guids/{guid}. No broker. Run with `node --test`
// (see run.sh).
import http from 'node:http';
import {
  SchemaRegistryClient, AvroSerializer, AvroDeserializer, JsonSerializer, JsonDeserializer,
  ProtobufSerializer, ProtobufDeserializer, SerdeType, RestError, SerializationError,
  HeaderSchemaIdSerializer, KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER,
} from '@confluentinc/schemaregistry';
import { create, createFileRegistry, equals, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema, FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type,
} from '@bufbuild/protobuf/wkt';
import {
  RUN, SR_URL, scenario, eq, check, rejects, httpGet, header, ORDER, ORDER_MSG,
} from './check.mjs';

const fresh = () => new SchemaRegistryClient({ baseURLs: [SR_URL] }); // new caches: calls reach the server
const VALUE = SerdeType.VALUE;
const KEY = SerdeType.KEY;
const HEADER_MODE = { schemaIdSerializer: HeaderSchemaIdSerializer };
const q = encodeURIComponent;
const hex = (buf) => Buffer.from(buf).toString('hex');
const plain = (x) => JSON.parse(JSON.stringify(x)); // avsc records are class instances

/** The header value for a GUID: byte 1, the GUID's 16 bytes, then Protobuf's message indexes. */
const guidHeader = (guid, indexes = []) =>
  Buffer.concat([Buffer.from([1]), Buffer.from(guid.replace(/-/g, ''), 'hex'), Buffer.from(indexes)]);

/** GET /subjects/{s}/versions/latest by hand: its id and guid. */
async function latest(subject) {
  const [status, body] = await httpGet(`/subjects/${q(subject)}/versions/latest`);
  eq(`GET /subjects/${subject}/versions/latest status`, status, 200);
  check(`  ... it has a guid (${body.guid}) in the lowercase UUID form`,
    typeof body.guid === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(body.guid),
    JSON.stringify(body));
  return body;
}

/**
 * A new client whose requests go through a recording proxy (forwarded to SR_URL
 * unchanged): { client, calls: ["METHOD /path?query", ...], close }.
 */
async function recorded() {
  const calls = [];
  const server = http.createServer(async (req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const headers = {};
    for (const h of ['content-type', 'accept']) if (req.headers[h]) headers[h] = req.headers[h];
    const r = await fetch(SR_URL.replace(/\/$/, '') + req.url, {
      method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const data = Buffer.from(await r.arrayBuffer());
    res.writeHead(r.status, {
      'content-type': r.headers.get('content-type') ?? 'application/json', 'content-length': data.length,
    });
    res.end(data);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const client = new SchemaRegistryClient({ baseURLs: [`http://127.0.0.1:${server.address().port}`] });
  const close = () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); });
  return { client, calls, close };
}

/** The calls under /schemas/ (the writer schema's resolution), without the association lookups. */
const schemaCalls = (calls) => calls.filter((c) => c.split(' ', 2)[1].startsWith('/schemas/'));

const ORDER_AVRO = {
  type: 'record', name: 'Order', namespace: 'test.guid',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'item', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
// The key goes through the default schema derivation (AvroSerializer.messageToSchema, avsc's
// Type.forValue): a small integer becomes an Avro int (a large one would be a float).
const KEY_MSG = { region: 'eu-west', id: 42 };

scenario('confluent: Avro with HeaderSchemaIdSerializer (value and key), DualSchemaIdDeserializer', async () => {
  const topic = `cguid-avro-${RUN}`;
  const vsubject = `${topic}-value`;
  const ksubject = `${topic}-key`;
  await fresh().register(vsubject, { schemaType: 'AVRO', schema: JSON.stringify(ORDER_AVRO) });
  const headers = {}; // one message's headers: the value and the key serializer both add theirs

  // Value: useLatestVersion (the GUID of GET /subjects/{s}/versions/latest).
  const value = await new AvroSerializer(fresh(), VALUE, { ...HEADER_MODE, useLatestVersion: true })
    .serialize(topic, ORDER_MSG, headers);
  // Key: autoRegisterSchemas (the schema derived from the message; the GUID of POST .../versions).
  const key = await new AvroSerializer(fresh(), KEY, { ...HEADER_MODE, autoRegisterSchemas: true })
    .serialize(topic, KEY_MSG, headers);
  const v = await latest(vsubject);
  const k = await latest(ksubject);
  check('the value and key schemas have different GUIDs', v.guid !== k.guid);
  eq('header names', Object.keys(headers).sort(), [KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER].sort());
  eq(`${VALUE_SCHEMA_ID_HEADER} = 0x01 + the 16 bytes of the value schema's GUID`,
    hex(headers[VALUE_SCHEMA_ID_HEADER]), hex(guidHeader(v.guid)));
  eq(`${KEY_SCHEMA_ID_HEADER} = 0x01 + the 16 bytes of the key schema's GUID`,
    hex(headers[KEY_SCHEMA_ID_HEADER]), hex(guidHeader(k.guid)));
  console.log(`  ..   ${VALUE_SCHEMA_ID_HEADER} = ${hex(headers[VALUE_SCHEMA_ID_HEADER])}, `
    + `payload ${hex(value.subarray(0, 8))}...`);
  const [gstatus, gbody] = await httpGet(`/schemas/guids/${v.guid}`);
  eq('GET /schemas/guids/{guid}: [status, guid, schema]', [gstatus, gbody.guid, gbody.schema], [200, v.guid, v.schema]);

  const classic = await new AvroSerializer(fresh(), VALUE, { useLatestVersion: true }).serialize(topic, ORDER_MSG);
  eq('classic framing of the same value: magic byte 0 + the id', header(classic), [0, v.id]);
  eq('header-mode value payload = the classic payload without its 5-byte prefix', hex(value), hex(classic.subarray(5)));
  const classicKey = await new AvroSerializer(fresh(), KEY, { autoRegisterSchemas: true }).serialize(topic, KEY_MSG);
  eq('header-mode key payload = the classic payload without its 5-byte prefix', hex(key), hex(classicKey.subarray(5)));

  // Default configuration (a lookup, POST /subjects/{s}, of the derived key schema): same header.
  const hs = {};
  await new AvroSerializer(fresh(), KEY, HEADER_MODE).serialize(topic, KEY_MSG, hs);
  eq('the lookup (default configuration) gives the same key header',
    hex(hs[KEY_SCHEMA_ID_HEADER]), hex(guidHeader(k.guid)));

  const rec = await recorded();
  try {
    const de = new AvroDeserializer(rec.client, VALUE, {});
    eq('AvroDeserializer (default: DualSchemaIdDeserializer, new client) returns the value',
      plain(await de.deserialize(topic, value, headers)), ORDER_MSG);
    console.log(`  ..   its requests: ${JSON.stringify(rec.calls)}`);
    eq('it resolved the GUID with GET /schemas/guids/{guid} (no query), nothing by id',
      schemaCalls(rec.calls), [`GET /schemas/guids/${v.guid}`]);
    rec.calls.length = 0;
    eq('the same deserializer reads the classic (prefixed) value, no headers',
      plain(await de.deserialize(topic, classic)), ORDER_MSG);
    console.log(`  ..   its requests: ${JSON.stringify(rec.calls)}`);
    const sc = schemaCalls(rec.calls);
    check(`... resolving the id with GET /schemas/ids/${v.id}`,
      sc.length === 1 && (sc[0] === `GET /schemas/ids/${v.id}` || sc[0].startsWith(`GET /schemas/ids/${v.id}?`)),
      JSON.stringify(rec.calls));
  } finally {
    await rec.close();
  }
  const krec = await recorded();
  try {
    eq('AvroDeserializer for the key (new client) returns the key from __key_schema_id',
      plain(await new AvroDeserializer(krec.client, KEY, {}).deserialize(topic, key, headers)), KEY_MSG);
    eq('it resolved the key GUID with GET /schemas/guids/{guid}',
      schemaCalls(krec.calls), [`GET /schemas/guids/${k.guid}`]);
  } finally {
    await krec.close();
  }
  eq('an array of header values works too (the last one counts)',
    plain(await new AvroDeserializer(fresh(), VALUE, {})
      .deserialize(topic, value, { [VALUE_SCHEMA_ID_HEADER]: [headers[VALUE_SCHEMA_ID_HEADER]] })), ORDER_MSG);

  await rejects('a GUID the registry does not know -> RestError 404 / 40403',
    () => new AvroDeserializer(fresh(), VALUE, {})
      .deserialize(topic, value, { [VALUE_SCHEMA_ID_HEADER]: guidHeader('00000000-0000-4000-8000-000000000001') }),
    (e) => e instanceof RestError && e.status === 404 && e.errorCode === 40403);
});

scenario('confluent: JSON with HeaderSchemaIdSerializer, DualSchemaIdDeserializer', async () => {
  const topic = `cguid-json-${RUN}`;
  const subject = `${topic}-value`;
  await fresh().register(subject, { schemaType: 'JSON', schema: JSON.stringify(ORDER) });
  const headers = {};
  const bytes = await new JsonSerializer(fresh(), VALUE, { ...HEADER_MODE, useLatestVersion: true, validate: true })
    .serialize(topic, ORDER_MSG, headers);
  const v = await latest(subject);
  eq('schemaType of the registered schema', v.schemaType, 'JSON');
  eq(`headers: only ${VALUE_SCHEMA_ID_HEADER} = 0x01 + the GUID's bytes`,
    Object.fromEntries(Object.entries(headers).map(([n, b]) => [n, hex(b)])),
    { [VALUE_SCHEMA_ID_HEADER]: hex(guidHeader(v.guid)) });
  eq('the payload is the message as JSON, no prefix', JSON.parse(bytes.toString()), ORDER_MSG);
  const classic = await new JsonSerializer(fresh(), VALUE, { useLatestVersion: true }).serialize(topic, ORDER_MSG);
  eq('... = the classic payload without its 5-byte prefix', hex(bytes), hex(classic.subarray(5)));

  const rec = await recorded();
  try {
    const de = new JsonDeserializer(rec.client, VALUE, { validate: true });
    eq('JsonDeserializer (validate, new client) returns the message',
      await de.deserialize(topic, bytes, headers), ORDER_MSG);
    eq('it resolved the GUID with GET /schemas/guids/{guid} (no query)',
      schemaCalls(rec.calls), [`GET /schemas/guids/${v.guid}`]);
    eq('the same deserializer reads the classic value', await de.deserialize(topic, classic), ORDER_MSG);
  } finally {
    await rec.close();
  }
  await rejects('deserialize() validates against the schema it got by GUID (qty is a string)',
    () => new JsonDeserializer(fresh(), VALUE, { validate: true })
      .deserialize(topic, Buffer.from(JSON.stringify({ ...ORDER_MSG, qty: 'three' })), headers),
    (e) => e instanceof SerializationError && e.message.includes('qty'));
});

// syntax = "proto3"; package guid.v1;
// message OrderKey { string region = 1; int64 id = 2; }
// message Order { int64 id = 1; string item = 2; int32 qty = 3; }
const field = (name, number, type) => ({ name, number, type, label: Label.OPTIONAL });
const guidProto = create(FileDescriptorProtoSchema, {
  name: `g${RUN}/guid/order.proto`, package: 'guid.v1', syntax: 'proto3',
  messageType: [
    { name: 'OrderKey', field: [field('region', 1, Type.STRING), field('id', 2, Type.INT64)] },
    { name: 'Order', field: [field('id', 1, Type.INT64), field('item', 2, Type.STRING), field('qty', 3, Type.INT32)] },
  ],
});
const registry = createFileRegistry(guidProto, () => undefined);
const PbOrder = registry.getMessage('guid.v1.Order');
const PbKey = registry.getMessage('guid.v1.OrderKey');
const same = (what, got, want, desc) =>
  check(what, equals(desc, got, want),
    `got ${JSON.stringify(toJson(desc, got))}, want ${JSON.stringify(toJson(desc, want))}`);

scenario('confluent: Protobuf with HeaderSchemaIdSerializer (message indexes in the header)', async () => {
  const topic = `cguid-proto-${RUN}`;
  const headers = {};
  const msg = create(PbOrder, { id: 1234567890123n, item: 'widget', qty: 3 });
  const kmsg = create(PbKey, { region: 'eu-west', id: 42n });
  const value = await new ProtobufSerializer(fresh(), VALUE, { ...HEADER_MODE, autoRegisterSchemas: true, registry })
    .serialize(topic, msg, headers);
  const key = await new ProtobufSerializer(fresh(), KEY, { ...HEADER_MODE, autoRegisterSchemas: true, registry })
    .serialize(topic, kmsg, headers);
  const v = await latest(`${topic}-value`);
  const k = await latest(`${topic}-key`);
  eq('schemaType of the registered schema', v.schemaType, 'PROTOBUF');
  eq('one file, one schema: value and key subjects share id and GUID', [k.id, k.guid], [v.id, v.guid]);
  eq(`${VALUE_SCHEMA_ID_HEADER} = 0x01 + GUID + message indexes [1] (02 02)`,
    hex(headers[VALUE_SCHEMA_ID_HEADER]), hex(guidHeader(v.guid, [2, 2])));
  eq(`${KEY_SCHEMA_ID_HEADER} = 0x01 + GUID + message indexes [0] (00)`,
    hex(headers[KEY_SCHEMA_ID_HEADER]), hex(guidHeader(k.guid, [0])));
  eq('the value payload is the bare protobuf encoding', hex(value), hex(toBinary(PbOrder, msg)));
  eq('the key payload is the bare protobuf encoding', hex(key), hex(toBinary(PbKey, kmsg)));

  const rec = await recorded();
  try {
    const de = new ProtobufDeserializer(rec.client, VALUE, {});
    same('ProtobufDeserializer (new client) returns the value',
      await de.deserialize(topic, value, headers), msg, PbOrder);
    eq('it resolved the GUID with GET /schemas/guids/{guid}?format=serialized',
      schemaCalls(rec.calls), [`GET /schemas/guids/${v.guid}?format=serialized`]);
    const classic = await new ProtobufSerializer(fresh(), VALUE, { autoRegisterSchemas: true, registry })
      .serialize(topic, msg);
    eq('classic framing: 00 + id + indexes 02 02, then the same bytes',
      [...header(classic), hex(classic.subarray(5, 7)), hex(classic.subarray(7))], [0, v.id, '0202', hex(value)]);
    same('the same deserializer reads the classic value', await de.deserialize(topic, classic), msg, PbOrder);
  } finally {
    await rec.close();
  }
  same('ProtobufDeserializer for the key (indexes [0] from the header) returns the key',
    await new ProtobufDeserializer(fresh(), KEY, {}).deserialize(topic, key, headers), kmsg, PbKey);
  const [status, body] = await httpGet(`/schemas/guids/${v.guid}?format=serialized`);
  const fd = fromBinary(FileDescriptorProtoSchema, Buffer.from(body.schema, 'base64'));
  eq('GET /schemas/guids/{guid}?format=serialized: [status, package, messages]',
    [status, fd.package, fd.messageType.map((m) => m.name)], [200, 'guid.v1', ['OrderKey', 'Order']]);
});
