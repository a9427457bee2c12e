//! The files every schema may import without a reference.
