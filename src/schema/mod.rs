//! Schema parsing and canonical text, dispatched by schema type through one seam, the `Format`
//! trait, and its registration table `FORMATS`. Pure: no I/O.

pub mod avro;
pub mod json;
pub mod protobuf;
pub(crate) mod tags;

use crate::model::SchemaType;
use std::any::Any;

/// The result of parsing a schema.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The text Confluent stores for this schema.
    pub canonical: String,
    /// The `normalize=true` text.
    pub normalized: String,
    /// The names of the types this schema defines (not those of its references), in definition
    /// order: Avro's full names of records, enums and fixeds.
    pub defined_names: Vec<String>,
}

/// A schema referenced by another one: the name the referencing schema uses for it (a JSON
/// Schema `$ref`, a Protobuf import; Avro ignores it) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub schema: String,
}

impl Dependency {
    pub fn new(name: impl Into<String>, schema: impl Into<String>) -> Dependency {
        Dependency {
            name: name.into(),
            schema: schema.into(),
        }
    }
}

/// Why a schema is invalid: the text after `details: ` in Confluent's 42201 message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

/// A schema parsed once by its format for any number of compatibility checks (`Format::prepare`,
/// `Format::compare`): a transitive check against N versions parses each of them once instead
/// of once per direction and pair. Opaque: only the format that made it can read it.
pub struct Prepared(Box<dyn Any + Send + Sync>);

impl Prepared {
    /// Wraps a format's own prepared form.
    pub fn new<T: Any + Send + Sync>(inner: T) -> Prepared {
        Prepared(Box::new(inner))
    }

    /// The format's own prepared form, if this is one.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

/// One schema format (Avro, JSON Schema, Protobuf): everything the registry needs
/// to know about a schema type goes through this trait, and `FORMATS` lists the implementations.
///
/// Why a trait, and not an enum matched in each place: the registry, the compatibility levels,
/// `/schemas/types` and the offline checker only ever ask the same handful of questions (parse
/// this text, compare these two schemas, which types exist), whatever the format. With a trait
/// object per format, a format is one self-contained implementation (`schema/<format>` and
/// `compat/<format>`) plus one line in `FORMATS`; nothing else in the code base names a format,
/// so adding one cannot miss a `match` arm somewhere, and each format keeps its own parsed
/// model private (the `Prepared` form is opaque to the callers). Dynamic dispatch costs one
/// indirect call per parse or per pair, nothing next to the work behind it.
pub trait Format: Send + Sync {
    /// The schema type this format implements.
    fn schema_type(&self) -> SchemaType;

    /// Parses and validates a schema. `references`: the schemas it references (transitively),
    /// in dependency order. `strict` for new input from clients, lenient for stored schemas (so
    /// that schemas accepted by older or laxer registries keep loading).
    fn parse(
        &self,
        schema: &str,
        references: &[Dependency],
        strict: bool,
    ) -> Result<Parsed, SchemaError>;

    /// Confluent's `ParsedSchema.validate`: the checks beyond parsing that a schema must pass
    /// to be registered or looked up, skipped in IMPORT mode. A failure is reported as
    /// `Invalid schema {…}, details: …` (without the `with refs` part of a parse failure).
    /// `validate_fields`: the scope's `validateFields` config (Confluent's `strict`).
    fn validate(
        &self,
        _schema: &str,
        _references: &[Dependency],
        _validate_fields: bool,
    ) -> Result<(), SchemaError> {
        Ok(())
    }

    /// Confluent's `ParsedSchema.formattedString(format)` for a non-blank `?format=`: the schema
    /// in that output form (Protobuf: `serialized`, a base64 `FileDescriptorProto`;
    /// `ignore_extensions`). `None`: nothing to change, the stored text is the answer (Avro and
    /// JSON Schema here; an unknown format, as Confluent answers the canonical text for one).
    fn formatted(
        &self,
        _schema: &str,
        _references: &[Dependency],
        _format: &str,
    ) -> Result<Option<String>, SchemaError> {
        Ok(None)
    }

    /// Parses a (stored, already validated) schema once for `compare`.
    fn prepare(&self, schema: &str, references: &[Dependency]) -> Prepared;

    /// Can data written with `writer` be read with `reader`? Confluent's messages, one per
    /// incompatibility; empty when compatible. `reader_is_new`: the reader is the schema being
    /// registered (BACKWARD), else the writer is (FORWARD). `lenient`: Confluent 8.2's
    /// `compatibilityPolicy` LENIENT (formats without such rules ignore it).
    fn compare(
        &self,
        reader: &Prepared,
        writer: &Prepared,
        reader_is_new: bool,
        lenient: bool,
    ) -> Vec<String>;

    /// `compare` of two schema texts.
    fn incompatibilities(
        &self,
        reader: &str,
        reader_refs: &[Dependency],
        writer: &str,
        writer_refs: &[Dependency],
        reader_is_new: bool,
    ) -> Vec<String> {
        self.compare(
            &self.prepare(reader, reader_refs),
            &self.prepare(writer, writer_refs),
            reader_is_new,
            false,
        )
    }

    /// Confluent's `ParsedSchema.copy(tagsToAdd, tagsToRemove)`: the stored schema with the
    /// tags of some elements changed (`POST /subjects/{s}/versions/{v}/tags`). The error text
    /// is the one Confluent answers in its 42201 message.
    fn modify_tags(
        &self,
        _schema: &str,
        _references: &[Dependency],
        _edits: &[TagEdit],
    ) -> Result<String, SchemaError> {
        Err(SchemaError(format!(
            "schema tags are not supported for schema type {} yet",
            self.schema_type().as_str()
        )))
    }

    /// Confluent's `ParsedSchema.inlineTaggedEntities()`: every schema element carrying inline
    /// tags (`confluent:tags`, Protobuf's `(confluent.message_meta)` / `(confluent.field_meta)`
    /// `tags`), with its tags, in Confluent's order (the order of its `LinkedHashMap`). Used by
    /// `?findTags=` (`extractSchemaTags`) and by `propagateSchemaTags`; the caller filters.
    fn inline_tagged_entities(
        &self,
        _schema: &str,
        _references: &[Dependency],
    ) -> Result<Vec<TaggedEntity>, SchemaError> {
        Ok(Vec::new())
    }
}

/// The kind of schema element a tag edit names (Confluent's `SchemaEntity.EntityType`:
/// `sr_record`, `sr_field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    Record,
    Field,
}

/// One schema element with inline tags (Confluent's `SchemaEntity` and its tags, as
/// `SchemaTags` serializes them: `{"entity": {"entityPath": …, "entityType": …}, "tags": […]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedEntity {
    pub entity_type: EntityType,
    /// e.g. `com.x.User.name` (Avro), `object.name` (JSON Schema), `User.name` (Protobuf).
    pub path: String,
    /// The element's tags, each once, in their first written order (a `LinkedHashSet`).
    pub tags: Vec<String>,
}

/// Tagged entities collected as Confluent's `LinkedHashMap<SchemaEntity, Set<String>>` does:
/// an element already present (same type, same path without a leading dot, as
/// `SchemaEntity.equals` compares them) keeps its position and takes the new tags; elements
/// without tags are not recorded.
#[derive(Debug, Default)]
pub(crate) struct TaggedEntities(Vec<TaggedEntity>);

impl TaggedEntities {
    pub(crate) fn put(&mut self, entity_type: EntityType, path: String, tags: Vec<String>) {
        if tags.is_empty() {
            return;
        }
        let normalized = |p: &str| p.strip_prefix('.').unwrap_or(p).to_string();
        let key = normalized(&path);
        match self
            .0
            .iter_mut()
            .find(|e| e.entity_type == entity_type && normalized(&e.path) == key)
        {
            Some(e) => e.tags = tags,
            None => self.0.push(TaggedEntity {
                entity_type,
                path,
                tags,
            }),
        }
    }

    pub(crate) fn into_vec(self) -> Vec<TaggedEntity> {
        self.0
    }
}

/// Tags without duplicates, in first-seen order (Java's `LinkedHashSet`).
pub(crate) fn distinct(tags: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The tags to add to and remove from one schema element (Confluent's `SchemaTags`, merged
/// per element as `TagSchemaRequest.schemaTagsListToMap` does; elements in the order they
/// are first named, additions before removals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEdit {
    pub entity_type: EntityType,
    /// e.g. `com.x.User.name` (a field) or `com.x.User` (a record).
    pub path: String,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// The formats this registry implements. Adding one: its `schema/<format>` and
/// `compat/<format>` modules, and one line here.
static FORMATS: &[&dyn Format] = &[&avro::Avro, &json::JsonSchema, &protobuf::Protobuf];

/// The implementation of a schema type, if this registry supports it.
pub fn format(schema_type: SchemaType) -> Option<&'static dyn Format> {
    FORMATS
        .iter()
        .copied()
        .find(|f| f.schema_type() == schema_type)
}

/// The supported schema types, as `/schemas/types` lists them: in the iteration order of the
/// Java `HashMap` Confluent keeps its providers in (`KafkaSchemaRegistry.schemaTypes`, a
/// 16-bucket table: bucket of the spread `String.hashCode`), so JSON, PROTOBUF, AVRO.
pub fn supported_types() -> Vec<&'static str> {
    fn bucket(s: &str) -> u32 {
        let h = s
            .encode_utf16()
            .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
        (h ^ (h >> 16)) & 15
    }
    let mut types: Vec<&'static str> = FORMATS.iter().map(|f| f.schema_type().as_str()).collect();
    types.sort_by_key(|t| bucket(t));
    types
}

/// Parses a schema. `strict` for new input from clients, lenient for stored schemas
/// (so that schemas accepted by older or laxer registries keep loading).
pub fn parse(
    schema_type: SchemaType,
    schema: &str,
    references: &[Dependency],
    strict: bool,
) -> Result<Parsed, SchemaError> {
    match format(schema_type) {
        Some(f) => f.parse(schema, references, strict),
        None => Err(SchemaError(format!(
            "schema type {} is not supported by this registry yet",
            schema_type.as_str()
        ))),
    }
}
