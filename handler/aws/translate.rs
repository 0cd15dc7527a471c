//! Pure translation between the SDK's types and ours: accounts, create-request statuses,
//! failure reasons, tags, and the service-error table. No I/O here.

use std::collections::BTreeMap;

use aws_sdk_organizations::config::http::HttpResponse;
use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_organizations::types;
use aws_smithy_types::date_time::Format;

use crate::vocab::error::{HandlerError, RetryClass};
use crate::vocab::model::{AccountId, CreateAccountRequestId};
use crate::vocab::observed::{status_from_state, AccountView, CreateState, CreateStatus};

pub fn account_view(a: &types::Account) -> Result<AccountView, HandlerError> {
    let id = a.id().ok_or_else(|| {
        HandlerError::GeneralServiceException(
            "Organizations returned an account without an id".into(),
        )
    })?;
    let state = a.state().map(|s| s.as_str().to_owned());
    let status = a.status().map(|s| s.as_str().to_owned()).or_else(|| {
        state
            .as_deref()
            .and_then(status_from_state)
            .map(str::to_owned)
    });
    Ok(AccountView {
        id: AccountId::parse(id).map_err(|_| {
            HandlerError::GeneralServiceException(format!(
                "Organizations returned a malformed account id {id:?}"
            ))
        })?,
        name: a.name().map(str::to_owned),
        email: a.email().map(str::to_owned),
        arn: a.arn().map(str::to_owned),
        joined_method: a.joined_method().map(|m| m.as_str().to_owned()),
        joined_timestamp: a
            .joined_timestamp()
            .and_then(|t| t.fmt(Format::DateTime).ok()),
        joined_at: a.joined_timestamp().map(|t| t.secs()),
        status,
        state,
    })
}

pub fn create_status(s: &types::CreateAccountStatus) -> Result<CreateStatus, HandlerError> {
    let malformed = |what: &str| {
        HandlerError::GeneralServiceException(format!(
            "Organizations returned a create-account status {what}"
        ))
    };
    let request_id = s
        .id()
        .and_then(|id| CreateAccountRequestId::parse(id).ok())
        .ok_or_else(|| malformed("without a valid request id"))?;
    let state = match s.state().map(|s| s.as_str()) {
        Some("IN_PROGRESS") => CreateState::InProgress,
        Some("SUCCEEDED") => CreateState::Succeeded {
            account_id: s
                .account_id()
                .and_then(|id| AccountId::parse(id).ok())
                .ok_or_else(|| malformed("that SUCCEEDED without an account id"))?,
            gov_cloud_account_id: s
                .gov_cloud_account_id()
                .and_then(|id| AccountId::parse(id).ok()),
        },
        Some("FAILED") => CreateState::Failed {
            reason: s
                .failure_reason()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_else(|| "UNKNOWN".into()),
        },
        other => return Err(malformed(&format!("in an unknown state {other:?}"))),
    };
    Ok(CreateStatus {
        request_id,
        account_name: s.account_name().map(str::to_owned),
        requested_ms: s.requested_timestamp().and_then(|t| t.to_millis().ok()),
        completed_ms: s.completed_timestamp().and_then(|t| t.to_millis().ok()),
        state,
    })
}

/// Every CreateAccountFailureReason, and any future one, as an error a person can act on.
pub fn creation_failure(reason: &str, email: &str) -> HandlerError {
    let m = |text: String| format!("CreateAccount failed with {reason}: {text}");
    match reason {
        "ACCOUNT_LIMIT_EXCEEDED" => HandlerError::ServiceLimitExceeded(m(
            "the organization has reached its account quota; request an increase in the Service Quotas console (AWS Organizations: default maximum number of accounts), or close unused accounts".into())),
        "EMAIL_ALREADY_EXISTS" => HandlerError::AlreadyExists(m(format!(
            "another AWS account already uses the e-mail address {email}; choose another address for Email"))),
        "INVALID_ADDRESS" => HandlerError::InvalidRequest(m(
            "the management account's postal address is not valid; correct it in the Billing console (account settings, contact information) and create again".into())),
        "INVALID_EMAIL" => HandlerError::InvalidRequest(m(format!(
            "Organizations does not accept the e-mail address {email}; correct Email"))),
        "CONCURRENT_ACCOUNT_MODIFICATION" => HandlerError::retry(RetryClass::Contention, m(
            "another account operation was running; the handler waits and tries again".into())),
        "INTERNAL_FAILURE" => HandlerError::ServiceInternalError(m(
            "Organizations failed internally; retry the stack operation later, and contact AWS Support if it persists".into())),
        "GOVCLOUD_ACCOUNT_ALREADY_EXISTS" => HandlerError::AlreadyExists(m(format!(
            "an AWS GovCloud (US) account already exists for {email}; use another Email or set CreateGovCloudAccount to false"))),
        "MISSING_BUSINESS_VALIDATION" => HandlerError::InvalidRequest(m(
            "the management account has not completed business validation; complete it (AWS Support can tell what is missing) and create again".into())),
        "FAILED_BUSINESS_VALIDATION" => HandlerError::InvalidRequest(m(
            "the management account failed business validation; contact AWS Support".into())),
        "PENDING_BUSINESS_VALIDATION" => HandlerError::NotStabilized(m(
            "the management account's business validation is still pending; wait for it to finish, then create again".into())),
        "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION" => HandlerError::InvalidRequest(m(
            "the identity documents for business validation are not valid; correct them with AWS Support".into())),
        "UNKNOWN_BUSINESS_VALIDATION" => HandlerError::GeneralServiceException(m(
            "business validation failed for a reason Organizations did not give; contact AWS Support".into())),
        "MISSING_PAYMENT_INSTRUMENT" => HandlerError::InvalidRequest(m(
            "the management account has no valid payment method; add one in the Billing console and create again".into())),
        "INVALID_PAYMENT_INSTRUMENT" => HandlerError::InvalidRequest(m(
            "the management account's payment method is not valid; update it in the Billing console and create again".into())),
        "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED" => HandlerError::InvalidRequest(m(
            "Organizations cannot apply these Tags while updating an existing resource policy; create the account without Tags, then add them with an update".into())),
        other => HandlerError::GeneralServiceException(format!(
            "CreateAccount failed with {other}, a reason this handler does not know yet; see the AWS Organizations documentation for CreateAccountStatus.FailureReason")),
    }
}

/// Tags as the SDK wants them.
pub fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Vec<types::Tag>, HandlerError> {
    tags.iter()
        .map(|(k, v)| {
            types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| HandlerError::InternalFailure(format!("building tag {k:?}: {e}")))
        })
        .collect()
}

/// Classifies a failed call of `service` (Organizations, Account Management, STS): a service
/// error by its code and reason, anything else as the transport failure it is.
pub fn classify<E>(
    service: &str,
    op: &str,
    err: SdkError<E, HttpResponse>,
    reason: Option<&str>,
) -> HandlerError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            service_error(
                service,
                op,
                e.code().unwrap_or("UnknownError"),
                e.message().unwrap_or(""),
                reason,
                se.raw().status().as_u16(),
            )
        }
        SdkError::TimeoutError(_) => HandlerError::retry(
            RetryClass::Transient,
            format!("{service} {op}: timed out; the handler tries again"),
        ),
        SdkError::DispatchFailure(d) => HandlerError::retry(
            RetryClass::Transient,
            format!(
                "{service} {op}: could not reach the endpoint ({}); the handler tries again",
                if d.is_io() {
                    "I/O error"
                } else if d.is_timeout() {
                    "timeout"
                } else {
                    "connection failure"
                }
            ),
        ),
        SdkError::ResponseError(_) => HandlerError::retry(
            RetryClass::Transient,
            format!("{service} {op}: unreadable response; the handler tries again"),
        ),
        _ => HandlerError::InternalFailure(format!(
            "{service} {op}: {}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        )),
    }
}

/// Classifies a service error by its code (and ConstraintViolationException reason). The
/// service's own message is kept in ours.
pub fn service_error(
    service: &str,
    op: &str,
    code: &str,
    message: &str,
    reason: Option<&str>,
    http_status: u16,
) -> HandlerError {
    let text = if message.is_empty() {
        format!("{service} {op}: {code}")
    } else {
        format!("{service} {op}: {code}: {message}")
    };
    match code {
        "AccessDeniedException" | "AccessDeniedForDependencyException" | "AccessDenied" => HandlerError::AccessDenied(text),
        "UnrecognizedClientException" | "InvalidClientTokenId" | "ExpiredTokenException" | "ExpiredToken"
        | "SignatureDoesNotMatch" | "IncompleteSignature" | "MissingAuthenticationToken" => HandlerError::InvalidCredentials(text),
        "AWSOrganizationsNotInUseException" => HandlerError::InvalidRequest(format!(
            "{text} (the caller's account is not in an organization: call from the management account or a delegated administrator)")),
        // ChildNotFoundException is ListParents' only not-found error (an account that left the
        // organization): NotFound, whichever call of a READ, UPDATE or DELETE answers first.
        "AccountNotFoundException" | "AccountAlreadyClosedException" | "TargetNotFoundException"
        | "CreateAccountStatusNotFoundException" | "ChildNotFoundException" => HandlerError::NotFound(text),
        // The resource's current state forbids the call (CloseAccount: a close under way, which
        // the delete logic waits out before this table is reached).
        "ConflictException" => HandlerError::ResourceConflict(text),
        "ParentNotFoundException" | "DestinationParentNotFoundException" => {
            HandlerError::InvalidRequest(format!("ParentIds: {text}"))
        }
        "SourceParentNotFoundException" | "ConcurrentModificationException" => HandlerError::retry(RetryClass::Contention, text),
        "TooManyRequestsException" | "ThrottlingException" | "Throttling" | "RequestLimitExceeded" => {
            HandlerError::retry(RetryClass::Throttled, text)
        }
        "FinalizingOrganizationException" => HandlerError::retry(RetryClass::OrganizationFinalizing, format!(
            "{text} (a new organization can refuse account creation for up to an hour; the handler keeps trying)")),
        "ServiceException" | "ServiceUnavailableException" | "InternalFailure" => HandlerError::retry(RetryClass::Transient, text),
        "DuplicateAccountException" => HandlerError::AlreadyExists(text),
        "InvalidInputException" | "UnsupportedAPIEndpointException" | "AccountOwnerNotVerifiedException"
        | "ValidationException" | "MasterCannotLeaveOrganizationException" => HandlerError::InvalidRequest(text),
        "ConstraintViolationException" => match reason.unwrap_or("") {
            // Refused while 5 creations are in flight; the API reference also gives it for the
            // daily creation limit. The create logic tells the two apart (creations in flight or
            // not) and waits only for the first.
            "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED" => HandlerError::retry(RetryClass::CreationSlots, format!(
                "{text} (reason ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED)")),
            "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED" => HandlerError::retry(RetryClass::CloseRequestsInFlight, format!(
                "{text} (too many account closes in flight; the handler waits and tries again)")),
            // RemoveAccountFromOrganization: an account created in an organization lacks what a
            // standalone account needs until someone signs in as its root user and adds it.
            r if r.starts_with("ACCOUNT_CANNOT_LEAVE") || r.ends_with("PAYMENT_INSTRUMENT_REQUIRED") => {
                HandlerError::InvalidRequest(format!(
                    "{text} (reason {r}: the account lacks information a standalone account needs. Sign in to the account as its root user and complete its contact information, payment method, support plan and phone verification (Organizations User Guide: removing a member account from your organization), then delete again; or set DeletionMode to CLOSE or REFUSE)"))
            }
            // RemoveAccountFromOrganization: an account created in the organization cannot leave
            // it until seven days after its creation (ConstraintViolationException reference).
            "WAIT_PERIOD_ACTIVE" => HandlerError::InvalidRequest(format!(
                "{text} (reason WAIT_PERIOD_ACTIVE: Organizations lets an account created in the organization leave it only once seven days have passed since its creation, so DeletionMode REMOVE cannot undo a fresh creation. Delete again after that, keep the account (DeletionPolicy: Retain, or delete-stack --retain-resources), or set DeletionMode to CLOSE to close it instead)")),
            "CLOSE_ACCOUNT_QUOTA_EXCEEDED" => HandlerError::ServiceLimitExceeded(format!(
                "{text} (the organization may close only a share of its member accounts in a rolling 30 days; wait, or close the account from the console later)")),
            r if r.ends_with("_LIMIT_EXCEEDED") || r.ends_with("_QUOTA_EXCEEDED") => {
                HandlerError::ServiceLimitExceeded(format!("{text} (reason {r})"))
            }
            "" => HandlerError::InvalidRequest(text),
            r => HandlerError::InvalidRequest(format!("{text} (reason {r})")),
        },
        _ if http_status >= 500 => HandlerError::retry(RetryClass::Transient, text),
        _ => HandlerError::GeneralServiceException(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::error_code::HandlerErrorCode as C;

    const REASONS: [(&str, C); 16] = [
        ("ACCOUNT_LIMIT_EXCEEDED", C::ServiceLimitExceeded),
        ("EMAIL_ALREADY_EXISTS", C::AlreadyExists),
        ("INVALID_ADDRESS", C::InvalidRequest),
        ("INVALID_EMAIL", C::InvalidRequest),
        ("CONCURRENT_ACCOUNT_MODIFICATION", C::ResourceConflict),
        ("INTERNAL_FAILURE", C::ServiceInternalError),
        ("GOVCLOUD_ACCOUNT_ALREADY_EXISTS", C::AlreadyExists),
        ("MISSING_BUSINESS_VALIDATION", C::InvalidRequest),
        ("FAILED_BUSINESS_VALIDATION", C::InvalidRequest),
        ("PENDING_BUSINESS_VALIDATION", C::NotStabilized),
        (
            "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION",
            C::InvalidRequest,
        ),
        ("UNKNOWN_BUSINESS_VALIDATION", C::GeneralServiceException),
        ("MISSING_PAYMENT_INSTRUMENT", C::InvalidRequest),
        ("INVALID_PAYMENT_INSTRUMENT", C::InvalidRequest),
        (
            "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED",
            C::InvalidRequest,
        ),
        ("SOMETHING_NEW_IN_2027", C::GeneralServiceException),
    ];

    #[test]
    fn every_failure_reason_maps_to_a_precise_code_and_names_the_reason() {
        for (reason, code) in REASONS {
            let e = creation_failure(reason, "a@example.com");
            assert_eq!(e.code(), code, "{reason}");
            assert!(e.to_string().contains(reason), "{e}");
        }
        // The table covers every reason the SDK's model knows (a new SDK adds them here).
        for known in types::CreateAccountFailureReason::values() {
            assert!(
                REASONS.iter().any(|(reason, _)| reason == known),
                "{known} is missing from the table"
            );
        }
    }

    #[test]
    fn concurrent_account_modification_is_retried_not_failed() {
        let e = creation_failure("CONCURRENT_ACCOUNT_MODIFICATION", "a@example.com");
        assert_eq!(e.retry_class(), Some(RetryClass::Contention));
        assert_eq!(
            creation_failure("EMAIL_ALREADY_EXISTS", "a@example.com").retry_class(),
            None
        );
    }

    #[test]
    fn service_errors_map_to_codes_and_keep_the_service_message() {
        let cases = [
            ("AccessDeniedException", None, 400, C::AccessDenied, false),
            (
                "AWSOrganizationsNotInUseException",
                None,
                400,
                C::InvalidRequest,
                false,
            ),
            ("AccountNotFoundException", None, 400, C::NotFound, false),
            ("ChildNotFoundException", None, 400, C::NotFound, false),
            ("ConflictException", None, 400, C::ResourceConflict, false),
            (
                "ConstraintViolationException",
                Some("WAIT_PERIOD_ACTIVE"),
                400,
                C::InvalidRequest,
                false,
            ),
            (
                "ConcurrentModificationException",
                None,
                400,
                C::ResourceConflict,
                true,
            ),
            ("TooManyRequestsException", None, 400, C::Throttling, true),
            (
                "FinalizingOrganizationException",
                None,
                400,
                C::ResourceConflict,
                true,
            ),
            ("ServiceException", None, 500, C::ServiceInternalError, true),
            ("InvalidInputException", None, 400, C::InvalidRequest, false),
            (
                "ConstraintViolationException",
                Some("CLOSE_ACCOUNT_QUOTA_EXCEEDED"),
                400,
                C::ServiceLimitExceeded,
                false,
            ),
            (
                "ConstraintViolationException",
                Some("CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED"),
                400,
                C::ServiceLimitExceeded,
                true,
            ),
            (
                "ConstraintViolationException",
                Some("ACCOUNT_NUMBER_LIMIT_EXCEEDED"),
                400,
                C::ServiceLimitExceeded,
                false,
            ),
            (
                "ConstraintViolationException",
                Some("ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"),
                400,
                C::ServiceLimitExceeded,
                true,
            ),
            (
                "ConstraintViolationException",
                Some("ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION"),
                400,
                C::InvalidRequest,
                false,
            ),
            (
                "ConstraintViolationException",
                Some("TAG_POLICY_VIOLATION"),
                400,
                C::InvalidRequest,
                false,
            ),
            (
                "UnrecognizedClientException",
                None,
                400,
                C::InvalidCredentials,
                false,
            ),
            ("SomethingNew", None, 503, C::ServiceInternalError, true),
            ("SomethingNew", None, 400, C::GeneralServiceException, false),
        ];
        for (code, reason, http, want, retry) in cases {
            let e = service_error(
                "Organizations",
                "Op",
                code,
                "the service said so",
                reason,
                http,
            );
            assert_eq!(e.code(), want, "{code} {reason:?}");
            assert_eq!(e.retry_class().is_some(), retry, "{code} {reason:?}");
            assert!(e.to_string().contains("the service said so"), "{e}");
        }
    }

    #[test]
    fn status_is_filled_from_state_when_missing() {
        let a = types::Account::builder()
            .id("123456789012")
            .state(types::AccountState::PendingClosure)
            .build();
        let v = account_view(&a).unwrap();
        assert_eq!(v.status.as_deref(), Some("PENDING_CLOSURE"));
        assert!(!v.is_live());
    }

    #[test]
    fn a_removal_refused_during_the_wait_period_says_when_and_what_else_to_do() {
        let e = service_error(
            "Organizations",
            "RemoveAccountFromOrganization",
            "ConstraintViolationException",
            "wait",
            Some("WAIT_PERIOD_ACTIVE"),
            400,
        );
        let text = e.to_string();
        for needle in [
            "seven days",
            "REMOVE cannot undo a fresh creation",
            "CLOSE",
            "Retain",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }
}
