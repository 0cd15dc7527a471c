//! The resource-provider protocol's failure codes: vocabulary, because every layer decides
//! which one a failure is, and the protocol only carries it.

use serde::{Deserialize, Serialize};

/// The complete HandlerErrorCode set of the protocol. Serialized by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandlerErrorCode {
    /// A property that cannot change was changed.
    NotUpdatable,
    /// The request or a property breaks a rule; nothing was called.
    InvalidRequest,
    /// The credentials may not make a call, or the account is not this declaration's.
    AccessDenied,
    /// The credentials may not tag.
    UnauthorizedTaggingOperation,
    /// The request's credentials are missing or unusable.
    InvalidCredentials,
    /// The account (its e-mail address) already exists.
    AlreadyExists,
    /// The account is not in the organization (or is closed).
    NotFound,
    /// The account's current state forbids the call.
    ResourceConflict,
    /// The service refused the call for its rate, for longer than the handler waits.
    Throttling,
    /// A quota of the organization is reached.
    ServiceLimitExceeded,
    /// The account did not reach the wanted state in time.
    NotStabilized,
    /// The service refused the call for a reason no other code names.
    GeneralServiceException,
    /// The service failed.
    ServiceInternalError,
    /// The service could not be reached.
    NetworkFailure,
    /// The handler failed unexpectedly.
    InternalFailure,
    /// The type's configuration is invalid (this type has none).
    InvalidTypeConfiguration,
    /// The handler failed; CloudFormation's own code for that.
    HandlerInternalFailure,
}

impl HandlerErrorCode {
    /// Every code, in the protocol's order.
    pub const ALL: [HandlerErrorCode; 17] = [
        Self::NotUpdatable,
        Self::InvalidRequest,
        Self::AccessDenied,
        Self::UnauthorizedTaggingOperation,
        Self::InvalidCredentials,
        Self::AlreadyExists,
        Self::NotFound,
        Self::ResourceConflict,
        Self::Throttling,
        Self::ServiceLimitExceeded,
        Self::NotStabilized,
        Self::GeneralServiceException,
        Self::ServiceInternalError,
        Self::NetworkFailure,
        Self::InternalFailure,
        Self::InvalidTypeConfiguration,
        Self::HandlerInternalFailure,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_serializes_as_its_protocol_name() {
        let names: Vec<String> = HandlerErrorCode::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "NotUpdatable",
                "InvalidRequest",
                "AccessDenied",
                "UnauthorizedTaggingOperation",
                "InvalidCredentials",
                "AlreadyExists",
                "NotFound",
                "ResourceConflict",
                "Throttling",
                "ServiceLimitExceeded",
                "NotStabilized",
                "GeneralServiceException",
                "ServiceInternalError",
                "NetworkFailure",
                "InternalFailure",
                "InvalidTypeConfiguration",
                "HandlerInternalFailure",
            ]
        );
    }
}
