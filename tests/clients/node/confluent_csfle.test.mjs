// Client-side field-level encryption (CSFLE) through Confluent's own JS client
// @confluentinc/schemaregistry (unchanged) against $SR_URL: its FieldEncryptionExecutor (rule
// type ENCRYPT) and LocalKmsDriver (key URLs local-kms://<key id>; the KEK's key derived from
// the rule config `secret` or the env var LOCAL_SECRET), both exported by the package, keep
// their keys in the registry's DEK registry API:
//   GET  /dek-registry/v1/keks/{kek}?deleted=false       (404 -> the producer creates it)
//   POST /dek-registry/v1/keks                           {name, kmsType, kmsKeyId, shared}
//   GET  /dek-registry/v1/keks/{kek}/deks/{subject}/versions/1?algorithm=AES256_GCM&deleted=false
//   POST /dek-registry/v1/keks/{kek}/deks/{subject}      {subject, version, algorithm,
//                                                         encryptedKeyMaterial}
//
// An Avro schema with `"confluent:tags": ["PII"]` on its ssn field is registered with a
// domain rule {type: ENCRYPT, kind: TRANSFORM, mode: WRITEREAD, tags: [PII], onFailure:
// "ERROR,NONE", params: encrypt.kek.name (new per run), encrypt.kms.type local-kms,
// encrypt.kms.key.id}; the serializer (useLatestVersion: the client runs the latest version's
// rules) writes records whose bytes lack the plaintext ssn. Over plain HTTP the KEK and the
// subject's DEK (encryptedKeyMaterial, no keyMaterial: the KEK is not shared) are listed.
// Reading back, each with a new client and a rule registry of its own (new DEK caches), and
// the process-wide KMS clients cleared first (clearKmsClients, as the client's own tests do):
// secret in the rule config, or in LOCAL_SECRET -> the plaintext; no secret, or a wrong one ->
// the rule fails and onFailure for READ (NONE) passes the record through with ssn still
// encrypted; onFailure overridden to ERROR (a RuleOverride) -> SerializationError; no ENCRYPT
// executor at all -> the same pass-through. No broker. Run with `node --test` (see run.sh).
import {
  SchemaRegistryClient, AvroSerializer, AvroDeserializer, SerdeType, SerializationError,
  RuleRegistry, FieldEncryptionExecutor, LocalKmsDriver, clearKmsClients,
} from '@confluentinc/schemaregistry';
import { RUN, SR_URL, scenario, eq, check, rejects, httpGet, header } from './check.mjs';

LocalKmsDriver.register();

const fresh = () => new SchemaRegistryClient({ baseURLs: [SR_URL] }); // new caches: calls reach the server
const VALUE = SerdeType.VALUE;
const q = encodeURIComponent;
const plain = (x) => JSON.parse(JSON.stringify(x)); // avsc records are class instances
// A test secret, not a credential: the local KMS derives its AES-128 key from it (HKDF-SHA256).
const SECRET = 'csfle-test-local-kms-secret';
const WRONG_SECRET = 'csfle-test-not-the-secret';
const KMS_TYPE = 'local-kms';
const KMS_KEY_ID = 'csfle-test-key';
const GCM_OVERHEAD = 12 + 16; // Tink AES-GCM (raw): IV before, tag after the ciphertext

/** A rule registry of its own: a new executor (new DEK registry client and caches). */
function rules({ executor = true, onFailure } = {}) {
  const reg = new RuleRegistry();
  if (executor) reg.registerExecutor(new FieldEncryptionExecutor());
  if (onFailure) reg.registerOverride({ type: 'ENCRYPT', onFailure });
  return reg;
}

const PERSON = {
  type: 'record', name: 'Person', namespace: 'csfle.node',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'ssn', type: 'string', 'confluent:tags': ['PII'] },
    { name: 'age', type: 'int' },
  ],
};

scenario('confluent: Avro field encryption (ENCRYPT rule, local KMS) round trip', async () => {
  const topic = `ccsfle-avro-${RUN}`;
  const subject = `${topic}-value`;
  const kek = `csfle-node-kek-${RUN}`;
  const rule = {
    name: 'encryptPII', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'],
    params: { 'encrypt.kek.name': kek, 'encrypt.kms.type': KMS_TYPE, 'encrypt.kms.key.id': KMS_KEY_ID },
    onFailure: 'ERROR,NONE',
  };
  const id = await fresh().register(subject, {
    schemaType: 'AVRO', schema: JSON.stringify(PERSON), ruleSet: { domainRules: [rule] },
  });
  const [lstatus, latest] = await httpGet(`/subjects/${q(subject)}/versions/latest`);
  const pick = (r) => ({ name: r.name, kind: r.kind, mode: r.mode, type: r.type, tags: r.tags, params: r.params, onFailure: r.onFailure });
  eq('registered with the rule set, served back [status, id, domainRules]',
    [lstatus, latest.id, (latest.ruleSet?.domainRules ?? []).map(pick)], [200, id, [rule]]);

  const ser = new AvroSerializer(fresh(), VALUE,
    { useLatestVersion: true, ruleConfig: { secret: SECRET } }, rules());
  const msgs = [
    { name: 'Ada Lovelace', ssn: `ssn-${RUN}-0-6789`, age: 36 },
    { name: 'Alan Turing', ssn: `ssn-${RUN}-1-6789`, age: 41 },
  ];
  const payloads = [];
  for (const [i, msg] of msgs.entries()) {
    const bytes = await ser.serialize(topic, { ...msg });
    eq(`record ${i}: magic byte 0 and the schema id`, header(bytes), [0, id]);
    check(`  ... its bytes do not contain the plaintext ssn ${msg.ssn}`,
      !bytes.includes(Buffer.from(msg.ssn)), bytes.toString('hex'));
    check(`  ... but do contain the untagged name ${msg.name}`, bytes.includes(Buffer.from(msg.name)));
    payloads.push(bytes);
  }

  // The DEK registry as seen over plain HTTP.
  const [kstatus, keks] = await httpGet('/dek-registry/v1/keks');
  check(`GET /dek-registry/v1/keks lists ${kek}`, kstatus === 200 && Array.isArray(keks) && keks.includes(kek),
    `${kstatus} ${JSON.stringify(keks)}`);
  const [s1, k] = await httpGet(`/dek-registry/v1/keks/${q(kek)}`);
  eq('GET /dek-registry/v1/keks/{kek}: [status, name, kmsType, kmsKeyId, shared]',
    [s1, k.name, k.kmsType, k.kmsKeyId, k.shared], [200, kek, KMS_TYPE, KMS_KEY_ID, false]);
  const [s2, deks] = await httpGet(`/dek-registry/v1/keks/${q(kek)}/deks`);
  eq('GET /dek-registry/v1/keks/{kek}/deks lists the subject', [s2, deks], [200, [subject]]);
  const [s3, dek] = await httpGet(`/dek-registry/v1/keks/${q(kek)}/deks/${q(subject)}/versions/latest`);
  eq('GET .../deks/{subject}/versions/latest: [status, kekName, subject, version, algorithm]',
    [s3, dek.kekName, dek.subject, dek.version, dek.algorithm], [200, kek, subject, 1, 'AES256_GCM']);
  const wrapped = Buffer.from(dek.encryptedKeyMaterial ?? '', 'base64');
  check(`  ... encryptedKeyMaterial is base64 of a wrapped key (${wrapped.length} bytes)`,
    wrapped.length > 32 + GCM_OVERHEAD, JSON.stringify(dek));
  check('  ... and there is no keyMaterial (the KEK is not shared)',
    dek.keyMaterial === undefined || dek.keyMaterial === null || dek.keyMaterial === '', JSON.stringify(dek));

  // Reading back: each case with the process-wide KMS clients cleared first.
  const read = (conf, reg) => {
    clearKmsClients();
    return new AvroDeserializer(fresh(), VALUE, conf, reg);
  };
  const passedThrough = (got, want) =>
    got.name === want.name && got.age === want.age && got.ssn !== want.ssn
    && Buffer.from(got.ssn, 'base64').length === Buffer.byteLength(want.ssn) + GCM_OVERHEAD;

  let de = read({ ruleConfig: { secret: SECRET } }, rules());
  for (const [i, bytes] of payloads.entries()) {
    eq(`record ${i}, secret in the rule config: decrypted`, plain(await de.deserialize(topic, bytes)), msgs[i]);
  }
  process.env.LOCAL_SECRET = SECRET;
  try {
    de = read({}, rules());
    eq('record 0, secret in LOCAL_SECRET: decrypted', plain(await de.deserialize(topic, payloads[0])), msgs[0]);
  } finally {
    delete process.env.LOCAL_SECRET;
  }
  de = read({}, rules());
  let got = plain(await de.deserialize(topic, payloads[0]));
  check('record 0, no secret: onFailure NONE passes it through, ssn still encrypted',
    passedThrough(got, msgs[0]), JSON.stringify(got));
  de = read({ ruleConfig: { secret: WRONG_SECRET } }, rules());
  got = plain(await de.deserialize(topic, payloads[1]));
  check('record 1, a wrong secret: passed through, ssn still encrypted', passedThrough(got, msgs[1]), JSON.stringify(got));
  de = read({}, rules({ onFailure: 'ERROR' }));
  await rejects('record 0, no secret, onFailure overridden to ERROR: SerializationError',
    () => de.deserialize(topic, payloads[0]), (e) => e instanceof SerializationError);
  de = read({}, rules({ executor: false }));
  got = plain(await de.deserialize(topic, payloads[0]));
  check('record 0, no ENCRYPT executor: passed through, ssn still encrypted', passedThrough(got, msgs[0]), JSON.stringify(got));
});
