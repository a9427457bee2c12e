//! Where things are in a schema file: the field a compatibility path points at, and the
//! line and column of a parse error, reported in our own words (never the Java/Jackson text
//! some server-side errors reproduce for Confluent's sake).

use super::explain::Direction;
use crate::model::SchemaType;
use serde_json::Value;

/// The field a Confluent path points at, dotted from the root (`addr.zip`, `Order.qty`),
/// looked up in the reader's schema first (the paths of Avro and Protobuf count in it), then
/// in the other one.
pub fn field_of(
    schema_type: SchemaType,
    path: &str,
    direction: Option<Direction>,
    new_text: &str,
    old_text: Option<&str>,
) -> Option<String> {
    let texts: Vec<&str> = match direction {
        Some(Direction::Forward) => old_text.into_iter().chain([new_text]).collect(),
        _ => [new_text].into_iter().chain(old_text).collect(),
    };
    match schema_type {
        SchemaType::Json => json_field(path),
        SchemaType::Protobuf => texts.iter().find_map(|t| proto_field(t, path)),
        _ => texts.iter().find_map(|t| avro_field(t, path)),
    }
}

fn tokens(path: &str) -> Vec<String> {
    path.trim_start_matches('#')
        .split('/')
        .filter(|t| !t.is_empty())
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Avro: walks `/fields/N/type/…` through the schema's JSON, collecting field names.
fn avro_field(text: &str, path: &str) -> Option<String> {
    let root: Value = serde_json::from_str(text).ok()?;
    let toks = tokens(path);
    let mut cur = &root;
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        let next = match (t, cur) {
            ("fields", Value::Object(o)) => {
                let n: usize = toks.get(i + 1)?.parse().ok()?;
                i += 1;
                let f = o.get("fields")?.get(n)?;
                names.push(f.get("name")?.as_str()?.to_string());
                f
            }
            (_, Value::Array(a)) => match t.parse::<usize>().ok().and_then(|n| a.get(n)) {
                Some(v) => v,
                None => break,
            },
            (_, Value::Object(o)) => match o.get(t) {
                Some(v) if t != "name" && t != "symbols" => v,
                _ => break,
            },
            _ => break,
        };
        cur = next;
        i += 1;
    }
    (!names.is_empty()).then(|| names.join("."))
}

/// JSON Schema: the names after each `properties` (`[]` for `items`).
fn json_field(path: &str) -> Option<String> {
    let toks = tokens(path);
    let mut out = String::new();
    let mut i = 0;
    while i < toks.len() {
        match toks[i].as_str() {
            "properties" | "patternProperties" if i + 1 < toks.len() => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&toks[i + 1]);
                i += 1;
            }
            "items" if !out.is_empty() => out.push_str("[]"),
            _ => {}
        }
        i += 1;
    }
    (!out.is_empty()).then_some(out)
}

/// Protobuf: `#/Msg[/oneof]/NUMBER` is field NUMBER of message `Msg`, `#/Msg` the message.
fn proto_field(text: &str, path: &str) -> Option<String> {
    let toks = tokens(path);
    let (last, rest) = toks.split_last()?;
    let Ok(number) = last.parse::<u32>() else {
        return Some(toks.join("."));
    };
    let message = rest.first()?;
    let body = message_body(text, message)?;
    let spaced = body.replace('=', " = ");
    let words: Vec<&str> = spaced
        .split(|c: char| c.is_whitespace() || c == ';' || c == '{' || c == '}' || c == '[')
        .filter(|w| !w.is_empty())
        .collect();
    let name = words
        .windows(3)
        .find(|w| w[1] == "=" && w[2].parse::<u32>().ok() == Some(number))
        .map(|w| w[0])?;
    Some(format!("{}.{name}", rest.join(".")))
}

/// The text between the braces of `message NAME { … }`.
fn message_body<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find("message") {
        let at = from + i + "message".len();
        let rest = text.get(at..)?;
        let trimmed = rest.trim_start();
        if trimmed.starts_with(name)
            && trimmed[name.len()..].trim_start().starts_with('{')
            && rest.len() > trimmed.len()
        {
            let open = at + rest.find('{')? + 1;
            let mut depth = 1;
            for (j, c) in text.get(open..)?.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return text.get(open..open + j);
                        }
                    }
                    _ => {}
                }
            }
            return text.get(open..);
        }
        from = at;
    }
    None
}

/// A parse error of a schema file, in our words, as `LINE:COLUMN: message`.
pub fn parse_error(schema_type: SchemaType, text: &str, server_error: &str) -> String {
    // The registry's wrapper (`Invalid schema {…}, details: …`) is dropped.
    let server_error = server_error
        .split_once("details: ")
        .map_or(server_error, |(_, d)| d);
    if schema_type != SchemaType::Protobuf {
        if let Err(e) = serde_json::from_str::<Value>(text) {
            let msg = e.to_string();
            let msg = msg
                .rsplit_once(" at line ")
                .map_or(msg.as_str(), |(m, _)| m)
                .to_string();
            return format!("{}:{}: invalid JSON: {msg}", e.line(), e.column());
        }
    }
    match schema_type {
        SchemaType::Protobuf => proto_error(text, server_error),
        SchemaType::Json => json_schema_error(text, server_error),
        _ => {
            let (line, col) = quoted_position(text, server_error).unwrap_or((1, 1));
            format!("{line}:{col}: invalid Avro schema: {server_error}")
        }
    }
}

/// Protobuf: our parser's `Syntax error in :L:C: …` carries the position; other errors
/// (an unknown type) are placed at the first mention of the name they quote.
fn proto_error(text: &str, e: &str) -> String {
    let e = e
        .rsplit_once("Could not parse Protobuf - ")
        .map_or(e, |(_, r)| r);
    if let Some((_, rest)) = e.split_once("Syntax error in :") {
        let mut parts = rest.splitn(3, ':');
        if let (Some(l), Some(c), Some(m)) = (parts.next(), parts.next(), parts.next()) {
            if l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok() {
                return format!("{l}:{c}: Protobuf syntax error: {}", m.trim());
            }
        }
    }
    let name = e
        .rsplit_once(": ")
        .map(|(_, n)| n.trim())
        .filter(|n| !n.is_empty() && !n.contains(' '));
    let pos = name
        .and_then(|n| word_position(text, n))
        .or_else(|| quoted_position(text, e))
        .unwrap_or((1, 1));
    format!("{}:{}: invalid Protobuf schema: {e}", pos.0, pos.1)
}

/// JSON Schema: the validator's own account (which keyword, where), placed at that keyword.
fn json_schema_error(text: &str, e: &str) -> String {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return format!("1:1: invalid JSON Schema: {e}");
    };
    if let Value::Object(_) = doc {
        // The document's own `$schema` decides the meta-schema; without one, draft-07 (as
        // the registry assumes).
        let checked = if doc.get("$schema").is_some() {
            jsonschema::meta::validate(&doc)
        } else {
            jsonschema::draft7::meta::validate(&doc)
        };
        if let Err(err) = checked {
            let pointer = err.instance_path().to_string();
            let (line, col) = pointer_position(text, &pointer).unwrap_or((1, 1));
            let at = if pointer.is_empty() { "/" } else { &pointer };
            return format!("{line}:{col}: invalid JSON Schema at {at}: {err}");
        }
    }
    let (line, col) = quoted_position(text, e).unwrap_or((1, 1));
    format!("{line}:{col}: invalid JSON Schema: {e}")
}

/// 1-based line and column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit_once('\n')
        .map_or(before, |(_, l)| l)
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Where the first `"…"` the message quotes appears in the text.
fn quoted_position(text: &str, message: &str) -> Option<(usize, usize)> {
    let mut parts = message.split('"');
    parts.next()?;
    let q = parts.next().filter(|q| !q.is_empty())?;
    let at = text.find(&format!("\"{q}\""))?;
    Some(line_col(text, at))
}

/// Where a word appears as a whole word.
fn word_position(text: &str, word: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.';
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find(word) {
        let at = from + i;
        let end = at + word.len();
        let before_ok = at == 0 || !is_word(bytes[at - 1]);
        let after_ok = end >= bytes.len() || !is_word(bytes[end]);
        if before_ok && after_ok {
            return Some(line_col(text, at));
        }
        from = end;
    }
    None
}

/// Where a JSON pointer's last key appears, its keys searched for in order (array indices
/// skipped): good enough to point at the keyword an error is about.
fn pointer_position(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let mut at = None;
    let mut from = 0;
    for t in tokens(pointer) {
        if t.parse::<usize>().is_ok() {
            continue;
        }
        let key = format!("\"{t}\"");
        let i = from + text.get(from..)?.find(&key)?;
        at = Some(i);
        from = i + key.len();
    }
    at.map(|i| line_col(text, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_behind_a_path() {
        let avro = r#"{"type":"record","name":"U","fields":[{"name":"a","type":"int"},{"name":"addr","type":{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"zip","type":"string"}]}}]}"#;
        assert_eq!(
            avro_field(avro, "/fields/1/type/fields/1").as_deref(),
            Some("addr.zip")
        );
        assert_eq!(avro_field(avro, "/fields/0/type").as_deref(), Some("a"));
        assert_eq!(avro_field(avro, "/").as_deref(), None);
        assert_eq!(
            json_field("#/properties/a/properties/b/maximum").as_deref(),
            Some("a.b")
        );
        let proto = "syntax = \"proto3\";\nmessage Order {\n  string id = 1;\n  int32 qty=2;\n}\n";
        assert_eq!(
            proto_field(proto, "#/Order/2").as_deref(),
            Some("Order.qty")
        );
        assert_eq!(proto_field(proto, "#/Item").as_deref(), Some("Item"));
    }

    #[test]
    fn parse_errors_have_a_position_and_no_java_text() {
        let e = parse_error(SchemaType::Avro, "{\"type\":\n \"x\" \"y\"}", "Jackson…");
        assert!(e.starts_with("2:6: invalid JSON"), "{e}");
        let e = parse_error(
            SchemaType::Protobuf,
            "",
            "Could not parse Protobuf - Syntax error in :3:14: expected a word",
        );
        assert_eq!(e, "3:14: Protobuf syntax error: expected a word");
        let e = parse_error(
            SchemaType::Json,
            "{\"type\":\"object\",\n\"properties\":{\"a\":{\"type\":\"nosuch\"}}}",
            "Invalid JSON Schema",
        );
        assert!(
            e.starts_with("2:20: invalid JSON Schema at /properties/a/type"),
            "{e}"
        );
    }
}
