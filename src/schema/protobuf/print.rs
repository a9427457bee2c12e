//! The model → Confluent's `.proto` text (`ProtobufSchemaUtils.toString`/`toFormattedString`).

use super::model::ProtoFile;

/// Confluent's text of a file: `normalize` for the `normalize=true` form, `ignore_extensions`
/// for `format=ignore_extensions`.
pub fn print(_file: &ProtoFile, _normalize: bool, _ignore_extensions: bool) -> String {
    String::new()
}
