// JSON Schema through Confluent's own JS client @confluentinc/schemaregistry (unchanged)
// against $SR_URL: SchemaRegistryClient register / getLatestSchemaMetadata /
// getBySubjectAndId, JsonSerializer/JsonDeserializer in the default configuration, with
// autoRegisterSchemas, with useLatestVersion, with validate, and a schema whose $ref
// names a schema registered under another subject. No broker: serialize -> bytes ->
// deserialize. Run with `node --test` (see run.sh).
import {
  SchemaRegistryClient, JsonSerializer, JsonDeserializer, SerdeType, RestError, SerializationError,
} from '@confluentinc/schemaregistry';
import {
  RUN, SR_URL, scenario, eq, check, rejects, httpGet, framed, header,
  ORDER, ORDER_MSG, ADDRESS, PERSON, PERSON_MSG,
} from './check.mjs';

const fresh = () => new SchemaRegistryClient({ baseURLs: [SR_URL] }); // new caches: calls reach the server
const VALUE = SerdeType.VALUE;
const isRest = (status, code) => (e) => e instanceof RestError && e.status === status && e.errorCode === code;
const isSerializationError = (needle) => (e) => e instanceof SerializationError && e.message.includes(needle);

scenario('confluent: client register / getLatestSchemaMetadata / getBySubjectAndId (JSON)', async () => {
  const subject = `cjs-plain-${RUN}-value`;
  const info = { schemaType: 'JSON', schema: JSON.stringify(ORDER) };
  const id = await fresh().register(subject, info);
  check(`register(subject, {schemaType: 'JSON'}) returned an id (${id})`, Number.isInteger(id) && id > 0);
  eq('registering it again (new client) gives the same id', await fresh().register(subject, info), id);
  const meta = await fresh().getLatestSchemaMetadata(subject);
  eq('getLatestSchemaMetadata(): [id, version, subject, schemaType]',
    [meta.id, meta.version, meta.subject, meta.schemaType], [id, 1, subject, 'JSON']);
  eq('getLatestSchemaMetadata().schema parses to the registered schema', JSON.parse(meta.schema), ORDER);
  const byId = await fresh().getBySubjectAndId(subject, id);
  eq('getBySubjectAndId(): schemaType', byId.schemaType, 'JSON');
  eq('getBySubjectAndId(): schema parses to the registered schema', JSON.parse(byId.schema), ORDER);
  eq('getId(subject, schema) (lookup)', await fresh().getId(subject, info), id);
  eq('getSchemaMetadata(subject, 1).id', (await fresh().getSchemaMetadata(subject, 1)).id, id);
  eq('getAllVersions(subject)', await fresh().getAllVersions(subject), [1]);
  await rejects('register(subject, JSON text that is not JSON) -> 422 / 42201',
    () => fresh().register(subject, { schemaType: 'JSON', schema: '{not json' }), isRest(422, 42201));
});

scenario('confluent: JsonSerializer/JsonDeserializer, default configuration', async () => {
  // Default: the serializer derives a schema from the message and looks it up (no
  // auto-registration), subject by the default strategy (ASSOCIATED, falling back to topic).
  const topic = `cjs-default-${RUN}`;
  const subject = `${topic}-value`;
  const derived = JSON.stringify(JsonSerializer.messageToSchema(ORDER_MSG));
  console.log(`  ..   derived schema: ${derived}`);
  const id = await fresh().register(subject, { schemaType: 'JSON', schema: derived });

  const ser = new JsonSerializer(fresh(), VALUE, {});
  const bytes = await ser.serialize(topic, ORDER_MSG);
  eq('serialize(): header is magic byte 0 and the id of the derived schema', header(bytes), [0, id]);
  eq('serialize(): body is the message as JSON', JSON.parse(bytes.subarray(5).toString()), ORDER_MSG);
  eq('the lookup registered nothing new', await fresh().getAllVersions(subject), [1]);
  const out = await new JsonDeserializer(fresh(), VALUE, {}).deserialize(topic, bytes);
  eq('deserialize() (new client, default config) returns the message', out, ORDER_MSG);

  await rejects('serialize() of a message whose derived schema is not registered -> 404 / 40403',
    () => new JsonSerializer(fresh(), VALUE, {}).serialize(topic, { other: 'shape' }), isRest(404, 40403));
});

scenario('confluent: JsonSerializer with autoRegisterSchemas registers a JSON schema', async () => {
  const topic = `cjs-auto-${RUN}`;
  const subject = `${topic}-value`;
  const bytes = await new JsonSerializer(fresh(), VALUE, { autoRegisterSchemas: true }).serialize(topic, ORDER_MSG);
  const meta = await fresh().getLatestSchemaMetadata(subject);
  eq('the serializer registered version 1 with schemaType JSON', [meta.version, meta.schemaType], [1, 'JSON']);
  eq('what it registered is the schema derived from the message',
    JSON.parse(meta.schema), JsonSerializer.messageToSchema(ORDER_MSG));
  const [status, body] = await httpGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
  eq('GET /subjects/{s}/versions/latest: [status, schemaType, id]', [status, body.schemaType, body.id], [200, 'JSON', meta.id]);
  eq('serialize(): header carries the registered id', header(bytes), [0, meta.id]);
  eq('deserialize() returns the message',
    await new JsonDeserializer(fresh(), VALUE, {}).deserialize(topic, bytes), ORDER_MSG);
});

scenario('confluent: JsonSerializer/JsonDeserializer with useLatestVersion and validate', async () => {
  const topic = `cjs-latest-${RUN}`;
  const subject = `${topic}-value`;
  const id = await fresh().register(subject, { schemaType: 'JSON', schema: JSON.stringify(ORDER) });

  const ser = new JsonSerializer(fresh(), VALUE, { useLatestVersion: true, validate: true });
  const bytes = await ser.serialize(topic, ORDER_MSG);
  eq('useLatestVersion: header carries the latest id', header(bytes), [0, id]);
  eq('deserialize() (default config) returns the message',
    await new JsonDeserializer(fresh(), VALUE, {}).deserialize(topic, bytes), ORDER_MSG);
  eq('deserialize() (useLatestVersion, validate) returns the message',
    await new JsonDeserializer(fresh(), VALUE, { useLatestVersion: true, validate: true }).deserialize(topic, bytes),
    ORDER_MSG);

  await rejects('serialize() with validate refuses a message missing a required property',
    () => ser.serialize(topic, { id: 1, item: 'x' }), isSerializationError('qty'));
  await rejects('serialize() with validate refuses qty=0 (minimum 1)',
    () => ser.serialize(topic, { ...ORDER_MSG, qty: 0 }), isSerializationError('minimum'));
  const de = new JsonDeserializer(fresh(), VALUE, { validate: true });
  await rejects('deserialize() with validate checks the writer schema it fetched (qty is a string)',
    () => de.deserialize(topic, framed(id, { ...ORDER_MSG, qty: 'three' })), isSerializationError('qty'));
  await rejects('deserialize() with validate refuses an extra property (additionalProperties false)',
    () => de.deserialize(topic, framed(id, { ...ORDER_MSG, colour: 'red' })), isSerializationError('colour'));
});

scenario('confluent: a JSON schema with a reference to another subject', async () => {
  const addrSubject = `cjs-address-${RUN}`;
  const topic = `cjs-person-${RUN}`;
  const subject = `${topic}-value`;
  const references = [{ name: 'address.json', subject: addrSubject, version: 1 }];

  const addrId = await fresh().register(addrSubject, { schemaType: 'JSON', schema: JSON.stringify(ADDRESS) });
  const personInfo = { schemaType: 'JSON', schema: JSON.stringify(PERSON), references };
  const id = await fresh().register(subject, personInfo);
  check(`a schema whose $ref names the reference registers (id ${id})`, Number.isInteger(id) && id !== addrId);
  const meta = await fresh().getLatestSchemaMetadata(subject);
  eq('getLatestSchemaMetadata(): [id, schemaType, references]', [meta.id, meta.schemaType, meta.references],
    [id, 'JSON', references]);
  const byId = await fresh().getBySubjectAndId(subject, id);
  eq('getBySubjectAndId(): references', byId.references, references);
  eq('getId(subject, schema with references) (lookup)', await fresh().getId(subject, personInfo), id);

  const ser = new JsonSerializer(fresh(), VALUE, { useLatestVersion: true, validate: true });
  const bytes = await ser.serialize(topic, PERSON_MSG);
  eq('useLatestVersion with a reference: header carries the referencing schema id', header(bytes), [0, id]);
  eq('deserialize() (validate; fetches the schema and its reference) returns the message',
    await new JsonDeserializer(fresh(), VALUE, { validate: true }).deserialize(topic, bytes), PERSON_MSG);
  await rejects('serialize() validates through the $ref (zip is a string)',
    () => ser.serialize(topic, { ...PERSON_MSG, home: { street: 'Main St', zip: '12345' } }),
    isSerializationError('zip'));
  await rejects('deserialize() validates through the $ref (zip missing)',
    () => new JsonDeserializer(fresh(), VALUE, { validate: true })
      .deserialize(topic, framed(id, { ...PERSON_MSG, home: { street: 'Main St' } })),
    isSerializationError('zip'));
  await rejects('register() with a reference to a subject that does not exist -> 422 / 42201',
    () => fresh().register(`cjs-dangling-${RUN}-value`, { ...personInfo,
      references: [{ name: 'address.json', subject: `cjs-nope-${RUN}`, version: 1 }] }), isRest(422, 42201));
});
