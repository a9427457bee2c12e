//! JSON writing as Jackson's generator does it, and Java's `Double`/`Float.toString` layout.

use super::Json;

pub(crate) fn write_json(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => out.push_str(&i.to_string()),
        Json::Long(i) => out.push_str(&i.to_string()),
        Json::BigInt(s) | Json::Decimal(s) => out.push_str(s),
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
pub(crate) fn write_json_str(out: &mut String, s: &str) {
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
pub(crate) fn java_double(v: f64) -> String {
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
pub(crate) fn java_float(v: f32) -> String {
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
pub(crate) fn java_layout(neg: bool, sci: &str) -> String {
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
