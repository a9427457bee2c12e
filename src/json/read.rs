//! JSON reading as Jackson does it (comments allowed, duplicate keys: last value, first
//! position), and Java's `Double.valueOf` for textual numbers.

use super::{Json, JsonError};
use std::collections::HashMap;

/// Maximum nesting of JSON arrays/objects accepted by the reader.
pub(crate) const MAX_JSON_DEPTH: usize = 512;

fn fail<T>(msg: impl Into<String>) -> Result<T, JsonError> {
    Err(JsonError(msg.into()))
}

/// Java `Double.valueOf(String)` for the decimal forms (used for textual float/double defaults).
pub(crate) fn java_parse_double(s: &str) -> Result<f64, JsonError> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let bad = || JsonError(format!("For input string: \"{t}\""));
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

pub(crate) struct JsonReader<'a> {
    pub(crate) src: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
    /// `JsonReadFeature.ALLOW_JAVA_COMMENTS` (Avro's parser); off for JSON Schema's mapper.
    comments: bool,
    /// `USE_BIG_DECIMAL_FOR_FLOATS` with exact decimals (JSON Schema's mapper): numbers with a
    /// fraction or an exponent become `Json::Decimal`, and `NaN`/`Infinity` are accepted
    /// (`ALLOW_NON_NUMERIC_NUMBERS`).
    decimals: bool,
}

pub(crate) fn describe_char(c: char) -> String {
    if (c as u32) < 0x20 {
        format!("(CTRL-CHAR, code {})", c as u32)
    } else {
        format!("'{}' (code {})", c, c as u32)
    }
}

impl<'a> JsonReader<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        JsonReader {
            src,
            b: src.as_bytes(),
            i: 0,
            comments: true,
            decimals: false,
        }
    }

    /// A reader configured as Confluent's JSON Schema object mapper reads: no comments, exact
    /// big decimals for floats, non-numeric numbers allowed.
    pub(crate) fn for_json_schema(src: &'a str) -> Self {
        JsonReader {
            comments: false,
            decimals: true,
            ..JsonReader::new(src)
        }
    }

    pub(crate) fn err(&self, msg: impl std::fmt::Display) -> JsonError {
        let upto = self.src.get(..self.i).unwrap_or(self.src);
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        JsonError(format!(
            "com.fasterxml.jackson.core.JsonParseException: {msg}\n at [Source: REDACTED \
             (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {col}]"
        ))
    }

    pub(crate) fn peek_char(&self) -> Option<char> {
        self.src.get(self.i..).and_then(|s| s.chars().next())
    }

    /// Skips white space and comments.
    pub(crate) fn skip_ws(&mut self) -> Result<(), JsonError> {
        loop {
            match self.b.get(self.i) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                Some(b'/') if self.comments => match self.b.get(self.i + 1) {
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
    pub(crate) fn root(&mut self) -> Result<Option<Json>, JsonError> {
        self.skip_ws()?;
        if self.i >= self.b.len() {
            return Ok(None);
        }
        self.value(1).map(Some)
    }

    pub(crate) fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
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
                    "NaN" if self.decimals => Ok(Json::Double(f64::NAN)),
                    "Infinity" if self.decimals => Ok(Json::Double(f64::INFINITY)),
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

    pub(crate) fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
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

    pub(crate) fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
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

    pub(crate) fn hex4(&mut self) -> Result<u32, JsonError> {
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
    pub(crate) fn string(&mut self) -> Result<String, JsonError> {
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

    pub(crate) fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
            if self.decimals
                && self
                    .src
                    .get(self.i..)
                    .is_some_and(|r| r.starts_with("Infinity"))
            {
                self.i += "Infinity".len();
                return Ok(Json::Double(f64::NEG_INFINITY));
            }
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
        if is_float && self.decimals {
            return Ok(Json::Decimal(big_decimal_text(text)));
        }
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

/// Java `new BigDecimal(text).toString()` of a valid JSON number literal: the unscaled digits
/// and the scale kept exactly as written (`1.50` stays `1.50`), scientific notation when the
/// scale is negative or the adjusted exponent is below -6 (`1e3` is `1E+3`).
pub(crate) fn big_decimal_text(text: &str) -> String {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = format!("{int}{frac}");
    let digits = all.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let scale = frac.len() as i64 - exp;
    let neg = neg && digits != "0";
    let n = digits.len() as i64;
    let adjusted = -scale + (n - 1);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(digits);
    } else if scale > 0 && adjusted >= -6 {
        if n > scale {
            let point = (n - scale) as usize;
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        } else {
            out.push_str("0.");
            for _ in 0..(scale - n) {
                out.push('0');
            }
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        if adjusted != 0 {
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
    }
    out
}
