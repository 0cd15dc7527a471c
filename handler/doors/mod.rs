//! The front doors: the registry resource-provider protocol and custom resources, and the
//! runtime glue in front of both.

pub mod body;
pub mod custom;
pub mod logging;
pub mod registry;
