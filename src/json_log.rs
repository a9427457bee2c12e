//! Lines of the JSON log (`--log-format json`) that tracing's formatter cannot write: it
//! renders every field as a string or number, so the effective configuration (an object)
//! and the `listening on` line (on stdout, where harnesses read it) are built here, in the
//! same shape as tracing's lines: `timestamp`, `level`, `message`, the fields, `target`.

use serde_json::{Map, Value};

/// One JSON line (without the newline).
pub fn line(level: &str, target: &str, message: &str, fields: Map<String, Value>) -> String {
    use tracing_subscriber::fmt::time::FormatTime;
    let mut timestamp = String::new();
    let _ = tracing_subscriber::fmt::time::SystemTime.format_time(
        &mut tracing_subscriber::fmt::format::Writer::new(&mut timestamp),
    );
    let mut object = Map::with_capacity(fields.len() + 4);
    object.insert("timestamp".into(), Value::String(timestamp));
    object.insert("level".into(), Value::String(level.into()));
    object.insert("message".into(), Value::String(message.into()));
    object.extend(fields);
    object.insert("target".into(), Value::String(target.into()));
    Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_is_one_object_with_the_fields() {
        let mut fields = serde_json::Map::new();
        fields.insert(
            "config".into(),
            serde_json::json!({"listen": "0.0.0.0:8081"}),
        );
        let l = super::line("INFO", "schema_registry", "effective configuration", fields);
        assert!(!l.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&l).expect("JSON");
        assert_eq!(v["config"]["listen"], "0.0.0.0:8081");
        assert_eq!(v["level"], "INFO");
        assert!(v["timestamp"].as_str().is_some_and(|t| t.len() > 10), "{v}");
    }
}
