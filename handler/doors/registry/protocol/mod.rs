//! The CloudFormation resource-provider protocol (2.0.0): wire types and the rules of the
//! protocol. Nothing in here knows about AWS Organizations.

mod event;
mod request;

// The failure codes and the lenient scalar readers are the vocabulary every layer speaks; the
// protocol's wire types use them from there.
pub use crate::vocab::credentials::CallerCredentials;
pub use crate::vocab::error_code::HandlerErrorCode;
pub use crate::vocab::lenient;
pub use event::{ProgressEvent, Status};
pub use request::{parse_request, Action, HandlerRequest, RequestError};
