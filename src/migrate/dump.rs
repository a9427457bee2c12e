//! The dump format (version 1): its lines, reading and writing it, and the dependency order
//! of its schema lines. Described in the [`super`] module documentation.

use crate::model::Subject;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

/// The `format` of the header line.
pub const FORMAT: &str = "schema-registry-dump";
/// The `formatVersion` written; dumps of a higher version are refused.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub exported_at: String,
    #[serde(default)]
    pub tool: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefLine {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

pub(super) fn avro() -> String {
    "AVRO".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaLine {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    #[serde(default = "avro")]
    pub schema_type: String,
    pub schema: String,
    #[serde(default)]
    pub references: Vec<RefLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigLine {
    /// `None`: the global config; `:.ctx:`: a context's; else a subject's.
    pub subject: Option<String>,
    pub config: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeLine {
    /// `None`: the global mode; `:.ctx:`: a context's; else a subject's.
    pub subject: Option<String>,
    pub mode: String,
}

/// A KEK of the DEK registry, as `GET /dek-registry/v1/keks/{name}?deleted=true` answers
/// it, without `ts` (the target stamps its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KekLine {
    pub name: String,
    pub kms_type: String,
    pub kms_key_id: String,
    #[serde(default)]
    pub kms_props: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub deleted: bool,
}

/// One DEK version, as `GET /dek-registry/v1/keks/{kek}/deks/{subject}/versions/{v}
/// ?deleted=true&algorithm=ALG` answers it, without `ts` and never with `keyMaterial` (the
/// raw key a registry with a KMS answers for a shared KEK: the field is not read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DekLine {
    pub kek_name: String,
    pub subject: String,
    pub version: i32,
    pub algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_key_material: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

/// The algorithms of the DEK registry (`DekFormat`); `AES256_GCM` is the API's default.
pub const DEK_ALGORITHMS: [&str; 3] = ["AES128_GCM", "AES256_GCM", "AES256_SIV"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndLine {
    pub schemas: usize,
    pub configs: usize,
    pub modes: usize,
    /// Absent in dumps written before the DEK registry was exported: 0.
    #[serde(default)]
    pub keks: usize,
    #[serde(default)]
    pub deks: usize,
}

/// A whole dump, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    pub header: Header,
    pub schemas: Vec<SchemaLine>,
    pub configs: Vec<ConfigLine>,
    pub modes: Vec<ModeLine>,
    pub keks: Vec<KekLine>,
    pub deks: Vec<DekLine>,
}

/// One line of the dump: `{"type": kind, …fields}`.
fn line<T: Serialize>(kind: &str, item: &T) -> String {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    if let Ok(Value::Object(fields)) = serde_json::to_value(item) {
        m.extend(fields);
    }
    Value::Object(m).to_string()
}

impl Dump {
    /// The dump as JSON Lines (header, schemas, configs, modes, keks, deks, end), each line
    /// ended by `\n`.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        let mut push = |l: String| {
            out.push_str(&l);
            out.push('\n');
        };
        push(line("header", &self.header));
        for s in &self.schemas {
            push(line("schema", s));
        }
        for c in &self.configs {
            push(line("config", c));
        }
        for m in &self.modes {
            push(line("mode", m));
        }
        for k in &self.keks {
            push(line("kek", k));
        }
        for d in &self.deks {
            push(line("dek", d));
        }
        push(line(
            "end",
            &EndLine {
                schemas: self.schemas.len(),
                configs: self.configs.len(),
                modes: self.modes.len(),
                keks: self.keks.len(),
                deks: self.deks.len(),
            },
        ));
        out
    }

    /// Parses and checks a dump; warnings (unknown line types) go to `warn`.
    pub fn parse(text: &str, warn: &mut dyn FnMut(String)) -> Result<Dump, String> {
        let mut header: Option<Header> = None;
        let mut end: Option<EndLine> = None;
        let mut schemas = Vec::new();
        let mut configs = Vec::new();
        let mut modes = Vec::new();
        let mut keks: Vec<KekLine> = Vec::new();
        let mut deks: Vec<DekLine> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            if end.is_some() {
                return Err(format!("line {n}: content after the end line"));
            }
            let v: Value =
                serde_json::from_str(raw).map_err(|e| format!("line {n}: not JSON: {e}"))?;
            let kind = v
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("line {n}: no \"type\" field"))?
                .to_string();
            let bad = |e: serde_json::Error| format!("line {n}: malformed {kind} line: {e}");
            if header.is_none() && kind != "header" {
                return Err(format!(
                    "line {n}: the dump does not start with a header line (is this a dump made by `schema-registry export`?)"
                ));
            }
            match kind.as_str() {
                "header" => {
                    if header.is_some() {
                        return Err(format!("line {n}: a second header line"));
                    }
                    let h: Header = serde_json::from_value(v).map_err(bad)?;
                    if h.format != FORMAT {
                        return Err(format!("line {n}: format {:?} is not {FORMAT:?}", h.format));
                    }
                    if h.format_version > FORMAT_VERSION {
                        return Err(format!(
                            "line {n}: dump format version {} is newer than this tool reads ({FORMAT_VERSION})",
                            h.format_version
                        ));
                    }
                    header = Some(h);
                }
                "schema" => {
                    let s: SchemaLine = serde_json::from_value(v).map_err(bad)?;
                    if s.version < 1 || s.id < 0 || s.subject.is_empty() {
                        return Err(format!(
                            "line {n}: schema line with subject {:?}, version {}, id {}",
                            s.subject, s.version, s.id
                        ));
                    }
                    schemas.push(s);
                }
                "config" => configs.push(serde_json::from_value(v).map_err(bad)?),
                "mode" => modes.push(serde_json::from_value(v).map_err(bad)?),
                "kek" => {
                    let k: KekLine = serde_json::from_value(v).map_err(bad)?;
                    if k.name.is_empty() {
                        return Err(format!("line {n}: kek line without a name"));
                    }
                    keks.push(k);
                }
                "dek" => {
                    let d: DekLine = serde_json::from_value(v).map_err(bad)?;
                    if d.version < 1 || d.kek_name.is_empty() || d.subject.is_empty() {
                        return Err(format!(
                            "line {n}: dek line with kekName {:?}, subject {:?}, version {}",
                            d.kek_name, d.subject, d.version
                        ));
                    }
                    deks.push(d);
                }
                "end" => end = Some(serde_json::from_value(v).map_err(bad)?),
                other => warn(format!(
                    "line {n}: skipping a line of unknown type {other:?}"
                )),
            }
        }
        let header = header.ok_or("the dump is empty")?;
        let end =
            end.ok_or("the dump has no end line: it is incomplete (was the export interrupted?)")?;
        let held = (
            schemas.len(),
            configs.len(),
            modes.len(),
            keks.len(),
            deks.len(),
        );
        if (end.schemas, end.configs, end.modes, end.keks, end.deks) != held {
            return Err(format!(
                "the end line announces {} schemas, {} configs, {} modes, {} keks, {} deks but the dump holds {}, {}, {}, {}, {}",
                end.schemas,
                end.configs,
                end.modes,
                end.keks,
                end.deks,
                held.0,
                held.1,
                held.2,
                held.3,
                held.4
            ));
        }
        let mut seen = BTreeSet::new();
        for s in &schemas {
            if !seen.insert((s.subject.as_str(), s.version)) {
                return Err(format!(
                    "subject {:?} version {} appears twice",
                    s.subject, s.version
                ));
            }
        }
        let mut names = BTreeSet::new();
        for k in &keks {
            if !names.insert(k.name.as_str()) {
                return Err(format!("kek {:?} appears twice", k.name));
            }
        }
        let mut seen = BTreeSet::new();
        for d in &deks {
            if !seen.insert((&d.kek_name, &d.subject, &d.algorithm, d.version)) {
                return Err(format!(
                    "dek {:?} subject {:?} {} version {} appears twice",
                    d.kek_name, d.subject, d.algorithm, d.version
                ));
            }
        }
        Ok(Dump {
            header,
            schemas: order_schemas(schemas),
            configs,
            modes,
            keks,
            deks,
        })
    }
}

/// The subject a reference names, qualified as the registry resolves it: an unqualified
/// reference of a schema in a non-default context stays in that context.
fn reference_target(referrer: &str, name: &str) -> String {
    let of = Subject::parse(referrer);
    let s = Subject::parse(name);
    if s.is_default_context() && !of.is_default_context() && !name.starts_with(":.") {
        Subject::in_context(&of.context, name).qualified()
    } else {
        s.qualified()
    }
}

/// Orders schema lines so that every version comes after the versions it references and after
/// the previous version of its subject (Kahn's algorithm; among ready lines the lowest ID, then
/// subject and version, first). Lines in a cycle (which a registry cannot hold) follow by ID.
pub fn order_schemas(mut lines: Vec<SchemaLine>) -> Vec<SchemaLine> {
    lines.sort_by(|a, b| (a.id, &a.subject, a.version).cmp(&(b.id, &b.subject, b.version)));
    let qualified: Vec<String> = lines
        .iter()
        .map(|l| Subject::parse(&l.subject).qualified())
        .collect();
    let mut at: HashMap<(&str, i32), usize> = HashMap::new();
    let mut by_subject: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        at.insert((qualified[i].as_str(), l.version), i);
        by_subject
            .entry(qualified[i].as_str())
            .or_default()
            .push(l.version);
    }
    for vs in by_subject.values_mut() {
        vs.sort_unstable();
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    let mut targets: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let q = qualified[i].as_str();
        if let Some(vs) = by_subject.get(q) {
            if let Some(prev) = vs.iter().rev().find(|v| **v < l.version) {
                if let Some(&j) = at.get(&(q, *prev)) {
                    deps[i].push(j);
                }
            }
        }
        targets.clear();
        for r in &l.references {
            targets.push(reference_target(&l.subject, &r.subject));
        }
        for (r, t) in l.references.iter().zip(&targets) {
            let version = if r.version == -1 {
                by_subject.get(t.as_str()).and_then(|vs| vs.last().copied())
            } else {
                Some(r.version)
            };
            if let Some(j) = version.and_then(|v| at.get(&(t.as_str(), v))) {
                if *j != i {
                    deps[i].push(*j);
                }
            }
        }
    }
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    for (i, ds) in deps.iter().enumerate() {
        for &j in ds {
            dependents[j].push(i);
        }
    }
    // Lines are sorted by (id, subject, version): the index is the tie-break.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..lines.len())
        .filter(|i| waiting[*i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(lines.len());
    let mut placed = vec![false; lines.len()];
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        placed[i] = true;
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    order.extend((0..lines.len()).filter(|i| !placed[*i]));
    let mut slots: Vec<Option<SchemaLine>> = lines.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
/// Now as RFC 3339 UTC (`2024-05-01T12:34:56Z`).
pub(super) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(subject: &str, version: i32, id: i32, refs: &[(&str, i32)]) -> SchemaLine {
        SchemaLine {
            subject: subject.into(),
            version,
            id,
            schema_type: avro(),
            schema: "\"string\"".into(),
            references: refs
                .iter()
                .map(|(s, v)| RefLine {
                    name: format!("{s}.Type"),
                    subject: s.to_string(),
                    version: *v,
                })
                .collect(),
            metadata: None,
            rule_set: None,
            deleted: false,
        }
    }

    fn keys(lines: &[SchemaLine]) -> Vec<(String, i32)> {
        lines
            .iter()
            .map(|l| (l.subject.clone(), l.version))
            .collect()
    }

    #[test]
    fn references_come_before_their_referrers() {
        // `a` v1 (id 1) references `b` v2 (id 5); `b` v1 has id 9 (an ID reused later).
        let lines = vec![
            line("a", 1, 1, &[("b", 2)]),
            line("b", 1, 9, &[]),
            line("b", 2, 5, &[]),
            line("c", 1, 2, &[("b", -1)]),
        ];
        let ordered = order_schemas(lines);
        assert_eq!(
            keys(&ordered),
            vec![
                ("b".to_string(), 1),
                ("b".to_string(), 2),
                ("a".to_string(), 1),
                ("c".to_string(), 1)
            ]
        );
    }

    #[test]
    fn references_in_a_context_resolve_in_that_context() {
        let lines = vec![
            line(":.ctx:a", 1, 1, &[("b", 1)]),
            line("b", 1, 0, &[]),
            line(":.ctx:b", 1, 2, &[]),
        ];
        let ordered = order_schemas(lines);
        assert_eq!(
            keys(&ordered),
            vec![
                ("b".to_string(), 1),
                (":.ctx:b".to_string(), 1),
                (":.ctx:a".to_string(), 1)
            ]
        );
    }

    #[test]
    fn cycles_fall_back_to_id_order() {
        let lines = vec![line("a", 1, 2, &[("b", 1)]), line("b", 1, 1, &[("a", 1)])];
        assert_eq!(
            keys(&order_schemas(lines)),
            vec![("b".to_string(), 1), ("a".to_string(), 1)]
        );
    }

    #[test]
    fn dumps_round_trip_and_truncation_is_detected() {
        let dump = Dump {
            header: Header {
                format: FORMAT.into(),
                format_version: 1,
                source: "http://x".into(),
                exported_at: now_rfc3339(),
                tool: "t".into(),
            },
            schemas: vec![line("a", 1, 1, &[])],
            configs: vec![ConfigLine {
                subject: None,
                config: Map::from_iter([("compatibilityLevel".to_string(), json!("FULL"))]),
            }],
            modes: vec![ModeLine {
                subject: Some("a".into()),
                mode: "READONLY".into(),
            }],
            keks: vec![KekLine {
                name: "k".into(),
                kms_type: "aws-kms".into(),
                kms_key_id: "arn:aws:kms:us-east-1:1:key/x".into(),
                kms_props: BTreeMap::from([("p".to_string(), "v".to_string())]),
                doc: None,
                shared: false,
                deleted: true,
            }],
            deks: vec![DekLine {
                kek_name: "k".into(),
                subject: "a".into(),
                version: 1,
                algorithm: "AES256_GCM".into(),
                encrypted_key_material: Some("AAAA".into()),
                deleted: true,
            }],
        };
        let text = dump.to_jsonl();
        assert!(
            text.contains(r#"{"type":"kek","name":"k","kmsType":"aws-kms","#),
            "{text}"
        );
        assert!(
            text.contains(r#""type":"end","schemas":1,"configs":1,"modes":1,"keks":1,"deks":1}"#)
        );
        assert!(text.starts_with("{\"type\":\"header\""), "{text}");
        let mut warnings = Vec::new();
        let back = Dump::parse(&text, &mut |w| warnings.push(w));
        assert_eq!(back, Ok(dump));
        let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        let err = Dump::parse(&cut, &mut |_| {}).unwrap_err();
        assert!(err.contains("no end line"), "{err}");
        let extra = text.replacen("\n", "\n{\"type\":\"future\",\"x\":1}\n", 1);
        let mut warnings = Vec::new();
        assert!(Dump::parse(&extra, &mut |w| warnings.push(w)).is_ok());
        assert_eq!(warnings.len(), 1);
        assert!(Dump::parse("{\"type\":\"schema\"}", &mut |_| {}).is_err());
        // A dump written before keys were exported: its end line has no key counts.
        let old = concat!(
            r#"{"type":"header","format":"schema-registry-dump","formatVersion":1}"#,
            "\n",
            r#"{"type":"end","schemas":0,"configs":0,"modes":0}"#,
        );
        assert!(Dump::parse(old, &mut |_| {}).is_ok());
        // The end line counts the keys too.
        let short = text.replace(r#""keks":1,"deks":1"#, r#""keks":1,"deks":2"#);
        let err = Dump::parse(&short, &mut |_| {}).unwrap_err();
        assert!(err.contains("2 deks"), "{err}");
        assert!(Dump::parse("not json", &mut |_| {}).is_err());
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
