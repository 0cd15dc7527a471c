//! Safe by default, end to end on the realistic local Organizations: nothing is closed, removed,
//! moved or untagged that the template did not ask for, and rollbacks succeed; and, at the SDK
//! boundary, what the local endpoint cannot produce (close quotas, an account slow to leave
//! ACTIVE).

mod support;

use aws_sdk_organizations::operation::close_account::CloseAccountError;
use aws_sdk_organizations::operation::close_account::CloseAccountOutput;
use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
use aws_sdk_organizations::operation::move_account::MoveAccountOutput;
use aws_sdk_organizations::operation::tag_resource::TagResourceOutput;
use aws_sdk_organizations::operation::untag_resource::UntagResourceOutput;
use aws_sdk_organizations::types::error::ConstraintViolationException;
use aws_sdk_organizations::types::{Account, AccountStatus, ConstraintViolationExceptionReason};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::mock;
use organizations_account_handler::doors::registry::dispatch::handle;
use organizations_account_handler::doors::registry::protocol::{
    HandlerErrorCode, ProgressEvent, Status,
};
use serde_json::{json, Value};
use support::mocks::*;
use support::{Moto, Outcome};

async fn create(moto: &Moto, logical: &str, props: &Value) -> Outcome {
    let o = moto
        .driver(&[
            "--action",
            "CREATE",
            "--logical-id",
            logical,
            "--properties",
            &props.to_string(),
        ])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    o
}

/// DELETE as CloudFormation sends it: the template's properties and the AccountId.
async fn delete(moto: &Moto, logical: &str, props: &Value, id: &str) -> Outcome {
    let mut model = props.clone();
    model["AccountId"] = json!(id);
    moto.driver(&[
        "--action",
        "DELETE",
        "--logical-id",
        logical,
        "--properties",
        &model.to_string(),
    ])
    .await
}

async fn read(moto: &Moto, id: &str) -> Outcome {
    moto.driver(&[
        "--action",
        "READ",
        "--properties",
        &json!({"AccountId": id}).to_string(),
    ])
    .await
}

async fn update(moto: &Moto, previous: &Value, desired: &Value, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "--action".to_owned(),
        "UPDATE".to_owned(),
        "--properties".to_owned(),
        desired.to_string(),
        "--previous".to_owned(),
        previous.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    moto.driver(&args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_the_default_changes_nothing_and_says_how_to_keep_or_close() {
    // Also the rollback of a failed stack creation: CloudFormation deletes what it had just
    // created, and without DeletionMode the account stays.
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Keep", "Email": "keep@example.com"});
    let id = create(&moto, "Keep", &props).await.account_id();
    let refused = delete(&moto, "Keep", &props, &id).await;
    assert_eq!(refused.error_code(), "InvalidRequest", "{refused:?}");
    let m = refused.message();
    for needle in [
        "DeletionMode is REFUSE (the default)",
        &format!("account {id} (Keep) stays ACTIVE"),
        "DeletionPolicy: Retain",
        "--retain-resources Keep",
        "set DeletionMode: CLOSE",
    ] {
        assert!(m.contains(needle), "{needle:?} not in {m}");
    }
    assert_eq!(org.state_of(&id).await, "ACTIVE");
    assert_eq!(moto.calls().await.get("CloseAccount"), None);
    // The model without DeletionMode (as a rollback may send it) reads the recorded choice.
    let bare = delete(&moto, "Keep", &json!({}), &id).await;
    assert_eq!(bare.error_code(), "InvalidRequest", "{bare:?}");
    assert_eq!(read(&moto, &id).await.model()["DeletionMode"], "REFUSE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_close_closes_and_a_read_after_is_not_found() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Closing", "Email": "closing@example.com"});
    let id = create(&moto, "Closing", &props).await.account_id();
    // Opting in later, by an update: the choice is recorded on the account.
    let mut closing = props.clone();
    closing["AccountId"] = json!(id);
    closing["DeletionMode"] = json!("CLOSE");
    let opted = update(&moto, &props, &closing, &[]).await;
    assert_eq!(opted.code, 0, "{opted:?}");
    assert_eq!(read(&moto, &id).await.model()["DeletionMode"], "CLOSE");
    let deleted = delete(&moto, "Closing", &json!({}), &id).await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert_eq!(org.state_of(&id).await, "SUSPENDED");
    assert_eq!(read(&moto, &id).await.error_code(), "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_remove_surfaces_the_refusal_then_removes_once_the_account_can_stand_alone() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let props =
        json!({"AccountName": "Leaving", "Email": "leaving@example.com", "DeletionMode": "REMOVE"});
    let id = create(&moto, "Leaving", &props).await.account_id();
    // Created inside the organization: it lacks what a standalone account needs.
    let refused = delete(&moto, "Leaving", &props, &id).await;
    assert_eq!(refused.error_code(), "InvalidRequest", "{refused:?}");
    assert!(
        refused
            .message()
            .contains("ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION")
            && refused
                .message()
                .contains("Sign in to the account as its root user"),
        "{}",
        refused.message()
    );
    assert_eq!(org.state_of(&id).await, "ACTIVE");
    // Its root user completes the standalone information; the delete goes through.
    moto.configure(json!({"standalone_ready": true})).await;
    let removed = delete(&moto, "Leaving", &props, &id).await;
    assert_eq!(removed.code, 0, "{removed:?}");
    assert_eq!(read(&moto, &id).await.error_code(), "NotFound");
    assert_eq!(org.accounts_with_email("leaving@example.com").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_keeps_foreign_tags_and_leaves_a_hand_placed_account_where_it_is() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Owned", "Email": "owned@example.com",
        "Tags": [{"Key": "team", "Value": "a"}, {"Key": "tier", "Value": "1"}]});
    let id = create(&moto, "Owned", &props).await.account_id();
    // Other tools tag the account, and someone moves it by hand into an OU.
    org.tag_by_hand(&id, "cost-allocation", "finance").await;
    org.move_by_hand(&id, &org.root, &org.ou_b).await;
    // The template changes one tag and drops another; it names no parent, before or now.
    let mut previous = props.clone();
    previous["AccountId"] = json!(id);
    let mut desired = previous.clone();
    desired["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    let upd = update(&moto, &previous, &desired, &[]).await;
    assert_eq!(upd.code, 0, "{upd:?}");
    let mut tags = org.tags_of(&id).await;
    tags.retain(|(k, _)| !k.starts_with("cfn-organizations-account:"));
    tags.sort();
    assert_eq!(
        tags,
        [
            ("cost-allocation".to_string(), "finance".to_string()),
            ("team".to_string(), "b".to_string())
        ]
    );
    assert_eq!(
        org.parent_of(&id).await,
        org.ou_b,
        "moved without being asked"
    );
    // READ keeps returning what is on the account.
    let model = read(&moto, &id).await.model().clone();
    assert_eq!(model["ParentIds"], json!([org.ou_b]));
    assert!(
        model["Tags"].to_string().contains("cost-allocation"),
        "{model}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_after_an_outside_rename_succeeds_without_changing_anything() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let v1 = json!({"AccountName": "Payments", "Email": "payments@example.com"});
    let id = create(&moto, "Payments", &v1).await.account_id();
    // As the NotUpdatable message says: rename outside CloudFormation, then follow in the
    // template.
    moto.put_account_name(&id, "Payments Prod").await;
    let mut old = v1.clone();
    old["AccountId"] = json!(id);
    let mut renamed = old.clone();
    renamed["AccountName"] = json!("Payments Prod");
    let followed = update(&moto, &old, &renamed, &[]).await;
    assert_eq!(followed.code, 0, "{followed:?}");
    // Another resource of the stack fails; CloudFormation rolls this one back to "Payments".
    let rollback = update(&moto, &renamed, &old, &["--rollback"]).await;
    assert_eq!(rollback.code, 0, "{rollback:?}");
    assert_eq!(rollback.model()["AccountName"], "Payments Prod");
    let live = org
        .client
        .describe_account()
        .account_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(live.account().unwrap().name(), Some("Payments Prod"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_that_left_the_organization_is_not_found_whichever_call_answers_first() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    moto.configure(json!({"standalone_ready": true})).await;
    let props =
        json!({"AccountName": "Gone", "Email": "gone@example.com", "DeletionMode": "REMOVE"});
    let id = create(&moto, "Gone", &props).await.account_id();
    assert_eq!(delete(&moto, "Gone", &props, &id).await.code, 0);
    // ListParents answers ChildNotFoundException for it (its only not-found error), and READ
    // and UPDATE issue it beside DescribeAccount: NotFound every time.
    let listed = org.client.list_parents().child_id(&id).send().await;
    let err = listed.expect_err("left the organization");
    assert!(err.into_service_error().is_child_not_found_exception());
    for _ in 0..5 {
        assert_eq!(read(&moto, &id).await.error_code(), "NotFound");
    }
    let mut model = props.clone();
    model["AccountId"] = json!(id);
    let mut moved = model.clone();
    moved["ParentIds"] = json!([org.ou_a]);
    assert_eq!(
        update(&moto, &model, &moved, &[]).await.error_code(),
        "NotFound"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_whose_answer_was_lost_is_waited_out_when_the_retry_meets_the_close_under_way() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Closing Twice", "Email": "closing-twice@example.com", "DeletionMode": "CLOSE"});
    let id = create(&moto, "ClosingTwice", &props).await.account_id();
    // The close takes 3 s; the first CloseAccount's answer is lost after it acted, so the SDK's
    // retry meets the close under way (ConflictException).
    moto.configure(json!({"closing_seconds": 3, "lose_close_answers": 1}))
        .await;
    let deleted = delete(&moto, "ClosingTwice", &props, &id).await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert!(moto.calls().await["CloseAccount"].as_u64().unwrap() >= 2);
    // A close under way is no longer ACTIVE: the delete is done, as CloudFormation expects.
    assert_eq!(org.state_of(&id).await, "PENDING_CLOSURE");
    assert_eq!(read(&moto, &id).await.error_code(), "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_outside_organizations_rule_fail_before_any_call_and_the_local_endpoint_refuses_them()
{
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let before = moto.calls().await;
    let props = json!({"AccountName": "Curly", "Email": "curly@example.com"});
    let o = moto
        .driver(&[
            "--action",
            "CREATE",
            "--properties",
            &props.to_string(),
            "--stack-tags",
            &json!({"owner": "platform {team}"}).to_string(),
        ])
        .await;
    assert_eq!(o.error_code(), "InvalidRequest", "{o:?}");
    assert!(
        o.message()
            .starts_with("stack tag \"owner\": the value \"platform {team}\" contains '{'"),
        "{}",
        o.message()
    );
    assert_eq!(moto.calls().await, before, "no call at all");
    // The local endpoint is as strict as AWS, so the rule cannot drift unnoticed.
    let refused = org
        .client
        .create_account()
        .account_name("Curly")
        .email("curly@example.com")
        .tags(
            aws_sdk_organizations::types::Tag::builder()
                .key("owner")
                .value("platform {team}")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect_err("refused");
    assert_eq!(
        refused.into_service_error().meta().code(),
        Some("InvalidInputException")
    );
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
        let recorded = recorded_deletion("CLOSE");
        let event = handle(
            &clients(&[&describe, &close, &recorded]),
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
    let recorded = recorded_deletion("CLOSE");
    let c = clients(&[&describe, &close, &recorded]);
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
