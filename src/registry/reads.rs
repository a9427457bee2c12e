//! Reads: subjects, versions, a version, schemas by ID and their usages, schema lists,
//! aliases and contexts. Each answers from the index under one short read lock.

use super::{IdView, Registry, VersionSpec, VersionView};
use crate::error::{RegistryError, Result};
use crate::index::{Index, VersionEntry};
use crate::model::{Subject, DEFAULT_CONTEXT};
use bytes::Bytes;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

impl Registry {
    pub fn contexts(&self) -> Vec<String> {
        let ix = self.read();
        let mut out: Vec<String> = ix
            .contexts
            .iter()
            .filter(|(name, c)| c.listed || name.as_str() == DEFAULT_CONTEXT)
            .map(|(name, _)| name.clone())
            .collect();
        out.sort_by(|a, b| (a != DEFAULT_CONTEXT, a).cmp(&(b != DEFAULT_CONTEXT, b)));
        out
    }

    pub fn subjects(&self, prefix: Option<&str>, deleted: bool, deleted_only: bool) -> Vec<String> {
        let ix = self.read();
        // Absent is `:*:` (every context); an explicit empty prefix is the default context.
        let matches_prefix = |s: &str| match prefix {
            None => true,
            Some("") => Subject::parse(s).is_default_context(),
            Some(p) if p.starts_with(":*:") => {
                let rest = &p[3..];
                Subject::parse(s).name.starts_with(rest)
            }
            Some(p) => s.starts_with(p),
        };
        ix.subjects
            .iter()
            .filter(|(s, _)| matches_prefix(s))
            .filter(|(_, vs)| {
                let any_live = vs.values().any(|e| !e.deleted);
                let any_deleted = vs.values().any(|e| e.deleted);
                if deleted_only {
                    // Only subjects whose versions are all soft-deleted (7.9 and 8.3.1
                    // `extractUniqueSubjects`).
                    any_deleted && !any_live
                } else if deleted {
                    true
                } else {
                    any_live
                }
            })
            .map(|(s, _)| s.clone())
            .collect()
    }

    pub fn versions(
        &self,
        subject: &Subject,
        deleted: bool,
        deleted_only: bool,
        deleted_as_negative: bool,
    ) -> Result<Vec<i32>> {
        let ix = self.read();
        let q = subject.qualified();
        let vs = match ix.versions(&q) {
            Some(vs) => vs,
            // `:.ctx:` itself: `hasSubjects` matches any subject of the context (7.9 and
            // 8.3.1 `InMemoryCache.matchingSubjectPredicate`), then its own versions (none).
            None if subject.name.is_empty() => {
                let any = ix.subjects.iter().any(|(s, vs)| {
                    Subject::parse(s).context == subject.context
                        && vs.values().any(|e| deleted || deleted_only || !e.deleted)
                });
                return if any {
                    Ok(vec![])
                } else {
                    Err(RegistryError::SubjectNotFound(q))
                };
            }
            None => return Err(RegistryError::SubjectNotFound(q)),
        };
        // 8.x `deletedAsNegative`: every version, soft-deleted ones as `-v`, in the order of
        // their absolute values; the subject must exist as `deleted`/`deletedOnly` say
        // (`SubjectVersionsResource.listVersions`, `LookupFilter.DELETED_AS_NEGATIVE`).
        if deleted_as_negative {
            if !(deleted || deleted_only || vs.values().any(|e| !e.deleted)) {
                return Err(RegistryError::SubjectNotFound(q));
            }
            return Ok(vs
                .iter()
                .map(|(v, e)| if e.deleted { -*v } else { *v })
                .collect());
        }
        let out: Vec<i32> = vs
            .iter()
            .filter(|(_, e)| {
                if deleted_only {
                    e.deleted
                } else {
                    deleted || !e.deleted
                }
            })
            .map(|(v, _)| *v)
            .collect();
        if out.is_empty() && !deleted_only {
            return Err(RegistryError::SubjectNotFound(q));
        }
        Ok(out)
    }

    /// The versions of a subject that has any to show (live ones, or any with `deleted`).
    pub(super) fn subject_versions<'a>(
        ix: &'a Index,
        q: &str,
        deleted: bool,
    ) -> Result<&'a BTreeMap<i32, VersionEntry>> {
        ix.versions(q)
            .filter(|vs| deleted || vs.values().any(|e| !e.deleted))
            .ok_or_else(|| RegistryError::SubjectNotFound(q.to_string()))
    }

    pub fn version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<VersionView> {
        let ix = self.read();
        let q = subject.qualified();
        Self::find_version(&ix, &q, spec, deleted).map(|(v, e)| Self::view(&q, v, e))
    }

    /// The default answer to `GET /subjects/{s}/versions/{v}` (no parameters) as bytes:
    /// the ones the version's entry keeps, else `render`'s, kept for the next read if the
    /// version did not change meanwhile (`render` runs without the index lock).
    pub fn version_answer(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        render: impl FnOnce(&VersionView) -> bytes::Bytes,
    ) -> Result<bytes::Bytes> {
        let q = subject.qualified();
        let (view, offset) = {
            let ix = self.read();
            let (v, e) = Self::find_version(&ix, &q, spec, false)?;
            if let Some(b) = e.rendered.get() {
                return Ok(Bytes::clone(b));
            }
            (Self::view(&q, v, e), e.offset)
        };
        let bytes = render(&view);
        let ix = self.read();
        if let Ok((v, e)) = Self::find_version(&ix, &q, spec, false) {
            let same = v == view.version
                && e.offset == offset
                && e.deleted == view.deleted
                && e.ts == view.ts
                && Arc::ptr_eq(&e.body, &view.body);
            if same {
                let _ = e.rendered.set(Box::new(bytes.clone()));
            }
        }
        Ok(bytes)
    }

    /// The version `spec` of subject `q` (`deleted`: soft-deleted ones count).
    fn find_version<'a>(
        ix: &'a Index,
        q: &str,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<(i32, &'a VersionEntry)> {
        let vs = Self::subject_versions(ix, q, deleted)?;
        match spec {
            // `latest` is the newest live version, also with `deleted` (7.9 and 8.3.1
            // `get(subject, -1, …)` is `getLatestVersion`); none: 40402 "Version -1 not
            // found." when soft-deleted ones count, else the subject is not found.
            VersionSpec::Latest => vs
                .iter()
                .rev()
                .find(|(_, e)| !e.deleted)
                .map(|(v, e)| (*v, e))
                .ok_or(if deleted {
                    RegistryError::VersionNotFound("-1".into())
                } else {
                    RegistryError::SubjectNotFound(q.to_string())
                }),
            VersionSpec::Number(n) => vs
                .get(&n)
                .filter(|e| deleted || !e.deleted)
                .map(|e| (n, e))
                .ok_or(RegistryError::VersionNotFound(n.to_string())),
        }
    }

    /// `GET /subjects/{subject}/metadata`: the latest version whose metadata properties
    /// have every wanted key (with the paired value, when one is given).
    pub fn version_by_metadata(
        &self,
        subject: &Subject,
        wanted: &BTreeMap<String, String>,
        deleted: bool,
    ) -> Result<VersionView> {
        let ix = self.read();
        let q = subject.qualified();
        let vs = Self::subject_versions(&ix, &q, deleted)?;
        // 7.9 and 8.3.1 `getLatestWithMetadata`: newest first, a version with properties
        // holding every wanted pair.
        vs.iter()
            .rev()
            .filter(|(_, e)| deleted || !e.deleted)
            .find(|(_, e)| {
                let Some(props) = e
                    .body
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("properties"))
                    .and_then(Json::as_object)
                else {
                    return false;
                };
                wanted
                    .iter()
                    .all(|(k, v)| props.get(k).and_then(Json::as_str) == Some(v.as_str()))
            })
            .map(|(v, e)| Self::view(&q, *v, e))
            .ok_or(RegistryError::SchemaNotFound(None))
    }

    /// A subject without versions whose subject-level config names an `alias` stands for
    /// that other subject.
    pub fn alias_target(&self, subject: &Subject) -> Subject {
        Self::alias_in(&self.read(), subject)
    }

    pub(super) fn alias_in(ix: &Index, subject: &Subject) -> Subject {
        // 7.9 and 8.3.1 `AliasFilter`: any subject whose own config names an alias is
        // replaced by it, on every `/subjects/{s}` route, whatever it holds itself.
        let q = subject.qualified();
        match ix.configs.get(&Some(q)).and_then(|c| c.alias.as_deref()) {
            Some(target) if !target.is_empty() => Self::qualify_alias(subject, target),
            _ => subject.clone(),
        }
    }

    /// `QualifiedSubject.qualifySubjectWithParent`: an unqualified alias lives in the
    /// context of the subject whose config names it.
    fn qualify_alias(parent: &Subject, alias: &str) -> Subject {
        let t = Subject::parse(alias);
        if t.is_default_context() && !parent.is_default_context() {
            Subject::in_context(&parent.context, alias)
        } else {
            t
        }
    }

    /// A read of one version or one schema under a subject, falling back across contexts
    /// **per request**, as 7.9 and 8.3.1 `getUsingContexts` and
    /// `lookUpSchemaUnderSubjectUsingContexts` do: `read` is tried on the subject (its alias
    /// followed); when it finds nothing and the name is an unqualified default-context one,
    /// on the same name in each other context in order, and the first answer wins (errors
    /// there are ignored, as Confluent ignores `InvalidSchemaException` in the loop). When
    /// none answers, the error is the asked subject's (40401 when it has no versions, else
    /// 40402/40403: the resources decide it with `hasSubjects` on the asked subject). Returns
    /// the subject that answered.
    pub fn read_using_contexts<T>(
        &self,
        subject: &Subject,
        mut read: impl FnMut(&Subject) -> Result<T>,
    ) -> Result<(Subject, T)> {
        let (asked, others) = {
            let ix = self.read();
            let asked = Self::alias_in(&ix, subject);
            let others: Vec<Subject> = if asked.is_default_context() && !asked.name.is_empty() {
                ix.contexts
                    .keys()
                    .filter(|c| c.as_str() != DEFAULT_CONTEXT)
                    .map(|c| Subject::in_context(c, &asked.name))
                    .collect()
            } else {
                Vec::new()
            };
            // Fetch-through: a mirror-prefixed name stands for the upstream's subject in
            // the fetched context (`fetched.rs`), tried last.
            let mut others = others;
            if let Some(m) = self.upstream.as_ref().and_then(|n| n.mapped(&asked)) {
                others.push(m);
            }
            (asked, others)
        };
        let first = match read(&asked) {
            Ok(v) => return Ok((asked, v)),
            Err(e) if is_not_found(&e) => e,
            Err(e) => return Err(e),
        };
        for s in others {
            if let Ok(v) = read(&s) {
                return Ok((s, v));
            }
        }
        Err(first)
    }

    /// `GET /schemas/ids/{id}[?subject=S]`: the version an ID is read from, found as
    /// Confluent's `getSchemaKeyUsingContexts` finds it (7.9 and 8.3.1 alike): without a
    /// subject (or with a bare context), any holder in that context (the default one when
    /// none); with a subject, its version holding the ID; for an unqualified subject that
    /// does not hold it, the same name in each other context in order, then any holder in
    /// the default context. A qualified subject that does not hold the ID finds nothing.
    /// `subject` is the query parameter as sent (no alias is followed).
    ///
    /// With fetch-through on (`fetched.rs`), the fetched context comes after the default
    /// one where Confluent's rule ends with "any holder in the default context"; a
    /// mirror-prefixed hint (`src.orders-value`) is first looked for as the upstream's
    /// subject there, and never falls back to a default-context holder: the ID is the
    /// upstream's, and a local schema that happens to have the same number is not it.
    pub fn schema_by_id(&self, id: i32, subject: Option<&str>) -> Result<IdView> {
        let ix = self.read();
        let not_found = || RegistryError::SchemaNotFound(Some(id as i64));
        let fetched = self.upstream.as_ref();
        let any_fetched =
            |ix: &Index| fetched.and_then(|n| Self::id_view(ix, &n.context, id, None));
        let Some(raw) = subject else {
            return Self::id_view(&ix, DEFAULT_CONTEXT, id, None)
                .or_else(|| any_fetched(&ix))
                .ok_or_else(not_found);
        };
        let s = Subject::parse(raw);
        if s.name.is_empty() {
            return Self::id_view(&ix, &s.context, id, None).ok_or_else(not_found);
        }
        let q = s.qualified();
        if let Some(v) = Self::id_view(&ix, &s.context, id, Some(&q)) {
            return Ok(v);
        }
        if !s.is_default_context() {
            return Err(not_found());
        }
        for ctx in ix.contexts.keys().filter(|c| c.as_str() != DEFAULT_CONTEXT) {
            let q = Subject::in_context(ctx, &s.name).qualified();
            if let Some(v) = Self::id_view(&ix, ctx, id, Some(&q)) {
                return Ok(v);
            }
        }
        if let Some(m) = fetched.and_then(|n| n.mapped(&s)) {
            let q = m.qualified();
            if let Some(v) = Self::id_view(&ix, &m.context, id, Some(&q)) {
                return Ok(v);
            }
            return any_fetched(&ix).ok_or_else(not_found);
        }
        Self::id_view(&ix, DEFAULT_CONTEXT, id, None)
            .or_else(|| any_fetched(&ix))
            .ok_or_else(not_found)
    }

    /// The default answer to `GET /schemas/ids/{id}` (no parameters) as bytes: the one the
    /// index keeps for the ID, else `render`'s, kept for the next read. `render` runs
    /// without the index lock; its bytes are kept only if the answer did not change
    /// meanwhile. `None`: no such ID in the default context (the caller answers 40403).
    pub fn id_answer(
        &self,
        id: i32,
        render: impl FnOnce(&IdView) -> bytes::Bytes,
    ) -> Option<bytes::Bytes> {
        let view = {
            let ix = self.read();
            let e = ix.schema_by_id(DEFAULT_CONTEXT, id)?;
            if let Some(b) = e.rendered.get() {
                return Some(Bytes::clone(b));
            }
            Self::id_view(&ix, DEFAULT_CONTEXT, id, None)?
        };
        let bytes = render(&view);
        let ix = self.read();
        let same = Self::id_view(&ix, DEFAULT_CONTEXT, id, None).is_some_and(|now| {
            Arc::ptr_eq(&now.body, &view.body)
                && now.subject == view.subject
                && now.version == view.version
                && now.deleted == view.deleted
                && now.ts == view.ts
        });
        if same {
            if let Some(e) = ix.schema_by_id(DEFAULT_CONTEXT, id) {
                let _ = e.rendered.set(Box::new(bytes.clone()));
            }
        }
        Some(bytes)
    }

    /// The schema ID `id` of context `ctx` as read from a version (`InMemoryCache
    /// .schemaKeyById`): `subject`'s version holding it (none if it holds none), or, without
    /// a subject, the first holder.
    fn id_view(ix: &Index, ctx: &str, id: i32, subject: Option<&str>) -> Option<IdView> {
        let e = ix.schema_by_id(ctx, id)?;
        let (holder, version) = match subject {
            Some(s) => e.holders.iter().find(|(h, _)| h == s)?,
            None => e.holders.iter().next()?,
        };
        let v = ix.subjects.get(holder)?.get(version)?;
        Some(IdView {
            body: e.body.clone(),
            guid: e.guid,
            max_id: ix.max_id(ctx),
            context: ctx.to_string(),
            subject: holder.clone(),
            version: *version,
            deleted: v.deleted,
            ts: v.ts,
        })
    }

    /// `GET /schemas/guids/{guid}`: the schema with that GUID, looked for in the default
    /// context first, then in the others in order (Confluent 8's `getByGuid`), as the ID
    /// it has there reads it.
    pub fn schema_by_guid(&self, raw: &str) -> Result<IdView> {
        let not_found = || RegistryError::GuidNotFound(raw.to_string());
        let guid = crate::guid::parse(raw).ok_or_else(not_found)?;
        let ix = self.read();
        let default = std::iter::once(DEFAULT_CONTEXT);
        let others = ix
            .contexts
            .keys()
            .map(String::as_str)
            .filter(|c| *c != DEFAULT_CONTEXT);
        for ctx in default.chain(others) {
            if let Some(v) = ix
                .id_for_guid(ctx, &guid)
                .and_then(|id| Self::id_view(&ix, ctx, id, None))
            {
                return Ok(v);
            }
        }
        Err(not_found())
    }

    /// `GET /schemas/guids/{guid}/ids`: the ID the GUID has in each context, by context then
    /// ID; none for a GUID that does not parse.
    pub fn guid_ids(&self, raw: &str) -> Vec<(String, i32)> {
        let Some(guid) = crate::guid::parse(raw) else {
            return Vec::new();
        };
        let ix = self.read();
        let mut out: Vec<(String, i32)> = ix
            .contexts
            .keys()
            .filter_map(|c| ix.id_for_guid(c, &guid).map(|id| (c.clone(), id)))
            .collect();
        out.sort();
        out
    }

    pub fn id_usages(
        &self,
        id: i32,
        hint: Option<&Subject>,
        deleted: bool,
    ) -> Result<Vec<(String, i32)>> {
        // The context is the one `getSchemaKeyUsingContexts` reads the ID from (7.9 and
        // 8.3.1 `listVersionsForId`): a qualified subject not holding it finds nothing.
        let hint = hint.map(Subject::qualified);
        let ctx = self
            .schema_by_id(id, hint.as_deref())
            .map_err(|_| RegistryError::SchemaNotFound(None))?
            .context;
        let ix = self.read();
        let e = ix
            .schema_by_id(&ctx, id)
            .ok_or(RegistryError::SchemaNotFound(None))?;
        Ok(in_hash_map_order(&e.holders)
            .into_iter()
            .filter(|(s, v)| {
                deleted
                    || ix
                        .versions(s)
                        .and_then(|vs| vs.get(v))
                        .is_some_and(|e| !e.deleted)
            })
            .cloned()
            .collect())
    }

    pub fn schemas(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
    ) -> Vec<VersionView> {
        let ix = self.read();
        let mut out = Vec::new();
        for (s, vs) in ix
            .subjects
            .iter()
            .filter(|(s, _)| schemas_prefix(prefix, s))
        {
            Self::push_versions(&mut out, s, vs, deleted, latest_only);
        }
        out
    }

    fn push_versions(
        out: &mut Vec<VersionView>,
        s: &str,
        vs: &std::collections::BTreeMap<i32, VersionEntry>,
        deleted: bool,
        latest_only: bool,
    ) {
        let live: Vec<(&i32, &VersionEntry)> =
            vs.iter().filter(|(_, e)| deleted || !e.deleted).collect();
        if latest_only {
            if let Some((v, e)) = live.last() {
                out.push(Self::view(s, **v, e));
            }
        } else {
            out.extend(live.into_iter().map(|(v, e)| Self::view(s, *v, e)));
        }
    }

    /// `GET /schemas?aliases=true` (7.9 and 8.3.1
    /// `allVersionsIncludingAliasesWithSubjectPrefix`, `getAliases`): the aliases come from
    /// the configs of the subjects the prefix matches, each qualified with its config's
    /// context; the versions of an alias target outside the prefix are added; the result is
    /// sorted again. Returns the versions and, per target subject, its aliases (in subject
    /// order).
    pub fn schemas_with_aliases(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
    ) -> (Vec<VersionView>, BTreeMap<String, Vec<String>>) {
        let mut out = self.schemas(prefix, deleted, latest_only);
        let ix = self.read();
        let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (scope, c) in &ix.configs {
            let (Some(s), Some(alias)) = (scope, c.alias.as_deref()) else {
                continue;
            };
            if !schemas_prefix(prefix, s) {
                continue;
            }
            let target = Self::qualify_alias(&Subject::parse(s), alias).qualified();
            aliases.entry(target).or_default().push(s.clone());
        }
        let listed: std::collections::HashSet<String> =
            out.iter().map(|v| v.subject.clone()).collect();
        for target in aliases.keys().filter(|t| !listed.contains(*t)) {
            if let Some(vs) = ix.subjects.get(target) {
                Self::push_versions(&mut out, target, vs, deleted, latest_only);
            }
        }
        out.sort_by(|a, b| (&a.subject, a.version).cmp(&(&b.subject, b.version)));
        (out, aliases)
    }
}

/// The holders of an ID in the order Confluent lists them: its lookup cache keeps them in a
/// `ConcurrentHashMap` keyed by subject (`SchemaIdAndSubjects`), so they come out by hash bucket
/// (Java's `String.hashCode`, spread, masked by the table size: 16, doubled each time the map
/// holds three quarters of it). Within a bucket Confluent keeps insertion order; we keep name
/// order (the index does not remember the order of holders).
fn in_hash_map_order(holders: &crate::index::Holders) -> Vec<&(String, i32)> {
    let mut table = 16usize;
    while holders.len() >= table / 4 * 3 {
        table *= 2;
    }
    let bucket = |s: &str| {
        let h = s
            .encode_utf16()
            .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)));
        let spread = (h ^ ((h as u32) >> 16) as i32) & 0x7fff_ffff;
        spread as usize & (table - 1)
    };
    let mut out: Vec<&(String, i32)> = holders.iter().collect();
    out.sort_by_key(|(s, _)| bucket(s));
    out
}

/// The "nothing there" answers after which a read tries the next context.
pub(crate) fn is_not_found(e: &RegistryError) -> bool {
    matches!(
        e,
        RegistryError::SubjectNotFound(_)
            | RegistryError::VersionNotFound(_)
            | RegistryError::SchemaNotFound(_)
            | RegistryError::GuidNotFound(_)
    )
}

/// The subjects `GET /schemas` lists for `subjectPrefix`: `:*:` is every context
/// (`allVersions`' context wildcard), as on `/subjects`; no prefix is `""`, the default
/// context only (the key range `""`..`"\u{ffff}"` under `QualifiedSubject`'s order, 7.9 and
/// 8.3.1 `SchemasResource`).
fn schemas_prefix(prefix: Option<&str>, s: &str) -> bool {
    match prefix {
        None | Some("") => Subject::parse(s).is_default_context(),
        Some(p) => match p.strip_prefix(":*:") {
            Some(rest) => Subject::parse(s).name.starts_with(rest),
            None => s.starts_with(p),
        },
    }
}
