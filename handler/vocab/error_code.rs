use serde::{Deserialize, Serialize};

/// The complete HandlerErrorCode set of the protocol. Serialized by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandlerErrorCode {
    NotUpdatable,
    InvalidRequest,
    AccessDenied,
    UnauthorizedTaggingOperation,
    InvalidCredentials,
    AlreadyExists,
    NotFound,
    ResourceConflict,
    Throttling,
    ServiceLimitExceeded,
    NotStabilized,
    GeneralServiceException,
    ServiceInternalError,
    NetworkFailure,
    InternalFailure,
    InvalidTypeConfiguration,
    HandlerInternalFailure,
}

impl HandlerErrorCode {
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
