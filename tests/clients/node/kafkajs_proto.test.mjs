// Protobuf through @kafkajs/confluent-schema-registry (unchanged) against $SR_URL: register
// .proto text with SchemaType.PROTOBUF, encode -> bytes -> decode, getLatestSchemaId, and a
// schema importing a file registered under another subject (a reference). No broker. Run
// with `node --test` (see run.sh).
//
// kafkajs parses schemas with protobufjs: on register it parses the text it sends plus the
// referenced schemas it fetches (GET /subjects/{s}/versions/{v}); on decode with a new
// client it parses what GET /schemas/ids/{id} returns (the server's canonical text) plus
// the references, and uses the file's first message. protobufjs does not know the
// well-known types unless they are given as references, so no google/protobuf import here
// (protobuf_client_test.py and confluent_proto.test.mjs cover that). kafkajs writes no
// message indexes (its decode skips leading zero bytes), so its payload is the magic byte,
// the id, then the protobuf body.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { RUN, SR_URL, scenario, eq, check, rejects, httpGet, header } from './check.mjs';

const fresh = () => new SchemaRegistry({ host: SR_URL }); // new caches: calls reach the server
const isValidationError = (e) => e && e.name === 'ConfluentSchemaRegistryValidationError';
const plainJson = (m) => JSON.parse(JSON.stringify(m)); // protobufjs message -> JSON (int64 as strings)

const DIR = `t${RUN}/shop`;

const PLAIN = `syntax = "proto3";
package shop.v1;

message Plain {
  message Inner {
    string x = 1;
  }
  enum Kind {
    KIND_UNKNOWN = 0;
    KIND_A = 1;
  }
  string some_name = 1;
  int64 b = 2;
  Inner inner = 3;
  repeated string tags = 4;
  Kind kind = 5;
  map<string, int32> counts = 6;
}
`;
const PLAIN_MSG = { someName: 'widget', b: 1234567890123, inner: { x: 'in' }, tags: ['a', 'b'], kind: 1, counts: { a: 1, b: 2 } };
const PLAIN_JSON = { someName: 'widget', b: '1234567890123', inner: { x: 'in' }, tags: ['a', 'b'], kind: 'KIND_A', counts: { a: 1, b: 2 } };

const ADDRESS = `syntax = "proto3";
package shop.v1;

message Address {
  string street = 1;
  int32 zip = 2;
}
`;
const ORDER = `syntax = "proto3";
package shop.v1;

import "${DIR}/address.proto";

message Order {
  int64 id = 1;
  string item = 2;
  Address ship_to = 3;
  repeated Address stops = 4;
}
`;
const ORDER_MSG = { id: 42, item: 'widget', shipTo: { street: 'Main St', zip: 12345 }, stops: [{ street: 'Elm', zip: 1 }] };
const ORDER_JSON = { id: '42', item: 'widget', shipTo: { street: 'Main St', zip: 12345 }, stops: [{ street: 'Elm', zip: 1 }] };

scenario('kafkajs: register, encode/decode round trip, getLatestSchemaId (SchemaType.PROTOBUF)', async () => {
  const subject = `kpb-plain-${RUN}-value`;
  const schema = { type: SchemaType.PROTOBUF, schema: PLAIN };
  const { id } = await fresh().register(schema, { subject });
  check(`register(SchemaType.PROTOBUF) returned an id (${id})`, Number.isInteger(id) && id > 0);
  eq('registering it again (new client) gives the same id', (await fresh().register(schema, { subject })).id, id);
  eq('getLatestSchemaId(subject)', await fresh().getLatestSchemaId(subject), id);
  eq('getRegistryId(subject, 1)', await fresh().getRegistryId(subject, 1), id);

  const [status, body] = await httpGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
  eq('GET /subjects/{s}/versions/latest: [status, schemaType, id, version]',
    [status, body.schemaType, body.id, body.version], [200, 'PROTOBUF', id, 1]);
  check('the stored schema is .proto text with message Plain', String(body.schema).includes('message Plain'), body.schema);
  const [cstatus, cbody] = await httpGet(`/config/${encodeURIComponent(subject)}`);
  eq('register set the subject compatibility (its default updateConfig) to BACKWARD',
    [cstatus, cbody.compatibilityLevel], [200, 'BACKWARD']);

  const buf = await fresh().encode(id, PLAIN_MSG);
  eq('encode(): header is magic byte 0 and the id', header(buf), [0, id]);
  const out = await fresh().decode(buf);
  eq('decode() with a new client (parses the schema text the server returns) returns the message',
    plainJson(out), PLAIN_JSON);
  await rejects('encode() refuses a message whose string field holds a number',
    () => fresh().encode(id, { ...PLAIN_MSG, someName: 5 }), isValidationError);
});

scenario('kafkajs: a PROTOBUF schema importing a file registered under another subject', async () => {
  const addrSubject = `kpb-address-${RUN}`;
  const subject = `kpb-order-${RUN}-value`;
  const references = [{ name: `${DIR}/address.proto`, subject: addrSubject, version: 1 }];

  const addr = await fresh().register({ type: SchemaType.PROTOBUF, schema: ADDRESS }, { subject: addrSubject });
  check(`the imported file registers under its own subject (id ${addr.id})`, Number.isInteger(addr.id));
  const order = await fresh().register({ type: SchemaType.PROTOBUF, schema: ORDER, references }, { subject });
  check(`the importing schema registers with the reference (id ${order.id})`, Number.isInteger(order.id) && order.id !== addr.id);
  eq('getLatestSchemaId(order subject)', await fresh().getLatestSchemaId(subject), order.id);
  const [status, body] = await httpGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
  eq('GET /subjects/{s}/versions/latest: [status, schemaType, references]',
    [status, body.schemaType, body.references], [200, 'PROTOBUF', references]);
  check('the stored text keeps the import', String(body.schema).includes(`import "${DIR}/address.proto";`), body.schema);
  const [sstatus, sbody] = await httpGet(`/schemas/ids/${order.id}`);
  eq('GET /schemas/ids/{id}: [status, schemaType, references]',
    [sstatus, sbody.schemaType, sbody.references], [200, 'PROTOBUF', references]);

  const buf = await fresh().encode(order.id, ORDER_MSG);
  eq('encode(): header carries the importing schema id', header(buf), [0, order.id]);
  eq('decode() (new client: fetches the schema and its reference, parses both) returns the message',
    plainJson(await fresh().decode(buf)), ORDER_JSON);
  await rejects('encode() validates the referenced message too (zip is a string)',
    () => fresh().encode(order.id, { ...ORDER_MSG, shipTo: { street: 'Main St', zip: 'x' } }), isValidationError);
  await rejects('register() with a reference to a subject that does not exist -> HTTP 404 (kafkajs fetches the reference first)',
    () => fresh().register({ type: SchemaType.PROTOBUF, schema: ORDER,
      references: [{ name: `${DIR}/address.proto`, subject: `kpb-nope-${RUN}`, version: 1 }] },
    { subject: `kpb-dangling-${RUN}-value` }),
    (e) => e && e.name === 'ResponseError' && e.status === 404);
});
