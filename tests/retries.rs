//! Throttling, concurrent modification, contention and service faults are waited out with
//! backoff, never failed and never repeated into a second change: end to end on the realistic
//! local Organizations (seeded faults, the driver playing CloudFormation) and at the SDK
//! boundary (aws-smithy-mocks).

mod support;

use support::mocks::*;

use aws_sdk_organizations::operation::create_account::CreateAccountError;
use aws_sdk_organizations::operation::describe_account::DescribeAccountError;
use aws_sdk_organizations::operation::list_accounts::ListAccountsError;
use aws_sdk_organizations::types::error::{
    ConcurrentModificationException, TooManyRequestsException,
};
use aws_sdk_organizations::types::{
    CreateAccountFailureReason, CreateAccountState, IamUserAccessToBilling,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::mock;
use organizations_account_handler::doors::registry::dispatch::handle;
use organizations_account_handler::doors::registry::protocol::{HandlerErrorCode, Status};
use serde_json::json;
use serde_json::Value;
use support::{run_driver, Moto};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_after_concurrent_account_modification_keeps_role_name_and_deny() {
    // The first request for this name ends FAILED with CONCURRENT_ACCOUNT_MODIFICATION; the
    // restart happens through a callback (a 4-second function timeout leaves no room to wait
    // inside), whose model no longer carries RoleName or IamUserAccessToBilling.
    let moto = Moto::start_with(&["--concurrent-names", "^Restarted$"]).await;
    let org = moto.organization().await;
    let props = json!({"AccountName": "Restarted", "Email": "restarted@example.com",
        "RoleName": "PlatformAdmin", "IamUserAccessToBilling": "DENY"});
    let o = moto
        .driver(&[
            "--action",
            "CREATE",
            "--function-timeout",
            "4",
            "--properties",
            &props.to_string(),
        ])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.progress.contains("CONCURRENT_ACCOUNT_MODIFICATION"),
        "{}",
        o.progress
    );
    let record = org
        .tags_of(&o.account_id())
        .await
        .into_iter()
        .find(|(k, _)| k == "cfn-organizations-account:record")
        .map(|(_, v)| v)
        .unwrap_or_default();
    // The record is written by the CreateAccount call that made the account.
    assert!(
        record.contains("role=PlatformAdmin") && record.contains("billing=DENY"),
        "{record}"
    );
    assert_eq!(moto.calls().await["CreateAccount"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_mode_lifecycle_ends_every_write_in_success() {
    // Throttling, 500s and answers lost after the service acted, on a quarter of the calls.
    let moto = Moto::start().await;
    let org = moto.organization().await;
    moto.configure(json!({"faults": 0.3, "seed": 7})).await;
    let desired = json!({"AccountName": "Faulty", "Email": "faulty@example.com", "ParentIds": [org.ou_a],
        "DeletionMode": "CLOSE", "Tags": [{"Key": "team", "Value": "a"}]});
    let created = moto
        .driver(&["--action", "CREATE", "--properties", &desired.to_string()])
        .await;
    assert_eq!(created.code, 0, "{created:?}");
    let id = created.account_id();
    let mut next: Value = desired.clone();
    next["AccountId"] = json!(id);
    next["ParentIds"] = json!([org.ou_b]);
    next["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    let mut previous = desired.clone();
    previous["AccountId"] = json!(id);
    let updated = moto
        .driver(&[
            "--action",
            "UPDATE",
            "--properties",
            &next.to_string(),
            "--previous",
            &previous.to_string(),
        ])
        .await;
    assert_eq!(updated.code, 0, "{updated:?}");
    let deleted = moto
        .driver(&[
            "--action",
            "DELETE",
            "--properties",
            &json!({"AccountId": id}).to_string(),
        ])
        .await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let faults = moto.configure(json!({"faults": 0})).await;
    assert_eq!(faults["faults"], 0.0);
    assert_eq!(org.accounts_with_email("faulty@example.com").await, 1);
    // The faults really happened, and the writes came through them.
    let faults = moto.faults().await;
    let injected: u64 = ["throttle", "error", "lost"]
        .iter()
        .map(|kind| faults[kind].as_u64().unwrap_or(0))
        .sum();
    assert!(injected >= 3, "{faults}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_rollback_of_an_account_with_non_default_write_only_values_survive_throttling() {
    // CloudFormation sends each callback's model without RoleName, IamUserAccessToBilling and
    // CreateGovCloudAccount (the driver does the same): the first call's values must last.
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let created = json!({"AccountName": "Kept Role", "Email": "kept-role@example.com",
        "RoleName": "PlatformAdmin", "IamUserAccessToBilling": "DENY",
        "Tags": [{"Key": "team", "Value": "a"}]});
    let o = moto
        .driver(&["--action", "CREATE", "--properties", &created.to_string()])
        .await;
    assert_eq!(o.code, 0, "{o:?}");
    let id = o.account_id();
    let mut previous = created.clone();
    previous["AccountId"] = json!(id);
    let mut desired = previous.clone();
    desired["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    desired["ParentIds"] = json!([org.ou_a]);
    // Throttling only, on half the calls (seeded), so every step meets it sooner or later.
    moto.configure(json!({"faults": 0.5, "fault_kinds": "throttle", "seed": 11}))
        .await;
    let update = |desired: &Value, previous: &Value, rollback: bool| {
        let mut args = vec![
            "--action".to_owned(),
            "UPDATE".into(),
            "--properties".into(),
            desired.to_string(),
            "--previous".into(),
            previous.to_string(),
        ];
        if rollback {
            args.push("--rollback".into());
        }
        run_driver(moto.endpoint.clone(), args)
    };
    let updated = update(&desired, &previous, false).await;
    assert_eq!(updated.code, 0, "{updated:?}");
    assert!(
        updated.progress.contains("IN_PROGRESS") && updated.progress.contains("Rate exceeded"),
        "the update met throttling and went on through callbacks: {}",
        updated.progress
    );
    // A later failure in the stack rolls the update back, under the same throttling.
    let rolled = update(&previous, &desired, true).await;
    assert_eq!(rolled.code, 0, "{rolled:?}");
    moto.configure(json!({"faults": 0})).await;
    assert!(moto.faults().await["throttle"].as_u64().unwrap() >= 2);
    let tags = org.tags_of(&id).await;
    assert!(tags.contains(&("team".into(), "a".into())), "{tags:?}");
    // The rolled-back template names no parent where the update named one: back to the root.
    assert_eq!(org.parent_of(&id).await, org.root);
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
    // The new account's record names this declaration (read before its id goes out).
    let (describe, _, tags) = read_rules("Team A");
    let (_, in_flight) = empty_org_rules();
    let event = handle(
        &clients(&[&create, &poll, &describe, &tags, &in_flight]),
        request("CREATE", desired(), None),
    )
    .await;
    assert_eq!(event.resource_model().unwrap()["AccountId"], ACCOUNT);
    assert_eq!(create.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn restart_after_concurrent_account_modification_keeps_role_name_and_deny_at_the_sdk_boundary(
) {
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
    let (describe, _, tags) = read_rules("Team A");
    let (_, in_flight) = empty_org_rules();
    let c = clients(&[&wanted, &defaults, &poll, &describe, &tags, &in_flight]);
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
