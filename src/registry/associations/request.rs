//! What an association write asks for, and the checks Confluent makes on the request alone
//! before looking at the registry (8.3.1 `AssociationCreateOrUpdateRequest.validate`,
//! `AssociationCreateOrUpdateInfo.{validate,applyDefaults}`, `AssociationOpRequest.validate`,
//! `AssociationCreateOp`, `AssociationDeleteOp`, `AssociationGetRequest.validate`,
//! `RestValidation.{checkName,checkSubject}`).

use super::super::SchemaRequest;
use crate::error::RegistryError;
use serde_json::Value as Json;

/// `STRONG`: the resource owns the subject; `WEAK`: a pointer to a subject owned elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Strong,
    Weak,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Strong => "STRONG",
            Lifecycle::Weak => "WEAK",
        }
    }

    pub fn parse(raw: &str) -> Option<Lifecycle> {
        match raw {
            "STRONG" => Some(Lifecycle::Strong),
            "WEAK" => Some(Lifecycle::Weak),
            _ => None,
        }
    }

    /// As a record holds it: anything but `STRONG` reads as WEAK (`toAssociationEntity`).
    pub fn from_stored(raw: Option<&str>) -> Lifecycle {
        if raw == Some("STRONG") {
            Lifecycle::Strong
        } else {
            Lifecycle::Weak
        }
    }
}

/// One association in a create or update (`AssociationCreateOrUpdateInfo`).
#[derive(Debug, Clone, Default)]
pub struct InfoRequest {
    pub subject: Option<String>,
    pub association_type: Option<String>,
    pub lifecycle: Option<Lifecycle>,
    pub frozen: Option<bool>,
    pub schema: Option<SchemaRequest>,
    pub normalize: Option<bool>,
}

/// `POST /associations`, `PUT /associations/resources/{id}` (`AssociationCreateOrUpdateRequest`).
#[derive(Debug, Clone, Default)]
pub struct AssociationWrite {
    pub resource_name: Option<String>,
    pub resource_namespace: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub associations: Option<Vec<InfoRequest>>,
}

/// One operation of a batch mutation (`AssociationOp`, by its `opType`).
#[derive(Debug, Clone)]
pub enum BatchOp {
    Create(InfoRequest),
    Upsert(InfoRequest),
    Delete {
        association_type: Option<String>,
        cascade_lifecycle: Option<bool>,
    },
}

/// One resource's operations in `POST /associations:batchMutate` (`AssociationOpRequest`).
/// An `error` sent with it is answered back as that item's error.
#[derive(Debug, Clone, Default)]
pub struct BatchMutateRequest {
    pub resource_name: Option<String>,
    pub resource_namespace: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub ops: Option<Vec<BatchOp>>,
    pub error: Option<Json>,
}

/// One query of `POST /associations:batchGet` (`AssociationGetRequest`).
#[derive(Debug, Clone, Default)]
pub struct BatchGetQuery {
    pub resource_name: Option<String>,
    pub resource_namespace: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub association_types: Option<Vec<String>>,
    pub lifecycle: Option<Lifecycle>,
}

pub(super) const TOPIC: &str = "topic";
const KEY: &str = "key";
const VALUE: &str = "value";
/// `RestValidation.NAME_MAX_LENGTH`.
const NAME_MAX_LENGTH: usize = 256;

/// 42212: "The association specified an invalid value for property: '…', detail: …"
/// (`RestInvalidAssociationException`).
pub fn invalid(property: &str, detail: impl std::fmt::Display) -> RegistryError {
    RegistryError::Association(
        42212,
        format!("The association specified an invalid value for property: '{property}', detail: {detail}"),
    )
}

/// A property failure before it becomes a message: batch items word it differently.
#[derive(Debug, Clone)]
pub struct IllegalProperty {
    pub property: &'static str,
    pub detail: String,
}

impl IllegalProperty {
    fn new(property: &'static str, detail: impl Into<String>) -> IllegalProperty {
        IllegalProperty {
            property,
            detail: detail.into(),
        }
    }
}

impl From<IllegalProperty> for RegistryError {
    fn from(p: IllegalProperty) -> RegistryError {
        invalid(p.property, p.detail)
    }
}

type Checked = Result<(), IllegalProperty>;

/// A resource name or namespace: non-empty, at most 256 UTF-16 units, letters, digits,
/// `_` and `-` only.
fn check_name(name: Option<&str>, property: &'static str) -> Checked {
    let name = name.unwrap_or_default();
    if name.is_empty() {
        return Err(IllegalProperty::new(property, "cannot be null or empty"));
    }
    if name.encode_utf16().count() > NAME_MAX_LENGTH {
        return Err(IllegalProperty::new(
            property,
            format!("exceeds max length of {NAME_MAX_LENGTH}"),
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
    {
        Some(c) => Err(IllegalProperty::new(
            property,
            format!("illegal character '{c}'"),
        )),
        None => Ok(()),
    }
}

/// A subject: non-empty, no ISO control character (Guava's `javaIsoControl`).
fn check_subject(subject: &str) -> Checked {
    if subject.is_empty()
        || subject
            .chars()
            .any(|c| c <= '\u{1f}' || ('\u{7f}'..='\u{9f}').contains(&c))
    {
        return Err(IllegalProperty::new("subject", "must not be empty"));
    }
    Ok(())
}

/// The resource part shared by single writes and batch items; defaults the type to `topic`.
fn check_resource(
    name: Option<&str>,
    namespace: Option<&str>,
    id: Option<&str>,
    resource_type: &mut Option<String>,
    dry_run: bool,
) -> Checked {
    check_name(name, "resourceName")?;
    check_name(namespace, "resourceNamespace")?;
    if !dry_run && id.is_none_or(str::is_empty) {
        return Err(IllegalProperty::new(
            "resourceId",
            "cannot be null or empty",
        ));
    }
    match resource_type.as_deref() {
        Some(t) if !t.is_empty() => {
            if t != TOPIC {
                return Err(IllegalProperty::new(
                    "resourceType",
                    format!("must be '{TOPIC}'"),
                ));
            }
        }
        _ => *resource_type = Some(TOPIC.into()),
    }
    Ok(())
}

/// `key` or `value`; absent or empty is `value`.
fn check_association_type(t: &mut Option<String>) -> Checked {
    match t.as_deref() {
        Some(x) if !x.is_empty() => {
            if x != KEY && x != VALUE {
                return Err(IllegalProperty::new(
                    "associationType",
                    format!("must be either '{KEY}' or '{VALUE}'"),
                ));
            }
        }
        _ => *t = Some(VALUE.into()),
    }
    Ok(())
}

impl InfoRequest {
    pub fn association_type(&self) -> &str {
        self.association_type.as_deref().unwrap_or(VALUE)
    }

    /// Defaults of a create (schema → frozen STRONG) or of an upsert that creates (schema →
    /// STRONG, not frozen); otherwise not frozen, and WEAK.
    pub(super) fn apply_defaults(&mut self, is_create: bool) -> Checked {
        if self.schema.is_some() {
            if self.lifecycle == Some(Lifecycle::Weak) {
                return Err(IllegalProperty::new(
                    "lifecycle",
                    "cannot be WEAK when schema is provided",
                ));
            }
            if self.frozen.is_some_and(|f| f != is_create) {
                return Err(IllegalProperty::new(
                    "frozen",
                    if is_create {
                        "cannot be false when schema is provided for create"
                    } else {
                        "cannot be true when creating via upsert; use create instead"
                    },
                ));
            }
            self.lifecycle = Some(Lifecycle::Strong);
            self.frozen = Some(is_create);
        } else if self.frozen.is_none() {
            self.frozen = Some(false);
        }
        if self.lifecycle.is_none() {
            self.lifecycle = Some(Lifecycle::Weak);
        }
        if self.lifecycle == Some(Lifecycle::Weak) && self.frozen == Some(true) {
            return Err(IllegalProperty::new(
                "frozen",
                "association with lifecycle of WEAK cannot be frozen",
            ));
        }
        Ok(())
    }

    /// The WEAK rules every form checks.
    fn check_weak(&self) -> Checked {
        if self.lifecycle == Some(Lifecycle::Weak) {
            if self.schema.is_some() {
                return Err(IllegalProperty::new(
                    "lifecycle",
                    "cannot be WEAK when schema is provided",
                ));
            }
            if self.frozen == Some(true) {
                return Err(IllegalProperty::new(
                    "frozen",
                    "association with lifecycle of WEAK cannot be frozen",
                ));
            }
        }
        Ok(())
    }

    /// `AssociationCreateOrUpdateInfo.validate` (single requests) or the batch op's
    /// `validate` (defaults before the subject check).
    fn validate(&mut self, is_create: bool, batch: bool) -> Checked {
        if batch && is_create {
            self.apply_defaults(true)?;
        }
        if let Some(s) = &self.subject {
            check_subject(s)?;
        }
        if is_create && !batch {
            self.apply_defaults(true)?;
        }
        check_association_type(&mut self.association_type)?;
        self.check_weak()?;
        if is_create && self.subject.is_none() && self.lifecycle == Some(Lifecycle::Weak) {
            return Err(IllegalProperty::new(
                "subject",
                "must be provided for WEAK associations",
            ));
        }
        Ok(())
    }

    /// A create fills the default subject, and checks it against frozen and WEAK.
    fn check_create_subject(&mut self, namespace: &str, name: &str) -> Checked {
        let default = default_subject(namespace, name, self.association_type());
        let subject = self.subject.get_or_insert_with(|| default.clone());
        if self.frozen == Some(true) && *subject != default {
            return Err(IllegalProperty::new(
                "subject",
                format!("frozen associations must use subject '{default}'"),
            ));
        }
        if self.lifecycle == Some(Lifecycle::Weak) && *subject == default {
            return Err(IllegalProperty::new(
                "subject",
                format!("WEAK associations cannot use subject '{default}'"),
            ));
        }
        Ok(())
    }
}

/// The subject a STRONG association owns by default: `:.{namespace}:{name}-{type}`.
pub fn default_subject(namespace: &str, name: &str, association_type: &str) -> String {
    format!(":.{namespace}:{name}-{association_type}")
}

/// The checks both request forms share: the resource, then a non-empty `associations`
/// list; answers the namespace and name the default subjects are made of.
fn check_request<'a, T>(
    name: &Option<String>,
    namespace: &Option<String>,
    id: &Option<String>,
    resource_type: &mut Option<String>,
    list: &'a mut Option<Vec<T>>,
    dry_run: bool,
) -> Result<(String, String, &'a mut Vec<T>), IllegalProperty> {
    check_resource(
        name.as_deref(),
        namespace.as_deref(),
        id.as_deref(),
        resource_type,
        dry_run,
    )?;
    match list.as_mut() {
        Some(l) if !l.is_empty() => Ok((
            namespace.clone().unwrap_or_default(),
            name.clone().unwrap_or_default(),
            l,
        )),
        _ => Err(IllegalProperty::new(
            "associations",
            "cannot be null or empty",
        )),
    }
}

impl AssociationWrite {
    /// `AssociationCreateOrUpdateRequest.validate(isCreate, dryRun)`.
    pub(super) fn validate(&mut self, is_create: bool, dry_run: bool) -> Checked {
        let (ns, name, infos) = check_request(
            &self.resource_name,
            &self.resource_namespace,
            &self.resource_id,
            &mut self.resource_type,
            &mut self.associations,
            dry_run,
        )?;
        for info in infos.iter_mut() {
            info.validate(is_create, false)?;
            if is_create {
                info.check_create_subject(&ns, &name)?;
            }
        }
        Ok(())
    }
}

impl BatchMutateRequest {
    /// `AssociationOpRequest.validate(dryRun)`.
    pub(super) fn validate(&mut self, dry_run: bool) -> Checked {
        let (ns, name, ops) = check_request(
            &self.resource_name,
            &self.resource_namespace,
            &self.resource_id,
            &mut self.resource_type,
            &mut self.ops,
            dry_run,
        )?;
        for op in ops.iter_mut() {
            match op {
                BatchOp::Create(info) => {
                    info.validate(true, true)?;
                    info.check_create_subject(&ns, &name)?;
                }
                BatchOp::Upsert(info) => info.validate(false, true)?,
                BatchOp::Delete {
                    association_type, ..
                } => check_association_type(association_type)?,
            }
        }
        Ok(())
    }

    /// The single write one create or upsert op makes.
    pub(super) fn write_for(&self, info: &InfoRequest) -> AssociationWrite {
        AssociationWrite {
            resource_name: self.resource_name.clone(),
            resource_namespace: self.resource_namespace.clone(),
            resource_id: self.resource_id.clone(),
            resource_type: self.resource_type.clone(),
            associations: Some(vec![info.clone()]),
        }
    }
}

impl BatchGetQuery {
    /// `AssociationGetRequest.validate`: an ID, or a name with its namespace.
    pub(super) fn validate(&self) -> Checked {
        let has_id = self.resource_id.as_deref().is_some_and(|s| !s.is_empty());
        let has_name = self.resource_name.as_deref().is_some_and(|s| !s.is_empty());
        if !has_id && !has_name {
            return Err(IllegalProperty::new(
                "resourceId",
                "either resourceId or resourceName must be specified",
            ));
        }
        if has_name && self.resource_namespace.as_deref().is_none_or(str::is_empty) {
            return Err(IllegalProperty::new(
                "resourceNamespace",
                "resourceNamespace is required when resourceName is specified",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(infos: Vec<InfoRequest>) -> AssociationWrite {
        AssociationWrite {
            resource_name: Some("orders".into()),
            resource_namespace: Some("lkc-1".into()),
            resource_id: Some("id-1".into()),
            resource_type: None,
            associations: Some(infos),
        }
    }

    fn detail(r: Checked) -> String {
        let e = r.expect_err("refused");
        format!("{}: {}", e.property, e.detail)
    }

    // 8.3.1 AssociationCreateOrUpdateInfo.validate: a create without schema is WEAK, and a
    // WEAK one needs its subject (checked before the default subject is filled in).
    #[test]
    fn a_create_without_schema_or_subject_is_refused_as_weak() {
        let mut w = write(vec![InfoRequest::default()]);
        assert_eq!(
            detail(w.validate(true, false)),
            "subject: must be provided for WEAK associations"
        );
    }

    // A create with a schema is frozen STRONG on the default subject.
    #[test]
    fn a_create_with_schema_is_frozen_strong_on_the_default_subject() {
        let mut w = write(vec![InfoRequest {
            schema: Some(SchemaRequest::default()),
            ..Default::default()
        }]);
        w.validate(true, false).expect("valid");
        let info = &w.associations.as_ref().expect("infos")[0];
        assert_eq!(info.subject.as_deref(), Some(":.lkc-1:orders-value"));
        assert_eq!(info.lifecycle, Some(Lifecycle::Strong));
        assert_eq!(info.frozen, Some(true));
        assert_eq!(w.resource_type.as_deref(), Some("topic"));
    }

    // RestValidation.checkName.
    #[test]
    fn names_are_letters_digits_dash_and_underscore() {
        let mut w = write(vec![InfoRequest::default()]);
        w.resource_name = Some("a.b".into());
        assert_eq!(
            detail(w.validate(true, false)),
            "resourceName: illegal character '.'"
        );
        w.resource_name = Some("x".repeat(257));
        assert_eq!(
            detail(w.validate(true, false)),
            "resourceName: exceeds max length of 256"
        );
        w.resource_name = Some("orders".into());
        w.resource_namespace = None;
        assert_eq!(
            detail(w.validate(true, false)),
            "resourceNamespace: cannot be null or empty"
        );
    }

    #[test]
    fn an_upsert_with_schema_cannot_ask_for_frozen() {
        let mut i = InfoRequest {
            schema: Some(SchemaRequest::default()),
            frozen: Some(true),
            ..Default::default()
        };
        assert_eq!(
            detail(i.apply_defaults(false)),
            "frozen: cannot be true when creating via upsert; use create instead"
        );
    }
}
