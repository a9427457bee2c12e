//! The DEK registry's state: every KEK and DEK the key log holds, with the offset and time
//! of the record that wrote it (Confluent's cache sets `offset` and `ts` the same way, in
//! `DefaultDekCacheUpdateHandler.validateUpdate`). Built only by applying records in order.

use super::record::{self, Algorithm, DekId, DekValue, KekId, KekValue, KeyId};
use crate::store::LogEntry;
use std::collections::BTreeMap;

/// A stored key with where and when it was written.
#[derive(Debug, Clone)]
pub struct Stamped<T> {
    pub value: T,
    pub offset: i64,
    pub ts: Option<i64>,
}

/// Key records held, by kind (see [`KeyState::counts`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KeyCounts {
    /// KEK records, soft-deleted ones included.
    pub keks: usize,
    pub keks_deleted: usize,
    /// KEKs with `shared: true` (the registry generates and unwraps their DEKs).
    pub keks_shared: usize,
    /// DEK records (every version), soft-deleted ones included.
    pub deks: usize,
    pub deks_deleted: usize,
}

#[derive(Debug, Default)]
pub struct KeyState {
    pub keks: BTreeMap<KekId, Stamped<KekValue>>,
    pub deks: BTreeMap<DekId, Stamped<DekValue>>,
    /// The offset of the last record applied (-1: none).
    pub applied: i64,
    /// Records that did not decode (logged once each, then skipped).
    pub skipped: u64,
}

impl KeyState {
    pub fn new() -> KeyState {
        KeyState {
            applied: -1,
            ..Default::default()
        }
    }

    pub fn apply(&mut self, e: &LogEntry) {
        self.applied = self.applied.max(e.offset);
        let id = match record::decode_key(&e.record.key) {
            Ok(id) => id,
            Err(why) => {
                self.skip(e.offset, &why);
                return;
            }
        };
        match (id, e.record.value.as_deref()) {
            (KeyId::Kek(id), None) => {
                self.keks.remove(&id);
            }
            (KeyId::Dek(id), None) => {
                self.deks.remove(&id);
            }
            (KeyId::Kek(id), Some(bytes)) => match record::decode_kek_value(&id, bytes) {
                Ok(value) => {
                    let stamped = Stamped {
                        value,
                        offset: e.offset,
                        ts: e.ts,
                    };
                    self.keks.insert(id, stamped);
                }
                Err(why) => self.skip(e.offset, &why),
            },
            (KeyId::Dek(id), Some(bytes)) => match record::decode_dek_value(&id, bytes) {
                Ok(value) => {
                    let stamped = Stamped {
                        value,
                        offset: e.offset,
                        ts: e.ts,
                    };
                    self.deks.insert(id, stamped);
                }
                Err(why) => self.skip(e.offset, &why),
            },
        }
    }

    fn skip(&mut self, offset: i64, why: &str) {
        self.skipped += 1;
        tracing::warn!(
            offset,
            reason = why,
            "skipped a key log record that does not decode"
        );
    }

    pub fn kek(&self, tenant: &str, name: &str) -> Option<&Stamped<KekValue>> {
        self.keks.get(&KekId {
            tenant: tenant.to_string(),
            name: name.to_string(),
        })
    }

    pub fn dek(&self, id: &DekId) -> Option<&Stamped<DekValue>> {
        self.deks.get(id)
    }

    /// The tenant's KEKs in key order, soft-deleted ones only when asked.
    pub fn keks_of<'a>(
        &'a self,
        tenant: &'a str,
        deleted: bool,
    ) -> impl Iterator<Item = &'a Stamped<KekValue>> + 'a {
        self.keks
            .iter()
            .filter(move |(id, k)| id.tenant == tenant && (deleted || !k.value.deleted))
            .map(|(_, k)| k)
    }

    /// The tenant's DEKs in key order (KEK, subject, algorithm, version), optionally of one
    /// KEK, soft-deleted ones only when asked.
    pub fn deks_of<'a>(
        &'a self,
        tenant: &'a str,
        kek: Option<&'a str>,
        deleted: bool,
    ) -> impl Iterator<Item = (&'a DekId, &'a Stamped<DekValue>)> + 'a {
        self.deks.iter().filter(move |(id, d)| {
            id.tenant == tenant && kek.is_none_or(|k| id.kek == k) && (deleted || !d.value.deleted)
        })
    }

    /// One subject's versions under a KEK and algorithm, oldest first
    /// (`getDeksFromStore(tenant, kek, subject, algorithm, …)`).
    pub fn versions<'a>(
        &'a self,
        tenant: &'a str,
        kek: &'a str,
        subject: &'a str,
        algorithm: Algorithm,
        deleted: bool,
    ) -> impl Iterator<Item = (&'a DekId, &'a Stamped<DekValue>)> + 'a {
        self.deks_of(tenant, Some(kek), deleted)
            .filter(move |(id, _)| id.subject == subject && id.algorithm == algorithm)
    }

    /// What `/metrics` shows of a tenant's keys: Confluent's `num_keks`, `num_keks_shared`
    /// and `num_deks` (`dekregistry/metrics/MetricsManager.java`, kept by
    /// `DefaultDekCacheUpdateHandler` per record held, soft-deleted ones included), with the
    /// soft-deleted ones also counted apart.
    pub fn counts(&self, tenant: &str) -> KeyCounts {
        let mut c = KeyCounts::default();
        for (_, k) in self.keks.iter().filter(|(id, _)| id.tenant == tenant) {
            c.keks += 1;
            c.keks_deleted += usize::from(k.value.deleted);
            c.keks_shared += usize::from(k.value.shared);
        }
        for (_, d) in self.deks.iter().filter(|(id, _)| id.tenant == tenant) {
            c.deks += 1;
            c.deks_deleted += usize::from(d.value.deleted);
        }
        c
    }

    /// Records held, KEKs and DEKs, of a tenant (Confluent's key count, for `max.keys`).
    pub fn count(&self, tenant: &str, kek: bool) -> usize {
        if kek {
            self.keks.keys().filter(|id| id.tenant == tenant).count()
        } else {
            self.deks.keys().filter(|id| id.tenant == tenant).count()
        }
    }
}
