//! `SchemaDiff.compare(original, update)` and the per-type diffs (`StringSchemaDiff`,
//! `NumberSchemaDiff`, `EnumSchemaDiff`, `ConstSchemaDiff`, `NotSchemaDiff`,
//! `CombinedSchemaDiff`; objects and arrays in `content.rs`) over two models.
//!
//! Only differences that are incompatible under the policy are kept: Confluent filters the
//! compatible ones out at the end, and whether a sub-comparison "is compatible" only asks
//! whether it found an incompatible one, so dropping them early changes nothing.

use super::difference::{is_compatible, Difference};
use super::memo::Memo;
use super::model::{Criterion, Kind, Model, NodeId};
use super::sets::{canonical, max_matching};
use serde_json::Value;
use std::collections::HashSet;

/// Deepest nesting of comparisons (keeps the stack bounded).
const MAX_DEPTH: usize = 512;
/// Most comparisons one check may make (combined schemas compare every pair of subschemas).
const MAX_STEPS: usize = 2_000_000;

/// A node of one of the two models: `side` 0 = the original (writer), 1 = the update (reader).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct At {
    pub side: u8,
    pub id: NodeId,
}

pub(super) type Diffs = Vec<Difference>;

pub(super) struct Differ<'a> {
    pub models: [&'a Model; 2],
    pub lenient: bool,
    /// `Context.jsonPath`.
    pub path: Vec<String>,
    /// `Context.schemas`: the original schemas being compared (identity).
    pub schemas: Vec<At>,
    pub steps: usize,
    pub depth: usize,
    /// Set when a limit was hit; the result is then this error.
    pub error: Option<String>,
    /// 8.2's memoized pairs (lenient policy only).
    pub memo: Memo,
}

impl<'a> Differ<'a> {
    pub(super) fn new(original: &'a Model, update: &'a Model, lenient: bool) -> Differ<'a> {
        Differ {
            models: [original, update],
            lenient,
            path: Vec::new(),
            schemas: Vec::new(),
            steps: 0,
            depth: 0,
            error: None,
            memo: Memo::default(),
        }
    }

    pub(super) fn kind(&self, at: At) -> &'a Kind {
        self.models[usize::from(at.side & 1)].kind(at.id)
    }

    pub(super) fn has_default(&self, at: At) -> bool {
        self.models[usize::from(at.side & 1)]
            .node(at.id)
            .is_some_and(|n| n.has_default)
    }

    /// 8.2: both schemas carry `"connect.type": "bytes"`.
    fn both_bytes(&self, a: At, b: At) -> bool {
        let bytes = |x: At| {
            self.models[usize::from(x.side & 1)]
                .node(x.id)
                .is_some_and(|n| n.connect_bytes)
        };
        bytes(a) && bytes(b)
    }

    fn normalize(&self, at: At) -> At {
        At {
            side: at.side,
            id: self.models[usize::from(at.side & 1)].normalize(at.id),
        }
    }

    fn json_path(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }

    /// `Context.addDifference(type)`.
    pub(super) fn add(&self, out: &mut Diffs, kind: &'static str) {
        if !is_compatible(kind, self.lenient) {
            out.push(Difference {
                kind,
                path: self.json_path(),
            });
        }
    }

    /// `Context.addDifference(attribute, type)`.
    pub(super) fn add_at(&mut self, out: &mut Diffs, attribute: &str, kind: &'static str) {
        self.path.push(attribute.to_string());
        self.add(out, kind);
        self.path.pop();
    }

    /// `SchemaDiff.compare(ctx, original, update)`.
    pub(super) fn compare(&mut self, out: &mut Diffs, original: Option<At>, update: Option<At>) {
        if self.error.is_some() {
            return;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.error = Some(format!("the comparison exceeds {MAX_STEPS} steps"));
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.error = Some(format!(
                "the schemas are nested deeper than {MAX_DEPTH} levels"
            ));
            return;
        }
        self.depth += 1;
        self.compare_present(out, original, update);
        self.depth -= 1;
    }

    /// A sub-context: compares into a fresh list; Some(list) when it is compatible.
    pub(super) fn compatible(&mut self, original: Option<At>, update: Option<At>) -> Option<Diffs> {
        let mut sub = Diffs::new();
        self.compare(&mut sub, original, update);
        sub.is_empty().then_some(sub)
    }

    fn compare_present(&mut self, out: &mut Diffs, original: Option<At>, update: Option<At>) {
        let (original, update) = match (original, update) {
            (None, None) => return,
            (None, Some(_)) => return self.add(out, "SCHEMA_ADDED"),
            (Some(_), None) => return self.add(out, "SCHEMA_REMOVED"),
            (Some(o), Some(u)) => (self.normalize(o), self.normalize(u)),
        };
        if self.lenient {
            self.memoized(out, original, update);
        } else {
            self.compare_types(out, original, update);
        }
    }

    /// The comparison of two normalized schemas (8.2's `compareTypes`).
    pub(super) fn compare_types(&mut self, out: &mut Diffs, original: At, update: At) {
        let (ko, ku) = (self.kind(original), self.kind(update));
        match (ko, ku) {
            (Kind::Combined(..), Kind::Combined(..)) => {}
            (_, Kind::Combined(criterion, subs)) => {
                if subs.len() == 1 {
                    let sub = At {
                        side: update.side,
                        id: subs[0],
                    };
                    if self.compatible(Some(original), Some(sub)).is_some() {
                        return;
                    }
                } else if *criterion != Criterion::All {
                    for &s in subs {
                        let sub = At {
                            side: update.side,
                            id: s,
                        };
                        if self.compatible(Some(original), Some(sub)).is_some() {
                            return self.add(out, "SUM_TYPE_EXTENDED");
                        }
                    }
                }
            }
            (Kind::Combined(criterion, subs), _) => {
                if subs.len() == 1 {
                    let sub = At {
                        side: original.side,
                        id: subs[0],
                    };
                    if self.compatible(Some(sub), Some(update)).is_some() {
                        return;
                    }
                } else if *criterion == Criterion::All {
                    for &s in subs {
                        let sub = At {
                            side: original.side,
                            id: s,
                        };
                        if self.compatible(Some(sub), Some(update)).is_some() {
                            return self.add(out, "PRODUCT_TYPE_NARROWED");
                        }
                    }
                }
            }
            _ => {}
        }
        if !ko.same_class(ku) {
            // TrueSchema extends EmptySchema
            let bytes = self.lenient && self.both_bytes(original, update);
            if !(ko.is_false() || ku.is_empty_schema() || bytes) {
                self.add(out, "TYPE_CHANGED");
            }
            return;
        }
        // 7.9 Context.enterSchema (8.2 memoizes pairs instead, see `memo`).
        if !self.lenient && self.schemas.contains(&original) {
            return;
        }
        self.schemas.push(original);
        match (ko, ku) {
            (Kind::String(o), Kind::String(u)) => {
                limit(
                    self,
                    out,
                    "maxLength",
                    o.max_length,
                    u.max_length,
                    "MAX_LENGTH",
                );
                limit(
                    self,
                    out,
                    "minLength",
                    o.min_length,
                    u.min_length,
                    "MIN_LENGTH",
                );
                match (&o.pattern, &u.pattern) {
                    (None, Some(_)) => self.add_at(out, "pattern", "PATTERN_ADDED"),
                    (Some(_), None) => self.add_at(out, "pattern", "PATTERN_REMOVED"),
                    (Some(a), Some(b)) if a != b => self.add_at(out, "pattern", "PATTERN_CHANGED"),
                    _ => {}
                }
            }
            (Kind::Number(o), Kind::Number(u)) => number(self, out, o, u),
            (Kind::Const(o), Kind::Const(u)) if o != u => {
                self.add_at(out, "const", "ENUM_ARRAY_CHANGED");
            }
            (Kind::Enum(o), Kind::Enum(u)) if o != u => {
                let contains_all = |a: &[Value], b: &[Value]| {
                    let set: HashSet<String> = a.iter().map(canonical).collect();
                    b.iter().all(|x| set.contains(&canonical(x)))
                };
                let kind = if contains_all(u, o) {
                    "ENUM_ARRAY_EXTENDED"
                } else if contains_all(o, u) {
                    "ENUM_ARRAY_NARROWED"
                } else {
                    "ENUM_ARRAY_CHANGED"
                };
                self.add_at(out, "enum", kind);
            }
            (Kind::Combined(co, so), Kind::Combined(cu, su)) => {
                self.combined(out, (original.side, *co, so), (update.side, *cu, su));
            }
            (Kind::Not(o), Kind::Not(u)) => {
                self.path.push("not".to_string());
                // Reversed: what the update must not match against what the original must not.
                let reversed = self.compatible(
                    Some(At {
                        side: update.side,
                        id: *u,
                    }),
                    Some(At {
                        side: original.side,
                        id: *o,
                    }),
                );
                let kind = if reversed.is_some() {
                    "NOT_TYPE_NARROWED"
                } else {
                    "NOT_TYPE_EXTENDED"
                };
                self.add(out, kind);
                self.path.pop();
            }
            (Kind::Object(o), Kind::Object(u)) => {
                self.object(out, (original.side, o), (update.side, u));
            }
            (Kind::Array(o), Kind::Array(u)) => {
                self.array(out, (original.side, o), (update.side, u));
            }
            _ => {}
        }
        self.schemas.pop();
    }

    /// `CombinedSchemaDiff.compare`.
    fn combined(
        &mut self,
        out: &mut Diffs,
        (os, co, so): (u8, Criterion, &[NodeId]),
        (us, cu, su): (u8, Criterion, &[NodeId]),
    ) {
        // compareCriteria
        if co != cu {
            let single = |s: &[NodeId]| s.len() == 1;
            let extended = cu == Criterion::Any
                || (single(so) && single(su))
                || (single(so) && cu == Criterion::One)
                || (single(su) && co == Criterion::All);
            if !extended {
                return self.add(out, "COMBINED_TYPE_CHANGED");
            }
            self.add(out, "COMBINED_TYPE_EXTENDED");
        }
        let originals = self.distinct(os, so);
        let updates = self.distinct(us, su);
        let (on, un) = (originals.len(), updates.len());
        if on < un {
            let kind = if cu == Criterion::All {
                "PRODUCT_TYPE_EXTENDED"
            } else {
                "SUM_TYPE_EXTENDED"
            };
            self.add(out, kind);
        } else if on > un {
            let kind = if co == Criterion::All {
                "PRODUCT_TYPE_NARROWED"
            } else {
                "SUM_TYPE_NARROWED"
            };
            self.add(out, kind);
        }
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); on];
        for (i, &o) in originals.iter().enumerate() {
            self.path.push(format!("{}/{i}", co.keyword()));
            for (j, &u) in updates.iter().enumerate() {
                let pair = (Some(At { side: os, id: o }), Some(At { side: us, id: u }));
                if self.compatible(pair.0, pair.1).is_some() {
                    edges[i].push(j);
                }
            }
            self.path.pop();
        }
        // The differences of the matched pairs are all compatible: nothing to add.
        if max_matching(&edges, un) < on.min(un) {
            self.add(out, "COMBINED_TYPE_SUBSCHEMAS_CHANGED");
        }
    }

    /// The subschemas with equal ones collapsed (`LinkedHashSet<JsonSchema>`).
    fn distinct(&self, side: u8, subs: &[NodeId]) -> Vec<NodeId> {
        let model = self.models[usize::from(side & 1)];
        let mut out: Vec<NodeId> = Vec::new();
        for &s in subs {
            let fp = model.node(s).and_then(|n| n.fingerprint);
            let dup = fp.is_some()
                && out
                    .iter()
                    .any(|&x| model.node(x).and_then(|n| n.fingerprint) == fp);
            if !dup {
                out.push(s);
            }
        }
        out
    }
}

/// The added/removed/increased/decreased comparison of an optional integer keyword.
pub(super) fn limit(
    d: &mut Differ<'_>,
    out: &mut Diffs,
    attribute: &str,
    original: Option<i64>,
    update: Option<i64>,
    prefix: &'static str,
) {
    let kind = match (original, update) {
        (None, Some(_)) => "ADDED",
        (Some(_), None) => "REMOVED",
        (Some(a), Some(b)) if a < b => "INCREASED",
        (Some(a), Some(b)) if a > b => "DECREASED",
        _ => return,
    };
    d.add_at(out, attribute, kind_name(prefix, kind));
}

/// `PREFIX_SUFFIX` as a static type name.
fn kind_name(prefix: &str, suffix: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "MAX_LENGTH_ADDED",
        "MAX_LENGTH_REMOVED",
        "MAX_LENGTH_INCREASED",
        "MAX_LENGTH_DECREASED",
        "MIN_LENGTH_ADDED",
        "MIN_LENGTH_REMOVED",
        "MIN_LENGTH_INCREASED",
        "MIN_LENGTH_DECREASED",
        "MAXIMUM_ADDED",
        "MAXIMUM_REMOVED",
        "MAXIMUM_INCREASED",
        "MAXIMUM_DECREASED",
        "MINIMUM_ADDED",
        "MINIMUM_REMOVED",
        "MINIMUM_INCREASED",
        "MINIMUM_DECREASED",
        "EXCLUSIVE_MAXIMUM_ADDED",
        "EXCLUSIVE_MAXIMUM_REMOVED",
        "EXCLUSIVE_MAXIMUM_INCREASED",
        "EXCLUSIVE_MAXIMUM_DECREASED",
        "EXCLUSIVE_MINIMUM_ADDED",
        "EXCLUSIVE_MINIMUM_REMOVED",
        "EXCLUSIVE_MINIMUM_INCREASED",
        "EXCLUSIVE_MINIMUM_DECREASED",
        "MAX_PROPERTIES_ADDED",
        "MAX_PROPERTIES_REMOVED",
        "MAX_PROPERTIES_INCREASED",
        "MAX_PROPERTIES_DECREASED",
        "MIN_PROPERTIES_ADDED",
        "MIN_PROPERTIES_REMOVED",
        "MIN_PROPERTIES_INCREASED",
        "MIN_PROPERTIES_DECREASED",
        "MAX_ITEMS_ADDED",
        "MAX_ITEMS_REMOVED",
        "MAX_ITEMS_INCREASED",
        "MAX_ITEMS_DECREASED",
        "MIN_ITEMS_ADDED",
        "MIN_ITEMS_REMOVED",
        "MIN_ITEMS_INCREASED",
        "MIN_ITEMS_DECREASED",
        "MAX_CONTAINS_ADDED",
        "MAX_CONTAINS_REMOVED",
        "MAX_CONTAINS_INCREASED",
        "MAX_CONTAINS_DECREASED",
        "MIN_CONTAINS_ADDED",
        "MIN_CONTAINS_REMOVED",
        "MIN_CONTAINS_INCREASED",
        "MIN_CONTAINS_DECREASED",
    ];
    NAMES
        .iter()
        .find(|n| {
            n.len() == prefix.len() + 1 + suffix.len()
                && n.starts_with(prefix)
                && n.ends_with(suffix)
        })
        .copied()
        .unwrap_or("TYPE_CHANGED")
}

/// The comparison of an optional number keyword (compared as doubles, as Java does when the
/// boxed values differ).
fn float_limit(
    d: &mut Differ<'_>,
    out: &mut Diffs,
    attribute: &str,
    o: Option<f64>,
    u: Option<f64>,
    prefix: &'static str,
) {
    let kind = match (o, u) {
        (None, Some(_)) => "ADDED",
        (Some(_), None) => "REMOVED",
        (Some(a), Some(b)) if a < b => "INCREASED",
        (Some(a), Some(b)) if a > b => "DECREASED",
        _ => return,
    };
    d.add_at(out, attribute, kind_name(prefix, kind));
}

/// `NumberSchemaDiff.compare`.
fn number(
    d: &mut Differ<'_>,
    out: &mut Diffs,
    o: &super::model::NumberS,
    u: &super::model::NumberS,
) {
    float_limit(d, out, "maximum", o.maximum, u.maximum, "MAXIMUM");
    float_limit(d, out, "minimum", o.minimum, u.minimum, "MINIMUM");
    match (o.exclusive_maximum, u.exclusive_maximum) {
        (Some(a), Some(b)) if a > b => {
            // Java compares with the update's `maximum` here (and throws when it is absent:
            // Confluent then fails the whole check; nothing is reported for it here).
            if let Some(max) = u.maximum {
                if a > max {
                    d.add_at(out, "exclusiveMaximum", "EXCLUSIVE_MAXIMUM_DECREASED");
                }
            }
        }
        (a, b) => float_limit(d, out, "exclusiveMaximum", a, b, "EXCLUSIVE_MAXIMUM"),
    }
    float_limit(
        d,
        out,
        "exclusiveMinimum",
        o.exclusive_minimum,
        u.exclusive_minimum,
        "EXCLUSIVE_MINIMUM",
    );
    multiple_of(d, out, o.multiple_of.as_ref(), u.multiple_of.as_ref());
    if o.requires_integer != u.requires_integer {
        let kind = if o.requires_integer {
            "TYPE_EXTENDED"
        } else {
            "TYPE_NARROWED"
        };
        d.add(out, kind);
    }
}

/// Java's `Number.intValue()` of a JSON number (doubles truncate and saturate).
fn int_value(n: &serde_json::Number) -> i32 {
    if let Some(i) = n.as_i64() {
        i as i32
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        f as i32
    }
}

/// The `multipleOf` part of `NumberSchemaDiff.compare` (7.9: `BigDecimal` equality, which
/// is scale-sensitive, then `intValue()` remainders; 8.2 lenient: numeric `BigDecimal`s).
fn multiple_of(
    d: &mut Differ<'_>,
    out: &mut Diffs,
    o: Option<&serde_json::Number>,
    u: Option<&serde_json::Number>,
) {
    let kind = match (o, u) {
        (None, None) => return,
        (None, Some(_)) => "MULTIPLE_OF_ADDED",
        (Some(_), None) => "MULTIPLE_OF_REMOVED",
        (Some(a), Some(b)) => {
            if d.lenient {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                if x == y {
                    return;
                }
                let divides = |n: f64, m: f64| m != 0.0 && (n / m - (n / m).round()).abs() < 1e-9;
                if divides(y, x) {
                    "MULTIPLE_OF_EXPANDED"
                } else if divides(x, y) {
                    "MULTIPLE_OF_REDUCED"
                } else {
                    "MULTIPLE_OF_CHANGED"
                }
            } else {
                if a.to_string() == b.to_string() {
                    return;
                }
                let (x, y) = (int_value(a), int_value(b));
                // `%` by zero throws in Java (Confluent fails the check): reported as changed.
                match (y.checked_rem(x), x.checked_rem(y)) {
                    (Some(0), _) => "MULTIPLE_OF_EXPANDED",
                    (_, Some(0)) => "MULTIPLE_OF_REDUCED",
                    _ => "MULTIPLE_OF_CHANGED",
                }
            }
        }
    };
    d.add_at(out, "multipleOf", kind);
}
