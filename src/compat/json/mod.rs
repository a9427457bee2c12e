//! JSON Schema compatibility, following Confluent Schema Registry's `SchemaDiff` (the
//! `json-schema-provider` `diff` package), which compares the schema objects everit's
//! `SchemaLoader` builds; `load` models that loader, `diff` and `content` the comparison,
//! `difference` the messages.
//!
//! `JsonSchema.isBackwardCompatible(previous)` runs `SchemaDiff.compare(original = previous,
//! update = this)` and reports the incompatible differences, each as `Difference.toString()`.
//! Here the original is the writer and the update the reader.
//!
//! Behaviour reproduced on purpose, because Confluent's answers depend on it:
//! - properties and dependencies are visited in Java `HashSet` order (`javahash`);
//! - differences found inside combined schemas are never reported (only whether a matching of
//!   compatible subschemas covers the smaller side), but those found against a partially open
//!   content model are;
//! - a schema already being compared (by identity, on the original side) is skipped, which is
//!   what makes recursive references terminate;
//! - only one reference is followed when normalizing (a reference to a reference is compared
//!   as a reference, i.e. not at all).
//!
//! Where this deliberately differs from Confluent (its library would throw, overflow or run
//! for ever): nesting deeper than the limits, reference chains followed deeper than 512
//! comparisons, and comparisons needing more than 2,000,000 steps (7.9 is exponential on
//! mutually recursive unions) give one `Unexpected exception during compatibility check: …`
//! message; an `exclusiveMaximum` decrease where the update has no `maximum` (a
//! NullPointerException in 7.9) reports nothing.
//!
//! The lenient policy models 8.2's `SchemaDiff` with `COMPATIBLE_CHANGES_LENIENT`: its
//! compatible set, the required/optional property added to an open content model types,
//! `unevaluatedProperties`/`unevaluatedItems`, `minContains`/`maxContains`, `connect.type`
//! bytes, numeric `multipleOf`, and its memoization of compared pairs (`memo`).
//!
//! The module is pure: no I/O, bounded recursion and work, no panics on any input.

mod content;
mod diff;
mod difference;
mod javahash;
mod load;
mod memo;
mod model;
mod refs;
mod sets;

#[cfg(test)]
mod rules_tests;
#[cfg(test)]
mod tests;

use crate::schema::Dependency;
use model::Model;

/// How a failure of the check itself is reported (as the Avro checker does).
const EXCEPTION_PREFIX: &str = "Unexpected exception during compatibility check: ";

/// A JSON schema loaded once (with the schemas it references), to be compared with any number
/// of others; a load error is kept and reported by each comparison.
#[derive(Debug)]
pub struct PreparedJson {
    model: Result<Model, String>,
}

/// Parses (leniently: input already validated) `text`, with the schemas it references
/// (`$ref`s like "customer.json" resolve by the dependency's name; transitive references are
/// all in the slice, flat), into the model the diff works on.
pub fn prepare(text: &str, refs: &[Dependency]) -> PreparedJson {
    PreparedJson {
        model: load::load(text, refs),
    }
}

/// Confluent's messages for the change from `writer` (original) to `reader` (update), as
/// `JsonSchema.isBackwardCompatible(previous)` produces them; empty = compatible.
/// `reader_is_new`: true for BACKWARD (the reader is the new schema: "new schema ... old
/// schema"), false for FORWARD (the reader is the old schema: the words are swapped).
/// `lenient`: Confluent 8.2's `CompatibilityPolicy.LENIENT`; false = the 7.9 behaviour.
pub fn compare(
    reader: &PreparedJson,
    writer: &PreparedJson,
    reader_is_new: bool,
    lenient: bool,
) -> Vec<String> {
    let update = match &reader.model {
        Ok(m) => m,
        Err(e) => return vec![format!("{EXCEPTION_PREFIX}{e}")],
    };
    let original = match &writer.model {
        Ok(m) => m,
        Err(e) => return vec![format!("{EXCEPTION_PREFIX}{e}")],
    };
    let root = (
        diff::At {
            side: 0,
            id: original.root,
        },
        diff::At {
            side: 1,
            id: update.root,
        },
    );
    let mut differ = diff::Differ::new(original, update, lenient);
    let out = if lenient {
        differ.fixpoint(root.0, root.1)
    } else {
        let mut out = Vec::new();
        differ.compare(&mut out, Some(root.0), Some(root.1));
        out
    };
    if let Some(e) = differ.error {
        return vec![format!("{EXCEPTION_PREFIX}{e}")];
    }
    let (first, second) = if reader_is_new {
        ("new", "old")
    } else {
        ("old", "new")
    };
    out.iter().map(|d| d.render(first, second)).collect()
}
