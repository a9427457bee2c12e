//! The model → Confluent's `.proto` text (`ProtobufSchemaUtils.toString`/`toFormattedString`,
//! 7.9): the canonical text Confluent stores, its `normalize=true` form (types and custom
//! options resolved against the file and its dependencies as `diff/Context.java` resolves them,
//! declarations sorted) and `format=ignore_extensions`.

use super::model::{
    Enum, EnumConstant, Extend, Extensions, Field, Group, Label, Message, OneOf, OptionElement,
    OptionValue, ProtoFile, RangeValue, Reserved, Rpc, Service, Syntax, TypeElement,
};
use super::parse::MAX_TAG_VALUE;
use super::print_options::{
    append_indented, append_options, filter_options, option_statement, option_text,
};
use crate::schema::SchemaError;
use std::collections::HashMap;

/// Confluent's text of a file: `normalize` for the `normalize=true` form, `ignore_extensions`
/// for `format=ignore_extensions`. Without dependencies, a type that does not resolve while
/// normalizing is left as written.
pub fn print(file: &ProtoFile, normalize: bool, ignore_extensions: bool) -> String {
    match try_print(file, &[], normalize, ignore_extensions) {
        Ok(text) => text,
        Err(_) => {
            let mut ctx = Ctx::new(normalize, ignore_extensions);
            ctx.lenient = true;
            ctx.collect(file);
            file_text(&mut ctx, file).unwrap_or_default()
        }
    }
}

/// As `print`, resolving names against `deps` (import name → file); a type that does not
/// resolve while normalizing is Confluent's `Could not resolve type: X`.
pub fn try_print(
    file: &ProtoFile,
    deps: &[(String, ProtoFile)],
    normalize: bool,
    ignore_extensions: bool,
) -> Result<String, SchemaError> {
    let mut ctx = Ctx::new(normalize, ignore_extensions);
    if normalize {
        for (_, dep) in deps {
            ctx.collect(dep);
        }
        ctx.collect(file);
    }
    file_text(&mut ctx, file).map_err(SchemaError)
}

struct TypeInfo {
    map: Option<(String, String)>,
}

/// Confluent's `FormatContext` (a `diff/Context`): the known types and extension fields by full
/// name, the package, and the scope of names being printed.
pub struct Ctx {
    pub normalize: bool,
    pub ignore_extensions: bool,
    lenient: bool,
    types: HashMap<String, TypeInfo>,
    /// Extension field full name → repeated.
    extend_fields: HashMap<String, bool>,
    package: String,
    full_name: Vec<String>,
}

const SCALARS: [&str; 15] = [
    "bool", "bytes", "double", "float", "fixed32", "fixed64", "int32", "int64", "sfixed32",
    "sfixed64", "sint32", "sint64", "string", "uint32", "uint64",
];

impl Ctx {
    fn new(normalize: bool, ignore_extensions: bool) -> Ctx {
        Ctx {
            normalize,
            ignore_extensions,
            lenient: false,
            types: HashMap::new(),
            extend_fields: HashMap::new(),
            package: String::new(),
            full_name: Vec::new(),
        }
    }

    fn qualified(&self, path: &[String]) -> String {
        let name = path.join(".");
        if self.package.is_empty() {
            name
        } else {
            format!("{}.{name}", self.package)
        }
    }

    /// `Context.collectTypeInfo` of one file.
    fn collect(&mut self, file: &ProtoFile) {
        self.package = file.package.clone().unwrap_or_default();
        let mut path = Vec::new();
        self.collect_extends(&mut path, &file.extends);
        self.collect_types(&mut path, &file.types);
    }

    fn collect_extends(&mut self, path: &mut Vec<String>, extends: &[Extend]) {
        for e in extends {
            for f in &e.fields {
                path.push(f.name.clone());
                let name = self.qualified(path);
                self.extend_fields
                    .insert(name, f.label == Some(Label::Repeated));
                path.pop();
            }
        }
    }

    fn collect_types(&mut self, path: &mut Vec<String>, types: &[TypeElement]) {
        for t in types {
            path.push(t.name().to_string());
            let mut map = None;
            if let TypeElement::Message(m) = t {
                self.collect_extends(path, &m.extends);
                let is_map = m.options.iter().any(|o| {
                    o.name == "map_entry"
                        && matches!(&o.value, OptionValue::Boolean(v) | OptionValue::Enum(v) | OptionValue::String(v) if v.eq_ignore_ascii_case("true"))
                });
                if is_map {
                    let find = |n: &str| {
                        m.fields
                            .iter()
                            .find(|f| f.name == n)
                            .map(|f| f.ty.clone())
                            .unwrap_or_else(|| "null".to_string())
                    };
                    map = Some((find("key"), find("value")));
                }
            }
            let name = self.qualified(path);
            self.types.insert(name, TypeInfo { map });
            if let TypeElement::Message(m) = t {
                self.collect_types(path, &m.nested);
            }
            path.pop();
        }
    }

    /// `Context.resolveFull`: the full name (without the leading dot) `name` stands for in the
    /// current scope, looked up by `known`.
    fn resolve_with(&self, name: &str, known: impl Fn(&str) -> bool) -> Option<String> {
        if self.types.is_empty() {
            return None;
        }
        if let Some(n) = name.strip_prefix('.') {
            return known(n).then(|| n.to_string());
        }
        let mut prefix: Vec<&str> = Vec::new();
        if !self.package.is_empty() {
            prefix.extend(self.package.split('.'));
        }
        prefix.extend(self.full_name.iter().map(String::as_str));
        while !prefix.is_empty() {
            let n = format!("{}.{name}", prefix.join("."));
            if known(&n) {
                return Some(n);
            }
            prefix.pop();
        }
        known(name).then(|| name.to_string())
    }

    fn resolve_type(&self, name: &str) -> Option<String> {
        self.resolve_with(name, |n| self.types.contains_key(n))
    }

    pub fn resolve_extend(&self, name: &str) -> Option<String> {
        self.resolve_with(name, |n| self.extend_fields.contains_key(n))
    }

    /// Whether the extension field of this full name is repeated (`None`: unknown).
    pub fn extend_repeated(&self, name: &str) -> Option<bool> {
        self.extend_fields
            .get(name.strip_prefix('.').unwrap_or(name))
            .copied()
    }

    /// `ProtobufSchemaUtils.resolve`: `.full.Name`, or Confluent's error.
    fn resolve_or_fail(&self, name: &str) -> Result<String, String> {
        match self.resolve_type(name) {
            Some(r) => Ok(format!(".{r}")),
            None if self.lenient => Ok(name.to_string()),
            None => Err(format!("Could not resolve type: {name}")),
        }
    }

    fn map_type_of(&self, name: &str) -> Option<(String, String)> {
        let resolved = self.resolve_type(name)?;
        self.types.get(&resolved)?.map.clone()
    }
}

type Res<T> = Result<T, String>;

fn file_text(ctx: &mut Ctx, file: &ProtoFile) -> Res<String> {
    let mut sb = String::new();
    if let Some(syntax) = file.syntax {
        if !ctx.normalize || syntax == Syntax::Proto3 {
            sb.push_str(&format!("syntax = \"{}\";\n", syntax.as_str()));
        }
    }
    if let Some(p) = &file.package {
        sb.push_str(&format!("package {p};\n"));
    }
    if !file.imports.is_empty() || !file.public_imports.is_empty() {
        sb.push('\n');
        for (list, word) in [
            (&file.imports, "import"),
            (&file.public_imports, "import public"),
        ] {
            let mut list = list.clone();
            if ctx.normalize {
                list.sort();
                list.dedup();
            }
            for i in list {
                sb.push_str(&format!("{word} \"{i}\";\n"));
            }
        }
    }
    let options = filter_options(ctx, &file.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            sb.push_str(&option_statement(ctx, o));
        }
    }
    let types = filter_types(ctx, &file.types);
    if !types.is_empty() {
        sb.push('\n');
        types_text(ctx, &mut sb, &types, false)?;
    }
    if !ctx.ignore_extensions && !file.extends.is_empty() {
        sb.push('\n');
        for e in extends(ctx, &file.extends)? {
            sb.push_str(&extend_text(ctx, &e));
        }
    }
    if !file.services.is_empty() {
        sb.push('\n');
        for s in &file.services {
            sb.push_str(&service_text(ctx, s)?);
        }
    }
    Ok(sb)
}

/// Messages first, then enums, each in source order.
fn types_text(ctx: &mut Ctx, sb: &mut String, types: &[&TypeElement], indent: bool) -> Res<()> {
    for pass in 0..2 {
        for t in types {
            let text = match (pass, t) {
                (0, TypeElement::Message(m)) => {
                    ctx.full_name.push(m.name.clone());
                    let r = message_text(ctx, m);
                    ctx.full_name.pop();
                    r?
                }
                (1, TypeElement::Enum(e)) => {
                    ctx.full_name.push(e.name.clone());
                    let r = enum_text(ctx, e);
                    ctx.full_name.pop();
                    r
                }
                _ => continue,
            };
            if indent {
                append_indented(sb, &text);
            } else {
                sb.push_str(&text);
            }
        }
    }
    Ok(())
}

/// `filterTypes`: normalized, the synthetic map-entry messages are not printed.
fn filter_types<'a>(ctx: &Ctx, types: &'a [TypeElement]) -> Vec<&'a TypeElement> {
    types
        .iter()
        .filter(|t| {
            !ctx.normalize
                || match t {
                    TypeElement::Message(m) => ctx.map_type_of(&m.name).is_none(),
                    TypeElement::Enum(_) => true,
                }
        })
        .collect()
}

/// Normalized: the fields of all `extend` blocks grouped by the resolved extendee.
fn extends(ctx: &Ctx, list: &[Extend]) -> Res<Vec<Extend>> {
    if !ctx.normalize {
        return Ok(list.to_vec());
    }
    let mut out: Vec<Extend> = Vec::new();
    for e in list {
        for f in &e.fields {
            let name = ctx.resolve_or_fail(&e.name)?;
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) => x.fields.push(f.clone()),
                None => out.push(Extend {
                    name,
                    fields: vec![f.clone()],
                }),
            }
        }
    }
    Ok(out)
}

fn service_text(ctx: &Ctx, s: &Service) -> Res<String> {
    let mut sb = format!("service {} {{", s.name);
    let options = filter_options(ctx, &s.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
    }
    if !s.rpcs.is_empty() {
        sb.push('\n');
        for rpc in &s.rpcs {
            append_indented(&mut sb, &rpc_text(ctx, rpc)?);
        }
    }
    sb.push_str("}\n");
    Ok(sb)
}

fn rpc_text(ctx: &Ctx, rpc: &Rpc) -> Res<String> {
    let ty = |t: &str| -> Res<String> {
        if ctx.normalize {
            ctx.resolve_or_fail(t)
        } else {
            Ok(t.to_string())
        }
    };
    let stream = |s: bool| if s { "stream " } else { "" };
    let mut sb = format!(
        "rpc {} ({}{}) returns ({}{})",
        rpc.name,
        stream(rpc.request_streaming),
        ty(&rpc.request_type)?,
        stream(rpc.response_streaming),
        ty(&rpc.response_type)?
    );
    let options = filter_options(ctx, &rpc.options);
    if !options.is_empty() {
        sb.push_str(" {\n");
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
        sb.push('}');
    }
    sb.push_str(";\n");
    Ok(sb)
}

/// The sort key of one reserved or extensions value (normalized order).
fn range_key(v: &RangeValue) -> (i64, String) {
    match v {
        RangeValue::Tag(t) => (*t as i64, t.to_string()),
        RangeValue::Range(s, e) => (*s as i64, format!("{s}..{e}")),
        RangeValue::Name(n) => (i32::MAX as i64, n.clone()),
    }
}

fn split_sorted(ctx: &Ctx, reserveds: &[Reserved], by_text: bool) -> Vec<Vec<RangeValue>> {
    if !ctx.normalize {
        return reserveds.iter().map(|r| r.values.clone()).collect();
    }
    let mut out: Vec<Vec<RangeValue>> = reserveds
        .iter()
        .flat_map(|r| r.values.iter().map(|v| vec![v.clone()]))
        .collect();
    out.sort_by(|a, b| {
        let (ka, kb) = (range_key(&a[0]), range_key(&b[0]));
        if by_text {
            ka.cmp(&kb)
        } else {
            ka.0.cmp(&kb.0)
        }
    });
    out
}

fn range_text(ctx: &Ctx, v: &RangeValue) -> String {
    match v {
        RangeValue::Name(n) => format!("\"{n}\""),
        RangeValue::Tag(t) => t.to_string(),
        RangeValue::Range(s, e) if ctx.normalize && s == e => s.to_string(),
        RangeValue::Range(s, e) if *e < MAX_TAG_VALUE => format!("{s} to {e}"),
        RangeValue::Range(s, _) => format!("{s} to max"),
    }
}

fn values_text(ctx: &Ctx, values: &[RangeValue]) -> String {
    let parts: Vec<String> = values.iter().map(|v| range_text(ctx, v)).collect();
    parts.join(", ")
}

fn reserveds_text(ctx: &Ctx, sb: &mut String, reserveds: &[Reserved]) {
    if reserveds.is_empty() {
        return;
    }
    sb.push('\n');
    for values in split_sorted(ctx, reserveds, true) {
        append_indented(sb, &format!("reserved {};\n", values_text(ctx, &values)));
    }
}

fn enum_text(ctx: &Ctx, e: &Enum) -> String {
    let mut sb = format!("enum {} {{", e.name);
    reserveds_text(ctx, &mut sb, &e.reserveds);
    if e.reserveds.is_empty() && (!e.options.is_empty() || !e.constants.is_empty()) {
        sb.push('\n');
    }
    for o in &filter_options(ctx, &e.options) {
        append_indented(&mut sb, &option_statement(ctx, o));
    }
    let mut constants: Vec<&EnumConstant> = e.constants.iter().collect();
    if ctx.normalize {
        constants.sort_by(|a, b| a.tag.cmp(&b.tag).then_with(|| a.name.cmp(&b.name)));
    }
    for c in constants {
        let mut line = format!("{} = {}", c.name, c.tag);
        let options = filter_options(ctx, &c.options);
        if !options.is_empty() {
            line.push(' ');
            let texts: Vec<String> = options.iter().map(|o| option_text(ctx, o)).collect();
            append_options(&mut line, &texts);
        }
        line.push_str(";\n");
        append_indented(&mut sb, &line);
    }
    sb.push_str("}\n");
    sb
}

fn sorted_fields<'a>(ctx: &Ctx, fields: &'a [Field]) -> Vec<&'a Field> {
    let mut list: Vec<&Field> = fields.iter().collect();
    if ctx.normalize {
        list.sort_by_key(|f| f.tag);
    }
    list
}

fn message_text(ctx: &mut Ctx, m: &Message) -> Res<String> {
    let mut sb = format!("message {} {{", m.name);
    reserveds_text(ctx, &mut sb, &m.reserveds);
    let options = filter_options(ctx, &m.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
    }
    if !m.fields.is_empty() {
        sb.push('\n');
        for f in sorted_fields(ctx, &m.fields) {
            append_indented(&mut sb, &field_text(ctx, f)?);
        }
    }
    if !m.oneofs.is_empty() {
        sb.push('\n');
        let mut oneofs: Vec<OneOf> = m.oneofs.clone();
        if ctx.normalize {
            oneofs.retain(|o| !o.fields.is_empty());
            for o in &mut oneofs {
                o.fields.sort_by_key(|f| f.tag);
            }
            oneofs.sort_by_key(|o| o.fields.first().map(|f| f.tag).unwrap_or_default());
        }
        for o in &oneofs {
            append_indented(&mut sb, &oneof_text(ctx, o)?);
        }
    }
    if !m.groups.is_empty() {
        sb.push('\n');
        groups_text(ctx, &mut sb, &m.groups)?;
    }
    if !ctx.ignore_extensions && !m.extensions.is_empty() {
        sb.push('\n');
        extensions_text(ctx, &mut sb, &m.extensions);
    }
    if !ctx.ignore_extensions && !m.extends.is_empty() {
        sb.push('\n');
        for e in extends(ctx, &m.extends)? {
            append_indented(&mut sb, &extend_text(ctx, &e));
        }
    }
    let types = filter_types(ctx, &m.nested);
    if !types.is_empty() {
        sb.push('\n');
        types_text(ctx, &mut sb, &types, true)?;
    }
    sb.push_str("}\n");
    Ok(sb)
}

fn extensions_text(ctx: &Ctx, sb: &mut String, list: &[Extensions]) {
    let mut items: Vec<(Vec<RangeValue>, &[OptionElement])> = Vec::new();
    if ctx.normalize {
        for e in list {
            for v in &e.values {
                items.push((vec![v.clone()], &e.options));
            }
        }
        items.sort_by_key(|(v, _)| range_key(&v[0]).0);
    } else {
        items = list
            .iter()
            .map(|e| (e.values.clone(), &e.options[..]))
            .collect();
    }
    for (values, options) in items {
        let mut line = format!("extensions {}", values_text(ctx, &values));
        let options = filter_options(ctx, options);
        if !options.is_empty() {
            line.push(' ');
            let texts: Vec<String> = options.iter().map(|o| option_text(ctx, o)).collect();
            append_options(&mut line, &texts);
        }
        line.push_str(";\n");
        append_indented(sb, &line);
    }
}

fn groups_text(ctx: &Ctx, sb: &mut String, groups: &[Group]) -> Res<()> {
    let mut list: Vec<&Group> = groups.iter().collect();
    if ctx.normalize {
        list.sort_by_key(|g| g.tag);
    }
    for g in list {
        let mut text = String::new();
        if let Some(l) = g.label {
            text.push_str(label_text(l));
            text.push(' ');
        }
        text.push_str(&format!("group {} = {} {{", g.name, g.tag));
        if !g.fields.is_empty() {
            text.push('\n');
            for f in sorted_fields(ctx, &g.fields) {
                append_indented(&mut text, &field_text(ctx, f)?);
            }
        }
        text.push_str("}\n");
        append_indented(sb, &text);
    }
    Ok(())
}

fn oneof_text(ctx: &Ctx, o: &OneOf) -> Res<String> {
    let mut sb = format!("oneof {} {{", o.name);
    let options = filter_options(ctx, &o.options);
    if !options.is_empty() {
        sb.push('\n');
        for op in &options {
            append_indented(&mut sb, &option_statement(ctx, op));
        }
    }
    if !o.fields.is_empty() {
        sb.push('\n');
        for f in &o.fields {
            append_indented(&mut sb, &field_text(ctx, f)?);
        }
    }
    if !o.groups.is_empty() {
        sb.push('\n');
        groups_text(ctx, &mut sb, &o.groups)?;
    }
    sb.push_str("}\n");
    Ok(sb)
}

fn extend_text(ctx: &Ctx, e: &Extend) -> String {
    let mut sb = format!("extend {} {{", e.name);
    if !e.fields.is_empty() {
        sb.push('\n');
        for f in sorted_fields(ctx, &e.fields) {
            // Extension fields were resolved when grouped; a failure here would have failed
            // there first, so print what we have.
            let text = field_text(ctx, f).unwrap_or_default();
            append_indented(&mut sb, &text);
        }
    }
    sb.push_str("}\n");
    sb
}

fn label_text(l: Label) -> &'static str {
    match l {
        Label::OneOf => "one_of",
        other => other.as_str(),
    }
}

/// `map<K, V>` → (K, V).
fn split_map(ty: &str) -> Option<(String, String)> {
    let inner = ty.strip_prefix("map<")?.strip_suffix('>')?;
    let (k, v) = inner.split_once(',')?;
    Some((k.trim().to_string(), v.trim().to_string()))
}

fn field_text(ctx: &Ctx, f: &Field) -> Res<String> {
    let mut label = f.label;
    let mut ty = f.ty.clone();
    if ctx.normalize {
        let is_map = ty.starts_with("map<");
        if !SCALARS.contains(&ty.as_str()) && !is_map {
            let resolved = ctx.resolve_or_fail(&ty)?;
            ty = match ctx.map_type_of(&resolved) {
                Some((k, v)) => format!("map<{k}, {v}>"),
                None => resolved,
            };
        }
        if let Some((k, v)) = split_map(&ty) {
            if let Some(rv) = ctx.resolve_type(&v) {
                ty = format!("map<{k}, .{rv}>");
            }
            label = None;
        }
    }
    let mut sb = String::new();
    if let Some(l) = label {
        sb.push_str(label_text(l));
        sb.push(' ');
    }
    sb.push_str(&format!("{ty} {} = {}", f.name, f.tag));
    let mut options = f.options.clone();
    if let Some(d) = &f.default_value {
        let simple = ty.rsplit('.').next().unwrap_or(&ty);
        let value = match simple {
            "bool" => OptionValue::Boolean(d.clone()),
            "string" => OptionValue::String(d.clone()),
            s if SCALARS.contains(&s) => OptionValue::Number(d.clone()),
            _ => OptionValue::Enum(d.clone()),
        };
        options.push(OptionElement {
            name: "default".into(),
            value,
            parenthesized: false,
        });
    }
    if let Some(j) = &f.json_name {
        options.push(OptionElement {
            name: "json_name".into(),
            value: OptionValue::String(j.clone()),
            parenthesized: false,
        });
    }
    let options = filter_options(ctx, &options);
    if !options.is_empty() {
        sb.push(' ');
        let texts: Vec<String> = options.iter().map(|o| option_text(ctx, o)).collect();
        append_options(&mut sb, &texts);
    }
    sb.push_str(";\n");
    Ok(sb)
}
