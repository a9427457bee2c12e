//! Options as Wire's `OptionReader` (5.1.0) reads them: `name = value`, `(custom.name).sub =
//! value`, `[a = 1, b = 2]` lists after fields, and aggregate values `{ key: value … }` with
//! lists `[…]`, repeated keys gathered into a list.

use super::lexer::{Reader, Res};
use super::model::{OptionElement, OptionValue};
use super::parse::Depth;

/// Reads `[…]` options if present; an empty list otherwise.
pub fn read_options(r: &mut Reader, depth: &mut Depth) -> Res<Vec<OptionElement>> {
    if !r.peek_is('[')? {
        return Ok(Vec::new());
    }
    let mut result = Vec::new();
    loop {
        result.push(read_option(r, depth, '=')?);
        if r.peek_is(']')? {
            break;
        }
        if !r.peek_is(',')? {
            return Err(r.unexpected("Expected ',' or ']"));
        }
    }
    Ok(result)
}

/// One option: a name, `=` (or `:` inside an aggregate), and a value.
pub fn read_option(r: &mut Reader, depth: &mut Depth, separator: char) -> Res<OptionElement> {
    depth.enter(r)?;
    let result = read_option_inner(r, depth, separator);
    depth.leave();
    result
}

fn read_option_inner(r: &mut Reader, depth: &mut Depth, separator: char) -> Res<OptionElement> {
    let first = r.peek_char()?;
    let is_extension = first == b'[' as u16;
    let is_parenthesized = first == b'(' as u16;
    let mut name = r.read_name(true, false)?;
    if is_extension {
        name = format!("[{name}]");
    }
    let mut sub_names: Vec<String> = Vec::new();
    let mut c;
    loop {
        c = r.read_char()?;
        if c != b'.' as u16 {
            break;
        }
        let sub = r.read_name(true, true)?;
        if sub.starts_with('(') {
            sub_names.push(sub);
        } else {
            sub_names.extend(sub.split('.').map(str::to_string));
        }
    }
    if separator == ':' && c == b'{' as u16 {
        r.push_back('{')?;
    } else if c != separator as u16 {
        return Err(r.unexpected(&format!("expected '{separator}' in option")));
    }
    let mut value = read_kind_and_value(r, depth)?;
    for sub in sub_names.iter().rev() {
        let (sub_name, parenthesized) = if sub.starts_with('(') && sub.len() >= 2 {
            (sub[1..sub.len() - 1].to_string(), true)
        } else {
            (sub.clone(), false)
        };
        value = OptionValue::Option(Box::new(OptionElement {
            name: sub_name,
            value,
            parenthesized,
        }));
    }
    Ok(OptionElement {
        name,
        value,
        parenthesized: is_parenthesized,
    })
}

/// A map, list, string, number, boolean or enum value.
fn read_kind_and_value(r: &mut Reader, depth: &mut Depth) -> Res<OptionValue> {
    let peeked = r.peek_char()?;
    if peeked == b'{' as u16 {
        return read_map(r, depth);
    }
    if peeked == b'[' as u16 {
        return read_list(r, depth);
    }
    if peeked == b'"' as u16 || peeked == b'\'' as u16 {
        return Ok(OptionValue::String(r.read_string()?));
    }
    // Kotlin's `isDigit` also takes non-ASCII digits, but `readWord` then fails on them with
    // the same error as the enum branch would, so ASCII digits decide alone.
    if (b'0' as u16..=b'9' as u16).contains(&peeked) || peeked == b'-' as u16 {
        return Ok(OptionValue::Number(r.read_word(true)?));
    }
    let word = r.read_word(true)?;
    Ok(match word.as_str() {
        "true" | "false" => OptionValue::Boolean(word),
        _ => OptionValue::Enum(word),
    })
}

fn add_to_list(list: &mut Vec<OptionValue>, value: OptionValue) {
    match value {
        OptionValue::List(items) => list.extend(items),
        other => list.push(other),
    }
}

/// `{ key: value, … }`; a repeated key gathers its values into a list (Wire's `readMap`).
fn read_map(r: &mut Reader, depth: &mut Depth) -> Res<OptionValue> {
    depth.enter(r)?;
    r.read_char()?;
    let mut result: Vec<(String, OptionValue)> = Vec::new();
    loop {
        if r.peek_is('}')? {
            depth.leave();
            return Ok(OptionValue::Map(result));
        }
        let option = read_option(r, depth, ':')?;
        let name = option.name;
        match option.value {
            OptionValue::Option(inner) => {
                // `[ext].field: value`: a nested map under the key, holding the raw value.
                let inner = *inner;
                let raw = match inner.value {
                    OptionValue::Number(s) | OptionValue::Boolean(s) | OptionValue::Enum(s) => {
                        OptionValue::String(s)
                    }
                    other => other,
                };
                match result.iter_mut().find(|(k, _)| *k == name) {
                    Some((_, OptionValue::Map(entries))) => put(entries, inner.name, raw),
                    Some((_, slot)) => *slot = OptionValue::Map(vec![(inner.name, raw)]),
                    None => result.push((name, OptionValue::Map(vec![(inner.name, raw)]))),
                }
            }
            value => match result.iter_mut().find(|(k, _)| *k == name) {
                None => result.push((name, value)),
                Some((_, OptionValue::List(items))) => add_to_list(items, value),
                Some((_, slot)) => {
                    let previous = std::mem::replace(slot, OptionValue::List(Vec::new()));
                    let mut list = vec![previous];
                    add_to_list(&mut list, value);
                    *slot = OptionValue::List(list);
                }
            },
        }
        // An optional separator.
        if !r.peek_is(',')? {
            r.peek_is(';')?;
        }
    }
}

/// `map.put(key, value)` on an insertion-ordered map.
fn put(entries: &mut Vec<(String, OptionValue)>, key: String, value: OptionValue) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some((_, slot)) => *slot = value,
        None => entries.push((key, value)),
    }
}

/// `[ value, … ]`.
fn read_list(r: &mut Reader, depth: &mut Depth) -> Res<OptionValue> {
    depth.enter(r)?;
    r.require('[')?;
    let mut result = Vec::new();
    loop {
        if r.peek_is(']')? {
            depth.leave();
            return Ok(OptionValue::List(result));
        }
        result.push(read_kind_and_value(r, depth)?);
        if r.peek_is(',')? {
            continue;
        }
        if r.peek_char()? != b']' as u16 {
            return Err(r.unexpected("expected ',' or ']'"));
        }
    }
}
