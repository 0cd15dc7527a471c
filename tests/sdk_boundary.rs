//! What the local endpoint cannot produce, at the SDK boundary: IN_PROGRESS creations, every
//! failure reason, throttling, concurrent modification, GovCloud, close quotas. The real SDK
//! client runs with aws-smithy-mocks answering; everything of ours runs for real.

mod mocks;

use mocks::*;

use aws_sdk_organizations::operation::close_account::CloseAccountError;
use aws_sdk_organizations::operation::close_account::CloseAccountOutput;
use aws_sdk_organizations::operation::create_account::{CreateAccountError, CreateAccountOutput};
use aws_sdk_organizations::operation::describe_account::{
    DescribeAccountError, DescribeAccountOutput,
};
use aws_sdk_organizations::operation::describe_create_account_status::DescribeCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_accounts::{ListAccountsError, ListAccountsOutput};
use aws_sdk_organizations::operation::list_create_account_status::ListCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_organizations::operation::move_account::MoveAccountOutput;
use aws_sdk_organizations::operation::tag_resource::TagResourceOutput;
use aws_sdk_organizations::operation::untag_resource::UntagResourceOutput;
use aws_sdk_organizations::types::error::{
    ConcurrentModificationException, ConstraintViolationException, TooManyRequestsException,
};
use aws_sdk_organizations::types::{
    Account, AccountStatus, ConstraintViolationExceptionReason, CreateAccountFailureReason,
    CreateAccountState, CreateAccountStatus, IamUserAccessToBilling,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::mock;
use organizations_account_handler::dispatch::handle;
use organizations_account_handler::protocol::{HandlerErrorCode, ProgressEvent, Status};
use serde_json::json;

#[tokio::test]
async fn create_polls_in_progress_twice_then_succeeds_and_reads_back() {
    let (accounts, in_flight) = empty_org_rules();
    let create = mock!(Client::create_account)
        .match_requests(|r| r.iam_user_access_to_billing() == Some(&IamUserAccessToBilling::Deny))
        .then_output(|| {
            CreateAccountOutput::builder()
                .create_account_status(status(CreateAccountState::InProgress))
                .build()
        });
    let poll = mock!(Client::describe_create_account_status)
        .sequence()
        .output(|| {
            DescribeCreateAccountStatusOutput::builder()
                .create_account_status(status(CreateAccountState::InProgress))
                .build()
        })
        .times(2)
        .output(|| {
            DescribeCreateAccountStatusOutput::builder()
                .create_account_status(status(CreateAccountState::Succeeded))
                .build()
        })
        .build();
    let (describe, parents, tags) = read_rules("Team A");
    let c = clients(&[
        &accounts, &in_flight, &create, &poll, &describe, &parents, &tags,
    ]);

    let events = run_to_end(&c, request("CREATE", desired(), None)).await;
    let delays: Vec<Option<u32>> = events
        .iter()
        .map(ProgressEvent::callback_delay_seconds)
        .collect();
    assert_eq!(delays, [Some(5), Some(5), Some(10), Some(1), Some(1), None]);
    let stages: Vec<&str> = events
        .iter()
        .filter_map(|e| {
            e.callback_context()
                .and_then(|c| c["stage"]["name"].as_str())
        })
        .collect();
    assert_eq!(
        stages,
        [
            "awaitCreation",
            "awaitCreation",
            "awaitCreation",
            "placeAccount",
            "describeCreated"
        ]
    );
    // The primary identifier is in every IN_PROGRESS model from the moment it is known.
    assert_eq!(events[3].resource_model().unwrap()["AccountId"], ACCOUNT);
    let last = events.last().unwrap();
    assert_eq!(last.status(), Status::Success);
    assert_eq!(last.resource_model().unwrap()["AccountId"], ACCOUNT);
    assert_eq!(
        last.resource_model().unwrap()["Status"],
        "ACTIVE",
        "Status filled from State"
    );
    assert_eq!(
        last.resource_model().unwrap()["Tags"],
        json!([{"Key": "team", "Value": "a"}])
    );
    // IamUserAccessToBilling=DENY reached CreateAccount (the rule only matches DENY), once.
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test]
async fn every_failure_reason_fails_with_its_code_or_restarts_creation() {
    let reasons = [
        (
            "ACCOUNT_LIMIT_EXCEEDED",
            Some(HandlerErrorCode::ServiceLimitExceeded),
        ),
        (
            "EMAIL_ALREADY_EXISTS",
            Some(HandlerErrorCode::AlreadyExists),
        ),
        ("INVALID_ADDRESS", Some(HandlerErrorCode::InvalidRequest)),
        ("INVALID_EMAIL", Some(HandlerErrorCode::InvalidRequest)),
        ("CONCURRENT_ACCOUNT_MODIFICATION", None),
        (
            "INTERNAL_FAILURE",
            Some(HandlerErrorCode::ServiceInternalError),
        ),
        (
            "GOVCLOUD_ACCOUNT_ALREADY_EXISTS",
            Some(HandlerErrorCode::AlreadyExists),
        ),
        (
            "MISSING_BUSINESS_VALIDATION",
            Some(HandlerErrorCode::InvalidRequest),
        ),
        (
            "FAILED_BUSINESS_VALIDATION",
            Some(HandlerErrorCode::InvalidRequest),
        ),
        (
            "PENDING_BUSINESS_VALIDATION",
            Some(HandlerErrorCode::NotStabilized),
        ),
        (
            "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION",
            Some(HandlerErrorCode::InvalidRequest),
        ),
        (
            "UNKNOWN_BUSINESS_VALIDATION",
            Some(HandlerErrorCode::GeneralServiceException),
        ),
        (
            "MISSING_PAYMENT_INSTRUMENT",
            Some(HandlerErrorCode::InvalidRequest),
        ),
        (
            "INVALID_PAYMENT_INSTRUMENT",
            Some(HandlerErrorCode::InvalidRequest),
        ),
        (
            "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED",
            Some(HandlerErrorCode::InvalidRequest),
        ),
        (
            "A_REASON_FROM_THE_FUTURE",
            Some(HandlerErrorCode::GeneralServiceException),
        ),
    ];
    let ctx = json!({"version": 1, "stage": {"name": "awaitCreation", "requestId": REQUEST, "govCloud": false}, "attempt": 3});
    for (reason, want) in reasons {
        let poll = mock!(Client::describe_create_account_status).then_output(move || {
            DescribeCreateAccountStatusOutput::builder()
                .create_account_status(
                    CreateAccountStatus::builder()
                        .id(REQUEST)
                        .state(CreateAccountState::Failed)
                        .failure_reason(CreateAccountFailureReason::from(reason))
                        .build(),
                )
                .build()
        });
        let event = handle(
            &clients(&[&poll]),
            request("CREATE", desired(), Some(ctx.clone())),
        )
        .await;
        match want {
            Some(code) => {
                assert_eq!(event.error_code(), Some(code), "{reason}");
                assert!(
                    event.message().unwrap().contains(reason),
                    "{reason}: {:?}",
                    event.message()
                );
            }
            None => {
                // The request died of contention: a new CreateAccount, after a backoff.
                assert_eq!(event.status(), Status::InProgress, "{reason}");
                assert_eq!(
                    event.callback_context().unwrap()["stage"]["name"],
                    "startCreate"
                );
            }
        }
    }
}

#[tokio::test]
async fn concurrent_modification_on_create_account_is_retried_with_backoff_not_failed() {
    let (accounts, in_flight) = empty_org_rules();
    let create = mock!(Client::create_account).then_error(|| {
        CreateAccountError::ConcurrentModificationException(
            ConcurrentModificationException::builder()
                .message("busy")
                .meta(meta("ConcurrentModificationException", "busy"))
                .build(),
        )
    });
    let c = clients(&[&accounts, &in_flight, &create]);
    let first = handle(&c, request("CREATE", desired(), None)).await;
    assert_eq!(first.status(), Status::InProgress, "{first:?}");
    assert_eq!(first.error_code(), None);
    assert_eq!(
        first.callback_context().unwrap()["stage"]["name"],
        "startCreate"
    );
    assert_eq!(first.callback_context().unwrap()["attempt"], 1);
    let d1 = first.callback_delay_seconds().unwrap();
    assert!((5..=10).contains(&d1), "{d1}");
    // The next refusal waits longer (exponential backoff).
    let mut again = request("CREATE", desired(), first.callback_context().cloned());
    again["callbackContext"]["attempt"] = json!(4);
    let later = handle(&c, again).await;
    let d5 = later.callback_delay_seconds().unwrap();
    assert!((60..=120).contains(&d5), "{d5}");
}

#[tokio::test]
async fn redelivered_create_adopts_in_flight_request_instead_of_creating_again() {
    let accounts =
        mock!(Client::list_accounts).then_output(|| ListAccountsOutput::builder().build());
    let in_flight = mock!(Client::list_create_account_status).then_output(|| {
        ListCreateAccountStatusOutput::builder()
            .create_account_statuses(status(CreateAccountState::InProgress))
            .build()
    });
    let create = mock!(Client::create_account).then_output(|| {
        CreateAccountOutput::builder()
            .create_account_status(status(CreateAccountState::InProgress))
            .build()
    });
    let c = clients(&[&accounts, &in_flight, &create]);
    let event = handle(&c, request("CREATE", desired(), None)).await;
    assert_eq!(
        event.callback_context().unwrap()["stage"]["requestId"],
        REQUEST
    );
    assert_eq!(create.num_calls(), 0, "a second CreateAccount was sent");
}

#[tokio::test]
async fn throttled_read_and_list_fail_with_throttling_and_never_answer_in_progress() {
    let describe = mock!(Client::describe_account).then_error(|| {
        DescribeAccountError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .message("slow down")
                .meta(meta("TooManyRequestsException", "slow down"))
                .build(),
        )
    });
    let list = mock!(Client::list_accounts).then_error(|| {
        ListAccountsError::TooManyRequestsException(
            TooManyRequestsException::builder()
                .message("slow down")
                .meta(meta("TooManyRequestsException", "slow down"))
                .build(),
        )
    });
    let c = clients(&[&describe, &list]);
    let read = handle(&c, request("READ", json!({"AccountId": ACCOUNT}), None)).await;
    assert_eq!(read.status(), Status::Failed);
    assert_eq!(read.error_code(), Some(HandlerErrorCode::Throttling));
    assert!(read.message().unwrap().contains("slow down"));
    let listed = handle(&c, request("LIST", json!({}), None)).await;
    assert_eq!(listed.error_code(), Some(HandlerErrorCode::Throttling));
}

#[tokio::test]
async fn govcloud_create_uses_create_gov_cloud_account_and_records_the_govcloud_id() {
    let (accounts, in_flight) = empty_org_rules();
    let gov = mock!(Client::create_gov_cloud_account).then_output(gov_cloud_created);
    let record = mock!(Client::tag_resource)
        .match_requests(|r| {
            r.tags().iter().any(|t| {
                t.key() == "cfn-organizations-account:govcloud-account-id"
                    && t.value() == "444455556666"
            })
        })
        .then_output(|| TagResourceOutput::builder().build());
    let tags = mock!(Client::list_tags_for_resource)
        .sequence()
        .output(|| {
            ListTagsForResourceOutput::builder()
                .set_tags(Some(our_tags()))
                .tags(tag("cfn-organizations-account:govcloud-account-id", ""))
                .build()
        })
        .output(|| {
            ListTagsForResourceOutput::builder()
                .set_tags(Some(our_tags()))
                .tags(tag(
                    "cfn-organizations-account:govcloud-account-id",
                    "444455556666",
                ))
                .build()
        })
        .repeatedly()
        .build();
    let (describe, parents, _) = read_rules("Team A");
    let c = clients(&[
        &accounts, &in_flight, &gov, &record, &tags, &describe, &parents,
    ]);
    let mut props = desired();
    props["CreateGovCloudAccount"] = json!(true);
    let events = run_to_end(&c, request("CREATE", props, None)).await;
    let last = events.last().unwrap();
    assert_eq!(last.status(), Status::Success, "{events:?}");
    assert_eq!(
        last.resource_model().unwrap()["GovCloudAccountId"],
        "444455556666"
    );
    assert!(
        last.resource_model()
            .unwrap()
            .get("CreateGovCloudAccount")
            .is_none(),
        "write-only returned"
    );
    assert_eq!(gov.num_calls(), 1);
    assert_eq!(record.num_calls(), 1);
}

#[tokio::test]
async fn rejected_update_makes_no_changing_call() {
    let (describe, parents, tags) = read_rules("Team A");
    let tag_call = mock!(Client::tag_resource).then_output(|| TagResourceOutput::builder().build());
    let untag_call =
        mock!(Client::untag_resource).then_output(|| UntagResourceOutput::builder().build());
    let move_call =
        mock!(Client::move_account).then_output(|| MoveAccountOutput::builder().build());
    let c = clients(&[
        &describe,
        &parents,
        &tags,
        &tag_call,
        &untag_call,
        &move_call,
    ]);
    let mut props = desired();
    props["AccountId"] = json!(ACCOUNT);
    props["AccountName"] = json!("Team B");
    props["ParentIds"] = json!(["ou-abcd-12345678"]);
    props["Tags"] = json!([{"Key": "new", "Value": "x"}]);
    let event = handle(&c, request("UPDATE", props, None)).await;
    assert_eq!(event.error_code(), Some(HandlerErrorCode::NotUpdatable));
    assert!(event.message().unwrap().starts_with("AccountName:"));
    assert_eq!(
        tag_call.num_calls() + untag_call.num_calls() + move_call.num_calls(),
        0
    );
}

#[tokio::test]
async fn close_quota_fails_with_service_limit_and_close_requests_limit_waits() {
    let (describe, _, _) = read_rules("Team A");
    for (reason, quota) in [
        (
            ConstraintViolationExceptionReason::CloseAccountQuotaExceeded,
            true,
        ),
        (
            ConstraintViolationExceptionReason::CloseAccountRequestsLimitExceeded,
            false,
        ),
    ] {
        let close = mock!(Client::close_account).then_error(move || {
            CloseAccountError::ConstraintViolationException(
                ConstraintViolationException::builder()
                    .message("limit")
                    .reason(reason.clone())
                    .meta(meta("ConstraintViolationException", "limit"))
                    .build(),
            )
        });
        let event = handle(
            &clients(&[&describe, &close]),
            request("DELETE", json!({"AccountId": ACCOUNT}), None),
        )
        .await;
        if quota {
            assert_eq!(
                event.error_code(),
                Some(HandlerErrorCode::ServiceLimitExceeded)
            );
            assert!(
                event
                    .message()
                    .unwrap()
                    .contains("CLOSE_ACCOUNT_QUOTA_EXCEEDED")
                    || event.message().unwrap().contains("rolling 30 days")
            );
        } else {
            assert_eq!(event.status(), Status::InProgress);
            assert_eq!(
                event.callback_context().unwrap()["stage"]["name"],
                "closeAccount"
            );
            assert!(event.callback_delay_seconds().unwrap() >= 30);
        }
    }
}

#[tokio::test]
async fn delete_waits_while_account_still_shows_active_after_close() {
    let describe = mock!(Client::describe_account)
        .sequence()
        .output(|| {
            DescribeAccountOutput::builder()
                .account(live_account("Team A"))
                .build()
        })
        .times(2)
        .output(|| {
            DescribeAccountOutput::builder()
                .account(
                    Account::builder()
                        .id(ACCOUNT)
                        .status(AccountStatus::PendingClosure)
                        .build(),
                )
                .build()
        })
        .build();
    let close = mock!(Client::close_account).then_output(|| CloseAccountOutput::builder().build());
    let c = clients(&[&describe, &close]);
    let events = run_to_end(&c, request("DELETE", json!({"AccountId": ACCOUNT}), None)).await;
    let statuses: Vec<Status> = events.iter().map(ProgressEvent::status).collect();
    assert_eq!(
        statuses,
        [Status::InProgress, Status::InProgress, Status::Success]
    );
    assert_eq!(events[1].callback_delay_seconds(), Some(30));
    assert_eq!(events[2].resource_model(), None);
}

#[tokio::test]
async fn iam_user_access_to_billing_deny_reaches_create_account() {
    // The AWS-owned type cannot pass IamUserAccessToBilling at all; here DENY reaches the call.
    let (accounts, in_flight) = empty_org_rules();
    let deny = mock!(Client::create_account)
        .match_requests(|r| r.iam_user_access_to_billing() == Some(&IamUserAccessToBilling::Deny))
        .then_output(|| {
            CreateAccountOutput::builder()
                .create_account_status(status(CreateAccountState::InProgress))
                .build()
        });
    let other = mock!(Client::create_account).then_output(|| {
        CreateAccountOutput::builder()
            .create_account_status(status(CreateAccountState::InProgress))
            .build()
    });
    let event = handle(
        &clients(&[&accounts, &in_flight, &deny, &other]),
        request("CREATE", desired(), None),
    )
    .await;
    assert_eq!(event.status(), Status::InProgress, "{event:?}");
    assert_eq!((deny.num_calls(), other.num_calls()), (1, 0));
}
