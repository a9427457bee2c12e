//! Descriptor building: the checks Confluent's `toDescriptor` makes.
