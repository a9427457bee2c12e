//! PLACEHOLDER until the Java-exact Avro parser lands: compact JSON as canonical text.
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct ParsedAvro {
    pub canonical: String,
    pub normalized: String,
    pub defined_names: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AvroError(pub String);

pub fn parse(schema: &str, _references: &[&str], _strict: bool) -> Result<ParsedAvro, AvroError> {
    let v: Value = serde_json::from_str(schema).map_err(|e| AvroError(e.to_string()))?;
    let v = match v {
        Value::Object(ref m) if m.len() == 1 && m.get("type").is_some_and(|t| t.is_string()) => {
            m.get("type").cloned().unwrap_or(Value::Null)
        }
        other => other,
    };
    match &v {
        Value::String(_) | Value::Object(_) | Value::Array(_) => {}
        other => return Err(AvroError(format!("Schema not yet supported: {other}"))),
    }
    if let Value::Object(m) = &v {
        if m.get("type").and_then(|t| t.as_str()) == Some("record") && m.get("fields").is_none() {
            return Err(AvroError(format!("Record has no fields: {schema}")));
        }
    }
    let c = v.to_string();
    Ok(ParsedAvro {
        canonical: c.clone(),
        normalized: c,
        defined_names: vec![],
    })
}
