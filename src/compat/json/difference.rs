//! Confluent's `Difference`: a type name and the JSON path where it was found, rendered by
//! `Difference.toString()`, and the sets of types that count as compatible
//! (`SchemaDiff.COMPATIBLE_CHANGES` in 7.9; `COMPATIBLE_CHANGES_LENIENT` in 8.2).

/// One difference found by the diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Difference {
    pub kind: &'static str,
    pub path: String,
}

/// `SchemaDiff.COMPATIBLE_CHANGES` (7.9.0).
const COMPATIBLE: &[&str] = &[
    "ID_CHANGED",
    "DESCRIPTION_CHANGED",
    "TITLE_CHANGED",
    "DEFAULT_CHANGED",
    "SCHEMA_REMOVED",
    "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_REMOVED",
    "MIN_LENGTH_DECREASED",
    "MIN_LENGTH_REMOVED",
    "PATTERN_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_REMOVED",
    "MINIMUM_DECREASED",
    "MINIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED",
    "DEPENDENCY_ARRAY_REMOVED",
    "DEPENDENCY_SCHEMA_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_REMOVED",
    "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_REMOVED",
    "MIN_ITEMS_DECREASED",
    "MIN_ITEMS_REMOVED",
    "UNIQUE_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED",
    "COMBINED_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED",
    "SUM_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
];

/// Added to the strict set by 8.2's `COMPATIBLE_CHANGES_STRICT` (keywords 7.9 does not know)
/// and so part of `COMPATIBLE_CHANGES_LENIENT` too.
const COMPATIBLE_8_2: &[&str] = &[
    "UNEVALUATED_PROPERTIES_ADDED",
    "UNEVALUATED_PROPERTIES_EXTENDED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_REMOVED",
    "MIN_CONTAINS_DECREASED",
    "MIN_CONTAINS_REMOVED",
    "UNEVALUATED_ITEMS_ADDED",
    "UNEVALUATED_ITEMS_EXTENDED",
];

/// What `COMPATIBLE_CHANGES_LENIENT` adds to the strict set (8.2 `SchemaDiff`).
const LENIENT_ONLY: &[&str] = &[
    "ADDITIONAL_PROPERTIES_NARROWED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    "UNEVALUATED_PROPERTIES_NARROWED",
    "UNEVALUATED_PROPERTIES_REMOVED",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
];

/// Is a difference of this type compatible under the policy?
pub(super) fn is_compatible(kind: &str, lenient: bool) -> bool {
    COMPATIBLE.contains(&kind)
        || (lenient && (COMPATIBLE_8_2.contains(&kind) || LENIENT_ONLY.contains(&kind)))
}

const KEYWORD_ADDED_OR_REMOVED: &[&str] = &[
    "MAXIMUM_ADDED",
    "MINIMUM_ADDED",
    "EXCLUSIVE_MAXIMUM_ADDED",
    "EXCLUSIVE_MINIMUM_ADDED",
    "MULTIPLE_OF_ADDED",
    "MAX_LENGTH_ADDED",
    "MIN_LENGTH_ADDED",
    "PATTERN_ADDED",
    "REQUIRED_ATTRIBUTE_ADDED",
    "MAX_PROPERTIES_ADDED",
    "MIN_PROPERTIES_ADDED",
    "DEPENDENCY_ARRAY_ADDED",
    "DEPENDENCY_SCHEMA_ADDED",
    "MAX_ITEMS_ADDED",
    "MIN_ITEMS_ADDED",
    "UNIQUE_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_REMOVED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    // 8.2
    "MAX_CONTAINS_ADDED",
    "MIN_CONTAINS_ADDED",
    "UNEVALUATED_PROPERTIES_REMOVED",
    "UNEVALUATED_ITEMS_REMOVED",
];
const VALUE_INCREASED: &[&str] = &[
    "MIN_LENGTH_INCREASED",
    "MINIMUM_INCREASED",
    "EXCLUSIVE_MINIMUM_INCREASED",
    "MIN_PROPERTIES_INCREASED",
    "MULTIPLE_OF_EXPANDED",
    "MIN_ITEMS_INCREASED",
    "MIN_CONTAINS_INCREASED",
];
const VALUE_DECREASED: &[&str] = &[
    "MAX_LENGTH_DECREASED",
    "MAXIMUM_DECREASED",
    "MAX_ITEMS_DECREASED",
    "EXCLUSIVE_MAXIMUM_DECREASED",
    "MAX_PROPERTIES_DECREASED",
    "MAX_CONTAINS_DECREASED",
];
const TYPE_NARROWED: &[&str] = &[
    "ADDITIONAL_ITEMS_NARROWED",
    "ENUM_ARRAY_NARROWED",
    "SUM_TYPE_NARROWED",
    "ADDITIONAL_PROPERTIES_NARROWED",
    "UNEVALUATED_PROPERTIES_NARROWED",
    "UNEVALUATED_ITEMS_NARROWED",
];
const VALUE_CHANGED: &[&str] = &[
    "PATTERN_CHANGED",
    "MULTIPLE_OF_CHANGED",
    "DEPENDENCY_ARRAY_CHANGED",
];
const TYPE_CHANGED: &[&str] = &[
    "TYPE_CHANGED",
    "TYPE_NARROWED",
    "COMBINED_TYPE_CHANGED",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    "ENUM_ARRAY_CHANGED",
];
const TYPE_EXTENDED: &[&str] = &[
    "DEPENDENCY_ARRAY_EXTENDED",
    "PRODUCT_TYPE_EXTENDED",
    "SUM_TYPE_EXTENDED",
    "NOT_TYPE_EXTENDED",
];
const ADDED_TO_OPEN: &[&str] = &[
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    // 8.2
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
];

impl Difference {
    /// `Difference.toString()`, with `first`/`second` for the two `%s` of the description
    /// ("new"/"old" when the reader is the new schema, swapped otherwise).
    pub(super) fn render(&self, first: &str, second: &str) -> String {
        let p = &self.path;
        let k = self.kind;
        let description = if KEYWORD_ADDED_OR_REMOVED.contains(&k) {
            format!("The keyword at path '{p}' in the {first} schema is not present in the {second} schema")
        } else if VALUE_INCREASED.contains(&k) {
            format!("The value at path '{p}' in the {first} schema is more than its value in the {second} schema")
        } else if VALUE_DECREASED.contains(&k) {
            format!("The value at path '{p}' in the {first} schema is less than its value in the {second} schema")
        } else if VALUE_CHANGED.contains(&k) {
            format!("The value at path '{p}' is different between the {first} and {second} schema")
        } else if TYPE_NARROWED.contains(&k) {
            format!("An array or combined type at path '{p}' has fewer elements in the {first} schema than the {second} schema")
        } else if TYPE_EXTENDED.contains(&k) {
            format!("An array or combined type at path '{p}' has more elements in the {first} schema than the {second} schema")
        } else if TYPE_CHANGED.contains(&k) {
            format!("A type at path '{p}' is different between the {first} schema and the {second} schema")
        } else {
            property_or_item(k, p, first, second)
        };
        format!("{{errorType:\"{k}\", description:\"{description}'}}")
    }
}

/// `Difference.propertyOrItemError()`; empty for the types it has no text for.
fn property_or_item(k: &str, p: &str, first: &str, second: &str) -> String {
    match k {
        _ if ADDED_TO_OPEN.contains(&k) => format!(
            "The {first} schema has an open content model and has a property or item at path '{p}' which is missing in the {second} schema"
        ),
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" => format!(
            "The {first} schema has an unopen content model and has a required property at path '{p}' which is missing in the {second} schema"
        ),
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" | "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL" => format!(
            "The {first} has a closed content model and is missing a property or item present at path '{p}' in the {second} schema"
        ),
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        | "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!(
            "A property or item is missing in the {first} schema but present at path '{p}' in the {second} schema and is not covered by its partially open content model"
        ),
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        | "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!(
            "The {first} schema has a property or item at path '{p}' which is missing in the {second} schema and is not covered by its partially open content model"
        ),
        _ => String::new(),
    }
}
