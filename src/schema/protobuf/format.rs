//! The Protobuf format behind the seam: reading (text or base64 descriptor), Confluent's
//! printer for the canonical and normalized texts, validation by descriptor building,
//! `format=serialized`/`ignore_extensions`, and the checker of `compat::protobuf`.

use super::model::{ProtoFile, TypeElement};
use super::{bundled, print, read, read_dependencies, tags, to_descriptor, validate};
use crate::schema::{Dependency, Format, Parsed, Prepared, SchemaError};

/// The Protobuf format.
pub struct Protobuf;

/// The full names of the messages and enums a file defines, in definition order (nested ones
/// after their parent), as `pkg.Outer.Inner`.
fn defined_names(file: &ProtoFile) -> Vec<String> {
    fn walk(prefix: &str, types: &[TypeElement], out: &mut Vec<String>) {
        for t in types {
            let name = if prefix.is_empty() {
                t.name().to_string()
            } else {
                format!("{prefix}.{}", t.name())
            };
            out.push(name.clone());
            if let TypeElement::Message(m) = t {
                walk(&name, &m.nested, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(file.package.as_deref().unwrap_or(""), &file.types, &mut out);
    out
}

/// Every bundled file as a dependency, read once per process.
fn bundled_deps() -> &'static [(String, ProtoFile)] {
    static DEPS: std::sync::OnceLock<Vec<(String, ProtoFile)>> = std::sync::OnceLock::new();
    DEPS.get_or_init(|| {
        bundled::names()
            .filter_map(|name| bundled::file(name).map(|f| (name.to_string(), f)))
            .collect()
    })
}

/// The references read into the model (those that do not read are left out; `validate`
/// reports them), then every bundled file not shadowed by a reference of the same name. Without
/// references (the common case) the shared bundled list is borrowed, not copied.
fn with_bundled(references: &[Dependency]) -> std::borrow::Cow<'static, [(String, ProtoFile)]> {
    if references.is_empty() {
        return std::borrow::Cow::Borrowed(bundled_deps());
    }
    let mut deps: Vec<(String, ProtoFile)> = references
        .iter()
        .filter_map(|d| read(&d.schema).ok().map(|f| (d.name.clone(), f)))
        .collect();
    for (name, f) in bundled_deps() {
        if !deps.iter().any(|(n, _)| n == name) {
            deps.push((name.clone(), f.clone()));
        }
    }
    std::borrow::Cow::Owned(deps)
}

impl Format for Protobuf {
    fn schema_type(&self) -> crate::model::SchemaType {
        crate::model::SchemaType::Protobuf
    }

    fn parse(
        &self,
        schema: &str,
        references: &[Dependency],
        _strict: bool,
    ) -> Result<Parsed, SchemaError> {
        let file = read(schema)?;
        // Normalizing resolves type names against the references and every bundled file,
        // imported or not (`ProtobufSchema.dependenciesWithLogicalTypes`); a name that does not
        // resolve falls back to its written form here, and is refused by `validate`.
        let deps = with_bundled(references);
        let normalized = match print::try_print(&file, &deps, true, false) {
            Ok(text) => text,
            Err(_) => print::print(&file, true, false),
        };
        Ok(Parsed {
            canonical: print::print(&file, false, false),
            normalized,
            defined_names: defined_names(&file),
        })
    }

    fn validate(
        &self,
        schema: &str,
        references: &[Dependency],
        _validate_fields: bool,
    ) -> Result<(), SchemaError> {
        let file = read(schema)?;
        let deps = read_dependencies(references)?;
        validate::validate(&file, &deps)
    }

    fn formatted(
        &self,
        schema: &str,
        references: &[Dependency],
        format: &str,
    ) -> Result<Option<String>, SchemaError> {
        let file = read(schema)?;
        match format {
            "serialized" => {
                let deps = read_dependencies(references)?;
                to_descriptor::to_base64(&file, to_descriptor::DEFAULT_NAME, &deps).map(Some)
            }
            "ignore_extensions" => Ok(Some(print::print(&file, false, true))),
            // `default` and formats Confluent does not know: the canonical text.
            _ => Ok(Some(print::print(&file, false, false))),
        }
    }

    fn prepare(&self, schema: &str, references: &[Dependency]) -> Prepared {
        Prepared::new(crate::compat::protobuf::prepare(schema, references))
    }

    fn compare(
        &self,
        reader: &Prepared,
        writer: &Prepared,
        reader_is_new: bool,
        _lenient: bool,
    ) -> Vec<String> {
        use crate::compat::protobuf::{compare, PreparedProto};
        match (reader.get::<PreparedProto>(), writer.get::<PreparedProto>()) {
            (Some(r), Some(w)) => compare(r, w, reader_is_new),
            _ => vec!["Incompatible because of different schema type".to_string()],
        }
    }

    fn modify_tags(
        &self,
        schema: &str,
        _references: &[Dependency],
        edits: &[crate::schema::TagEdit],
    ) -> Result<String, SchemaError> {
        tags::modify(schema, edits).map_err(SchemaError)
    }

    fn inline_tagged_entities(
        &self,
        schema: &str,
        _references: &[Dependency],
    ) -> Result<Vec<crate::schema::TaggedEntity>, SchemaError> {
        Ok(tags::tagged_entities(&super::read(schema)?))
    }
}
