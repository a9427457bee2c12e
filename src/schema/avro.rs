//! Avro schema parsing, validation and canonical text, as Confluent Schema Registry 7.9 does it.
//!
//! Confluent parses Avro schemas with Apache Avro 1.11's Java `Schema.Parser` and stores
//! `Schema.toString()` of the result; `normalize=true` stores the `toString()` of the schema
//! re-parsed from the text `AvroSchemaUtils.toNormalizedString()` produces. This module
//! reimplements that behaviour (structure checks, error texts, name resolution, default
//! validation, Jackson's JSON reading and writing) without any Java code.
//!
//! Notes on Confluent's use of the `strict` flag (Java's `validateDefaults`): Confluent 7.9 with
//! its default configuration validates field defaults only when the schema is new *and*
//! `normalize=true` was requested (or `avro.validate.defaults=true` is configured). Names are
//! always validated, whatever the flag.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// Maximum nesting of schemas (record → field type → …, array items, map values, union branches).
pub const MAX_DEPTH: usize = 64;
/// Maximum nesting of JSON arrays/objects accepted by the JSON reader.
const MAX_JSON_DEPTH: usize = 512;
/// Maximum nesting while writing schemas back to text (names printed in full in error messages
/// can nest deeper than the parse did).
const MAX_PRINT_DEPTH: usize = MAX_DEPTH * 8;

/// Result of parsing one Avro schema (plus the schemas it references).
#[derive(Debug, Clone)]
pub struct ParsedAvro {
    /// Java `Schema.toString()` text: what Confluent stores and returns for this schema.
    pub canonical: String,
    /// Confluent's `normalize=true` text of the same schema.
    pub normalized: String,
    /// Full names of the named types this schema defines (not those of its references).
    pub defined_names: Vec<String>,
}

/// The error's Display is exactly the text Confluent puts after `details: ` in its 42201 message,
/// e.g. `Record has no fields: {"type":"record","name":"X"}`, `Schema not yet supported: 42`,
/// `Invalid default for field f: "1" not a "int"`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AvroError(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, AvroError> {
    Err(AvroError(msg.into()))
}

/// `schema`: the schema text as the client sent it. `references`: the texts of the referenced schemas,
/// already in dependency order (a schema appears after the ones it references); their named types are
/// known to the parse of `schema` (Confluent parses them first into the same Avro `Schema.Parser`).
/// `strict`: true for new schemas submitted by clients (Confluent validates defaults and names);
/// false for schemas re-read from storage (must accept old lax schemas: no default validation, lenient names).
///
/// `strict` switches Java's `validateDefaults`. Name validation is on in both modes, as in
/// Confluent (its `Schema.Parser` always validates names). If only the normalized form fails
/// (a few Confluent quirks, see `normalize`), a strict parse fails with that error, a lax parse
/// falls back to `normalized == canonical`.
pub fn parse(schema: &str, references: &[&str], strict: bool) -> Result<ParsedAvro, AvroError> {
    let mut ctx = Ctx::new(strict);
    let mut ref_tops: Vec<String> = Vec::new();
    for r in references {
        let sid = ctx.parse_text(r)?;
        if let Some(n) = ctx.node(sid)?.name.as_ref() {
            ref_tops.push(n.full.clone());
        }
    }
    let base = ctx.clone();
    let before = ctx.order.len();
    let main = ctx.parse_text(schema)?;
    let defined_names = ctx.order.get(before..).unwrap_or_default().to_vec();
    let canonical = ctx.to_string_known(main, &ref_tops)?;
    let normalized = match normalize(&ctx, main, &ref_tops, base) {
        Ok(s) => s,
        Err(e) if strict => return Err(e),
        Err(_) => canonical.clone(),
    };
    Ok(ParsedAvro {
        canonical,
        normalized,
        defined_names,
    })
}

/// Reads JSON text as the schema parser does (Jackson's rules, nesting up to 512 levels) into a
/// `serde_json::Value`, for the compatibility checker: it must read every schema this parser
/// accepts, and `serde_json::from_str` stops at 128 levels of nesting (reached by about 43
/// nested records, or by a deeply nested custom property). Integers beyond 64 bits become
/// floats.
pub(crate) fn read_json(text: &str) -> Result<serde_json::Value, AvroError> {
    let mut reader = JsonReader::new(text);
    let Some(json) = reader.root()? else {
        return fail("Cannot parse <null> schema");
    };
    let rest = text
        .get(reader.i..)
        .unwrap_or("")
        .trim_matches(|c: char| c <= ' ');
    if !rest.is_empty() {
        return fail(format!("dangling content after end of schema: {rest}"));
    }
    Ok(json.to_serde())
}

/// Confluent's `AvroSchema.normalize()`: build the normalized text, parse it again (with the same
/// references and the same default validation) and print it.
fn normalize(ctx: &Ctx, main: usize, ref_tops: &[String], base: Ctx) -> Result<String, AvroError> {
    let mut nz = Normalizer {
        ctx,
        env: ref_tops.iter().cloned().collect(),
        out: String::new(),
    };
    nz.build(main, 0)?;
    let text = nz.out;
    let mut again = base;
    let sid = again.parse_text(&text)?;
    again.to_string_known(sid, ref_tops)
}

// ---------------------------------------------------------------------------------------------
// JSON values as Jackson's tree model holds them
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Json {
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
    /// `FloatNode`: only produced by normalization (Java `Float` values).
    Float(f32),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Jackson `textValue()`: the string of a text node, else null.
    fn text(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        matches!(
            self,
            Json::Int(_) | Json::Long(_) | Json::BigInt(_) | Json::Double(_) | Json::Float(_)
        )
    }

    /// Jackson `JsonNode.toString()`.
    fn to_json_string(&self) -> String {
        let mut s = String::new();
        write_json(&mut s, self);
        s
    }

    /// The same value as a `serde_json::Value` (numbers that do not fit become null).
    fn to_serde(&self) -> serde_json::Value {
        use serde_json::{Number, Value};
        let float = |f: f64| Number::from_f64(f).map_or(Value::Null, Value::Number);
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Long(l) => Value::from(*l),
            Json::BigInt(digits) => float(digits.parse::<f64>().unwrap_or(f64::NAN)),
            Json::Double(d) => float(*d),
            Json::Float(f) => float(f64::from(*f)),
            Json::Str(s) => Value::String(s.clone()),
            Json::Arr(items) => Value::Array(items.iter().map(Json::to_serde).collect()),
            Json::Obj(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect())
            }
        }
    }
}

/// Java `String.compareTo`: UTF-16 code unit order.
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

// ---------------------------------------------------------------------------------------------
// JSON writing as Jackson's generator does it
// ---------------------------------------------------------------------------------------------

fn write_json(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => out.push_str(&i.to_string()),
        Json::Long(i) => out.push_str(&i.to_string()),
        Json::BigInt(s) => out.push_str(s),
        Json::Double(d) => {
            if d.is_finite() {
                out.push_str(&java_double(*d));
            } else {
                write_json_str(out, &java_double(*d));
            }
        }
        Json::Float(f) => {
            if f.is_finite() {
                out.push_str(&java_float(*f));
            } else {
                write_json_str(out, &java_float(*f));
            }
        }
        Json::Str(s) => write_json_str(out, s),
        Json::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, x);
            }
            out.push(']');
        }
        Json::Obj(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_json(out, x);
            }
            out.push('}');
        }
    }
}

/// A JSON string with Jackson's escaping: `"`, `\`, and control characters; everything else raw.
fn write_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let n = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[(n >> 4) & 0xF]));
                out.push(char::from(HEX[n & 0xF]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Java `Double.toString` (shortest digits, Java's layout).
fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    java_layout(v < 0.0, &format!("{:e}", v.abs()))
}

/// Java `Float.toString`.
fn java_float(v: f32) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    java_layout(v < 0.0, &format!("{:e}", v.abs()))
}

/// Lays out Rust's shortest scientific form (`1.2345e-5`) the way Java's `toString` does:
/// plain decimal for 1e-3 <= |v| < 1e7, otherwise `d.dddE±n`.
fn java_layout(neg: bool, sci: &str) -> String {
    let (mant, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = usize::try_from(exp).unwrap_or(0) + 1;
            if digits.len() > int_len {
                out.push_str(digits.get(..int_len).unwrap_or("0"));
                out.push('.');
                out.push_str(digits.get(int_len..).unwrap_or("0"));
            } else {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        }
    } else {
        out.push_str(digits.get(..1).unwrap_or("0"));
        out.push('.');
        match digits.get(1..) {
            Some(rest) if !rest.is_empty() => out.push_str(rest),
            _ => out.push('0'),
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// Java `Double.valueOf(String)` for the decimal forms (used for textual float/double defaults).
fn java_parse_double(s: &str) -> Result<f64, AvroError> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let bad = || AvroError(format!("For input string: \"{t}\""));
    if t.is_empty() {
        return fail("empty String");
    }
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..).unwrap_or("")),
        Some(b'+') => (false, t.get(1..).unwrap_or("")),
        _ => (false, t),
    };
    let value = if body == "NaN" {
        f64::NAN
    } else if body == "Infinity" {
        f64::INFINITY
    } else {
        let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
        // Decimal grammar: digits [. digits] [(e|E) [+-] digits], at least one mantissa digit.
        let b = body.as_bytes();
        let mut i = 0;
        let mut mant_digits = 0;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            mant_digits += 1;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
                mant_digits += 1;
            }
        }
        if mant_digits == 0 {
            return Err(bad());
        }
        if matches!(b.get(i), Some(b'e') | Some(b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+') | Some(b'-')) {
                i += 1;
            }
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return Err(bad());
            }
        }
        if i != b.len() {
            return Err(bad());
        }
        body.parse::<f64>().map_err(|_| bad())?
    };
    Ok(if neg { -value } else { value })
}

// ---------------------------------------------------------------------------------------------
// JSON reading as Jackson does it (comments allowed, duplicate keys: last value, first position)
// ---------------------------------------------------------------------------------------------

struct JsonReader<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
}

fn describe_char(c: char) -> String {
    if (c as u32) < 0x20 {
        format!("(CTRL-CHAR, code {})", c as u32)
    } else {
        format!("'{}' (code {})", c, c as u32)
    }
}

impl<'a> JsonReader<'a> {
    fn new(src: &'a str) -> Self {
        JsonReader {
            src,
            b: src.as_bytes(),
            i: 0,
        }
    }

    fn err(&self, msg: impl std::fmt::Display) -> AvroError {
        let upto = self.src.get(..self.i).unwrap_or(self.src);
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        AvroError(format!(
            "com.fasterxml.jackson.core.JsonParseException: {msg}\n at [Source: REDACTED \
             (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {col}]"
        ))
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.i..).and_then(|s| s.chars().next())
    }

    /// Skips white space and comments.
    fn skip_ws(&mut self) -> Result<(), AvroError> {
        loop {
            match self.b.get(self.i) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                Some(b'/') => match self.b.get(self.i + 1) {
                    Some(b'*') => {
                        self.i += 2;
                        loop {
                            match self.b.get(self.i) {
                                None => return Err(self.err("Unexpected end-of-input in a comment")),
                                Some(b'*') if self.b.get(self.i + 1) == Some(&b'/') => {
                                    self.i += 2;
                                    break;
                                }
                                Some(_) => self.i += 1,
                            }
                        }
                    }
                    Some(b'/') => {
                        self.i += 2;
                        while let Some(&c) = self.b.get(self.i) {
                            if c == b'\n' || c == b'\r' {
                                break;
                            }
                            self.i += 1;
                        }
                    }
                    _ => {
                        self.i += 1;
                        let c = self.peek_char();
                        return Err(match c {
                            Some(c) => self.err(format!(
                                "Unexpected character ({}): was expecting either '*' or '/' for a comment",
                                describe_char(c)
                            )),
                            None => self.err("Unexpected end-of-input in a comment"),
                        });
                    }
                },
                Some(&c) if c < 0x20 => {
                    return Err(self.err(format!(
                        "Illegal character ({}): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                        describe_char(char::from(c))
                    )))
                }
                _ => return Ok(()),
            }
        }
    }

    /// Reads the root value; `None` when the text holds no value at all.
    fn root(&mut self) -> Result<Option<Json>, AvroError> {
        self.skip_ws()?;
        if self.i >= self.b.len() {
            return Ok(None);
        }
        self.value(1).map(Some)
    }

    fn value(&mut self, depth: usize) -> Result<Json, AvroError> {
        let Some(c) = self.peek_char() else {
            return Err(self.err("Unexpected end-of-input: expected a value"));
        };
        match c {
            '{' => self.object(depth),
            '[' => self.array(depth),
            '"' => {
                self.i += 1;
                self.string().map(Json::Str)
            }
            '-' | '0'..='9' => self.number(),
            c if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.i += 1;
                }
                let tok = self.src.get(start..self.i).unwrap_or("");
                match tok {
                    "true" => Ok(Json::Bool(true)),
                    "false" => Ok(Json::Bool(false)),
                    "null" => Ok(Json::Null),
                    _ => Err(self.err(format!(
                        "Unrecognized token '{tok}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
                    ))),
                }
            }
            c => Err(self.err(format!(
                "Unexpected character ({}): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                describe_char(c)
            ))),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, AvroError> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.err(format!(
                "Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_JSON_DEPTH})"
            )));
        }
        self.i += 1;
        let mut entries: Vec<(String, Json)> = Vec::new();
        // Duplicate keys: linear search while small, a hash index once the object grows.
        let mut index: Option<HashMap<String, usize>> = None;
        self.skip_ws()?;
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Json::Obj(entries));
        }
        loop {
            match self.peek_char() {
                Some('"') => self.i += 1,
                Some(c) => {
                    return Err(self.err(format!(
                        "Unexpected character ({}): was expecting double-quote to start field name",
                        describe_char(c)
                    )))
                }
                None => {
                    return Err(self.err("Unexpected end-of-input within/between Object entries"))
                }
            }
            let key = self.string()?;
            self.skip_ws()?;
            match self.peek_char() {
                Some(':') => self.i += 1,
                Some(c) => {
                    return Err(self.err(format!(
                        "Unexpected character ({}): was expecting a colon to separate field name and value",
                        describe_char(c)
                    )))
                }
                None => return Err(self.err("Unexpected end-of-input within/between Object entries")),
            }
            self.skip_ws()?;
            if self.i >= self.b.len() {
                return Err(self.err("Unexpected end-of-input within/between Object entries"));
            }
            let v = self.value(depth + 1)?;
            if index.is_none() && entries.len() >= 16 {
                index = Some(
                    entries
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i))
                        .collect(),
                );
            }
            let existing = match &index {
                Some(ix) => ix.get(&key).copied(),
                None => entries.iter().position(|(k, _)| *k == key),
            };
            match existing {
                Some(pos) => {
                    if let Some(slot) = entries.get_mut(pos) {
                        slot.1 = v;
                    }
                }
                None => {
                    if let Some(ix) = index.as_mut() {
                        ix.insert(key.clone(), entries.len());
                    }
                    entries.push((key, v));
                }
            }
            self.skip_ws()?;
            match self.peek_char() {
                Some(',') => {
                    self.i += 1;
                    self.skip_ws()?;
                }
                Some('}') => {
                    self.i += 1;
                    return Ok(Json::Obj(entries));
                }
                Some(c) => {
                    return Err(self.err(format!(
                        "Unexpected character ({}): was expecting comma to separate Object entries",
                        describe_char(c)
                    )))
                }
                None => {
                    return Err(
                        self.err("Unexpected end-of-input: expected close marker for Object")
                    )
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, AvroError> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.err(format!(
                "Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_JSON_DEPTH})"
            )));
        }
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Json::Arr(items));
        }
        loop {
            if self.i >= self.b.len() {
                return Err(self.err("Unexpected end-of-input: expected close marker for Array"));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek_char() {
                Some(',') => {
                    self.i += 1;
                    self.skip_ws()?;
                }
                Some(']') => {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                Some(c) => {
                    return Err(self.err(format!(
                        "Unexpected character ({}): was expecting comma to separate Array entries",
                        describe_char(c)
                    )))
                }
                None => {
                    return Err(self.err("Unexpected end-of-input: expected close marker for Array"))
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, AvroError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("Unexpected end-of-input in character escape sequence"));
            };
            let d = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'a'..=b'f' => u32::from(c - b'a') + 10,
                b'A'..=b'F' => u32::from(c - b'A') + 10,
                _ => {
                    return Err(self.err(format!(
                    "Unexpected character ({}): expected a hex-digit for character escape sequence",
                    describe_char(char::from(c))
                )))
                }
            };
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    /// Reads a string body; the opening quote has been consumed.
    fn string(&mut self) -> Result<String, AvroError> {
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.b.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(self.src.get(start..self.i).unwrap_or(""));
            match self.b.get(self.i) {
                None => {
                    return Err(self.err(
                        "Unexpected end-of-input: was expecting closing quote for a string value",
                    ))
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.err("Unexpected end-of-input in character escape sequence"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{08}'),
                        b'f' => out.push('\u{0C}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.b.get(self.i) == Some(&b'\\')
                                && self.b.get(self.i + 1) == Some(&b'u')
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                                } else {
                                    out.push('\u{FFFD}');
                                    self.i = save;
                                }
                            } else {
                                out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                            }
                        }
                        other => {
                            self.i -= 1;
                            let c = self.peek_char().unwrap_or(char::from(other));
                            return Err(self.err(format!(
                                "Unrecognized character escape {}",
                                describe_char(c)
                            )));
                        }
                    }
                }
                Some(&c) => {
                    return Err(self.err(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
                        describe_char(char::from(c))
                    )))
                }
            }
        }
    }

    fn number(&mut self) -> Result<Json, AvroError> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        match self.b.get(self.i) {
            Some(b'0'..=b'9') => {}
            Some(&c) => {
                return Err(self.err(format!(
                    "Unexpected character ({}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
                    describe_char(self.peek_char().unwrap_or(char::from(c)))
                )))
            }
            None => return Err(self.err("Unexpected end-of-input in numeric value")),
        }
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        if self.i - int_start > 1 && self.b.get(int_start) == Some(&b'0') {
            return Err(self.err("Invalid numeric value: Leading zeroes not allowed"));
        }
        let mut is_float = false;
        if self.b.get(self.i) == Some(&b'.') {
            is_float = true;
            self.i += 1;
            let s = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            if self.i == s {
                return Err(self.err(
                    "Unexpected character in numeric value: Decimal point not followed by a digit",
                ));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            is_float = true;
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let s = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            if self.i == s {
                return Err(self.err(
                    "Unexpected character in numeric value: Exponent indicator not followed by a digit",
                ));
            }
        }
        let text = self.src.get(start..self.i).unwrap_or("0");
        if is_float {
            return Ok(Json::Double(text.parse::<f64>().unwrap_or(0.0)));
        }
        if let Ok(v) = text.parse::<i64>() {
            return Ok(match i32::try_from(v) {
                Ok(i) => Json::Int(i),
                Err(_) => Json::Long(v),
            });
        }
        Ok(Json::BigInt(text.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// Schema model
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Record,
    Enum,
    Array,
    Map,
    Union,
    Fixed,
    String,
    Bytes,
    Int,
    Long,
    Float,
    Double,
    Boolean,
    Null,
}

impl Kind {
    /// Java `Schema.Type.getName()`.
    fn name(self) -> &'static str {
        match self {
            Kind::Record => "record",
            Kind::Enum => "enum",
            Kind::Array => "array",
            Kind::Map => "map",
            Kind::Union => "union",
            Kind::Fixed => "fixed",
            Kind::String => "string",
            Kind::Bytes => "bytes",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
        }
    }

    fn primitive(s: &str) -> Option<Kind> {
        Some(match s {
            "string" => Kind::String,
            "bytes" => Kind::Bytes,
            "int" => Kind::Int,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            _ => return None,
        })
    }

    fn is_type_name(s: &str) -> bool {
        matches!(
            s,
            "record"
                | "enum"
                | "array"
                | "map"
                | "union"
                | "fixed"
                | "string"
                | "bytes"
                | "int"
                | "long"
                | "float"
                | "double"
                | "boolean"
                | "null"
        )
    }
}

const SCHEMA_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
const ENUM_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
    "default",
];
const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

/// Java `Schema.Name`.
#[derive(Debug, Clone)]
struct Name {
    short: String,
    space: Option<String>,
    full: String,
}

/// Java `Schema.validateName` (letters and digits in Java's Unicode sense).
fn validate_name(name: &str) -> Result<(), AvroError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return fail("Empty name");
    };
    // Java works on UTF-16 units: a supplementary character is a surrogate, never a letter.
    if (first as u32) > 0xFFFF || !(first.is_alphabetic() || first == '_') {
        return fail(format!("Illegal initial character: {name}"));
    }
    for c in chars {
        if (c as u32) > 0xFFFF || !(c.is_alphanumeric() || c == '_') {
            return fail(format!("Illegal character in: {name}"));
        }
    }
    Ok(())
}

impl Name {
    fn new(name: &str, space: Option<&str>) -> Result<Name, AvroError> {
        let (short, space) = match name.rfind('.') {
            Some(dot) => (
                name.get(dot + 1..).unwrap_or(""),
                Some(name.get(..dot).unwrap_or("")),
            ),
            None => (name, space),
        };
        validate_name(short)?;
        let space = space.filter(|s| !s.is_empty()).map(str::to_string);
        let full = match &space {
            Some(s) => format!("{s}.{short}"),
            None => short.to_string(),
        };
        Ok(Name {
            short: short.to_string(),
            space,
            full,
        })
    }

    /// Java `Name.getQualified(defaultSpace)`.
    fn qualified(&self, default_space: Option<&str>) -> &str {
        match (&self.space, default_space) {
            (Some(s), Some(d)) if s == d && !Kind::is_type_name(&self.short) => &self.short,
            _ => &self.full,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Ascending,
    Descending,
    Ignore,
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    ty: usize,
    doc: Option<String>,
    default: Option<Json>,
    order: Order,
    aliases: Vec<String>,
    props: Vec<(String, Json)>,
}

#[derive(Debug, Clone)]
enum Logical {
    Decimal { precision: i32, scale: i32 },
    Simple(&'static str),
}

#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    name: Option<Name>,
    doc: Option<String>,
    aliases: Vec<Name>,
    props: Vec<(String, Json)>,
    logical: Option<Logical>,
    is_error: bool,
    /// Record fields; `None` while the record is being parsed (Java: "fields not set yet").
    fields: Option<Vec<Field>>,
    symbols: Vec<String>,
    enum_default: Option<String>,
    size: i32,
    /// Array items, map values (one element) or union branches.
    children: Vec<usize>,
}

impl Node {
    fn new(kind: Kind) -> Node {
        Node {
            kind,
            name: None,
            doc: None,
            aliases: Vec::new(),
            props: Vec::new(),
            logical: None,
            is_error: false,
            fields: None,
            symbols: Vec::new(),
            enum_default: None,
            size: 0,
            children: Vec::new(),
        }
    }

    /// Java `getFullName()`.
    fn full_name(&self) -> &str {
        match &self.name {
            Some(n) => &n.full,
            None => self.kind.name(),
        }
    }
}

/// `LogicalTypes.fromSchemaIgnoreInvalid` for the logical types Avro 1.11 knows.
fn logical_of(node: &Node) -> Option<Logical> {
    let lt = node
        .props
        .iter()
        .find(|(k, _)| k == "logicalType")
        .and_then(|(_, v)| v.text())?;
    let prop = |key: &str| node.props.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    // `LogicalType.validate`: these Java-specific string props rule out any logical type.
    let incompatible = [
        "avro.java.string",
        "java-class",
        "java-key-class",
        "java-element-class",
    ];
    if incompatible
        .iter()
        .any(|p| prop(p).and_then(Json::text).is_some())
    {
        return None;
    }
    let simple =
        |name: &'static str, kind: Kind| (node.kind == kind).then_some(Logical::Simple(name));
    match lt {
        "decimal" => {
            let precision = match prop("precision")? {
                Json::Int(p) => *p,
                _ => return None,
            };
            let scale = match prop("scale") {
                None => 0,
                Some(Json::Int(s)) => *s,
                Some(_) => return None,
            };
            let max_precision: i64 = match node.kind {
                Kind::Bytes => i64::from(i32::MAX),
                Kind::Fixed => {
                    let bits = 8.0 * f64::from(node.size) - 1.0;
                    (2f64.log10() * bits).floor().round() as i64
                }
                _ => return None,
            };
            if precision <= 0
                || i64::from(precision) > max_precision
                || scale < 0
                || scale > precision
            {
                return None;
            }
            Some(Logical::Decimal { precision, scale })
        }
        "uuid" => simple("uuid", Kind::String),
        "date" => simple("date", Kind::Int),
        "time-millis" => simple("time-millis", Kind::Int),
        "time-micros" => simple("time-micros", Kind::Long),
        "timestamp-millis" => simple("timestamp-millis", Kind::Long),
        "timestamp-micros" => simple("timestamp-micros", Kind::Long),
        "local-timestamp-millis" => simple("local-timestamp-millis", Kind::Long),
        "local-timestamp-micros" => simple("local-timestamp-micros", Kind::Long),
        _ => None,
    }
}

fn required_text(j: &Json, key: &str, msg: &str) -> Result<String, AvroError> {
    match j.get(key).and_then(Json::text) {
        Some(s) => Ok(s.to_string()),
        None => fail(format!("{msg}: {}", j.to_json_string())),
    }
}

fn optional_text(j: &Json, key: &str) -> Option<String> {
    j.get(key).and_then(Json::text).map(str::to_string)
}

/// Java `Schema.parseAliases`.
fn parse_aliases(node: &Json) -> Result<Option<Vec<String>>, AvroError> {
    match node.get("aliases") {
        None => Ok(None),
        Some(Json::Arr(items)) => {
            let mut out: Vec<String> = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for a in items {
                match a {
                    Json::Str(s) => {
                        if seen.insert(s) {
                            out.push(s.clone());
                        }
                    }
                    other => {
                        return fail(format!("alias not a string: {}", other.to_json_string()))
                    }
                }
            }
            Ok(Some(out))
        }
        Some(_) => fail(format!("aliases not an array: {}", node.to_json_string())),
    }
}

/// What a type name resolves to (Java `Names.get(String)`).
enum Target {
    Prim(Kind),
    Named(usize),
}

/// One Java `Schema.Parser`: the named types known so far and the current namespace.
#[derive(Debug, Clone)]
struct Ctx {
    nodes: Vec<Node>,
    names: HashMap<String, usize>,
    /// Full names in definition order.
    order: Vec<String>,
    space: Option<String>,
    validate_defaults: bool,
}

impl Ctx {
    fn new(validate_defaults: bool) -> Ctx {
        Ctx {
            nodes: Vec::new(),
            names: HashMap::new(),
            order: Vec::new(),
            space: None,
            validate_defaults,
        }
    }

    fn node(&self, sid: usize) -> Result<&Node, AvroError> {
        self.nodes
            .get(sid)
            .ok_or_else(|| AvroError("internal error: unknown schema".to_string()))
    }

    fn node_mut(&mut self, sid: usize) -> Result<&mut Node, AvroError> {
        self.nodes
            .get_mut(sid)
            .ok_or_else(|| AvroError("internal error: unknown schema".to_string()))
    }

    fn kind(&self, sid: usize) -> Result<Kind, AvroError> {
        Ok(self.node(sid)?.kind)
    }

    fn alloc(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn add_name(&mut self, sid: usize) -> Result<(), AvroError> {
        let full = match &self.node(sid)?.name {
            Some(n) => n.full.clone(),
            None => return Ok(()),
        };
        if self.names.contains_key(&full) {
            return fail(format!("Can't redefine: {full}"));
        }
        self.names.insert(full.clone(), sid);
        self.order.push(full);
        Ok(())
    }

    fn lookup(&self, text: &str) -> Result<Option<Target>, AvroError> {
        if let Some(k) = Kind::primitive(text) {
            return Ok(Some(Target::Prim(k)));
        }
        let n = Name::new(text, self.space.as_deref())?;
        if let Some(&sid) = self.names.get(&n.full) {
            return Ok(Some(Target::Named(sid)));
        }
        let n = Name::new(text, None)?;
        Ok(self.names.get(&n.full).map(|&sid| Target::Named(sid)))
    }

    /// `Schema.Parser.parse(String)`: JSON reading, schema parsing, dangling content check.
    fn parse_text(&mut self, text: &str) -> Result<usize, AvroError> {
        let mut reader = JsonReader::new(text);
        let Some(json) = reader.root()? else {
            return fail("Cannot parse <null> schema");
        };
        let sid = self.parse_schema(&json, 1)?;
        let rest = text
            .get(reader.i..)
            .unwrap_or("")
            .trim_matches(|c: char| c <= ' ');
        if !rest.is_empty() {
            return fail(format!("dangling content after end of schema: {rest}"));
        }
        Ok(sid)
    }

    fn parse_schema(&mut self, j: &Json, depth: usize) -> Result<usize, AvroError> {
        if depth > MAX_DEPTH {
            return fail(format!(
                "Schema nesting depth exceeds the maximum of {MAX_DEPTH} levels"
            ));
        }
        match j {
            Json::Str(s) => match self.lookup(s)? {
                Some(Target::Prim(k)) => Ok(self.alloc(Node::new(k))),
                Some(Target::Named(sid)) => Ok(sid),
                None => fail(format!("Undefined name: {}", j.to_json_string())),
            },
            Json::Obj(_) => self.parse_object(j, depth),
            Json::Arr(items) => {
                let mut types = Vec::with_capacity(items.len());
                for t in items {
                    types.push(self.parse_schema(t, depth + 1)?);
                }
                let mut node = Node::new(Kind::Union);
                node.children = types.clone();
                let sid = self.alloc(node);
                let mut seen: HashSet<String> = HashSet::new();
                for t in types {
                    let n = self.node(t)?;
                    if n.kind == Kind::Union {
                        return fail(format!("Nested union: {}", self.to_string_fresh(sid)?));
                    }
                    let full = n.full_name().to_string();
                    if !seen.insert(full.clone()) {
                        return fail(format!("Duplicate in union:{full}"));
                    }
                }
                Ok(sid)
            }
            other => fail(format!(
                "Schema not yet supported: {}",
                other.to_json_string()
            )),
        }
    }

    fn check_primitive_name(name: &Name) -> Result<(), AvroError> {
        if Kind::primitive(&name.full).is_some() {
            return fail(format!(
                "Schemas may not be named after primitives: {}",
                name.full
            ));
        }
        Ok(())
    }

    fn parse_object(&mut self, j: &Json, depth: usize) -> Result<usize, AvroError> {
        let ty = required_text(j, "type", "No type")?;
        let is_error = ty == "error";
        let is_record = ty == "record";
        let is_enum = ty == "enum";
        let is_fixed = ty == "fixed";
        let is_named = is_record || is_error || is_enum || is_fixed;
        let saved_space = self.space.clone();
        let mut name: Option<Name> = None;
        let mut doc: Option<String> = None;
        if is_named {
            let space = optional_text(j, "namespace").or_else(|| saved_space.clone());
            doc = optional_text(j, "doc");
            let n = required_text(j, "name", "No name in schema")?;
            let n = Name::new(&n, space.as_deref())?;
            self.space = n.space.clone();
            name = Some(n);
        }
        let sid = if let Some(k) = Kind::primitive(&ty) {
            self.alloc(Node::new(k))
        } else if is_record || is_error {
            let Some(nm) = name.clone() else {
                return fail(format!("No name in schema: {}", j.to_json_string()));
            };
            Self::check_primitive_name(&nm)?;
            let mut node = Node::new(Kind::Record);
            node.name = Some(nm);
            node.doc = doc;
            node.is_error = is_error;
            let sid = self.alloc(node);
            self.add_name(sid)?;
            let Some(Json::Arr(field_nodes)) = j.get("fields") else {
                return fail(format!("Record has no fields: {}", j.to_json_string()));
            };
            let mut fields = Vec::with_capacity(field_nodes.len());
            for f in field_nodes {
                fields.push(self.parse_field(f, depth)?);
            }
            self.set_fields(sid, fields)?;
            sid
        } else if is_enum {
            let Some(nm) = name.clone() else {
                return fail(format!("No name in schema: {}", j.to_json_string()));
            };
            let Some(Json::Arr(symbol_nodes)) = j.get("symbols") else {
                return fail(format!("Enum has no symbols: {}", j.to_json_string()));
            };
            let default = j.get("default").and_then(Json::text).map(str::to_string);
            Self::check_primitive_name(&nm)?;
            let mut symbols: Vec<String> = Vec::with_capacity(symbol_nodes.len());
            let mut seen: HashSet<&str> = HashSet::new();
            for s in symbol_nodes {
                let Some(s) = s.text() else {
                    return fail("Null name");
                };
                validate_name(s)?;
                if !seen.insert(s) {
                    return fail(format!("Duplicate enum symbol: {s}"));
                }
                symbols.push(s.to_string());
            }
            if let Some(d) = &default {
                if !symbols.contains(d) {
                    return fail(format!(
                        "The Enum Default: {d} is not in the enum symbol set: [{}]",
                        symbols.join(", ")
                    ));
                }
            }
            let mut node = Node::new(Kind::Enum);
            node.name = Some(nm);
            node.doc = doc;
            node.symbols = symbols;
            node.enum_default = default;
            let sid = self.alloc(node);
            self.add_name(sid)?;
            sid
        } else if ty == "array" {
            let Some(items) = j.get("items") else {
                return fail(format!("Array has no items type: {}", j.to_json_string()));
            };
            let child = self.parse_schema(items, depth + 1)?;
            let mut node = Node::new(Kind::Array);
            node.children.push(child);
            self.alloc(node)
        } else if ty == "map" {
            let Some(values) = j.get("values") else {
                return fail(format!("Map has no values type: {}", j.to_json_string()));
            };
            let child = self.parse_schema(values, depth + 1)?;
            let mut node = Node::new(Kind::Map);
            node.children.push(child);
            self.alloc(node)
        } else if is_fixed {
            let Some(nm) = name.clone() else {
                return fail(format!("No name in schema: {}", j.to_json_string()));
            };
            let size = match j.get("size") {
                Some(Json::Int(n)) => *n,
                _ => return fail(format!("Invalid or no size: {}", j.to_json_string())),
            };
            Self::check_primitive_name(&nm)?;
            if size < 0 {
                return fail(format!("Malformed data. Length is negative: {size}"));
            }
            if size > i32::MAX - 8 {
                return fail(format!(
                    "Cannot read arrays longer than {} bytes in Java library",
                    i32::MAX - 8
                ));
            }
            let mut node = Node::new(Kind::Fixed);
            node.name = Some(nm);
            node.doc = doc;
            node.size = size;
            let sid = self.alloc(node);
            self.add_name(sid)?;
            sid
        } else {
            let n = Name::new(&ty, self.space.as_deref())?;
            if let Some(&sid) = self.names.get(&n.full) {
                return Ok(sid);
            }
            return fail(format!("Type not supported: {ty}"));
        };
        let reserved = if is_enum {
            ENUM_RESERVED
        } else {
            SCHEMA_RESERVED
        };
        let mut props = Vec::new();
        if let Json::Obj(m) = j {
            for (k, v) in m {
                if !reserved.contains(&k.as_str()) {
                    props.push((k.clone(), v.clone()));
                }
            }
        }
        {
            let node = self.node_mut(sid)?;
            node.props = props;
            node.logical = logical_of(node);
        }
        self.space = saved_space;
        if is_named {
            if let Some(aliases) = parse_aliases(j)? {
                let own_space = self.node(sid)?.name.as_ref().and_then(|n| n.space.clone());
                let mut names: Vec<Name> = Vec::new();
                let mut seen: HashSet<String> = HashSet::new();
                for a in aliases {
                    let n = Name::new(&a, own_space.as_deref())?;
                    if seen.insert(n.full.clone()) {
                        names.push(n);
                    }
                }
                self.node_mut(sid)?.aliases = names;
            }
        }
        Ok(sid)
    }

    fn parse_field(&mut self, f: &Json, depth: usize) -> Result<Field, AvroError> {
        let fname = required_text(f, "name", "No field name")?;
        let fdoc = optional_text(f, "doc");
        let Some(ftype) = f.get("type") else {
            return fail(format!("No field type: {}", f.to_json_string()));
        };
        if let Json::Str(t) = ftype {
            if self.lookup(t)?.is_none() {
                return fail(format!(
                    "{} is not a defined name. The type of the \"{fname}\" field must be a defined name or a {{\"type\": ...}} expression.",
                    ftype.to_json_string()
                ));
            }
        }
        let fsid = self.parse_schema(ftype, depth + 1)?;
        let order = match f.get("order") {
            None => Order::Ascending,
            Some(o) => match o.text() {
                None => return fail(
                    "Cannot invoke \"String.toUpperCase(java.util.Locale)\" because the return value of \"com.fasterxml.jackson.databind.JsonNode.textValue()\" is null",
                ),
                Some(t) => match t.to_uppercase().as_str() {
                    "ASCENDING" => Order::Ascending,
                    "DESCENDING" => Order::Descending,
                    "IGNORE" => Order::Ignore,
                    other => {
                        return fail(format!(
                            "No enum constant org.apache.avro.Schema.Field.Order.{other}"
                        ))
                    }
                },
            },
        };
        let mut default = f.get("default").cloned();
        if let Some(Json::Str(t)) = &default {
            if matches!(self.kind(fsid)?, Kind::Float | Kind::Double) {
                default = Some(Json::Double(java_parse_double(t)?));
            }
        }
        validate_name(&fname)?;
        if self.validate_defaults {
            if let Some(d) = &default {
                if !self.is_valid_default(fsid, d, 0)? {
                    return fail(format!(
                        "Invalid default for field {fname}: {} not a {}",
                        d.to_json_string(),
                        self.to_string_fresh(fsid)?
                    ));
                }
            }
        }
        let mut props = Vec::new();
        if let Json::Obj(m) = f {
            for (k, v) in m {
                if !FIELD_RESERVED.contains(&k.as_str()) {
                    props.push((k.clone(), v.clone()));
                }
            }
        }
        let aliases = parse_aliases(f)?.unwrap_or_default();
        Ok(Field {
            name: fname,
            ty: fsid,
            doc: fdoc,
            default,
            order,
            aliases,
            props,
        })
    }

    fn set_fields(&mut self, sid: usize, fields: Vec<Field>) -> Result<(), AvroError> {
        let record = self
            .node(sid)?
            .name
            .as_ref()
            .map(|n| n.full.clone())
            .unwrap_or_default();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (pos, f) in fields.iter().enumerate() {
            if let Some(&prev) = seen.get(f.name.as_str()) {
                let describe = |f: &Field, pos: usize| -> Result<String, AvroError> {
                    Ok(format!(
                        "{} type:{} pos:{pos}",
                        f.name,
                        self.kind(f.ty)?.name().to_uppercase()
                    ))
                };
                let existing = fields.get(prev).map(|e| describe(e, prev)).transpose()?;
                return fail(format!(
                    "Duplicate field {} in record {record}: {} and {}.",
                    f.name,
                    describe(f, pos)?,
                    existing.unwrap_or_default()
                ));
            }
            seen.insert(&f.name, pos);
        }
        self.node_mut(sid)?.fields = Some(fields);
        Ok(())
    }

    /// Java 1.11 `Schema.isValidDefault` (unions: the first branch only).
    fn is_valid_default(&self, sid: usize, v: &Json, depth: usize) -> Result<bool, AvroError> {
        if depth > MAX_JSON_DEPTH {
            return fail("Default value nested too deeply");
        }
        let node = self.node(sid)?;
        Ok(match node.kind {
            Kind::String | Kind::Bytes | Kind::Enum | Kind::Fixed => matches!(v, Json::Str(_)),
            Kind::Int => matches!(v, Json::Int(_)),
            Kind::Long => matches!(v, Json::Int(_) | Json::Long(_)),
            Kind::Float | Kind::Double => v.is_number(),
            Kind::Boolean => matches!(v, Json::Bool(_)),
            Kind::Null => matches!(v, Json::Null),
            Kind::Array => match (v, node.children.first()) {
                (Json::Arr(items), Some(&elem)) => {
                    for x in items {
                        if !self.is_valid_default(elem, x, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            Kind::Map => match (v, node.children.first()) {
                (Json::Obj(m), Some(&val)) => {
                    for (_, x) in m {
                        if !self.is_valid_default(val, x, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            Kind::Union => match node.children.first() {
                Some(&first) => self.is_valid_default(first, v, depth + 1)?,
                None => return fail("Index 0 out of bounds for length 0"),
            },
            Kind::Record => {
                if !matches!(v, Json::Obj(_)) {
                    return Ok(false);
                }
                let Some(fields) = &node.fields else {
                    return fail("Schema fields not set yet");
                };
                for f in fields {
                    let value = v.get(&f.name).or(f.default.as_ref());
                    match value {
                        Some(x) => {
                            if !self.is_valid_default(f.ty, x, depth + 1)? {
                                return Ok(false);
                            }
                        }
                        None => return Ok(false),
                    }
                }
                true
            }
        })
    }

    /// Java `Schema.toString()`: a fresh set of known names.
    fn to_string_fresh(&self, sid: usize) -> Result<String, AvroError> {
        self.to_string_known(sid, &[])
    }

    /// Java `Schema.toString(referencedSchemas, false)`.
    fn to_string_known(&self, sid: usize, known: &[String]) -> Result<String, AvroError> {
        let mut p = Printer {
            ctx: self,
            known: known.iter().cloned().collect(),
            space: None,
            out: String::new(),
        };
        p.schema(sid, 0)?;
        Ok(p.out)
    }
}

// ---------------------------------------------------------------------------------------------
// Java `Schema.toJson`
// ---------------------------------------------------------------------------------------------

struct Printer<'a> {
    ctx: &'a Ctx,
    known: HashSet<String>,
    space: Option<String>,
    out: String,
}

impl Printer<'_> {
    fn props(&mut self, props: &[(String, Json)]) {
        for (k, v) in props {
            self.out.push(',');
            write_json_str(&mut self.out, k);
            self.out.push(':');
            write_json(&mut self.out, v);
        }
    }

    fn str_field(&mut self, key: &str, value: &str) {
        self.out.push(',');
        write_json_str(&mut self.out, key);
        self.out.push(':');
        write_json_str(&mut self.out, value);
    }

    /// `writeNameRef`: true when the name was written as a reference.
    fn name_ref(&mut self, name: &Name) -> bool {
        if self.known.contains(&name.full) {
            let q = name.qualified(self.space.as_deref()).to_string();
            write_json_str(&mut self.out, &q);
            return true;
        }
        self.known.insert(name.full.clone());
        false
    }

    /// `Name.writeName`.
    fn write_name(&mut self, name: &Name) {
        self.str_field("name", &name.short);
        match (&name.space, &self.space) {
            (Some(s), cur) => {
                if cur.as_deref() != Some(s.as_str()) {
                    let s = s.clone();
                    self.str_field("namespace", &s);
                }
            }
            (None, Some(_)) => self.str_field("namespace", ""),
            (None, None) => {}
        }
    }

    fn aliases(&mut self, node: &Node) {
        if node.aliases.is_empty() {
            return;
        }
        let own = node.name.as_ref().and_then(|n| n.space.as_deref());
        self.out.push_str(",\"aliases\":[");
        for (i, a) in node.aliases.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_json_str(&mut self.out, a.qualified(own));
        }
        self.out.push(']');
    }

    fn schema(&mut self, sid: usize, depth: usize) -> Result<(), AvroError> {
        if depth > MAX_PRINT_DEPTH {
            return fail(format!(
                "Schema nesting depth exceeds the maximum of {MAX_DEPTH} levels"
            ));
        }
        let ctx = self.ctx;
        let node = ctx.node(sid)?;
        match node.kind {
            Kind::Record => {
                let Some(name) = &node.name else {
                    return fail("internal error: record without name");
                };
                if self.name_ref(name) {
                    return Ok(());
                }
                let saved = self.space.clone();
                self.out.push_str("{\"type\":");
                write_json_str(
                    &mut self.out,
                    if node.is_error { "error" } else { "record" },
                );
                self.write_name(name);
                self.space = name.space.clone();
                if let Some(d) = &node.doc {
                    self.str_field("doc", d);
                }
                if let Some(fields) = &node.fields {
                    self.out.push_str(",\"fields\":[");
                    for (i, f) in fields.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.out.push_str("{\"name\":");
                        write_json_str(&mut self.out, &f.name);
                        self.out.push_str(",\"type\":");
                        self.schema(f.ty, depth + 1)?;
                        if let Some(d) = &f.doc {
                            self.str_field("doc", d);
                        }
                        if let Some(v) = &f.default {
                            self.out.push_str(",\"default\":");
                            write_json(&mut self.out, v);
                        }
                        match f.order {
                            Order::Ascending => {}
                            Order::Descending => self.str_field("order", "descending"),
                            Order::Ignore => self.str_field("order", "ignore"),
                        }
                        if !f.aliases.is_empty() {
                            self.out.push_str(",\"aliases\":[");
                            for (i, a) in f.aliases.iter().enumerate() {
                                if i > 0 {
                                    self.out.push(',');
                                }
                                write_json_str(&mut self.out, a);
                            }
                            self.out.push(']');
                        }
                        self.props(&f.props);
                        self.out.push('}');
                    }
                    self.out.push(']');
                }
                self.props(&node.props);
                self.aliases(node);
                self.out.push('}');
                self.space = saved;
            }
            Kind::Enum => {
                let Some(name) = &node.name else {
                    return fail("internal error: enum without name");
                };
                if self.name_ref(name) {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"enum\"");
                self.write_name(name);
                if let Some(d) = &node.doc {
                    self.str_field("doc", d);
                }
                self.out.push_str(",\"symbols\":[");
                for (i, s) in node.symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_json_str(&mut self.out, s);
                }
                self.out.push(']');
                if let Some(d) = &node.enum_default {
                    self.str_field("default", d);
                }
                self.props(&node.props);
                self.aliases(node);
                self.out.push('}');
            }
            Kind::Fixed => {
                let Some(name) = &node.name else {
                    return fail("internal error: fixed without name");
                };
                if self.name_ref(name) {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"fixed\"");
                self.write_name(name);
                if let Some(d) = &node.doc {
                    self.str_field("doc", d);
                }
                self.out.push_str(",\"size\":");
                self.out.push_str(&node.size.to_string());
                self.props(&node.props);
                self.aliases(node);
                self.out.push('}');
            }
            Kind::Array | Kind::Map => {
                let (ty, key) = if node.kind == Kind::Array {
                    ("array", "items")
                } else {
                    ("map", "values")
                };
                let Some(&child) = node.children.first() else {
                    return fail("internal error: container without element type");
                };
                self.out.push_str("{\"type\":\"");
                self.out.push_str(ty);
                self.out.push_str("\",\"");
                self.out.push_str(key);
                self.out.push_str("\":");
                self.schema(child, depth + 1)?;
                self.props(&node.props);
                self.out.push('}');
            }
            Kind::Union => {
                self.out.push('[');
                for (i, &t) in node.children.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.schema(t, depth + 1)?;
                }
                self.out.push(']');
            }
            k => {
                if node.props.is_empty() {
                    write_json_str(&mut self.out, k.name());
                } else {
                    self.out.push_str("{\"type\":");
                    write_json_str(&mut self.out, k.name());
                    self.props(&node.props);
                    self.out.push('}');
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Confluent `AvroSchemaUtils.toNormalizedString`
// ---------------------------------------------------------------------------------------------

struct Normalizer<'a> {
    ctx: &'a Ctx,
    env: HashSet<String>,
    out: String,
}

/// Sorts object keys recursively (Jackson tree built with Confluent's `SortingNodeFactory`).
fn sorted(v: Json) -> Json {
    match v {
        Json::Arr(items) => Json::Arr(items.into_iter().map(sorted).collect()),
        Json::Obj(m) => {
            let mut m: Vec<(String, Json)> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            m.sort_by(|a, b| java_cmp(&a.0, &b.0));
            m.dedup_by(|a, b| a.0 == b.0);
            Json::Obj(m)
        }
        other => other,
    }
}

/// Java `String.getBytes(ISO_8859_1)` then back to a string: characters above U+00FF become `?`.
fn latin1_roundtrip(s: &str) -> String {
    s.chars()
        .map(|c| if (c as u32) <= 0xFF { c } else { '?' })
        .collect()
}

const NPE_TO_JSON: &str = "Cannot invoke \"com.fasterxml.jackson.databind.JsonNode.toString()\" because the return value of \"io.confluent.kafka.schemaregistry.avro.AvroSchemaUtils.toJsonNode(Object)\" is null";

impl Normalizer<'_> {
    /// Avro `JacksonUtils.toObject(node, schema)` as a JSON tree (`None` = Java null). Nested nulls
    /// make Confluent's `genJson` fail, so they are errors here.
    fn to_object(
        &self,
        v: &Json,
        schema: Option<usize>,
        depth: usize,
    ) -> Result<Option<Json>, AvroError> {
        if depth > MAX_JSON_DEPTH {
            return fail("Default value nested too deeply");
        }
        if let Some(sid) = schema {
            let node = self.ctx.node(sid)?;
            if node.kind == Kind::Union {
                match node.children.first() {
                    Some(&first) => return self.to_object(v, Some(first), depth + 1),
                    None => return fail("Index 0 out of bounds for length 0"),
                }
            }
        }
        let kind = match schema {
            Some(sid) => Some(self.ctx.kind(sid)?),
            None => None,
        };
        let nested = |x: Option<Json>| -> Result<Json, AvroError> {
            x.ok_or_else(|| {
                AvroError(
                    "Cannot invoke \"Object.getClass()\" because \"datum\" is null".to_string(),
                )
            })
        };
        Ok(match v {
            Json::Null => Some(Json::Null),
            Json::Bool(b) => Some(Json::Bool(*b)),
            Json::Int(i) => match kind {
                None | Some(Kind::Int) => Some(Json::Int(*i)),
                Some(Kind::Long) => Some(Json::Long(i64::from(*i))),
                Some(Kind::Float) => Some(Json::Float(f64::from(*i) as f32)),
                Some(Kind::Double) => Some(Json::Double(f64::from(*i))),
                _ => None,
            },
            Json::Long(l) => match kind {
                None | Some(Kind::Long) => Some(Json::Long(*l)),
                Some(Kind::Float) => Some(Json::Float(*l as f64 as f32)),
                Some(Kind::Double) => Some(Json::Double(*l as f64)),
                _ => None,
            },
            Json::Double(d) => match kind {
                None | Some(Kind::Double) => Some(Json::Double(*d)),
                Some(Kind::Float) => Some(Json::Float(*d as f32)),
                _ => None,
            },
            Json::Float(f) => match kind {
                None | Some(Kind::Double) => Some(Json::Double(f64::from(*f))),
                Some(Kind::Float) => Some(Json::Float(*f)),
                _ => None,
            },
            Json::BigInt(_) => None,
            Json::Str(s) => match kind {
                None | Some(Kind::String) | Some(Kind::Enum) => Some(Json::Str(s.clone())),
                Some(Kind::Bytes) | Some(Kind::Fixed) => Some(Json::Str(latin1_roundtrip(s))),
                _ => None,
            },
            Json::Arr(items) => {
                let elem = match schema {
                    None => None,
                    Some(sid) => {
                        let node = self.ctx.node(sid)?;
                        match (node.kind, node.children.first()) {
                            (Kind::Array, Some(&e)) => Some(e),
                            _ => {
                                return fail(format!(
                                    "Not an array: {}",
                                    self.ctx.to_string_fresh(sid)?
                                ))
                            }
                        }
                    }
                };
                let mut out = Vec::with_capacity(items.len());
                for x in items {
                    out.push(nested(self.to_object(x, elem, depth + 1)?)?);
                }
                Some(Json::Arr(out))
            }
            Json::Obj(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, x) in m {
                    let s = match schema {
                        None => None,
                        Some(sid) => {
                            let node = self.ctx.node(sid)?;
                            match node.kind {
                                Kind::Map => node.children.first().copied(),
                                Kind::Record => {
                                    let Some(fields) = &node.fields else {
                                        return fail("Schema fields not set yet");
                                    };
                                    match fields.iter().find(|f| &f.name == k) {
                                        Some(f) => Some(f.ty),
                                        None => return fail(
                                            "Cannot invoke \"org.apache.avro.Schema$Field.schema()\" because the return value of \"org.apache.avro.Schema.getField(String)\" is null",
                                        ),
                                    }
                                }
                                _ => None,
                            }
                        }
                    };
                    out.push((k.clone(), nested(self.to_object(x, s, depth + 1)?)?));
                }
                Some(Json::Obj(out))
            }
        })
    }

    fn simple_props(&mut self, props: &[(String, Json)]) -> Result<(), AvroError> {
        let mut sorted_props: Vec<&(String, Json)> = props.iter().collect();
        sorted_props.sort_by(|a, b| java_cmp(&a.0, &b.0));
        for (k, v) in sorted_props {
            let Some(obj) = self.to_object(v, None, 0)? else {
                return fail(NPE_TO_JSON);
            };
            self.out.push_str(",\"");
            self.out.push_str(k);
            self.out.push_str("\":");
            write_json(&mut self.out, &sorted(obj));
        }
        Ok(())
    }

    fn logical_props(&mut self, lt: &Logical) {
        match lt {
            Logical::Decimal { precision, scale } => {
                self.out
                    .push_str(",\"logicalType\":\"decimal\",\"precision\":");
                self.out.push_str(&precision.to_string());
                if *scale != 0 {
                    self.out.push_str(",\"scale\":");
                    self.out.push_str(&scale.to_string());
                }
            }
            Logical::Simple(name) => {
                self.out.push_str(",\"logicalType\":\"");
                self.out.push_str(name);
                self.out.push('"');
            }
        }
    }

    fn sorted_names(names: &[String]) -> Json {
        let mut v: Vec<&String> = names.iter().collect();
        v.sort_by(|a, b| java_cmp(a, b));
        v.dedup();
        Json::Arr(v.into_iter().map(|s| Json::Str(s.clone())).collect())
    }

    fn build(&mut self, sid: usize, depth: usize) -> Result<(), AvroError> {
        if depth > MAX_PRINT_DEPTH {
            return fail(format!(
                "Schema nesting depth exceeds the maximum of {MAX_DEPTH} levels"
            ));
        }
        let ctx = self.ctx;
        let node = ctx.node(sid)?;
        match node.kind {
            Kind::Union => {
                self.out.push('[');
                for (i, &t) in node.children.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.build(t, depth + 1)?;
                }
                self.out.push(']');
            }
            Kind::Array | Kind::Map => {
                let Some(&child) = node.children.first() else {
                    return fail("internal error: container without element type");
                };
                if node.kind == Kind::Array {
                    self.out.push_str("{\"type\":\"array\",\"items\":");
                } else {
                    self.out.push_str("{\"type\":\"map\",\"values\":");
                }
                self.build(child, depth + 1)?;
                self.simple_props(&node.props)?;
                self.out.push('}');
            }
            Kind::Enum | Kind::Fixed | Kind::Record => {
                let full = node.full_name().to_string();
                if self.env.contains(&full) {
                    self.out.push('"');
                    self.out.push_str(&full);
                    self.out.push('"');
                    return Ok(());
                }
                self.env.insert(full.clone());
                self.out.push_str("{\"name\":\"");
                self.out.push_str(&full);
                self.out.push_str("\",\"type\":\"");
                self.out.push_str(node.kind.name());
                self.out.push('"');
                match node.kind {
                    Kind::Enum => {
                        self.out.push_str(",\"symbols\":[");
                        for (i, s) in node.symbols.iter().enumerate() {
                            if i > 0 {
                                self.out.push(',');
                            }
                            self.out.push('"');
                            self.out.push_str(s);
                            self.out.push('"');
                        }
                        self.out.push(']');
                    }
                    Kind::Fixed => {
                        self.out.push_str(",\"size\":");
                        self.out.push_str(&node.size.to_string());
                        if let Some(lt) = &node.logical {
                            self.logical_props(lt);
                        }
                    }
                    _ => {
                        self.out.push_str(",\"fields\":[");
                        let empty = Vec::new();
                        let fields = node.fields.as_ref().unwrap_or(&empty);
                        for (i, f) in fields.iter().enumerate() {
                            if i > 0 {
                                self.out.push(',');
                            }
                            self.out.push_str("{\"name\":\"");
                            self.out.push_str(&f.name);
                            self.out.push_str("\",\"type\":");
                            self.build(f.ty, depth + 1)?;
                            self.field_props(f)?;
                            self.out.push('}');
                        }
                        self.out.push(']');
                    }
                }
                // setComplexProps
                if let Some(doc) = node.doc.as_deref().filter(|d| !d.is_empty()) {
                    self.out.push_str(",\"doc\":");
                    write_json_str(&mut self.out, doc);
                }
                if !node.aliases.is_empty() {
                    let fulls: Vec<String> = node.aliases.iter().map(|a| a.full.clone()).collect();
                    self.out.push_str(",\"aliases\":");
                    write_json(&mut self.out, &Self::sorted_names(&fulls));
                }
                if node.kind == Kind::Enum {
                    if let Some(d) = &node.enum_default {
                        self.out.push_str(",\"default\":");
                        write_json_str(&mut self.out, d);
                    }
                }
                self.simple_props(&node.props)?;
                self.out.push('}');
            }
            k => {
                if let Some(lt) = &node.logical {
                    self.out.push_str("{\"type\":\"");
                    self.out.push_str(k.name());
                    self.out.push('"');
                    self.logical_props(lt);
                    self.simple_props(&node.props)?;
                    self.out.push('}');
                } else if !node.props.is_empty() {
                    self.out.push_str("{\"type\":\"");
                    self.out.push_str(k.name());
                    self.out.push('"');
                    self.simple_props(&node.props)?;
                    self.out.push('}');
                } else {
                    self.out.push('"');
                    self.out.push_str(k.name());
                    self.out.push('"');
                }
            }
        }
        Ok(())
    }

    /// Confluent `setFieldProps`.
    fn field_props(&mut self, f: &Field) -> Result<(), AvroError> {
        self.out.push_str(",\"order\":\"");
        self.out.push_str(match f.order {
            Order::Ascending => "ASCENDING",
            Order::Descending => "DESCENDING",
            Order::Ignore => "IGNORE",
        });
        self.out.push('"');
        if let Some(doc) = &f.doc {
            self.out.push_str(",\"doc\":");
            write_json_str(&mut self.out, doc);
        }
        if !f.aliases.is_empty() {
            self.out.push_str(",\"aliases\":");
            write_json(&mut self.out, &Self::sorted_names(&f.aliases));
        }
        if let Some(d) = &f.default {
            if let Some(obj) = self.to_object(d, Some(f.ty), 0)? {
                self.out.push_str(",\"default\":");
                write_json(&mut self.out, &sorted(obj));
            }
        }
        self.simple_props(&f.props)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::HashMap;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/confluent-7.9");

    fn load(rel: &str) -> Value {
        let path = format!("{FIXTURES}/{rel}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Invalid corpus entries whose error text is allowed to differ from Confluent's.
    const CORPUS_ERROR_TEXT_ALLOWED: &[(&str, &str)] = &[(
        "avro-bad-json",
        "Jackson's own parser wording and source location (Confluent's replay compares by code)",
    )];

    /// Compares an error text with Confluent's; Jackson parser messages compare by prefix only.
    fn same_error(ours: &str, theirs: &str) -> bool {
        if theirs.starts_with("com.fasterxml.jackson") {
            return ours.starts_with("com.fasterxml.jackson");
        }
        ours == theirs
    }

    #[test]
    fn corpus_matches_golden() {
        let corpus = load("compat/corpus.json");
        let golden = load("compat/golden.json");
        let mut failures: Vec<String> = Vec::new();
        let (mut valid, mut valid_ok, mut invalid, mut invalid_ok, mut text_ok) = (0, 0, 0, 0, 0);
        for entry in corpus["schemas"].as_array().expect("schemas") {
            if entry["type"] != "AVRO" {
                continue;
            }
            let id = entry["id"].as_str().expect("id");
            let schema = entry["schema"].as_str().expect("schema");
            let refs: Vec<&str> = entry["refs"]
                .as_array()
                .map(|a| a.iter().filter_map(|r| r["schema"].as_str()).collect())
                .unwrap_or_default();
            let g = &golden["schemas"][id];
            let result = parse(schema, &refs, true);
            if g["valid"] == true {
                valid += 1;
                match result {
                    Ok(p) => {
                        let mut ok = true;
                        if p.canonical != g["canonical"].as_str().unwrap_or_default() {
                            ok = false;
                            failures.push(format!(
                                "{id}: canonical\n  ours:   {}\n  theirs: {}",
                                p.canonical, g["canonical"]
                            ));
                        }
                        if p.normalized != g["normalized"].as_str().unwrap_or_default() {
                            ok = false;
                            failures.push(format!(
                                "{id}: normalized\n  ours:   {}\n  theirs: {}",
                                p.normalized, g["normalized"]
                            ));
                        }
                        if ok {
                            valid_ok += 1;
                        }
                    }
                    Err(e) => failures.push(format!("{id}: expected valid, got error {e}")),
                }
            } else {
                invalid += 1;
                let theirs = g["error"].as_str().unwrap_or_default();
                match result {
                    Ok(p) => failures.push(format!(
                        "{id}: expected error {theirs:?}, got {}",
                        p.canonical
                    )),
                    Err(e) => {
                        invalid_ok += 1;
                        if same_error(&e.0, theirs) {
                            text_ok += 1;
                        } else if !CORPUS_ERROR_TEXT_ALLOWED.iter().any(|(a, _)| *a == id) {
                            failures.push(format!(
                                "{id}: error text\n  ours:   {}\n  theirs: {theirs}",
                                e.0
                            ));
                        }
                    }
                }
            }
        }
        println!(
            "corpus: {valid_ok}/{valid} valid schemas match canonical+normalized; \
             {invalid_ok}/{invalid} invalid schemas rejected, {text_ok} with Confluent's exact error text"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Every Avro schema of the compatibility pairs and chains parses, and the old schema's text
    /// quoted in Confluent's messages (`{oldSchema: '…'}`) is our canonical text.
    #[test]
    fn compat_corpus_schemas_parse() {
        let corpus = load("compat/corpus.json");
        let golden = load("compat/golden.json");
        let texts = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r["schema"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut failures: Vec<String> = Vec::new();
        let (mut parsed, mut quoted) = (0, 0);
        for pair in corpus["compat"].as_array().expect("compat") {
            if pair["type"] != "AVRO" {
                continue;
            }
            let id = pair["id"].as_str().unwrap_or_default();
            let mut old_canonical = None;
            for (key, refs_key) in [("old", "old_refs"), ("new", "new_refs")] {
                let refs = texts(&pair[refs_key]);
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                match parse(pair[key].as_str().unwrap_or_default(), &refs, false) {
                    Ok(p) => {
                        parsed += 1;
                        if key == "old" {
                            old_canonical = Some(p.canonical);
                        }
                    }
                    Err(e) => failures.push(format!("{id} {key}: {e}")),
                }
            }
            for msgs in golden["compat"][id]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
            {
                for m in msgs
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some(q) = m
                        .strip_prefix("{oldSchema: '")
                        .and_then(|r| r.strip_suffix("'}"))
                    {
                        quoted += 1;
                        if old_canonical.as_deref() != Some(q) {
                            failures.push(format!(
                                "{id}: oldSchema\n  ours:   {old_canonical:?}\n  theirs: {q}"
                            ));
                        }
                    }
                }
            }
        }
        for chain in corpus["chains"].as_array().expect("chains") {
            if !chain["types"]
                .as_array()
                .is_some_and(|t| t.iter().all(|t| t == "AVRO"))
            {
                continue;
            }
            for v in chain["versions"].as_array().into_iter().flatten() {
                let text = v
                    .as_str()
                    .or_else(|| v["schema"].as_str())
                    .unwrap_or_default();
                match parse(text, &[], false) {
                    Ok(_) => parsed += 1,
                    Err(e) => failures.push(format!("{}: {e}", chain["id"])),
                }
            }
        }
        println!("compat: {parsed} Avro schemas parsed, {quoted} quoted old schemas match");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// HTTP scenarios about Avro: 42201 texts, accepted schemas and the schema texts returned.
    #[test]
    fn http_scenarios_match_golden() {
        const NAMES: &[&str] = &[
            "reg-avro-invalid",
            "avro-invalid-2",
            "reg-avro",
            "reg-avro-normalize",
            "refs-avro",
            "tags-namespaced",
            "reg-body",
        ];
        let scenarios = load("http/scenarios.json");
        let golden = load("http/golden.json");
        let mut failures: Vec<String> = Vec::new();
        let (mut errors, mut errors_ok, mut accepted, mut texts) = (0, 0, 0, 0);
        for sc in scenarios.as_array().expect("scenarios") {
            let name = sc["name"].as_str().unwrap_or_default();
            if !NAMES.contains(&name) {
                continue;
            }
            let results = golden[name].as_array().expect("golden steps");
            // subject -> texts produced by schemas registered there (for refs and GET checks)
            let mut by_subject: HashMap<String, String> = HashMap::new();
            let mut known_texts: Vec<String> = Vec::new();
            for (n, (step, res)) in sc["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .zip(results)
                .enumerate()
            {
                let path = step["p"].as_str().unwrap_or_default();
                let status = res["status"].as_i64().unwrap_or_default();
                let body = &res["body"];
                if step["m"] == "GET" {
                    if let (200, Some(text)) = (status, body["schema"].as_str()) {
                        if name != "tags-namespaced" {
                            texts += 1;
                            if !known_texts.iter().any(|t| t == text) {
                                failures.push(format!("{name}#{n} GET {path}: unexpected {text}"));
                            }
                        }
                    }
                    continue;
                }
                if step["m"] != "POST"
                    || !(path.starts_with("/subjects/") || path.starts_with("/compatibility/"))
                {
                    continue;
                }
                let req = &step["b"];
                if req.get("schemaType").is_some_and(|t| t != "AVRO") {
                    continue;
                }
                let schema = match &req["schema"] {
                    Value::String(s) => s.clone(),
                    Value::Number(x) => x.to_string(),
                    _ => continue,
                };
                if schema.trim().is_empty() {
                    continue;
                }
                let normalize = path.contains("normalize=true");
                let register = path.starts_with("/subjects/") && path.contains("/versions");
                let refs: Vec<String> = req["references"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| r["subject"].as_str())
                            .filter_map(|s| by_subject.get(s).cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                // Confluent 7.9 validates defaults only for new schemas registered with normalize=true.
                let result = parse(&schema, &refs, normalize && register);
                let message = body["message"].as_str().unwrap_or_default();
                if status == 422 {
                    let Some((_, details)) = message.split_once("of type AVRO, details: ") else {
                        continue;
                    };
                    errors += 1;
                    match result {
                        Ok(p) => failures.push(format!(
                            "{name}#{n} {path}: expected error {details:?}, got {}",
                            p.canonical
                        )),
                        Err(e) if same_error(&e.0, details) => errors_ok += 1,
                        Err(e) => failures.push(format!(
                            "{name}#{n} {path}: error text\n  ours:   {}\n  theirs: {details}",
                            e.0
                        )),
                    }
                } else if status == 200 {
                    accepted += 1;
                    match result {
                        Ok(p) => {
                            let text = if normalize {
                                &p.normalized
                            } else {
                                &p.canonical
                            };
                            if let Some(returned) = body["schema"].as_str() {
                                texts += 1;
                                if returned != text && returned != p.canonical {
                                    failures.push(format!(
                                        "{name}#{n} {path}: schema\n  ours:   {text}\n  theirs: {returned}"
                                    ));
                                }
                            }
                            if register {
                                if let Some(subject) = path
                                    .strip_prefix("/subjects/")
                                    .and_then(|s| s.split('/').next())
                                {
                                    by_subject.insert(subject.to_string(), schema.clone());
                                }
                            }
                            known_texts.push(p.canonical.clone());
                            known_texts.push(p.normalized.clone());
                        }
                        Err(e) => {
                            failures.push(format!("{name}#{n} {path}: expected success, got {e}"))
                        }
                    }
                }
            }
        }
        println!(
            "http: {errors_ok}/{errors} Avro 42201 details match, {accepted} accepted schemas parsed, \
             {texts} returned schema texts checked"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn ok(schema: &str) -> ParsedAvro {
        parse(schema, &[], true).unwrap_or_else(|e| panic!("{schema}: {e}"))
    }

    fn err(schema: &str) -> String {
        match parse(schema, &[], true) {
            Ok(p) => panic!("{schema}: expected an error, got {}", p.canonical),
            Err(e) => e.0,
        }
    }

    #[test]
    fn java_number_layout() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (1.0e10, "1.0E10"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.25e-5, "1.25E-5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (f64::MAX, "1.7976931348623157E308"),
        ];
        for (v, want) in cases {
            assert_eq!(java_double(*v), *want, "{v}");
        }
        assert_eq!(java_float(0.1), "0.1");
        assert_eq!(java_float(1.0e10), "1.0E10");
        assert_eq!(java_parse_double(" 1.5d ").ok(), Some(1.5));
        assert_eq!(java_parse_double("-Infinity").ok(), Some(f64::NEG_INFINITY));
        assert_eq!(
            java_parse_double("abc").err().map(|e| e.0),
            Some("For input string: \"abc\"".to_string())
        );
    }

    #[test]
    fn canonical_text_quirks() {
        // Numbers keep Jackson's node types; a double field's integer default stays an int in the
        // canonical text and becomes a double in the normalized one.
        let p = ok(r#"{"type":"record","name":"R","fields":[
            {"name":"d","type":"double","default":0},
            {"name":"f","type":"float","default":"1e10"},
            {"name":"l","type":"long","default":12345678901},
            {"name":"e","type":"double","default":1E2}]}"#);
        assert_eq!(
            p.canonical,
            r#"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":0},{"name":"f","type":"float","default":1.0E10},{"name":"l","type":"long","default":12345678901},{"name":"e","type":"double","default":100.0}]}"#
        );
        assert_eq!(
            p.normalized,
            r#"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":0.0},{"name":"f","type":"float","default":1.0E10},{"name":"l","type":"long","default":12345678901},{"name":"e","type":"double","default":100.0}]}"#
        );
        // A null-namespace type inside a namespaced one is written with "namespace":"".
        let p = ok(r#"{"type":"record","name":"a.Outer","fields":[
            {"name":"x","type":{"type":"enum","name":"E","namespace":"","symbols":["A"]}},
            {"name":"y","type":"E"},
            {"name":"z","type":{"type":"fixed","name":"b.F","size":2}},
            {"name":"w","type":"b.F"}]}"#);
        assert_eq!(
            p.canonical,
            r#"{"type":"record","name":"Outer","namespace":"a","fields":[{"name":"x","type":{"type":"enum","name":"E","namespace":"","symbols":["A"]}},{"name":"y","type":"E"},{"name":"z","type":{"type":"fixed","name":"F","namespace":"b","size":2}},{"name":"w","type":"b.F"}]}"#
        );
        assert_eq!(p.defined_names, vec!["a.Outer", "E", "b.F"]);
        // Error records, aliases (qualified against the type's own namespace), props after fields.
        let p = ok(
            r#"{"type":"error","name":"n.Err","aliases":["Old","m.Other"],"x":1,"fields":[{"name":"a","type":"string","aliases":["b","b"],"order":"ignore","doc":"d"}]}"#,
        );
        assert_eq!(
            p.canonical,
            r#"{"type":"error","name":"Err","namespace":"n","fields":[{"name":"a","type":"string","doc":"d","order":"ignore","aliases":["b"]}],"x":1,"aliases":["Old","m.Other"]}"#
        );
        assert_eq!(
            p.normalized,
            r#"{"type":"record","name":"Err","namespace":"n","fields":[{"name":"a","type":"string","doc":"d","order":"ignore","aliases":["b"]}],"x":1,"aliases":["m.Other","Old"]}"#
        );
        // Comments are allowed, duplicate keys keep the first position and the last value,
        // escapes are re-written the way Jackson writes them.
        let p = ok("/* c */ {\"type\":\"record\",\"name\":\"R\",\"doc\":\"x\",\"doc\":\"a\\u0001\\t\\/\\u00e9\",\"fields\":[]}");
        assert_eq!(
            p.canonical,
            "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"a\\u0001\\t/\u{e9}\",\"fields\":[]}"
        );
        // Props of primitives; logical types first and props sorted in the normalized form.
        let p = ok(
            r#"{"type":"long","connect.name":"x","logicalType":"timestamp-millis","a":{"z":1,"b":[true,null]}}"#,
        );
        assert_eq!(
            p.canonical,
            r#"{"type":"long","connect.name":"x","logicalType":"timestamp-millis","a":{"z":1,"b":[true,null]}}"#
        );
        assert_eq!(
            p.normalized,
            r#"{"type":"long","logicalType":"timestamp-millis","a":{"b":[true,null],"z":1},"connect.name":"x"}"#
        );
        // Names spelled like type names are written in full.
        let p = ok(
            r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":{"type":"record","name":"record","fields":[]}},{"name":"b","type":"n.record"}]}"#,
        );
        assert!(
            p.canonical.ends_with(r#"{"name":"b","type":"n.record"}]}"#),
            "{}",
            p.canonical
        );
    }

    #[test]
    fn duplicate_keys_in_large_objects() {
        let mut props: Vec<String> = (0..40).map(|i| format!(r#""p{i}":{i}"#)).collect();
        props.push(r#""p3":"last""#.to_string());
        props.push(r#""type":"int""#.to_string());
        let p = ok(&format!("{{{}}}", props.join(",")));
        assert!(
            p.canonical
                .starts_with(r#"{"type":"int","p0":0,"p1":1,"p2":2,"p3":"last","p4":4"#),
            "{}",
            p.canonical
        );
        assert_eq!(p.canonical.matches("\"p3\"").count(), 1);
    }

    #[test]
    fn validation_errors() {
        assert_eq!(
            err("\"string\" \"x\""),
            "dangling content after end of schema: \"x\""
        );
        assert_eq!(err("\"\""), "Empty name");
        assert_eq!(
            err("\"int\" // c"),
            "dangling content after end of schema: // c"
        );
        assert_eq!(err("42"), "Schema not yet supported: 42");
        assert_eq!(err("   "), "Cannot parse <null> schema");
        assert_eq!(err(r#"{"type":"nosuch"}"#), "Type not supported: nosuch");
        assert_eq!(
            err(r#"{"type":"record","name":"a-b","fields":[]}"#),
            "Illegal character in: a-b"
        );
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1.5}]}"#
            ),
            r#"Invalid default for field a: 1.5 not a "int""#
        );
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":"x"}]}"#
            ),
            r#"For input string: "x""#
        );
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"b","type":"int"}]},"default":{"b":"no"}}]}"#
            ),
            r#"Invalid default for field a: {"b":"no"} not a {"type":"record","name":"S","fields":[{"name":"b","type":"int"}]}"#
        );
        // A record's own type inside its fields prints without fields (not set yet).
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":["R","null"],"default":null}]}"#
            ),
            r#"Invalid default for field a: null not a [{"type":"record","name":"R"},"null"]"#
        );
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":["R","null"],"default":{}}]}"#
            ),
            "Schema fields not set yet"
        );
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"a","type":"long"}]}"#
            ),
            "Duplicate field a in record R: a type:LONG pos:2 and a type:INT pos:0."
        );
        assert_eq!(
            err(r#"["null",{"type":"array","items":"int"},{"type":"array","items":"long"}]"#),
            "Duplicate in union:array"
        );
        assert_eq!(
            err(r#"{"type":"fixed","name":"F","size":2147483647}"#),
            "Cannot read arrays longer than 2147483639 bytes in Java library"
        );
        assert_eq!(
            err(r#"{"type":"enum","name":"E","symbols":["A",1]}"#),
            "Null name"
        );
        // Lax parses skip default validation but not structure or names.
        assert!(parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
            &[],
            false
        )
        .is_ok());
        assert!(parse(r#"{"type":"record","name":"1R","fields":[]}"#, &[], false).is_err());
        assert!(err("{\"type\":").starts_with("com.fasterxml.jackson.core.JsonParseException: "));
    }

    #[test]
    fn normalization_drops_defaults_java_cannot_convert() {
        // Unvalidated defaults of the wrong type disappear from the normalized text, a null one
        // stays and then fails validation (Confluent: avro-invalid-2 n21).
        let s =
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#;
        let p = parse(s, &[], false).expect("lax parse");
        assert_eq!(
            p.normalized,
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#
        );
        let s =
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":null}]}"#;
        assert_eq!(err(s), r#"Invalid default for field a: null not a "int""#);
    }

    #[test]
    fn references() {
        let dep = r#"{"type":"record","name":"Dep","namespace":"com.x","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}]}"#;
        let p = parse(
            r#"{"type":"record","name":"H","namespace":"com.y","fields":[{"name":"d","type":"com.x.Dep"},{"name":"e","type":"com.x.E"}]}"#,
            &[dep],
            false,
        )
        .expect("parse with refs");
        // Only the top-level names of references count as known when printing (Java toString),
        // so the nested enum of the reference is printed in full.
        assert_eq!(
            p.canonical,
            r#"{"type":"record","name":"H","namespace":"com.y","fields":[{"name":"d","type":"com.x.Dep"},{"name":"e","type":{"type":"enum","name":"E","namespace":"com.x","symbols":["A"]}}]}"#
        );
        assert_eq!(p.defined_names, vec!["com.y.H"]);
        assert!(parse(
            r#"{"type":"record","name":"Dep","namespace":"com.x","fields":[]}"#,
            &[dep],
            false
        )
        .is_err());
    }

    #[test]
    fn read_json_reads_what_the_parser_reads() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(read_json(&deep(MAX_JSON_DEPTH)).is_ok());
        assert!(read_json(&deep(MAX_JSON_DEPTH + 1)).is_err());
        assert_eq!(
            read_json(r#" /* c */ {"a": [1, 2.5, "x\ud800"], "a": 1e999, "b": 123456789012345678901234567890}"#)
                .expect("reads"),
            serde_json::json!({"a": null, "b": 1.2345678901234568e29})
        );
        assert!(read_json("").is_err());
        assert!(read_json("1 2").is_err());
        assert!(read_json("1 // dangling, as in Avro").is_err());
        assert!(read_json("{").is_err());
    }

    #[test]
    fn depth_limits() {
        let nest = |n: usize| {
            let mut s = String::from("\"int\"");
            for _ in 0..n {
                s = format!("{{\"type\":\"array\",\"items\":{s}}}");
            }
            s
        };
        assert!(parse(&nest(MAX_DEPTH - 1), &[], true).is_ok());
        assert!(err(&nest(MAX_DEPTH + 1)).contains("nesting depth"));
        let mut rec = String::from("\"int\"");
        for i in 0..MAX_DEPTH + 5 {
            rec = format!(
                r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":{rec}}}]}}"#
            );
        }
        assert!(err(&rec).contains("nesting depth"));
        let deep_json = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep_json, &[], true).is_err());
        let deep_default = format!(
            r#"{{"type":"record","name":"R","fields":[{{"name":"a","type":"string","x":{}1{}}}]}}"#,
            "[".repeat(MAX_JSON_DEPTH - 8),
            "]".repeat(MAX_JSON_DEPTH - 8)
        );
        assert!(parse(&deep_default, &[], true).is_ok());
    }

    /// Mutated corpus schemas must give a result or an error, never a panic.
    #[test]
    fn no_panics_on_mutations() {
        let corpus = load("compat/corpus.json");
        let mut inputs: Vec<String> = Vec::new();
        for entry in corpus["schemas"].as_array().expect("schemas") {
            if let Some(s) = entry["schema"].as_str() {
                inputs.push(s.to_string());
            }
        }
        let junk = [
            "\"", "{", "}", "[", "]", ",", ":", "\\", "\\u12", "1e999", "-", "null", "/*", "é",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for s in &inputs {
            let chars: Vec<char> = s.chars().collect();
            for cut in 0..chars.len() {
                let prefix: String = chars.iter().take(cut).collect();
                let _ = parse(&prefix, &[], true);
            }
            for _ in 0..200 {
                let mut c = chars.clone();
                let pos = usize::try_from(next() % (c.len() as u64 + 1)).unwrap_or(0);
                let j = junk[usize::try_from(next() % junk.len() as u64).unwrap_or(0)];
                if pos < c.len() && next() % 2 == 0 {
                    c.remove(pos);
                }
                let mut m: String = c.iter().take(pos).collect();
                m.push_str(j);
                m.extend(c.iter().skip(pos));
                let _ = parse(&m, &[], true);
                let _ = parse(&m, &[s.as_str()], false);
            }
        }
    }
}
