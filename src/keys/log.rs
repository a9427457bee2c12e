//! The DEK registry's own log (`_dek_registry_keys` on Kafka, a second SQLite file
//! embedded): the replay of what it holds at start, the loop that applies every later
//! record (the state's only writer), and the write path (single writer, append, answer
//! once applied).

use super::state::KeyState;
use crate::error::{RegistryError, Result};
use crate::store::{BacklogItem, RawRecord, Store};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use tokio::sync::{watch, Mutex};

/// How the key log is named in errors.
const KEY_LOG: &str = "the key log";

pub struct KeyLog {
    store: Arc<dyn Store>,
    state: Arc<RwLock<KeyState>>,
    applied: watch::Receiver<i64>,
    writer: Mutex<()>,
}

impl KeyLog {
    /// Replays the log and follows it; returns once the state has applied the log up to
    /// its end as it was at the start.
    pub async fn open(store: Arc<dyn Store>) -> Result<KeyLog> {
        let (mut backlog, mut rx) = store.follow().await?;
        let mut state = KeyState::new();
        loop {
            match backlog.recv().await {
                Some(Ok(BacklogItem::Records(chunk))) => {
                    for e in &chunk {
                        state.apply(e);
                    }
                }
                Some(Ok(BacklogItem::Restart)) => state = KeyState::new(),
                Some(Ok(BacklogItem::End)) => break,
                Some(Err(e)) => return Err(e.into()),
                None => {
                    return Err(RegistryError::Store(
                        "the key log's replay was cut short".into(),
                    ))
                }
            }
        }
        let (tx, applied) = watch::channel(state.applied);
        let state = Arc::new(RwLock::new(state));
        let looped = state.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let last = {
                    let mut st = looped.write().unwrap_or_else(|p| p.into_inner());
                    for e in &batch {
                        st.apply(e);
                    }
                    st.applied
                };
                tx.send_replace(last);
            }
        });
        let log = KeyLog {
            store,
            state,
            applied,
            writer: Mutex::new(()),
        };
        log.sync().await?;
        Ok(log)
    }

    /// The state as applied so far (a short read lock; never held across an await).
    pub fn read(&self) -> RwLockReadGuard<'_, KeyState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this node has applied what its reader last saw of the log.
    pub fn caught_up(&self) -> bool {
        let applied = *self.applied.borrow();
        self.store.log_end_hint().is_none_or(|end| applied >= end)
    }

    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// One write: under the single-writer lock, on a state that has applied the whole log
    /// as it is now (Confluent's `syncStore()` before every DEK registry write: a leader
    /// just elected plans on what the previous one wrote, and after a failed append on
    /// wherever that record ended up), `plan` decides the records (none: nothing to write)
    /// and the answer; the answer is given only once the records are in the log and
    /// applied.
    pub async fn write<T>(
        &self,
        plan: impl FnOnce(&KeyState) -> Result<(Vec<RawRecord>, T)>,
    ) -> Result<T> {
        let _guard = self.writer.lock().await;
        self.sync().await?;
        let (records, answer) = {
            let st = self.read();
            plan(&st)?
        };
        if records.is_empty() {
            return Ok(answer);
        }
        let offsets = self.store.append(records, None).await?;
        let last = offsets.iter().copied().max().unwrap_or(-1);
        self.wait_applied(last).await?;
        Ok(answer)
    }

    /// Waits until this node has applied the log up to its end as it is now (a follower,
    /// after the leader answered a write it forwarded, so that its next read sees it).
    pub async fn sync(&self) -> Result<()> {
        Ok(crate::store::sync(self.store.as_ref(), &self.applied, KEY_LOG).await?)
    }

    async fn wait_applied(&self, offset: i64) -> Result<()> {
        let (store, applied) = (self.store.as_ref(), &self.applied);
        Ok(crate::store::wait_applied(store, applied, offset, KEY_LOG).await?)
    }
}
