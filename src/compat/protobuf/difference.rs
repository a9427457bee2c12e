//! Confluent's Protobuf `Difference` (7.9 `protobuf-provider` `diff/Difference.java`): a kind and
//! the path where the diff found it, the kinds `SchemaDiff.COMPATIBLE_CHANGES` accepts, and the
//! message `toString()` gives, its two `%s` filled with "new"/"old" the way
//! `SchemaValidatorBuilder.formatErrorMessages` fills them.

/// `Difference.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl Kind {
    /// The Java enum constant's name.
    pub(super) fn as_str(self) -> &'static str {
        use Kind::*;
        match self {
            PackageChanged => "PACKAGE_CHANGED",
            MessageAdded => "MESSAGE_ADDED",
            MessageRemoved => "MESSAGE_REMOVED",
            MessageMoved => "MESSAGE_MOVED",
            EnumAdded => "ENUM_ADDED",
            EnumRemoved => "ENUM_REMOVED",
            EnumConstAdded => "ENUM_CONST_ADDED",
            EnumConstChanged => "ENUM_CONST_CHANGED",
            EnumConstRemoved => "ENUM_CONST_REMOVED",
            FieldAdded => "FIELD_ADDED",
            FieldRemoved => "FIELD_REMOVED",
            FieldNameChanged => "FIELD_NAME_CHANGED",
            FieldKindChanged => "FIELD_KIND_CHANGED",
            FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            OneofAdded => "ONEOF_ADDED",
            OneofRemoved => "ONEOF_REMOVED",
            OneofFieldAdded => "ONEOF_FIELD_ADDED",
            OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// In `SchemaDiff.COMPATIBLE_CHANGES` (7.9.0).
    pub(super) fn is_compatible(self) -> bool {
        use Kind::*;
        matches!(
            self,
            MessageAdded
                | MessageMoved
                | EnumAdded
                | EnumRemoved
                | EnumConstAdded
                | EnumConstChanged
                | EnumConstRemoved
                | FieldAdded
                | FieldRemoved
                | FieldNameChanged
                | FieldStringOrBytesLabelChanged
                | OneofAdded
                | OneofRemoved
                | OneofFieldAdded
        )
    }
}

/// One difference: its kind and `#/`-rooted path (`Context.fullPathString`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Difference {
    pub kind: Kind,
    pub path: String,
}

impl Difference {
    /// `Difference.toString()` with the description's first `%s` as `first` and the second as
    /// `second` ("new", "old" for BACKWARD; swapped for FORWARD). Kinds without a description
    /// (all of them compatible) render an empty one.
    pub(super) fn render(&self, first: &str, second: &str) -> String {
        use Kind::*;
        let p = &self.path;
        let description = match self.kind {
            PackageChanged => format!(
                "The package at '{p}' in the {first} schema does not match the package in the \
                 {second} schema"
            ),
            MessageRemoved => format!(
                "The {first} schema is missing a MESSAGE type at path '{p}' in the {second} schema"
            ),
            FieldKindChanged => format!(
                "The type of a field at path '{p}' in the {first} schema does not match the \
                 {second} schema"
            ),
            FieldScalarKindChanged => format!(
                "The kind of a SCALAR field at path '{p}' in the {first} schema does not match \
                 its kind in the {second} schema"
            ),
            FieldNamedTypeChanged => format!(
                "The type of a MESSAGE field at path '{p}' in the {first} schema does not match \
                 its type in the {second} schema"
            ),
            FieldNumericLabelChanged => format!(
                "The label for a NUMERIC field at path '{p}' in the {first} schema does not match \
                 its label in the {second} schema"
            ),
            // Two spaces after "field", as Confluent writes it.
            RequiredFieldAdded => format!(
                "A required field  at path '{p}' in the {first} schema is missing in the {second} \
                 schema"
            ),
            RequiredFieldRemoved => format!(
                "The {first} schema is missing a required field at path: '{p}' in the {second} \
                 schema"
            ),
            OneofFieldRemoved => format!(
                "The {first} schema is missing a oneof field at path '{p}' in the {second} schema"
            ),
            MultipleFieldsMovedToOneof => format!(
                "Multiple fields in the oneof at path '{p}' in the {first} schema are outside a \
                 oneof in the {second} schema"
            ),
            FieldMovedToExistingOneof => format!(
                "A field in the oneof at path '{p}' in the {first} schema is outside an existing \
                 oneof in the {second} schema"
            ),
            _ => String::new(),
        };
        format!(
            "{{errorType:\"{}\", description:\"{description}\"}}",
            self.kind.as_str()
        )
    }
}
