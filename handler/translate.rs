//! Pure translation between the SDK's types and ours: accounts, create-request statuses,
//! failure reasons, tags, the handler's bookkeeping tags, and service errors. No I/O here.

use std::collections::BTreeMap;

use aws_sdk_organizations::types;
use aws_smithy_types::date_time::Format;

use crate::error::{HandlerError, RetryClass};
use crate::model::{
    is_reserved_tag_key, AccountId, CreateAccountRequestId, ParentId, ResourceModel, Tag,
};

/// An account as Organizations describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub id: AccountId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub arn: Option<String>,
    pub joined_method: Option<String>,
    pub joined_timestamp: Option<String>,
    /// Legacy Status, filled from State when the service omits it.
    pub status: Option<String>,
    pub state: Option<String>,
}

impl AccountView {
    /// Whether READ finds this account: not closed, suspended or pending closure.
    pub fn is_live(&self) -> bool {
        match (self.state.as_deref(), self.status.as_deref()) {
            (Some(state), _) => matches!(state, "ACTIVE" | "PENDING_ACTIVATION"),
            (None, Some(status)) => status == "ACTIVE",
            (None, None) => true,
        }
    }

    pub fn lifecycle(&self) -> &str {
        self.state
            .as_deref()
            .or(self.status.as_deref())
            .unwrap_or("UNKNOWN")
    }
}

/// Status is being retired in favour of State; the model keeps both.
pub fn status_from_state(state: &str) -> Option<&'static str> {
    match state {
        "PENDING_ACTIVATION" | "ACTIVE" => Some("ACTIVE"),
        "SUSPENDED" | "CLOSED" => Some("SUSPENDED"),
        "PENDING_CLOSURE" => Some("PENDING_CLOSURE"),
        _ => None,
    }
}

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
        status,
        state,
    })
}

/// What a create request is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateState {
    InProgress,
    Succeeded {
        account_id: AccountId,
        gov_cloud_account_id: Option<AccountId>,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateStatus {
    pub request_id: CreateAccountRequestId,
    pub account_name: Option<String>,
    /// When the request was made, in Unix seconds.
    pub requested_at: Option<i64>,
    pub state: CreateState,
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
        requested_at: s.requested_timestamp().map(|t| t.secs()),
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

/// The one tag the handler keeps on an account it created (an account may have only 50 tags):
/// which declaration created it and what Organizations cannot give back (role, billing access,
/// the paired GovCloud id). Its value is `v1 resource=... role=... billing=... govcloud=...`.
pub const TAG_RECORD: &str = "cfn-organizations-account:record";

/// What the handler recorded on the account when it created it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookkeeping {
    pub resource: Option<String>,
    pub role_name: Option<String>,
    pub billing: Option<String>,
    /// Present when the account was created with CreateGovCloudAccount; empty until known.
    pub gov_cloud_account_id: Option<String>,
    /// The DeletionMode the template last asked for.
    pub deletion: Option<String>,
}

impl Bookkeeping {
    /// The record as a tag value. Tag values allow letters, digits, spaces and `_.:/=+-@`; role
    /// names may hold `,`, which becomes `:` (a character role names cannot have).
    pub fn encode(&self) -> String {
        let mut out = String::from("v1");
        let fields = [
            ("resource", self.resource.clone()),
            ("role", self.role_name.as_ref().map(|r| r.replace(',', ":"))),
            ("billing", self.billing.clone()),
            (
                "govcloud",
                self.gov_cloud_account_id.as_ref().map(|g| {
                    if g.is_empty() {
                        "pending".into()
                    } else {
                        g.clone()
                    }
                }),
            ),
            ("deletion", self.deletion.clone()),
        ];
        for (key, value) in fields {
            if let Some(v) = value {
                out.push_str(&format!(" {key}={v}"));
            }
        }
        out
    }

    /// Reads a record; unknown fields (from a later version) are ignored.
    pub fn decode(value: &str) -> Bookkeeping {
        let mut book = Bookkeeping::default();
        for item in value.split(' ') {
            let Some((key, v)) = item.split_once('=') else {
                continue;
            };
            match key {
                "resource" => book.resource = Some(v.to_owned()),
                "role" => book.role_name = Some(v.replace(':', ",")),
                "billing" => book.billing = Some(v.to_owned()),
                "deletion" => book.deletion = Some(v.to_owned()),
                "govcloud" => {
                    book.gov_cloud_account_id = Some(if v == "pending" {
                        String::new()
                    } else {
                        v.to_owned()
                    })
                }
                _ => {}
            }
        }
        book
    }
}

/// Splits an account's tags into the user's (aws: system tags dropped) and the bookkeeping.
pub fn split_tags(all: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Bookkeeping) {
    let mut user = BTreeMap::new();
    let mut book = Bookkeeping::default();
    for (k, v) in all {
        if k == TAG_RECORD {
            book = Bookkeeping::decode(v);
        } else if !is_reserved_tag_key(k) {
            user.insert(k.clone(), v.clone());
        }
    }
    (user, book)
}

/// The full model READ returns.
pub fn model_from(
    view: &AccountView,
    parent: &ParentId,
    user_tags: &BTreeMap<String, String>,
    book: &Bookkeeping,
) -> ResourceModel {
    ResourceModel {
        account_name: view.name.clone(),
        email: view.email.clone(),
        parent_ids: Some(vec![parent.to_string()]),
        // No tags is an absent property, not an empty list.
        tags: Some(
            user_tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect::<Vec<_>>(),
        )
        .filter(|tags| !tags.is_empty()),
        gov_cloud_account_id: book
            .gov_cloud_account_id
            .clone()
            .filter(|id| !id.is_empty()),
        deletion_mode: book.deletion.clone(),
        ..summary_model(view)
    }
}

/// The model LIST returns: identifier, name, e-mail and read-only properties.
pub fn summary_model(view: &AccountView) -> ResourceModel {
    ResourceModel {
        account_id: Some(view.id.to_string()),
        account_name: view.name.clone(),
        email: view.email.clone(),
        arn: view.arn.clone(),
        joined_method: view.joined_method.clone(),
        joined_timestamp: view.joined_timestamp.clone(),
        status: view.status.clone(),
        state: view.state.clone(),
        ..ResourceModel::default()
    }
}

/// Classifies a service error by its code (and ConstraintViolationException reason). The
/// service's own message is kept in ours.
pub fn service_error(
    op: &str,
    code: &str,
    message: &str,
    reason: Option<&str>,
    http_status: u16,
) -> HandlerError {
    let text = if message.is_empty() {
        format!("Organizations {op}: {code}")
    } else {
        format!("Organizations {op}: {code}: {message}")
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
    use crate::error_code::HandlerErrorCode as C;

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
            let e = service_error("Op", code, "the service said so", reason, http);
            assert_eq!(e.code(), want, "{code} {reason:?}");
            assert_eq!(e.retry_class().is_some(), retry, "{code} {reason:?}");
            assert!(e.to_string().contains("the service said so"), "{e}");
        }
    }

    #[test]
    fn bookkeeping_and_system_tags_never_reach_the_user_tags() {
        let record = Bookkeeping {
            resource: Some("abc".into()),
            role_name: Some("Admin".into()),
            billing: None,
            gov_cloud_account_id: Some(String::new()),
            deletion: None,
        };
        let all = BTreeMap::from([
            ("team".to_string(), "a".to_string()),
            (TAG_RECORD.to_string(), record.encode()),
            (
                "cfn-organizations-account:future".to_string(),
                "x".to_string(),
            ),
            ("aws:cloudformation:stack-id".to_string(), "x".to_string()),
        ]);
        let (user, book) = split_tags(&all);
        assert_eq!(user.keys().collect::<Vec<_>>(), ["team"]);
        assert_eq!(book, record);
    }

    #[test]
    fn record_round_trips_and_fits_the_tag_value_rules() {
        let book = Bookkeeping {
            resource: Some("0123456789abcdef".into()),
            role_name: Some("Ops,Admin+=.@-_x".into()),
            billing: Some("DENY".into()),
            gov_cloud_account_id: Some("444455556666".into()),
            deletion: Some("REMOVE".into()),
        };
        let value = book.encode();
        assert_eq!(
            value,
            "v1 resource=0123456789abcdef role=Ops:Admin+=.@-_x billing=DENY govcloud=444455556666 deletion=REMOVE"
        );
        // The tag value pattern of Organizations: [\p{L}\p{Z}\p{N}_.:/=+\-@]*, at most 256.
        assert!(value.len() <= 256);
        assert!(value
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)));
        assert_eq!(Bookkeeping::decode(&value), book);
        // The longest role name still fits.
        let long = Bookkeeping {
            role_name: Some("r".repeat(64)),
            ..book
        };
        assert!(long.encode().len() <= 256);
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
