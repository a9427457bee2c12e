// The registry's built-in UI (served at /ui by src/http/ui.rs). Plain JavaScript, no
// dependencies: hash routing (#/…), fetch() against this server's REST API with the
// browser's credentials. Every piece of server data reaches the page as a text node
// (h() and textContent), never as markup.
'use strict';

(() => {
  const SR_JSON = 'application/vnd.schemaregistry.v1+json';
  const enc = encodeURIComponent;

  // ---- DOM and API helpers ----

  // h('a', {href: '#/'}, 'text', child…): an element; strings become text nodes.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  class ApiError extends Error {
    constructor(status, body) {
      const msg = body && typeof body === 'object' && body.message ? body.message : String(body || '');
      super(msg);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const init = { method: opts.method || 'GET', credentials: 'same-origin',
      headers: { Accept: `${SR_JSON}, application/json` } };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers['Content-Type'] = SR_JSON;
    }
    const resp = await fetch(path, init);
    const text = await resp.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON: keep the text */ }
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }

  // The answer, or `fallback` when the API says 404 (a subject without its own config…).
  async function optional(path, fallback) {
    try { return await api(path); } catch (e) {
      if (e instanceof ApiError && e.status === 404) return fallback;
      throw e;
    }
  }

  function errorText(e) {
    if (!(e instanceof ApiError)) return String((e && e.message) || e);
    const code = e.body && e.body.error_code ? ` (error ${e.body.error_code})` : '';
    if (e.status === 401) return 'Not authenticated (401): reload the page and sign in.';
    if (e.status === 403) return `Forbidden (403): your role does not allow this. ${e.message}`;
    return `The registry answered ${e.status}${code}: ${e.message}`;
  }

  const errorBox = (e) => h('p', { class: 'error', role: 'alert' }, errorText(e));

  // Subjects are `:.ctx:name` in a context other than the default one.
  function contextOf(subject) {
    const m = /^:(\.[^:]*):/.exec(subject);
    return m ? m[1] : '.';
  }
  const subjectHref = (s) => `#/subject/${enc(s)}`;
  const versionHref = (s, v) => `#/subject/${enc(s)}/version/${enc(v)}`;
  const diffHref = (s, a, b) => `#/subject/${enc(s)}/diff/${enc(a)}/${enc(b)}`;
  const typeOf = (v) => v.schemaType || 'AVRO';

  // ---- Syntax highlighting (JSON for Avro and JSON Schema, Protobuf text) ----

  const JSON_TOKENS = /("(?:[^"\\\n]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|([{}[\],:])/g;
  const PROTO_TOKENS = new RegExp([
    '(//[^\\n]*|/\\*[\\s\\S]*?\\*/)',
    '("(?:[^"\\\\\\n]|\\\\.)*"|\'(?:[^\'\\\\\\n]|\\\\.)*\')',
    '\\b(syntax|edition|package|import|option|message|enum|service|rpc|returns|stream|oneof|map|repeated|optional|required|reserved|extend|extensions|to|max|public|weak|group)\\b',
    '\\b(double|float|int32|int64|uint32|uint64|sint32|sint64|fixed32|fixed64|sfixed32|sfixed64|bool|string|bytes|true|false)\\b',
    '(\\b\\d+(?:\\.\\d+)?\\b)',
  ].join('|'), 'g');

  // Appends `text` to `parent` as text nodes and <span class="tok-…"> around the tokens.
  function highlightInto(parent, text, type) {
    const json = type !== 'PROTOBUF';
    const re = json ? JSON_TOKENS : PROTO_TOKENS;
    const classes = json ? ['str', 'num', 'lit', 'punct'] : ['comment', 'str', 'kw', 'type', 'num'];
    re.lastIndex = 0;
    let at = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m[0] === '') { re.lastIndex++; continue; }
      if (m.index > at) parent.append(text.slice(at, m.index));
      if (json && m[1] !== undefined && m[2] !== undefined) {
        parent.append(h('span', { class: 'tok-key' }, m[1]), m[2]);
      } else {
        const group = m.slice(1).findIndex((g) => g !== undefined);
        const cls = json ? classes[group === 0 ? 0 : group - 1] : classes[group];
        parent.append(h('span', { class: `tok-${cls}` }, m[0]));
      }
      at = m.index + m[0].length;
    }
    if (at < text.length) parent.append(text.slice(at));
    return parent;
  }

  // The schema as shown: JSON pretty-printed with two spaces, Protobuf as stored.
  function pretty(v) {
    if (typeOf(v) === 'PROTOBUF') return v.schema;
    try { return JSON.stringify(JSON.parse(v.schema), null, 2); } catch (_) { return v.schema; }
  }

  const schemaBlock = (v) =>
    h('pre', { class: 'schema', 'data-type': typeOf(v) }, highlightInto(h('code'), pretty(v), typeOf(v)));

  // ---- Line diff (longest common subsequence) ----

  const MAX_DIFF_CELLS = 12e6;

  // [{op: ' '|'-'|'+', a, b, text}]; null when too large to compare.
  function diffLines(oldText, newText) {
    const a = oldText.split('\n');
    const b = newText.split('\n');
    let pre = 0;
    while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
    let suf = 0;
    while (suf < a.length - pre && suf < b.length - pre &&
      a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
    const x = a.slice(pre, a.length - suf);
    const y = b.slice(pre, b.length - suf);
    const n = x.length;
    const m = y.length;
    if ((n + 1) * (m + 1) > MAX_DIFF_CELLS) return null;
    // lcs[i][j]: the LCS length of x[i..] and y[j..].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1] + 1
          : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    const out = [];
    for (let k = 0; k < pre; k++) out.push({ op: ' ', a: k + 1, b: k + 1, text: a[k] });
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        out.push({ op: ' ', a: pre + i + 1, b: pre + j + 1, text: x[i] }); i++; j++;
      } else if (j < m && (i === n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) {
        out.push({ op: '+', a: null, b: pre + j + 1, text: y[j] }); j++;
      } else {
        out.push({ op: '-', a: pre + i + 1, b: null, text: x[i] }); i++;
      }
    }
    for (let k = suf; k > 0; k--) {
      out.push({ op: ' ', a: a.length - k + 1, b: b.length - k + 1, text: a[a.length - k] });
    }
    return out;
  }

  function diffTable(rows, type) {
    const cls = { ' ': 'same', '-': 'del', '+': 'add' };
    return h('table', { class: 'diff' }, h('tbody', null, rows.map((r) =>
      h('tr', { class: cls[r.op] },
        h('td', { class: 'ln' }, r.a === null ? '' : r.a),
        h('td', { class: 'ln' }, r.b === null ? '' : r.b),
        h('td', { class: 'op' }, r.op),
        highlightInto(h('td', { class: 'code' }), r.text, type)))));
  }

  // ---- Compatibility verdicts in words ----

  // [can, cannot]: what the level promises, for the verdict's sentence.
  function meaning(level, newer, older) {
    const back = [`consumers using ${newer} can read data written with ${older}`,
      `consumers using ${newer} cannot read all data written with ${older}`];
    const fwd = [`consumers using ${older} can read data written with ${newer}`,
      `consumers using ${older} cannot read all data written with ${newer}`];
    const base = String(level).replace('_TRANSITIVE', '');
    if (base === 'BACKWARD') return back;
    if (base === 'FORWARD') return fwd;
    if (base === 'FULL') return [`${back[0]}, and ${fwd[0]}`, `data cannot always be read both ways between ${newer} and ${older}`];
    return ['', ''];
  }

  // The readable part of a verbose message (`{errorType:'…', description:'…', …}`).
  function describe(message) {
    const m = /description:'((?:[^']|'(?!,\s*\w+:))*)'/.exec(message);
    return m ? m[1] : null;
  }

  // A paragraph, the reasons and the registry's full report, for a check's answer.
  function verdict(result, level, newer, older) {
    const ok = result.is_compatible === true;
    const box = h('div', { id: 'verdict', class: ok ? 'verdict ok' : 'verdict bad' });
    const messages = (result.messages || []).map(String);
    const invalid = messages.find((msg) => msg.startsWith('Invalid schema'));
    const [can, cannot] = meaning(level, newer, older);
    if (invalid) {
      box.append(h('p', null, `${cap(newer)} is not a valid schema: the registry cannot parse it.`));
    } else if (level === 'NONE') {
      box.append(h('p', null, 'The compatibility level is NONE: the registry accepts any change, ' +
        `so ${newer} is not checked against ${older}.`));
    } else if (ok) {
      box.append(h('p', null, `${cap(newer)} is ${level} compatible with ${older}${can ? `: ${can}` : ''}.`));
    } else {
      box.append(h('p', null, `${cap(newer)} is NOT ${level} compatible with ${older}${cannot ? `: ${cannot}` : ''}.`));
    }
    const reasons = messages.map(describe).filter(Boolean);
    if (reasons.length) {
      box.append(h('ul', { class: 'reasons' }, reasons.map((r) => h('li', null, r))));
    }
    if (messages.length) {
      box.append(h('details', null, h('summary', null, 'The registry\'s full report'),
        h('ul', { class: 'messages' }, messages.map((msg) => h('li', null, msg)))));
    }
    return box;
  }
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

  async function effectiveLevel(subject) {
    const c = await api(`/config/${enc(subject)}?defaultToGlobal=true`);
    return (c && c.compatibilityLevel) || 'BACKWARD';
  }

  // ---- Views: each fills `el` (from the API) and may throw ----

  // A searchable list of subjects (the landing page and a context's page).
  function subjectList(el, subjects, query) {
    const search = h('input', { id: 'search', type: 'search', placeholder: 'Search subjects',
      'aria-label': 'Search subjects', value: query || '', autocomplete: 'off' });
    const count = h('span', { class: 'muted', id: 'subject-count' });
    const items = subjects.map((s) => h('li', { 'data-subject': s }, h('a', { href: subjectHref(s) }, s)));
    const list = h('ul', { id: 'subjects', class: 'subjects' }, items);
    const empty = h('p', { class: 'muted', id: 'no-subjects' });
    const apply = () => {
      const q = search.value.trim().toLowerCase();
      let shown = 0;
      for (const li of items) {
        const hit = li.dataset.subject.toLowerCase().includes(q);
        li.hidden = !hit;
        if (hit) shown++;
      }
      count.textContent = q ? `${shown} of ${items.length}` : `${items.length} subject${items.length === 1 ? '' : 's'}`;
      empty.textContent = shown ? '' : (items.length ? 'No subject matches.' : 'No subjects.');
    };
    search.addEventListener('input', apply);
    apply();
    el.append(h('div', { class: 'toolbar' }, search, count), list, empty);
  }

  async function viewSubjects(el, args, params) {
    const [subjects, contexts] = await Promise.all([api('/subjects'), api('/contexts')]);
    el.append(h('h1', null, 'Subjects'), h('p', { class: 'muted' }, 'Default context'));
    subjectList(el, subjects.filter((s) => contextOf(s) === '.'), params.get('q'));
    const others = contexts.filter((c) => c !== '.');
    el.append(h('h2', null, 'Contexts'), others.length
      ? h('ul', { id: 'contexts', class: 'inline' }, others.map((c) => h('li', null, h('a', { href: `#/context/${enc(c)}` }, c))))
      : h('p', { class: 'muted' }, 'Only the default context is in use.'));
  }

  async function viewContexts(el) {
    const contexts = await api('/contexts');
    const rows = await Promise.all(contexts.map(async (c) => {
      const subjects = c === '.' ? (await api('/subjects')).filter((s) => contextOf(s) === '.')
        : await api(`/subjects?subjectPrefix=${enc(`:${c}:`)}`);
      return h('tr', null, h('td', null, h('a', { href: c === '.' ? '#/' : `#/context/${enc(c)}` },
        c === '.' ? '. (default)' : c)), h('td', null, subjects.length));
    }));
    el.append(h('h1', null, 'Contexts'),
      h('table', { id: 'context-table', class: 'grid' },
        h('thead', null, h('tr', null, h('th', null, 'Context'), h('th', null, 'Subjects'))),
        h('tbody', null, rows)));
  }

  async function viewContext(el, [ctx], params) {
    const subjects = await api(`/subjects?subjectPrefix=${enc(`:${ctx}:`)}`);
    el.append(h('h1', null, `Context ${ctx}`), h('p', null, h('a', { href: '#/contexts' }, '← all contexts')));
    subjectList(el, subjects, params.get('q'));
  }

  // Own setting (or null) and effective setting of a subject: [own, effective].
  async function subjectSetting(kind, subject) {
    const own = await optional(`/${kind}/${enc(subject)}`, null);
    const eff = await optional(`/${kind}/${enc(subject)}?defaultToGlobal=true`, null);
    const field = kind === 'config' ? 'compatibilityLevel' : 'mode';
    return [own && own[field], eff && eff[field]];
  }

  const settingText = ([own, eff]) => own ? `${own} (set on this subject)` : `${eff || '—'} (inherited)`;

  async function viewSubject(el, [subject]) {
    const [versions, latest, cfg, mode] = await Promise.all([
      api(`/subjects/${enc(subject)}/versions`),
      api(`/subjects/${enc(subject)}/versions/latest`),
      subjectSetting('config', subject), subjectSetting('mode', subject)]);
    const ctx = contextOf(subject);
    el.append(h('h1', null, subject),
      h('p', { class: 'muted' }, ctx === '.' ? 'Default context' : h('a', { href: `#/context/${enc(ctx)}` }, `Context ${ctx}`)),
      h('dl', { class: 'facts', id: 'subject-settings' },
        h('dt', null, 'Compatibility'), h('dd', { id: 'subject-compat' }, settingText(cfg)),
        h('dt', null, 'Mode'), h('dd', { id: 'subject-mode' }, settingText(mode)),
        h('dt', null, 'Type'), h('dd', null, typeOf(latest))));
    const rows = versions.slice().reverse().map((v, i, all) => h('tr', null,
      h('td', null, h('a', { href: versionHref(subject, v) }, `Version ${v}`)),
      h('td', null, i + 1 < all.length ? h('a', { href: diffHref(subject, all[i + 1], v), class: 'diff-link' },
        `diff with ${all[i + 1]}`) : '')));
    el.append(h('h2', null, 'Versions'), h('table', { id: 'versions', class: 'grid' }, h('tbody', null, rows)));
    if (versions.length > 1) {
      const pick = (id, sel) => h('select', { id }, versions.map((v) =>
        h('option', { value: v, selected: v === sel }, `Version ${v}`)));
      const from = pick('diff-from', versions[versions.length - 2]);
      const to = pick('diff-to', versions[versions.length - 1]);
      el.append(h('form', { class: 'toolbar', id: 'diff-form', onsubmit: (ev) => {
        ev.preventDefault();
        location.hash = diffHref(subject, from.value, to.value);
      } }, 'Compare ', from, ' with ', to, h('button', { type: 'submit' }, 'Show diff')));
    }
    el.append(h('h2', null, `Latest: version ${latest.version} (id ${latest.id})`), schemaBlock(latest),
      h('p', null, h('a', { href: `#/check?subject=${enc(subject)}` }, 'Check a new schema against this subject →')));
  }

  async function viewVersion(el, [subject, version]) {
    const [v, versions] = await Promise.all([
      api(`/subjects/${enc(subject)}/versions/${enc(version)}`),
      api(`/subjects/${enc(subject)}/versions`)]);
    const at = versions.indexOf(v.version);
    const prev = at > 0 ? versions[at - 1] : null;
    const next = at >= 0 && at + 1 < versions.length ? versions[at + 1] : null;
    el.append(h('h1', null, h('a', { href: subjectHref(subject) }, subject), ` — version ${v.version}`),
      h('dl', { class: 'facts' },
        h('dt', null, 'Schema id'), h('dd', null, v.id),
        h('dt', null, 'Type'), h('dd', { id: 'schema-type' }, typeOf(v)),
        (v.references || []).length ? [h('dt', null, 'References'), h('dd', null,
          v.references.map((r) => h('div', null, h('a', { href: versionHref(r.subject, r.version) },
            `${r.name} → ${r.subject} v${r.version}`))))] : null),
      h('p', { class: 'toolbar' },
        prev !== null ? h('a', { href: versionHref(subject, prev) }, `← version ${prev}`) : null,
        prev !== null ? h('a', { href: diffHref(subject, prev, v.version) }, `diff with ${prev}`) : null,
        next !== null ? h('a', { href: versionHref(subject, next) }, `version ${next} →`) : null),
      schemaBlock(v));
  }

  async function viewDiff(el, [subject, va, vb]) {
    let [a, b] = await Promise.all([
      api(`/subjects/${enc(subject)}/versions/${enc(va)}`),
      api(`/subjects/${enc(subject)}/versions/${enc(vb)}`)]);
    if (a.version > b.version) [a, b] = [b, a];
    const older = `version ${a.version}`;
    const newer = `version ${b.version}`;
    el.append(h('h1', null, h('a', { href: subjectHref(subject) }, subject), ` — ${older} → ${newer}`));
    const level = await effectiveLevel(subject);
    const body = { schema: b.schema };
    if (b.schemaType) body.schemaType = b.schemaType;
    if (b.references && b.references.length) body.references = b.references;
    try {
      const result = await api(`/compatibility/subjects/${enc(subject)}/versions/${a.version}?verbose=true`,
        { method: 'POST', body });
      el.append(verdict(result, level, newer, older));
    } catch (e) {
      el.append(h('div', { id: 'verdict', class: 'verdict' }, errorBox(e)));
    }
    if (a.version === b.version) {
      el.append(h('p', { class: 'muted' }, 'The same version: nothing to compare.'));
    }
    const rows = diffLines(pretty(a), pretty(b));
    if (rows === null) {
      el.append(h('p', { class: 'muted' }, 'These schemas are too large to compare line by line here.'));
      return;
    }
    const added = rows.filter((r) => r.op === '+').length;
    const removed = rows.filter((r) => r.op === '-').length;
    el.append(h('p', { id: 'diff-summary', class: 'muted' }, `${added} line(s) added, ${removed} removed`),
      diffTable(rows, typeOf(b)));
  }

  function settingsTable(id, obj) {
    return h('table', { id, class: 'grid' }, h('tbody', null, Object.entries(obj || {}).map(([k, v]) =>
      h('tr', null, h('th', null, k), h('td', null, typeof v === 'object' ? JSON.stringify(v) : String(v))))));
  }

  async function viewConfig(el) {
    const [config, mode, subjects] = await Promise.all([api('/config'), api('/mode'), api('/subjects')]);
    el.append(h('h1', null, 'Config and modes'),
      h('h2', null, 'Global compatibility'), settingsTable('config-global', config),
      h('h2', null, 'Global mode'), h('p', { id: 'mode-global', class: 'badge' }, mode.mode));
    const shown = subjects.slice(0, 200);
    const overrides = await Promise.all(shown.map(async (s) => {
      const [c, m] = await Promise.all([optional(`/config/${enc(s)}`, null), optional(`/mode/${enc(s)}`, null)]);
      return c || m ? h('tr', null, h('td', null, h('a', { href: subjectHref(s) }, s)),
        h('td', null, (c && c.compatibilityLevel) || '—'), h('td', null, (m && m.mode) || '—')) : null;
    }));
    const rows = overrides.filter(Boolean);
    el.append(h('h2', null, 'Subjects with their own settings'), rows.length
      ? h('table', { id: 'overrides', class: 'grid' },
        h('thead', null, h('tr', null, h('th', null, 'Subject'), h('th', null, 'Compatibility'), h('th', null, 'Mode'))),
        h('tbody', null, rows))
      : h('p', { class: 'muted', id: 'overrides' }, 'No subject overrides the global settings.'));
    if (subjects.length > shown.length) {
      el.append(h('p', { class: 'muted' }, `Only the first ${shown.length} subjects are listed.`));
    }
  }

  async function viewExporters(el) {
    el.append(h('h1', null, 'Exporters'));
    const names = await api('/exporters');
    if (!names.length) {
      el.append(h('p', { class: 'muted', id: 'exporters' }, 'No exporters.'));
      return;
    }
    const rows = await Promise.all(names.map(async (n) => {
      const [info, st] = await Promise.all([api(`/exporters/${enc(n)}`), api(`/exporters/${enc(n)}/status`)]);
      const state = (st && st.state) || 'UNKNOWN';
      return h('tr', { 'data-exporter': n },
        h('td', { class: 'name' }, n),
        h('td', null, h('span', { class: `badge state-${state.toLowerCase()}` }, state)),
        h('td', null, st && st.offset !== undefined ? st.offset : '—'),
        h('td', null, st && st.ts ? new Date(st.ts).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—'),
        h('td', null, [info.contextType, info.context].filter(Boolean).join(' ')),
        h('td', null, (info.subjects || []).join(', ')),
        h('td', { class: 'trace' }, (st && st.trace) || ''));
    }));
    el.append(h('table', { id: 'exporters', class: 'grid' },
      h('thead', null, h('tr', null, ['Name', 'State', 'Offset', 'Updated', 'Context', 'Subjects', 'Last error']
        .map((t) => h('th', null, t)))),
      h('tbody', null, rows)));
  }

  async function viewCheck(el, args, params) {
    const subjects = await api('/subjects');
    const subject = h('input', { id: 'check-subject', name: 'subject', list: 'subject-list', required: true,
      value: params.get('subject') || '', autocomplete: 'off' });
    const version = h('input', { id: 'check-version', name: 'version', value: params.get('version') || 'latest' });
    const type = h('select', { id: 'check-type', name: 'type' },
      ['AVRO', 'JSON', 'PROTOBUF'].map((t) => h('option', { value: t }, t)));
    const schema = h('textarea', { id: 'check-schema', name: 'schema', rows: 14, required: true, spellcheck: 'false' });
    const result = h('div', { id: 'check-result', 'aria-live': 'polite' });
    const load = async () => {
      result.replaceChildren();
      try {
        const v = await api(`/subjects/${enc(subject.value)}/versions/${enc(version.value || 'latest')}`);
        schema.value = pretty(v);
        type.value = typeOf(v);
      } catch (e) { result.replaceChildren(errorBox(e)); }
    };
    const check = async (ev) => {
      ev.preventDefault();
      result.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
      const ver = version.value.trim() || 'latest';
      try {
        const body = { schema: schema.value };
        if (type.value !== 'AVRO') body.schemaType = type.value;
        const [res, level] = await Promise.all([
          api(`/compatibility/subjects/${enc(subject.value)}/versions/${enc(ver)}?verbose=true`, { method: 'POST', body }),
          effectiveLevel(subject.value)]);
        result.replaceChildren(verdict(res, level, 'the new schema',
          ver === 'latest' ? `the latest version of ${subject.value}` : `version ${ver} of ${subject.value}`));
      } catch (e) { result.replaceChildren(errorBox(e)); }
    };
    el.append(h('h1', null, 'Compatibility check'),
      h('p', { class: 'muted' }, 'Checks a schema against a registered version under the subject\'s compatibility level. Nothing is registered.'),
      h('datalist', { id: 'subject-list' }, subjects.map((s) => h('option', { value: s }))),
      h('form', { id: 'check-form', class: 'form', onsubmit: check },
        h('label', null, 'Subject', subject), h('label', null, 'Version', version),
        h('label', null, 'Type', type), h('label', { class: 'wide' }, 'Schema', schema),
        h('div', { class: 'wide toolbar' }, h('button', { type: 'submit', id: 'check-submit' }, 'Check compatibility'),
          h('button', { type: 'button', id: 'check-load', onclick: load }, 'Load this version\'s schema'))),
      result);
  }

  // ---- Routing ----

  const ROUTES = [
    [/^\/$/, 'subjects', viewSubjects],
    [/^\/contexts$/, 'contexts', viewContexts],
    [/^\/context\/([^/]+)$/, 'context', viewContext],
    [/^\/subject\/([^/]+)$/, 'subject', viewSubject],
    [/^\/subject\/([^/]+)\/version\/([^/]+)$/, 'version', viewVersion],
    [/^\/subject\/([^/]+)\/diff\/([^/]+)\/([^/]+)$/, 'diff', viewDiff],
    [/^\/config$/, 'config', viewConfig],
    [/^\/exporters$/, 'exporters', viewExporters],
    [/^\/check$/, 'check', viewCheck],
  ];
  const NAV = { subjects: 'subjects', context: 'contexts', contexts: 'contexts', subject: 'subjects',
    version: 'subjects', diff: 'subjects', config: 'config', exporters: 'exporters', check: 'check' };

  let generation = 0;

  async function render() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const root = document.getElementById('main');
    const mine = ++generation;
    root.removeAttribute('data-view');
    root.setAttribute('aria-busy', 'true');
    const view = h('div', { class: 'view' });
    let name = 'not-found';
    try {
      const route = ROUTES.find(([re]) => re.test(path));
      if (!route) {
        view.append(h('h1', null, 'Not found'), h('p', null, h('a', { href: '#/' }, 'Back to the subjects')));
      } else {
        name = route[1];
        const args = route[0].exec(path).slice(1).map(decodeURIComponent);
        await route[2](view, args, params);
      }
    } catch (e) {
      view.append(errorBox(e));
    }
    if (mine !== generation) return;
    for (const a of document.querySelectorAll('nav a')) {
      a.classList.toggle('active', a.dataset.nav === NAV[name]);
    }
    root.replaceChildren(view);
    root.removeAttribute('aria-busy');
    root.setAttribute('data-view', name);
    document.title = `${view.querySelector('h1') ? view.querySelector('h1').textContent : 'UI'} · Schema Registry`;
  }

  window.addEventListener('hashchange', render);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
