//! The recorded answers are Confluent 7.9's; the registry answers at the 8.x level. Before
//! comparing, the 8.x additions the recording cannot show are taken out of our answer,
//! each only where the recorded body lacks it and only when it has the form 8.x gives it
//! (docs/notes/responses-8x.md §4, from 8.3.1 `client/.../rest/entities/Schema.java`,
//! `SchemaString.java`, `requests/RegisterSchemaResponse.java`):
//! - `guid`: a UUID string (lower-case 8-4-4-4-12);
//! - `ts`: an integer; `deleted`: a boolean;
//! - `schemaType: "AVRO"` (7.9 left Avro's type out);
//! - a registration recorded as `{"id": N}`: 8.x answers the whole version, so only `id`
//!   is compared (the others must be among the fields 8.x adds);
//! - `GET /schemas/ids/{id}?subject=…` (and the `/contexts/{ctx}/…` form): `subject` and
//!   `version`, which 8.x adds.
//!
//! Nothing else is relaxed: ids, versions, texts, references, metadata, rule sets and every
//! error body are compared as recorded.

use serde_json::{Map, Value};

const REGISTER_EXTRAS: [&str; 9] = [
    "version",
    "guid",
    "schemaType",
    "schema",
    "references",
    "metadata",
    "ruleSet",
    "ts",
    "deleted",
];

fn is_uuid(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// Our answer to `step` with the 8.x additions that `want` (the recorded body) lacks taken out.
pub fn as_recorded(want: &Value, got: Value, step: &Value) -> Value {
    let method = step["m"].as_str().unwrap_or("");
    let path = step["p"].as_str().unwrap_or("");
    let route = path.split('?').next().unwrap_or("");
    // `POST /subjects/{s}/versions`, also under `/contexts/{ctx}`.
    let register = method == "POST" && route.contains("/subjects/") && route.ends_with("/versions");
    // `/contexts/{ctx}/schemas/ids/{id}` is `?subject=:.ctx:` (8.3.1 `ContextFilter`).
    let by_id_with_subject = route.starts_with("/contexts/") && route.contains("/schemas/ids/")
        || route.starts_with("/schemas/ids/")
            && path.split_once('?').is_some_and(|(_, q)| {
                q.split('&')
                    .any(|kv| kv.split('=').next() == Some("subject"))
            });
    if register {
        if let (Value::Object(w), Value::Object(g)) = (want, &got) {
            let only_id = w.len() == 1 && w.contains_key("id");
            let extras_ok = g
                .keys()
                .all(|k| k == "id" || REGISTER_EXTRAS.contains(&k.as_str()));
            if only_id && extras_ok && g.contains_key("id") {
                let mut out = Map::new();
                out.insert("id".into(), g["id"].clone());
                return Value::Object(out);
            }
        }
    }
    strip(want, got, by_id_with_subject)
}

fn strip(want: &Value, got: Value, by_id_with_subject: bool) -> Value {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let mut out = Map::new();
            for (k, v) in g {
                let added = !w.contains_key(&k)
                    && match k.as_str() {
                        "guid" => is_uuid(&v),
                        "ts" => v.is_i64(),
                        "deleted" => v.is_boolean(),
                        "schemaType" => v == "AVRO",
                        "subject" => by_id_with_subject && v.is_string(),
                        "version" => by_id_with_subject && v.is_i64(),
                        _ => false,
                    };
                if added {
                    continue;
                }
                let v = match w.get(&k) {
                    Some(wv) => strip(wv, v, false),
                    None => v,
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => Value::Array(
            w.iter()
                .zip(g)
                .map(|(wv, gv)| strip(wv, gv, false))
                .collect(),
        ),
        (_, got) => got,
    }
}
