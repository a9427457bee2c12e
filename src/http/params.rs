//! Typed extractors for path and query parameters, parsed as Confluent (Jersey) parses
//! them, with Confluent-shaped rejections; each query struct is also the utoipa
//! `IntoParams` that documents it, so the parameter docs are written once.
//!
//! Path extractors reject a path that does not decode (400). Query extractors never reject,
//! except [`Paging`] (an `offset` or `limit` that is not an int leaves the request unmatched
//! in Jersey: 404). Flags are Java's `Boolean.parseBoolean`: `true` in any case is true,
//! anything else (or nothing) false; the first value of a repeated name counts.

use super::extract::Query;
use crate::error::RegistryError;
use crate::model::Subject;
use crate::registry::VersionSpec;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use std::convert::Infallible;
use utoipa::IntoParams;

/// The path's parameters in order, percent-decoded.
async fn segments<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<Vec<String>, RegistryError> {
    let p: Result<Path<Vec<(String, String)>>, PathRejection> =
        Path::from_request_parts(parts, state).await;
    match p {
        Ok(Path(v)) => Ok(v.into_iter().map(|(_, v)| v).collect()),
        Err(e) => Err(super::error::invalid_path(&e)),
    }
}

/// The `i`-th path parameter (empty when the route has none there).
fn take(v: &mut [String], i: usize) -> String {
    v.get_mut(i).map(std::mem::take).unwrap_or_default()
}

/// The query of a request, parsed leniently.
fn query(parts: &Parts) -> Query {
    Query::parse(parts.uri.query())
}

/// `{subject}` (also the subject or context of config and mode): the first path
/// parameter, percent-decoded.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, names("subject"))]
pub struct NamePath(
    /// Subject, optionally qualified with a context as :.ctx:name
    pub String,
);

/// `{name}` of an exporter.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, names("name"))]
pub struct ExporterPath(
    /// Exporter name
    pub String,
);

impl<S: Send + Sync> FromRequestParts<S> for ExporterPath {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut v = segments(parts, state).await?;
        Ok(ExporterPath(take(&mut v, 0)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for NamePath {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut v = segments(parts, state).await?;
        Ok(NamePath(take(&mut v, 0)))
    }
}

impl NamePath {
    /// The name as a subject (`:.ctx:name` qualified or not).
    pub fn subject(&self) -> Subject {
        Subject::parse(&self.0)
    }
}

/// `{subject}/versions/{version}`: the subject and the version as given (parsed with
/// [`SubjectVersionPath::spec`], after the body where the route has one).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubjectVersionPath {
    /// Subject, optionally qualified with a context as :.ctx:name
    pub subject: String,
    /// Version: a number from 1, `latest` (any case) or -1 (latest)
    #[param(pattern = "^(latest|-1|[1-9][0-9]{0,8})$")]
    pub version: String,
}

impl<S: Send + Sync> FromRequestParts<S> for SubjectVersionPath {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut v = segments(parts, state).await?;
        Ok(SubjectVersionPath {
            subject: take(&mut v, 0),
            version: take(&mut v, 1),
        })
    }
}

impl SubjectVersionPath {
    /// The version: `latest` in any case or an int in [1, 2^31-1]; `-1` is latest when
    /// `minus_one_is_latest` (reads), else kept as `-1` (deletes). Else 42202.
    pub fn spec(&self, minus_one_is_latest: bool) -> Result<VersionSpec, RegistryError> {
        VersionSpec::parse(&self.version, minus_one_is_latest)
    }

    pub fn subject(&self) -> Subject {
        Subject::parse(&self.subject)
    }
}

/// `{id}`: a Java int; anything else is an unknown path, as in Jersey (404).
#[derive(IntoParams)]
#[into_params(parameter_in = Path, names("id"))]
pub struct IdPath(
    /// Schema ID
    pub i32,
);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut v = segments(parts, state).await?;
        take(&mut v, 0)
            .parse::<i32>()
            .map(IdPath)
            .map_err(|_| super::error::not_found_error())
    }
}

/// `{guid}`: taken as given (a GUID that does not parse is one no schema has: 404 40403).
#[derive(IntoParams)]
#[into_params(parameter_in = Path, names("guid"))]
pub struct GuidPath(
    /// Schema GUID (a UUID string, or 32 hex digits)
    pub String,
);

impl<S: Send + Sync> FromRequestParts<S> for GuidPath {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut v = segments(parts, state).await?;
        Ok(GuidPath(take(&mut v, 0)))
    }
}

/// The filters of Confluent 8's association lists: `resourceType` (default `topic`),
/// `associationType` (repeatable; none = all) and `lifecycle` (`STRONG` or `WEAK`; any other
/// value fails JAX-RS's enum conversion, which leaves the request unmatched: 404).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct AssociationFilter {
    /// Resource type (default `topic`)
    pub resource_type: Option<String>,
    /// `key` or `value`, repeatable
    pub association_type: Vec<String>,
    /// `STRONG` or `WEAK`
    pub lifecycle: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for AssociationFilter {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = query(parts);
        let lifecycle = q.get("lifecycle").map(str::to_string);
        if lifecycle
            .as_deref()
            .is_some_and(|l| !matches!(l, "STRONG" | "WEAK"))
        {
            return Err(super::error::not_found_error());
        }
        Ok(AssociationFilter {
            resource_type: q.get("resourceType").map(str::to_string),
            association_type: q
                .all("associationType")
                .into_iter()
                .map(str::to_string)
                .collect(),
            lifecycle,
        })
    }
}

/// Boolean query flags: one struct per flag, reused by every operation that takes it.
macro_rules! flag {
    ($(#[doc = $doc:literal])* $name:ident, $field:ident, $key:literal) => {
        #[derive(Debug, Clone, Copy, Default, IntoParams)]
        #[into_params(parameter_in = Query, rename_all = "camelCase")]
        pub struct $name {
            $(#[doc = $doc])*
            #[param(value_type = Option<bool>)]
            pub $field: bool,
        }

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = Infallible;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
                Ok($name {
                    $field: query(parts).flag($key),
                })
            }
        }
    };
}

flag!(
    /// Check only: nothing is written
    DryRun,
    dry_run,
    "dryRun"
);
flag!(
    /// Answer each association's subject's latest version too
    IncludeSchemas,
    include_schemas,
    "includeSchemas"
);
flag!(
    /// Also delete a STRONG association's subject (soft, then permanently)
    CascadeLifecycle,
    cascade_lifecycle,
    "cascadeLifecycle"
);

/// `context` of association writes (`/contexts/{ctx}/associations` sets it): the context an
/// unqualified subject is taken in.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContextParam {
    /// A context (`:.ctx:`); default: the default context
    pub context: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ContextParam {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ContextParam {
            context: query(parts).get("context").map(str::to_string),
        })
    }
}

flag!(
    /// Include soft-deleted subjects or versions
    Deleted,
    deleted,
    "deleted"
);
flag!(
    /// Soft-deleted versions too, as negative numbers (8.x)
    DeletedAsNegative,
    deleted_as_negative,
    "deletedAsNegative"
);
flag!(
    /// Only soft-deleted subjects or versions
    DeletedOnly,
    deleted_only,
    "deletedOnly"
);
flag!(
    /// Normalize the schema before comparing or storing it
    Normalize,
    normalize,
    "normalize"
);
flag!(
    /// Hard delete (only after a soft delete)
    Permanent,
    permanent,
    "permanent"
);
flag!(
    /// DEK registry: replace an existing DEK version's encrypted key material
    Rewrap,
    rewrap,
    "rewrap"
);
flag!(
    /// DEK registry: first check that the registry can use a shared KEK's KMS
    TestSharing,
    test_sharing,
    "testSharing"
);
flag!(
    /// Include the reasons of an incompatibility (`messages`)
    Verbose,
    verbose,
    "verbose"
);
flag!(
    /// Fall back to the context's, then the global setting, when the subject has none
    DefaultToGlobal,
    default_to_global,
    "defaultToGlobal"
);
flag!(
    /// On a context (or the default context's `/mode`): also delete the mode of every
    /// subject in it; on a subject: no 404 when it has no mode
    Recursive,
    recursive,
    "recursive"
);
flag!(
    /// Change the mode even when the registry holds schemas (IMPORT)
    Force,
    force,
    "force"
);
flag!(
    /// Also return the largest schema ID (`maxId`)
    FetchMaxId,
    fetch_max_id,
    "fetchMaxId"
);
flag!(
    /// Only the latest version per subject
    LatestOnly,
    latest_only,
    "latestOnly"
);
flag!(
    /// List the subjects aliasing each subject
    Aliases,
    aliases,
    "aliases"
);

/// `referenceFormat` (8.1): `qualified` (exactly) names each reference of a schema in a
/// non-default context with that context (`:.ctx:name`); anything else changes nothing.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReferenceFormat {
    /// `qualified`: references in the schema's context
    pub reference_format: Option<String>,
}

impl ReferenceFormat {
    pub fn qualified(&self) -> bool {
        self.reference_format.as_deref() == Some("qualified")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ReferenceFormat {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ReferenceFormat {
            reference_format: query(parts).get("referenceFormat").map(str::to_string),
        })
    }
}

/// `format`: the output form of the schema text, dependent on the schema type (Protobuf:
/// `serialized` for a base64 `FileDescriptorProto`, `ignore_extensions`; blank or unknown: the
/// stored text, as Confluent answers).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutputFormat {
    /// Desired output format, dependent on the schema type
    pub format: Option<String>,
}

impl OutputFormat {
    /// The format asked for, `""` when none.
    pub fn as_str(&self) -> &str {
        self.format.as_deref().unwrap_or("")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OutputFormat {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(OutputFormat {
            format: query(parts).get("format").map(str::to_string),
        })
    }
}

/// `subjectPrefix`.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SubjectPrefix {
    /// Only subjects starting with this (`:*:` for every context)
    pub subject_prefix: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for SubjectPrefix {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(SubjectPrefix {
            subject_prefix: query(parts).get("subjectPrefix").map(str::to_string),
        })
    }
}

/// The filters `GET /schemas` gained in 8.2: `ruleType` (versions with a rule of this type),
/// and `resourceType`, `associationType` (repeatable), `lifecycle` (repeatable: `STRONG`,
/// `WEAK`, or `NONE` for subjects without association; anything else leaves the request
/// unmatched, 404, as JAX-RS's enum conversion does).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SchemaFilters {
    /// Only versions whose rule set has a rule of this type (e.g. `CEL`)
    pub rule_type: Option<String>,
    /// Only subjects associated with a resource of this type (and answer their associations)
    pub resource_type: Option<String>,
    /// Only subjects with an association of this type (`key`, `value`), repeatable
    pub association_type: Vec<String>,
    /// `STRONG`, `WEAK`, or `NONE` (subjects without association), repeatable
    pub lifecycle: Vec<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for SchemaFilters {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = query(parts);
        let lifecycle: Vec<String> = q.all("lifecycle").into_iter().map(str::to_string).collect();
        if lifecycle
            .iter()
            .any(|l| !matches!(l.as_str(), "STRONG" | "WEAK" | "NONE"))
        {
            return Err(super::error::not_found_error());
        }
        Ok(SchemaFilters {
            rule_type: q.get("ruleType").map(str::to_string),
            resource_type: q.get("resourceType").map(str::to_string),
            association_type: q
                .all("associationType")
                .into_iter()
                .map(str::to_string)
                .collect(),
            lifecycle,
        })
    }
}

/// `contextPrefix` (Confluent 8's `GET /contexts`).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ContextPrefix {
    /// Only contexts starting with this (e.g. `.team`)
    pub context_prefix: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ContextPrefix {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ContextPrefix {
            context_prefix: query(parts).get("contextPrefix").map(str::to_string),
        })
    }
}

/// `subject`: the subject (or `:.ctx:` context) an ID is looked up in.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubjectHint {
    /// Look the ID up in this subject's context
    pub subject: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for SubjectHint {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(SubjectHint {
            subject: query(parts).get("subject").map(str::to_string),
        })
    }
}

/// `offset` and `limit` as Jersey parses them: a value that is not an int makes the
/// resource unmatched (404); a negative offset is 0, a non-positive limit means no limit.
#[derive(Debug, Clone, Copy, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Skip this many
    #[param(value_type = Option<i32>)]
    pub offset: usize,
    /// At most this many
    #[param(value_type = Option<i32>)]
    pub limit: usize,
}

/// Confluent's default and largest `limit` for schema lists (`schema.search.default.limit`,
/// `schema.search.max.limit`): `GET /schemas`, `referencedby`, the association lists.
pub const SCHEMA_SEARCH_LIMIT: usize = 1000;

impl Paging {
    /// The page with a largest `limit` (Confluent's `normalizeSchemaLimit`: a limit in
    /// `1..=max` is kept, any other, absent included, is the default, here `max`).
    pub fn capped(self, max: usize) -> Paging {
        Paging {
            offset: self.offset,
            limit: if self.limit <= max { self.limit } else { max },
        }
    }

    /// `items` skipped and limited.
    pub fn page<T>(self, items: impl IntoIterator<Item = T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (offset, limit) = query(parts).paging()?;
        Ok(Paging { offset, limit })
    }
}

/// `key` and `value`, repeated: metadata properties a version must have (the i-th value
/// goes with the i-th key; a key without a value only has to be present).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetadataFilter {
    /// Metadata property names
    pub key: Vec<String>,
    /// Their values, in the same order
    pub value: Vec<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for MetadataFilter {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let q = query(parts);
        let all = |name: &str| q.all(name).into_iter().map(str::to_string).collect();
        Ok(MetadataFilter {
            key: all("key"),
            value: all("value"),
        })
    }
}

/// `findTags` (repeatable): the tags whose inline-tagged elements the answer lists in
/// `schemaTags` (`*`: every tagged element).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct FindTags {
    /// Find tagged entities for the given tags, or `*` for all tags (repeatable)
    pub find_tags: Vec<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for FindTags {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let q = query(parts);
        Ok(FindTags {
            find_tags: q.all("findTags").into_iter().map(str::to_string).collect(),
        })
    }
}
