//! The AWS seams: the client factory, one module per service the handler calls, and the pure
//! translation between the SDKs' types and the vocabulary.

pub mod clients;
pub mod error;
pub mod lambda;
pub mod logs;
pub mod metrics;
pub mod organizations;
pub mod response_url;
pub mod translate;
