//! Config and mode: put, get and delete, the effective config and level of a subject
//! (subject, then context, then global), the mode in force, and the writability check.

use super::{encode, ConfigUpdate, Registry};
use crate::error::{RegistryError, Result};
use crate::index::{Index, Scope};
use crate::model::{Level, Mode, Subject, GLOBAL_SCOPE};
use crate::store::record::{ConfigValue, Key, ModeValue, Value};

impl Registry {
    pub(super) fn check_mode_mutable(&self) -> Result<()> {
        if !self.mode_mutable {
            return Err(RegistryError::OperationNotPermitted(
                "Mode changes are not allowed".into(),
            ));
        }
        Ok(())
    }

    /// The config records a subject's config is read from, nearest first: the subject, its
    /// context (`:.ctx:`, or the `null` key for the default context), then Confluent 8.1's
    /// true global. Without a subject: the `null` key, then the true global.
    fn chain(subject: Option<&Subject>) -> Vec<Scope> {
        let global = Some(GLOBAL_SCOPE.to_string());
        match subject {
            Some(s) if s.is_default_context() => vec![Some(s.qualified()), None, global],
            Some(s) => vec![Some(s.qualified()), Some(s.context_scope()), global],
            None => vec![None, global],
        }
    }

    /// The config in force: the **first stored record** of the chain, whole (fields are not
    /// merged across scopes), with a missing level taken from the server default, not from
    /// the next scope (7.9 and 8.3.1 `InMemoryCache.config` and `populateCompatibilityLevel`).
    /// No record anywhere: the server default level alone.
    pub(super) fn effective_config(&self, ix: &Index, subject: Option<&Subject>) -> ConfigValue {
        let mut out = Self::chain(subject)
            .iter()
            .find_map(|sc| ix.configs.get(sc))
            .cloned()
            .unwrap_or_default();
        self.fill_level(&mut out);
        out
    }

    /// A record without a level answers with the server default's (the writer stores only
    /// the fields given: `ConfigValue.update`).
    fn fill_level(&self, cfg: &mut ConfigValue) {
        if cfg.compatibility_level.is_none() {
            cfg.compatibility_level = Some(self.default_level.as_str().to_string());
        }
    }

    pub(super) fn level_for(&self, ix: &Index, subject: &Subject) -> Level {
        self.effective_config(ix, Some(subject))
            .compatibility_level
            .as_deref()
            .and_then(Level::parse)
            .unwrap_or(self.default_level)
    }

    /// Mode in force for a subject: a global READONLY_OVERRIDE wins everywhere (7.9's rule,
    /// kept); then the subject's own mode; then its context's (the `null` key is the default
    /// context's); then the true global `:.__GLOBAL:` (8.1, `InMemoryCache.mode`).
    pub(super) fn mode_for(ix: &Index, subject: &Subject) -> Mode {
        let global = ix.modes.get(&None).copied();
        if global == Some(Mode::ReadOnlyOverride) {
            return Mode::ReadOnlyOverride;
        }
        if let Some(m) = ix.modes.get(&Some(subject.qualified())) {
            return *m;
        }
        let context_mode = if subject.is_default_context() {
            global
        } else {
            ix.modes.get(&Some(subject.context_scope())).copied()
        };
        context_mode
            .or_else(|| ix.modes.get(&Some(GLOBAL_SCOPE.to_string())).copied())
            .unwrap_or(Mode::ReadWrite)
    }

    /// The mode in force for a subject (Confluent's `getModeInScope`): its own, else its
    /// context's, else the global one.
    pub fn mode_in_scope(&self, subject: &Subject) -> Mode {
        Self::mode_for(&self.read(), subject)
    }

    pub(super) fn check_writable(ix: &Index, subject: &Subject) -> Result<Mode> {
        let mode = Self::mode_for(ix, subject);
        if mode.is_read_only() {
            return Err(RegistryError::OperationNotPermitted(format!(
                "Subject {} is in read-only mode",
                subject.qualified()
            )));
        }
        Ok(mode)
    }

    /// The top-level config is refused under a read-only global mode too (7.9 and 8.3.1
    /// `updateConfig`/`deleteConfig` ask `isReadOnlyMode(null)`), in 7.9's words.
    fn check_top_level_writable(ix: &Index) -> Result<()> {
        if Self::mode_for(ix, &Subject::parse("")).is_read_only() {
            return Err(RegistryError::OperationNotPermitted(
                "Subject null is in read-only mode".into(),
            ));
        }
        Ok(())
    }

    /// `PUT /config[/{subject}]`. Returns nothing: the handler echoes the request.
    pub async fn put_config(
        &self,
        scope: Scope,
        subject: Option<&Subject>,
        update: ConfigUpdate,
    ) -> Result<()> {
        let _w = self.lock_for_write().await?;
        let records = {
            let ix = self.read();
            match subject {
                Some(s) => {
                    Self::check_writable(&ix, s)?;
                }
                None if scope.is_none() => Self::check_top_level_writable(&ix)?,
                None => {}
            }
            let mut merged = ix.configs.get(&scope).cloned().unwrap_or_default();
            let u = update.value;
            if let Some(level) = update.compatibility {
                merged.compatibility_level = Some(level);
            }
            macro_rules! take {
                ($f:ident) => {
                    if u.$f.is_some() {
                        merged.$f = u.$f;
                    }
                };
            }
            take!(alias);
            take!(alias_for_deks);
            take!(normalize);
            take!(validate_fields);
            take!(validate_new_schemas);
            take!(validate_rules);
            take!(compatibility_policy);
            take!(compatibility_group);
            take!(default_metadata);
            take!(override_metadata);
            take!(default_rule_set);
            take!(override_rule_set);
            for field in &update.cleared {
                match *field {
                    "alias" => merged.alias = None,
                    "aliasForDeks" => merged.alias_for_deks = None,
                    "normalize" => merged.normalize = None,
                    "validateFields" => merged.validate_fields = None,
                    "validateNewSchemas" => merged.validate_new_schemas = None,
                    "validateRules" => merged.validate_rules = None,
                    "compatibilityPolicy" => merged.compatibility_policy = None,
                    "compatibilityGroup" => merged.compatibility_group = None,
                    "defaultMetadata" => merged.default_metadata = None,
                    "overrideMetadata" => merged.override_metadata = None,
                    "defaultRuleSet" => merged.default_rule_set = None,
                    "overrideRuleSet" => merged.override_rule_set = None,
                    _ => {}
                }
            }
            merged.subject = scope.clone();
            encode(
                &ix,
                Key::Config {
                    subject: scope.clone(),
                },
                Some(Value::Config(merged)),
            )
        };
        self.append_and_wait(records).await
    }

    /// `DELETE /config[/{subject}]`: returns the config that was removed.
    pub async fn delete_config(
        &self,
        scope: Scope,
        subject: Option<&Subject>,
    ) -> Result<ConfigValue> {
        let _w = self.lock_for_write().await?;
        let (previous, records) = {
            let ix = self.read();
            let prev = match (ix.configs.get(&scope), &scope) {
                (Some(c), _) => c.clone(),
                (None, None) => ConfigValue::default(),
                // The true global scope always has a config (the server default): 8.3.1
                // `InMemoryCache.config` never answers null for it.
                (None, Some(s)) if s == GLOBAL_SCOPE => ConfigValue {
                    compatibility_level: Some(self.default_level.as_str().to_string()),
                    ..ConfigValue::default()
                },
                (None, Some(s)) => return Err(RegistryError::SubjectNotFound(s.clone())),
            };
            match subject {
                Some(s) => {
                    Self::check_writable(&ix, s)?;
                }
                None if scope.is_none() => Self::check_top_level_writable(&ix)?,
                None => {}
            }
            let mut prev = prev;
            self.fill_level(&mut prev);
            (prev, encode(&ix, Key::Config { subject: scope }, None))
        };
        self.append_and_wait(records).await?;
        Ok(previous)
    }

    /// `PUT /mode[/{subject}]`; `None` (8.x `{"mode": null}`) removes the scope's mode
    /// with a tombstone, whether or not one was set (8.3.1 `KafkaSchemaRegistry.setMode`).
    pub async fn put_mode(&self, scope: Scope, mode: Option<Mode>, force: bool) -> Result<()> {
        self.check_mode_mutable()?;
        let _w = self.lock_for_write().await?;
        let mut records = Vec::new();
        {
            let ix = self.read();
            // As Confluent: the empty-scope check only applies when entering IMPORT mode.
            let current = match &scope {
                None => ix.modes.get(&None).copied().unwrap_or(Mode::ReadWrite),
                Some(sc) => Self::mode_for(&ix, &Subject::parse(sc)),
            };
            if mode == Some(Mode::Import) && !force && current != Mode::Import {
                let in_scope = |s: &str| match &scope {
                    None => true,
                    Some(sc) if sc.starts_with(":.") && sc.ends_with(':') => {
                        Subject::parse(s).context_scope() == *sc
                    }
                    Some(sc) => s == sc,
                };
                let has_live = ix
                    .subjects
                    .iter()
                    .any(|(s, vs)| in_scope(s) && vs.values().any(|e| !e.deleted));
                if has_live {
                    return Err(RegistryError::OperationNotPermitted(
                        "Cannot import since found existing subjects".into(),
                    ));
                }
                // Soft-deleted versions in the scope are removed so imported IDs cannot clash.
                for (s, vs) in ix.subjects.iter().filter(|(s, _)| in_scope(s)) {
                    for v in vs.keys() {
                        records.extend(encode(
                            &ix,
                            Key::Schema {
                                subject: s.clone(),
                                version: *v,
                            },
                            None,
                        ));
                    }
                }
            }
            records.extend(encode(
                &ix,
                Key::Mode {
                    subject: scope.clone(),
                },
                mode.map(|mode| {
                    Value::Mode(ModeValue {
                        subject: scope,
                        mode: mode.as_str().to_string(),
                    })
                }),
            ));
        }
        self.append_and_wait(records).await
    }

    /// `DELETE /mode[/{subject}][?recursive=true]` (8.2, `ModeResource.deleteSubjectMode`,
    /// `KafkaSchemaRegistry.deleteSubjectMode`): returns the mode that was stored, or, for
    /// the `null` key and the true global, READWRITE when none was. A scope with no mode is
    /// 40401 unless `recursive`. The scope's tombstone is written even when nothing was
    /// stored; with `recursive` on a context (the `null` key is the default one), each mode
    /// of a subject in that context gets its tombstone too (configs are not touched).
    pub async fn delete_mode(&self, scope: Scope, recursive: bool) -> Result<Option<Mode>> {
        // A scope without a mode is 40401 before the mutability check (8.3.1
        // `ModeResource.deleteSubjectMode`; the check is inside `deleteSubjectMode`).
        {
            let ix = self.read();
            let is_global = scope.as_deref() == Some(GLOBAL_SCOPE);
            if let Some(s) = &scope {
                let overridden = ix.modes.get(&None) == Some(&Mode::ReadOnlyOverride);
                if !ix.modes.contains_key(&scope) && !is_global && !recursive && !overridden {
                    return Err(RegistryError::SubjectNotFound(s.clone()));
                }
            }
        }
        self.check_mode_mutable()?;
        let _w = self.lock_for_write().await?;
        let (previous, records) = {
            let ix = self.read();
            let global = ix.modes.get(&None).copied();
            let is_global = scope.as_deref() == Some(GLOBAL_SCOPE);
            let previous = match (ix.modes.get(&scope), &scope) {
                _ if global == Some(Mode::ReadOnlyOverride) && scope.is_some() && !is_global => {
                    Some(Mode::ReadOnlyOverride)
                }
                (Some(m), _) => Some(*m),
                (None, None) => Some(Mode::ReadWrite),
                (None, Some(_)) if is_global => Some(Mode::ReadWrite),
                (None, Some(_)) if recursive => None,
                (None, Some(s)) => return Err(RegistryError::SubjectNotFound(s.clone())),
            };
            let mut records = encode(
                &ix,
                Key::Mode {
                    subject: scope.clone(),
                },
                None,
            );
            // The context a recursive delete sweeps: the scope's own when it is one.
            let context = match &scope {
                None => Some(crate::model::DEFAULT_CONTEXT.to_string()),
                Some(sc) => {
                    let s = Subject::parse(sc);
                    (sc.starts_with(":.") && s.name.is_empty()).then_some(s.context)
                }
            };
            if let (true, Some(ctx)) = (recursive, context) {
                for sc in ix.modes.keys().flatten() {
                    let s = Subject::parse(sc);
                    if s.context == ctx && !s.name.is_empty() {
                        records.extend(encode(
                            &ix,
                            Key::Mode {
                                subject: Some(sc.clone()),
                            },
                            None,
                        ));
                    }
                }
            }
            (previous, records)
        };
        self.append_and_wait(records).await?;
        Ok(previous)
    }

    /// `GET /config[/{subject}]`: the scope's own config; with `defaultToGlobal`, the one in
    /// force. The `null` key and the true global never miss: they fall back to the server
    /// default (8.3.1 `InMemoryCache.config`); without the flag `GET /config` does not look
    /// at the true global.
    pub fn get_config(
        &self,
        scope: &Scope,
        subject: Option<&Subject>,
        default_to_global: bool,
    ) -> Result<ConfigValue> {
        let ix = self.read();
        let top = scope.is_none() || scope.as_deref() == Some(GLOBAL_SCOPE);
        let mut cfg = if scope.as_deref() == Some(GLOBAL_SCOPE) {
            ix.configs.get(scope).cloned().unwrap_or_default()
        } else if default_to_global {
            self.effective_config(&ix, scope.as_ref().and(subject))
        } else {
            match ix.configs.get(scope) {
                Some(c) => c.clone(),
                None if top => ConfigValue::default(),
                None => {
                    return Err(RegistryError::SubjectConfigNotFound(
                        scope.clone().unwrap_or_default(),
                    ))
                }
            }
        };
        self.fill_level(&mut cfg);
        cfg.subject = None;
        Ok(cfg)
    }

    /// `GET /mode[/{subject}]`: the scope's own mode; with `defaultToGlobal`, the one in
    /// force. The `null` key and the true global never miss (READWRITE).
    pub fn get_mode(
        &self,
        scope: &Scope,
        subject: Option<&Subject>,
        default_to_global: bool,
    ) -> Result<Mode> {
        let ix = self.read();
        if ix.modes.get(&None) == Some(&Mode::ReadOnlyOverride) {
            return Ok(Mode::ReadOnlyOverride);
        }
        if let Some(m) = ix.modes.get(scope) {
            return Ok(*m);
        }
        let global = || {
            ix.modes
                .get(&Some(GLOBAL_SCOPE.to_string()))
                .copied()
                .unwrap_or(Mode::ReadWrite)
        };
        match (scope, subject) {
            (None, _) if default_to_global => Ok(global()),
            (None, _) => Ok(Mode::ReadWrite),
            (Some(sc), _) if sc == GLOBAL_SCOPE => Ok(Mode::ReadWrite),
            (Some(_), Some(s)) if default_to_global => Ok(Self::mode_for(&ix, s)),
            (Some(_), _) if default_to_global => {
                Ok(ix.modes.get(&None).copied().unwrap_or_else(global))
            }
            (Some(sc), _) => Err(RegistryError::SubjectModeNotFound(sc.clone())),
        }
    }
}
