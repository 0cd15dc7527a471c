//! Every way a request can fail, as one enum, and its HandlerErrorCode. Each variant is named
//! after the code it maps to (Retryable aside, whose class decides); the match in `code` has no
//! wildcard arm: a new variant does not compile until someone decides its code.

use crate::vocab::error_code::HandlerErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidCredentials(String),
    #[error("{0}")]
    NotUpdatable(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AccessDenied(String),
    /// A conflict that waiting will not fix.
    #[error("{0}")]
    ResourceConflict(String),
    #[error("{0}")]
    ServiceLimitExceeded(String),
    #[error("{0}")]
    NotStabilized(String),
    /// The service refused for a reason of its own (not retryable).
    #[error("{0}")]
    GeneralServiceException(String),
    /// The service failed internally and said to try later.
    #[error("{0}")]
    ServiceInternalError(String),
    #[error("{0}")]
    InternalFailure(String),
    /// Worth trying again after a wait; `class` chooses the wait.
    #[error("{message}")]
    Retryable { class: RetryClass, message: String },
}

/// Why a retry is worth it, which chooses the backoff and the final code if waiting runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// TooManyRequestsException and other throttling.
    Throttled,
    /// ConcurrentModificationException, CONCURRENT_ACCOUNT_MODIFICATION, a parent that moved.
    Contention,
    /// 5xx, ServiceException, network failures and timeouts.
    Transient,
    /// FinalizingOrganizationException: a new organization, for up to an hour.
    OrganizationFinalizing,
    /// CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED: too many closes in flight.
    CloseRequestsInFlight,
    /// A freshly created account not yet visible to DescribeAccount.
    NotYetVisible,
    /// ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED while creations are in flight: a slot frees when one
    /// of them finishes.
    CreationSlots,
}

impl HandlerError {
    pub fn retry(class: RetryClass, message: impl Into<String>) -> HandlerError {
        HandlerError::Retryable {
            class,
            message: message.into(),
        }
    }

    pub fn code(&self) -> HandlerErrorCode {
        match self {
            HandlerError::InvalidRequest(_) => HandlerErrorCode::InvalidRequest,
            HandlerError::InvalidCredentials(_) => HandlerErrorCode::InvalidCredentials,
            HandlerError::NotUpdatable(_) => HandlerErrorCode::NotUpdatable,
            HandlerError::AlreadyExists(_) => HandlerErrorCode::AlreadyExists,
            HandlerError::NotFound(_) => HandlerErrorCode::NotFound,
            HandlerError::AccessDenied(_) => HandlerErrorCode::AccessDenied,
            HandlerError::ResourceConflict(_) => HandlerErrorCode::ResourceConflict,
            HandlerError::ServiceLimitExceeded(_) => HandlerErrorCode::ServiceLimitExceeded,
            HandlerError::NotStabilized(_) => HandlerErrorCode::NotStabilized,
            HandlerError::GeneralServiceException(_) => HandlerErrorCode::GeneralServiceException,
            HandlerError::ServiceInternalError(_) => HandlerErrorCode::ServiceInternalError,
            HandlerError::InternalFailure(_) => HandlerErrorCode::InternalFailure,
            HandlerError::Retryable { class, .. } => class.code(),
        }
    }

    pub fn retry_class(&self) -> Option<RetryClass> {
        match self {
            HandlerError::Retryable { class, .. } => Some(*class),
            _ => None,
        }
    }
}

impl RetryClass {
    /// The code reported when the wait cannot go on (READ and LIST never wait).
    pub fn code(self) -> HandlerErrorCode {
        match self {
            RetryClass::Throttled => HandlerErrorCode::Throttling,
            RetryClass::Contention => HandlerErrorCode::ResourceConflict,
            RetryClass::Transient => HandlerErrorCode::ServiceInternalError,
            RetryClass::OrganizationFinalizing => HandlerErrorCode::ResourceConflict,
            RetryClass::CloseRequestsInFlight => HandlerErrorCode::ServiceLimitExceeded,
            RetryClass::NotYetVisible => HandlerErrorCode::NotStabilized,
            RetryClass::CreationSlots => HandlerErrorCode::ServiceLimitExceeded,
        }
    }
}
