//! A Confluent-compatible Schema Registry. See ARCHITECTURE.md for the map.

pub mod app;
pub mod auth;
pub mod check;
pub mod cli;
pub mod client;
pub mod compat;
pub mod config;
pub mod contract;
pub mod error;
pub mod exporter;
pub mod guid;
pub mod http;
pub mod index;
pub mod json;
pub mod json_log;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod mtls;
pub mod properties;
pub mod registry;
pub mod reload;
pub mod schema;
pub mod secret;
pub mod store;
pub mod tls;
