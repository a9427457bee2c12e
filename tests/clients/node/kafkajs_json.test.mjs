// JSON Schema through @kafkajs/confluent-schema-registry (unchanged) against $SR_URL:
// register with SchemaType.JSON, encode -> bytes -> decode, getLatestSchemaId,
// a schema whose $ref names a schema registered under another subject, and the
// validation encode/decode do. No broker. Run with `node --test` (see run.sh).
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  RUN, SR_URL, scenario, eq, check, rejects, httpGet, framed, header,
  ORDER, ORDER_MSG, ADDRESS, PERSON, PERSON_MSG,
} from './check.mjs';

const fresh = () => new SchemaRegistry({ host: SR_URL }); // new caches: calls reach the server
const isValidationError = (e) => e && e.name === 'ConfluentSchemaRegistryValidationError';

scenario('kafkajs: register, encode/decode round trip, getLatestSchemaId (SchemaType.JSON)', async () => {
  const subject = `kjs-orders-${RUN}-value`;
  const schema = { type: SchemaType.JSON, schema: JSON.stringify(ORDER) };
  const { id } = await fresh().register(schema, { subject });
  check(`register(SchemaType.JSON) returned an id (${id})`, Number.isInteger(id) && id > 0);
  eq('registering it again (new client) gives the same id', (await fresh().register(schema, { subject })).id, id);
  eq('getLatestSchemaId(subject)', await fresh().getLatestSchemaId(subject), id);
  eq("getRegistryId(subject, 'latest')", await fresh().getRegistryId(subject, 'latest'), id);
  eq('getRegistryId(subject, 1)', await fresh().getRegistryId(subject, 1), id);

  const [status, body] = await httpGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
  eq('GET /subjects/{s}/versions/latest: [status, schemaType, id, version]',
    [status, body.schemaType, body.id, body.version], [200, 'JSON', id, 1]);
  eq('what register sent is what the registry stores', JSON.parse(body.schema), ORDER);
  const [cstatus, cbody] = await httpGet(`/config/${encodeURIComponent(subject)}`);
  eq('register set the subject compatibility (its default updateConfig) to BACKWARD',
    [cstatus, cbody.compatibilityLevel], [200, 'BACKWARD']);

  const buf = await fresh().encode(id, ORDER_MSG);
  eq('encode(): header is magic byte 0 and the id', header(buf), [0, id]);
  eq('encode(): body is the message as JSON', JSON.parse(buf.subarray(5).toString()), ORDER_MSG);
  eq('decode() with a new client (fetches the schema by id) returns the message', await fresh().decode(buf), ORDER_MSG);

  await rejects('encode() refuses a message missing a required property',
    () => fresh().encode(id, { id: 1, item: 'x' }), isValidationError);
  await rejects('encode() refuses qty=0 (minimum 1)',
    () => fresh().encode(id, { ...ORDER_MSG, qty: 0 }), isValidationError);
  await rejects('decode() validates against the schema it fetched (qty is a string)',
    () => fresh().decode(framed(id, { ...ORDER_MSG, qty: 'three' })), isValidationError);
  await rejects('decode() refuses an extra property (additionalProperties false)',
    () => fresh().decode(framed(id, { ...ORDER_MSG, colour: 'red' })), isValidationError);
});

scenario('kafkajs: a JSON schema with a reference to another subject', async () => {
  const addrSubject = `kjs-address-${RUN}`;
  const subject = `kjs-person-${RUN}-value`;
  const references = [{ name: 'address.json', subject: addrSubject, version: 1 }];

  const addr = await fresh().register({ type: SchemaType.JSON, schema: JSON.stringify(ADDRESS) }, { subject: addrSubject });
  check(`the referenced schema registers under its own subject (id ${addr.id})`, Number.isInteger(addr.id));
  const person = await fresh().register(
    { type: SchemaType.JSON, schema: JSON.stringify(PERSON), references }, { subject });
  check(`the referencing schema registers (id ${person.id})`, Number.isInteger(person.id) && person.id !== addr.id);
  eq('getLatestSchemaId(person subject)', await fresh().getLatestSchemaId(subject), person.id);
  const [status, body] = await httpGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
  eq('GET /subjects/{s}/versions/latest: [status, schemaType, references]',
    [status, body.schemaType, body.references], [200, 'JSON', references]);
  const [sstatus, sbody] = await httpGet(`/schemas/ids/${person.id}`);
  eq('GET /schemas/ids/{id}: [status, schemaType, references]',
    [sstatus, sbody.schemaType, sbody.references], [200, 'JSON', references]);

  const buf = await fresh().encode(person.id, PERSON_MSG);
  eq('encode(): header carries the referencing schema id', header(buf), [0, person.id]);
  eq('decode() (new client: fetches the schema and its reference) returns the message', await fresh().decode(buf), PERSON_MSG);
  const bad = { ...PERSON_MSG, home: { street: 'Main St', zip: '12345' } };
  await rejects('encode() validates through the $ref (zip is a string)',
    () => fresh().encode(person.id, bad), isValidationError);
  await rejects('decode() validates through the $ref (zip missing)',
    () => fresh().decode(framed(person.id, { ...PERSON_MSG, home: { street: 'Main St' } })), isValidationError);
  await rejects('register() with a reference to a subject that does not exist -> HTTP 404 (kafkajs fetches the reference first)',
    () => fresh().register({ type: SchemaType.JSON, schema: JSON.stringify(PERSON),
      references: [{ name: 'address.json', subject: `kjs-nope-${RUN}`, version: 1 }] },
    { subject: `kjs-dangling-${RUN}-value` }),
    (e) => e && e.name === 'ResponseError' && e.status === 404);
});
