//! Why a call through one of the smaller seams (Lambda, a ResponseURL, the owner's CloudWatch)
//! did not do what was asked. Organizations' failures are `HandlerError`s instead, through the
//! service-error table in `translate`, because they decide a request's answer; these only decide
//! whether an answer or the owner's telemetry got where it was going.

use aws_smithy_types::error::display::DisplayErrorContext;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeamError {
    /// The call could not be made at all (no configuration, no function name, a URL that
    /// cannot be used): trying again would not help.
    #[error("{0}")]
    Unusable(String),
    /// The call was made and failed; `detail` carries the SDK's or the server's full context.
    #[error("{operation}: {detail}")]
    Failed { operation: String, detail: String },
}

impl SeamError {
    /// A failed SDK call, with the error's whole source chain (the service's code and message).
    pub fn sdk(operation: impl Into<String>, e: impl std::error::Error) -> SeamError {
        SeamError::Failed {
            operation: operation.into(),
            detail: DisplayErrorContext(e).to_string(),
        }
    }
}
