//! Leadership of a shared log (ARCHITECTURE.md, "Several nodes on one topic"): the leader
//! renews its lease every third of it; a follower claims the next epoch when the lease ran
//! out, or earlier when a renewal is late *and* the leader's advertised URL refuses TCP
//! connections (its process is gone: `kill -9`, a crash). Time and the probe decide only
//! *when* to claim; log order decides *who* leads, and fencing by epoch keeps a claim that
//! turns out to be needless (a leader that was only slow) from ever making two writers.

use super::{NodeConfig, Registry, Role};
use crate::error::Result;
use crate::index::{Index, Leadership};
use crate::store::record::{self, ContextValue, DeleteSubjectValue, Key, ModeValue, Record, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How often a node looks at the leadership its index holds (a follower: is the lease still
/// being renewed?). Cheap: a read lock and a clone.
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// How long a connection attempt to a silent leader may take; no answer within it is "not
/// known" (a paused or unreachable host), which leaves the decision to the lease.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// How often the leader looks for keys to repair, and how many it rewrites in one append.
const REPAIR_EVERY: Duration = Duration::from_millis(200);
const REPAIR_BATCH: usize = 200;

/// What the election loop remembers.
struct Election {
    /// The leadership last seen (epoch, node, offset of its newest claim or renewal) and
    /// since when, on this node's clock.
    seen: Option<Leadership>,
    seen_at: Instant,
    /// When this node last wrote a LEADERSHIP record (a claim or a renewal): the next one
    /// waits a third of the lease, so a claim not yet applied is not repeated every check.
    wrote_at: Option<Instant>,
    /// When this node last probed a silent leader.
    probed_at: Option<Instant>,
}

/// What a TCP connection attempt to the leader's advertised URL says.
#[derive(Debug, PartialEq, Eq)]
enum Probe {
    /// Connection refused: nothing listens there (the leader's process is gone).
    Refused,
    /// Accepted (alive, or paused: the kernel accepts for a stopped process), timed out, or
    /// any other error: not a reason to claim before the lease ends.
    NotRefused,
}

/// Tries a TCP connection to the host and port of `url` (nothing is sent).
async fn probe(url: &str) -> Probe {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Probe::NotRefused;
    };
    let Some(port) = parsed.port_or_known_default() else {
        return Probe::NotRefused;
    };
    let host = match parsed.host_str() {
        // An IPv6 literal comes bracketed.
        Some(h) => h.trim_start_matches('[').trim_end_matches(']').to_string(),
        None => return Probe::NotRefused,
    };
    let attempt = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Probe::Refused,
        _ => Probe::NotRefused,
    }
}

impl NodeConfig {
    /// The leader renews every third of the lease.
    fn renew_every(&self) -> Duration {
        self.lease / 3
    }

    /// A renewal this much overdue (no renewal seen for `renew_every + late_after`) makes a
    /// follower probe the leader's URL; probes repeat at this pace while it stays silent.
    fn late_after(&self) -> Duration {
        (self.renew_every() / 4).max(CHECK_EVERY)
    }
}

impl Registry {
    /// Keeps the leadership of a shared log: the leader renews its lease every third of it;
    /// an eligible node claims the next epoch when the lease was not renewed for a whole
    /// lease period (as seen on its own clock), or as soon as a renewal is late and the
    /// leader's URL refuses connections. The leader also repairs keys a deposed leader
    /// wrote. Runs until the process ends.
    pub async fn keep_leadership(self: Arc<Self>) {
        let Some(node) = self.node.clone() else {
            return;
        };
        let mut election = Election {
            seen: None,
            seen_at: Instant::now(),
            wrote_at: None,
            probed_at: None,
        };
        // First round before serving: a node that leads (or finds no leader) claims at once
        // and has applied its claim before the first request.
        self.elect_round(&node, &mut election).await;
        let _ = self
            .wait_applied(self.last_own.load(Ordering::Acquire))
            .await;
        let me = self.clone();
        let every = CHECK_EVERY.min(node.renew_every());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                me.elect_round(&node, &mut election).await;
            }
        });
        // Repairs run beside the election loop, never in it: rewriting many keys can take
        // longer than a lease, and a leader that stopped renewing meanwhile would be deposed
        // and see its repair refused, for the next leader to start over (a storm the fault
        // campaign found).
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REPAIR_EVERY).await;
                if matches!(me.role(), Role::Leader(Some(_))) {
                    if let Err(e) = me.repair().await {
                        tracing::warn!(error = %e, "cannot repair keys written by a deposed leader");
                    }
                }
            }
        });
    }

    /// The epoch this node should write a LEADERSHIP record for now, if any: its own epoch
    /// when a renewal is due, the next one when the leader is gone, 1 on a fresh log.
    async fn due_claim(&self, node: &NodeConfig, st: &mut Election) -> Option<i64> {
        let now = Instant::now();
        if st
            .wrote_at
            .is_some_and(|t| now.duration_since(t) < node.renew_every())
        {
            return None;
        }
        let current = st.seen.clone();
        match &current {
            Some(l) if l.node == node.url => Some(l.epoch),
            Some(l) if node.eligible => {
                let silent = now.duration_since(st.seen_at);
                if silent >= node.lease {
                    tracing::info!(
                        leader = %l.node,
                        silent_ms = silent.as_millis() as u64,
                        "the leader's lease ran out"
                    );
                    return Some(l.epoch.saturating_add(1));
                }
                let late = silent >= node.renew_every() + node.late_after();
                let probe_due = st
                    .probed_at
                    .is_none_or(|t| now.duration_since(t) >= node.late_after());
                if late && probe_due {
                    st.probed_at = Some(now);
                    if probe(&l.node).await == Probe::Refused {
                        tracing::info!(
                            leader = %l.node,
                            silent_ms = silent.as_millis() as u64,
                            "the silent leader's URL refuses connections: claiming before its lease ends"
                        );
                        return Some(l.epoch.saturating_add(1));
                    }
                }
                None
            }
            None if node.eligible => Some(1),
            _ => None,
        }
    }

    async fn elect_round(&self, node: &NodeConfig, st: &mut Election) {
        let current = self.read().leadership.clone();
        if current != st.seen {
            st.seen = current.clone();
            st.seen_at = Instant::now();
        }
        if let Some(epoch) = self.due_claim(node, st).await {
            let renewing = current.as_ref().is_some_and(|l| l.epoch == epoch);
            let rec = record::encode(&Record {
                key: Key::Leadership,
                value: Some(Value::Leadership(record::LeadershipValue {
                    epoch,
                    node: node.url.clone(),
                })),
            });
            // Paced from the attempt: a failing broker is not asked more often.
            st.wrote_at = Some(Instant::now());
            match self.store.append(vec![rec], None).await {
                Ok(offsets) => {
                    if !renewing {
                        // A new leader writes only once it has applied everything before
                        // its claim (lock_for_write waits for last_own).
                        let at = offsets.last().copied().unwrap_or(-1);
                        self.last_own.fetch_max(at, Ordering::AcqRel);
                        tracing::info!(epoch, offset = at, "claimed the leadership");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot write the leadership record"),
            }
        }
    }

    /// Rewrites, under the current epoch, every key whose newest record was refused, with
    /// the value this node holds for it (or a tombstone).
    async fn repair(&self) -> Result<()> {
        if self.read().to_repair.is_empty() {
            return Ok(());
        }
        let _w = self.lock_for_write().await?;
        let records: Vec<crate::store::RawRecord> = {
            let ix = self.read();
            ix.to_repair
                .iter()
                .take(REPAIR_BATCH)
                .filter_map(|raw_key| {
                    let key = record::decode_key(raw_key).ok()?;
                    let value = Self::current_value(&ix, &key);
                    Some(crate::store::RawRecord {
                        key: raw_key.clone(),
                        value: value.as_ref().map(record::encode_value),
                    })
                })
                .collect()
        };
        if records.is_empty() {
            return Ok(());
        }
        tracing::info!(
            keys = records.len(),
            "repairing keys written by a deposed leader"
        );
        self.append_and_wait(records).await
    }

    /// The value the index holds for `key` (what a valid record of it must say).
    fn current_value(ix: &Index, key: &Key) -> Option<Value> {
        match key {
            Key::Schema { subject, version } => ix
                .versions(subject)
                .and_then(|vs| vs.get(version))
                .map(|e| Value::Schema(Self::schema_value(subject, *version, e, e.deleted))),
            Key::Config { subject } => ix.configs.get(subject).cloned().map(Value::Config),
            Key::Mode { subject } => ix.modes.get(subject).map(|m| {
                Value::Mode(ModeValue {
                    subject: subject.clone(),
                    mode: m.as_str().to_string(),
                })
            }),
            Key::DeleteSubject { subject } => ix
                .versions(subject)
                .and_then(|vs| vs.iter().filter(|(_, e)| e.deleted).map(|(v, _)| *v).max())
                .map(|version| {
                    Value::DeleteSubject(DeleteSubjectValue {
                        subject: Some(subject.clone()),
                        version,
                    })
                }),
            Key::Context { tenant, context } => ix.context_listed(context).then(|| {
                Value::Context(ContextValue {
                    tenant: Some(tenant.clone()),
                    context: Some(context.clone()),
                })
            }),
            Key::Exporter { name } => ix.exporters.get(name).cloned().map(Value::Exporter),
            Key::Association(k) => ix
                .associations
                .get(k)
                .map(|e| Value::Association(e.value.clone())),
            Key::ExporterState { name } => ix
                .exporter_states
                .get(name)
                .cloned()
                .map(Value::ExporterState),
            Key::ClearSubject { .. } | Key::Noop | Key::Leadership | Key::Unknown(_) => None,
        }
    }
}
