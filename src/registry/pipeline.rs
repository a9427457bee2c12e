//! Registrations in flight together. A registration holds the writer lock only while its
//! records are built (against the index and the writes still in flight) and handed to the
//! store; it waits for the log (the commit, the replay) after letting go, so that the
//! registrations of many clients share commits (the embedded store's group commit, one
//! Kafka batch) instead of queueing one sync to disk each.
//!
//! What makes that safe: a write in flight counts as written for every plan made meanwhile
//! (its ID is taken, its content keeps its ID, its subject takes no other write until it is
//! applied); every other write (configs, deletes, imports, a context's first schema) waits
//! until nothing is in flight; and a registration answers only once the index applied its
//! records, so nothing is acknowledged that is not in the log.

use super::register::{NewVersion, Plan, RegisterView, REGISTER_TRIES};
use super::{Registered, Registry, SchemaRequest};
use crate::error::{RegistryError, Result};
use crate::index::ContentKey;
use crate::model::Subject;
use std::sync::atomic::Ordering;

/// One registration in flight: what it will have written once applied.
struct Write {
    token: u64,
    subject: String,
    context: String,
    key: ContentKey,
    id: i32,
}

/// The registrations in flight (appended, not yet applied by this node).
#[derive(Default)]
pub(super) struct InFlight {
    writes: Vec<Write>,
    next_token: u64,
}

impl InFlight {
    /// The ID a content in flight takes in `context`.
    pub(super) fn id_for_content(&self, context: &str, key: &ContentKey) -> Option<i32> {
        self.writes
            .iter()
            .find(|w| w.context == context && w.key == *key)
            .map(|w| w.id)
    }

    /// The highest ID in flight in `context` (0: none).
    pub(super) fn max_id(&self, context: &str) -> i32 {
        self.writes
            .iter()
            .filter(|w| w.context == context)
            .map(|w| w.id)
            .max()
            .unwrap_or(0)
    }

    fn holds(&self, subject: &str) -> bool {
        self.writes.iter().any(|w| w.subject == subject)
    }
}

/// A registration's place in flight; leaving it (answered, failed or dropped) frees the
/// subject. Dropped before its records were applied (the client went away), the write's
/// outcome is unknown to this node: the next writer first reads the log to its end.
struct Ticket<'a> {
    registry: &'a Registry,
    token: u64,
    done: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.registry.unsure.store(true, Ordering::Release);
        }
        let r = self.registry;
        let left = {
            let mut f = r.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            f.writes.retain(|w| w.token != self.token);
            f.writes.len()
        };
        r.in_flight_count.send_replace(left);
    }
}

impl Registry {
    /// Commits a planned registration beside the others in flight (see the module).
    pub(super) async fn commit_pipelined(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        (mut view, mut new): (RegisterView, NewVersion),
    ) -> Result<Registered> {
        let q = subject.qualified();
        let mut tries = 0;
        loop {
            // IMPORT (explicit IDs) and the first schema of a context (its CONTEXT record)
            // are written alone.
            let alone = view.import
                || (!subject.is_default_context() && !self.read().context_listed(&subject.context));
            if alone {
                let _w = self.lock_for_write().await?;
                return self
                    .commit_planned(subject, req, normalize, (view, new))
                    .await;
            }
            let w = self.lock_for_pipelined_write().await?;
            let busy = self.in_flight_lock().holds(&q);
            let built = if busy {
                None
            } else {
                let flight = self.in_flight_lock();
                self.build_records(
                    &view,
                    subject,
                    req,
                    &new,
                    tries < REGISTER_TRIES,
                    Some(&flight),
                )?
            };
            let Some((records, outcome)) = built else {
                drop(w);
                if busy {
                    // The subject's previous write first: its version comes before ours.
                    self.wait_subject_applied(&q).await?;
                } else {
                    tries += 1;
                }
                (view, new) = match self.plan_register(subject, req, normalize)? {
                    Plan::Existing(r) => return Ok(r),
                    Plan::New(planned) => *planned,
                };
                continue;
            };
            let mut ticket = self.enter_flight(Write {
                token: 0,
                subject: q.clone(),
                context: subject.context.clone(),
                key: new.key,
                id: outcome.version.id,
            });
            let fence = Some(self.fence.load(Ordering::Acquire)).filter(|e| *e >= 0);
            // The store takes the records in this order now; the wait is outside the lock.
            let appended = self.store.append(records, fence);
            drop(w);
            let offsets = match appended.await {
                Ok(o) => o,
                Err(e) => return Err(e.into()),
            };
            self.finish_own_write(&offsets).await?;
            ticket.done = true;
            return Ok(outcome);
        }
    }

    fn in_flight_lock(&self) -> std::sync::MutexGuard<'_, InFlight> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enter_flight(&self, mut w: Write) -> Ticket<'_> {
        let (token, n) = {
            let mut f = self.in_flight_lock();
            f.next_token += 1;
            w.token = f.next_token;
            let token = w.token;
            f.writes.push(w);
            (token, f.writes.len())
        };
        self.in_flight_count.send_replace(n);
        Ticket {
            registry: self,
            token,
            done: false,
        }
    }

    /// Waits until no write of `subject` is in flight (bounded by the store's write timeout).
    async fn wait_subject_applied(&self, subject: &str) -> Result<()> {
        let mut changes = self.in_flight_count.subscribe();
        let limit = self.store.write_timeout();
        let waited = tokio::time::timeout(limit, async {
            loop {
                if !self.in_flight_lock().holds(subject) {
                    return;
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        waited.map_err(|_| {
            RegistryError::StoreTimeout(format!(
                "a write of {subject} was not applied within {limit:?}"
            ))
        })
    }

    /// Waits until nothing is in flight: every other write plans on the index alone.
    pub(super) async fn wait_nothing_in_flight(&self) -> Result<()> {
        let mut count = self.in_flight_count.subscribe();
        let limit = self.store.write_timeout();
        let waited = tokio::time::timeout(limit, async {
            let _ = count.wait_for(|n| *n == 0).await;
        })
        .await;
        waited.map_err(|_| {
            RegistryError::StoreTimeout(format!(
                "the registrations in flight were not applied within {limit:?}"
            ))
        })
    }
}
