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
    ConcurrentModificationException, ConstraintViolationException, ServiceException,
    TooManyRequestsException,
};
use aws_sdk_organizations::types::{
    Account, AccountStatus, ConstraintViolationExceptionReason, CreateAccountFailureReason,
    CreateAccountState, CreateAccountStatus, IamUserAccessToBilling,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::mock;
use organizations_account_handler::doors::registry::dispatch::handle;
use organizations_account_handler::doors::registry::protocol::{
    HandlerErrorCode, ProgressEvent, Status,
};
use serde_json::json;

fn poll_output(state: CreateAccountState) -> DescribeCreateAccountStatusOutput {
    DescribeCreateAccountStatusOutput::builder()
        .create_account_status(status(state))
        .build()
}

/// DescribeCreateAccountStatus: the request ended FAILED with `reason`.
fn failed_output(reason: CreateAccountFailureReason) -> DescribeCreateAccountStatusOutput {
    DescribeCreateAccountStatusOutput::builder()
        .create_account_status(
            CreateAccountStatus::builder()
                .id(REQUEST)
                .state(CreateAccountState::Failed)
                .failure_reason(reason)
                .build(),
        )
        .build()
}

fn create_output(state: CreateAccountState) -> CreateAccountOutput {
    CreateAccountOutput::builder()
        .create_account_status(status(state))
        .build()
}

fn service_exception() -> CreateAccountError {
    CreateAccountError::ServiceException(
        ServiceException::builder()
            .message("internal error")
            .meta(meta("ServiceException", "internal error"))
            .build(),
    )
}

// start_paused: the handler's waits inside an invocation run on tokio's clock, which the test
// advances instantly; the budget (55 s) is measured on the same clock.
#[tokio::test(start_paused = true)]
async fn first_event_carries_account_id_when_creation_finishes_within_the_invocation() {
    let (accounts, in_flight) = empty_org_rules();
    let create = mock!(Client::create_account)
        .match_requests(|r| r.iam_user_access_to_billing() == Some(&IamUserAccessToBilling::Deny))
        .then_output(|| create_output(CreateAccountState::InProgress));
    let poll = mock!(Client::describe_create_account_status)
        .sequence()
        .output(|| poll_output(CreateAccountState::InProgress))
        .times(2)
        .output(|| poll_output(CreateAccountState::Succeeded))
        .build();
    let (describe, parents, tags) = read_rules("Team A");
    let c = clients(&[
        &accounts, &in_flight, &create, &poll, &describe, &parents, &tags,
    ]);

    let started = tokio::time::Instant::now();
    let events = run_to_end(&c, request("CREATE", desired(), None)).await;
    let delays: Vec<Option<u32>> = events
        .iter()
        .map(ProgressEvent::callback_delay_seconds)
        .collect();
    assert_eq!(delays, [Some(1), Some(1), None], "{events:?}");
    // The very first event already carries the primary identifier: three polls, 1.5-2.5 s apart,
    // inside the first invocation.
    assert_eq!(events[0].resource_model().unwrap()["AccountId"], ACCOUNT);
    assert_eq!(
        events[0].callback_context().unwrap()["stage"]["name"],
        "placeAccount"
    );
    let waited = started.elapsed().as_secs_f64();
    assert!((3.0..=5.5).contains(&waited), "{waited}");
    assert_eq!(poll.num_calls(), 3);
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
    // DENY reached CreateAccount (the rule only matches DENY), once; no ListAccounts scan and no
    // in-flight look-up on the normal path.
    assert_eq!(create.num_calls(), 1);
    assert_eq!((accounts.num_calls(), in_flight.num_calls()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn creation_outlasting_the_budget_says_so_and_goes_on_through_callbacks() {
    let create =
        mock!(Client::create_account).then_output(|| create_output(CreateAccountState::InProgress));
    let poll = mock!(Client::describe_create_account_status)
        .then_output(|| poll_output(CreateAccountState::InProgress));
    let c = clients(&[&create, &poll]);
    let started = tokio::time::Instant::now();
    let event = handle(&c, request("CREATE", desired(), None)).await;
    let spent = started.elapsed().as_secs_f64();
    assert!(spent <= 55.0, "{spent}");
    assert!(spent >= 50.0, "gave up early: {spent}");
    assert_eq!(event.status(), Status::InProgress);
    assert!(event.resource_model().unwrap().get("AccountId").is_none());
    assert_eq!(
        event.callback_context().unwrap()["stage"]["name"],
        "awaitCreation"
    );
    let message = event.message().unwrap();
    assert!(
        message.contains("Resource timed out waiting for creation of physical resource")
            && message.contains("run the same stack operation again"),
        "{message}"
    );
    // About one DescribeCreateAccountStatus every two seconds, never a burst.
    let polls = poll.num_calls();
    assert!((20..=36).contains(&polls), "{polls}");
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
    let ctx = json!({"version": 1, "stage": {"name": "awaitCreation", "requestId": REQUEST,
        "settings": {"roleName": "Admin", "billing": "DENY", "govCloud": false}}, "attempt": 3});
    let (accounts, in_flight) = empty_org_rules();
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
        let event = handle_briefly(
            &clients(&[&poll, &accounts, &in_flight]),
            request("CREATE", desired(), Some(ctx.clone())),
            5,
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
                // The request died of contention: a new CreateAccount, after a backoff, with the
                // write-only values the first one had.
                assert_eq!(event.status(), Status::InProgress, "{reason}");
                let stage = &event.callback_context().unwrap()["stage"];
                assert_eq!(stage["name"], "startCreate");
                assert_eq!(stage["settings"]["roleName"], "Admin");
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
    let first = handle_briefly(&c, request("CREATE", desired(), None), 5).await;
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
    let later = handle_briefly(&c, again, 5).await;
    let d5 = later.callback_delay_seconds().unwrap();
    assert!((60..=120).contains(&d5), "{d5}");
}

#[tokio::test(start_paused = true)]
async fn contention_is_waited_out_inside_the_first_invocation() {
    let create = mock!(Client::create_account)
        .sequence()
        .error(|| {
            CreateAccountError::ConcurrentModificationException(
                ConcurrentModificationException::builder()
                    .message("busy")
                    .meta(meta("ConcurrentModificationException", "busy"))
                    .build(),
            )
        })
        .output(|| create_output(CreateAccountState::InProgress))
        .build();
    let poll = mock!(Client::describe_create_account_status)
        .then_output(|| poll_output(CreateAccountState::Succeeded));
    let event = handle(
        &clients(&[&create, &poll]),
        request("CREATE", desired(), None),
    )
    .await;
    assert_eq!(event.resource_model().unwrap()["AccountId"], ACCOUNT);
    assert_eq!(create.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn lost_create_answer_finds_its_own_request_past_an_empty_page_and_never_creates_twice() {
    let create = mock!(Client::create_account).then_error(service_exception);
    // The first page is empty but carries a NextToken; the request is on the second.
    let in_flight = mock!(Client::list_create_account_status)
        .sequence()
        .output(|| {
            ListCreateAccountStatusOutput::builder()
                .next_token("page-2")
                .build()
        })
        .output(|| {
            ListCreateAccountStatusOutput::builder()
                .create_account_statuses(status(CreateAccountState::InProgress))
                .build()
        })
        .build();
    let poll = mock!(Client::describe_create_account_status)
        .then_output(|| poll_output(CreateAccountState::Succeeded));
    let event = handle(
        &clients(&[&create, &in_flight, &poll]),
        request("CREATE", desired(), None),
    )
    .await;
    assert_eq!(
        event.resource_model().unwrap()["AccountId"],
        ACCOUNT,
        "{event:?}"
    );
    // One CreateAccount: no SDK-level retry of it, and no second call after the lost answer.
    assert_eq!(create.num_calls(), 1);
    assert_eq!(in_flight.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn another_declarations_request_for_the_same_name_is_never_adopted() {
    // Someone else's creation of "Team A" is in flight; this fresh create makes its own.
    let in_flight = mock!(Client::list_create_account_status).then_output(|| {
        ListCreateAccountStatusOutput::builder()
            .create_account_statuses(status_of(
                "car-strangerrequest1",
                CreateAccountState::InProgress,
            ))
            .build()
    });
    let create = mock!(Client::create_account).then_output(|| {
        CreateAccountOutput::builder()
            .create_account_status(status_of(
                "car-ownrequest00001",
                CreateAccountState::InProgress,
            ))
            .build()
    });
    let poll = mock!(Client::describe_create_account_status)
        .match_requests(|r| r.create_account_request_id() == Some("car-ownrequest00001"))
        .then_output(|| {
            DescribeCreateAccountStatusOutput::builder()
                .create_account_status(status_of(
                    "car-ownrequest00001",
                    CreateAccountState::InProgress,
                ))
                .build()
        });
    let event = handle_briefly(
        &clients(&[&in_flight, &create, &poll]),
        request("CREATE", desired(), None),
        8,
    )
    .await;
    assert_eq!(create.num_calls(), 1);
    assert_eq!(
        event.callback_context().unwrap()["stage"]["requestId"],
        "car-ownrequest00001"
    );
}

#[tokio::test(start_paused = true)]
async fn email_already_exists_adopts_the_account_this_declaration_created() {
    // A create re-delivered without its context: the new request fails EMAIL_ALREADY_EXISTS,
    // the owner of the address carries this declaration's record, so it is adopted.
    let create =
        mock!(Client::create_account).then_output(|| create_output(CreateAccountState::InProgress));
    let poll = mock!(Client::describe_create_account_status)
        .then_output(|| failed_output(CreateAccountFailureReason::EmailAlreadyExists));
    let accounts = mock!(Client::list_accounts).then_output(|| {
        ListAccountsOutput::builder()
            .accounts(live_account("Team A"))
            .build()
    });
    let (_, _, tags) = read_rules("Team A");
    let event = handle(
        &clients(&[&create, &poll, &accounts, &tags]),
        request("CREATE", desired(), None),
    )
    .await;
    assert_eq!(
        event.resource_model().unwrap()["AccountId"],
        ACCOUNT,
        "{event:?}"
    );
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn email_of_another_declarations_account_is_already_exists_without_its_details() {
    let create =
        mock!(Client::create_account).then_output(|| create_output(CreateAccountState::InProgress));
    let poll = mock!(Client::describe_create_account_status)
        .then_output(|| failed_output(CreateAccountFailureReason::EmailAlreadyExists));
    let accounts = mock!(Client::list_accounts).then_output(|| {
        ListAccountsOutput::builder()
            .accounts(live_account("Secret Project"))
            .build()
    });
    let foreign = mock!(Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .tags(tag("team", "other"))
            .build()
    });
    let event = handle(
        &clients(&[&create, &poll, &accounts, &foreign]),
        request("CREATE", desired(), None),
    )
    .await;
    assert_eq!(event.error_code(), Some(HandlerErrorCode::AlreadyExists));
    let message = event.message().unwrap();
    assert!(
        message.starts_with("Email: team-a@example.com is already the address of another account"),
        "{message}"
    );
    assert!(
        !message.contains("Secret Project") && !message.contains(ACCOUNT),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn restart_after_concurrent_account_modification_keeps_role_name_and_deny() {
    // CloudFormation strips write-only properties from callback models (run_to_end does the
    // same): the restarted CreateAccount must still carry RoleName=Admin and DENY.
    let wanted = mock!(Client::create_account)
        .match_requests(|r| {
            r.role_name() == Some("Admin")
                && r.iam_user_access_to_billing() == Some(&IamUserAccessToBilling::Deny)
        })
        .then_output(|| create_output(CreateAccountState::InProgress));
    let defaults =
        mock!(Client::create_account).then_output(|| create_output(CreateAccountState::InProgress));
    let poll = mock!(Client::describe_create_account_status)
        .sequence()
        .output(|| failed_output(CreateAccountFailureReason::ConcurrentAccountModification))
        .output(|| poll_output(CreateAccountState::Succeeded))
        .build();
    let c = clients(&[&wanted, &defaults, &poll]);
    let mut props = desired();
    props["RoleName"] = json!("Admin");
    // Deadlines too close to wait inside: every step goes through a callback, as CloudFormation
    // sends it (the returned model, without write-only properties, and the context).
    let mut req = request("CREATE", props, None);
    let mut stages = Vec::new();
    for _ in 0..8 {
        let event = handle_briefly(&c, req.clone(), 6).await;
        assert_eq!(event.status(), Status::InProgress, "{event:?}");
        let stage = event.callback_context().unwrap()["stage"]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        stages.push(stage.clone());
        if stage == "placeAccount" {
            break;
        }
        let model = event.resource_model().cloned().unwrap();
        assert!(model.get("RoleName").is_none() && model.get("IamUserAccessToBilling").is_none());
        req["requestData"]["resourceProperties"] = model;
        req["callbackContext"] = event.callback_context().cloned().unwrap();
        req["callbackContext"]["attempt"] = json!(0);
    }
    assert!(stages.contains(&"startCreate".to_owned()), "{stages:?}");
    assert_eq!(
        stages.last().map(String::as_str),
        Some("placeAccount"),
        "{stages:?}"
    );
    assert_eq!((wanted.num_calls(), defaults.num_calls()), (2, 0));
}

#[tokio::test(start_paused = true)]
async fn creation_quota_waits_while_creations_are_in_flight_and_fails_when_none_are() {
    let refused = || {
        CreateAccountError::ConstraintViolationException(
            ConstraintViolationException::builder()
                .reason(ConstraintViolationExceptionReason::AccountCreationRateLimitExceeded)
                .message("too many")
                .meta(meta("ConstraintViolationException", "too many"))
                .build(),
        )
    };
    let create = mock!(Client::create_account).then_error(refused);
    let busy = mock!(Client::list_create_account_status).then_output(|| {
        ListCreateAccountStatusOutput::builder()
            .create_account_statuses(status_of(
                "car-someoneelse0001",
                CreateAccountState::InProgress,
            ))
            .build()
    });
    let waiting = handle_briefly(
        &clients(&[&create, &busy]),
        request("CREATE", desired(), None),
        5,
    )
    .await;
    assert_eq!(waiting.status(), Status::InProgress, "{waiting:?}");
    assert!(
        waiting
            .message()
            .unwrap()
            .contains("1 account creations are in progress"),
        "{waiting:?}"
    );

    let create = mock!(Client::create_account).then_error(refused);
    let idle = mock!(Client::list_create_account_status)
        .then_output(|| ListCreateAccountStatusOutput::builder().build());
    let failed = handle_briefly(
        &clients(&[&create, &idle]),
        request("CREATE", desired(), None),
        5,
    )
    .await;
    assert_eq!(
        failed.error_code(),
        Some(HandlerErrorCode::ServiceLimitExceeded)
    );
    assert!(failed.message().unwrap().contains("per day"), "{failed:?}");
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
    // READ's three calls go together; only DescribeAccount is throttled.
    let (_, parents, tags) = read_rules("Team A");
    let c = clients(&[&describe, &list, &parents, &tags]);
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
        .match_requests(|r| r.tags() == [our_record(Some("444455556666"))])
        .then_output(|| TagResourceOutput::builder().build());
    let tags = mock!(Client::list_tags_for_resource)
        .sequence()
        .output(|| {
            ListTagsForResourceOutput::builder()
                .tags(our_record(Some("")))
                .tags(tag("team", "a"))
                .build()
        })
        .output(|| {
            ListTagsForResourceOutput::builder()
                .tags(our_record(Some("444455556666")))
                .tags(tag("team", "a"))
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
            request(
                "DELETE",
                json!({"AccountId": ACCOUNT, "DeletionMode": "CLOSE"}),
                None,
            ),
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
                "startDelete"
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
    let events = run_to_end(
        &c,
        request(
            "DELETE",
            json!({"AccountId": ACCOUNT, "DeletionMode": "CLOSE"}),
            None,
        ),
    )
    .await;
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
    let event = handle_briefly(
        &clients(&[&accounts, &in_flight, &deny, &other]),
        request("CREATE", desired(), None),
        5,
    )
    .await;
    assert_eq!(event.status(), Status::InProgress, "{event:?}");
    assert_eq!((deny.num_calls(), other.num_calls()), (1, 0));
}
