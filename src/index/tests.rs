//! Unit tests of the index's pure rules. Most are tables: each row applies records in log
//! order (the n-th step at offset n) and states the whole resulting view — versions, IDs,
//! refused offsets, leadership, fence floor, keys to repair, configs and modes — so a row
//! fails on any rule that changes what it touches.

use super::*;
use crate::store::record::{
    encode, ClearSubjectValue, DeleteSubjectValue, LeadershipValue, ModeValue, Record, SchemaValue,
};

/// One record to apply.
#[derive(Clone, Copy)]
enum Op {
    /// A SCHEMA record: subject, version, ID, schema text, soft-deleted.
    Schema(&'static str, i32, i32, &'static str, bool),
    /// A SCHEMA tombstone (permanent delete of one version).
    Tombstone(&'static str, i32),
    /// DELETE_SUBJECT up to a version (soft delete).
    DeleteSubject(&'static str, i32),
    /// CLEAR_SUBJECT (permanent delete of the soft-deleted versions).
    ClearSubject(&'static str),
    /// A LEADERSHIP claim: epoch, node.
    Claim(i64, &'static str),
    /// A CONFIG record (scope, compatibility level); `None` level = tombstone.
    Config(Option<&'static str>, Option<&'static str>),
    /// A MODE record (scope, mode); `None` mode = tombstone.
    Mode(Option<&'static str>, Option<&'static str>),
    /// A NOOP marker.
    Noop,
    /// Bytes that are no record.
    Garbage,
}

/// A step: the record, stamped with a leader epoch or not.
#[derive(Clone, Copy)]
struct Step(Op, Option<i64>);

fn put(subject: &'static str, version: i32, id: i32, schema: &'static str) -> Step {
    Step(Op::Schema(subject, version, id, schema, false), None)
}
fn soft(subject: &'static str, version: i32, id: i32, schema: &'static str) -> Step {
    Step(Op::Schema(subject, version, id, schema, true), None)
}
fn tomb(subject: &'static str, version: i32) -> Step {
    Step(Op::Tombstone(subject, version), None)
}
fn claim(epoch: i64, node: &'static str) -> Step {
    Step(Op::Claim(epoch, node), None)
}
fn op(o: Op) -> Step {
    Step(o, None)
}
/// `step` stamped with leader epoch `epoch`.
fn at(epoch: i64, step: Step) -> Step {
    Step(step.0, Some(epoch))
}

fn raw(o: Op) -> RawRecord {
    let (key, value) = match o {
        Op::Schema(subject, version, id, schema, deleted) => (
            Key::Schema {
                subject: subject.into(),
                version,
            },
            Some(Value::Schema(SchemaValue {
                subject: Some(subject.into()),
                version,
                id,
                schema_type: None,
                references: vec![],
                metadata: None,
                rule_set: None,
                schema: schema.into(),
                deleted,
            })),
        ),
        Op::Tombstone(subject, version) => (
            Key::Schema {
                subject: subject.into(),
                version,
            },
            None,
        ),
        Op::DeleteSubject(subject, version) => (
            Key::DeleteSubject {
                subject: subject.into(),
            },
            Some(Value::DeleteSubject(DeleteSubjectValue {
                subject: Some(subject.into()),
                version,
            })),
        ),
        Op::ClearSubject(subject) => (
            Key::ClearSubject {
                subject: subject.into(),
            },
            Some(Value::ClearSubject(ClearSubjectValue {
                subject: Some(subject.into()),
            })),
        ),
        Op::Claim(epoch, node) => (
            Key::Leadership,
            Some(Value::Leadership(LeadershipValue {
                epoch,
                node: node.into(),
            })),
        ),
        Op::Config(scope, level) => (
            Key::Config {
                subject: scope.map(String::from),
            },
            level.map(|l| {
                Value::Config(ConfigValue {
                    compatibility_level: Some(l.into()),
                    ..Default::default()
                })
            }),
        ),
        Op::Mode(scope, mode) => (
            Key::Mode {
                subject: scope.map(String::from),
            },
            mode.map(|m| {
                Value::Mode(ModeValue {
                    subject: scope.map(String::from),
                    mode: m.into(),
                })
            }),
        ),
        Op::Noop => (Key::Noop, Some(Value::Empty)),
        Op::Garbage => {
            return RawRecord {
                key: b"not json".to_vec(),
                value: Some(b"{}".to_vec()),
            }
        }
    };
    encode(&Record { key, value })
}

/// What a row expects after its steps. Lists are complete: anything not listed must be
/// absent.
#[derive(Debug, PartialEq, Default)]
struct View {
    /// `subject/version=id`, ` deleted` appended for soft-deleted versions.
    versions: Vec<String>,
    /// `context:id holder,holder… schema`.
    ids: Vec<String>,
    /// `context content -> id`: what a registration of that content resolves to.
    by_content: Vec<String>,
    /// `context next id N` (the highest ID ever seen + 1), for every known context.
    next_ids: Vec<String>,
    /// `subject next version N` (the highest version kept, soft-deleted ones included, + 1).
    next_versions: Vec<String>,
    rejected: Vec<i64>,
    /// (epoch, node, offset of the newest valid claim).
    leader: Option<(i64, String, i64)>,
    fence_floor: i64,
    /// `subject/version` of SCHEMA keys to repair.
    to_repair: Vec<String>,
    /// `config <scope>=<level>` and `mode <scope>=<mode>` (`*` = global scope).
    settings: Vec<String>,
    applied: i64,
}

fn view(ix: &Index) -> View {
    let mut v = View {
        rejected: ix.rejected.iter().copied().collect(),
        leader: ix
            .leadership
            .as_ref()
            .map(|l| (l.epoch, l.node.clone(), l.offset)),
        fence_floor: ix.fence_floor,
        applied: ix.applied,
        ..Default::default()
    };
    for (s, vs) in &ix.subjects {
        for (ver, e) in vs {
            let deleted = if e.deleted { " deleted" } else { "" };
            v.versions.push(format!("{s}/{ver}={}{deleted}", e.id));
        }
        let last = vs.keys().next_back().copied().unwrap_or(0);
        v.next_versions
            .push(format!("{s} next version {}", last + 1));
    }
    for (ctx, c) in &ix.contexts {
        let mut ids: Vec<_> = c.ids.iter().collect();
        ids.sort_by_key(|(id, _)| **id);
        for (id, e) in ids {
            let holders: Vec<String> = e.holders.iter().map(|(s, v)| format!("{s}/{v}")).collect();
            v.ids.push(format!(
                "{ctx}:{id} {} {}",
                holders.join(","),
                e.body.schema
            ));
        }
        let mut contents: Vec<String> = c
            .by_content
            .iter()
            .map(|(key, id)| {
                let schema = c
                    .ids
                    .values()
                    .find(|e| e.body.content_key() == *key)
                    .map_or("?", |e| e.body.schema.as_str());
                format!("{ctx} {schema} -> {id}")
            })
            .collect();
        contents.sort();
        v.by_content.extend(contents);
        v.next_ids
            .push(format!("{ctx} next id {}", ix.max_id(ctx) + 1));
    }
    for k in &ix.to_repair {
        match record::decode_key(k) {
            Ok(Key::Schema { subject, version }) => {
                v.to_repair.push(format!("{subject}/{version}"))
            }
            other => v.to_repair.push(format!("{other:?}")),
        }
    }
    let scope = |s: &Scope| s.clone().unwrap_or_else(|| "*".into());
    for (s, c) in &ix.configs {
        let level = c.compatibility_level.as_deref().unwrap_or("-");
        v.settings.push(format!("config {}={level}", scope(s)));
    }
    for (s, m) in &ix.modes {
        v.settings.push(format!("mode {}={}", scope(s), m.as_str()));
    }
    v.settings.sort();
    v
}

/// A row: its name, the records applied in order, the view expected after them.
struct Row {
    name: &'static str,
    steps: Vec<Step>,
    expect: View,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The view every row starts from, with the fields a row usually sets.
fn expect(versions: &[&str], ids: &[&str], rejected: &[i64]) -> View {
    View {
        versions: strings(versions),
        ids: strings(ids),
        rejected: rejected.to_vec(),
        ..Default::default()
    }
}

fn run(rows: Vec<Row>) {
    let mut failures = Vec::new();
    for row in rows {
        let mut ix = Index::new();
        for (offset, Step(o, epoch)) in row.steps.iter().enumerate() {
            ix.apply_fenced(offset as i64, &raw(*o), *epoch);
        }
        let got = view(&ix);
        let mut want = row.expect;
        // Fields a row leaves at their default are derived from the rest where that is
        // the rule itself (not worth restating in every row): they are checked by the rows
        // about them.
        if want.by_content.is_empty() {
            want.by_content = got.by_content.clone();
        }
        if want.next_ids.is_empty() {
            want.next_ids = got.next_ids.clone();
        }
        if want.next_versions.is_empty() {
            want.next_versions = got.next_versions.clone();
        }
        want.applied = row.steps.len() as i64 - 1;
        if got != want {
            failures.push(format!(
                "row {:?}:\n  expected {want:#?}\n  got      {got:#?}",
                row.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const S: &str = "\"string\"";
const I: &str = "\"int\"";
const L: &str = "\"long\"";

#[test]
fn leadership_and_fencing_epochs() {
    run(vec![
        Row {
            name: "unstamped records are never fenced, even under a leader",
            steps: vec![claim(5, "a"), put("s", 1, 1, S)],
            expect: View {
                leader: Some((5, "a".into(), 0)),
                ..expect(&["s/1=1"], &[".:1 s/1 \"string\""], &[])
            },
        },
        Row {
            name: "a record of the leader's epoch is accepted and raises the fence floor",
            steps: vec![claim(2, "a"), at(2, put("s", 1, 1, S))],
            expect: View {
                leader: Some((2, "a".into(), 0)),
                fence_floor: 2,
                ..expect(&["s/1=1"], &[".:1 s/1 \"string\""], &[])
            },
        },
        Row {
            name: "a record stamped older than the accepted claim is refused and its key repaired",
            steps: vec![claim(3, "a"), at(2, put("s", 1, 1, S))],
            expect: View {
                leader: Some((3, "a".into(), 0)),
                to_repair: strings(&["s/1"]),
                ..expect(&[], &[], &[1])
            },
        },
        Row {
            name: "a refused record leaves the earlier value of its key in place",
            steps: vec![
                claim(1, "a"),
                at(1, put("s", 1, 1, S)),
                claim(2, "b"),
                at(1, soft("s", 1, 1, S)),
            ],
            expect: View {
                leader: Some((2, "b".into(), 2)),
                fence_floor: 1,
                to_repair: strings(&["s/1"]),
                ..expect(&["s/1=1"], &[".:1 s/1 \"string\""], &[3])
            },
        },
        Row {
            name: "a later accepted record of a refused key clears its repair",
            steps: vec![
                claim(3, "a"),
                at(2, put("s", 1, 1, S)),
                at(3, put("s", 1, 1, S)),
            ],
            expect: View {
                leader: Some((3, "a".into(), 0)),
                fence_floor: 3,
                ..expect(&["s/1=1"], &[".:1 s/1 \"string\""], &[1])
            },
        },
        Row {
            name: "a refused NOOP is refused but needs no repair",
            steps: vec![claim(3, "a"), at(2, op(Op::Noop))],
            expect: View {
                leader: Some((3, "a".into(), 0)),
                ..expect(&[], &[], &[1])
            },
        },
        Row {
            name: "a higher epoch whose claim was compacted away is accepted; older ones after it are not",
            steps: vec![
                claim(3, "a"),
                at(7, put("s", 1, 1, S)),
                at(5, put("t", 1, 2, I)),
                at(7, put("u", 1, 3, L)),
            ],
            expect: View {
                leader: Some((3, "a".into(), 0)),
                fence_floor: 7,
                to_repair: strings(&["t/1"]),
                ..expect(
                    &["s/1=1", "u/1=3"],
                    &[".:1 s/1 \"string\"", ".:3 u/1 \"long\""],
                    &[2],
                )
            },
        },
        Row {
            name: "the fence floor holds without any claim in the log",
            steps: vec![at(4, put("a", 1, 1, S)), at(3, put("b", 1, 2, I))],
            expect: View {
                fence_floor: 4,
                to_repair: strings(&["b/1"]),
                ..expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[1])
            },
        },
        Row {
            name: "a claim below the fence floor leads but does not lower the floor",
            steps: vec![
                at(9, put("a", 1, 1, S)),
                claim(3, "b"),
                at(3, put("b", 1, 2, I)),
            ],
            expect: View {
                leader: Some((3, "b".into(), 1)),
                fence_floor: 9,
                to_repair: strings(&["b/1"]),
                ..expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[2])
            },
        },
        Row {
            name: "a higher claim takes over and fences the deposed leader",
            steps: vec![claim(1, "a"), claim(2, "b"), at(1, put("s", 1, 1, S))],
            expect: View {
                leader: Some((2, "b".into(), 1)),
                to_repair: strings(&["s/1"]),
                ..expect(&[], &[], &[2])
            },
        },
        Row {
            name: "claims may jump epochs (compaction keeps only the newest)",
            steps: vec![claim(1, "a"), claim(8, "c")],
            expect: View {
                leader: Some((8, "c".into(), 1)),
                ..expect(&[], &[], &[])
            },
        },
        Row {
            name: "the same node renewing its epoch moves the claim's offset",
            steps: vec![claim(2, "a"), put("s", 1, 1, S), claim(2, "a")],
            expect: View {
                leader: Some((2, "a".into(), 2)),
                ..expect(&["s/1=1"], &[".:1 s/1 \"string\""], &[])
            },
        },
        Row {
            name: "the loser of two claims of the same epoch is ignored",
            steps: vec![claim(2, "a"), claim(2, "b")],
            expect: View {
                leader: Some((2, "a".into(), 0)),
                ..expect(&[], &[], &[])
            },
        },
        Row {
            name: "a stale claim is ignored",
            steps: vec![claim(4, "a"), claim(3, "b")],
            expect: View {
                leader: Some((4, "a".into(), 0)),
                ..expect(&[], &[], &[])
            },
        },
        Row {
            name: "a first claim must be of epoch 1 or more",
            steps: vec![claim(0, "a"), claim(-1, "b")],
            expect: expect(&[], &[], &[]),
        },
        Row {
            name: "stale claims are not refused records (LEADERSHIP is never fenced)",
            steps: vec![at(5, claim(6, "a")), at(1, claim(7, "b"))],
            expect: View {
                leader: Some((7, "b".into(), 1)),
                ..expect(&[], &[], &[])
            },
        },
    ]);
}

#[test]
fn duplicate_id_guard() {
    run(vec![
        Row {
            name: "the same ID for the same schema in two subjects is shared",
            steps: vec![put("a", 1, 1, S), put("b", 1, 1, S)],
            expect: expect(&["a/1=1", "b/1=1"], &[".:1 a/1,b/1 \"string\""], &[]),
        },
        Row {
            name: "an ID bound to a schema is refused for a different one",
            steps: vec![put("a", 1, 1, S), put("b", 1, 1, I)],
            expect: expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[1]),
        },
        Row {
            name: "the only holder of an ID may rewrite its schema",
            steps: vec![put("a", 1, 1, S), put("a", 1, 1, I)],
            expect: View {
                by_content: strings(&[". \"int\" -> 1"]),
                ..expect(&["a/1=1"], &[".:1 a/1 \"int\""], &[])
            },
        },
        Row {
            name: "one of two holders may not rewrite the shared ID's schema",
            steps: vec![put("a", 1, 1, S), put("b", 1, 1, S), put("a", 1, 1, I)],
            expect: expect(&["a/1=1", "b/1=1"], &[".:1 a/1,b/1 \"string\""], &[2]),
        },
        Row {
            name: "a soft-deleted version still holds its ID",
            steps: vec![soft("a", 1, 1, S), put("b", 1, 1, I)],
            expect: expect(&["a/1=1 deleted"], &[".:1 a/1 \"string\""], &[1]),
        },
        Row {
            name: "an ID no version holds any more may be bound to another schema",
            steps: vec![put("a", 1, 1, S), tomb("a", 1), put("b", 1, 1, I)],
            expect: View {
                by_content: strings(&[". \"int\" -> 1"]),
                ..expect(&["b/1=1"], &[".:1 b/1 \"int\""], &[])
            },
        },
        Row {
            name: "IDs are per context: the same number in another context is another ID",
            steps: vec![put("a", 1, 1, S), put(":.c:a", 1, 1, I)],
            expect: View {
                next_ids: strings(&[". next id 2", ".c next id 2"]),
                ..expect(
                    &[":.c:a/1=1", "a/1=1"],
                    &[".:1 a/1 \"string\"", ".c:1 :.c:a/1 \"int\""],
                    &[],
                )
            },
        },
        Row {
            name: "the guard applies within a context",
            steps: vec![put(":.c:a", 1, 1, S), put(":.c:b", 1, 1, I)],
            expect: expect(&[":.c:a/1=1"], &[".c:1 :.c:a/1 \"string\""], &[1]),
        },
        Row {
            name: "two IDs for one content: registrations resolve to the newest",
            steps: vec![put("a", 1, 1, S), put("b", 1, 5, S)],
            expect: View {
                by_content: strings(&[". \"string\" -> 5"]),
                ..expect(
                    &["a/1=1", "b/1=5"],
                    &[".:1 a/1 \"string\"", ".:5 b/1 \"string\""],
                    &[],
                )
            },
        },
        Row {
            name: "when the resolved ID goes, its content resolves to the other ID again",
            steps: vec![put("a", 1, 1, S), put("b", 1, 5, S), tomb("b", 1)],
            expect: View {
                by_content: strings(&[". \"string\" -> 1"]),
                next_ids: strings(&[". next id 6"]),
                ..expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[])
            },
        },
        Row {
            name: "refused offsets accumulate in log order",
            steps: vec![
                put("a", 1, 1, S),
                put("b", 1, 1, I),
                put("c", 1, 2, L),
                put("d", 1, 2, I),
            ],
            expect: expect(
                &["a/1=1", "c/1=2"],
                &[".:1 a/1 \"string\"", ".:2 c/1 \"long\""],
                &[1, 3],
            ),
        },
    ]);
}

#[test]
fn superseded_values_tombstones_and_deletes() {
    run(vec![
        Row {
            name: "a later value for a key replaces the earlier one and frees its ID",
            steps: vec![put("a", 1, 1, S), put("a", 1, 2, I)],
            expect: View {
                next_ids: strings(&[". next id 3"]),
                ..expect(&["a/1=2"], &[".:2 a/1 \"int\""], &[])
            },
        },
        Row {
            name: "a tombstone removes the version and the ID it alone held; IDs are not reused",
            steps: vec![put("a", 1, 1, S), tomb("a", 1)],
            expect: View {
                next_ids: strings(&[". next id 2"]),
                ..expect(&[], &[], &[])
            },
        },
        Row {
            name: "a tombstone keeps an ID another version holds",
            steps: vec![put("a", 1, 1, S), put("b", 1, 1, S), tomb("a", 1)],
            expect: expect(&["b/1=1"], &[".:1 b/1 \"string\""], &[]),
        },
        Row {
            name: "a tombstone of an unknown key changes nothing",
            steps: vec![put("a", 1, 1, S), tomb("a", 2), tomb("zz", 1)],
            expect: expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[]),
        },
        Row {
            name: "a value after a tombstone brings the key back",
            steps: vec![put("a", 1, 1, S), tomb("a", 1), put("a", 1, 1, S)],
            expect: expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[]),
        },
        Row {
            name: "soft delete by a SCHEMA record with deleted=true keeps the ID",
            steps: vec![put("a", 1, 1, S), soft("a", 1, 1, S)],
            expect: expect(&["a/1=1 deleted"], &[".:1 a/1 \"string\""], &[]),
        },
        Row {
            name: "an undelete (deleted=false again) revives the version",
            steps: vec![put("a", 1, 1, S), soft("a", 1, 1, S), put("a", 1, 1, S)],
            expect: expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[]),
        },
        Row {
            name: "DELETE_SUBJECT soft-deletes the versions up to its version only",
            steps: vec![
                put("a", 1, 1, S),
                put("a", 2, 2, I),
                put("a", 3, 3, L),
                op(Op::DeleteSubject("a", 2)),
            ],
            expect: expect(
                &["a/1=1 deleted", "a/2=2 deleted", "a/3=3"],
                &[".:1 a/1 \"string\"", ".:2 a/2 \"int\"", ".:3 a/3 \"long\""],
                &[],
            ),
        },
        Row {
            name: "CLEAR_SUBJECT (permanent delete) removes only the soft-deleted versions",
            steps: vec![
                put("a", 1, 1, S),
                put("a", 2, 2, I),
                op(Op::DeleteSubject("a", 1)),
                op(Op::ClearSubject("a")),
            ],
            expect: View {
                next_ids: strings(&[". next id 3"]),
                ..expect(&["a/2=2"], &[".:2 a/2 \"int\""], &[])
            },
        },
        Row {
            name: "a permanent delete of one subject keeps the ID another subject holds",
            steps: vec![
                put("a", 1, 1, S),
                put("b", 1, 1, S),
                op(Op::DeleteSubject("a", 1)),
                op(Op::ClearSubject("a")),
            ],
            expect: expect(&["b/1=1"], &[".:1 b/1 \"string\""], &[]),
        },
        Row {
            name: "DELETE_SUBJECT and CLEAR_SUBJECT of unknown subjects change nothing",
            steps: vec![
                put("a", 1, 1, S),
                op(Op::DeleteSubject("zz", 9)),
                op(Op::ClearSubject("zz")),
                op(Op::ClearSubject("a")),
            ],
            expect: expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[]),
        },
        Row {
            name: "configs and modes: later values replace, tombstones remove, per scope",
            steps: vec![
                op(Op::Config(None, Some("FULL"))),
                op(Op::Config(Some("a"), Some("NONE"))),
                op(Op::Config(None, Some("BACKWARD"))),
                op(Op::Mode(None, Some("READONLY"))),
                op(Op::Mode(Some(":.c:"), Some("IMPORT"))),
                op(Op::Mode(None, None)),
                op(Op::Config(Some("a"), None)),
                op(Op::Mode(Some("b"), Some("NOT_A_MODE"))),
            ],
            expect: View {
                settings: strings(&["config *=BACKWARD", "mode :.c:=IMPORT"]),
                ..expect(&[], &[], &[])
            },
        },
        Row {
            name: "malformed records and NOOPs are skipped but count as applied",
            steps: vec![put("a", 1, 1, S), op(Op::Garbage), op(Op::Noop)],
            expect: expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[]),
        },
    ]);
}

#[test]
fn version_numbering_and_ids() {
    run(vec![
        Row {
            name: "an empty index: the default context starts at ID 1",
            steps: vec![],
            expect: View {
                next_ids: strings(&[". next id 1"]),
                ..expect(&[], &[], &[])
            },
        },
        Row {
            name: "the next version follows the highest one",
            steps: vec![put("a", 1, 1, S), put("a", 2, 2, I)],
            expect: View {
                next_versions: strings(&["a next version 3"]),
                next_ids: strings(&[". next id 3"]),
                ..expect(
                    &["a/1=1", "a/2=2"],
                    &[".:1 a/1 \"string\"", ".:2 a/2 \"int\""],
                    &[],
                )
            },
        },
        Row {
            name: "soft-deleted versions keep their numbers taken",
            steps: vec![
                put("a", 1, 1, S),
                put("a", 2, 2, I),
                op(Op::DeleteSubject("a", 2)),
            ],
            expect: View {
                next_versions: strings(&["a next version 3"]),
                ..expect(
                    &["a/1=1 deleted", "a/2=2 deleted"],
                    &[".:1 a/1 \"string\"", ".:2 a/2 \"int\""],
                    &[],
                )
            },
        },
        Row {
            name: "a permanently deleted latest version frees its number, not its ID",
            steps: vec![
                put("a", 1, 1, S),
                put("a", 2, 2, I),
                soft("a", 2, 2, I),
                tomb("a", 2),
            ],
            expect: View {
                next_versions: strings(&["a next version 2"]),
                next_ids: strings(&[". next id 3"]),
                ..expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[])
            },
        },
        Row {
            name: "versions may have gaps (imports); the next follows the highest",
            steps: vec![put("a", 1, 1, S), put("a", 7, 9, I)],
            expect: View {
                next_versions: strings(&["a next version 8"]),
                next_ids: strings(&[". next id 10"]),
                ..expect(
                    &["a/1=1", "a/7=9"],
                    &[".:1 a/1 \"string\"", ".:9 a/7 \"int\""],
                    &[],
                )
            },
        },
        Row {
            name: "each context numbers its IDs on its own",
            steps: vec![put("a", 1, 1, S), put("a", 2, 2, I), put(":.x:a", 1, 1, L)],
            expect: View {
                next_ids: strings(&[". next id 3", ".x next id 2"]),
                next_versions: strings(&[":.x:a next version 2", "a next version 3"]),
                ..expect(
                    &[":.x:a/1=1", "a/1=1", "a/2=2"],
                    &[
                        ".:1 a/1 \"string\"",
                        ".:2 a/2 \"int\"",
                        ".x:1 :.x:a/1 \"long\"",
                    ],
                    &[],
                )
            },
        },
        Row {
            name: "a refused record does not raise the next ID",
            steps: vec![
                put("a", 1, 1, S),
                put("b", 1, 1, I),
                claim(2, "n"),
                at(1, put("c", 1, 50, L)),
            ],
            expect: View {
                leader: Some((2, "n".into(), 2)),
                to_repair: strings(&["c/1"]),
                next_ids: strings(&[". next id 2"]),
                ..expect(&["a/1=1"], &[".:1 a/1 \"string\""], &[1, 3])
            },
        },
    ]);
}

/// The helpers the tables rely on must see differences: a view differing from the expected
/// one in any field fails the row.
#[test]
#[should_panic(expected = "row \"deliberately wrong\"")]
fn a_row_with_a_wrong_expectation_fails() {
    run(vec![Row {
        name: "deliberately wrong",
        steps: vec![put("a", 1, 1, S)],
        expect: expect(&["a/1=2"], &[".:1 a/1 \"string\""], &[]),
    }]);
}

// ---- scenarios written before the tables ----------------------------------------------

fn schema_rec(subject: &str, version: i32, id: i32, schema: &str, deleted: bool) -> RawRecord {
    encode(&Record {
        key: Key::Schema {
            subject: subject.into(),
            version,
        },
        value: Some(Value::Schema(SchemaValue {
            subject: Some(subject.into()),
            version,
            id,
            schema_type: None,
            references: vec![],
            metadata: None,
            rule_set: None,
            schema: schema.into(),
            deleted,
        })),
    })
}

#[test]
fn apply_builds_ids_and_versions() {
    let mut ix = Index::new();
    ix.apply(0, &schema_rec("a", 1, 1, "\"string\"", false));
    ix.apply(1, &schema_rec("b", 1, 1, "\"string\"", false));
    ix.apply(2, &schema_rec(":.c:a", 1, 1, "\"int\"", false));
    assert_eq!(ix.schema_by_id(".", 1).map(|e| e.holders.len()), Some(2));
    assert_eq!(
        ix.schema_by_id(".c", 1).map(|e| e.body.schema.as_str()),
        Some("\"int\"")
    );
    assert_eq!(ix.max_id("."), 1);
    // duplicate-ID guard
    ix.apply(3, &schema_rec("x", 1, 1, "\"long\"", false));
    assert!(ix.versions("x").is_none());
    // tombstones release the ID only when no version holds it
    ix.apply(
        4,
        &RawRecord {
            key: encode(&Record {
                key: Key::Schema {
                    subject: "a".into(),
                    version: 1,
                },
                value: None,
            })
            .key,
            value: None,
        },
    );
    assert!(ix.schema_by_id(".", 1).is_some());
    ix.apply(
        5,
        &RawRecord {
            key: encode(&Record {
                key: Key::Schema {
                    subject: "b".into(),
                    version: 1,
                },
                value: None,
            })
            .key,
            value: None,
        },
    );
    assert!(ix.schema_by_id(".", 1).is_none());
    assert_eq!(ix.max_id("."), 1, "max id is not lowered");
    // malformed records are skipped
    ix.apply(
        6,
        &RawRecord {
            key: b"garbage".to_vec(),
            value: None,
        },
    );
    assert_eq!(ix.applied, 6);
}

#[test]
fn keys_written_in_another_byte_form_are_rewritten_and_tombstoned_in_that_form() {
    let mut ix = Index::new();
    let value = schema_rec("s", 1, 1, "\"string\"", false).value;
    // Older registries wrote the fields in another order; Redpanda adds seq/node.
    let other = br#"{"magic":1,"keytype":"SCHEMA","subject":"s","version":1}"#.to_vec();
    ix.apply(
        0,
        &RawRecord {
            key: other.clone(),
            value,
        },
    );
    assert!(ix.versions("s").is_some());
    let key = Key::Schema {
        subject: "s".into(),
        version: 1,
    };
    let soft = ix.records_for(
        key.clone(),
        schema_rec("s", 1, 1, "\"string\"", true)
            .value
            .as_deref()
            .and_then(|v| record::decode_value(&key, Some(v)).ok().flatten()),
    );
    assert_eq!(soft.len(), 1);
    assert_eq!(soft[0].key, other, "rewrites keep the log's key bytes");
    let hard = ix.records_for(key.clone(), None);
    let keys: Vec<&[u8]> = hard.iter().map(|r| r.key.as_slice()).collect();
    assert!(
        keys.contains(&other.as_slice()),
        "the old bytes are tombstoned"
    );
    assert!(keys.contains(&record::encode_key(&key).as_slice()));
    assert!(hard.iter().all(|r| r.value.is_none()));
    // Once the old form is tombstoned it is forgotten.
    ix.apply(1, &hard[0]);
    assert_eq!(ix.records_for(key.clone(), None).len(), 1);
    // Our own encoding needs no bookkeeping.
    assert!(ix.alt_keys.is_empty());
}

fn leadership(epoch: i64, node: &str) -> RawRecord {
    encode(&Record {
        key: Key::Leadership,
        value: Some(Value::Leadership(crate::store::record::LeadershipValue {
            epoch,
            node: node.into(),
        })),
    })
}

/// A node that reads on from an old checkpoint (warm start from its cache) after
/// compaction removed the intermediate LEADERSHIP records sees epoch 3, then records of
/// epoch 10, then the newest claim of epoch 10: it must accept them as the nodes that saw
/// every claim did (found by scripts/fault-campaign.sh: such a node refused every valid
/// record, took itself for a follower of epoch 3, claimed epoch 4 and "repaired" a
/// thousand keys the others then refused).
#[test]
fn epochs_that_jump_after_compaction_are_followed_and_older_ones_fenced() {
    let mut ix = Index::new();
    ix.apply(0, &leadership(3, "http://a"));
    ix.apply_fenced(1, &schema_rec("s", 1, 1, "\"string\"", false), Some(3));
    // Offsets 2..9 (claims of epochs 4..10) were compacted away.
    ix.apply_fenced(10, &schema_rec("s", 2, 2, "\"int\"", false), Some(10));
    assert_eq!(
        ix.versions("s").map(|v| v.len()),
        Some(2),
        "epoch 10 record accepted"
    );
    ix.apply(11, &leadership(10, "http://c"));
    assert_eq!(ix.leadership.as_ref().map(|l| l.epoch), Some(10));
    // A deposed leader's record and a stale claim stay refused.
    ix.apply_fenced(12, &schema_rec("s", 3, 3, "\"long\"", false), Some(9));
    assert_eq!(ix.versions("s").map(|v| v.len()), Some(2));
    assert!(ix.rejected.contains(&12));
    ix.apply(13, &leadership(10, "http://b"));
    ix.apply(14, &leadership(7, "http://b"));
    assert_eq!(
        ix.leadership.as_ref().map(|l| (l.epoch, l.node.as_str())),
        Some((10, "http://c"))
    );
}

#[test]
fn a_deposed_leaders_record_after_a_newer_epoch_is_refused_without_its_claim() {
    // A node that knows only epoch 3 reads a record of epoch 10 (the claims of 4..10
    // compacted away), then one a deposed leader of epoch 9 wrote after the claim of 10.
    let mut ix = Index::new();
    ix.apply(0, &leadership(3, "http://a"));
    ix.apply_fenced(10, &schema_rec("s", 1, 1, "\"int\"", false), Some(10));
    ix.apply_fenced(11, &schema_rec("t", 1, 2, "\"long\"", false), Some(9));
    assert!(ix.rejected.contains(&11), "the epoch-9 record was accepted");
    assert!(ix.versions("t").is_none());
    // Records of the newest epoch (and later ones) still go through.
    ix.apply_fenced(12, &schema_rec("u", 1, 3, "\"float\"", false), Some(10));
    assert_eq!(ix.versions("u").map(|v| v.len()), Some(1));
}
