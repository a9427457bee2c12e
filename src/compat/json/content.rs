//! `ObjectSchemaDiff` and `ArraySchemaDiff`: properties and items against open, closed and
//! partially open content models. Property keys are visited in Java's `HashSet` order.

use super::diff::{limit, At, Differ, Diffs};
use super::javahash;
use super::model::{ArrayS, Kind, NodeId, ObjectS};

fn at(side: u8, id: NodeId) -> At {
    At { side, id }
}

fn keys<T>(entries: &[(String, T)]) -> Vec<String> {
    entries.iter().map(|(k, _)| k.clone()).collect()
}

/// `isOpenContentModel(ObjectSchema)` (8.2 under the lenient policy: `unevaluatedProperties`
/// counts too).
fn object_open(d: &Differ<'_>, side: u8, s: &ObjectS) -> bool {
    if !(s.patterns.is_empty() && s.additional_schema.is_none() && s.additional) {
        return false;
    }
    match (d.lenient, s.unevaluated) {
        (true, Some(u)) => d.kind(at(side, u)).is_empty_schema(),
        _ => true,
    }
}

/// `schemaFromPartiallyOpenContentModel(ObjectSchema, key)`: the first pattern property
/// whose pattern is found in the key, else the schema of additional properties.
fn object_partial(d: &Differ<'_>, side: u8, s: &ObjectS, key: &str) -> Option<NodeId> {
    for p in &s.patterns {
        if p.regex.as_ref().is_some_and(|r| r.is_match(key)) {
            return Some(p.schema);
        }
    }
    if s.additional_schema.is_some() {
        return s.additional_schema;
    }
    if d.lenient && s.additional {
        if let Some(u) = s.unevaluated {
            let k = d.kind(at(side, u));
            if !k.is_false() && !k.is_empty_schema() {
                return Some(u);
            }
        }
    }
    None
}

impl Differ<'_> {
    /// `ObjectSchemaDiff.compare`.
    pub(super) fn object(
        &mut self,
        out: &mut Diffs,
        (os, o): (u8, &ObjectS),
        (us, u): (u8, &ObjectS),
    ) {
        // compareRequired
        self.path.push("required".to_string());
        for (key, _) in &o.properties {
            if u.property(key).is_none() {
                continue;
            }
            let was = o.required.contains(key);
            let is = u.required.contains(key);
            let kind = if was && !is {
                "REQUIRED_ATTRIBUTE_REMOVED"
            } else if !was && is {
                match u.property(key) {
                    Some(p) if self.has_default(at(us, p)) => {
                        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
                    }
                    _ => "REQUIRED_ATTRIBUTE_ADDED",
                }
            } else {
                continue;
            };
            self.add_at(out, key, kind);
        }
        self.path.pop();

        // compareProperties
        self.path.push("properties".to_string());
        for key in javahash::union_order(&keys(&o.properties), &keys(&u.properties)) {
            self.path.push(key.clone());
            match (o.property(&key), u.property(&key)) {
                (Some(op), None) => self.property_removed(out, at(os, op), (us, u), &key),
                (None, Some(up)) => self.property_added(out, (os, o), at(us, up), u, &key),
                (Some(op), Some(up)) => self.compare(out, Some(at(os, op)), Some(at(us, up))),
                (None, None) => {}
            }
            self.path.pop();
        }
        self.path.pop();

        // compareDependencies
        self.path.push("dependencies".to_string());
        for key in javahash::union_order(&keys(&o.property_deps), &keys(&u.property_deps)) {
            let find = |s: &ObjectS| {
                s.property_deps
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.clone())
            };
            let kind = match (find(o), find(u)) {
                (_, None) => "DEPENDENCY_ARRAY_REMOVED",
                (None, Some(_)) => "DEPENDENCY_ARRAY_ADDED",
                (Some(a), Some(b)) => {
                    let has_all = |x: &[String], y: &[String]| y.iter().all(|n| x.contains(n));
                    if has_all(&a, &b) && has_all(&b, &a) {
                        continue;
                    } else if has_all(&b, &a) {
                        "DEPENDENCY_ARRAY_EXTENDED"
                    } else if has_all(&a, &b) {
                        "DEPENDENCY_ARRAY_NARROWED"
                    } else {
                        "DEPENDENCY_ARRAY_CHANGED"
                    }
                }
            };
            self.add_at(out, &key, kind);
        }
        for key in javahash::union_order(&keys(&o.schema_deps), &keys(&u.schema_deps)) {
            let find = |s: &ObjectS| {
                s.schema_deps
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| *v)
            };
            self.path.push(key.clone());
            match (find(o), find(u)) {
                (_, None) => self.add(out, "DEPENDENCY_SCHEMA_REMOVED"),
                (None, Some(_)) => self.add(out, "DEPENDENCY_SCHEMA_ADDED"),
                (Some(a), Some(b)) => self.compare(out, Some(at(os, a)), Some(at(us, b))),
            }
            self.path.pop();
        }
        self.path.pop();

        // compareAdditionalProperties
        self.path.push("additionalProperties".to_string());
        if o.additional != u.additional {
            let kind = if u.additional {
                "ADDITIONAL_PROPERTIES_ADDED"
            } else {
                "ADDITIONAL_PROPERTIES_REMOVED"
            };
            self.add(out, kind);
        } else if o.additional_schema.is_none() && u.additional_schema.is_some() {
            self.add(out, "ADDITIONAL_PROPERTIES_NARROWED");
        } else if u.additional_schema.is_none() && o.additional_schema.is_some() {
            self.add(out, "ADDITIONAL_PROPERTIES_EXTENDED");
        } else {
            let a = o.additional_schema.map(|id| at(os, id));
            let b = u.additional_schema.map(|id| at(us, id));
            self.compare(out, a, b);
        }
        self.path.pop();

        if self.lenient {
            self.unevaluated(
                out,
                "unevaluatedProperties",
                "PROPERTIES",
                (os, o.unevaluated),
                (us, u.unevaluated),
            );
        }

        // compareAttributes
        limit(
            self,
            out,
            "maxProperties",
            o.max_properties,
            u.max_properties,
            "MAX_PROPERTIES",
        );
        limit(
            self,
            out,
            "minProperties",
            o.min_properties,
            u.min_properties,
            "MIN_PROPERTIES",
        );
    }

    fn property_removed(
        &mut self,
        out: &mut Diffs,
        original: At,
        (us, u): (u8, &ObjectS),
        key: &str,
    ) {
        if object_open(self, us, u) {
            return self.add(out, "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL");
        }
        if let Some(partial) = object_partial(self, us, u, key) {
            let mut sub = Diffs::new();
            self.compare(&mut sub, Some(original), Some(at(us, partial)));
            let compatible = sub.is_empty();
            out.extend(sub);
            let kind = if compatible {
                "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            } else {
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            };
            return self.add(out, kind);
        }
        let kind = if self.kind(original).is_false() {
            "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        } else {
            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        };
        self.add(out, kind);
    }

    fn property_added(
        &mut self,
        out: &mut Diffs,
        (os, o): (u8, &ObjectS),
        update: At,
        u: &ObjectS,
        key: &str,
    ) {
        let required = u.required.contains(key);
        if object_open(self, os, o) {
            let kind = if self.kind(update).is_empty_schema() {
                "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            } else if !self.lenient {
                "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            } else if required && self.has_default(update) {
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
            } else if required {
                "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            } else {
                "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            };
            return self.add(out, kind);
        }
        if let Some(partial) = object_partial(self, os, o, key) {
            let mut sub = Diffs::new();
            self.compare(&mut sub, Some(at(os, partial)), Some(update));
            let compatible = sub.is_empty();
            out.extend(sub);
            let kind = if compatible {
                "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            } else {
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            };
            self.add(out, kind);
        }
        let kind = if !required {
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        } else if self.has_default(update) {
            "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
        } else {
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        };
        self.add(out, kind);
    }

    /// 8.2 `compareUnevaluatedProperties` / `compareUnevaluatedItems`.
    fn unevaluated(
        &mut self,
        out: &mut Diffs,
        keyword: &str,
        what: &str,
        (os, o): (u8, Option<NodeId>),
        (us, u): (u8, Option<NodeId>),
    ) {
        let name = |suffix: &str| -> &'static str {
            match (what, suffix) {
                ("PROPERTIES", "ADDED") => "UNEVALUATED_PROPERTIES_ADDED",
                ("PROPERTIES", "REMOVED") => "UNEVALUATED_PROPERTIES_REMOVED",
                ("PROPERTIES", "EXTENDED") => "UNEVALUATED_PROPERTIES_EXTENDED",
                ("PROPERTIES", _) => "UNEVALUATED_PROPERTIES_NARROWED",
                (_, "ADDED") => "UNEVALUATED_ITEMS_ADDED",
                (_, "REMOVED") => "UNEVALUATED_ITEMS_REMOVED",
                (_, "EXTENDED") => "UNEVALUATED_ITEMS_EXTENDED",
                _ => "UNEVALUATED_ITEMS_NARROWED",
            }
        };
        if o.is_none() && u.is_none() {
            return;
        }
        self.path.push(keyword.to_string());
        let false_at = |d: &Differ<'_>, s: u8, id: NodeId| d.kind(at(s, id)).is_false();
        let empty_at = |d: &Differ<'_>, s: u8, id: NodeId| d.kind(at(s, id)).is_empty_schema();
        let kind = match (o, u) {
            (None, Some(b)) => Some(if false_at(self, us, b) {
                name("REMOVED")
            } else {
                name("NARROWED")
            }),
            (Some(a), None) => Some(if false_at(self, os, a) {
                name("ADDED")
            } else {
                name("EXTENDED")
            }),
            (Some(a), Some(b)) => {
                let (fa, fb) = (false_at(self, os, a), false_at(self, us, b));
                let (ea, eb) = (empty_at(self, os, a), empty_at(self, us, b));
                if fa && !fb {
                    Some(name("ADDED"))
                } else if !fa && fb {
                    Some(name("REMOVED"))
                } else if ea && !eb {
                    Some(name("NARROWED"))
                } else if !ea && eb {
                    Some(name("EXTENDED"))
                } else {
                    self.compare(out, Some(at(os, a)), Some(at(us, b)));
                    None
                }
            }
            (None, None) => None,
        };
        if let Some(kind) = kind {
            self.add(out, kind);
        }
        self.path.pop();
    }

    /// `ArraySchemaDiff.compare`.
    pub(super) fn array(
        &mut self,
        out: &mut Diffs,
        (os, o): (u8, &ArrayS),
        (us, u): (u8, &ArrayS),
    ) {
        // compareItemSchemaObject
        self.path.push("items".to_string());
        self.compare(
            out,
            o.all_items.map(|i| at(os, i)),
            u.all_items.map(|i| at(us, i)),
        );
        self.path.pop();

        // compareItemSchemaArray
        let empty = Vec::new();
        let oi = o.item_schemas.as_ref().unwrap_or(&empty);
        let ui = u.item_schemas.as_ref().unwrap_or(&empty);
        let common = oi.len().min(ui.len());
        for index in 0..oi.len().max(ui.len()) {
            self.path.push(format!("items/{index}"));
            if index < common {
                self.compare(out, Some(at(os, oi[index])), Some(at(us, ui[index])));
            } else if let Some(&removed) = oi.get(index) {
                self.item_removed(out, at(os, removed), (us, u));
            } else if let Some(&added) = ui.get(index) {
                self.item_added(out, (os, o), at(us, added));
            }
            self.path.pop();
        }

        // compareAdditionalItems
        self.path.push("additionalItems".to_string());
        if o.additional != u.additional {
            let kind = if o.additional {
                "ADDITIONAL_ITEMS_REMOVED"
            } else {
                "ADDITIONAL_ITEMS_ADDED"
            };
            self.add(out, kind);
        } else if o.additional_schema.is_none() && u.additional_schema.is_some() {
            self.add(out, "ADDITIONAL_ITEMS_NARROWED");
        } else if u.additional_schema.is_none() && o.additional_schema.is_some() {
            self.add(out, "ADDITIONAL_ITEMS_EXTENDED");
        } else {
            let a = o.additional_schema.map(|id| at(os, id));
            let b = u.additional_schema.map(|id| at(us, id));
            self.compare(out, a, b);
        }
        self.path.pop();

        if self.lenient {
            self.unevaluated(
                out,
                "unevaluatedItems",
                "ITEMS",
                (os, o.unevaluated),
                (us, u.unevaluated),
            );
        }

        // compareAttributes
        limit(self, out, "maxItems", o.max_items, u.max_items, "MAX_ITEMS");
        limit(self, out, "minItems", o.min_items, u.min_items, "MIN_ITEMS");
        if o.unique_items != u.unique_items {
            let kind = if o.unique_items {
                "UNIQUE_ITEMS_REMOVED"
            } else {
                "UNIQUE_ITEMS_ADDED"
            };
            self.add_at(out, "uniqueItems", kind);
        }
        if self.lenient {
            limit(
                self,
                out,
                "maxContains",
                o.max_contains,
                u.max_contains,
                "MAX_CONTAINS",
            );
            limit(
                self,
                out,
                "minContains",
                o.min_contains,
                u.min_contains,
                "MIN_CONTAINS",
            );
        }
    }

    fn array_open(&self, side: u8, s: &ArrayS) -> bool {
        if !(s.additional_schema.is_none() && s.additional) {
            return false;
        }
        match (self.lenient, s.unevaluated) {
            (true, Some(u)) => self.kind(at(side, u)).is_empty_schema(),
            _ => true,
        }
    }

    fn array_partial(&self, side: u8, s: &ArrayS) -> Option<NodeId> {
        if s.additional_schema.is_some() {
            return s.additional_schema;
        }
        if self.lenient && s.additional {
            if let Some(u) = s.unevaluated {
                let k: &Kind = self.kind(at(side, u));
                if !k.is_false() && !k.is_empty_schema() {
                    return Some(u);
                }
            }
        }
        None
    }

    fn item_removed(&mut self, out: &mut Diffs, original: At, (us, u): (u8, &ArrayS)) {
        if self.array_open(us, u) {
            return self.add(out, "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL");
        }
        if let Some(partial) = self.array_partial(us, u) {
            let mut sub = Diffs::new();
            self.compare(&mut sub, Some(original), Some(at(us, partial)));
            let compatible = sub.is_empty();
            out.extend(sub);
            let kind = if compatible {
                "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            } else {
                "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            };
            return self.add(out, kind);
        }
        let kind = if self.kind(original).is_false() {
            "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        } else {
            "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"
        };
        self.add(out, kind);
    }

    fn item_added(&mut self, out: &mut Diffs, (os, o): (u8, &ArrayS), update: At) {
        if self.array_open(os, o) {
            let kind = if self.kind(update).is_empty_schema() {
                "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            } else {
                "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
            };
            return self.add(out, kind);
        }
        if let Some(partial) = self.array_partial(os, o) {
            let mut sub = Diffs::new();
            self.compare(&mut sub, Some(at(os, partial)), Some(update));
            let compatible = sub.is_empty();
            out.extend(sub);
            let kind = if compatible {
                "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            } else {
                "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            };
            return self.add(out, kind);
        }
        self.add(out, "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL");
    }
}
