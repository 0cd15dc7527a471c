//! The CloudFormation resource-provider protocol (2.0.0): wire types and the rules of the
//! protocol. Nothing in here knows about AWS Organizations.

mod event;
mod request;

// The failure codes are vocabulary every layer speaks; the protocol's answers carry them.
pub use crate::vocab::error_code::HandlerErrorCode;
pub use event::{ProgressEvent, Status};
pub(crate) use request::{parse_request, Action, HandlerRequest, RequestError};
