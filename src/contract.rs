//! Data contracts as Confluent keeps them: a schema's `metadata` and `ruleSet` (and the
//! config's default/override ones) are bound to Confluent's entities and stored in their
//! serialized form (8.3.1 `Metadata`, `RuleSet`, `Rule`): defaults filled (`kind`
//! TRANSFORM, `mode` WRITEREAD, `disabled` false), tags and params sorted, unknown fields
//! and empty parts dropped, fields in Confluent's order. Two requests that differ only in
//! such details are the same schema, as in Confluent. `validate_rule_set` is
//! `RuleSet.validate` (42210), which register, config and tag edits run; lookups and
//! compatibility checks do not.

use crate::error::{RegistryError, Result};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// `Rule.NAME_MAX_LENGTH` (8.x; 64 in 7.9).
const RULE_NAME_MAX: usize = 256;

const RULE_KINDS: [&str; 2] = ["TRANSFORM", "CONDITION"];
const RULE_MODES: [&str; 6] = [
    "UPGRADE",
    "DOWNGRADE",
    "UPDOWN",
    "WRITE",
    "READ",
    "WRITEREAD",
];
const ENVIRONMENTS: [&str; 5] = ["ALL", "CLIENT", "GATEWAY", "SERVER", "NONE"];

fn bad(msg: String) -> RegistryError {
    RegistryError::BadRequest(400, msg)
}

/// Jackson's name for a JSON token in its binding messages.
pub fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Array(_) => "Array value (token `JsonToken.START_ARRAY`)",
        Json::Object(_) => "Object value (token `JsonToken.START_OBJECT`)",
        Json::String(_) => "String value",
        Json::Number(_) => "Number value",
        Json::Bool(_) => "Boolean value",
        Json::Null => "null",
    }
}

/// The value must be a JSON object (named `what` in messages, as Jackson does).
pub fn object<'a>(v: &'a Json, what: &str) -> Result<&'a Map<String, Json>> {
    match v {
        Json::Object(m) => Ok(m),
        other => Err(bad(format!(
            "Cannot deserialize value of type `{what}` from {}",
            type_name(other)
        ))),
    }
}

/// A string as Jackson binds one: scalars coerced to their text; containers refused.
pub fn string(v: &Json) -> Result<Option<String>> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) => Ok(Some(s.clone())),
        Json::Number(n) => Ok(Some(n.to_string())),
        Json::Bool(b) => Ok(Some(b.to_string())),
        other => Err(bad(format!(
            "Cannot deserialize value of type `java.lang.String` from {}",
            type_name(other)
        ))),
    }
}

fn field(m: &Map<String, Json>, name: &str) -> Result<Option<String>> {
    m.get(name).map_or(Ok(None), string)
}

fn enum_field(
    m: &Map<String, Json>,
    name: &str,
    class: &str,
    values: &[&str],
) -> Result<Option<String>> {
    match field(m, name)? {
        None => Ok(None),
        Some(s) if values.contains(&s.as_str()) => Ok(Some(s)),
        Some(s) => Err(bad(format!(
            "Cannot deserialize value of type `{class}` from String \"{s}\": not one of the values accepted for Enum class: [{}]",
            values.join(", ")
        ))),
    }
}

fn string_set(m: &Map<String, Json>, name: &str) -> Result<BTreeSet<String>> {
    match m.get(name) {
        None | Some(Json::Null) => Ok(BTreeSet::new()),
        Some(Json::Array(items)) => Ok(items
            .iter()
            .map(string)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `java.util.Set<java.lang.String>` from {}",
            type_name(other)
        ))),
    }
}

fn string_map(m: &Map<String, Json>, name: &str) -> Result<BTreeMap<String, Option<String>>> {
    match m.get(name) {
        None | Some(Json::Null) => Ok(BTreeMap::new()),
        Some(Json::Object(o)) => o
            .iter()
            .map(|(k, v)| Ok((k.clone(), string(v)?)))
            .collect(),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `java.util.Map<java.lang.String,java.lang.String>` from {}",
            type_name(other)
        ))),
    }
}

fn not_empty(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.is_empty())
}

/// Confluent's `Rule`, in its JSON order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(skip_serializing_if = "skip")]
    name: Option<String>,
    #[serde(skip_serializing_if = "skip")]
    doc: Option<String>,
    kind: String,
    mode: String,
    #[serde(rename = "type", skip_serializing_if = "skip")]
    rule_type: Option<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    tags: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    params: BTreeMap<String, Option<String>>,
    #[serde(skip_serializing_if = "skip")]
    expr: Option<String>,
    #[serde(skip_serializing_if = "skip")]
    on_success: Option<String>,
    #[serde(skip_serializing_if = "skip")]
    on_failure: Option<String>,
    disabled: bool,
}

fn skip(s: &Option<String>) -> bool {
    !not_empty(s)
}

impl Rule {
    fn bind(v: &Json) -> Result<Rule> {
        let m = object(v, "Rule")?;
        let disabled = match m.get("disabled") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(Json::String(s)) if s == "true" || s == "false" => s == "true",
            Some(other) => {
                return Err(bad(format!(
                    "Cannot deserialize value of type `boolean` from {}",
                    type_name(other)
                )))
            }
        };
        Ok(Rule {
            name: field(m, "name")?,
            doc: field(m, "doc")?,
            kind: enum_field(m, "kind", "RuleKind", &RULE_KINDS)?
                .unwrap_or_else(|| "TRANSFORM".into()),
            mode: enum_field(m, "mode", "RuleMode", &RULE_MODES)?
                .unwrap_or_else(|| "WRITEREAD".into()),
            rule_type: field(m, "type")?,
            tags: string_set(m, "tags")?,
            params: string_map(m, "params")?,
            expr: field(m, "expr")?,
            on_success: field(m, "onSuccess")?,
            on_failure: field(m, "onFailure")?,
            disabled,
        })
    }

    /// `Rule.validate`: the name, the type, single actions outside WRITEREAD and UPDOWN.
    fn validate(&self) -> std::result::Result<(), String> {
        let name = self.name.as_deref().ok_or("Missing rule name")?;
        let mut chars = name.chars();
        let first = chars.next().ok_or("Empty rule name")?;
        if name.encode_utf16().count() > RULE_NAME_MAX {
            return Err("Rule name too long".into());
        }
        if !(first.is_alphabetic() || first == '_') {
            return Err(format!("Illegal initial character in rule name: {name}"));
        }
        if !chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err(format!("Illegal character in rule name: {name}"));
        }
        if self.rule_type.is_none() {
            return Err("Missing rule type".into());
        }
        let single_only = self.mode != "WRITEREAD" && self.mode != "UPDOWN";
        for action in [&self.on_success, &self.on_failure] {
            if single_only && action.as_deref().is_some_and(|a| a.contains(',')) {
                return Err("Multiple actions only valid with WRITEREAD and UPDOWN".into());
            }
        }
        Ok(())
    }
}

/// Confluent's `RuleSet`, in its JSON order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleSet {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    migration_rules: Vec<Rule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    domain_rules: Vec<Rule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    encoding_rules: Vec<Rule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_at: Option<String>,
}

fn rules(m: &Map<String, Json>, name: &str) -> Result<Vec<Rule>> {
    match m.get(name) {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => items.iter().map(Rule::bind).collect(),
        Some(other) => Err(bad(format!(
            "Cannot deserialize value of type `java.util.ArrayList<Rule>` from {}",
            type_name(other)
        ))),
    }
}

impl RuleSet {
    fn bind(v: &Json) -> Result<RuleSet> {
        let m = object(v, "RuleSet")?;
        Ok(RuleSet {
            migration_rules: rules(m, "migrationRules")?,
            domain_rules: rules(m, "domainRules")?,
            encoding_rules: rules(m, "encodingRules")?,
            enable_at: enum_field(m, "enableAt", "ExecutionEnvironment", &ENVIRONMENTS)?,
        })
    }

    /// `RuleSet.validate`: migration, domain, then encoding rules, one name set for all.
    fn validate(&self) -> std::result::Result<(), String> {
        let mut names: BTreeSet<Option<&str>> = BTreeSet::new();
        let lists = [
            (
                &self.migration_rules,
                true,
                "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
            ),
            (
                &self.domain_rules,
                false,
                "Domain rules can only be WRITE, READ, WRITEREAD",
            ),
            (
                &self.encoding_rules,
                false,
                "Encoding rules can only be WRITE, READ, WRITEREAD",
            ),
        ];
        for (list, migration, wrong_mode) in lists {
            for r in list {
                let name = r.name.as_deref();
                if !names.insert(name) {
                    return Err(format!(
                        "Found rule with duplicate name '{}'",
                        name.unwrap_or("null")
                    ));
                }
                r.validate()?;
                let is_migration = matches!(r.mode.as_str(), "UPGRADE" | "DOWNGRADE" | "UPDOWN");
                if is_migration != migration {
                    return Err(wrong_mode.into());
                }
            }
        }
        Ok(())
    }
}

/// Confluent's `Metadata`, in its JSON order.
#[derive(Debug, Clone, Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, BTreeSet<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, Option<String>>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    sensitive: BTreeSet<String>,
}

impl Metadata {
    fn bind(v: &Json) -> Result<Metadata> {
        let m = object(v, "Metadata")?;
        let tags = match m.get("tags") {
            None | Some(Json::Null) => BTreeMap::new(),
            Some(Json::Object(inner)) => inner
                .keys()
                .map(|k| Ok((k.clone(), string_set(inner, k)?)))
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(bad(format!(
                    "Cannot deserialize value of type `java.util.Map<java.lang.String,java.util.Set<java.lang.String>>` from {}",
                    type_name(other)
                )))
            }
        };
        Ok(Metadata {
            tags,
            properties: string_map(m, "properties")?,
            sensitive: string_set(m, "sensitive")?,
        })
    }
}

fn to_json<T: Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// A request's `ruleSet` as Confluent binds and stores it (400 on a binding error).
pub fn rule_set(v: &Json) -> Result<Json> {
    Ok(to_json(&RuleSet::bind(v)?))
}

/// A request's `metadata` as Confluent binds and stores it (400 on a binding error).
pub fn metadata(v: &Json) -> Result<Json> {
    Ok(to_json(&Metadata::bind(v)?))
}

/// `RuleSet.validate` on a bound rule set: 42210 with Confluent's message.
pub fn validate_rule_set(v: &Json) -> Result<()> {
    RuleSet::bind(v)?
        .validate()
        .map_err(RegistryError::InvalidRuleSet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invalid(rs: Json) -> String {
        match validate_rule_set(&rs) {
            Err(RegistryError::InvalidRuleSet(m)) => m,
            other => format!("{other:?}"),
        }
    }

    // 8.3.1 Rule's creator: defaults, sorted tags and params, NON_EMPTY, `disabled` always.
    #[test]
    fn rules_are_stored_in_confluents_form() {
        let rs = rule_set(&json!({"encodingRules": [], "foo": 1, "domainRules": [
            {"expr": "x", "name": "c", "type": "CEL", "params": {"z": "1", "a": 2},
             "tags": ["b", "a", "b"], "doc": "", "bar": true}]}))
        .expect("binds");
        assert_eq!(
            rs.to_string(),
            r#"{"domainRules":[{"name":"c","kind":"TRANSFORM","mode":"WRITEREAD","type":"CEL","tags":["a","b"],"params":{"a":"2","z":"1"},"expr":"x","disabled":false}]}"#
        );
        assert_eq!(rule_set(&json!({})).expect("empty").to_string(), "{}");
    }

    // 8.3.1 Metadata: sorted maps and sets, empty parts left out; values are strings.
    #[test]
    fn metadata_is_sorted_and_strings_only() {
        let m = metadata(
            &json!({"properties": {"b": "1", "a": 2}, "sensitive": ["y", "x", "x"], "tags": {}}),
        )
        .expect("binds");
        assert_eq!(
            m.to_string(),
            r#"{"properties":{"a":"2","b":"1"},"sensitive":["x","y"]}"#
        );
        let e = metadata(&json!({"properties": {"k": {"x": 1}}})).expect_err("object value");
        assert!(e.to_string().contains("from Object value"), "{e}");
    }

    // 8.3.1 RuleSet.validate and Rule.validate, in their order.
    #[test]
    fn rule_sets_are_validated_as_confluent_does() {
        let r = |v: Json| json!({"domainRules": [v]});
        assert_eq!(
            invalid(json!({"migrationRules": [{"name": "m", "type": "JSONATA"}]})),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"
        );
        assert_eq!(
            invalid(r(json!({"name": "x", "mode": "WRITE"}))),
            "Missing rule type"
        );
        assert_eq!(invalid(r(json!({"type": "CEL"}))), "Missing rule name");
        assert_eq!(
            invalid(r(json!({"name": "", "type": "CEL"}))),
            "Empty rule name"
        );
        assert_eq!(
            invalid(r(json!({"name": "1x", "type": "CEL"}))),
            "Illegal initial character in rule name: 1x"
        );
        assert_eq!(
            invalid(r(json!({"name": "a.b", "type": "CEL"}))),
            "Illegal character in rule name: a.b"
        );
        assert_eq!(
            invalid(r(json!({"name": "a".repeat(257), "type": "CEL"}))),
            "Rule name too long"
        );
        assert_eq!(
            invalid(r(
                json!({"name": "x", "type": "CEL", "mode": "WRITE", "onFailure": "DLQ,ERROR"})
            )),
            "Multiple actions only valid with WRITEREAD and UPDOWN"
        );
        assert_eq!(
            invalid(json!({"domainRules": [{"name": "x", "type": "CEL"}],
                           "encodingRules": [{"name": "x", "type": "CEL"}]})),
            "Found rule with duplicate name 'x'"
        );
        assert_eq!(
            invalid(
                json!({"encodingRules": [{"name": "e", "type": "ENCRYPT", "mode": "UPGRADE"}]})
            ),
            "Encoding rules can only be WRITE, READ, WRITEREAD"
        );
        assert!(validate_rule_set(&r(json!({"name": "_ok-1", "type": ""}))).is_ok());
        let e = validate_rule_set(&r(json!({"name": "x", "type": "CEL", "kind": "FOO"})))
            .expect_err("enum");
        assert!(matches!(e, RegistryError::BadRequest(400, _)), "{e:?}");
    }
}
