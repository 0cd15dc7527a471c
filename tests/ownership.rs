//! Ownership by construction (issue 21), end to end: the real `bootstrap` on the realistic local
//! Organizations, asked as a hostile caller would, with nothing but permission to invoke the
//! function. The endpoint counts, per account, every changing call that names it (and every
//! AssumeRole into it), so "nothing changed" is measured, not assumed.

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use organizations_account_handler::doors::custom::{stage_names, PROGRESS_KEY};
use serde_json::{json, Value};
use support::{custom_event, framework_event, response_urls, CustomFunction, Moto};

/// The calls that change an account, or act inside it, as the local endpoint names them.
const CHANGING: &[&str] = &[
    "MoveAccount",
    "TagResource",
    "UntagResource",
    "CloseAccount",
    "RemoveAccountFromOrganization",
    "Account.PutAlternateContact",
    "Account.DeleteAlternateContact",
    "Account.EnableRegion",
    "Account.DisableRegion",
    "STS.AssumeRole",
];

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A stage carrying every field any stage reads (the others are ignored), each naming the
/// foreign account or its creation request: the most a forger could put in.
fn forged_stage(name: &str, account: &str, request_id: &str) -> Value {
    json!({
        "name": name,
        "accountId": account,
        "requestId": request_id,
        "govCloudAccountId": null,
        "settings": {"roleName": "OrganizationAccountAccessRole", "billing": "ALLOW",
                     "govCloud": false, "readyWithinMinutes": 5},
        "since": 0,
        "roleName": "OrganizationAccountAccessRole",
        "partition": "aws",
        "minutes": 5,
        "until": now() + 600,
    })
}

/// What the intruder's template asks for: everything a stage could do to the account.
fn hostile_properties(name: &str, email: &str, ou: &str) -> Value {
    json!({
        "AccountName": name,
        "Email": email,
        "ParentIds": [ou],
        "DeletionMode": "CLOSE",
        "Tags": [{"Key": "owner", "Value": "intruder"}],
        "AlternateContacts": {"Security": {"Name": "Intruder", "Title": "Security",
            "EmailAddress": "intruder@example.net", "PhoneNumber": "+1 555 0100"}},
        "EnabledRegions": ["af-south-1"],
        "DisabledRegions": ["me-south-1"],
        "WaitUntilReady": "true",
    })
}

fn with_progress(mut event: Value, stage: Value, account: &str) -> Value {
    let mut model = event["ResourceProperties"].clone();
    model
        .as_object_mut()
        .unwrap()
        .remove("ServiceToken")
        .unwrap();
    model["AccountId"] = json!(account);
    model["WaitUntilReady"] = json!(true);
    event[PROGRESS_KEY] = json!({"state": "continue",
        "context": {"version": 1, "stage": stage, "attempt": 0},
        "model": model, "started": now(), "handoffs": 0});
    event
}

/// The event of `request_type` naming `account` as its resource (Update, Delete) and forging
/// progress at `stage`, as the CDK framework's isComplete would get it (`cdk`) or as a hand-off
/// to a later invocation with `response_url`.
fn forged_event(
    request_type: &str,
    stage: &str,
    account: &str,
    request_id: &str,
    props: &Value,
    response_url: Option<&str>,
) -> Value {
    let physical = (request_type != "Create").then_some(account);
    let old = (request_type == "Update").then(|| props.clone());
    let event = match response_url {
        Some(url) => custom_event(request_type, "Intruder", url, props.clone(), physical, old),
        None => framework_event(request_type, "Intruder", "", props.clone(), physical, old),
    };
    with_progress(event, forged_stage(stage, account, request_id), account)
}

/// The creation request that made `account` (the local endpoint keeps every request).
async fn request_of(moto: &Moto, account: &str) -> String {
    let org = moto.client();
    let out = org
        .list_create_account_status()
        .states(aws_sdk_organizations::types::CreateAccountState::Succeeded)
        .send()
        .await
        .unwrap();
    out.create_account_statuses()
        .iter()
        .find(|s| s.account_id() == Some(account))
        .and_then(|s| s.id())
        .expect("the account's creation request")
        .to_owned()
}

/// Every changing call per account, from the endpoint's count.
fn changes_of(touched: &Value, account: &str) -> Vec<(String, u64)> {
    CHANGING
        .iter()
        .map(|op| (op.to_string(), touched[account][*op].as_u64().unwrap_or(0)))
        .collect()
}

/// The account's details a forged request must never get back: its ARN and its state.
async fn secrets_of(moto: &Moto, account: &str) -> Vec<String> {
    let out = moto
        .client()
        .describe_account()
        .account_id(account)
        .send()
        .await
        .unwrap();
    let a = out.account().unwrap();
    vec![a.arn().unwrap().to_owned()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_progress_for_every_stage_changes_and_reveals_nothing_of_a_foreign_account() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    let function = CustomFunction::start(&moto, 4, 20).await;
    // A member account made by hand (tags of its own, no record), and one that another
    // declaration of this function created (its record names that declaration).
    let hand = org
        .create_by_hand("Hand Made", "hand-made@example.com")
        .await;
    org.client
        .tag_resource()
        .resource_id(&hand)
        .tags(
            aws_sdk_organizations::types::Tag::builder()
                .key("team")
                .value("payments")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let url = response_urls(&moto, &["owner"]).await.remove(0);
    function
        .send(&custom_event(
            "Create",
            "Owner",
            &url.put,
            json!({"AccountName": "Owned", "Email": "owned@example.com"}),
            None,
            None,
        ))
        .await;
    let owner = url.answer(90).await;
    assert_eq!(owner["Status"], "SUCCESS", "{owner}");
    let owned = owner["PhysicalResourceId"].as_str().unwrap().to_owned();
    let foreign = [
        (
            hand.clone(),
            "Hand Made",
            "hand-made@example.com",
            request_of(&moto, &hand).await,
        ),
        (
            owned.clone(),
            "Owned",
            "owned@example.com",
            request_of(&moto, &owned).await,
        ),
    ];
    let before = moto.touched().await;
    let stages = stage_names();
    assert!(stages.len() >= 13, "{stages:?}");

    // Every stage, for both foreign accounts, as CDK isComplete calls; and for the hand-made
    // one also as a hand-off answered at a ResponseURL.
    let keys: Vec<String> = stages
        .iter()
        .map(|(_, stage)| format!("forged-{stage}"))
        .collect();
    let urls = response_urls(&moto, &keys.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let mut calls = tokio::task::JoinSet::new();
    let function = std::sync::Arc::new(function);
    for (account, name, email, request) in &foreign {
        let props = hostile_properties(name, email, &org.ou_b);
        for (request_type, stage) in &stages {
            let event = forged_event(request_type, stage, account, request, &props, None);
            let f = function.clone();
            let what = format!("CDK {request_type} {stage} on {account}");
            calls.spawn(async move { (what, f.call(&event).await.map_err(Value::from)) });
        }
    }
    let (account, name, email, request) = &foreign[0];
    let props = hostile_properties(name, email, &org.ou_b);
    for ((request_type, stage), url) in stages.iter().zip(&urls) {
        let event = forged_event(
            request_type,
            stage,
            account,
            request,
            &props,
            Some(&url.put),
        );
        function.send(&event).await;
    }
    let mut answers = Vec::new();
    while let Some(done) = calls.join_next().await {
        let (what, result) = done.unwrap();
        let answer = match result {
            Ok(v) | Err(v) => v,
        };
        answers.push((what, answer));
    }
    for ((request_type, stage), url) in stages.iter().zip(&urls) {
        let answer = url.answer(120).await;
        // A Create's answer never names the foreign account as its own.
        if *request_type == "Create" {
            assert_ne!(answer["PhysicalResourceId"], account.as_str(), "{answer}");
        }
        answers.push((format!("ResponseURL {request_type} {stage}"), answer));
    }

    let after = moto.touched().await;
    for (account, ..) in &foreign {
        assert_eq!(
            changes_of(&after, account),
            changes_of(&before, account),
            "changing calls on foreign account {account}"
        );
        let secrets = secrets_of(&moto, account).await;
        for (what, answer) in &answers {
            let text = answer.to_string();
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{what}: {text}");
            }
            assert_ne!(
                answer["Data"]["AccountId"],
                account.as_str(),
                "{what}: {text}"
            );
        }
    }
    // Both accounts are as they were.
    assert_eq!(org.state_of(&hand).await, "ACTIVE");
    assert_eq!(org.state_of(&owned).await, "ACTIVE");
    assert_eq!(org.parent_of(&hand).await, org.root);
    assert_eq!(org.parent_of(&owned).await, org.root);
    assert!(moto.account_baselines().await[&hand]["contacts"]
        .as_object()
        .is_none_or(|c| c.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_request_in_flight_for_the_same_name_is_never_adopted_or_reported() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    // A stranger's request for the same name and address, slower than ours, so that ours fails
    // EMAIL_ALREADY_EXISTS while the stranger's is still in flight; with a tag of its own, so
    // its account's tags are visible and carry no record.
    let stranger = |email: &str| {
        let client = org.client.clone();
        let email = email.to_owned();
        let moto = &moto;
        async move {
            moto.configure(json!({"creation_seconds": 10})).await;
            client
                .create_account()
                .account_name("Shared Name")
                .email(email)
                .tags(
                    aws_sdk_organizations::types::Tag::builder()
                        .key("team")
                        .value("stranger")
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
            moto.configure(json!({"creation_seconds": 2})).await;
        }
    };
    stranger("shared-custom@example.com").await;
    let url = response_urls(&moto, &["shared"]).await.remove(0);
    function
        .send(&custom_event(
            "Create",
            "Mine",
            &url.put,
            json!({"AccountName": "Shared Name", "Email": "shared-custom@example.com"}),
            None,
            None,
        ))
        .await;
    let answer = url.answer(90).await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .starts_with("AlreadyExists: "),
        "{answer}"
    );
    let physical = answer["PhysicalResourceId"].as_str().unwrap();
    assert!(physical.starts_with("not-created:"), "{answer}");

    // The registry door: no progress event ever carries the stranger's id.
    stranger("shared-registry@example.com").await;
    let out = moto
        .driver(&[
            "--action",
            "CREATE",
            "--logical-id",
            "Mine",
            "--properties",
            &json!({"AccountName": "Shared Name", "Email": "shared-registry@example.com"})
                .to_string(),
        ])
        .await;
    assert_eq!(out.error_code(), "AlreadyExists", "{out:?}");
    let accounts = moto.client().list_accounts().send().await.unwrap();
    for a in accounts.accounts() {
        if a.name() == Some("Shared Name") {
            let id = a.id().unwrap();
            assert!(!out.progress.contains(id), "{}", out.progress);
            assert!(!answer.to_string().contains(id), "{answer}");
        }
    }
    // Each address has exactly the stranger's account: none was made for "Mine".
    assert_eq!(
        org.accounts_with_email("shared-custom@example.com").await,
        1
    );
    assert_eq!(
        org.accounts_with_email("shared-registry@example.com").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_accounts_record_not_yet_visible_is_waited_for_not_taken_for_anothers() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    // Tags show 8 s after an account is created; the first CreateAccount answer is lost, so the
    // registry create finds its own request by name and must wait for the record to show.
    moto.configure(json!({"tag_visible_seconds": 8, "lose_create_answers": 1}))
        .await;
    let registry = moto
        .driver(&[
            "--action",
            "CREATE",
            "--logical-id",
            "Fresh",
            "--properties",
            &json!({"AccountName": "Fresh", "Email": "fresh@example.com"}).to_string(),
        ])
        .await;
    assert_eq!(registry.code, 0, "{registry:?}");
    assert_eq!(org.accounts_with_email("fresh@example.com").await, 1);

    // A custom resource whose Create answers before its creation settled, then is rolled back
    // with DeletionMode CLOSE: the rollback Delete waits for the record and closes the account.
    moto.configure(json!({"creation_seconds": 12, "tag_visible_seconds": 10}))
        .await;
    let function = CustomFunction::start(&moto, 2, 4).await;
    let urls = response_urls(&moto, &["create", "delete"]).await;
    let props = json!({"AccountName": "Rolled", "Email": "rolled@example.com",
        "DeletionMode": "CLOSE"});
    let mut short = props.clone();
    short["ServiceTimeout"] = json!("6");
    function
        .send(&custom_event(
            "Create",
            "Rolled",
            &urls[0].put,
            short,
            None,
            None,
        ))
        .await;
    let created = urls[0].answer(60).await;
    assert_eq!(created["Status"], "FAILED", "{created}");
    let physical = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(physical.starts_with("creating:car-"), "{created}");
    let mut waiting = props.clone();
    waiting["ServiceTimeout"] = json!("120");
    function
        .send(&custom_event(
            "Delete",
            "Rolled",
            &urls[1].put,
            waiting,
            Some(&physical),
            None,
        ))
        .await;
    let deleted = urls[1].answer(120).await;
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    let accounts = moto.client().list_accounts().send().await.unwrap();
    let rolled = accounts
        .accounts()
        .iter()
        .find(|a| a.email() == Some("rolled@example.com"))
        .expect("the rolled-back account");
    assert_eq!(rolled.state().unwrap().as_str(), "SUSPENDED");
    // One CreateAccount per account: the lost answer's and the rolled-back one.
    assert_eq!(moto.calls().await["CreateAccount"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_asking_more_than_the_recorded_deletion_mode_changes_nothing() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    let urls = response_urls(&moto, &["create", "delete"]).await;
    let props = json!({"AccountName": "Kept", "Email": "kept@example.com"});
    function
        .send(&custom_event(
            "Create",
            "Kept",
            &urls[0].put,
            props.clone(),
            None,
            None,
        ))
        .await;
    let created = urls[0].answer(60).await;
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let id = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    let mut closing = props.clone();
    closing["DeletionMode"] = json!("CLOSE");
    function
        .send(&custom_event(
            "Delete",
            "Kept",
            &urls[1].put,
            closing,
            Some(&id),
            None,
        ))
        .await;
    let answer = urls[1].answer(60).await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("InvalidRequest: DeletionMode: this delete asks for CLOSE")
            && reason.contains("record says REFUSE")
            && reason.contains("update the stack"),
        "{answer}"
    );
    // The registry door follows the same rule.
    let registry = moto
        .driver(&[
            "--action",
            "DELETE",
            "--logical-id",
            "Kept",
            "--properties",
            &json!({"AccountId": id, "AccountName": "Kept", "Email": "kept@example.com",
                "DeletionMode": "REMOVE"})
            .to_string(),
        ])
        .await;
    assert_eq!(registry.error_code(), "InvalidRequest", "{registry:?}");
    assert!(
        registry.message().contains("record says REFUSE"),
        "{registry:?}"
    );
    assert_eq!(org.state_of(&id).await, "ACTIVE");
    let calls = moto.calls().await;
    assert!(calls["CloseAccount"].is_null(), "{calls}");
    assert!(calls["RemoveAccountFromOrganization"].is_null(), "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_accounts_tags_count_against_the_fifty_before_any_call() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let id = org.create_by_hand("Imported", "imported@example.com").await;
    let tags: Vec<_> = (0..49)
        .map(|i| {
            aws_sdk_organizations::types::Tag::builder()
                .key(format!("tool-{i}"))
                .value("x")
                .build()
                .unwrap()
        })
        .collect();
    org.client
        .tag_resource()
        .resource_id(&id)
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
    let before = moto.calls().await;
    let base = json!({"AccountId": id, "AccountName": "Imported", "Email": "imported@example.com"});
    let mut next = base.clone();
    next["Tags"] = json!([{"Key": "team", "Value": "web"}]);
    let out = moto
        .driver(&[
            "--action",
            "UPDATE",
            "--properties",
            &next.to_string(),
            "--previous",
            &base.to_string(),
        ])
        .await;
    assert_eq!(out.error_code(), "InvalidRequest", "{out:?}");
    assert!(
        out.message()
            .starts_with(&format!("Tags: account {id} already has 49 tags"))
            && out.message().contains("would have 51")
            && out.message().contains("remove 1 tag(s)"),
        "{}",
        out.message()
    );
    let after = moto.calls().await;
    for op in ["TagResource", "UntagResource", "MoveAccount"] {
        assert_eq!(after[op], before[op], "{op}: {after}");
    }
}

/// A server on loopback that answers every request with a 500 whose body arrives one byte
/// every 10 s, counting connections.
async fn trickling_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\n\r\n")
                    .await;
                for _ in 0..100 {
                    if socket.write_all(b"x").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}/answer"), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_urls_outside_the_allowed_hosts_get_no_answer_and_slow_ones_are_bounded() {
    let moto = Moto::start().await;
    let function = CustomFunction::start(&moto, 1, 30).await;
    let bad = json!({"AccountName": "Team", "Email": "not-an-address"});
    // Hosts nobody named: another loopback address (in Lambda, loopback serves the Runtime API)
    // and an https host outside AWS's domains. No work, no answer, no function error.
    let other_loopback = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let port = other_loopback.local_addr().unwrap().port();
    for url in [
        format!("http://127.0.0.2:{port}/x"),
        "https://answers.example.net/x".to_owned(),
    ] {
        let event = custom_event("Create", "Team", &url, bad.clone(), None, None);
        let result = function.call(&event).await.expect("no function error");
        assert_eq!(result["answered"], false, "{result}");
        assert!(
            result["reason"]
                .as_str()
                .unwrap()
                .contains("is not a host CloudFormation answers through"),
            "{result}"
        );
    }
    let nothing = tokio::time::timeout(Duration::from_millis(200), other_loopback.accept()).await;
    assert!(nothing.is_err(), "something connected to the unnamed host");

    // A named host that answers 500 and trickles its body: bounded per attempt, 3 attempts,
    // then the invocation ends without a function error (which would make Lambda run it again).
    let (url, connections) = trickling_server().await;
    let started = Instant::now();
    let event = custom_event("Create", "Team", &url, bad, None, None);
    let result = function.call(&event).await.expect("no function error");
    let took = started.elapsed();
    assert_eq!(result["answered"], false, "{result}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(
        took < Duration::from_secs(3 * 10 + 2 + 5),
        "the invocation took {took:?}"
    );
}
