//! `POST /compatibility/subjects/{subject}/versions[/{version}]`: the version first, then
//! the schema, then the check against the chosen versions (7.9 and 8.3.1
//! `CompatibilityResource`).

use super::register::check_against;
use super::{CompatResult, Registry, SchemaRequest, VersionSpec};
use crate::compat;
use crate::error::{RegistryError, Result};
use crate::index::VersionEntry;
use crate::model::Subject;

impl Registry {
    /// `POST /compatibility/subjects/{subject}/versions[/{version}]`.
    pub fn check_compatibility(
        &self,
        subject: &Subject,
        spec: Option<VersionSpec>,
        req: &SchemaRequest,
        normalize: bool,
        verbose: bool,
    ) -> Result<CompatResult> {
        let q = subject.qualified();
        // The version first, then the schema (7.9 and 8.3.1 `CompatibilityResource`): a
        // number that is not a live version is 40402; `latest` of a subject without live
        // versions checks against nothing, which is compatible.
        let (level, cfg, previous) = {
            let ix = self.read();
            let level = self.level_for(&ix, subject);
            let live: Vec<(i32, &VersionEntry)> = ix
                .versions(&q)
                .map(|vs| {
                    vs.iter()
                        .filter(|(_, e)| !e.deleted)
                        .map(|(v, e)| (*v, e))
                        .collect()
                })
                .unwrap_or_default();
            let chosen: Vec<(i32, &VersionEntry)> = match spec {
                None => live,
                Some(VersionSpec::Latest) => live.last().copied().into_iter().collect(),
                Some(VersionSpec::Number(n)) => match live.iter().find(|(v, _)| *v == n) {
                    Some(x) => vec![*x],
                    None => return Err(RegistryError::VersionNotFound(n.to_string())),
                },
            };
            let previous = Self::previous_versions(&ix, subject, chosen);
            let cfg = self.effective_config(&ix, Some(subject));
            (level, cfg, previous)
        };
        let mut input = self.parse_input(&self.read(), subject, req);
        input.is_new = true;
        let body = match Self::prepare(subject, req, &input, normalize) {
            Ok(b) => b,
            Err(e @ RegistryError::InvalidSchema(_)) if verbose => {
                return Ok(CompatResult {
                    compatible: false,
                    messages: vec![e.to_string()],
                })
            }
            Err(e) => return Err(e),
        };
        let new_refs = input.refs.unwrap_or_default();
        let group = cfg.compatibility_group.as_deref();
        // A single named version is checked as if non-transitive against it alone.
        let lenient = cfg.compatibility_policy.as_deref() == Some("LENIENT");
        let mut messages = check_against(&body, new_refs, group, level, lenient, &previous);
        let compatible = messages.is_empty();
        if !compatible {
            let validate = cfg.validate_fields.unwrap_or(false);
            messages.push(compat::trailer(validate, level));
        }
        Ok(CompatResult {
            compatible,
            messages,
        })
    }
}
