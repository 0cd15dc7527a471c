//! End to end, custom-resource mode: the real `bootstrap` under cargo lambda's emulator, invoked
//! asynchronously as CloudFormation invokes it (through scripts/local_lambda.py, which gives the
//! emulator Lambda's Event invocation), on the realistic local Organizations, answering to real
//! presigned URLs of the local S3 (moto), whose objects are read back. Waits that outlast an
//! invocation continue through real asynchronous self-invokes.

mod support;

use organizations_account_handler::doors::custom::PROGRESS_KEY;
use serde_json::{json, Value};
use support::{custom_event, framework_event, response_urls, CustomFunction, Moto};

fn props(name: &str, email: &str) -> Value {
    json!({"AccountName": name, "Email": email})
}

/// Sends `event` (with a fresh ResponseURL) and waits for its answer.
async fn play(moto: &Moto, function: &CustomFunction, key: &str, mut event: Value) -> Value {
    let url = response_urls(moto, &[key]).await.remove(0);
    event["ResponseURL"] = Value::from(url.put.clone());
    function.send(&event).await;
    let answer = url.answer(90).await;
    // Echoed verbatim, as CloudFormation requires.
    for key in ["StackId", "RequestId", "LogicalResourceId"] {
        assert_eq!(answer[key], event[key], "{answer}");
    }
    answer
}

fn assert_failed(answer: &Value, code: &str) {
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().unwrap_or("");
    assert!(reason.starts_with(&format!("{code}: ")), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_rejected_rename_and_delete_answer_through_the_response_url() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    // Two seconds per invocation: a 3-second creation continues in a later invocation.
    let function = CustomFunction::start(&moto, 2, 2).await;
    let base = props("Team A", "team-a@example.com");

    let create = custom_event("Create", "TeamA", "", base.clone(), None, None);
    let answer = play(&moto, &function, "create", create).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()),
        "{answer}"
    );
    let data = &answer["Data"];
    assert_eq!(data["AccountId"], id.as_str());
    assert_eq!(data["State"], "ACTIVE");
    assert_eq!(data["Status"], "ACTIVE");
    assert!(data["Arn"].as_str().unwrap().ends_with(&id), "{data}");
    assert_eq!(data["JoinedMethod"], "CREATED");
    assert!(
        function.stats().await["event"].as_u64().unwrap() >= 2,
        "handed on at least once"
    );

    // Tags and parent change in place.
    let mut changed = base.clone();
    changed["ParentIds"] = json!([org.ou_a]);
    changed["Tags"] = json!([{"Key": "team", "Value": "a"}]);
    let update = custom_event(
        "Update",
        "TeamA",
        "",
        changed.clone(),
        Some(&id),
        Some(base.clone()),
    );
    let answer = play(&moto, &function, "update", update).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id.as_str());
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    assert!(org
        .tags_of(&id)
        .await
        .contains(&("team".into(), "a".into())));

    // A rename is refused with the registry type's message; the physical id stays.
    let calls_before = moto.calls().await;
    let mut renamed = changed.clone();
    renamed["AccountName"] = json!("Team B");
    let update = custom_event(
        "Update",
        "TeamA",
        "",
        renamed,
        Some(&id),
        Some(changed.clone()),
    );
    let answer = play(&moto, &function, "rename", update).await;
    assert_failed(&answer, "NotUpdatable");
    assert!(
        answer["Reason"].as_str().unwrap().contains("AccountName"),
        "{answer}"
    );
    assert_eq!(answer["PhysicalResourceId"], id.as_str());
    let calls_after = moto.calls().await;
    for op in [
        "MoveAccount",
        "TagResource",
        "UntagResource",
        "CloseAccount",
    ] {
        assert_eq!(
            calls_after[op], calls_before[op],
            "{op} called on a refused rename"
        );
    }

    // Delete honours the deletion choice: REFUSE (the default) changes nothing...
    let delete = custom_event("Delete", "TeamA", "", changed.clone(), Some(&id), None);
    let answer = play(&moto, &function, "delete-refused", delete).await;
    assert_failed(&answer, "InvalidRequest");
    assert!(
        answer["Reason"].as_str().unwrap().contains("DeletionMode"),
        "{answer}"
    );
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    // ...and CLOSE closes it, once the template said so (recorded on the account by an update:
    // a delete never does more than the record allows).
    let mut closing = changed.clone();
    closing["DeletionMode"] = json!("CLOSE");
    let update = custom_event(
        "Update",
        "TeamA",
        "",
        closing.clone(),
        Some(&id),
        Some(changed.clone()),
    );
    let answer = play(&moto, &function, "update-deletion-mode", update).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let delete = custom_event("Delete", "TeamA", "", closing, Some(&id), None);
    let answer = play(&moto, &function, "delete", delete).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id.as_str());
    let status = org
        .client
        .describe_account()
        .account_id(&id)
        .send()
        .await
        .unwrap();
    assert_ne!(
        status.account().unwrap().state().unwrap().as_str(),
        "ACTIVE"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_answers_an_id_its_rollback_delete_recognises_as_nothing_to_delete() {
    let moto = Moto::start().await;
    moto.organization().await;
    let function = CustomFunction::start(&moto, 1, 30).await;
    // Bad input fails before any call, naming the field and the rule.
    let bad = custom_event(
        "Create",
        "Bad",
        "",
        props("Bad", "not-an-address"),
        None,
        None,
    );
    let answer = play(&moto, &function, "bad", bad).await;
    assert_failed(&answer, "InvalidRequest");
    assert!(
        answer["Reason"].as_str().unwrap().contains("Email"),
        "{answer}"
    );
    let physical = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(physical.starts_with("not-created:"), "{answer}");

    let calls_before = moto.calls().await;
    let mut rollback = custom_event(
        "Delete",
        "Bad",
        "",
        props("Bad", "not-an-address"),
        Some(&physical),
        None,
    );
    rollback["ResourceProperties"]["DeletionMode"] = json!("CLOSE");
    let answer = play(&moto, &function, "rollback", rollback).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], physical.as_str());
    assert_eq!(
        moto.calls().await,
        calls_before,
        "no call for a resource that made no account"
    );

    // An unknown property and a bad ServiceTimeout are refused the same way.
    let mut extra = props("X", "x@example.com");
    extra["Colour"] = json!("blue");
    let answer = play(
        &moto,
        &function,
        "extra",
        custom_event("Create", "X", "", extra, None, None),
    )
    .await;
    assert_failed(&answer, "InvalidRequest");
    assert!(
        answer["Reason"].as_str().unwrap().contains("Colour"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_accounts_declared_at_once_all_succeed_past_the_five_in_flight_quota() {
    let moto = Moto::start().await;
    moto.organization().await;
    // Four function instances; each invocation works 4 s before handing on.
    let function = CustomFunction::start(&moto, 4, 4).await;
    let keys: Vec<String> = (0..12).map(|i| format!("fleet-{i}")).collect();
    let urls = response_urls(&moto, &keys.iter().map(String::as_str).collect::<Vec<_>>()).await;
    for (i, url) in urls.iter().enumerate() {
        let event = custom_event(
            "Create",
            &format!("Account{i}"),
            &url.put,
            props(&format!("Fleet {i}"), &format!("fleet-{i}@example.com")),
            None,
            None,
        );
        function.send(&event).await;
    }
    let mut ids = std::collections::BTreeSet::new();
    for url in &urls {
        let answer = url.answer(240).await;
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        ids.insert(answer["PhysicalResourceId"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 12, "twelve distinct accounts");
    let calls = moto.calls().await;
    assert!(calls["CreateAccount"].as_u64().unwrap() >= 12, "{calls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_slower_than_every_invocation_still_ends_in_one_failed_answer_within_the_service_timeout(
) {
    let moto = Moto::start().await;
    moto.organization().await;
    moto.configure(json!({"latency_ms": 5000})).await;
    let function = CustomFunction::start(&moto, 2, 3).await;
    let mut slow = props("Slow", "slow@example.com");
    slow["ServiceTimeout"] = json!("20");
    let started = std::time::Instant::now();
    let answer = play(
        &moto,
        &function,
        "slow",
        custom_event("Create", "Slow", "", slow, None, None),
    )
    .await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("ServiceTimeout"),
        "{answer}"
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "answered within the ServiceTimeout and a margin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cdk_provider_framework_gets_on_event_and_is_complete_answers() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    // Ten seconds per invocation (a CDK onEvent function needs a timeout that outlasts a
    // creation): onEvent returns once the account exists, isComplete confirms or finishes.
    let function = CustomFunction::start(&moto, 1, 10).await;
    let mut base = props("Cdk", "cdk@example.com");
    base["ParentIds"] = json!([org.ou_b]);
    base["DeletionMode"] = json!("CLOSE");
    // The framework invokes its user handlers with the real event (presigned ResponseURL
    // included) and answers CloudFormation itself; its own onEvent function is the ServiceToken.
    let url = response_urls(&moto, &["cdk"]).await.remove(0);
    let event = framework_event("Create", "Cdk", &url.put, base.clone(), None, None);
    let on_event = function.call(&event).await.expect("onEvent answers");
    let id = on_event["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(id.len() == 12, "{on_event}");
    // isComplete: the event with onEvent's answer spread over it, until IsComplete.
    let mut is_complete = event.clone();
    for (k, v) in on_event.as_object().unwrap() {
        is_complete[k] = v.clone();
    }
    let mut data = on_event["Data"].clone();
    for _ in 0..30 {
        let answer = function
            .call(&is_complete)
            .await
            .expect("isComplete answers");
        if answer["IsComplete"] == true {
            if let Some(d) = answer.get("Data") {
                data = d.clone();
            }
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(data["AccountId"], id.as_str(), "{data}");
    assert_eq!(org.parent_of(&id).await, org.ou_b);

    // A refused change is a function error, which the framework answers FAILED with.
    let mut renamed = base.clone();
    renamed["AccountName"] = json!("Cdk Renamed");
    let update = framework_event(
        "Update",
        "Cdk",
        &url.put,
        renamed,
        Some(&id),
        Some(base.clone()),
    );
    let error = function
        .call(&update)
        .await
        .expect_err("a refused rename fails");
    assert!(error.starts_with("NotUpdatable: "), "{error}");
    // The framework's answer is the only one: the function never PUT.
    assert_eq!(url.read().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_inside_the_work_still_ends_in_one_failed_answer() {
    use aws_sdk_organizations::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use organizations_account_handler::aws::clients::Clients;
    use organizations_account_handler::doors::custom;
    // Only the local S3 is needed; Organizations is mocked at the SDK boundary, and its answer
    // to CreateAccount panics inside the handler's task.
    let moto = Moto::plain().await;
    std::env::set_var("AWS_ACCESS_KEY_ID", "ASIAFUNCTIONROLE0001");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "function-role-secret");
    // The local S3 that presigns the ResponseURL, named as a test set-up names it.
    std::env::set_var("CUSTOM_RESOURCE_RESPONSE_HOSTS", "127.0.0.1");
    let boom = mock!(Client::create_account).then_output(|| panic!("simulated fault in a call"));
    let (_, nothing_in_flight) = support::mocks::empty_org_rules();
    let client: Client = mock_client!(
        aws_sdk_organizations,
        RuleMode::MatchAny,
        &[&boom, &nothing_in_flight]
    );
    let clients = Clients::from_config(client.config().clone());
    let url = response_urls(&moto, &["panic"]).await.remove(0);
    let event = custom_event(
        "Create",
        "Boom",
        &url.put,
        props("Boom", "boom@example.com"),
        None,
        None,
    );
    let result = custom::handle(&clients, event, None, "").await;
    assert!(result.is_ok(), "{result:?}");
    let answer = url.read().await.expect("an answer at ResponseURL");
    assert_failed(&answer, "InternalFailure");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("simulated fault in a call"),
        "{answer}"
    );
    assert!(
        answer["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("not-created:"),
        "{answer}"
    );
}

/// The promise in a fixture's name: ("SUCCESS", None) or ("FAILED", Some("NotUpdatable")).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_custom_resource_fixture_keeps_its_promise() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 1, 30).await;
    let played = support::fixtures::play_custom_fixtures(&moto, &org, |name, event| {
        let (moto, function) = (&moto, &function);
        async move { play(moto, function, &name, event).await }
    })
    .await;
    assert_eq!(played, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_plays_a_custom_resource_fixture_end_to_end() {
    let moto = Moto::start().await;
    moto.organization().await;
    let function = CustomFunction::start(&moto, 1, 30).await;
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("events/custom-resource/01-create.success.json");
    let out = support::run_driver(
        moto.endpoint.clone(),
        [
            "--event",
            fixture.to_str().unwrap(),
            "--endpoint",
            &function.endpoint,
            "--function",
            "_",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.event["Status"], "SUCCESS", "{out:?}");
    assert_eq!(
        out.event["Data"]["AccountId"],
        out.event["PhysicalResourceId"]
    );
    assert!(
        out.progress.contains("Create SUCCESS physical="),
        "{}",
        out.progress
    );
}

#[test]
fn the_sam_function_is_allowed_exactly_the_schema_permissions_and_to_invoke_itself_under_any_stack_name(
) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(support::venv("python", "LOCAL_ORG_PYTHON"))
        .arg(root.join("scripts/template_json.py"))
        .arg(root.join("sam-template.yaml"))
        .output()
        .unwrap();
    let template: Value = serde_json::from_slice(&out.stdout).expect("the SAM template decodes");
    let statements =
        &template["Resources"]["CustomResourceFunction"]["Properties"]["Policies"][0]["Statement"];
    let mut granted: Vec<String> = statements[0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    granted.sort();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schema/aws-organizations-account.json")).unwrap(),
    )
    .unwrap();
    let mut needed: Vec<String> = schema["handlers"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|h| {
            h["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
        })
        .collect();
    needed.sort();
    needed.dedup();
    assert_eq!(granted, needed);
    // No name built from the stack's (Lambda allows 64 characters): the self-invoke policy
    // names the function by its ARN, on the role SAM generates for it.
    let function = &template["Resources"]["CustomResourceFunction"]["Properties"];
    assert!(function.get("FunctionName").is_none(), "{function}");
    let own = &template["Resources"]["CustomResourceSelfInvoke"]["Properties"];
    assert_eq!(own["Roles"], json!([{"Ref": "CustomResourceFunctionRole"}]));
    let statement = &own["PolicyDocument"]["Statement"][0];
    assert_eq!(statement["Action"], "lambda:InvokeFunction");
    // Itself, and itself through any version or alias (the self-invoke keeps the qualifier the
    // function was invoked through).
    assert_eq!(
        statement["Resource"],
        json!([{"Fn::GetAtt": ["CustomResourceFunction", "Arn"]},
               {"Fn::Sub": "${CustomResourceFunction.Arn}:*"}])
    );
}

fn calls_of(calls: &Value, op: &str) -> u64 {
    calls[op].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_updates_and_deletes_of_accounts_this_resource_did_not_create_change_nothing() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    // A member account made by hand, and one another declaration of this function created.
    let hand = org
        .create_by_hand("Hand Made", "hand-made@example.com")
        .await;
    let owner = play(
        &moto,
        &function,
        "owner",
        custom_event(
            "Create",
            "Owner",
            "",
            props("Owned", "owned@example.com"),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(owner["Status"], "SUCCESS", "{owner}");
    let owned = owner["PhysicalResourceId"].as_str().unwrap().to_owned();
    let before = moto.calls().await;

    let mut closing = props("Hand Made", "hand-made@example.com");
    closing["DeletionMode"] = json!("CLOSE");
    let delete = custom_event("Delete", "Intruder", "", closing.clone(), Some(&hand), None);
    let answer = play(&moto, &function, "forged-delete", delete).await;
    assert_failed(&answer, "AccessDenied");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains(&hand)
            && reason.contains("no record tag")
            && reason.contains("nothing was changed"),
        "{answer}"
    );
    assert_eq!(answer["PhysicalResourceId"], hand.as_str());

    let mut moved = closing.clone();
    moved["ParentIds"] = json!([org.ou_b]);
    let update = custom_event(
        "Update",
        "Intruder",
        "",
        moved,
        Some(&hand),
        Some(closing.clone()),
    );
    assert_failed(
        &play(&moto, &function, "forged-update", update).await,
        "AccessDenied",
    );

    // Another declaration's account: its record names that declaration.
    let mut owned_props = props("Owned", "owned@example.com");
    owned_props["DeletionMode"] = json!("CLOSE");
    let delete = custom_event("Delete", "Intruder", "", owned_props, Some(&owned), None);
    let answer = play(&moto, &function, "forged-delete-owned", delete).await;
    assert_failed(&answer, "AccessDenied");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("names another declaration"),
        "{answer}"
    );

    // Carried progress cannot point the function elsewhere: a Delete that names no account,
    // with a forged hand-off saying "delete this one", is checked like any other.
    let mut forged = custom_event(
        "Delete",
        "Intruder",
        "",
        closing,
        Some("not-created:x"),
        None,
    );
    forged[PROGRESS_KEY] = json!({"state": "continue",
        "context": {"version": 1, "stage": {"name": "startDelete"}, "attempt": 0},
        "model": {"AccountId": hand, "DeletionMode": "CLOSE"},
        "started": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        "handoffs": 0});
    assert_failed(
        &play(&moto, &function, "forged-progress", forged).await,
        "AccessDenied",
    );

    let after = moto.calls().await;
    for op in [
        "CloseAccount",
        "MoveAccount",
        "TagResource",
        "UntagResource",
        "RemoveAccountFromOrganization",
    ] {
        assert_eq!(calls_of(&after, op), calls_of(&before, op), "{op}: {after}");
    }
    assert_eq!(org.state_of(&hand).await, "ACTIVE");
    assert_eq!(org.state_of(&owned).await, "ACTIVE");
    assert_eq!(org.parent_of(&hand).await, org.root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_answers_before_its_creation_settles_leaves_no_account_behind() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    // Creations take 15 s; the creates' ServiceTimeout (8 s) runs out first.
    moto.configure(json!({"creation_seconds": 15})).await;
    let function = CustomFunction::start(&moto, 2, 4).await;
    let mut closing = props("Orphan Close", "orphan-close@example.com");
    closing["DeletionMode"] = json!("CLOSE");
    let kept = props("Orphan Kept", "orphan-kept@example.com");
    let urls = response_urls(&moto, &["c-create", "k-create", "c-delete", "k-delete"]).await;
    let mut physical = Vec::new();
    for (i, (logical, p)) in [("OrphanClose", &closing), ("OrphanKept", &kept)]
        .iter()
        .enumerate()
    {
        let mut short = (*p).clone();
        short["ServiceTimeout"] = json!("8");
        function
            .send(&custom_event(
                "Create",
                logical,
                &urls[i].put,
                short,
                None,
                None,
            ))
            .await;
    }
    for url in &urls[..2] {
        let answer = url.answer(60).await;
        assert_failed(&answer, "NotStabilized");
        let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
        assert!(id.starts_with("creating:car-"), "{answer}");
        physical.push(id);
    }
    // CloudFormation rolls back: a Delete with the failed Create's id (and a ServiceTimeout
    // that lets it wait for the creation).
    for (i, (logical, p)) in [("OrphanClose", &closing), ("OrphanKept", &kept)]
        .iter()
        .enumerate()
    {
        let mut waiting = (*p).clone();
        waiting["ServiceTimeout"] = json!("120");
        function
            .send(&custom_event(
                "Delete",
                logical,
                &urls[2 + i].put,
                waiting,
                Some(&physical[i]),
                None,
            ))
            .await;
    }
    let closed = urls[2].answer(90).await;
    assert_eq!(closed["Status"], "SUCCESS", "{closed}");
    assert_eq!(closed["PhysicalResourceId"], physical[0].as_str());
    let refused = urls[3].answer(90).await;
    assert_failed(&refused, "InvalidRequest");
    let reason = refused["Reason"].as_str().unwrap();
    assert!(reason.contains("DeletionMode is REFUSE"), "{refused}");
    // Each creation made exactly one account: the CLOSE one is closed, the other is named.
    for (email, state) in [
        ("orphan-close@example.com", "SUSPENDED"),
        ("orphan-kept@example.com", "ACTIVE"),
    ] {
        assert_eq!(org.accounts_with_email(email).await, 1, "{email}");
        let out = org.client.list_accounts().send().await.unwrap();
        let account = out
            .accounts()
            .iter()
            .find(|a| a.email() == Some(email))
            .unwrap();
        assert_eq!(account.state().unwrap().as_str(), state, "{email}");
        if state == "ACTIVE" {
            assert!(reason.contains(account.id().unwrap()), "{refused}");
        }
    }
    assert_eq!(calls_of(&moto.calls().await, "CreateAccount"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cdk_on_event_outlasted_by_its_creation_hands_it_to_is_complete_with_a_settleable_id() {
    let moto = Moto::start().await;
    moto.organization().await;
    // Ten-second invocations; creations take twelve.
    moto.configure(json!({"creation_seconds": 12})).await;
    let function = CustomFunction::start(&moto, 1, 10).await;
    let url = response_urls(&moto, &["cdk-slow"]).await.remove(0);
    let event = framework_event(
        "Create",
        "CdkSlow",
        &url.put,
        props("Cdk Slow", "cdk-slow@example.com"),
        None,
        None,
    );
    let on_event = function
        .call(&event)
        .await
        .expect("onEvent answers, never fails");
    let pending = on_event["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(pending.starts_with("creating:car-"), "{on_event}");
    let mut is_complete = event.clone();
    for (k, v) in on_event.as_object().unwrap() {
        is_complete[k] = v.clone();
    }
    let mut done = Value::Null;
    for _ in 0..30 {
        let answer = function
            .call(&is_complete)
            .await
            .expect("isComplete answers");
        if answer["IsComplete"] == true {
            done = answer;
            break;
        }
        assert!(answer.get("Data").is_none(), "{answer}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // The framework spreads isComplete's result over the event: the AccountId becomes the id.
    let id = done["PhysicalResourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("{done} {on_event}"))
        .to_owned();
    assert!(id.len() == 12, "{done}");
    assert_eq!(done["Data"]["AccountId"], id.as_str());
    assert_eq!(calls_of(&moto.calls().await, "CreateAccount"), 1);
    assert_eq!(
        url.read().await,
        None,
        "the framework answers, never the function"
    );
}
