//! The destination registry of an exporter, through its REST API ([`crate::client`]).

use super::*;
use crate::client::{Client, Credentials, Endpoint, Http, ImportVersion, Reply, TransportError};

/// The destination registry, through its REST API.
pub(super) struct Destination {
    client: Client,
}

type Outcome = std::result::Result<Reply, String>;

/// A transport failure as the exporter's trace shows it: `{METHOD} {url}: {error}`.
fn answered(r: std::result::Result<Reply, TransportError>) -> Outcome {
    r.map_err(|e| e.to_string())
}

impl Destination {
    /// The first URL of `schema.registry.url`, with `basic.auth.user.info` when
    /// `basic.auth.credentials.source` is USER_INFO or unset (else the URL's credentials).
    pub(super) fn new(
        http: &Http,
        config: &BTreeMap<String, String>,
    ) -> std::result::Result<Destination, String> {
        let url = config
            .get("schema.registry.url")
            .and_then(|u| u.split(',').next())
            .unwrap_or("")
            .trim();
        let source = config
            .get("basic.auth.credentials.source")
            .map(|s| s.to_ascii_uppercase());
        let auth = match (source.as_deref(), config.get("basic.auth.user.info")) {
            (Some("USER_INFO") | None, Some(info)) => Credentials::from_user_info(info),
            _ => None,
        };
        // The URL itself is not shown: it may hold credentials.
        let endpoint = Endpoint::parse(url, auth)
            .map_err(|e| format!("invalid destination schema.registry.url: {e}"))?;
        Ok(Destination {
            client: Client::new(http.clone(), endpoint),
        })
    }

    pub(super) async fn set_import_mode(&self, subject: &str) -> std::result::Result<(), String> {
        match answered(
            self.client
                .set_mode(Some(subject), crate::client::IMPORT)
                .await,
        )? {
            r if r.status == 200 => Ok(()),
            r => Err(format!(
                "cannot put destination subject {subject} in IMPORT mode: HTTP {} {}",
                r.status, r.body
            )),
        }
    }

    pub(super) async fn register(
        &self,
        subject: &str,
        v: &PendingVersion,
        refs: &[Reference],
    ) -> std::result::Result<(), String> {
        let version = ImportVersion {
            schema: &v.body.schema,
            schema_type: v.body.schema_type.as_str(),
            references: refs,
            metadata: v.body.metadata.as_ref(),
            rule_set: v.body.rule_set.as_ref(),
            id: v.id,
            version: v.version,
        };
        match answered(self.client.register_with_id(subject, &version).await)? {
            r if r.status == 200 && r.body["id"] == serde_json::json!(v.id) => Ok(()),
            r => Err(format!(
                "destination refused {subject} version {} (id {}): HTTP {} {}",
                v.version, v.id, r.status, r.body
            )),
        }
    }

    pub(super) async fn soft_delete(
        &self,
        subject: &str,
        version: i32,
    ) -> std::result::Result<(), String> {
        match answered(self.client.soft_delete(subject, version).await)? {
            r if r.status == 200 => Ok(()),
            // Already soft-deleted there.
            r if r.status == 404 && r.body["error_code"] == 40406 => Ok(()),
            r => Err(format!(
                "cannot delete {subject} version {version} at the destination: HTTP {} {}",
                r.status, r.body
            )),
        }
    }

    pub(super) async fn put_config(
        &self,
        subject: &str,
        body: &serde_json::Value,
    ) -> std::result::Result<(), String> {
        match answered(self.client.set_config(Some(subject), body).await)? {
            r if r.status == 200 => Ok(()),
            r => Err(format!(
                "cannot set the config of {subject} at the destination: HTTP {} {}",
                r.status, r.body
            )),
        }
    }
}
