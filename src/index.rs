//! The in-memory view of the registry, built only by applying log records in order
//! ([`Index::apply`]). Handlers read it under a short read lock; nothing here awaits.

use crate::model::{Mode, Reference, SchemaType, Subject, DEFAULT_CONTEXT};
use crate::store::record::{self, ConfigValue, Key, Value};
use crate::store::RawRecord;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The identity of a schema's content: a 128-bit hash of (type, text, references,
/// metadata, rule set), keyed per process. Kept instead of the content itself so that an
/// ID costs one copy of its schema text in memory, not three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentKey(u64, u64);

fn content_hashers() -> &'static (std::hash::RandomState, std::hash::RandomState) {
    static H: std::sync::OnceLock<(std::hash::RandomState, std::hash::RandomState)> =
        std::sync::OnceLock::new();
    H.get_or_init(|| (std::hash::RandomState::new(), std::hash::RandomState::new()))
}

/// The content of a schema: what an ID stands for. Built only by [`SchemaBody::new`], so
/// the identity key is computed once per body, not at every comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaBody {
    pub schema_type: SchemaType,
    /// The schema text as stored (canonical, or normalized when normalisation was asked for).
    pub schema: String,
    pub references: Vec<Reference>,
    pub metadata: Option<Json>,
    pub rule_set: Option<Json>,
    key: ContentKey,
}

impl SchemaBody {
    pub fn new(
        schema_type: SchemaType,
        schema: String,
        references: Vec<Reference>,
        metadata: Option<Json>,
        rule_set: Option<Json>,
    ) -> SchemaBody {
        use std::hash::{BuildHasher, Hash, Hasher};
        let (a, b) = content_hashers();
        let (mut ha, mut hb) = (a.build_hasher(), b.build_hasher());
        for h in [&mut ha, &mut hb] {
            schema_type.as_str().hash(h);
            schema.hash(h);
            references.len().hash(h);
            for r in &references {
                (&r.name, &r.subject, r.version).hash(h);
            }
            // serde_json keeps key order (preserve_order): equal documents print equally.
            metadata.as_ref().map(Json::to_string).hash(h);
            rule_set.as_ref().map(Json::to_string).hash(h);
        }
        SchemaBody {
            schema_type,
            schema,
            references,
            metadata,
            rule_set,
            key: ContentKey(ha.finish(), hb.finish()),
        }
    }

    /// Identity of the content: two bodies with the same key get the same ID in a context.
    pub fn content_key(&self) -> ContentKey {
        self.key
    }
}

/// A log record decoded, and for a version record its body and GUID: the part of applying
/// a record that reads nothing of the index. A start-up replay decodes on another thread
/// while the index applies the records before (`Registry::open`).
#[derive(Debug)]
pub struct Decoded {
    rec: Result<record::Record, record::DecodeError>,
    /// The schema of a version record, moved out of its value, with its GUID (`None`: not
    /// a version record, or a schema type this registry does not know).
    body: Option<(Arc<SchemaBody>, crate::guid::Guid)>,
    /// Whether the record's key bytes are our own encoding of its key (see `alt_keys`).
    key_ours: bool,
}

impl Decoded {
    pub fn new(raw: &RawRecord) -> Decoded {
        let mut rec = record::decode(raw);
        let key_ours = match &rec {
            Ok(r) => {
                matches!(r.key, Key::Unknown(_) | Key::Noop)
                    || record::encode_key(&r.key) == raw.key
            }
            Err(_) => true,
        };
        let body = match &mut rec {
            Ok(record::Record {
                key: Key::Schema { .. },
                value: Some(Value::Schema(v)),
            }) => {
                let schema_type = match v.schema_type.as_deref() {
                    None => Some(SchemaType::Avro),
                    Some(t) => SchemaType::parse(t),
                };
                schema_type.map(|t| {
                    let body = SchemaBody::new(
                        t,
                        std::mem::take(&mut v.schema),
                        std::mem::take(&mut v.references),
                        v.metadata.take(),
                        v.rule_set.take(),
                    );
                    let guid = crate::guid::of(&body);
                    (Arc::new(body), guid)
                })
            }
            _ => None,
        };
        Decoded {
            rec,
            body,
            key_ours,
        }
    }
}

/// One version of a subject.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    pub id: i32,
    pub deleted: bool,
    /// Offset of the last record that changed this version (exporters resume from it).
    pub offset: i64,
    /// When that record was written (ms since the Unix epoch; Confluent 8's `ts`), if known.
    pub ts: Option<i64>,
    pub body: Arc<SchemaBody>,
    /// The body's GUID (the ID entry's, copied: answers name it without a lookup).
    pub guid: crate::guid::Guid,
    /// The default answer to `GET /subjects/{s}/versions/{v}` as the HTTP layer last
    /// rendered it (opaque bytes, filled on first read); a rewritten version is a new
    /// entry, and a subject delete empties it.
    pub rendered: std::sync::OnceLock<Box<bytes::Bytes>>,
}

/// A schema ID and the versions that hold it.
#[derive(Debug, Clone)]
pub struct IdEntry {
    pub body: Arc<SchemaBody>,
    /// The body's GUID (`guid::of`), computed once per ID.
    pub guid: crate::guid::Guid,
    /// (qualified subject, version) pairs using this ID, soft-deleted ones included.
    pub holders: Holders,
    /// The default answer to `GET /schemas/ids/{id}` as the HTTP layer last rendered it
    /// (opaque bytes, filled on first read). Emptied whenever that answer can change: a
    /// holder added or removed, or the first holder's version deleted or rewritten.
    pub rendered: std::sync::OnceLock<Box<bytes::Bytes>>,
}

/// The (qualified subject, version) pairs holding an ID, in order: a sorted vector sized to
/// its content. Most IDs have one holder, and a `BTreeSet`'s first node alone takes about
/// 360 bytes.
#[derive(Debug, Clone, Default)]
pub struct Holders(Vec<(String, i32)>);

impl Holders {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, h: &(String, i32)) -> bool {
        self.0.binary_search(h).is_ok()
    }

    pub fn insert(&mut self, h: (String, i32)) {
        if let Err(at) = self.0.binary_search(&h) {
            self.0.reserve_exact(1);
            self.0.insert(at, h);
        }
    }

    pub fn remove(&mut self, h: &(String, i32)) {
        if let Ok(at) = self.0.binary_search(h) {
            self.0.remove(at);
            self.0.shrink_to_fit();
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, (String, i32)> {
        self.0.iter()
    }
}

/// The ID space of one context.
#[derive(Debug, Default, Clone)]
pub struct ContextState {
    pub ids: HashMap<i32, IdEntry>,
    pub by_content: HashMap<ContentKey, i32>,
    /// GUID -> the newest ID bound to it (the schema type is not part of a GUID).
    pub by_guid: HashMap<crate::guid::Guid, i32>,
    /// Highest ID ever seen in this context (never decreases while running).
    pub max_id: i32,
    /// Whether `GET /contexts` lists it: a CONTEXT record (or a schema) made it, a CONTEXT
    /// tombstone (`DELETE /contexts/{ctx}`) unlisted it. The ID space stays either way, so
    /// an ID is never handed out twice in a context.
    pub listed: bool,
}

/// Scope key for config and mode: `None` = global, `Some(":.ctx:")` = context, else subject.
pub type Scope = Option<String>;

#[derive(Debug, Default)]
pub struct Index {
    /// Offset of the last applied record (-1 before any).
    pub applied: i64,
    /// Applied records other than a new live version of a subject (configs, modes,
    /// deletes, rewrites, contexts, our own record types): a registration planned before
    /// one of these is planned again (`register_stamp`).
    pub changes: u64,
    pub contexts: BTreeMap<String, ContextState>,
    /// Qualified subject -> version -> entry.
    pub subjects: BTreeMap<String, BTreeMap<i32, VersionEntry>>,
    pub configs: HashMap<Scope, ConfigValue>,
    pub modes: HashMap<Scope, Mode>,
    /// Key bytes seen in the log that differ from our own encoding of the same key (written
    /// by another registry: other field order, Redpanda's extra fields), by our encoding.
    /// Compaction is by bytes, so rewrites and tombstones of such a key must use these bytes.
    pub alt_keys: HashMap<Vec<u8>, Vec<Vec<u8>>>,
    /// Offsets of the most recent records rejected on ingest (duplicate-ID guard), so that
    /// a writer whose record lost a race learns it instead of acknowledging it.
    pub rejected: std::collections::VecDeque<i64>,
    /// The newest valid LEADERSHIP record (shared logs only).
    pub leadership: Option<Leadership>,
    /// The highest leader epoch stamped on an accepted record: a record stamped lower is
    /// refused even when the claim that deposed its writer was compacted away.
    pub fence_floor: i64,
    /// Keys whose newest record was refused (written by a deposed leader). Compaction would
    /// keep that record and drop the valid one before it, so the leader rewrites these keys.
    pub to_repair: BTreeSet<Vec<u8>>,
    /// Confluent 8.2's associations of Kafka resources with subjects, by their key.
    pub associations: BTreeMap<record::AssociationKey, AssociationEntry>,
    /// Exporter definitions and states, by name.
    pub exporters: BTreeMap<String, record::ExporterValue>,
    pub exporter_states: BTreeMap<String, record::ExporterStateValue>,
}

/// An association as the log holds it, with the times Confluent derives from its records:
/// `create_ts` from the first record under its key, `update_ts` from the newest
/// (8.3.1 `KafkaStoreMessageHandler`, `AssociationValue.toAssociationEntity`).
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationEntry {
    pub value: record::AssociationValue,
    pub create_ts: Option<i64>,
    pub update_ts: Option<i64>,
}

/// Who leads a shared log, as its newest valid LEADERSHIP record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    pub epoch: i64,
    pub node: String,
    /// Offset of the newest valid LEADERSHIP record (claim or renewal).
    pub offset: i64,
}

/// How many rejected offsets the index remembers.
const REJECTED_KEPT: usize = 1024;

impl Index {
    /// Whether `GET /contexts` lists context `name` (see [`ContextState::listed`]).
    /// What a registration's plan for subject `q` rests on, beside what it copied: no change
    /// but new versions of other subjects (`changes`), and the subject's own versions (the
    /// newest and how many).
    pub fn register_stamp(&self, q: &str) -> (u64, Option<(i32, usize)>) {
        let own = self
            .subjects
            .get(q)
            .and_then(|vs| vs.keys().next_back().map(|v| (*v, vs.len())));
        (self.changes, own)
    }

    pub fn context_listed(&self, name: &str) -> bool {
        self.contexts.get(name).is_some_and(|c| c.listed)
    }

    pub fn new() -> Index {
        let mut contexts = BTreeMap::new();
        contexts.insert(DEFAULT_CONTEXT.to_string(), ContextState::default());
        Index {
            applied: -1,
            contexts,
            ..Default::default()
        }
    }

    /// Applies one record at `offset` with no leader epoch (see [`Index::apply_fenced`]).
    pub fn apply(&mut self, offset: i64, raw: &RawRecord) {
        self.apply_fenced(offset, raw, None);
    }

    /// Applies one record at `offset`. Malformed or rejected records are logged and skipped;
    /// they never stop the replay.
    ///
    /// Fencing: a record stamped with a leader epoch older than the one of the newest valid
    /// LEADERSHIP record before it was written by a deposed leader and is refused; log order
    /// decides, so every node refuses the same records. A newer epoch is accepted: its claim
    /// was compacted away (a leader writes only after its claim is in the log), which a node
    /// reading on from an older checkpoint (a warm start from its cache) meets. Unstamped
    /// records (Confluent, the embedded store, our NOOP markers) are not fenced.
    pub fn apply_fenced(&mut self, offset: i64, raw: &RawRecord, epoch: Option<i64>) {
        self.apply_at(offset, raw, epoch, None);
    }

    /// Applies a record as the log delivered it: offset, leader epoch and write time (the
    /// `ts` of the versions it writes).
    pub fn apply_entry(&mut self, e: &crate::store::LogEntry) {
        self.apply_at(e.offset, &e.record, e.epoch, e.ts);
    }

    fn apply_at(&mut self, offset: i64, raw: &RawRecord, epoch: Option<i64>, ts: Option<i64>) {
        self.apply_decoded_at(offset, raw, epoch, ts, Decoded::new(raw));
    }

    /// Applies a log entry decoded beforehand (possibly on another thread, see
    /// [`Decoded`]); the same as [`Index::apply_entry`] on it.
    pub fn apply_decoded(&mut self, e: &crate::store::LogEntry, d: Decoded) {
        self.apply_decoded_at(e.offset, &e.record, e.epoch, e.ts, d);
    }

    fn apply_decoded_at(
        &mut self,
        offset: i64,
        raw: &RawRecord,
        epoch: Option<i64>,
        ts: Option<i64>,
        d: Decoded,
    ) {
        self.applied = self.applied.max(offset);
        let rec = match d.rec {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(offset, error = %e, key = %String::from_utf8_lossy(&raw.key), "skipping malformed record");
                return;
            }
        };
        if rec.key == Key::Leadership {
            self.apply_leadership(offset, rec.value);
            return;
        }
        if let Some(e) = epoch {
            let floor = self
                .leadership
                .as_ref()
                .map_or(self.fence_floor, |c| c.epoch.max(self.fence_floor));
            if e < floor {
                tracing::warn!(
                    offset,
                    record_epoch = e,
                    leader_epoch = floor,
                    key = %String::from_utf8_lossy(&raw.key),
                    "refusing a record written by a deposed leader"
                );
                self.reject(offset);
                if !matches!(rec.key, Key::Noop | Key::Unknown(_)) {
                    self.to_repair.insert(raw.key.clone());
                }
                return;
            }
            self.fence_floor = self.fence_floor.max(e);
        }
        self.to_repair.remove(&raw.key);
        // A version record counts in `apply_schema`, which knows whether it is new.
        let version = matches!(
            (&rec.key, &rec.value),
            (Key::Schema { .. }, Some(Value::Schema(_)))
        );
        if !version && rec.key != Key::Noop {
            self.changes += 1;
        }
        if !d.key_ours {
            self.note_key_bytes(&rec.key, raw);
        }
        match (rec.key, rec.value) {
            (Key::Schema { subject, version }, Some(Value::Schema(v))) => {
                self.apply_schema(offset, ts, subject, version, v, d.body)
            }
            (Key::Schema { subject, version }, None) => {
                self.remove_version(&subject, version);
            }
            (Key::Config { subject }, Some(Value::Config(v))) => {
                self.configs.insert(subject, v);
            }
            (Key::Config { subject }, None) => {
                self.configs.remove(&subject);
            }
            (Key::Mode { subject }, Some(Value::Mode(v))) => match Mode::parse(&v.mode) {
                Some(m) => {
                    self.modes.insert(subject, m);
                }
                None => {
                    tracing::warn!(offset, mode = %v.mode, "skipping MODE record with unknown mode")
                }
            },
            (Key::Mode { subject }, None) => {
                self.modes.remove(&subject);
            }
            (Key::DeleteSubject { subject }, Some(Value::DeleteSubject(v))) => {
                if let Some(versions) = self.subjects.get_mut(&subject) {
                    let mut ctx = self.contexts.get_mut(&Subject::parse(&subject).context);
                    for (ver, e) in versions.iter_mut() {
                        if *ver <= v.version && !e.deleted {
                            e.deleted = true;
                            e.offset = offset;
                            e.ts = ts;
                            e.rendered = Default::default();
                            if let Some(id) = ctx.as_mut().and_then(|c| c.ids.get_mut(&e.id)) {
                                id.rendered = Default::default();
                            }
                        }
                    }
                }
            }
            (Key::ClearSubject { subject }, Some(Value::ClearSubject(_))) => {
                let deleted: Vec<i32> = self
                    .subjects
                    .get(&subject)
                    .map(|vs| {
                        vs.iter()
                            .filter(|(_, e)| e.deleted)
                            .map(|(v, _)| *v)
                            .collect()
                    })
                    .unwrap_or_default();
                for v in deleted {
                    self.remove_version(&subject, v);
                }
            }
            (Key::Context { context, .. }, Some(_)) => {
                if context.starts_with('.') {
                    self.contexts.entry(context).or_default().listed = true;
                }
            }
            (Key::Context { context, .. }, None) => {
                if let Some(c) = self.contexts.get_mut(&context) {
                    c.listed = false;
                }
            }
            (Key::Exporter { name }, Some(Value::Exporter(v))) => {
                self.exporters.insert(name, v);
            }
            (Key::Exporter { name }, None) => {
                self.exporters.remove(&name);
                self.exporter_states.remove(&name);
            }
            (Key::ExporterState { name }, Some(Value::ExporterState(v))) => {
                self.exporter_states.insert(name, v);
            }
            (Key::ExporterState { name }, None) => {
                self.exporter_states.remove(&name);
            }
            (Key::Association(k), Some(Value::Association(v))) => {
                let create_ts = self.associations.get(&k).map_or(ts, |e| e.create_ts);
                self.associations.insert(
                    k,
                    AssociationEntry {
                        value: v,
                        create_ts,
                        update_ts: ts,
                    },
                );
            }
            (Key::Association(k), None) => {
                self.associations.remove(&k);
            }
            (Key::DeleteSubject { .. } | Key::ClearSubject { .. }, None) => {}
            (Key::Noop, _) => {}
            (Key::Unknown(t), _) => {
                tracing::warn!(offset, keytype = %t, "skipping record of unknown key type")
            }
            (k, v) => {
                tracing::warn!(offset, key = ?k, value = ?v, "skipping record whose value does not fit its key")
            }
        }
    }

    /// `body`: the value's schema as [`Decoded::new`] took it out of `v` (`None`: a type
    /// this registry does not know).
    fn apply_schema(
        &mut self,
        offset: i64,
        ts: Option<i64>,
        subject: String,
        version: i32,
        v: record::SchemaValue,
        body: Option<(Arc<SchemaBody>, crate::guid::Guid)>,
    ) {
        let Some((body, guid)) = body else {
            tracing::warn!(
                offset,
                schema_type = v.schema_type.as_deref().unwrap_or_default(),
                "skipping schema of unknown type"
            );
            return;
        };
        let ctx_name = Subject::context_of(&subject);
        // Duplicate-ID guard: an ID held by other versions stays bound to its content.
        if let Some(existing) = self.contexts.get(ctx_name).and_then(|c| c.ids.get(&v.id)) {
            let only_self = existing.holders.len() == 1
                && existing.holders.contains(&(subject.clone(), version));
            if *existing.body != *body && !only_self {
                tracing::error!(offset, id = v.id, subject = %subject, version, "rejecting record that binds an existing ID to a different schema");
                self.reject(offset);
                return;
            }
        }
        if self.remove_version(&subject, version) || v.deleted {
            // Not a new live version: a plan made meanwhile may rest on what changed.
            self.changes += 1;
        }
        let ctx = match self.contexts.get_mut(ctx_name) {
            Some(c) => c,
            None => self.contexts.entry(ctx_name.to_string()).or_default(),
        };
        ctx.listed = true;
        ctx.max_id = ctx.max_id.max(v.id);
        let key = body.content_key();
        let new_id = !ctx.ids.contains_key(&v.id);
        let entry = ctx.ids.entry(v.id).or_insert_with(|| IdEntry {
            guid,
            body,
            holders: Holders::default(),
            rendered: Default::default(),
        });
        entry.holders.insert((subject.clone(), version));
        entry.rendered = Default::default();
        let body = entry.body.clone();
        let guid = entry.guid;
        if new_id {
            // The newest ID bound to a content is the one registrations resolve to.
            ctx.by_content.insert(key, v.id);
            ctx.by_guid.insert(guid, v.id);
        } else {
            ctx.by_content.entry(key).or_insert(v.id);
            ctx.by_guid.entry(guid).or_insert(v.id);
        }
        self.subjects.entry(subject).or_default().insert(
            version,
            VersionEntry {
                id: v.id,
                deleted: v.deleted,
                offset,
                ts,
                body,
                guid,
                rendered: Default::default(),
            },
        );
    }

    /// Removes a version; `false` when there was none.
    fn remove_version(&mut self, subject: &str, version: i32) -> bool {
        let Some(versions) = self.subjects.get_mut(subject) else {
            return false;
        };
        // A new version comes after the others (the usual record): nothing to search for.
        if versions
            .last_key_value()
            .is_none_or(|(last, _)| *last < version)
        {
            return false;
        }
        let Some(old) = versions.remove(&version) else {
            return false;
        };
        if versions.is_empty() {
            self.subjects.remove(subject);
        }
        if let Some(ctx) = self.contexts.get_mut(Subject::context_of(subject)) {
            let mut gone = false;
            if let Some(e) = ctx.ids.get_mut(&old.id) {
                e.holders.remove(&(subject.to_string(), version));
                e.rendered = Default::default();
                gone = e.holders.is_empty();
            }
            if gone {
                if let Some(e) = ctx.ids.remove(&old.id) {
                    let key = e.body.content_key();
                    if ctx.by_content.get(&key) == Some(&old.id) {
                        ctx.by_content.remove(&key);
                        // Another ID may still carry the same content (IMPORT can do that).
                        if let Some((other, _)) =
                            ctx.ids.iter().find(|(_, e)| e.body.content_key() == key)
                        {
                            ctx.by_content.insert(key, *other);
                        }
                    }
                    if ctx.by_guid.get(&e.guid) == Some(&old.id) {
                        ctx.by_guid.remove(&e.guid);
                        if let Some((other, _)) = ctx.ids.iter().find(|(_, o)| o.guid == e.guid) {
                            ctx.by_guid.insert(e.guid, *other);
                        }
                    }
                }
            }
        }
        true
    }

    // ---- queries -------------------------------------------------------------------

    pub fn versions(&self, subject: &str) -> Option<&BTreeMap<i32, VersionEntry>> {
        self.subjects.get(subject)
    }

    pub fn schema_by_id(&self, context: &str, id: i32) -> Option<&IdEntry> {
        self.contexts.get(context).and_then(|c| c.ids.get(&id))
    }

    /// The ID a GUID has in a context.
    pub fn id_for_guid(&self, context: &str, guid: &crate::guid::Guid) -> Option<i32> {
        self.contexts
            .get(context)
            .and_then(|c| c.by_guid.get(guid).copied())
    }

    pub fn id_for_content(&self, context: &str, key: &ContentKey) -> Option<i32> {
        self.contexts
            .get(context)
            .and_then(|c| c.by_content.get(key).copied())
    }

    fn reject(&mut self, offset: i64) {
        if self.rejected.len() >= REJECTED_KEPT {
            self.rejected.pop_front();
        }
        self.rejected.push_back(offset);
    }

    /// A claim of a higher epoch takes over; the same epoch by the same node renews; any other
    /// claim (a stale one, or the loser of two concurrent claims of the same epoch) is
    /// ignored. Higher, not only the next: compaction keeps the newest LEADERSHIP record
    /// alone, so a node reading on from an older checkpoint sees the epochs jump.
    fn apply_leadership(&mut self, offset: i64, value: Option<Value>) {
        let Some(Value::Leadership(v)) = value else {
            return;
        };
        let valid = match &self.leadership {
            None => v.epoch >= 1,
            Some(c) => v.epoch > c.epoch || (v.epoch == c.epoch && v.node == c.node),
        };
        if valid {
            if self.leadership.as_ref().is_none_or(|c| c.epoch != v.epoch) {
                tracing::info!(epoch = v.epoch, leader = %v.node, offset, "new leader");
            }
            self.leadership = Some(Leadership {
                epoch: v.epoch,
                node: v.node,
                offset,
            });
        } else {
            tracing::debug!(offset, epoch = v.epoch, node = %v.node, "ignoring a stale leadership claim");
        }
    }

    fn note_key_bytes(&mut self, key: &Key, raw: &RawRecord) {
        let ours = record::encode_key(key);
        if ours == raw.key {
            return;
        }
        let forms = self.alt_keys.entry(ours.clone()).or_default();
        forms.retain(|f| *f != raw.key);
        if raw.value.is_some() {
            forms.push(raw.key.clone());
        }
        if forms.is_empty() {
            self.alt_keys.remove(&ours);
        }
    }

    /// The records that write `value` under `key` (or delete it when `value` is `None`) so
    /// that compaction keeps exactly the outcome: a value goes under the key bytes the log
    /// last used for this key; a tombstone goes to our bytes and to every other form seen.
    pub fn records_for(&self, key: Key, value: Option<Value>) -> Vec<RawRecord> {
        let ours = record::encode(&record::Record { key, value });
        let Some(forms) = self.alt_keys.get(&ours.key) else {
            return vec![ours];
        };
        match ours.value {
            Some(v) => vec![RawRecord {
                key: forms.last().cloned().unwrap_or(ours.key),
                value: Some(v),
            }],
            None => forms
                .iter()
                .map(|f| RawRecord {
                    key: f.clone(),
                    value: None,
                })
                .chain(std::iter::once(ours))
                .collect(),
        }
    }

    pub fn max_id(&self, context: &str) -> i32 {
        self.contexts.get(context).map_or(0, |c| c.max_id)
    }

    /// The versions (subject, version) whose schema references `subject`/`version` (the
    /// qualified subject). An unqualified reference names a subject in its holder's context
    /// (7.9 and 8.3.1 `InMemoryCache.schemaRegistered`, `qualifySubjectWithParent`).
    pub fn referenced_by(&self, subject: &str, version: i32) -> Vec<(String, i32, i32, bool)> {
        let mut out = Vec::new();
        for (s, vs) in &self.subjects {
            let holder = crate::model::Subject::parse(s);
            let names = |r: &crate::model::Reference| {
                let named = crate::model::Subject::parse(&r.subject);
                if named.is_default_context()
                    && !holder.is_default_context()
                    && !r.subject.starts_with(":.")
                {
                    crate::model::Subject::in_context(&holder.context, &r.subject).qualified()
                        == subject
                } else {
                    r.subject == subject
                }
            };
            for (v, e) in vs {
                if e.body
                    .references
                    .iter()
                    .any(|r| r.version == version && names(r))
                {
                    out.push((s.clone(), *v, e.id, e.deleted));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
