// Drives the registry's built-in UI (/ui) in Debian's headless Chromium with playwright-core
// (no browser download: CHROMIUM names the system's). Run by tests/ui/run.sh, which starts
// the server (SR_URL) on a fresh store. Seeds the registry over HTTP, visits each page,
// checks what it shows, and keeps a screenshot of each page in SCREENSHOTS. Prints
// "N passed, N failed" and exits 1 on a failure. Synchronisation is by selectors and the
// network going idle, never by sleeping.
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = process.env.SR_URL;
const SHOTS = process.env.SCREENSHOTS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!BASE || !SHOTS) {
  console.error('ui_test.mjs: SR_URL and SCREENSHOTS must be set (use tests/ui/run.sh)');
  process.exit(2);
}
const SR = 'application/vnd.schemaregistry.v1+json';
const SR_BIN = process.env.SR_BIN;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function call(method, path, body) {
  const resp = await fetch(BASE + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': SR },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${method} ${path}: ${resp.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const avro = (fields) => JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields });
const ORDER_V1 = [{ name: 'id', type: 'long' }];
const ORDER_V2 = [...ORDER_V1, { name: 'amount', type: 'double', default: 0 }];
const ORDER_V3 = [...ORDER_V2, { name: 'note', type: ['null', 'string'], default: null }];
// Added without a default: a reader of this cannot read data written before it.
const ORDER_BAD = [...ORDER_V3, { name: 'currency', type: 'string' }];
const ORDER_OK = [...ORDER_V3, { name: 'currency', type: 'string', default: 'EUR' }];

async function seed() {
  for (const fields of [ORDER_V1, ORDER_V2, ORDER_V3]) {
    await call('POST', '/subjects/orders-value/versions', { schema: avro(fields) });
  }
  await call('POST', '/subjects/customer-json/versions', {
    schemaType: 'JSON',
    schema: JSON.stringify({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } } }),
  });
  await call('POST', '/subjects/shipment-proto/versions', {
    schemaType: 'PROTOBUF',
    schema: 'syntax = "proto3";\npackage shop;\n\n// Where an order goes.\nmessage Shipment {\n  string order_id = 1;\n  repeated string lines = 2;\n}\n',
  });
  await call('POST', `/subjects/${encodeURIComponent(':.ctx1:payments-value')}/versions`, {
    schema: JSON.stringify({ type: 'record', name: 'Payment', fields: [{ name: 'amount', type: 'double' }] }),
  });
  await call('PUT', '/config/customer-json', { compatibility: 'FORWARD' });
  await call('PUT', '/mode/shipment-proto', { mode: 'READONLY' });
  await call('POST', '/exporters', {
    name: 'to-backup', contextType: 'CUSTOM', context: 'backup', subjects: ['orders-value'],
    config: { 'schema.registry.url': 'http://127.0.0.1:9' },
  });
}

let passed = 0;
let failed = 0;
const problems = [];

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String((e && e.stack) || e).split('\n').slice(0, 4).join('\n     ')}`);
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function main() {
  await seed();
  const profile = process.env.UI_PROFILE || mkdtempSync(join(tmpdir(), 'ui-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = browser.pages()[0] || await browser.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  // Only this server: anything else would be a CDN or a leak.
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) problems.push(`request off-origin: ${r.url()}`);
  });

  // Loads the page afresh at `hash` and waits for view `view` to be drawn.
  async function visit(hash, view) {
    await page.goto('about:blank');
    await page.goto(`${BASE}/ui${hash}`);
    await page.waitForSelector(`main[data-view="${view}"]`);
    await page.waitForLoadState('networkidle');
  }
  const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const text = (sel) => page.locator(sel).innerText();
  const visibleSubjects = () => page.locator('#subjects li:not([hidden])').allInnerTexts();

  await check('landing page lists the default context\'s subjects and the contexts', async () => {
    await visit('', 'subjects');
    const subjects = await visibleSubjects();
    expect(JSON.stringify(subjects) === JSON.stringify(['customer-json', 'orders-value', 'shipment-proto']),
      `subjects: ${JSON.stringify(subjects)}`);
    expect((await text('#contexts')).includes('.ctx1'), 'context .ctx1 listed');
    expect((await page.title()).includes('Schema Registry'), 'title');
    await shot('01-subjects');
  });

  await check('search filters the subjects', async () => {
    await page.fill('#search', 'ORDER');
    const subjects = await visibleSubjects();
    expect(JSON.stringify(subjects) === JSON.stringify(['orders-value']), `filtered: ${JSON.stringify(subjects)}`);
    expect((await text('#subject-count')) === '1 of 3', 'count');
    await shot('02-search');
    await page.fill('#search', 'zzz');
    expect((await visibleSubjects()).length === 0, 'no match');
    expect((await text('#no-subjects')).includes('No subject matches'), 'no-match message');
  });

  await check('contexts page and a context\'s subjects', async () => {
    await visit('#/contexts', 'contexts');
    const table = await text('#context-table');
    expect(table.includes('.ctx1') && table.includes('default'), `contexts: ${table}`);
    await shot('03-contexts');
    await page.click('#context-table a:text(".ctx1")');
    await page.waitForSelector('main[data-view="context"]');
    await page.waitForLoadState('networkidle');
    const subjects = await visibleSubjects();
    expect(JSON.stringify(subjects) === JSON.stringify([':.ctx1:payments-value']), `ctx1: ${JSON.stringify(subjects)}`);
    await shot('04-context');
    await page.click('#subjects a');
    await page.waitForSelector('main[data-view="subject"]');
    await page.waitForLoadState('networkidle');
    expect((await text('h1')) === ':.ctx1:payments-value', 'qualified subject heading');
    expect((await text('main')).includes('Context .ctx1'), 'its context');
    expect((await text('#versions')).includes('Version 1'), 'its versions');
  });

  await check('subject page: versions, settings, highlighted latest schema', async () => {
    await visit('', 'subjects');
    await page.click('#subjects a:text("orders-value")');
    await page.waitForSelector('main[data-view="subject"]');
    await page.waitForLoadState('networkidle');
    const versions = await text('#versions');
    for (const v of ['Version 1', 'Version 2', 'Version 3']) expect(versions.includes(v), `${v} in ${versions}`);
    expect((await text('#subject-compat')).includes('BACKWARD (inherited)'), 'inherited compatibility');
    expect((await text('#subject-mode')).includes('READWRITE'), 'mode');
    expect(await page.locator('pre.schema .tok-key').count() > 5, 'highlighted keys');
    expect((await page.locator('pre.schema .tok-key', { hasText: '"fields"' }).count()) === 1, 'fields key');
    expect((await text('pre.schema')).includes('"note"'), 'latest has note');
    await shot('05-subject');
  });

  await check('a version of a JSON Schema subject, with its own config', async () => {
    await visit('#/subject/customer-json', 'subject');
    expect((await text('#subject-compat')).includes('FORWARD (set on this subject)'), 'own FORWARD');
    await visit('#/subject/customer-json/version/1', 'version');
    expect((await text('#schema-type')) === 'JSON', 'type JSON');
    expect((await page.locator('pre.schema .tok-key', { hasText: '"properties"' }).count()) === 1, 'properties key');
    await shot('06-version-json');
  });

  await check('a Protobuf version is highlighted as Protobuf; its subject shows its mode', async () => {
    await visit('#/subject/shipment-proto', 'subject');
    expect((await text('#subject-mode')).includes('READONLY (set on this subject)'), 'own mode');
    await visit('#/subject/shipment-proto/version/latest', 'version');
    expect((await text('#schema-type')) === 'PROTOBUF', 'type PROTOBUF');
    expect((await page.locator('pre.schema .tok-kw', { hasText: 'message' }).count()) >= 1, 'message keyword');
    expect((await page.locator('pre.schema .tok-type', { hasText: 'string' }).count()) >= 1, 'string type');
    await shot('07-version-proto');
  });

  await check('diff of two versions with the verdict in words', async () => {
    await visit('#/subject/orders-value', 'subject');
    await page.selectOption('#diff-from', '1');
    await page.selectOption('#diff-to', '3');
    await page.click('#diff-form button');
    await page.waitForSelector('main[data-view="diff"]');
    await page.waitForLoadState('networkidle');
    const v = await text('#verdict');
    expect(v.includes('Version 3 is BACKWARD compatible with version 1: consumers using version 3 can read data written with version 1'), `verdict: ${v}`);
    expect(await page.locator('table.diff tr.add').count() >= 2, 'added lines');
    expect((await page.locator('table.diff tr.add', { hasText: '"amount"' }).count()) === 1, 'amount added');
    expect((await text('#diff-summary')).includes('added'), 'summary');
    await shot('08-diff');
  });

  await check('config and modes page', async () => {
    await visit('#/config', 'config');
    expect((await text('#config-global')).includes('BACKWARD'), 'global BACKWARD');
    expect((await text('#mode-global')) === 'READWRITE', 'global mode');
    const overrides = await text('#overrides');
    expect(/customer-json\s+FORWARD/.test(overrides), `overrides: ${overrides}`);
    expect(/shipment-proto\s+—\s+READONLY/.test(overrides), `overrides: ${overrides}`);
    expect(!overrides.includes('orders-value'), 'orders-value has no override');
    await shot('09-config');
  });

  await check('exporters and their status', async () => {
    await visit('#/exporters', 'exporters');
    const row = page.locator('#exporters tr[data-exporter="to-backup"]');
    expect(await row.count() === 1, 'exporter row');
    const t = await row.innerText();
    expect(/RUNNING|PAUSED|STARTING|ERROR/.test(t), `state: ${t}`);
    expect(t.includes('orders-value') && t.includes('backup'), `row: ${t}`);
    await shot('10-exporters');
  });

  await check('compatibility form: a compatible schema', async () => {
    await visit('#/check?subject=orders-value', 'check');
    expect((await page.inputValue('#check-subject')) === 'orders-value', 'subject prefilled');
    expect((await page.inputValue('#check-version')) === 'latest', 'latest by default');
    await page.fill('#check-schema', avro(ORDER_OK));
    await page.click('#check-submit');
    await page.waitForSelector('#check-result .verdict');
    const v = await text('#check-result');
    expect(v.includes('The new schema is BACKWARD compatible with the latest version of orders-value'), `verdict: ${v}`);
    await shot('11-check-compatible');
  });

  await check('compatibility form: an incompatible schema lists the reasons', async () => {
    await page.fill('#check-schema', avro(ORDER_BAD));
    await page.click('#check-submit');
    await page.waitForSelector('#check-result .verdict.bad');
    const v = await text('#check-result');
    expect(v.includes('NOT BACKWARD compatible'), `verdict: ${v}`);
    expect(v.includes('cannot read all data written with the latest version'), `words: ${v}`);
    expect((await text('#check-result ul.reasons')).includes("The field 'currency'"), `reasons: ${v}`);
    await shot('12-check-incompatible');
  });

  await check('compatibility form: a schema that does not parse is an error, not a verdict', async () => {
    await page.fill('#check-schema', '{"type": "record", ');
    await page.click('#check-submit');
    await page.waitForSelector('#check-result .verdict.bad');
    const v = await text('#check-result');
    expect(v.includes('The new schema is not a valid schema'), `verdict: ${v}`);
    await shot('13-check-invalid');
  });

  await check('hostile subject names are shown as text', async () => {
    const name = '<img src=x onerror=alert(1)>';
    await call('POST', `/subjects/${encodeURIComponent(name)}/versions`, { schema: avro(ORDER_V1) });
    await visit('', 'subjects');
    expect(await page.locator('#subjects img').count() === 0, 'no element from the name');
    expect((await visibleSubjects()).includes(name), 'the name as text');
    await visit(`#/subject/${encodeURIComponent(name)}`, 'subject');
    expect((await text('h1')) === name, 'heading');
    expect(await page.locator('main img').count() === 0, 'no img');
  });

  await check('an unknown subject shows the registry\'s error', async () => {
    await visit('#/subject/nope', 'subject');
    expect((await text('main .error')).includes('40401'), 'error code');
    await shot('14-not-found');
  });

  await check('no page error, no CSP violation, no request off the origin', async () => {
    expect(problems.length === 0, problems.join('\n'));
  });

  await browser.close();
  if (!process.env.UI_PROFILE) rmSync(profile, { recursive: true, force: true });
}

// A second server with --auth-users-file (SR_BIN): the page asks for credentials, and a
// read-only user browses but is told plainly that exporters need another role.
async function withUsers() {
  const dir = mkdtempSync(join(tmpdir(), 'ui-auth-'));
  let server = null;
  try {
    const hash = spawnSync(SR_BIN, ['hash-password'], { input: 'r3ader\n', encoding: 'utf8' });
    if (hash.status !== 0) throw new Error(`hash-password: ${hash.stderr}`);
    writeFileSync(join(dir, 'users'), `reader:${hash.stdout.trim()}:read-only\n`);
    server = spawn(SR_BIN, ['--listen', '127.0.0.1:0', '--store', `sqlite://${join(dir, 'r.db')}`,
      '--auth-users-file', join(dir, 'users'), '--log', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`the server exited (${code}) before it listened`)));
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      await check('with users: no credentials, 401 with the Basic challenge', async () => {
        const ctx = await browser.newContext();
        const resp = await ctx.request.get(`${url}/ui`);
        expect(resp.status() === 401, `status ${resp.status()}`);
        expect((resp.headers()['www-authenticate'] || '').startsWith('Basic realm='), 'challenge');
        // The browser without credentials to give: the challenge ends the navigation.
        const page = await ctx.newPage();
        const outcome = await page.goto(`${url}/ui`).then((r) => `status ${r.status()}`, (e) => e.message);
        expect(/ERR_INVALID_AUTH_CREDENTIALS|status 401/.test(outcome), `navigation: ${outcome}`);
        await ctx.close();
      });
      await check('with users: a read-only user browses, and is told exporters need admin', async () => {
        const ctx = await browser.newContext({ httpCredentials: { username: 'reader', password: 'r3ader' },
          viewport: { width: 1280, height: 700 } });
        const page = await ctx.newPage();
        page.setDefaultTimeout(15000);
        await page.goto(`${url}/ui#/`);
        await page.waitForSelector('main[data-view="subjects"]');
        expect((await page.locator('#no-subjects').innerText()).includes('No subjects'), 'empty registry');
        await page.goto(`${url}/ui#/exporters`);
        await page.waitForSelector('main[data-view="exporters"]');
        const err = await page.locator('main .error').innerText();
        expect(err.includes('Forbidden (403)') && err.includes('read-only'), `error: ${err}`);
        await page.screenshot({ path: join(SHOTS, '15-read-only-exporters.png'), fullPage: true });
        await ctx.close();
      });
    } finally {
      await browser.close();
    }
  } finally {
    if (server) server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  if (SR_BIN) await withUsers();
  else console.log('skip the users-file pages: SR_BIN is not set');
} catch (e) {
  failed++;
  console.log(`FAIL setup: ${(e && e.stack) || e}`);
}
console.log(`\nUI (Chromium): ${passed} passed, ${failed} failed; screenshots in ${SHOTS}`);
process.exit(failed ? 1 : 0);
