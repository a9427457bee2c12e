//! JSON Schema compatibility (placeholder until the checker lands): every pair is reported
//! as not checkable.

use crate::schema::Dependency;

pub struct PreparedJson;

pub fn prepare(_text: &str, _refs: &[Dependency]) -> PreparedJson {
    PreparedJson
}

pub fn compare(
    _reader: &PreparedJson,
    _writer: &PreparedJson,
    _reader_is_new: bool,
    _lenient: bool,
) -> Vec<String> {
    vec!["JSON Schema compatibility is not implemented yet".to_string()]
}
