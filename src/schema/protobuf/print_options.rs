//! Options as Confluent's printer writes them (`ProtobufSchemaUtils.toString(OptionElement)`,
//! `formatOptionMap`, `formatOptionMapOrListValue`, `appendOptions`, `escapeChars`,
//! `formatNumber`, 7.9), and the normalization of option lists (`FormatContext.filterOptions`,
//! `ProtobufSchema.transform`/`merge`).

use super::model::{OptionElement, OptionValue};
use super::print::Ctx;

/// `appendIndented`: each line of `value` (Java's `split("\n")`, trailing empty lines dropped)
/// indented by two spaces.
pub fn append_indented(sb: &mut String, value: &str) {
    let mut lines: Vec<&str> = value.split('\n').collect();
    if !value.is_empty() {
        while lines.last() == Some(&"") {
            lines.pop();
        }
    }
    for line in lines {
        sb.push_str("  ");
        sb.push_str(line);
        sb.push('\n');
    }
}

/// `escapeChars`.
pub fn escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

/// `formatNumber`: as written, or normalized through commons-lang `NumberUtils.createNumber`
/// and a `DecimalFormat` without grouping (3 fraction digits at most); text that is no number
/// (`-inf`, `nan`) stays as written.
pub fn format_number(ctx: &Ctx, value: &str) -> String {
    if !ctx.normalize {
        return value.to_string();
    }
    let (neg, body) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let sign = if neg { "-" } else { "" };
    let int = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        i128::from_str_radix(&body[1..], 8).ok()
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(n) = int {
        return if n == 0 {
            "0".into()
        } else {
            format!("{sign}{n}")
        };
    }
    let trimmed = body.trim_end_matches(['f', 'F', 'd', 'D']);
    if trimmed.is_empty()
        || !trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
    {
        return value.to_string();
    }
    let Ok(f) = trimmed.parse::<f64>() else {
        return value.to_string();
    };
    // createNumber prefers a Float when it holds the value.
    let f32v = f as f32;
    let v = if f32v.is_finite() && (f32v != 0.0 || f == 0.0) {
        f32v as f64
    } else {
        f
    };
    let mut s = format!("{:.3}", v);
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "0" || s == "-0" {
        return if neg { "-0".into() } else { "0".into() };
    }
    format!("{sign}{s}")
}

/// `toString(OptionElement)`: `name = value`.
pub fn option_text(ctx: &Ctx, o: &OptionElement) -> String {
    let mut sb = String::new();
    if o.parenthesized {
        sb.push('(');
        sb.push_str(&o.name);
        sb.push(')');
    } else {
        sb.push_str(&o.name);
    }
    match &o.value {
        OptionValue::String(s) => {
            sb.push_str(" = \"");
            sb.push_str(&escape(s));
            sb.push('"');
        }
        OptionValue::Boolean(s) | OptionValue::Enum(s) => {
            sb.push_str(" = ");
            sb.push_str(s);
        }
        OptionValue::Number(s) => {
            sb.push_str(" = ");
            sb.push_str(&format_number(ctx, s));
        }
        OptionValue::Option(inner) => {
            sb.push('.');
            sb.push_str(&option_text(ctx, inner));
        }
        OptionValue::Map(entries) => {
            sb.push_str(" = {\n");
            format_map(ctx, &mut sb, entries);
            sb.push('}');
        }
        OptionValue::List(items) => {
            sb.push_str(" = ");
            let texts: Vec<String> = items.iter().map(|v| value_text(ctx, v)).collect();
            append_options(&mut sb, &texts);
        }
    }
    sb
}

/// `option name = value;\n`
pub fn option_statement(ctx: &Ctx, o: &OptionElement) -> String {
    format!("option {};\n", option_text(ctx, o))
}

/// `appendOptions`: `[one]`, or one item a line.
pub fn append_options(sb: &mut String, items: &[String]) {
    if items.len() == 1 {
        sb.push('[');
        sb.push_str(&items[0]);
        sb.push(']');
        return;
    }
    sb.push_str("[\n");
    for (i, item) in items.iter().enumerate() {
        let endl = if i + 1 < items.len() { "," } else { "" };
        append_indented(sb, &format!("{item}{endl}"));
    }
    sb.push(']');
}

/// `formatOptionMap`: `key: value` lines; normalized: empty lists dropped, `[ext]` keys
/// resolved, keys sorted.
fn format_map(ctx: &Ctx, sb: &mut String, entries: &[(String, OptionValue)]) {
    let mut list: Vec<(String, &OptionValue)> =
        entries.iter().map(|(k, v)| (k.clone(), v)).collect();
    if ctx.normalize {
        let mut sorted: std::collections::BTreeMap<String, &OptionValue> = Default::default();
        for (k, v) in entries {
            if matches!(v, OptionValue::List(items) if items.is_empty()) {
                continue;
            }
            let mut key = k.clone();
            if k.len() >= 2 && k.starts_with('[') && k.ends_with(']') {
                if let Some(r) = ctx.resolve_extend(&k[1..k.len() - 1]) {
                    key = format!("[{r}]");
                }
            }
            sorted.entry(key).or_insert(v);
        }
        list = sorted.into_iter().collect();
    }
    let n = list.len();
    for (i, (k, v)) in list.iter().enumerate() {
        let endl = if i + 1 < n { "," } else { "" };
        append_indented(sb, &format!("{k}: {}{endl}", value_text(ctx, v)));
    }
}

/// `formatOptionMapOrListValue`.
pub fn value_text(ctx: &Ctx, v: &OptionValue) -> String {
    match v {
        OptionValue::String(s) => format!("\"{}\"", escape(s)),
        OptionValue::Boolean(s) | OptionValue::Enum(s) => s.clone(),
        OptionValue::Number(s) => format_number(ctx, s),
        OptionValue::Map(entries) => {
            let mut sb = String::from("{\n");
            format_map(ctx, &mut sb, entries);
            sb.push('}');
            sb
        }
        OptionValue::List(items) => {
            if ctx.normalize && items.len() == 1 {
                return value_text(ctx, &items[0]);
            }
            let mut sb = String::from("[\n");
            for (i, item) in items.iter().enumerate() {
                let endl = if i + 1 < items.len() { "," } else { "" };
                append_indented(&mut sb, &format!("{}{endl}", value_text(ctx, item)));
            }
            sb.push(']');
            sb
        }
        OptionValue::Option(o) => option_text(ctx, o),
    }
}

/// `ProtobufSchema.transform`: `(a).b.c = v` as the aggregate `(a) = { b: { c: v } }`.
fn transform(o: OptionElement) -> OptionElement {
    match o.value {
        OptionValue::Option(inner) => OptionElement {
            name: o.name,
            value: transform_map(*inner),
            parenthesized: o.parenthesized,
        },
        _ => o,
    }
}

fn transform_map(inner: OptionElement) -> OptionValue {
    let value = match inner.value {
        OptionValue::Option(deeper) => transform_map(*deeper),
        other => other,
    };
    OptionValue::Map(vec![(inner.name, value)])
}

/// `ProtobufSchema.merge`: two aggregates of one non-repeated option become one, values of a
/// key written in both gathered into a list without duplicates.
fn merge(existing: OptionElement, replacement: OptionElement) -> OptionElement {
    let replacement = transform(replacement);
    match (existing.value, replacement.value) {
        (OptionValue::Map(mut merged), OptionValue::Map(add)) => {
            for (k, v2) in add {
                match merged.iter_mut().find(|(key, _)| *key == k) {
                    None => merged.push((k, v2)),
                    Some((_, slot)) => {
                        let v1 = std::mem::replace(slot, OptionValue::List(Vec::new()));
                        let mut set: Vec<OptionValue> = Vec::new();
                        for v in [v1, v2] {
                            let items = match v {
                                OptionValue::List(items) => items,
                                other => vec![other],
                            };
                            for item in items {
                                if !set.contains(&item) {
                                    set.push(item);
                                }
                            }
                        }
                        *slot = OptionValue::List(set);
                    }
                }
            }
            OptionElement {
                name: replacement.name,
                value: OptionValue::Map(merged),
                parenthesized: replacement.parenthesized,
            }
        }
        (_, value) => OptionElement {
            name: replacement.name,
            value,
            parenthesized: replacement.parenthesized,
        },
    }
}

/// `FormatContext.filterOptions`: custom options dropped for `ignore_extensions` (Confluent's
/// own `confluent.*` kept); normalized: custom names resolved, sorted by name, the aggregates of
/// one non-repeated extension merged.
pub fn filter_options(ctx: &Ctx, options: &[OptionElement]) -> Vec<OptionElement> {
    let mut list: Vec<OptionElement> = options
        .iter()
        .filter(|o| !ctx.ignore_extensions || !o.parenthesized || o.name.starts_with("confluent."))
        .cloned()
        .collect();
    if !ctx.normalize || list.is_empty() {
        return list;
    }
    list = list
        .into_iter()
        .map(|o| {
            if o.parenthesized {
                if let Some(resolved) = ctx.resolve_extend(&o.name) {
                    return transform(OptionElement {
                        name: resolved,
                        ..o
                    });
                }
            }
            o
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<OptionElement> = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let mut j = i;
        while j < list.len() && list[j].name == list[i].name {
            j += 1;
        }
        let group: Vec<OptionElement> = list[i..j].to_vec();
        match ctx.extend_repeated(&list[i].name) {
            Some(false) => {
                let mut it = group.into_iter();
                if let Some(first) = it.next() {
                    out.push(it.fold(first, merge));
                }
            }
            _ => out.extend(group),
        }
        i = j;
    }
    out
}
