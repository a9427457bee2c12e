//! Confluent's `AvroSchemaUtils.toNormalizedString` and `AvroSchema.normalize()`: the
//! `normalize=true` text.

use super::model::*;
use super::parse::Ctx;
use super::{fail, AvroError, MAX_DEPTH, MAX_PRINT_DEPTH};
use crate::json::{java_cmp, write_json, write_json_str, Json, MAX_JSON_DEPTH};
use std::collections::HashSet;

/// Confluent's `AvroSchema.normalize()`: build the normalized text, parse it again (with the same
/// references and the same default validation) and print it.
pub(crate) fn normalize(
    ctx: &Ctx,
    main: usize,
    ref_tops: &[String],
    base: Ctx,
) -> Result<String, AvroError> {
    let mut nz = Normalizer {
        ctx,
        env: ref_tops.iter().cloned().collect(),
        out: String::new(),
    };
    nz.build(main, 0)?;
    let text = nz.out;
    let mut again = base;
    let sid = again.parse_text(&text)?;
    again.to_string_known(sid, ref_tops)
}

pub(crate) struct Normalizer<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) env: HashSet<String>,
    pub(crate) out: String,
}

/// Sorts object keys recursively (Jackson tree built with Confluent's `SortingNodeFactory`).
pub(crate) fn sorted(v: Json) -> Json {
    match v {
        Json::Arr(items) => Json::Arr(items.into_iter().map(sorted).collect()),
        Json::Obj(m) => {
            let mut m: Vec<(String, Json)> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            m.sort_by(|a, b| java_cmp(&a.0, &b.0));
            m.dedup_by(|a, b| a.0 == b.0);
            Json::Obj(m)
        }
        other => other,
    }
}

/// Java `String.getBytes(ISO_8859_1)` then back to a string: characters above U+00FF become `?`.
pub(crate) fn latin1_roundtrip(s: &str) -> String {
    s.chars()
        .map(|c| if (c as u32) <= 0xFF { c } else { '?' })
        .collect()
}

pub(crate) const NPE_TO_JSON: &str = "Cannot invoke \"com.fasterxml.jackson.databind.JsonNode.toString()\" because the return value of \"io.confluent.kafka.schemaregistry.avro.AvroSchemaUtils.toJsonNode(Object)\" is null";

impl Normalizer<'_> {
    /// Avro `JacksonUtils.toObject(node, schema)` as a JSON tree (`None` = Java null). Nested nulls
    /// make Confluent's `genJson` fail, so they are errors here.
    pub(crate) fn to_object(
        &self,
        v: &Json,
        schema: Option<usize>,
        depth: usize,
    ) -> Result<Option<Json>, AvroError> {
        if depth > MAX_JSON_DEPTH {
            return fail("Default value nested too deeply");
        }
        if let Some(sid) = schema {
            let node = self.ctx.node(sid)?;
            if node.kind == Kind::Union {
                match node.children.first() {
                    Some(&first) => return self.to_object(v, Some(first), depth + 1),
                    None => return fail("Index 0 out of bounds for length 0"),
                }
            }
        }
        let kind = match schema {
            Some(sid) => Some(self.ctx.kind(sid)?),
            None => None,
        };
        let nested = |x: Option<Json>| -> Result<Json, AvroError> {
            x.ok_or_else(|| {
                AvroError(
                    "Cannot invoke \"Object.getClass()\" because \"datum\" is null".to_string(),
                )
            })
        };
        Ok(match v {
            Json::Null => Some(Json::Null),
            Json::Bool(b) => Some(Json::Bool(*b)),
            Json::Int(i) => match kind {
                None | Some(Kind::Int) => Some(Json::Int(*i)),
                Some(Kind::Long) => Some(Json::Long(i64::from(*i))),
                Some(Kind::Float) => Some(Json::Float(f64::from(*i) as f32)),
                Some(Kind::Double) => Some(Json::Double(f64::from(*i))),
                _ => None,
            },
            Json::Long(l) => match kind {
                None | Some(Kind::Long) => Some(Json::Long(*l)),
                Some(Kind::Float) => Some(Json::Float(*l as f64 as f32)),
                Some(Kind::Double) => Some(Json::Double(*l as f64)),
                _ => None,
            },
            Json::Double(d) => match kind {
                None | Some(Kind::Double) => Some(Json::Double(*d)),
                Some(Kind::Float) => Some(Json::Float(*d as f32)),
                _ => None,
            },
            Json::Float(f) => match kind {
                None | Some(Kind::Double) => Some(Json::Double(f64::from(*f))),
                Some(Kind::Float) => Some(Json::Float(*f)),
                _ => None,
            },
            // Avro's reader never makes decimals.
            Json::BigInt(_) | Json::Decimal(_) => None,
            Json::Str(s) => match kind {
                None | Some(Kind::String) | Some(Kind::Enum) => Some(Json::Str(s.clone())),
                Some(Kind::Bytes) | Some(Kind::Fixed) => Some(Json::Str(latin1_roundtrip(s))),
                _ => None,
            },
            Json::Arr(items) => {
                let elem = match schema {
                    None => None,
                    Some(sid) => {
                        let node = self.ctx.node(sid)?;
                        match (node.kind, node.children.first()) {
                            (Kind::Array, Some(&e)) => Some(e),
                            _ => {
                                return fail(format!(
                                    "Not an array: {}",
                                    self.ctx.to_string_fresh(sid)?
                                ))
                            }
                        }
                    }
                };
                let mut out = Vec::with_capacity(items.len());
                for x in items {
                    out.push(nested(self.to_object(x, elem, depth + 1)?)?);
                }
                Some(Json::Arr(out))
            }
            Json::Obj(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, x) in m {
                    let s = match schema {
                        None => None,
                        Some(sid) => {
                            let node = self.ctx.node(sid)?;
                            match node.kind {
                                Kind::Map => node.children.first().copied(),
                                Kind::Record => {
                                    let Some(fields) = &node.fields else {
                                        return fail("Schema fields not set yet");
                                    };
                                    match fields.iter().find(|f| &f.name == k) {
                                        Some(f) => Some(f.ty),
                                        None => return fail(
                                            "Cannot invoke \"org.apache.avro.Schema$Field.schema()\" because the return value of \"org.apache.avro.Schema.getField(String)\" is null",
                                        ),
                                    }
                                }
                                _ => None,
                            }
                        }
                    };
                    out.push((k.clone(), nested(self.to_object(x, s, depth + 1)?)?));
                }
                Some(Json::Obj(out))
            }
        })
    }

    pub(crate) fn simple_props(&mut self, props: &[(String, Json)]) -> Result<(), AvroError> {
        let mut sorted_props: Vec<&(String, Json)> = props.iter().collect();
        sorted_props.sort_by(|a, b| java_cmp(&a.0, &b.0));
        for (k, v) in sorted_props {
            let Some(obj) = self.to_object(v, None, 0)? else {
                return fail(NPE_TO_JSON);
            };
            self.out.push_str(",\"");
            self.out.push_str(k);
            self.out.push_str("\":");
            write_json(&mut self.out, &sorted(obj));
        }
        Ok(())
    }

    pub(crate) fn logical_props(&mut self, lt: &Logical) {
        match lt {
            Logical::Decimal { precision, scale } => {
                self.out
                    .push_str(",\"logicalType\":\"decimal\",\"precision\":");
                self.out.push_str(&precision.to_string());
                if *scale != 0 {
                    self.out.push_str(",\"scale\":");
                    self.out.push_str(&scale.to_string());
                }
            }
            Logical::Simple(name) => {
                self.out.push_str(",\"logicalType\":\"");
                self.out.push_str(name);
                self.out.push('"');
            }
        }
    }

    pub(crate) fn sorted_names(names: &[String]) -> Json {
        let mut v: Vec<&String> = names.iter().collect();
        v.sort_by(|a, b| java_cmp(a, b));
        v.dedup();
        Json::Arr(v.into_iter().map(|s| Json::Str(s.clone())).collect())
    }

    pub(crate) fn build(&mut self, sid: usize, depth: usize) -> Result<(), AvroError> {
        if depth > MAX_PRINT_DEPTH {
            return fail(format!(
                "Schema nesting depth exceeds the maximum of {MAX_DEPTH} levels"
            ));
        }
        let ctx = self.ctx;
        let node = ctx.node(sid)?;
        match node.kind {
            Kind::Union => {
                self.out.push('[');
                for (i, &t) in node.children.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.build(t, depth + 1)?;
                }
                self.out.push(']');
            }
            Kind::Array | Kind::Map => {
                let Some(&child) = node.children.first() else {
                    return fail("internal error: container without element type");
                };
                if node.kind == Kind::Array {
                    self.out.push_str("{\"type\":\"array\",\"items\":");
                } else {
                    self.out.push_str("{\"type\":\"map\",\"values\":");
                }
                self.build(child, depth + 1)?;
                self.simple_props(&node.props)?;
                self.out.push('}');
            }
            Kind::Enum | Kind::Fixed | Kind::Record => {
                let full = node.full_name().to_string();
                if self.env.contains(&full) {
                    self.out.push('"');
                    self.out.push_str(&full);
                    self.out.push('"');
                    return Ok(());
                }
                self.env.insert(full.clone());
                self.out.push_str("{\"name\":\"");
                self.out.push_str(&full);
                self.out.push_str("\",\"type\":\"");
                self.out.push_str(node.kind.name());
                self.out.push('"');
                match node.kind {
                    Kind::Enum => {
                        self.out.push_str(",\"symbols\":[");
                        for (i, s) in node.symbols.iter().enumerate() {
                            if i > 0 {
                                self.out.push(',');
                            }
                            self.out.push('"');
                            self.out.push_str(s);
                            self.out.push('"');
                        }
                        self.out.push(']');
                    }
                    Kind::Fixed => {
                        self.out.push_str(",\"size\":");
                        self.out.push_str(&node.size.to_string());
                        if let Some(lt) = &node.logical {
                            self.logical_props(lt);
                        }
                    }
                    _ => {
                        self.out.push_str(",\"fields\":[");
                        let empty = Vec::new();
                        let fields = node.fields.as_ref().unwrap_or(&empty);
                        for (i, f) in fields.iter().enumerate() {
                            if i > 0 {
                                self.out.push(',');
                            }
                            self.out.push_str("{\"name\":\"");
                            self.out.push_str(&f.name);
                            self.out.push_str("\",\"type\":");
                            self.build(f.ty, depth + 1)?;
                            self.field_props(f)?;
                            self.out.push('}');
                        }
                        self.out.push(']');
                    }
                }
                // setComplexProps
                if let Some(doc) = node.doc.as_deref().filter(|d| !d.is_empty()) {
                    self.out.push_str(",\"doc\":");
                    write_json_str(&mut self.out, doc);
                }
                if !node.aliases.is_empty() {
                    let fulls: Vec<String> = node.aliases.iter().map(|a| a.full.clone()).collect();
                    self.out.push_str(",\"aliases\":");
                    write_json(&mut self.out, &Self::sorted_names(&fulls));
                }
                if node.kind == Kind::Enum {
                    if let Some(d) = &node.enum_default {
                        self.out.push_str(",\"default\":");
                        write_json_str(&mut self.out, d);
                    }
                }
                self.simple_props(&node.props)?;
                self.out.push('}');
            }
            k => {
                if let Some(lt) = &node.logical {
                    self.out.push_str("{\"type\":\"");
                    self.out.push_str(k.name());
                    self.out.push('"');
                    self.logical_props(lt);
                    self.simple_props(&node.props)?;
                    self.out.push('}');
                } else if !node.props.is_empty() {
                    self.out.push_str("{\"type\":\"");
                    self.out.push_str(k.name());
                    self.out.push('"');
                    self.simple_props(&node.props)?;
                    self.out.push('}');
                } else {
                    self.out.push('"');
                    self.out.push_str(k.name());
                    self.out.push('"');
                }
            }
        }
        Ok(())
    }

    /// Confluent `setFieldProps`.
    pub(crate) fn field_props(&mut self, f: &Field) -> Result<(), AvroError> {
        self.out.push_str(",\"order\":\"");
        self.out.push_str(match f.order {
            Order::Ascending => "ASCENDING",
            Order::Descending => "DESCENDING",
            Order::Ignore => "IGNORE",
        });
        self.out.push('"');
        if let Some(doc) = &f.doc {
            self.out.push_str(",\"doc\":");
            write_json_str(&mut self.out, doc);
        }
        if !f.aliases.is_empty() {
            self.out.push_str(",\"aliases\":");
            write_json(&mut self.out, &Self::sorted_names(&f.aliases));
        }
        if let Some(d) = &f.default {
            if let Some(obj) = self.to_object(d, Some(f.ty), 0)? {
                self.out.push_str(",\"default\":");
                write_json(&mut self.out, &sorted(obj));
            }
        }
        self.simple_props(&f.props)
    }
}
