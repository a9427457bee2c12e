//! Rules the oracle does not show, each from the Java source it cites
//! (`json-schema-provider/.../json/diff/*.java` at 7.9.0, 8.2.x for the lenient policy), and
//! hostile inputs (deep nesting, reference cycles, huge enums).

use super::*;

/// BACKWARD messages of `new` against `old` (strict unless `lenient`).
fn backward(old: &str, new: &str, lenient: bool) -> Vec<String> {
    compare(&prepare(new, &[]), &prepare(old, &[]), true, lenient)
}

/// The error types of BACKWARD, strict.
fn types(old: &str, new: &str) -> Vec<String> {
    kinds(&backward(old, new, false))
}

/// Runs `f` on a thread with the stack of a server worker (2 MiB) in release builds; debug
/// builds get more, their frames being several times larger.
fn on_worker_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let size = if cfg!(debug_assertions) {
        32 << 20
    } else {
        2 << 20
    };
    std::thread::Builder::new()
        .stack_size(size)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

fn kinds(msgs: &[String]) -> Vec<String> {
    msgs.iter()
        .map(|m| m.split('"').nth(1).unwrap_or(m.as_str()).to_string())
        .collect()
}

// ObjectSchemaDiff.compareProperties + schemaFromPartiallyOpenContentModel: a pattern
// property covers an added property; a mismatch reports the sub-differences and
// PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL.
#[test]
fn pattern_properties_cover_added_properties() {
    let old = r#"{"type":"object","patternProperties":{"^s_":{"type":"string"}}}"#;
    let ok = r#"{"type":"object","patternProperties":{"^s_":{"type":"string"}},"properties":{"s_x":{"type":"string"}}}"#;
    assert_eq!(types(old, ok), Vec::<String>::new());
    let bad = r#"{"type":"object","patternProperties":{"^s_":{"type":"string"}},"properties":{"s_x":{"type":"integer"}}}"#;
    assert_eq!(
        backward(old, bad, false),
        vec![
            "{errorType:\"TYPE_CHANGED\", description:\"A type at path '#/properties/s_x' is different between the new schema and the old schema'}",
            "{errorType:\"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL\", description:\"The new schema has a property or item at path '#/properties/s_x' which is missing in the old schema and is not covered by its partially open content model'}",
        ]
    );
}

// ObjectSchemaDiff.compareProperties: closed original, required property added →
// REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL; with a default it is compatible.
#[test]
fn required_property_added_to_closed_model() {
    let old =
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
    let new = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"required":["b"],"additionalProperties":false}"#;
    assert_eq!(
        backward(old, new, false),
        vec!["{errorType:\"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL\", description:\"The new schema has an unopen content model and has a required property at path '#/properties/b' which is missing in the old schema'}"]
    );
    let with_default = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string","default":"x"}},"required":["b"],"additionalProperties":false}"#;
    assert!(backward(old, with_default, false).is_empty());
}

// ObjectSchemaDiff.compareProperties iterates `new HashSet<>(original keys)` + update keys:
// Java hash-bucket order (here 16 buckets: zeta 0, alpha 7, name 8, id 11, email 14, age 14),
// insertion order within a bucket.
#[test]
fn properties_are_visited_in_java_hash_order() {
    let old = r#"{"type":"object","properties":{}}"#;
    let new = r#"{"type":"object","properties":{"name":{"type":"string"},"email":{"type":"string"},"zeta":{"type":"string"},"alpha":{"type":"string"},"id":{"type":"string"},"age":{"type":"string"}}}"#;
    let paths: Vec<String> = backward(old, new, false)
        .iter()
        .map(|m| m.split('\'').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "#/properties/zeta",
            "#/properties/alpha",
            "#/properties/name",
            "#/properties/id",
            "#/properties/email",
            "#/properties/age"
        ]
    );
}

// ObjectSchemaDiff.compareRequired: removing a required attribute is compatible; adding one
// with a default is compatible (REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED).
#[test]
fn required_removed_or_added_with_default() {
    let req =
        r#"{"type":"object","properties":{"a":{"type":"string","default":"d"}},"required":["a"]}"#;
    let opt = r#"{"type":"object","properties":{"a":{"type":"string","default":"d"}}}"#;
    assert!(types(req, opt).is_empty());
    assert!(types(opt, req).is_empty());
}

// ObjectSchemaDiff.compareAdditionalProperties: a schema for additional properties where
// there was none narrows them.
#[test]
fn additional_properties_schema_added() {
    let old = r#"{"type":"object"}"#;
    let new = r#"{"type":"object","additionalProperties":{"type":"string"}}"#;
    assert_eq!(
        backward(old, new, false),
        vec!["{errorType:\"ADDITIONAL_PROPERTIES_NARROWED\", description:\"An array or combined type at path '#/additionalProperties' has fewer elements in the new schema than the old schema'}"]
    );
    assert!(types(new, old).is_empty());
}

// CombinedSchemaDiff.compareCriteria: anyOf → oneOf is a change; oneOf → anyOf, allOf →
// anyOf extend.
#[test]
fn combined_criterion_changes() {
    let any = r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#;
    let one = r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#;
    let all = r#"{"allOf":[{"type":"string"},{"type":"integer"}]}"#;
    assert_eq!(
        backward(any, one, false),
        vec!["{errorType:\"COMBINED_TYPE_CHANGED\", description:\"A type at path '#/' is different between the new schema and the old schema'}"]
    );
    assert!(types(one, any).is_empty());
    assert!(types(all, any).is_empty());
    assert_eq!(types(any, all), vec!["COMBINED_TYPE_CHANGED"]);
}

// CombinedSchemaDiff.compare + MaximumCardinalityMatch: subschemas match in any order; a
// matching that does not cover the smaller side is COMBINED_TYPE_SUBSCHEMAS_CHANGED.
#[test]
fn sum_types_are_matched() {
    let old = r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#;
    let reordered = r#"{"oneOf":[{"type":"integer"},{"type":"boolean"},{"type":"string"}]}"#;
    assert!(types(old, reordered).is_empty());
    let old = r#"{"oneOf":[{"type":"string","maxLength":5},{"type":"integer"}]}"#;
    let new = r#"{"oneOf":[{"type":"number"},{"type":"string","maxLength":3}]}"#;
    assert_eq!(types(old, new), vec!["COMBINED_TYPE_SUBSCHEMAS_CHANGED"]);
    // Duplicate subschemas collapse (CombinedSchemaDiff: "Use sets to collapse duplicate entries").
    let dup = r#"{"anyOf":[{"type":"string"},{"type":"string"},{"type":"integer"}]}"#;
    let two = r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#;
    assert!(types(dup, two).is_empty());
    assert!(types(two, dup).is_empty());
}

// ArraySchemaDiff.compareItemSchemaArray: an item added to an open tuple is incompatible, to
// a closed one compatible; removing from a closed tuple is incompatible.
#[test]
fn item_tuples() {
    let one = r#"{"type":"array","items":[{"type":"string"}]}"#;
    let two = r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}]}"#;
    assert_eq!(
        backward(one, two, false),
        vec!["{errorType:\"ITEM_ADDED_TO_OPEN_CONTENT_MODEL\", description:\"The new schema has an open content model and has a property or item at path '#/items/1' which is missing in the old schema'}"]
    );
    let closed_one = r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#;
    let closed_two = r#"{"type":"array","items":[{"type":"string"},{"type":"integer"}],"additionalItems":false}"#;
    assert!(types(closed_one, closed_two).is_empty());
    assert_eq!(
        types(closed_two, closed_one),
        vec!["ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"]
    );
}

// ArraySchemaDiff.compareAdditionalItems: a schema for additional items narrows them; the
// covered tuple item is checked against it (partially open content model).
#[test]
fn additional_items() {
    let old = r#"{"type":"array","items":[{"type":"string"}]}"#;
    let new = r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"string"}}"#;
    assert_eq!(types(old, new), vec!["ADDITIONAL_ITEMS_NARROWED"]);
    let partial =
        r#"{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"integer"}}"#;
    let longer = r#"{"type":"array","items":[{"type":"string"},{"type":"string"}],"additionalItems":{"type":"integer"}}"#;
    assert_eq!(
        types(partial, longer),
        vec![
            "TYPE_CHANGED",
            "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        ]
    );
}

// ObjectSchemaDiff.compareDependencies (2019-09+ dependentRequired / dependentSchemas are
// translated to property and schema dependencies by SchemaTranslator).
#[test]
fn dependencies() {
    let d = |deps: &str| {
        format!(
            r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",{deps}}}"#
        )
    };
    let old = d(r#""dependentRequired":{"a":["b"]}"#);
    let new = d(r#""dependentRequired":{"a":["b","c"]}"#);
    assert_eq!(
        backward(&old, &new, false),
        vec!["{errorType:\"DEPENDENCY_ARRAY_EXTENDED\", description:\"An array or combined type at path '#/dependencies/a' has more elements in the new schema than the old schema'}"]
    );
    assert!(types(&new, &old).is_empty());
    let schema_dep = d(r#""dependentSchemas":{"a":{"required":["b"]}}"#);
    assert_eq!(
        types(&d(r#""properties":{}"#), &schema_dep),
        vec!["DEPENDENCY_SCHEMA_ADDED"]
    );
    assert!(types(&schema_dep, &d(r#""properties":{}"#)).is_empty());
    // draft 7 `dependencies`, both forms.
    let old = r#"{"dependencies":{"a":["b","c"],"x":{"required":["y"]}}}"#;
    let new = r#"{"dependencies":{"a":["b","d"],"x":{"required":["y"],"maxProperties":3}}}"#;
    assert_eq!(
        types(old, new),
        vec!["DEPENDENCY_ARRAY_CHANGED", "MAX_PROPERTIES_ADDED"]
    );
}

// ConstSchemaDiff / EnumSchemaDiff: structural equality of values; enums compare as lists.
#[test]
fn const_and_enum() {
    // Difference.toString: types without a description text print an empty one.
    assert_eq!(
        backward(
            r#"{"type":"array"}"#,
            r#"{"type":"array","items":{"type":"string"}}"#,
            false
        ),
        vec!["{errorType:\"SCHEMA_ADDED\", description:\"'}"]
    );
    let c = r#"{"const":{"a":[1,2],"b":null}}"#;
    let c2 = r#"{"const":{"b":null,"a":[1,2]}}"#;
    assert!(types(c, c2).is_empty());
    assert_eq!(
        types(r#"{"enum":[1,2]}"#, r#"{"enum":[1,3]}"#),
        vec!["ENUM_ARRAY_CHANGED"]
    );
    assert_eq!(
        types(r#"{"enum":[1,2]}"#, r#"{"enum":[1]}"#),
        vec!["ENUM_ARRAY_NARROWED"]
    );
    assert!(types(r#"{"enum":[1,2]}"#, r#"{"enum":[2,1]}"#).is_empty());
}

// NotSchemaDiff: the wrapped schemas are compared reversed.
#[test]
fn not_schemas() {
    let s = r#"{"not":{"type":"string"}}"#;
    let si = r#"{"not":{"type":["string","integer"]}}"#;
    assert_eq!(
        backward(s, si, false),
        vec!["{errorType:\"NOT_TYPE_EXTENDED\", description:\"An array or combined type at path '#/not' has more elements in the new schema than the old schema'}"]
    );
    assert!(types(si, s).is_empty());
}

// SchemaDiff.compare: TrueSchema extends EmptySchema; a FalseSchema original accepts anything.
#[test]
fn boolean_schemas() {
    assert!(types("true", "{}").is_empty());
    assert!(types("{}", "true").is_empty());
    assert!(types("false", r#"{"type":"string"}"#).is_empty());
    assert_eq!(types("true", r#"{"type":"string"}"#), vec!["TYPE_CHANGED"]);
}

// Context.enterSchema: a schema already being compared is skipped, so recursion terminates;
// a change next to the recursion is still found.
#[test]
fn reference_cycles_terminate() {
    assert!(types(r##"{"$ref":"#"}"##, r##"{"$ref":"#"}"##).is_empty());
    let tree = r##"{"type":"object","properties":{"v":{"type":"string"},"kids":{"type":"array","items":{"$ref":"#"}}}}"##;
    let tree2 = r##"{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#"}}}}"##;
    assert!(types(tree, tree).is_empty());
    // The root and the schema loaded for `#` are distinct objects in everit (the reference is
    // loaded afresh), so the change is found in both, and the recursion stops at the second.
    let paths: Vec<String> = backward(tree, tree2, false)
        .iter()
        .map(|m| m.split('\'').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        paths,
        vec!["#/properties/v", "#/properties/kids/items/properties/v"]
    );
    let mutual = r##"{"definitions":{"a":{"type":"object","properties":{"b":{"$ref":"#/definitions/b"}}},"b":{"type":"object","properties":{"a":{"$ref":"#/definitions/a"}}}},"$ref":"#/definitions/a"}"##;
    assert!(types(mutual, mutual).is_empty());
    let anchor = r##"{"definitions":{"x":{"$id":"#foo","type":"string"}},"properties":{"p":{"$ref":"#foo"}}}"##;
    let anchor2 = r##"{"definitions":{"x":{"$id":"#foo","type":"integer"}},"properties":{"p":{"$ref":"#foo"}}}"##;
    assert_eq!(types(anchor, anchor2), vec!["TYPE_CHANGED"]);
}

// References to schemas registered by name, with fragments.
#[test]
fn named_references() {
    let dep = |t: &str| {
        vec![crate::schema::Dependency::new(
            "customer.json",
            format!(
                r#"{{"definitions":{{"id":{{"type":"{t}"}}}},"type":"object","properties":{{"name":{{"type":"{t}"}}}}}}"#
            ),
        )]
    };
    let s = r#"{"type":"object","properties":{"c":{"$ref":"customer.json"},"i":{"$ref":"customer.json#/definitions/id"}}}"#;
    let old = prepare(s, &dep("string"));
    let new = prepare(s, &dep("integer"));
    assert_eq!(
        kinds(&compare(&new, &old, true, false)),
        vec!["TYPE_CHANGED", "TYPE_CHANGED"]
    );
    assert!(compare(&old, &prepare(s, &dep("string")), true, false).is_empty());
}

// everit's draft-4 exclusiveMaximum is a boolean flag with no limit of its own: the diff
// (which compares exclusive limits only) sees nothing.
#[test]
fn draft4_boolean_exclusive_maximum() {
    let old =
        r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":10}"#;
    let new = r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":10,"exclusiveMaximum":true}"#;
    assert!(types(old, new).is_empty());
    let d7 = r#"{"type":"number","exclusiveMaximum":10}"#;
    assert_eq!(
        types(r#"{"type":"number"}"#, d7),
        vec!["EXCLUSIVE_MAXIMUM_ADDED"]
    );
}

// 2020-12: prefixItems are the tuple, items the schema of the additional items.
#[test]
fn draft_2020_12_tuples() {
    let d = |rest: &str| {
        format!(
            r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array",{rest}}}"#
        )
    };
    let one = d(r#""prefixItems":[{"type":"string"}]"#);
    let two = d(r#""prefixItems":[{"type":"string"},{"type":"integer"}]"#);
    assert_eq!(types(&one, &two), vec!["ITEM_ADDED_TO_OPEN_CONTENT_MODEL"]);
    let closed = d(r#""prefixItems":[{"type":"string"}],"items":false"#);
    assert_eq!(types(&one, &closed), vec!["ADDITIONAL_ITEMS_REMOVED"]);
    let defs = r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"x":{"type":"string"}},"properties":{"p":{"$ref":"#/$defs/x"}}}"##;
    let defs2 = defs.replace("string", "boolean");
    assert_eq!(types(defs, &defs2), vec!["TYPE_CHANGED"]);
}

// 2020-12 (json-sKema + SchemaTranslator): `$ref` next to other keywords is joined with them
// in a generated allOf, so a change beside it shows as a changed combined type; `items: true`
// adds nothing.
#[test]
fn draft_2020_12_ref_with_siblings() {
    let d = |t: &str| {
        format!(
            r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{{"a":{{"type":"object"}}}},"$ref":"#/$defs/a","properties":{{"p":{{"type":"{t}"}}}}}}"##
        )
    };
    assert!(types(&d("string"), &d("string")).is_empty());
    assert_eq!(
        types(&d("string"), &d("integer")),
        vec!["COMBINED_TYPE_SUBSCHEMAS_CHANGED"]
    );
    let arr = |items: &str| {
        format!(
            r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{items}}}"#
        )
    };
    assert!(types(
        &arr("true"),
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"}"#
    )
    .is_empty());
    assert_eq!(
        types(&arr("true"), &arr(r#"{"type":"string"}"#)),
        vec!["SCHEMA_ADDED"]
    );
}

// 8.2 SchemaDiff.COMPATIBLE_CHANGES_LENIENT and ObjectSchemaDiff's open-content branch.
#[test]
fn lenient_policy() {
    let old = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let added = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
    assert_eq!(
        types(old, added),
        vec!["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]
    );
    assert!(backward(old, added, true).is_empty());
    let required = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"]}"#;
    assert_eq!(
        backward(old, required, true),
        vec!["{errorType:\"REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\", description:\"The new schema has an open content model and has a property or item at path '#/properties/b' which is missing in the old schema'}"]
    );
    let closed = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#;
    let closed_less =
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
    assert_eq!(
        types(closed, closed_less),
        vec!["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]
    );
    assert!(backward(closed, closed_less, true).is_empty());
    assert!(backward(old, closed_less, true).is_empty());
    // 8.2 SchemaDiff.compareTypes: two types both marked `connect.type: bytes` are equivalent.
    let (s, n) = (
        r#"{"type":"string","connect.type":"bytes"}"#,
        r#"{"type":"number","connect.type":"bytes"}"#,
    );
    assert_eq!(types(s, n), vec!["TYPE_CHANGED"]);
    assert!(backward(s, n, true).is_empty());
    // Not everything is lenient: a type change stays incompatible.
    assert_eq!(
        kinds(&backward(
            r#"{"type":"string"}"#,
            r#"{"type":"integer"}"#,
            true
        )),
        vec!["TYPE_CHANGED"]
    );
}

// FORWARD swaps the words.
#[test]
fn forward_wording() {
    let (old, new) = (
        prepare(r#"{"type":"string"}"#, &[]),
        prepare(r#"{"type":"integer"}"#, &[]),
    );
    assert_eq!(
        compare(&old, &new, false, false),
        vec!["{errorType:\"TYPE_CHANGED\", description:\"A type at path '#/' is different between the old schema and the new schema'}"]
    );
}

fn nested(depth: usize) -> String {
    let mut s = String::from(r#"{"type":"string"}"#);
    for _ in 0..depth {
        s = format!(r#"{{"type":"object","properties":{{"x":{s}}}}}"#);
    }
    s
}

#[test]
fn deep_nesting_is_an_error_not_an_overflow() {
    on_worker_stack(|| {
        let deep = nested(256);
        let msgs = backward(&deep, &deep, false);
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].starts_with(EXCEPTION_PREFIX), "{msgs:?}");
        // Long reference chains (each document shallow) stop at the comparison depth limit.
        let mut defs = Vec::new();
        for i in 0..1000 {
            defs.push(format!(
            r##""d{i}":{{"type":"object","properties":{{"x":{{"$ref":"#/definitions/d{}"}}}}}}"##,
            i + 1
        ));
        }
        defs.push(r#""d1000":{"type":"string"}"#.to_string());
        let chain = format!(
            r##"{{"definitions":{{{}}},"$ref":"#/definitions/d0"}}"##,
            defs.join(",")
        );
        let msgs = backward(&chain, &chain, false);
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].starts_with(EXCEPTION_PREFIX), "{msgs:?}");
        // Moderate nesting works.
        assert!(backward(&nested(60), &nested(60), false).is_empty());
    });
}

#[test]
fn huge_and_odd_inputs_do_not_panic_or_hang() {
    let values: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    let big = format!(r#"{{"enum":[{}]}}"#, values.join(","));
    let bigger = format!(r#"{{"enum":[{},-1]}}"#, values.join(","));
    assert!(types(&big, &bigger).is_empty());
    assert_eq!(types(&bigger, &big), vec!["ENUM_ARRAY_NARROWED"]);
    // Wide unions of unions: bounded work.
    let branch =
        r#"{"anyOf":[{"type":"string"},{"type":"integer"},{"type":"object"},{"type":"array"}]}"#;
    let wide = format!(r#"{{"anyOf":[{}]}}"#, vec![branch; 60].join(","));
    let _ = backward(&wide, &wide, false);
    for odd in [
        "",
        "[]",
        "1",
        "null",
        r#"{"type":5}"#,
        r#"{"$ref":5}"#,
        r#"{"type":"nope"}"#,
        r#"{"$ref":"missing.json"}"#,
        r#"{"properties":{"a":3}}"#,
        r#"{"patternProperties":{"(":{}}}"#,
    ] {
        let _ = backward(odd, r#"{"type":"string"}"#, false);
        let _ = backward(r#"{"type":"string"}"#, odd, true);
        let _ = backward(odd, odd, false);
    }
}

#[test]
fn prepared_is_send_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<PreparedJson>();
}

/// Definitions that all refer to one another through inline `oneOf` unions: the 7.9 diff is
/// exponential on these (8.2 memoizes); here the work is bounded and the answer is an error.
fn recursive_unions(id_type: &str) -> String {
    let names: Vec<String> = (0..12).map(|i| format!("T{i}")).collect();
    let union = format!(
        r##"{{"oneOf":[{}]}}"##,
        names
            .iter()
            .map(|n| format!(r##"{{"$ref":"#/definitions/{n}"}}"##))
            .collect::<Vec<_>>()
            .join(",")
    );
    let defs: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                r#""{n}":{{"type":"object","properties":{{"id":{{"type":"{id_type}"}},"a":{union},"b":{union}}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"type":"object","definitions":{{{}}},"properties":{{"p":{union}}}}}"#,
        defs.join(",")
    )
}

#[test]
fn recursive_unions_are_bounded() {
    on_worker_stack(|| {
        let start = std::time::Instant::now();
        let msgs = backward(
            &recursive_unions("string"),
            &recursive_unions("number"),
            false,
        );
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].starts_with(EXCEPTION_PREFIX), "{msgs:?}");
        assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    });
}

// 8.2 Context.compareMemoized + the SchemaDiff.compare fixpoint (lenient policy): the same
// recursive unions finish, and a change deep inside is still found.
#[test]
fn lenient_memoizes_recursive_unions() {
    on_worker_stack(|| {
        let same = backward(
            &recursive_unions("string"),
            &recursive_unions("string"),
            true,
        );
        assert!(same.is_empty(), "{same:?}");
        let changed = backward(
            &recursive_unions("string"),
            &recursive_unions("number"),
            true,
        );
        assert_eq!(kinds(&changed), vec!["COMBINED_TYPE_SUBSCHEMAS_CHANGED"]);
        // Memoized differences are rebased onto the path where the pair is met again.
        let d = r##"{"definitions":{"x":{"type":"string"}},"properties":{"a":{"$ref":"#/definitions/x"},"b":{"$ref":"#/definitions/x"}}}"##;
        let d2 = d.replace("string", "integer");
        let paths: Vec<String> = backward(d, &d2, true)
            .iter()
            .map(|m| m.split('\'').nth(1).unwrap_or_default().to_string())
            .collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["#/properties/a", "#/properties/b"]);
    });
}

/// Found by the fuzz target: documents Confluent registers that are neither objects nor
/// booleans (`5`, `"x"`, `[1,2]`) load as the empty schema (`JsonSchema.rawSchema`), so each
/// is compatible with itself and with `{}`.
#[test]
fn non_object_roots_are_the_empty_schema() {
    for doc in [
        "5",
        "\"x\"",
        "[1,2]",
        "{}",
        "5E+999",
        r#"{"description":1e999}"#,
    ] {
        for other in ["5", "{}"] {
            let (a, b) = (super::prepare(doc, &[]), super::prepare(other, &[]));
            assert!(
                super::compare(&a, &b, true, false).is_empty(),
                "{doc} vs {other}"
            );
            assert!(
                super::compare(&b, &a, false, false).is_empty(),
                "{doc} vs {other}"
            );
        }
    }
}
