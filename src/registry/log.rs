//! The log side of the registry: the replay loop (the index's only writer), the start-up
//! catch-up, readiness, and the write path's lock, append and wait for the applied offset.

use super::{read_only_error, Readiness, Registry, Role};
use crate::error::{RegistryError, Result};
use crate::index::Index;
use crate::store::{LogEntry, Store};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often the start-up replay reports its progress.
const CATCH_UP_REPORT_EVERY: Duration = Duration::from_secs(2);

/// Applies records to the index, in log order, forever. The only writer of the index.
pub async fn replay_loop(
    index: Arc<RwLock<Index>>,
    mut rx: mpsc::UnboundedReceiver<LogEntry>,
    applied: watch::Sender<i64>,
    store: Arc<dyn Store>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut judged = Vec::with_capacity(batch.len());
        let last = {
            let mut ix = index.write().unwrap_or_else(|p| p.into_inner());
            for e in batch {
                ix.apply_entry(&e);
                // A refused record is the newest of the index's refusals.
                let accepted = ix.rejected.back() != Some(&e.offset);
                judged.push((e, accepted));
            }
            ix.applied
        };
        applied.send_replace(last);
        store.applied(judged);
    }
}

impl Registry {
    /// Waits until the index has applied the log up to its current end, logging progress.
    /// A registry is not served before that: it would answer stale data as current.
    pub(super) async fn catch_up(
        store: &dyn Store,
        mut applied: watch::Receiver<i64>,
    ) -> Result<()> {
        let end = store.end_of_log().await?;
        let started = std::time::Instant::now();
        let first = *applied.borrow();
        crate::metrics::REPLAY.catching_up(first, end);
        loop {
            let now = *applied.borrow_and_update();
            crate::metrics::REPLAY.applied(now);
            if now >= end {
                break;
            }
            let waited = tokio::time::timeout(CATCH_UP_REPORT_EVERY, applied.changed()).await;
            if let Ok(Err(_)) = waited {
                return Err(RegistryError::Store("the replay loop stopped".into()));
            }
            if waited.is_err() {
                let done = (*applied.borrow() - first).max(0);
                let secs = started.elapsed().as_secs_f64().max(0.001);
                tracing::info!(
                    records = done,
                    remaining = end - *applied.borrow(),
                    records_per_s = (done as f64 / secs) as u64,
                    "replaying the log"
                );
            }
        }
        let done = (end - first).max(0);
        tracing::info!(
            records = done,
            end_offset = end,
            elapsed_ms = started.elapsed().as_millis() as u64,
            records_per_s = (done as f64 / started.elapsed().as_secs_f64().max(0.001)) as u64,
            "caught up with the log"
        );
        crate::metrics::REPLAY.caught_up(started.elapsed());
        Ok(())
    }

    /// Caught up = this node has applied the log up to the end its reader last saw (a node
    /// is only served after its start-up catch-up; see `catch_up`).
    pub fn readiness(&self) -> Readiness {
        let applied = *self.applied.borrow();
        let log_end = self.store.log_end_hint();
        Readiness {
            caught_up: log_end.is_none_or(|end| applied >= end),
            applied,
            log_end,
        }
    }

    /// Takes the single-writer lock and makes sure the index has applied every record this
    /// node wrote before (or, after a write of unknown outcome, the whole log, found with
    /// [`Store::end_of_log`]): a plan made on an index behind the log could hand out an ID
    /// that is already taken.
    pub(super) async fn lock_for_write(&self) -> Result<tokio::sync::MutexGuard<'_, ()>> {
        self.lock_writer(false).await
    }

    /// The writer lock for a registration beside others in flight (`pipeline.rs`): the
    /// writes in flight count in its plan, so it does not wait for them to be applied.
    pub(super) async fn lock_for_pipelined_write(&self) -> Result<tokio::sync::MutexGuard<'_, ()>> {
        self.lock_writer(true).await
    }

    async fn lock_writer(&self, pipelined: bool) -> Result<tokio::sync::MutexGuard<'_, ()>> {
        if self.read_only {
            return Err(read_only_error());
        }
        let guard = self.writer.lock().await;
        if !pipelined {
            self.wait_nothing_in_flight().await?;
        }
        let target = if self.unsure.load(Ordering::Acquire) {
            self.store.end_of_log().await?
        } else if pipelined {
            -1
        } else {
            self.last_own.load(Ordering::Acquire)
        };
        self.wait_applied(target).await?;
        self.unsure.store(false, Ordering::Release);
        // No leader known yet (a takeover in progress): wait for one, up to a lease.
        let patience = self.node.as_ref().map_or(Duration::ZERO, |n| n.lease);
        let deadline = tokio::time::Instant::now() + patience;
        let mut changes = self.applied.clone();
        loop {
            match self.role() {
                Role::Leader(epoch) => {
                    self.fence.store(epoch.unwrap_or(-1), Ordering::Release);
                    return Ok(guard);
                }
                Role::Follower(None) if tokio::time::Instant::now() < deadline => {
                    let _ = tokio::time::timeout_at(deadline, changes.changed()).await;
                }
                Role::Follower(url) => return Err(RegistryError::NotLeader(url)),
            }
        }
    }

    /// Waits until this node has applied the log up to its end as it is now: a follower,
    /// after the leader answered a write it forwarded, so that the client's next read
    /// through this node sees what it just wrote (read-your-writes through any node).
    pub async fn sync(&self) -> Result<()> {
        Ok(crate::store::sync(self.store.as_ref(), &self.applied, "the log").await?)
    }

    pub(super) async fn wait_applied(&self, offset: i64) -> Result<()> {
        let (store, applied) = (self.store.as_ref(), &self.applied);
        Ok(crate::store::wait_applied(store, applied, offset, "the log").await?)
    }

    /// Appends under the writer lock and answers once this node applied the records.
    pub(super) async fn append_and_wait(
        &self,
        records: Vec<crate::store::RawRecord>,
    ) -> Result<()> {
        let fence = Some(self.fence.load(Ordering::Acquire)).filter(|e| *e >= 0);
        let offsets = match self.store.append(records, fence).await {
            Ok(o) => o,
            Err(e) => {
                // The records may or may not be in the log: find its end before the next write.
                self.unsure.store(true, Ordering::Release);
                return Err(e.into());
            }
        };
        self.finish_own_write(&offsets).await
    }

    /// After an append of this node: waits until the index applied it, and fails if it
    /// refused any of it (fencing, the duplicate-ID guard).
    pub(super) async fn finish_own_write(&self, offsets: &[i64]) -> Result<()> {
        let last = offsets.iter().copied().max().unwrap_or(-1);
        self.last_own.fetch_max(last, Ordering::AcqRel);
        self.wait_applied(last).await?;
        let ix = self.read();
        if offsets.iter().any(|o| ix.rejected.contains(o)) {
            return Err(RegistryError::Store(
                "the write was refused by the log (another writer or a new leader won); retry"
                    .into(),
            ));
        }
        Ok(())
    }
}
