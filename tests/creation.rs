//! Creating accounts as AWS really does it: the AccountId exists only once a creation request
//! SUCCEEDED (seconds to minutes), CloudFormation wants it within 60 seconds, at most five
//! creations run at once, answers get lost, e-mail addresses are unique. End to end on the
//! realistic local Organizations (the driver plays CloudFormation, feeding back models without
//! write-only properties), and at the SDK boundary (aws-smithy-mocks) for what the local
//! endpoint cannot produce: every failure reason, GovCloud, a creation that outlasts the window.

mod support;

use support::mocks::*;

use aws_sdk_organizations::operation::create_account::{CreateAccountError, CreateAccountOutput};
use aws_sdk_organizations::operation::describe_create_account_status::DescribeCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_create_account_status::ListCreateAccountStatusOutput;
use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_organizations::operation::tag_resource::TagResourceOutput;
use aws_sdk_organizations::types::error::ConstraintViolationException;
use aws_sdk_organizations::types::{
    ConstraintViolationExceptionReason, CreateAccountFailureReason, CreateAccountState,
    CreateAccountStatus, IamUserAccessToBilling,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::mock;
use organizations_account_handler::doors::registry::dispatch::handle;
use organizations_account_handler::doors::registry::protocol::{
    HandlerErrorCode, ProgressEvent, Status,
};
use serde_json::json;
use support::{run_driver, Moto, Outcome};

const ACCOUNTS_STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/";

fn create_args(i: usize, prefix: &str) -> Vec<String> {
    let props = json!({"AccountName": format!("{prefix} {i}"), "Email": format!("{prefix}-{i}@example.com")
            .to_lowercase().replace(' ', "-")});
    [
        "--action",
        "CREATE",
        "--logical-id",
        &format!("Account{i}"),
        "--properties",
        &props.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// The first progress line of a driver run (CloudFormation's first answer).
fn first_event(o: &Outcome) -> &str {
    o.progress.lines().next().unwrap_or_default()
}

/// Creates `n` accounts at once, as a template without DependsOn does.
async fn create_at_once(moto: &Moto, n: usize, prefix: &str) -> Vec<Outcome> {
    let mut runs = tokio::task::JoinSet::new();
    for i in 0..n {
        runs.spawn(run_driver(moto.endpoint.clone(), create_args(i, prefix)));
    }
    let mut outcomes = Vec::new();
    while let Some(o) = runs.join_next().await {
        outcomes.push(o.expect("driver task"));
    }
    outcomes
}

fn distinct_ids(outcomes: &[Outcome]) -> usize {
    let mut ids: Vec<String> = outcomes.iter().map(Outcome::account_id).collect();
    ids.sort();
    ids.dedup();
    ids.retain(|id| id.len() == 12);
    ids.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_accounts_at_once_each_carry_their_account_id_in_the_first_event() {
    let moto = Moto::start().await;
    moto.organization().await;
    let outcomes = create_at_once(&moto, 5, "Five").await;
    for o in &outcomes {
        assert_eq!(o.code, 0, "{o:?}");
        // CloudFormation's 60-second rule: the first answer already names the account.
        assert!(
            first_event(o).contains("next=placeAccount") && first_event(o).contains("account="),
            "{}",
            o.progress
        );
    }
    assert_eq!(distinct_ids(&outcomes), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_accounts_at_once_wait_for_creation_slots_inside_the_first_invocation() {
    // Three more than Organizations runs at once: they see five in progress (or, looking at the
    // same instant as others, are refused or throttled), wait for a slot inside the invocation,
    // and, with creations of a few seconds, still answer CloudFormation's first call with their
    // AccountId (README: "Many accounts in one template").
    let moto = Moto::start().await;
    moto.organization().await;
    let outcomes = create_at_once(&moto, 8, "Eight").await;
    for o in &outcomes {
        assert_eq!(o.code, 0, "{o:?}");
        assert!(first_event(o).contains("account="), "{}", o.progress);
    }
    assert_eq!(distinct_ids(&outcomes), 8);
    // Some waited and looked again: more looks at the creations in progress than accounts
    // (one each before CreateAccount); CreateAccount was not knocked on while they waited.
    let calls = moto.calls().await;
    assert!(
        calls["ListCreateAccountStatus"].as_u64().unwrap() > 8,
        "{calls}"
    );
    let creates = calls["CreateAccount"].as_u64().unwrap();
    assert!((8..=16).contains(&creates), "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_account_answer_ends_with_exactly_one_account() {
    let moto = Moto::start_with(&["--lose-create-answers", "1"]).await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Lost", "Email": "lost@example.com"});
    let o = moto
        .driver(&["--action", "CREATE", "--properties", &props.to_string()])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    assert!(first_event(&o).contains("account="), "{}", o.progress);
    assert_eq!(org.accounts_with_email("lost@example.com").await, 1);
    // Found its own request: CreateAccount was not sent a second time.
    assert_eq!(moto.calls().await["CreateAccount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_recreated_after_missing_the_window_adopts_the_account_its_first_create_started() {
    // Creation takes 8 s but the function may run only 5: the first answer has no AccountId and
    // says so; CloudFormation fails the resource (the driver gives up, --timeout-minutes 0); the
    // stack, left in ROLLBACK_COMPLETE, is deleted and created again under the same name (a new
    // stack id) with the same logical id.
    let moto = Moto::start_with(&["--creation-seconds", "8"]).await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Slow", "Email": "slow@example.com"}).to_string();
    let first = moto
        .driver(&[
            "--action",
            "CREATE",
            "--stack-id",
            &format!("{ACCOUNTS_STACK}11111111-1111-1111-1111-111111111111"),
            "--logical-id",
            "Slow",
            "--function-timeout",
            "5",
            "--timeout-minutes",
            "0",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(first.code, 1, "{first:?}");
    assert!(
        first
            .message()
            .contains("Resource timed out waiting for creation of physical resource"),
        "{}",
        first.message()
    );
    assert!(first.model().get("AccountId").is_none());
    let again = moto
        .driver(&[
            "--action",
            "CREATE",
            "--stack-id",
            &format!("{ACCOUNTS_STACK}22222222-2222-2222-2222-222222222222"),
            "--logical-id",
            "Slow",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(org.accounts_with_email("slow@example.com").await, 1);
    // A stack of another name with the same e-mail is told the address is taken.
    let other = moto
        .driver(&[
            "--action",
            "CREATE",
            "--stack-id",
            "arn:aws:cloudformation:us-east-1:123456789012:stack/other/33333333",
            "--logical-id",
            "Slow",
            "--properties",
            &props,
        ])
        .await;
    assert_eq!(other.error_code(), "AlreadyExists", "{other:?}");
    assert!(
        !other.message().contains(&again.account_id()),
        "{}",
        other.message()
    );
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
    // DENY reached CreateAccount (the rule only matches DENY), once; no ListAccounts scan, and
    // one look at the creations in progress before CreateAccount (a slot was free).
    assert_eq!(create.num_calls(), 1);
    assert_eq!((accounts.num_calls(), in_flight.num_calls()), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn creation_outlasting_the_budget_says_so_and_goes_on_through_callbacks() {
    let create =
        mock!(Client::create_account).then_output(|| create_output(CreateAccountState::InProgress));
    let poll = mock!(Client::describe_create_account_status)
        .then_output(|| poll_output(CreateAccountState::InProgress));
    let (_, in_flight) = empty_org_rules();
    let c = clients(&[&create, &poll, &in_flight]);
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
    // Every reason the SDK's model knows, and one it does not yet. Which code each one gets is
    // the translation's table (unit-tested there); this is the whole path through a callback.
    let reasons = CreateAccountFailureReason::values()
        .iter()
        .copied()
        .chain(["A_REASON_FROM_THE_FUTURE"]);
    let ctx = json!({"version": 1, "stage": {"name": "awaitCreation", "requestId": REQUEST,
        "settings": {"roleName": "Admin", "billing": "DENY", "govCloud": false}}, "attempt": 3});
    let (accounts, in_flight) = empty_org_rules();
    for reason in reasons {
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
        match reason {
            "CONCURRENT_ACCOUNT_MODIFICATION" => {
                // The request died of contention: a new CreateAccount, after a backoff, with the
                // write-only values the first one had.
                assert_eq!(event.status(), Status::InProgress, "{reason}");
                let stage = &event.callback_context().unwrap()["stage"];
                assert_eq!(stage["name"], "startCreate");
                assert_eq!(stage["settings"]["roleName"], "Admin");
            }
            _ => {
                assert_eq!(event.status(), Status::Failed, "{reason}");
                let code = event.error_code().expect("a FAILED event has a code");
                assert!(
                    !matches!(
                        code,
                        HandlerErrorCode::InternalFailure
                            | HandlerErrorCode::HandlerInternalFailure
                    ),
                    "{reason}: {code:?}"
                );
                assert!(
                    event.message().unwrap().contains(reason),
                    "{reason}: {:?}",
                    event.message()
                );
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn lost_create_answer_finds_its_own_request_past_an_empty_page_and_never_creates_twice() {
    let create = mock!(Client::create_account).then_error(service_exception);
    // The look before CreateAccount finds nothing in progress. Then, looking for the request
    // whose answer was lost: the first page is empty but carries a NextToken; the request is on
    // the second.
    let in_flight = mock!(Client::list_create_account_status)
        .sequence()
        .output(|| ListCreateAccountStatusOutput::builder().build())
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
    // The found request's account is this declaration's: its record says so.
    let (describe, _, tags) = read_rules("Team A");
    let event = handle(
        &clients(&[&create, &in_flight, &poll, &describe, &tags]),
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
    assert_eq!(in_flight.num_calls(), 3);
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
    let (describe, _, tags) = read_rules("Team A");
    let (_, in_flight) = empty_org_rules();
    let event = handle(
        &clients(&[&create, &poll, &accounts, &tags, &describe, &in_flight]),
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
    let (describe, _, _) = read_rules("Secret Project");
    let (_, in_flight) = empty_org_rules();
    let event = handle(
        &clients(&[&create, &poll, &accounts, &foreign, &describe, &in_flight]),
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

    // All five slots taken: the create waits by looking, without calling CreateAccount.
    let create = mock!(Client::create_account).then_error(refused);
    let full = mock!(Client::list_create_account_status).then_output(|| {
        let mut out = ListCreateAccountStatusOutput::builder();
        for i in 0..5 {
            out = out.create_account_statuses(status_of(
                &format!("car-someoneelse000{i}"),
                CreateAccountState::InProgress,
            ));
        }
        out.build()
    });
    let looking = handle_briefly(
        &clients(&[&create, &full]),
        request("CREATE", desired(), None),
        40,
    )
    .await;
    assert_eq!(looking.status(), Status::InProgress, "{looking:?}");
    assert!(
        looking
            .message()
            .unwrap()
            .contains("5 account creations are in progress"),
        "{looking:?}"
    );
    assert_eq!(create.num_calls(), 0, "knocked while all slots were taken");
    assert!(
        full.num_calls() >= 2,
        "looked again while waiting: {}",
        full.num_calls()
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
async fn govcloud_create_uses_create_gov_cloud_account_and_records_the_govcloud_id() {
    let (accounts, in_flight) = empty_org_rules();
    let gov = mock!(Client::create_gov_cloud_account).then_output(gov_cloud_created);
    let record = mock!(Client::tag_resource)
        .match_requests(|r| r.tags() == [our_record(Some("444455556666"))])
        .then_output(|| TagResourceOutput::builder().build());
    // The record says "pending" until the GovCloud id is written: read when the creation
    // succeeds (the ownership check) and when the account is placed.
    let tags = mock!(Client::list_tags_for_resource)
        .sequence()
        .output(|| {
            ListTagsForResourceOutput::builder()
                .tags(our_record(Some("")))
                .tags(tag("team", "a"))
                .build()
        })
        .times(2)
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
