//! The CloudFormation resource-provider protocol (2.0.0): wire types and the rules of the
//! protocol. Nothing in here knows about AWS Organizations.

mod error_code;
mod event;
pub mod lenient;
mod request;

pub use error_code::HandlerErrorCode;
pub use event::{ProgressEvent, Status};
pub use request::{
    parse_request, Action, CallerCredentials, HandlerRequest, RequestError, NOT_JSON_MARKER,
};
