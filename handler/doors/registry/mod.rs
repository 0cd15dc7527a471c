//! The registry door: CloudFormation's resource-provider protocol (wire types), the dispatcher
//! and the type owner's telemetry.

pub mod dispatch;
pub mod protocol;
pub(crate) mod telemetry;
