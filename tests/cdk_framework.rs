//! The CDK provider framework, as it really calls: aws-cdk-lib's own framework JavaScript
//! (synthesized from a real `custom_resources.Provider` whose onEvent and isComplete handlers are
//! this function) runs under Node in tests/cdk/host.js, invokes the real `bootstrap` through a
//! local Lambda Invoke API (cargo lambda's emulator behind scripts/local_lambda.py), waits through
//! a stand-in for the generated waiter state machine, and answers at an HTTPS ResponseURL on
//! loopback port 443 (a throwaway CA). Organizations is the realistic local endpoint.
//! Needs Node and the npm packages of tests/cdk and examples/cdk (scripts/node-setup).

mod support;

use tokio::process::Command;

use serde_json::{json, Value};
use support::cdk::{assert_account_id, calls, props, root, Framework};
use support::{CustomFunction, Moto, SERVICE_TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_framework_creates_updates_refuses_a_rename_rolls_back_and_deletes() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    let cdk = Framework::start(&function).await;

    let mut team = props("Cdk Team", "cdk-team@example.com");
    team["ParentIds"] = json!([org.ou_a]);
    team["Tags"] = json!([{"Key": "team", "Value": "a"}]);
    let created = cdk
        .play(
            cdk.event("Create", "Team", "create", team.clone(), None, None),
            "create",
        )
        .await;
    let id = assert_account_id(&created);
    assert_eq!(created["Data"]["State"], "ACTIVE");
    assert_eq!(org.parent_of(&id).await, org.ou_a);
    assert!(org
        .tags_of(&id)
        .await
        .contains(&("team".into(), "a".into())));
    let after_create = moto.calls().await;
    assert_eq!(calls(&after_create, "CreateAccount"), 1, "{after_create}");
    assert_eq!(calls(&after_create, "MoveAccount"), 1, "{after_create}");

    // A tag change.
    let mut retagged = team.clone();
    retagged["Tags"] = json!([{"Key": "team", "Value": "b"}]);
    let updated = cdk
        .play(
            cdk.event(
                "Update",
                "Team",
                "retag",
                retagged.clone(),
                Some(&id),
                Some(team.clone()),
            ),
            "retag",
        )
        .await;
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(updated["PhysicalResourceId"], id.as_str());
    assert!(org
        .tags_of(&id)
        .await
        .contains(&("team".into(), "b".into())));

    // A rename is refused with the registry type's words, and its rollback succeeds.
    let mut renamed = retagged.clone();
    renamed["AccountName"] = json!("Cdk Renamed");
    let refused = cdk
        .play(
            cdk.event(
                "Update",
                "Team",
                "rename",
                renamed.clone(),
                Some(&id),
                Some(retagged.clone()),
            ),
            "rename",
        )
        .await;
    assert_eq!(refused["Status"], "FAILED", "{refused}");
    assert!(
        refused["Reason"]
            .as_str()
            .unwrap()
            .contains("NotUpdatable: AccountName"),
        "{refused}"
    );
    assert_eq!(refused["PhysicalResourceId"], id.as_str());
    let rolled = cdk
        .play(
            cdk.event(
                "Update",
                "Team",
                "rollback",
                retagged.clone(),
                Some(&id),
                Some(renamed),
            ),
            "rollback",
        )
        .await;
    assert_eq!(rolled["Status"], "SUCCESS", "{rolled}");

    // The default DeletionMode refuses; the account stays.
    let kept = cdk
        .play(
            cdk.event("Delete", "Team", "delete", retagged, Some(&id), None),
            "delete",
        )
        .await;
    assert_eq!(kept["Status"], "FAILED", "{kept}");
    assert!(
        kept["Reason"]
            .as_str()
            .unwrap()
            .contains("DeletionMode is REFUSE"),
        "{kept}"
    );
    assert_eq!(org.state_of(&id).await, "ACTIVE");

    // CLOSE closes.
    let mut closing = props("Cdk Closing", "cdk-closing@example.com");
    closing["DeletionMode"] = json!("CLOSE");
    let closing_id = assert_account_id(
        &cdk.play(
            cdk.event(
                "Create",
                "Closing",
                "create-closing",
                closing.clone(),
                None,
                None,
            ),
            "create-closing",
        )
        .await,
    );
    let closed = cdk
        .play(
            cdk.event(
                "Delete",
                "Closing",
                "delete-closing",
                closing,
                Some(&closing_id),
                None,
            ),
            "delete-closing",
        )
        .await;
    assert_eq!(closed["Status"], "SUCCESS", "{closed}");
    assert_ne!(org.state_of(&closing_id).await, "ACTIVE");

    // REMOVE surfaces Organizations' refusal (a created account cannot stand alone yet), then
    // removes once it can.
    let mut leaving = props("Cdk Leaving", "cdk-leaving@example.com");
    leaving["DeletionMode"] = json!("REMOVE");
    let leaving_id = assert_account_id(
        &cdk.play(
            cdk.event(
                "Create",
                "Leaving",
                "create-leaving",
                leaving.clone(),
                None,
                None,
            ),
            "create-leaving",
        )
        .await,
    );
    let refused = cdk
        .play(
            cdk.event(
                "Delete",
                "Leaving",
                "remove-refused",
                leaving.clone(),
                Some(&leaving_id),
                None,
            ),
            "remove-refused",
        )
        .await;
    assert_eq!(refused["Status"], "FAILED", "{refused}");
    assert!(
        refused["Reason"]
            .as_str()
            .unwrap()
            .contains("ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION"),
        "{refused}"
    );
    moto.configure(json!({"standalone_ready": true})).await;
    let removed = cdk
        .play(
            cdk.event(
                "Delete",
                "Leaving",
                "remove",
                leaving,
                Some(&leaving_id),
                None,
            ),
            "remove",
        )
        .await;
    assert_eq!(removed["Status"], "SUCCESS", "{removed}");
    assert_eq!(org.accounts_with_email("cdk-leaving@example.com").await, 0);

    let all = moto.calls().await;
    assert_eq!(calls(&all, "CreateAccount"), 3, "one per account: {all}");
    assert_eq!(calls(&all, "MoveAccount"), 1, "{all}");
    assert_eq!(calls(&all, "CloseAccount"), 1, "{all}");
    // Every request went through the framework's own waiter.
    let stats = cdk.stats().await;
    assert_eq!(stats["onEvent"], 10, "{stats}");
    assert_eq!(
        stats["executions"], 7,
        "the three failures ended in onEvent: {stats}"
    );
    assert_eq!(stats["onTimeout"], 0, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_accounts_through_the_real_framework_wait_their_turn_for_five_creation_slots() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 4, 30).await;
    let cdk = Framework::start(&function).await;
    let keys: Vec<String> = (0..8).map(|i| format!("fleet-{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        let event = cdk.event(
            "Create",
            &format!("Fleet{i}"),
            key,
            props(
                &format!("Cdk Fleet {i}"),
                &format!("cdk-fleet-{i}@example.com"),
            ),
            None,
            None,
        );
        cdk.send(&event).await;
    }
    let mut ids = std::collections::BTreeSet::new();
    for key in &keys {
        ids.insert(assert_account_id(&cdk.answer(key, 180).await));
    }
    assert_eq!(ids.len(), 8);
    for i in 0..8 {
        assert_eq!(
            org.accounts_with_email(&format!("cdk-fleet-{i}@example.com"))
                .await,
            1
        );
    }
    // Eight creation requests accepted in all: no request was made twice.
    let requests = org
        .client
        .list_create_account_status()
        .send()
        .await
        .unwrap();
    let mut made = requests.create_account_statuses().len();
    let mut token = requests.next_token().map(str::to_owned);
    while let Some(t) = token {
        let page = org
            .client
            .list_create_account_status()
            .next_token(t)
            .send()
            .await
            .unwrap();
        made += page.create_account_statuses().len();
        token = page.next_token().map(str::to_owned);
    }
    assert_eq!(made, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_malformed_email_fails_through_the_real_framework_without_a_call() {
    let moto = Moto::start().await;
    moto.organization().await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    let cdk = Framework::start(&function).await;
    let before = moto.calls().await;
    for (key, properties) in [
        ("missing", json!({"AccountName": "No Email"})),
        ("malformed", props("Bad Email", "not-an-address")),
    ] {
        let answer = cdk
            .play(
                cdk.event("Create", "Bad", key, properties.clone(), None, None),
                key,
            )
            .await;
        assert_eq!(answer["Status"], "FAILED", "{answer}");
        let reason = answer["Reason"].as_str().unwrap();
        // The framework reports the function error's message (with its own stack trace).
        assert!(
            reason.starts_with("Error: InvalidRequest: Email"),
            "{answer}"
        );
        // The framework marks the failed Create, and answers its rollback Delete itself.
        let marker = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
        let key = format!("{key}-rollback");
        let rollback = cdk
            .play(
                cdk.event("Delete", "Bad", &key, properties, Some(&marker), None),
                &key,
            )
            .await;
        assert_eq!(rollback["Status"], "SUCCESS", "{rollback}");
    }
    assert_eq!(moto.calls().await, before, "no Organizations call at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creation_outlasting_on_event_is_finished_by_is_complete_and_answered_with_its_account_id(
) {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    // Creations take twelve seconds; each invocation of the function works for ten.
    moto.configure(json!({"creation_seconds": 12})).await;
    let function = CustomFunction::start(&moto, 2, 10).await;
    let cdk = Framework::start(&function).await;
    let answer = cdk
        .play(
            cdk.event(
                "Create",
                "Slow",
                "slow",
                props("Cdk Slow", "cdk-slow@example.com"),
                None,
                None,
            ),
            "slow",
        )
        .await;
    // onEvent answered the pending creation's id; isComplete's AccountId replaced it.
    let id = assert_account_id(&answer);
    assert_eq!(calls(&moto.calls().await, "CreateAccount"), 1);
    assert!(cdk.stats().await["isComplete"].as_u64().unwrap() >= 1);
    assert_eq!(
        org.accounts_with_email("cdk-slow@example.com").await,
        1,
        "{id}"
    );
}

/// examples/cdk, as a platform team would deploy it: the app is synthesized with its context
/// (this function, the organization's OUs), and CloudFormation's part is played from the
/// synthesized template: each Custom::OrganizationsAccount's Create sent at once (none depends on
/// another) to the Provider's framework, then a stack delete, which deletes only the resources
/// whose DeletionPolicy is not Retain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cdk_example_app_deploys_its_accounts_through_the_real_framework() {
    let moto = Moto::start().await;
    let org = moto.organization().await;
    let function = CustomFunction::start(&moto, 3, 30).await;
    let app = root().join("examples/cdk");
    assert!(
        app.join("dist/bin/accounts.js").exists(),
        "examples/cdk is not built: run scripts/node-setup"
    );
    let outdir = std::env::temp_dir().join(format!("cdk-example-{}", std::process::id()));
    let context = json!({"accountsFunctionArn": SERVICE_TOKEN, "workloadsOuId": org.ou_a,
        "sandboxOuId": org.ou_b, "queryIntervalSeconds": 1});
    let synth = Command::new("node")
        .arg(app.join("dist/bin/accounts.js"))
        .current_dir(&app)
        .env("CDK_OUTDIR", &outdir)
        .env("CDK_CONTEXT_JSON", context.to_string())
        .output()
        .await
        .expect("node synthesizes the example");
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    let template_path = outdir.join("PlatformAccounts.template.json");
    let template: Value = serde_json::from_slice(&std::fs::read(&template_path).unwrap()).unwrap();
    let accounts: Vec<(String, Value, bool)> = template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "Custom::OrganizationsAccount")
        .map(|(id, r)| {
            let mut properties = r["Properties"].clone();
            properties.as_object_mut().unwrap().remove("ServiceToken");
            (id.clone(), properties, r["DeletionPolicy"] == "Retain")
        })
        .collect();
    assert_eq!(accounts.len(), 3, "{template}");

    let cdk = Framework::serve(&function, Some(&template_path), (1, 120)).await;
    // The app's own waiter: its queryInterval (1 s here) over its totalTimeout (1 hour).
    let waiter = &cdk.stats().await["waiter"];
    assert_eq!(waiter["IntervalSeconds"], 1, "{waiter}");
    assert_eq!(waiter["MaxAttempts"], 3600, "{waiter}");
    for (id, properties, _) in &accounts {
        cdk.send(&cdk.event(
            "Create",
            id,
            &format!("create-{id}"),
            properties.clone(),
            None,
            None,
        ))
        .await;
    }
    let mut created = Vec::new();
    for (id, properties, retained) in &accounts {
        let account = assert_account_id(&cdk.answer(&format!("create-{id}"), 120).await);
        assert_eq!(
            org.parent_of(&account).await,
            properties["ParentIds"][0].as_str().unwrap()
        );
        let tags = org.tags_of(&account).await;
        assert!(
            tags.contains(&(
                "team".into(),
                properties["Tags"][0]["Value"].as_str().unwrap().into()
            )),
            "{tags:?}"
        );
        assert!(
            tags.iter().any(|(k, v)| k == "cfn-organizations-account:record" && v.contains("billing=DENY")),
            "{tags:?}"
        );
        created.push((id.clone(), properties.clone(), *retained, account));
    }
    assert_eq!(moto.calls().await["CreateAccount"], 3);

    // The stack is deleted: CloudFormation skips the retained resources.
    for (id, properties, retained, account) in &created {
        if *retained {
            continue;
        }
        let key = format!("delete-{id}");
        let answer = cdk
            .play(
                cdk.event("Delete", id, &key, properties.clone(), Some(account), None),
                &key,
            )
            .await;
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    }
    for (_, _, retained, account) in &created {
        let state = org.state_of(account).await;
        assert_eq!(state == "ACTIVE", *retained, "{account}: {state}");
    }
}

/// A create that fails after its account exists (here the caller may create accounts but not
/// move them) names the account: onEvent answers with the AccountId and isComplete raises the
/// failure, so the framework's FAILED carries the id and the rollback Delete reaches the function,
/// which applies DeletionMode. (A function error from onEvent would make the framework answer
/// with its CREATE_FAILED marker and answer the rollback Delete itself: the account in no stack.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_failing_after_its_account_exists_names_it_and_the_rollback_applies_deletion_mode()
{
    let moto = Moto::start().await;
    let org = moto.organization().await;
    moto.configure(json!({"deny_operations": "MoveAccount"}))
        .await;
    let function = CustomFunction::start(&moto, 2, 30).await;
    let cdk = Framework::start(&function).await;
    let mut properties = props("Cdk Stranded", "cdk-stranded@example.com");
    properties["ParentIds"] = json!([org.ou_a]);
    properties["DeletionMode"] = json!("CLOSE");
    let answer = cdk
        .play(
            cdk.event(
                "Create",
                "Stranded",
                "stranded",
                properties.clone(),
                None,
                None,
            ),
            "stranded",
        )
        .await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        answer["Reason"].as_str().unwrap().contains("MoveAccount"),
        "{answer}"
    );
    let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()),
        "{answer}"
    );
    assert_eq!(org.state_of(&id).await, "ACTIVE");
    // CloudFormation's rollback: the Delete reaches the function, which closes the account.
    let rollback = cdk
        .play(
            cdk.event(
                "Delete",
                "Stranded",
                "stranded-rollback",
                properties,
                Some(&id),
                None,
            ),
            "stranded-rollback",
        )
        .await;
    assert_eq!(rollback["Status"], "SUCCESS", "{rollback}");
    assert_eq!(rollback["PhysicalResourceId"], id.as_str());
    assert_ne!(org.state_of(&id).await, "ACTIVE");
    assert_eq!(org.accounts_with_email("cdk-stranded@example.com").await, 1);
}

/// The framework hands onEvent's result unchanged to every isComplete, so each pass resumes from
/// onEvent's stage: nothing that is already as declared is changed again (each changing
/// operation once per thing it changes), and the readiness deadline does not move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creation_outlasting_on_event_changes_each_thing_once_across_is_complete_passes() {
    let moto = Moto::start_with(&[
        "--creation-seconds",
        "12",
        "--region-enabling-seconds",
        "4",
        "--ready-seconds",
        "12",
    ])
    .await;
    let org = moto.organization().await;
    org.enable_account_management().await;
    // Each invocation works for ten seconds: onEvent is outlasted by the creation, and the
    // baseline takes several isComplete passes.
    let function = CustomFunction::start(&moto, 2, 10).await;
    let cdk = Framework::start(&function).await;
    let mut properties = props("Cdk Baseline", "cdk-baseline@example.com");
    properties["ParentIds"] = json!([org.ou_a]);
    properties["AlternateContacts"] = json!({"Security": {"Name": "Sec", "Title": "CISO",
        "EmailAddress": "sec@example.com", "PhoneNumber": "+1 555 0100"}});
    properties["EnabledRegions"] = json!(["af-south-1"]);
    properties["WaitUntilReady"] = json!("true");
    let answer = cdk
        .play(
            cdk.event("Create", "Based", "based", properties, None, None),
            "based",
        )
        .await;
    let id = assert_account_id(&answer);
    let passes = cdk.stats().await["isComplete"].as_u64().unwrap();
    assert!(passes >= 2, "isComplete passes: {passes}");
    let stats = moto.calls().await;
    for op in [
        "CreateAccount",
        "MoveAccount",
        "Account.PutAlternateContact",
        "Account.EnableRegion",
    ] {
        assert_eq!(calls(&stats, op), 1, "{op} over {passes} passes: {stats}");
    }
    assert_eq!(org.parent_of(&id).await, org.ou_a);
}
