// Shared helpers of the Node real-client tests (run with `node --test`, see run.sh).
//
// Every check prints what it verifies ("  ok   ...") and throws on a mismatch, which
// fails the enclosing test(); at exit each file prints "checks passed: N" so run.sh
// can add the checks to its closing "N passed, N failed" line.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

export const SR_URL = process.env.SR_URL;
if (!SR_URL) {
  console.error('SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)');
  process.exit(2);
}

// Unique per run, so the tests can also run against a non-empty registry.
export const RUN = randomUUID().replace(/-/g, '').slice(0, 8);

let passed = 0;
process.on('exit', () => console.log(`checks passed: ${passed}`));

/** A node:test test that prints its name first (the runner prints results after the output). */
export function scenario(name, fn) {
  test(name, async () => {
    console.log(`== ${name}`);
    await fn();
  });
}

function ok(what) {
  passed += 1;
  console.log(`  ok   ${what}`);
}

/** got must deep-equal want (strict). */
export function eq(what, got, want) {
  assert.deepStrictEqual(got, want, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  ok(what);
}

/** cond must be true. */
export function check(what, cond, detail = '') {
  assert.ok(cond, detail ? `${what}: ${detail}` : what);
  ok(what);
}

/** fn() must reject/throw; test(err) must hold for the error (returns it). */
export async function rejects(what, fn, test) {
  let err;
  try {
    const res = await fn();
    assert.fail(`${what}: expected an error, got ${JSON.stringify(res)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError && e.message.startsWith(`${what}: expected an error`)) throw e;
    err = e;
  }
  assert.ok(test(err), `${what}: unexpected error ${err && err.constructor && err.constructor.name}: ${err && err.message} ${JSON.stringify(err)}`);
  ok(what);
  return err;
}

/** GET SR_URL + path with plain fetch: [status, parsed body]. */
export async function httpGet(path) {
  const r = await fetch(SR_URL.replace(/\/$/, '') + path, {
    headers: { Accept: 'application/vnd.schemaregistry.v1+json' },
  });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return [r.status, body];
}

/** Confluent framing by hand: magic byte 0, 4-byte big-endian id, then the JSON text. */
export function framed(id, payload) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, Buffer.from(JSON.stringify(payload))]);
}

/** [magic byte, schema id] of a framed payload. */
export function header(buf) {
  return [buf[0], buf.readUInt32BE(1)];
}

export const DRAFT7 = 'http://json-schema.org/draft-07/schema#';

export const ORDER = {
  $schema: DRAFT7,
  title: 'Order',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    item: { type: 'string' },
    qty: { type: 'integer', minimum: 1 },
    price: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    note: { type: ['string', 'null'] },
  },
  required: ['id', 'item', 'qty'],
  additionalProperties: false,
};
export const ORDER_MSG = { id: 1234567890123, item: 'widget', qty: 3, price: 9.5, tags: ['a', 'b'], note: null };

// The referenced schema: its reference name, its "$id" and the "$ref" pointing at it agree.
export const ADDRESS = {
  $schema: DRAFT7,
  $id: 'address.json',
  title: 'Address',
  type: 'object',
  properties: { street: { type: 'string' }, zip: { type: 'integer' } },
  required: ['street', 'zip'],
};
export const PERSON = {
  $schema: DRAFT7,
  title: 'Person',
  type: 'object',
  properties: { name: { type: 'string' }, home: { $ref: 'address.json' } },
  required: ['name', 'home'],
};
export const PERSON_MSG = { name: 'Ada', home: { street: 'Main St', zip: 12345 } };
