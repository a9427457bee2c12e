//! Avro reader/writer schema compatibility, following the rules of Apache Avro's Java
//! `SchemaCompatibility` checker (the one Confluent Schema Registry delegates to) and rendering
//! every incompatibility the way Confluent prints it. The schemas are the parser's own model
//! (`schema::avro::AvroSchema`): one parse serves validation, canonical text and compatibility.
//!
//! Behaviour reproduced on purpose, because Confluent's answers depend on it:
//! - every incompatibility is collected (not just the first), in the order the Java checker
//!   visits the schemas;
//! - results are memoized per (reader node, writer node) pair, by identity: a named type used
//!   twice is one node, so a second use of the same pair repeats the first result verbatim
//!   (same location); a pair met again while it is still being checked counts as compatible,
//!   which is what makes recursive types terminate;
//! - when the writer is a union and the reader is not, and when the branches of a union are
//!   tried, the branch checks start from a fresh location, so their paths are relative (`/`);
//! - a reader field that matches several writer fields (by name and aliases) aborts the whole
//!   check, as the Java exception does; Confluent reports it as a single message.
//!
//! The module is pure: no I/O, bounded recursion, no panics on any input.

mod check;

#[cfg(test)]
mod tests;

use crate::schema::avro::model::{Field, Kind, Name, Node};
use crate::schema::avro::{parse_model, AvroSchema};
use check::Checker;
use std::collections::HashMap;

/// How Confluent prefixes the message of an exception thrown by the checker.
const EXCEPTION_PREFIX: &str = "Unexpected exception during compatibility check: ";

/// Can data written with `writer` be read with `reader`? Returns every incompatibility found,
/// each already rendered as Confluent prints it, e.g.
/// `{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}`.
/// Empty = compatible. `reader`/`writer` are valid Avro schema texts (already validated by the parser);
/// `*_refs` are the texts of the schemas they reference, in dependency order (named types defined there may be used by name).
/// `reader_is_new`: true when the reader is the schema being registered (BACKWARD direction), false when the
/// writer is the new one (FORWARD direction); Confluent's description wording says "new schema"/"old schema"
/// accordingly.
pub fn incompatibilities(
    reader: &str,
    reader_refs: &[&str],
    writer: &str,
    writer_refs: &[&str],
    reader_is_new: bool,
) -> Vec<String> {
    compare(
        &prepare(reader, reader_refs),
        &prepare(writer, writer_refs),
        reader_is_new,
    )
}

/// A schema parsed (lax: as stored schemas are read) and indexed once, to be compared with
/// any number of others (`compare`); a parse error is kept and reported by each comparison.
#[derive(Debug)]
pub struct PreparedAvro {
    schema: Result<Schema, String>,
}

/// Parses `text` (with the texts of its references, in dependency order) for `compare`.
pub fn prepare(text: &str, refs: &[&str]) -> PreparedAvro {
    PreparedAvro {
        schema: parse_model(text, refs)
            .map(Schema::new)
            .map_err(|e| e.to_string()),
    }
}

/// `incompatibilities` of two prepared schemas.
pub fn compare(reader: &PreparedAvro, writer: &PreparedAvro, reader_is_new: bool) -> Vec<String> {
    let reader_schema = match &reader.schema {
        Ok(s) => s,
        Err(e) => return vec![format!("{EXCEPTION_PREFIX}invalid reader schema: {e}")],
    };
    let writer_schema = match &writer.schema {
        Ok(s) => s,
        Err(e) => return vec![format!("{EXCEPTION_PREFIX}invalid writer schema: {e}")],
    };
    let mut checker = Checker {
        reader: reader_schema,
        writer: writer_schema,
        memo: HashMap::new(),
    };
    match checker.top_level() {
        Ok(result) => {
            let (reader_label, writer_label) = if reader_is_new {
                ("new", "old")
            } else {
                ("old", "new")
            };
            result
                .items
                .iter()
                .map(|i| i.render(reader_label, writer_label))
                .collect()
        }
        Err(message) => vec![format!("{EXCEPTION_PREFIX}{message}")],
    }
}

type NodeId = usize;

/// The parsed model with what the checker looks up: record fields by name.
#[derive(Debug)]
struct Schema {
    model: AvroSchema,
    /// For each record node, the indices of its fields sorted by name (empty for other nodes).
    by_name: Vec<Vec<usize>>,
}

impl Schema {
    fn new(model: AvroSchema) -> Schema {
        let by_name = model
            .nodes()
            .iter()
            .map(|n| match &n.fields {
                Some(fields) => {
                    let mut ix: Vec<usize> = (0..fields.len()).collect();
                    ix.sort_by(|&a, &b| {
                        let name = |i: usize| fields.get(i).map_or("", |f| f.name.as_str());
                        name(a).cmp(name(b)).then(a.cmp(&b))
                    });
                    ix
                }
                None => Vec::new(),
            })
            .collect();
        Schema { model, by_name }
    }

    fn root(&self) -> NodeId {
        self.model.root()
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.model.nodes().get(id)
    }

    fn kind(&self, id: NodeId) -> Kind {
        self.node(id).map_or(Kind::Null, |n| n.kind)
    }

    /// The name of a named node.
    fn name(&self, id: NodeId) -> Option<&Name> {
        self.node(id).and_then(|n| n.name.as_ref())
    }

    /// The aliases of a named node.
    fn aliases(&self, id: NodeId) -> &[Name] {
        self.node(id).map_or(&[], |n| &n.aliases)
    }

    fn fields(&self, id: NodeId) -> &[Field] {
        self.node(id)
            .and_then(|n| n.fields.as_deref())
            .unwrap_or(&[])
    }

    /// The first field of a record with that name.
    fn field_named(&self, id: NodeId, name: &str) -> Option<&Field> {
        let fields = self.fields(id);
        let ix = self.by_name.get(id)?;
        let field = |i: &usize| fields.get(*i);
        let pos = ix.partition_point(|i| field(i).is_some_and(|f| f.name.as_str() < name));
        ix.get(pos).and_then(field).filter(|f| f.name == name)
    }

    /// Union branches.
    fn branches(&self, id: NodeId) -> &[NodeId] {
        match self.node(id) {
            Some(n) if n.kind == Kind::Union => &n.children,
            _ => &[],
        }
    }

    /// Array items or map values.
    fn element(&self, id: NodeId) -> Option<NodeId> {
        match self.node(id) {
            Some(n) if matches!(n.kind, Kind::Array | Kind::Map) => n.children.first().copied(),
            _ => None,
        }
    }

    /// Java's `Schema.toString()` of a record.
    fn record_text(&self, id: NodeId) -> String {
        self.model.to_string_of(id).unwrap_or_default()
    }
}
