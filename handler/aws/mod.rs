//! The AWS seams: the client factory, one module per service the handler calls, and the pure
//! translation between the SDKs' types and the vocabulary.

pub(crate) mod account;
pub mod clients;
pub(crate) mod ec2;
pub(crate) mod error;
pub(crate) mod iam;
pub(crate) mod lambda;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod organizations;
pub(crate) mod ownership;
pub(crate) mod response_url;
pub(crate) mod s3control;
pub(crate) mod session;
pub(crate) mod sts;
pub(crate) mod translate;
