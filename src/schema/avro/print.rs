//! Java `Schema.toString()` (`Schema.toJson`): the canonical text Confluent stores.

use super::model::*;
use super::parse::Ctx;
use super::{fail, AvroError, MAX_DEPTH, MAX_PRINT_DEPTH};
use crate::json::{write_json, write_json_str, Json};
use std::collections::HashSet;

impl Ctx {
    /// Java `Schema.toString()`: a fresh set of known names.
    pub(crate) fn to_string_fresh(&self, sid: usize) -> Result<String, AvroError> {
        self.to_string_known(sid, &[])
    }

    /// Java `Schema.toString(referencedSchemas, false)`.
    pub(crate) fn to_string_known(
        &self,
        sid: usize,
        known: &[String],
    ) -> Result<String, AvroError> {
        let mut p = Printer {
            ctx: self,
            known: known.iter().cloned().collect(),
            space: None,
            out: String::new(),
        };
        p.schema(sid, 0)?;
        Ok(p.out)
    }
}

pub(crate) struct Printer<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) known: HashSet<String>,
    pub(crate) space: Option<String>,
    pub(crate) out: String,
}

impl Printer<'_> {
    pub(crate) fn props(&mut self, props: &[(String, Json)]) {
        for (k, v) in props {
            self.out.push(',');
            write_json_str(&mut self.out, k);
            self.out.push(':');
            write_json(&mut self.out, v);
        }
    }

    pub(crate) fn str_field(&mut self, key: &str, value: &str) {
        self.out.push(',');
        write_json_str(&mut self.out, key);
        self.out.push(':');
        write_json_str(&mut self.out, value);
    }

    /// `writeNameRef`: true when the name was written as a reference.
    pub(crate) fn name_ref(&mut self, name: &Name) -> bool {
        if self.known.contains(&name.full) {
            let q = name.qualified(self.space.as_deref()).to_string();
            write_json_str(&mut self.out, &q);
            return true;
        }
        self.known.insert(name.full.clone());
        false
    }

    /// `Name.writeName`.
    pub(crate) fn write_name(&mut self, name: &Name) {
        self.str_field("name", &name.short);
        match (&name.space, &self.space) {
            (Some(s), cur) => {
                if cur.as_deref() != Some(s.as_str()) {
                    let s = s.clone();
                    self.str_field("namespace", &s);
                }
            }
            (None, Some(_)) => self.str_field("namespace", ""),
            (None, None) => {}
        }
    }

    pub(crate) fn aliases(&mut self, node: &Node) {
        if node.aliases.is_empty() {
            return;
        }
        let own = node.name.as_ref().and_then(|n| n.space.as_deref());
        self.out.push_str(",\"aliases\":[");
        for (i, a) in node.aliases.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_json_str(&mut self.out, a.qualified(own));
        }
        self.out.push(']');
    }

    pub(crate) fn schema(&mut self, sid: usize, depth: usize) -> Result<(), AvroError> {
        if depth > MAX_PRINT_DEPTH {
            return fail(format!(
                "Schema nesting depth exceeds the maximum of {MAX_DEPTH} levels"
            ));
        }
        let ctx = self.ctx;
        let node = ctx.node(sid)?;
        match node.kind {
            Kind::Record => {
                let Some(name) = &node.name else {
                    return fail("internal error: record without name");
                };
                if self.name_ref(name) {
                    return Ok(());
                }
                let saved = self.space.clone();
                self.out.push_str("{\"type\":");
                write_json_str(
                    &mut self.out,
                    if node.is_error { "error" } else { "record" },
                );
                self.write_name(name);
                self.space = name.space.clone();
                if let Some(d) = &node.doc {
                    self.str_field("doc", d);
                }
                if let Some(fields) = &node.fields {
                    self.out.push_str(",\"fields\":[");
                    for (i, f) in fields.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.out.push_str("{\"name\":");
                        write_json_str(&mut self.out, &f.name);
                        self.out.push_str(",\"type\":");
                        self.schema(f.ty, depth + 1)?;
                        if let Some(d) = &f.doc {
                            self.str_field("doc", d);
                        }
                        if let Some(v) = &f.default {
                            self.out.push_str(",\"default\":");
                            write_json(&mut self.out, v);
                        }
                        match f.order {
                            Order::Ascending => {}
                            Order::Descending => self.str_field("order", "descending"),
                            Order::Ignore => self.str_field("order", "ignore"),
                        }
                        if !f.aliases.is_empty() {
                            self.out.push_str(",\"aliases\":[");
                            for (i, a) in f.aliases.iter().enumerate() {
                                if i > 0 {
                                    self.out.push(',');
                                }
                                write_json_str(&mut self.out, a);
                            }
                            self.out.push(']');
                        }
                        self.props(&f.props);
                        self.out.push('}');
                    }
                    self.out.push(']');
                }
                self.props(&node.props);
                self.aliases(node);
                self.out.push('}');
                self.space = saved;
            }
            Kind::Enum => {
                let Some(name) = &node.name else {
                    return fail("internal error: enum without name");
                };
                if self.name_ref(name) {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"enum\"");
                self.write_name(name);
                if let Some(d) = &node.doc {
                    self.str_field("doc", d);
                }
                self.out.push_str(",\"symbols\":[");
                for (i, s) in node.symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_json_str(&mut self.out, s);
                }
                self.out.push(']');
                if let Some(d) = &node.enum_default {
                    self.str_field("default", d);
                }
                self.props(&node.props);
                self.aliases(node);
                self.out.push('}');
            }
            Kind::Fixed => {
                let Some(name) = &node.name else {
                    return fail("internal error: fixed without name");
                };
                if self.name_ref(name) {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"fixed\"");
                self.write_name(name);
                if let Some(d) = &node.doc {
                    self.str_field("doc", d);
                }
                self.out.push_str(",\"size\":");
                self.out.push_str(&node.size.to_string());
                self.props(&node.props);
                self.aliases(node);
                self.out.push('}');
            }
            Kind::Array | Kind::Map => {
                let (ty, key) = if node.kind == Kind::Array {
                    ("array", "items")
                } else {
                    ("map", "values")
                };
                let Some(&child) = node.children.first() else {
                    return fail("internal error: container without element type");
                };
                self.out.push_str("{\"type\":\"");
                self.out.push_str(ty);
                self.out.push_str("\",\"");
                self.out.push_str(key);
                self.out.push_str("\":");
                self.schema(child, depth + 1)?;
                self.props(&node.props);
                self.out.push('}');
            }
            Kind::Union => {
                self.out.push('[');
                for (i, &t) in node.children.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.schema(t, depth + 1)?;
                }
                self.out.push(']');
            }
            k => {
                if node.props.is_empty() {
                    write_json_str(&mut self.out, k.name());
                } else {
                    self.out.push_str("{\"type\":");
                    write_json_str(&mut self.out, k.name());
                    self.props(&node.props);
                    self.out.push('}');
                }
            }
        }
        Ok(())
    }
}
