//! Every failure the registry can report. Status codes and `error_code`s are decided in
//! `http::error`, nowhere else.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    /// `None`: "Schema not found"; `Some(id)`: "Schema {id} not found".
    #[error("{}", match .0 { Some(id) => format!("Schema {id} not found"), None => "Schema not found".to_string() })]
    SchemaNotFound(Option<i64>),
    /// A GUID no context knows (as the path gave it, parsable or not).
    #[error("Schema {0} not found")]
    GuidNotFound(String),
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{0}' Version {1} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, i32),
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i32),
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    #[error("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]", .messages.join(", "))]
    Incompatible {
        subject: String,
        messages: Vec<String>,
    },
    /// The whole 42201 message.
    #[error("{0}")]
    InvalidSchema(String),
    #[error("The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")]
    InvalidVersion(String),
    #[error("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")]
    InvalidCompatibility,
    #[error("Invalid mode. Valid values are READWRITE, READONLY, and IMPORT.")]
    InvalidMode,
    #[error("Forward mode only supported on global level")]
    ForwardModeNotGlobal,
    #[error("{0}")]
    OperationNotPermitted(String),
    /// A rule set that cannot be applied (Confluent's `RestInvalidRuleSetException`).
    #[error("{0}")]
    InvalidRuleSet(String),
    /// `DELETE /contexts/{ctx}` on a context that still has versions (its `:.ctx:` form).
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    #[error("One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={0},version={1}}}.")]
    ReferenceExists(String, i32),
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    /// A malformed request: (status, message); answered with `error_code` = status.
    #[error("{1}")]
    BadRequest(u16, String),
    #[error("Error while registering schema: {0}")]
    Store(String),
    #[error("Timed out while waiting for the store: {0}")]
    StoreTimeout(String),
    /// This node does not lead; the request goes to the leader at this URL (the HTTP layer
    /// forwards it), or fails with 50004 when no leader is known.
    #[error("Unknown leader")]
    NotLeader(Option<String>),
    /// An exporter API error: (Confluent error_code, message).
    #[error("{1}")]
    Exporter(u32, String),
    /// An association API error (Confluent 8.2): (error_code, message); the status is the
    /// code's first three digits (42212 → 422, 40903 → 409, 500 → 500).
    #[error("{1}")]
    Association(u32, String),
    /// A DEK registry error (`DekRegistryErrors`): (status, error_code, message).
    #[error("{2}")]
    Keys(u16, u32, String),
    /// Forwarding to the leader failed.
    #[error("Error while forwarding the request to the leader: {0}")]
    Forwarding(String),
    /// Fetch-through could not get a schema from the upstream registry (`upstream.rs`):
    /// 502 (unreachable, or its answer unusable), 503 (rate limit or marked down, with the
    /// seconds after which to try again) or 504 (timed out); the message names the cause.
    #[error("{message}")]
    Upstream {
        status: u16,
        code: u32,
        message: String,
        retry_after: Option<u64>,
    },
}

impl From<StoreError> for RegistryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Backend(m) => RegistryError::Store(m),
            StoreError::Timeout(m) => RegistryError::StoreTimeout(m),
        }
    }
}

pub type Result<T> = std::result::Result<T, RegistryError>;
