//! JSON as Jackson reads and writes it: the tree model (`Json`, with Jackson's number node
//! kinds), the reader (comments allowed, duplicate keys: last value at the first position, nesting
//! up to 512 levels, Jackson's error texts) and the writer (Jackson's escaping, Java's number
//! layout). Shared by the schema formats that are JSON documents (Avro today, JSON Schema next).

mod read;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use read::{java_parse_double, JsonReader, MAX_JSON_DEPTH};
pub(crate) use write::{write_json, write_json_str};

use std::cmp::Ordering;

/// A JSON reading (or number parsing) error: its Display is Jackson's (or Java's) message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

/// JSON values as Jackson's tree model holds them.
#[derive(Debug, Clone)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// `IntNode`: an integer that fits in 32 bits.
    Int(i32),
    /// `LongNode`: an integer that fits in 64 bits but not 32.
    Long(i64),
    /// `BigIntegerNode`: the decimal digits of a larger integer.
    BigInt(String),
    /// `DoubleNode`: any number with a fraction or an exponent.
    Double(f64),
    /// `DecimalNode`: a number with a fraction or an exponent read with
    /// `USE_BIG_DECIMAL_FOR_FLOATS` (JSON Schema), as Java's `BigDecimal.toString` prints it.
    Decimal(String),
    /// `FloatNode`: only produced by normalization (Java `Float` values).
    Float(f32),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Jackson `textValue()`: the string of a text node, else null.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_number(&self) -> bool {
        matches!(
            self,
            Json::Int(_)
                | Json::Long(_)
                | Json::BigInt(_)
                | Json::Double(_)
                | Json::Decimal(_)
                | Json::Float(_)
        )
    }

    /// Jackson `JsonNode.toString()`.
    pub(crate) fn to_json_string(&self) -> String {
        let mut s = String::new();
        write_json(&mut s, self);
        s
    }
}

/// Java `String.compareTo`: UTF-16 code unit order.
pub(crate) fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}
