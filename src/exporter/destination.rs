//! The destination registry of an exporter, through its REST API.

use super::*;

/// The destination registry, through its REST API.
pub(super) struct Destination<'a> {
    client: &'a reqwest::Client,
    base: String,
    auth: Option<(String, String)>,
}

const CT: &str = "application/vnd.schemaregistry.v1+json";

impl<'a> Destination<'a> {
    pub(super) fn new(
        client: &'a reqwest::Client,
        config: &BTreeMap<String, String>,
    ) -> Destination<'a> {
        let base = config
            .get("schema.registry.url")
            .and_then(|u| u.split(',').next())
            .unwrap_or("")
            .trim()
            .trim_end_matches('/')
            .to_string();
        let source = config
            .get("basic.auth.credentials.source")
            .map(|s| s.to_ascii_uppercase());
        let auth = match (source.as_deref(), config.get("basic.auth.user.info")) {
            (Some("USER_INFO") | None, Some(info)) => info
                .split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string())),
            _ => None,
        };
        Destination { client, base, auth }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> std::result::Result<(u16, serde_json::Value), String> {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .client
            .request(method.clone(), &url)
            .header("accept", CT);
        if let Some((u, p)) = &self.auth {
            req = req.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            req = req.header("content-type", CT).body(b.to_string());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let v = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Ok((status, v))
    }

    pub(super) async fn set_import_mode(&self, subject: &str) -> std::result::Result<(), String> {
        let path = format!("/mode/{}?force=true", path_segment(subject));
        match self
            .call(
                reqwest::Method::PUT,
                &path,
                Some(serde_json::json!({"mode": "IMPORT"})),
            )
            .await?
        {
            (200, _) => Ok(()),
            (s, v) => Err(format!(
                "cannot put destination subject {subject} in IMPORT mode: HTTP {s} {v}"
            )),
        }
    }

    pub(super) async fn register(
        &self,
        subject: &str,
        v: &PendingVersion,
        refs: &[Reference],
    ) -> std::result::Result<(), String> {
        let mut body = serde_json::json!({
            "schema": v.body.schema,
            "id": v.id,
            "version": v.version,
        });
        if v.body.schema_type != crate::model::SchemaType::Avro {
            body["schemaType"] = serde_json::json!(v.body.schema_type.as_str());
        }
        if !refs.is_empty() {
            body["references"] = serde_json::json!(refs);
        }
        if let Some(md) = &v.body.metadata {
            body["metadata"] = md.clone();
        }
        if let Some(rs) = &v.body.rule_set {
            body["ruleSet"] = rs.clone();
        }
        let path = format!("/subjects/{}/versions", path_segment(subject));
        match self.call(reqwest::Method::POST, &path, Some(body)).await? {
            (200, r) if r["id"] == serde_json::json!(v.id) => Ok(()),
            (s, r) => Err(format!(
                "destination refused {subject} version {} (id {}): HTTP {s} {r}",
                v.version, v.id
            )),
        }
    }

    pub(super) async fn soft_delete(
        &self,
        subject: &str,
        version: i32,
    ) -> std::result::Result<(), String> {
        let path = format!("/subjects/{}/versions/{version}", path_segment(subject));
        match self.call(reqwest::Method::DELETE, &path, None).await? {
            (200, _) => Ok(()),
            // Already soft-deleted there.
            (404, r) if r["error_code"] == 40406 => Ok(()),
            (s, r) => Err(format!(
                "cannot delete {subject} version {version} at the destination: HTTP {s} {r}"
            )),
        }
    }

    pub(super) async fn put_config(
        &self,
        subject: &str,
        body: &serde_json::Value,
    ) -> std::result::Result<(), String> {
        let path = format!("/config/{}", path_segment(subject));
        match self
            .call(reqwest::Method::PUT, &path, Some(body.clone()))
            .await?
        {
            (200, _) => Ok(()),
            (s, r) => Err(format!(
                "cannot set the config of {subject} at the destination: HTTP {s} {r}"
            )),
        }
    }
}
